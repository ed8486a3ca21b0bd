//! python-telegram-bot, an independent client, agrees with the sandbox (`ptb_check.py`).

use std::{path::Path, process::Stdio, time::Duration};

use tokio::process::Command;

use crate::common::{BOT, Fixture, TOKEN, USER};

fn python() -> Command {
    let mut command = Command::new("python3");
    // Loopback traffic must not go through a proxy configured for package registries.
    for variable in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        command.env_remove(variable);
    }
    command.env("NO_PROXY", "127.0.0.1,localhost");
    command
}

async fn python_telegram_bot_installed() -> bool {
    python()
        .args(["-c", "import telegram"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success())
}

/// Whether a missing PTB must fail the test: in CI (`CI` set to anything but `false`/`0`, as
/// CI services do) and under `.ci/run`, which sets `TGAUTH_REQUIRE_PTB=1` and installs PTB.
fn ptb_required() -> bool {
    let set = |name: &str| {
        std::env::var(name).is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false"))
    };
    set("CI") || set("TGAUTH_REQUIRE_PTB")
}

// A skipped check says so on stderr, where cargo test shows it.
#[allow(clippy::print_stderr)]
#[tokio::test]
async fn python_telegram_bot_agrees_with_the_sandbox() {
    if !python_telegram_bot_installed().await {
        assert!(
            !ptb_required(),
            "python-telegram-bot is not installed; .ci/run installs it"
        );
        eprintln!(
            "skipped: python-telegram-bot is not installed (pip install python-telegram-bot)"
        );
        return;
    }
    let fixture = Fixture::start().await;
    fixture.user_says("/start ptb");
    let document = fixture
        .sandbox
        .add_file(BOT, "file for ptb", Some("note.txt"))
        .unwrap();
    let base = fixture.sandbox.base_url();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/ptb_check.py");
    // Starting Python and importing PTB can take seconds on a loaded machine: a wider bound
    // than the common guard, still only there to stop a hang.
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        python()
            .arg(script)
            .args([
                format!("{base}/bot"),
                format!("{base}/file/bot"),
                TOKEN.to_owned(),
                BOT.to_owned(),
                USER.to_string(),
                document.file_id,
                "file for ptb".to_owned(),
            ])
            .output(),
    )
    .await
    .expect("ptb_check.py did not finish within 120 s")
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ptb_check.py failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.starts_with("ptb-check ok"), "{stdout}");
    // What PTB did is visible on the sandbox's side too.
    let sent = fixture.sandbox.sent(BOT).unwrap();
    let texts: Vec<_> = sent
        .iter()
        .map(|sent| sent.message.text.as_deref())
        .collect();
    assert_eq!(texts, [Some("hello from ptb"), Some("edited by ptb")]);
    assert!(sent[1].message.edit_date.is_some());
    assert!(fixture.sandbox.pending_updates(BOT).unwrap().is_empty());
}
