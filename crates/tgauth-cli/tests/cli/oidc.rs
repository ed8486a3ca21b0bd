//! `tgauth oidc client`: add prints a confidential client's secret once (and the secret's
//! hash is what `hash` prints), list shows clients without secrets, remove takes them away;
//! bad redirect URIs and taken ids are one line and exit 2.

use std::io::Write as _;
use std::process::Stdio;

fn run(args: &[&str], data: &std::path::Path) -> (Option<i32>, String, String) {
    let output = crate::tgauth()
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn clients_are_added_listed_and_removed_and_the_secret_is_shown_once() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        &[
            "oidc",
            "client",
            "add",
            "--id",
            "grafana",
            "--name",
            "Grafana",
            "--redirect-uri",
            "https://grafana.example.com/login/generic_oauth",
        ],
        data.path(),
    );
    assert_eq!(code, Some(0), "{err}");
    let secret = out
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .unwrap()
        .to_owned();
    assert!(secret.len() >= 40, "{out}");

    let mut hash = crate::tgauth()
        .args(["oidc", "client", "hash"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    hash.stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    let hashed = String::from_utf8(hash.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(
        hashed.trim(),
        format!("sha256:{}", tgauth_server::provider::secret_hash(&secret))
    );

    let (code, out, _) = run(&["oidc", "client", "list"], data.path());
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "grafana\tGrafana\tconfidential\thttps://grafana.example.com/login/generic_oauth\n"
    );
    assert!(!out.contains(&secret));

    let (code, _, err) = run(
        &[
            "oidc",
            "client",
            "add",
            "--id",
            "grafana",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        data.path(),
    );
    assert_eq!(code, Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("registered already"), "{err}");
    let (code, _, err) = run(
        &[
            "oidc",
            "client",
            "add",
            "--id",
            "evil",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        data.path(),
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("must be https"), "{err}");

    assert_eq!(
        run(&["oidc", "client", "remove", "grafana"], data.path()).0,
        Some(0)
    );
    assert_eq!(run(&["oidc", "client", "list"], data.path()).1, "");
    let (code, _, err) = run(&["oidc", "client", "remove", "grafana"], data.path());
    assert_eq!(code, Some(2));
    assert!(err.contains("no client with id grafana"), "{err}");
}
