// The Mini App login: Telegram puts the signed initData in the URL's fragment
// (`#tgWebAppData=...`); it goes to the service as `Authorization: tma <initData>`, never
// into a URL the server sees.
(function () {
  "use strict";
  var status = document.getElementById("miniapp-status");
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var initData = fragment.get("tgWebAppData");
  if (!initData && window.Telegram && window.Telegram.WebApp) {
    initData = window.Telegram.WebApp.initData;
  }
  if (!initData) {
    status.textContent = "This page is a Telegram Mini App: open it from the bot in Telegram.";
    return;
  }
  history.replaceState(null, "", window.location.pathname);
  fetch("/auth/telegram/webapp", {
    method: "POST",
    headers: { "Authorization": "tma " + initData, "Accept": "application/json" },
    credentials: "same-origin"
  }).then(function (response) {
    return response.json().then(function (body) {
      if (response.ok) {
        window.location.assign("/account");
      } else {
        status.textContent = "Telegram's data was refused: " + body.error.message + ".";
      }
    });
  }).catch(function () {
    status.textContent = "The service could not be reached; try again.";
  });
})();
