//! `tgauth doctor`: the configuration `tgauth serve` takes, checked against what breaks Telegram
//! logins in the field ([`tgauth_server::doctor`]), one line per check and a fix per problem.

use std::time::Duration;

use tgauth::SystemClock;
use tgauth_server::doctor::{self, Level, Outcome};
use tgauth_server::{Config, ServeArgs};

use crate::Failure;

/// What `tgauth doctor --help` says after the flags.
pub(crate) const AFTER_HELP: &str = "\
Doctor takes exactly the settings of `tgauth serve` (flags, TGAUTH_* variables, --config) and
only reads: it asks the Bot API (getMe, getWebhookInfo), the OpenID Connect provider, the running
service at its public URL and the database, and changes nothing. Each line is `ok`, `info`
(something no API can check, such as the domain to give @BotFather), `warn` or `fail`, and each
problem has a `fix:` line. Secrets are never printed; they come as for `tgauth serve` (see
`tgauth serve --help`).

Exit status:
  0   no failure (warnings maybe)
  1   at least one failure
  2   a setting is missing or bad (one line naming it, as `tgauth serve` says it)
  69  every failure is something that could not be reached (the Bot API, the database): try
      again later";

/// How long one request of doctor's may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `tgauth doctor`.
pub(crate) fn run(args: ServeArgs) -> Result<(), Failure> {
    if args.sandbox {
        return Err(Failure::usage(
            "doctor checks the configuration `tgauth serve` runs with, not --sandbox: start `tgauth serve --sandbox --data DIR` and give doctor its secrets from DIR (TGAUTH_BOT_TOKEN_FILE=DIR/bot-token ...) with --bot-api-url <the sandbox URL>",
        ));
    }
    for variable in tgauth_server::config::unknown_variables() {
        eprintln!("tgauth doctor: warning: unknown environment variable {variable} is ignored");
    }
    let config = Config::load(args).map_err(Failure::usage)?;
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| Failure::Unavailable(format!("cannot make an HTTP client: {error}")))?;
    let runtime = crate::runtime(false)?;
    let report = runtime.block_on(doctor::run(&config, &SystemClock, &http));
    print!("{report}");
    let failures = report.count(Level::Fail);
    match report.outcome() {
        Outcome::Healthy => Ok(()),
        Outcome::Unreachable => Err(Failure::Unavailable(format!(
            "{} could not be reached; try again later",
            if failures == 1 {
                "one thing"
            } else {
                "several things"
            }
        ))),
        _ => Err(Failure::rejected(format!(
            "{failures} failure{} (see the fix lines above)",
            if failures == 1 { "" } else { "s" }
        ))),
    }
}
