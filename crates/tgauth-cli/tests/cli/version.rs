//! `tgauth --version` and `tgauth --help`.

use std::process::Command;

fn tgauth(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tgauth"))
        .args(args)
        .output()
        .expect("tgauth runs")
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
