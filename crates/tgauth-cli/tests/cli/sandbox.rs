//! `tgauth sandbox --listen ADDR`: serves the Bot API and the control API until Ctrl-C.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// One HTTP/1.1 request with `Connection: close`; returns the whole answer.
fn http(base: &str, method: &str, path: &str, body: &str) -> String {
    let address = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    // Generous bounds that only turn a hung sandbox into a failure instead of a hung test.
    stream.set_read_timeout(Some(HANG)).unwrap();
    stream.set_write_timeout(Some(HANG)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

const HANG: Duration = Duration::from_secs(60);

/// A running `tgauth sandbox`; killed when dropped, so a failing test leaves no server behind.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `tgauth sandbox` with `args` and returns it with its base URL.
fn start(args: &[&str]) -> (Running, String) {
    let listen = tgauth_tests::any_loopback_port().to_string();
    let mut child = crate::tgauth()
        .args(["sandbox", "--listen", &listen])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tgauth runs");
    let stdout = child.stdout.take().unwrap();
    let running = Running(Some(child));
    let mut base = String::new();
    BufReader::new(stdout).read_line(&mut base).unwrap();
    let base = base.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    (running, base)
}

/// Sends Ctrl-C (SIGINT) and checks a clean exit.
fn interrupt(running: Running) {
    stop(running, "-INT");
}

/// Sends `signal` (a `kill` option) and checks a clean exit.
fn stop(mut running: Running, signal: &str) {
    let child = running.0.as_mut().unwrap();
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // Polled with a generous deadline, so a sandbox that ignores the signal fails the test
    // (and is killed by the drop) instead of hanging it.
    let deadline = std::time::Instant::now() + HANG;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "tgauth sandbox did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("stopped"), "{stderr}");
    // On loopback there is nothing to warn about.
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A bot token of the shape @BotFather issues (the sandbox refuses others).
macro_rules! token {
    () => {
        "77:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    };
}

const BOT: &str = concat!(r#"{"token":""#, token!(), r#"","username":"cli_bot"}"#);

#[test]
fn sandbox_serves_until_interrupted() {
    let (child, base) = start(&[]);
    let created = http(&base, "POST", "/sandbox/bots", BOT);
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    let me = http(&base, "GET", concat!("/bot", token!(), "/getMe"), "");
    assert!(me.contains(r#""username":"cli_bot""#), "{me}");
    let unknown = http(&base, "GET", "/bot77:wrong/getMe", "");
    assert!(unknown.starts_with("HTTP/1.1 401"), "{unknown}");
    interrupt(child);
}

#[test]
fn sandbox_stops_cleanly_on_sigterm() {
    let (running, base) = start(&[]);
    let me = http(&base, "GET", concat!("/bot", token!(), "/getMe"), "");
    assert!(me.starts_with("HTTP/1.1 401"), "{me}");
    stop(running, "-TERM");
}

#[test]
fn sandbox_state_survives_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("state.json");
    let state = state.to_str().unwrap();
    let (child, base) = start(&["--state", state]);
    http(&base, "POST", "/sandbox/bots", BOT);
    let message = r#"{"user_id":5,"text":"/start kept"}"#;
    let sent = http(&base, "POST", "/sandbox/bots/cli_bot/messages", message);
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    interrupt(child);

    let (child, base) = start(&["--state", state]);
    let updates = http(&base, "GET", concat!("/bot", token!(), "/getUpdates"), "");
    assert!(updates.contains(r#""text":"/start kept""#), "{updates}");
    interrupt(child);
}

#[test]
fn sandbox_reports_an_address_it_cannot_use() {
    let output = crate::tgauth()
        .args(["sandbox", "--listen", "203.0.113.1:1"])
        .output()
        .expect("tgauth runs");
    // The address is the setting's fault: a usage error.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("could not listen on 203.0.113.1:1"),
        "{stderr}"
    );
}
