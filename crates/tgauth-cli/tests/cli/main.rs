//! The `tgauth` program as a user runs it: arguments in, stdout, stderr and exit codes out.

// Test code: a failed expectation should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod canary;
mod doctor;
mod link;
mod login;
mod oidc;
mod passport;
mod sandbox;
mod secrets;
mod serve;
mod version;

/// The variables through which tgauth takes secrets. A test sets the ones it means to.
const SECRET_VARIABLES: [&str; 6] = [
    "TGAUTH_BOT_TOKEN",
    "TGAUTH_BOT_TOKEN_FILE",
    "TGAUTH_STORE",
    "TGAUTH_STORE_FILE",
    "TGAUTH_KEY_PASSWORD",
    "TGAUTH_KEY_PASSWORD_FILE",
];

/// The `tgauth` program under test, without the secret variables of the environment the tests
/// run in: a developer's own `TGAUTH_STORE` must not change what a test sees.
fn tgauth() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tgauth"));
    for variable in SECRET_VARIABLES {
        command.env_remove(variable);
    }
    command
}
