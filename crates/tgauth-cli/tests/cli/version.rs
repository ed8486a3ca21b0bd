//! `tgauth --version` and `tgauth --help`.

fn tgauth(args: &[&str]) -> std::process::Output {
    crate::tgauth().args(args).output().expect("tgauth runs")
}

#[test]
fn version_prints_the_package_version() {
    let output = tgauth(&["--version"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(
        stdout.trim(),
        format!("tgauth {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_the_program() {
    let output = tgauth(&["--help"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(stdout.contains("Usage: tgauth"), "{stdout}");
}

#[test]
fn no_arguments_prints_help_and_fails() {
    let output = tgauth(&[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("Usage: tgauth"), "{stderr}");
}

#[test]
fn help_documents_exit_codes_and_secret_variables() {
    let output = tgauth(&["--help"]);
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    for line in [
        "0   success",
        "1   rejected input",
        "2   usage",
        "69  unavailable",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    for variable in [
        "TGAUTH_BOT_TOKEN",
        "TGAUTH_BOT_TOKEN_FILE",
        "--bot-token-file",
        "TGAUTH_STORE",
        "TGAUTH_STORE_FILE",
        "--store-file",
        "TGAUTH_KEY_PASSWORD",
        "TGAUTH_KEY_PASSWORD_FILE",
    ] {
        assert!(stdout.contains(variable), "{variable}: {stdout}");
    }
}

#[test]
fn argv_secrets_say_they_are_visible() {
    for args in [
        ["login", "verify", "--help"],
        ["webapp", "verify", "--help"],
        ["link", "show", "--help"],
    ] {
        let output = tgauth(&args);
        let stdout = String::from_utf8(output.stdout).expect("utf-8");
        assert!(
            stdout.contains("visible to other users of this machine"),
            "{args:?}: {stdout}"
        );
    }
}
