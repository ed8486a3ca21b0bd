// The sandbox's Telegram Login Widget: embedded exactly as Telegram's
// (<script async src=".../js/telegram-widget.js?22" data-telegram-login="<bot>"
// data-auth-url="<url>" data-request-access="write"></script>), it inserts a
// "Log in with Telegram" link right after itself that opens the phone's consent screen, which
// sends the browser to data-auth-url with the signed Login Widget fields.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var bot = script.getAttribute("data-telegram-login");
  if (!bot) {
    return;
  }
  var sandbox = new URL(script.src, window.location.href).origin;
  var target = new URL(sandbox + "/phone/widget");
  target.searchParams.set("bot", bot);
  target.searchParams.set("origin", window.location.origin);
  var authUrl = script.getAttribute("data-auth-url");
  if (authUrl) {
    target.searchParams.set("return_to", new URL(authUrl, window.location.href).href);
  }
  var access = script.getAttribute("data-request-access");
  if (access) {
    target.searchParams.set("request_access", access);
  }
  var large = script.getAttribute("data-size") !== "small";
  var link = document.createElement("a");
  link.id = "telegram-login-" + bot;
  link.className = "telegram-login-button";
  link.href = target.href;
  link.textContent = "Log in with Telegram";
  // Set through the style object, which a Content-Security-Policy without 'unsafe-inline'
  // styles still allows, unlike a style attribute.
  var style = link.style;
  style.display = "inline-block";
  style.background = "#54a9eb";
  style.color = "#fff";
  style.fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  style.fontWeight = "500";
  style.fontSize = large ? "16px" : "13px";
  style.lineHeight = large ? "20px" : "16px";
  style.padding = large ? "9px 21px" : "5px 12px";
  style.borderRadius = large ? "20px" : "14px";
  style.textDecoration = "none";
  script.parentNode.insertBefore(link, script.nextSibling);
})();
