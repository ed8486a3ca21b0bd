//! The browser's side of the tests: `tgauth serve --sandbox` as a child process, chromedriver on
//! loopback, and a headless Chromium session driven over WebDriver (fantoccini), with
//! screenshots, the browser console and an accessibility check of every page.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand, WindowHandle};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a page may take to show what a step waits for (the service's pages reload every
/// 2 to 3 seconds while they wait, the phone's chat polls every second).
const PATIENCE: Duration = Duration::from_secs(20);

/// A child process killed when dropped.
pub(crate) struct ChildGuard(pub(crate) Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `tgauth serve --sandbox` with the URLs its banner prints.
pub(crate) struct Serving {
    pub(crate) service: String,
    pub(crate) sandbox: String,
    pub(crate) bot: String,
    pub(crate) phone: String,
    pub(crate) login: String,
    _child: ChildGuard,
    _data: tempfile::TempDir,
}

impl Serving {
    /// Starts it with a public "log in with tgauth" client whose redirect URI is `callback`.
    pub(crate) fn start(callback: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let config = data.path().join("tgauth.toml");
        std::fs::write(
            &config,
            format!(
                "[[oidc.clients]]\nid = \"demo\"\nname = \"Demo app\"\npublic = true\n\
                 redirect_uris = [\"{callback}\"]\n"
            ),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tgauth"))
            .args(["serve", "--sandbox", "--log-format", "json", "--config"])
            .arg(&config)
            .arg("--data")
            .arg(data.path())
            .env("TGAUTH_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tgauth runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..6 {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            lines.push(line.trim_end().to_owned());
        }
        let value = |prefix: &str, line: &str| {
            line.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("expected `{prefix}...`, got `{line}`"))
                .to_owned()
        };
        Self {
            service: value("service: ", &lines[0]),
            sandbox: value("sandbox: ", &lines[1]),
            bot: value("bot: @", &lines[2]),
            login: value("open: ", &lines[4]),
            phone: value("phone: ", &lines[5]),
            _child: ChildGuard(child),
            _data: data,
        }
    }
}

/// chromedriver's legacy log command, which Chromium still answers: the browser console.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// A headless Chromium session with two windows, the website's and the phone's.
pub(crate) struct Browser {
    pub(crate) client: Client,
    pub(crate) site: WindowHandle,
    pub(crate) phone: WindowHandle,
    screenshots: PathBuf,
    shot: usize,
    /// Every page visited, for the accessibility check.
    pub(crate) visited: Vec<String>,
    _driver: ChildGuard,
}

impl Browser {
    /// Starts chromedriver (`driver` is its path) and a headless Chromium.
    pub(crate) async fn start(driver: &str) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs");
        let driver_guard = ChildGuard(child);
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1000,1200", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking"
            ]}),
        );
        capabilities.insert("goog:loggingPrefs".to_owned(), json!({"browser": "ALL"}));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(connected) => {
                    client = Some(connected);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver answers and starts Chromium");
        let site = client.window().await.unwrap();
        let phone = client.new_window(false).await.unwrap().handle;
        client.switch_to_window(site.clone()).await.unwrap();
        let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
        let _ = std::fs::remove_dir_all(&screenshots);
        std::fs::create_dir_all(&screenshots).unwrap();
        Self {
            client,
            site,
            phone,
            screenshots,
            shot: 0,
            visited: Vec::new(),
            _driver: driver_guard,
        }
    }

    pub(crate) async fn to_site(&self) {
        self.client
            .switch_to_window(self.site.clone())
            .await
            .unwrap();
    }

    pub(crate) async fn to_phone(&self) {
        self.client
            .switch_to_window(self.phone.clone())
            .await
            .unwrap();
    }

    pub(crate) async fn goto(&mut self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.note_page().await;
    }

    /// Remembers the current page for the accessibility check.
    pub(crate) async fn note_page(&mut self) {
        let url = self.client.current_url().await.unwrap().to_string();
        if !self.visited.contains(&url) {
            self.visited.push(url);
        }
    }

    /// The first element `css` selects, once it is there.
    pub(crate) async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => panic!("no `{css}` on {}: {error}", self.url().await),
        }
    }

    /// The first `tag` whose text contains `text`, once it is there.
    pub(crate) async fn find_text(&self, tag: &str, text: &str) -> Element {
        let xpath = format!(
            "//{tag}[contains(normalize-space(.), {})]",
            xpath_literal(text)
        );
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => panic!("no <{tag}> with `{text}` on {}: {error}", self.url().await),
        }
    }

    /// Clicks and records the page the click lands on.
    pub(crate) async fn click(&mut self, element: Element) {
        element.click().await.unwrap();
        // A click that submits a form or follows a link lands on a new page; wait for it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css("body"))
            .await
            .unwrap();
        self.note_page().await;
    }

    /// Waits until the text of `css` contains `text`, reloading never (pages update
    /// themselves); the text it ended with.
    pub(crate) async fn wait_text(&mut self, css: &str, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(found) = element.text().await
                && found.contains(text)
            {
                self.note_page().await;
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "`{css}` never showed `{text}` on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub(crate) async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|url| url.to_string())
            .unwrap_or_default()
    }

    /// Saves a screenshot of the current window as `NN-name.png` under the target directory.
    pub(crate) async fn screenshot(&mut self, name: &str) -> PathBuf {
        self.shot += 1;
        let png = self.client.screenshot().await.unwrap();
        let path = self
            .screenshots
            .join(format!("{:02}-{name}.png", self.shot));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// The console messages at level SEVERE since the last call.
    pub(crate) async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// What the current page lacks for assistive technology: form controls without a label and
    /// images without an `alt`, found by the browser's own DOM.
    pub(crate) async fn accessibility_problems(&self) -> Vec<String> {
        let problems = self
            .client
            .execute(ACCESSIBILITY_CHECK, Vec::new())
            .await
            .unwrap();
        problems
            .as_array()
            .into_iter()
            .flatten()
            .map(|problem: &Value| problem.as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// Finds form controls a screen reader cannot name and images without alternative text.
const ACCESSIBILITY_CHECK: &str = r#"
const problems = [];
for (const control of document.querySelectorAll("input, select, textarea, button")) {
  const type = (control.getAttribute("type") || "").toLowerCase();
  if (type === "hidden") continue;
  const named = (control.labels && control.labels.length > 0)
    || control.getAttribute("aria-label")
    || control.getAttribute("aria-labelledby")
    || (control.tagName === "BUTTON" && control.textContent.trim() !== "")
    || ((type === "submit" || type === "button") && control.value);
  if (!named) problems.push(control.outerHTML.slice(0, 120));
}
for (const image of document.querySelectorAll("img")) {
  if (!image.hasAttribute("alt")) problems.push(image.outerHTML.slice(0, 120));
}
if (!document.documentElement.getAttribute("lang")) problems.push("<html> without lang");
if (!document.title) problems.push("a page without a title");
return problems;
"#;

/// An XPath string literal of `text` (which holds no double quote here).
fn xpath_literal(text: &str) -> String {
    assert!(!text.contains('"'), "{text}");
    format!("\"{text}\"")
}
