//! `tgauth doctor`: a configuration checked against what breaks Telegram logins in the field.
//!
//! [`run`] takes the [`Config`] `tgauth serve` would run with, asks the Bot API, the OpenID
//! Connect provider, the running service and the database, and returns a [`Report`]: one
//! [`Finding`] per line, each a level ([`Level`]), the check it belongs to ([`Check`]), what was
//! found and, for a problem, how to fix it. Its `Display` is the output of `tgauth doctor`:
//!
//! ```text
//! ok    bot token: getMe answers as @my_bot (id 123456)
//! fail  public url: http://example.com is not https; Telegram's login widget and OIDC need https
//!       fix: set TGAUTH_PUBLIC_URL to the https URL browsers use
//! 6 ok, 0 warnings, 1 failure
//! ```
//!
//! Doctor only reads: it never migrates the database, registers or deletes a webhook, or
//! creates a SQLite file. Some settings live only inside Telegram and no API reads them (the
//! domain given to @BotFather with `/setdomain`, the Passport key given with `/setpublickey`,
//! the OIDC redirect URIs): for those it prints the exact value to register as an `info` line,
//! and against the telegram-sandbox, whose control API tells the bot's registered Passport key,
//! it compares. Secrets never appear: not the bot token, not the webhook's secret path, not a
//! key.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::Row as _;
use tgauth::bot::error::ApiErrorKind;
use tgauth::bot::types::{User, WebhookInfo};
use tgauth::bot::{Client, RetryPolicy};
use tgauth::login::oidc::Provider;
use tgauth::login::oidc::client::{ClientError, ClientSecret, OidcClient};
use tgauth::passport::key::PrivateKey;
use tgauth::{Clock, UnixTime};

use crate::config::{Config, UpdatesMode};

/// How far the clock may be from Telegram's before doctor warns: the Login Widget accepts
/// `auth_date` up to 30 seconds in the future (`login_widget::Policy`'s default skew).
const CLOCK_SKEW: i64 = 30;

/// How long one call of the Bot API may take before doctor reports it unreachable.
const BOT_API_TIMEOUT: Duration = Duration::from_secs(10);

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Level {
    /// Checked and as it should be.
    Ok,
    /// Something to do or to know that no API can check (a value to register with @BotFather).
    Info,
    /// Works, but something is off or could not be checked.
    Warn,
    /// Telegram logins (or the service) break with this.
    Fail,
}

impl Level {
    /// The word printed in the first column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<6}` aligns the column.
        f.pad(self.as_str())
    }
}

/// What a finding is about, in the order doctor prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The bot token answers `getMe`, as the configured username.
    BotToken,
    /// The public URL is https at a domain Telegram accepts.
    PublicUrl,
    /// The OpenID Connect client, its redirect URI and the provider's keys.
    Oidc,
    /// The `Cross-Origin-Opener-Policy` of the running service's login page.
    OpenerPolicy,
    /// The Passport key parses, is large enough and is the one the bot registered.
    PassportKey,
    /// `getWebhookInfo` matches the update mode; Telegram's last delivery error.
    Webhook,
    /// This machine's clock against the `Date` of the Bot API's answer.
    Clock,
    /// The database answers and is at this build's latest migration.
    Database,
}

impl Check {
    /// The name printed before the colon.
    pub fn name(self) -> &'static str {
        match self {
            Self::BotToken => "bot token",
            Self::PublicUrl => "public url",
            Self::Oidc => "oidc",
            Self::OpenerPolicy => "cross-origin-opener-policy",
            Self::PassportKey => "passport key",
            Self::Webhook => "webhook",
            Self::Clock => "clock",
            Self::Database => "database",
        }
    }
}

/// One line of the report (and its fix).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What it is about.
    pub check: Check,
    /// How serious it is.
    pub level: Level,
    /// What was found, one line.
    pub found: String,
    /// How to fix it, one line (a warning or a failure has one).
    pub fix: Option<String>,
    /// A failure to reach something (a network or a server that is down), not a wrong setting:
    /// running doctor again later may pass.
    pub unreachable: bool,
}

impl Finding {
    fn new(check: Check, level: Level, found: impl Into<String>, fix: Option<String>) -> Self {
        Self {
            check,
            level,
            found: one_line(&found.into()),
            fix: fix.map(|fix| one_line(&fix)),
            unreachable: false,
        }
    }

    fn ok(check: Check, found: impl Into<String>) -> Self {
        Self::new(check, Level::Ok, found, None)
    }

    fn info(check: Check, found: impl Into<String>) -> Self {
        Self::new(check, Level::Info, found, None)
    }

    fn warn(check: Check, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(check, Level::Warn, found, Some(fix.into()))
    }

    fn fail(check: Check, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(check, Level::Fail, found, Some(fix.into()))
    }

    /// Marks the finding as caused by something unreachable.
    fn unreachable(self) -> Self {
        self.unreachable_when(true)
    }

    /// Marks the finding as caused by something unreachable when `unreachable` holds.
    fn unreachable_when(mut self, unreachable: bool) -> Self {
        self.unreachable = unreachable;
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<6}{}: {}", self.level, self.check.name(), self.found)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n      fix: {fix}")?;
        }
        Ok(())
    }
}

/// What the report comes to, for an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// No failure (warnings maybe).
    Healthy,
    /// At least one failure that a change of configuration (or of Telegram's settings) fixes.
    Failed,
    /// Every failure is something that could not be reached: try again later.
    Unreachable,
}

/// Every finding, in the order of [`Check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    findings: Vec<Finding>,
}

impl Report {
    /// The findings, in printing order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The findings of one check.
    pub fn of(&self, check: Check) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |finding| finding.check == check)
    }

    /// How many findings have `level`.
    pub fn count(&self, level: Level) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.level == level)
            .count()
    }

    /// What the report comes to.
    pub fn outcome(&self) -> Outcome {
        let mut failures = self
            .findings
            .iter()
            .filter(|finding| finding.level == Level::Fail)
            .peekable();
        if failures.peek().is_none() {
            Outcome::Healthy
        } else if failures.all(|finding| finding.unreachable) {
            Outcome::Unreachable
        } else {
            Outcome::Failed
        }
    }

    /// The last line: `N ok, N warnings, N failures`.
    pub fn summary(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{} ok, {}, {}",
            self.count(Level::Ok),
            plural(self.count(Level::Warn), "warning", "warnings"),
            plural(self.count(Level::Fail), "failure", "failures"),
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        writeln!(f, "{}", self.summary())
    }
}

/// Checks `config` against the Bot API, the OpenID Connect provider, the running service at its
/// public URL and the database; `clock` is this machine's clock, `http` the client for every
/// request but the Bot API's own (give it a timeout and no redirects).
pub async fn run(config: &Config, clock: &dyn Clock, http: &reqwest::Client) -> Report {
    let client = Client::builder(config.bot_token.clone())
        .base_url(config.bot_api_url.clone())
        .request_timeout(BOT_API_TIMEOUT)
        .connect_timeout(BOT_API_TIMEOUT)
        .retry_policy(RetryPolicy::none())
        .build();
    let (me, bot_findings) = match &client {
        Ok(client) => bot_token(config, client).await,
        Err(error) => (
            None,
            vec![Finding::fail(
                Check::BotToken,
                format!("the Bot API URL cannot be used: {error}"),
                "set TGAUTH_BOT_API_URL to the Bot API's base URL (https://api.telegram.org)",
            )],
        ),
    };
    let telegram = Telegram::detect(config, http, me.as_ref()).await;
    let webhook = async {
        match (&client, &me) {
            (Ok(client), Some(_)) => webhook(config, client).await,
            _ => vec![Finding::info(
                Check::Webhook,
                "not checked: the bot token does not work (see above)",
            )],
        }
    };
    let (oidc, opener, webhook, clock, database) = tokio::join!(
        oidc(config),
        opener_policy(config, http),
        webhook,
        clock_offset(config, clock, http),
        database(config),
    );
    let mut findings = bot_findings;
    findings.extend(public_url(config, &telegram));
    findings.extend(oidc);
    findings.extend(opener);
    findings.extend(passport_key(config, &telegram, me.as_ref()));
    findings.extend(webhook);
    findings.extend(clock);
    findings.extend(database);
    Report { findings }
}

/// Whom the configuration talks to: Telegram, or the telegram-sandbox (whose control API says
/// what Telegram keeps to itself).
#[derive(Debug)]
enum Telegram {
    /// The cloud Bot API (or a local Bot API server in front of it).
    Cloud,
    /// The sandbox, with the bot's registered Passport public key.
    Sandbox {
        passport_public_key_pem: Option<String>,
    },
    /// A Bot API on loopback that did not answer `getMe`: the sandbox or a local Bot API server.
    Unknown,
}

impl Telegram {
    /// Asks `GET <bot_api_url>/sandbox/bots/<username>` when the Bot API is on loopback (the
    /// sandbox's control API answers only there); anything but the sandbox's answer is Telegram.
    async fn detect(config: &Config, http: &reqwest::Client, me: Option<&User>) -> Self {
        let Ok(mut url) = reqwest::Url::parse(&config.bot_api_url) else {
            return Self::Cloud;
        };
        if !url.host_str().is_some_and(is_loopback_host) {
            return Self::Cloud;
        }
        let Some(username) = me.and_then(|me| me.username.as_deref()) else {
            return Self::Unknown;
        };
        match url.path_segments_mut() {
            Ok(mut segments) => {
                segments
                    .pop_if_empty()
                    .extend(["sandbox", "bots", username]);
            }
            Err(()) => return Self::Cloud,
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            ok: bool,
            result: Option<SandboxBot>,
        }
        #[derive(serde::Deserialize)]
        struct SandboxBot {
            #[allow(dead_code, reason = "its presence tells the sandbox's answer apart")]
            user: serde_json::Value,
            passport_public_key_pem: Option<String>,
        }
        let Ok(response) = http.get(url).send().await else {
            return Self::Cloud;
        };
        if !response.status().is_success() {
            return Self::Cloud;
        }
        match response.json::<Answer>().await {
            Ok(Answer {
                ok: true,
                result: Some(bot),
            }) => Self::Sandbox {
                passport_public_key_pem: bot.passport_public_key_pem,
            },
            _ => Self::Cloud,
        }
    }

    fn is_sandbox(&self) -> bool {
        matches!(self, Self::Sandbox { .. })
    }
}

/// `getMe` with the token, and the configured username against its answer.
async fn bot_token(config: &Config, client: &Client) -> (Option<User>, Vec<Finding>) {
    let check = Check::BotToken;
    let me = match client.me().await {
        Ok(me) => me,
        Err(tgauth::bot::Error::Api { error, .. })
            if error.kind() == ApiErrorKind::Unauthorized =>
        {
            let finding = Finding::fail(
                check,
                format!(
                    "Telegram refuses the token of bot id {} (401 Unauthorized): it is wrong or was revoked",
                    config.bot_token.bot_id()
                ),
                "copy the token from @BotFather again (/mybots, the bot, API Token) into TGAUTH_BOT_TOKEN or its file",
            );
            return (None, vec![finding]);
        }
        Err(tgauth::bot::Error::Transport { message, .. }) => {
            let finding = Finding::fail(
                check,
                format!(
                    "cannot reach the Bot API at {}: {message}",
                    config.bot_api_url
                ),
                "check TGAUTH_BOT_API_URL and that this machine reaches it (DNS, firewall, proxy)",
            )
            .unreachable();
            return (None, vec![finding]);
        }
        Err(error) => {
            let finding = Finding::fail(
                check,
                format!("getMe at {} failed: {error}", config.bot_api_url),
                "check TGAUTH_BOT_API_URL (https://api.telegram.org) and the token from @BotFather",
            );
            return (None, vec![finding]);
        }
    };
    let username = me.username.clone().unwrap_or_default();
    let mut findings = vec![Finding::ok(
        check,
        format!("getMe answers as @{username} (id {})", me.id),
    )];
    if let Some(configured) = &config.bot_username {
        let configured = configured.trim_start_matches('@');
        if !configured.eq_ignore_ascii_case(&username) {
            findings.push(Finding::fail(
                check,
                format!(
                    "bot_username is @{configured}, but the token is @{username}'s: deep links and the login widget would name the wrong bot"
                ),
                format!(
                    "set TGAUTH_BOT_USERNAME to {username}, or leave it unset (getMe tells it at start)"
                ),
            ));
        }
    }
    (Some(me), findings)
}

/// The public URL: https, a domain Telegram accepts, the domain to give @BotFather.
fn public_url(config: &Config, telegram: &Telegram) -> Vec<Finding> {
    let check = Check::PublicUrl;
    let url = &config.public_url;
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return vec![Finding::fail(
            check,
            format!("{url} is not a URL"),
            "set TGAUTH_PUBLIC_URL to the https URL browsers use",
        )];
    };
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let loopback = is_loopback_host(&host);
    let address = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok();
    let mut findings = Vec::new();
    if parsed.scheme() == "https" {
        findings.push(Finding::ok(check, format!("{url} is https")));
    } else if loopback {
        findings.push(Finding::warn(
            check,
            format!("{url} is http on loopback: Telegram refuses it, only the sandbox accepts it"),
            "with real Telegram, set TGAUTH_PUBLIC_URL to the https URL browsers use",
        ));
    } else {
        findings.push(Finding::fail(
            check,
            format!("{url} is not https; Telegram's login widget and OIDC need https"),
            "set TGAUTH_PUBLIC_URL to the https URL browsers use",
        ));
    }
    if telegram.is_sandbox() {
        findings.push(Finding::info(
            check,
            "the sandbox accepts any origin; with real Telegram the domain must be set with @BotFather /setdomain",
        ));
    } else if (loopback || address) && matches!(telegram, Telegram::Unknown) {
        findings.push(Finding::info(
            check,
            format!(
                "{host} works with the sandbox only; not checked further, since the Bot API on loopback did not say whether it is the sandbox"
            ),
        ));
    } else if loopback || address {
        findings.push(Finding::fail(
            check,
            format!(
                "{host} is {}: the login widget works only on the domain set with @BotFather /setdomain, and Telegram's OIDC refuses localhost redirect URIs",
                if loopback { "loopback" } else { "an IP address" }
            ),
            "serve the service at a domain name (TGAUTH_PUBLIC_URL=https://id.example.com), or try it offline with `tgauth serve --sandbox`",
        ));
    } else {
        findings.push(Finding::info(
            check,
            format!(
                "set the domain {host} with @BotFather /setdomain (the Bot API cannot read it, so doctor cannot check it)"
            ),
        ));
    }
    findings
}

/// The OpenID Connect client: configured, its redirect URI, the provider's discovery and keys.
async fn oidc(config: &Config) -> Vec<Finding> {
    let check = Check::Oidc;
    let Some(secret) = &config.oidc_client_secret else {
        return vec![Finding::info(
            check,
            "not configured (no TGAUTH_OIDC_CLIENT_SECRET): the \"Log in with Telegram\" OpenID Connect button is off",
        )];
    };
    let Ok(secret) = std::str::from_utf8(secret.expose()) else {
        return vec![Finding::fail(
            check,
            "the client secret is not UTF-8 text",
            "set TGAUTH_OIDC_CLIENT_SECRET to the client secret @BotFather shows",
        )];
    };
    let bot_id = config.bot_token.bot_id();
    let mut findings = vec![
        Finding::ok(
            check,
            format!("client id {bot_id} (the bot's id) with a client secret"),
        ),
        Finding::info(
            check,
            format!(
                "register the redirect URI {}/auth/telegram/oidc/callback with @BotFather",
                config.public_url
            ),
        ),
    ];
    let provider = Provider::with_base_url(&config.oidc_provider_url);
    let client = match OidcClient::for_bot(provider, bot_id, ClientSecret::new(secret)) {
        Ok(client) => client,
        Err(error) => {
            findings.push(Finding::fail(
                check,
                format!("the OIDC client cannot be made: {error}"),
                "check TGAUTH_OIDC_PROVIDER_URL",
            ));
            return findings;
        }
    };
    let provider_problem = |error: ClientError| {
        let unreachable = matches!(error, ClientError::Transport { .. });
        let finding = Finding::fail(
            check,
            format!("the provider at {}: {error}", config.oidc_provider_url),
            "check TGAUTH_OIDC_PROVIDER_URL (https://oauth.telegram.org) and that this machine reaches it",
        );
        finding.unreachable_when(unreachable)
    };
    let discovery = match client.discovery().await {
        Ok(discovery) => discovery,
        Err(error) => {
            findings.push(provider_problem(error));
            return findings;
        }
    };
    match client.jwks().await {
        Ok(jwks) if jwks.keys.is_empty() => findings.push(Finding::fail(
            check,
            format!(
                "the provider's JWKS at {} holds no key: no ID token could be verified",
                client.provider().jwks_uri()
            ),
            "check TGAUTH_OIDC_PROVIDER_URL (https://oauth.telegram.org)",
        )),
        Ok(jwks) => findings.push(Finding::ok(
            check,
            format!(
                "the provider's discovery document (issuer {}) and JWKS ({} key{}) fetch and parse",
                discovery.issuer,
                jwks.keys.len(),
                if jwks.keys.len() == 1 { "" } else { "s" }
            ),
        )),
        Err(error) => findings.push(provider_problem(error)),
    }
    findings
}

/// The `Cross-Origin-Opener-Policy` of `<public url>/login` as browsers get it (through any
/// proxy in front of the service).
async fn opener_policy(config: &Config, http: &reqwest::Client) -> Vec<Finding> {
    let check = Check::OpenerPolicy;
    let url = format!("{}/login", config.public_url);
    let response = match http.get(&url).send().await {
        Ok(response) => response,
        Err(error) => {
            return vec![Finding::warn(
                check,
                format!(
                    "cannot reach {url} ({}); doctor checks this on the running service",
                    transport_problem(&error)
                ),
                "start `tgauth serve` and run doctor again where browsers reach its public URL",
            )];
        }
    };
    let status = response.status();
    if !(status.is_success() || status.is_redirection()) {
        return vec![Finding::warn(
            check,
            format!(
                "{url} answers {status}, not the service's login page; doctor checks the header there"
            ),
            "make TGAUTH_PUBLIC_URL the URL at which browsers reach this service",
        )];
    }
    let policies: Vec<String> = response
        .headers()
        .get_all("cross-origin-opener-policy")
        .iter()
        .map(|value| {
            let value = String::from_utf8_lossy(value.as_bytes());
            // A policy may carry parameters (`same-origin; report-to="coop"`).
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let fix = "make the proxy in front of the service send `Cross-Origin-Opener-Policy: same-origin-allow-popups` on the service's pages (or pass the service's own header through)";
    if let Some(bad) = policies.iter().find(|policy| *policy == "same-origin") {
        return vec![Finding::fail(
            check,
            format!(
                "{url} is served with `{bad}`: the login widget's popup cannot report back to the page"
            ),
            fix,
        )];
    }
    match policies.as_slice() {
        [] => vec![Finding::ok(
            check,
            format!("{url} sends none (the widget's popup can report back)"),
        )],
        [policy] if policy == "same-origin-allow-popups" || policy == "unsafe-none" => {
            vec![Finding::ok(check, format!("{url} sends `{policy}`"))]
        }
        _ => vec![Finding::warn(
            check,
            format!(
                "{url} sends `{}`, which doctor does not know to keep the widget's popup working",
                policies.join(", ")
            ),
            fix,
        )],
    }
}

/// The Passport key: parses, RSA of at least 2048 bits, its fingerprint, and (against the
/// sandbox) the public key the bot registered.
fn passport_key(config: &Config, telegram: &Telegram, me: Option<&User>) -> Vec<Finding> {
    let check = Check::PassportKey;
    let Some(pem) = &config.passport_key else {
        return vec![Finding::info(
            check,
            "not configured (no TGAUTH_PASSPORT_KEY): Passport requests are off",
        )];
    };
    let fix_key = "set TGAUTH_PASSPORT_KEY to the bot's RSA private key in PEM (`tgauth keygen` makes one of 2048 bits or more)";
    let Ok(text) = std::str::from_utf8(pem.expose()) else {
        return vec![Finding::fail(check, "not UTF-8 PEM", fix_key)];
    };
    let key = match PrivateKey::from_pem(text) {
        Ok(key) => key,
        Err(error) => {
            return vec![Finding::fail(
                check,
                format!("not a usable RSA private key: {error}"),
                fix_key,
            )];
        }
    };
    let public = key.public_key();
    let fingerprint = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        &public.to_spki_der(),
    ));
    let mut findings = vec![Finding::ok(
        check,
        format!(
            "RSA {} bits; its public key's SHA-256 (of the DER SubjectPublicKeyInfo) is {fingerprint}",
            public.bits()
        ),
    )];
    let bot = me
        .and_then(|me| me.username.as_deref())
        .map_or_else(|| "the bot".to_owned(), |name| format!("@{name}"));
    let fix_registration = format!(
        "give @BotFather the public key of TGAUTH_PASSPORT_KEY: /setpublickey, choose {bot}, paste the output of `openssl rsa -pubout` of the key"
    );
    match telegram {
        Telegram::Cloud | Telegram::Unknown => findings.push(Finding::info(
            check,
            format!(
                "it must be the key given to @BotFather with /setpublickey for {bot}; the Bot API cannot read the registered key, so doctor cannot compare"
            ),
        )),
        Telegram::Sandbox {
            passport_public_key_pem: None,
        } => findings.push(Finding::fail(
            check,
            format!("the sandbox has no Passport public key registered for {bot}: Passport requests would be refused"),
            fix_registration,
        )),
        Telegram::Sandbox {
            passport_public_key_pem: Some(registered),
        } => {
            match tgauth::passport::key::PublicKey::from_pem(registered) {
                Ok(registered) if registered.to_spki_der() == public.to_spki_der() => {
                    findings.push(Finding::ok(
                        check,
                        format!("the sandbox has this public key registered for {bot}"),
                    ));
                }
                Ok(registered) => {
                    let theirs = hex::encode(ring::digest::digest(
                        &ring::digest::SHA256,
                        &registered.to_spki_der(),
                    ));
                    findings.push(Finding::fail(
                        check,
                        format!(
                            "{bot} registered another public key (SHA-256 {theirs}): Passport data would be encrypted to a key this service does not hold"
                        ),
                        fix_registration,
                    ));
                }
                Err(error) => findings.push(Finding::fail(
                    check,
                    format!("the public key the sandbox holds for {bot} does not parse: {error}"),
                    fix_registration,
                )),
            }
        }
    }
    findings
}

/// `getWebhookInfo` against the update mode: the service's webhook URL in webhook mode, none
/// while polling; the pending updates and Telegram's last delivery error.
async fn webhook(config: &Config, client: &Client) -> Vec<Finding> {
    let check = Check::Webhook;
    let info = match client.webhook_info().await {
        Ok(info) => info,
        Err(error) => {
            let unreachable = matches!(error, tgauth::bot::Error::Transport { .. });
            let finding = Finding::fail(
                check,
                format!("getWebhookInfo failed: {error}"),
                "check TGAUTH_BOT_API_URL and that this machine reaches it",
            );
            return vec![finding.unreachable_when(unreachable)];
        }
    };
    let pending = match info.pending_update_count {
        1 => "1 update pending".to_owned(),
        n => format!("{n} updates pending"),
    };
    let mut findings = Vec::new();
    match config.updates {
        UpdatesMode::Webhook => {
            let shown = format!("{}/telegram/webhook/<secret path>", config.public_url);
            match crate::bot::webhook_path(config) {
                None => findings.push(Finding::fail(
                    check,
                    "webhook mode without a webhook secret",
                    "set TGAUTH_WEBHOOK_SECRET (1-256 characters of A-Z a-z 0-9 _ -)",
                )),
                Some(_) if info.url.is_empty() => findings.push(Finding::warn(
                    check,
                    format!(
                        "none set ({pending}); `tgauth serve` registers {shown} when it starts"
                    ),
                    "start `tgauth serve` (it registers the webhook) and run doctor again",
                )),
                Some(path) => {
                    let expected = format!("{}/telegram/webhook/{path}", config.public_url);
                    if tgauth::constant_time_eq(info.url.as_bytes(), expected.as_bytes()) {
                        findings.push(Finding::ok(check, format!("set to {shown} ({pending})")));
                    } else {
                        findings.push(Finding::fail(
                            check,
                            format!(
                                "set to another URL ({}), not {shown}: Telegram delivers the updates elsewhere",
                                redacted_url(&info.url)
                            ),
                            "restart `tgauth serve` (it registers its webhook when it starts) and stop whatever else sets this bot's webhook (another deployment with the same token?)",
                        ));
                    }
                }
            }
        }
        // Polling, and any mode a later build adds: no webhook may stand in getUpdates' way.
        _ => {
            if info.url.is_empty() {
                findings.push(Finding::ok(
                    check,
                    format!("none set, as polling needs ({pending})"),
                ));
            } else {
                findings.push(Finding::fail(
                    check,
                    format!(
                        "a webhook is set ({}) while the service polls: getUpdates answers 409 Conflict and no update arrives",
                        redacted_url(&info.url)
                    ),
                    format!(
                        "delete it (curl {}/bot<TOKEN>/deleteWebhook, with the bot's token) or set TGAUTH_UPDATES=webhook",
                        config.bot_api_url
                    ),
                ));
            }
        }
    }
    findings.extend(last_delivery_error(config, &info));
    findings
}

/// Telegram's last failed webhook delivery, as a warning with its message.
fn last_delivery_error(config: &Config, info: &WebhookInfo) -> Option<Finding> {
    let message = info.last_error_message.as_deref()?;
    let at = info
        .last_error_date
        .map(|date| format!(" at {}", httpdate::fmt_http_date(date.to_system_time())))
        .unwrap_or_default();
    let refused_secret = message.contains(" 401") || message.contains(" 403");
    let fix = if refused_secret {
        "the service refused Telegram's secret token: restart `tgauth serve` so that it registers the webhook with TGAUTH_WEBHOOK_SECRET again (every replica must have the same secret)".to_owned()
    } else {
        format!(
            "make {} reachable from the internet over https with a publicly trusted certificate, and `tgauth serve` running behind it",
            config.public_url
        )
    };
    Some(Finding::warn(
        Check::Webhook,
        format!("Telegram's last delivery failed{at}: {message}"),
        fix,
    ))
}

/// This machine's clock against the `Date` of the Bot API's answer to a request without the
/// token (`GET <bot api url>/`): logins carry Telegram's time.
async fn clock_offset(config: &Config, clock: &dyn Clock, http: &reqwest::Client) -> Vec<Finding> {
    let check = Check::Clock;
    let url = format!("{}/", config.bot_api_url);
    let fix_unknown = "run doctor again where the Bot API is reachable";
    let response = match http.get(&url).send().await {
        Ok(response) => response,
        Err(error) => {
            return vec![Finding::warn(
                check,
                format!(
                    "not checked: cannot reach {url} ({})",
                    transport_problem(&error)
                ),
                fix_unknown,
            )];
        }
    };
    let now = clock.now();
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok());
    let Some(date) = date else {
        return vec![Finding::warn(
            check,
            format!("not checked: {url} answered without a readable Date header"),
            fix_unknown,
        )];
    };
    let telegram = UnixTime::from(date);
    let offset = now.0.saturating_sub(telegram.0);
    let max_age = i64::try_from(config.login_max_age.as_secs()).unwrap_or(i64::MAX);
    let fix = "synchronise this machine's clock (NTP: `timedatectl set-ntp true`, or chrony)";
    let distance = offset.unsigned_abs();
    if distance <= CLOCK_SKEW.unsigned_abs() {
        vec![Finding::ok(
            check,
            format!("within {distance} s of the Bot API's Date"),
        )]
    } else if offset < 0 {
        vec![Finding::fail(
            check,
            format!(
                "{distance} s behind the Bot API's Date: Telegram's logins would carry an auth_date in the future (more than {CLOCK_SKEW} s) and be refused"
            ),
            fix,
        )]
    } else if offset > max_age {
        vec![Finding::fail(
            check,
            format!(
                "{distance} s ahead of the Bot API's Date, more than login_max_age_seconds ({max_age}): every login would be refused as expired"
            ),
            fix,
        )]
    } else {
        vec![Finding::warn(
            check,
            format!(
                "{distance} s ahead of the Bot API's Date: logins age faster (login_max_age_seconds is {max_age})"
            ),
            fix,
        )]
    }
}

/// The database: reachable, and at this build's latest migration. Read-only: a SQLite file
/// that does not exist is not created, nothing is migrated.
async fn database(config: &Config) -> Vec<Finding> {
    let check = Check::Database;
    sqlx::any::install_default_drivers();
    let url = &config.database;
    let (shown, connect_url, migrator) = if url.starts_with("sqlite:") {
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        if !std::path::Path::new(path).exists() {
            return vec![Finding::warn(
                check,
                format!("no SQLite file at {path} yet: never migrated"),
                "`tgauth serve` creates and migrates it on start",
            )];
        }
        (
            format!("SQLite {path}"),
            format!("sqlite://{path}?mode=ro"),
            &crate::store::SQLITE_MIGRATIONS,
        )
    } else {
        (
            format!("PostgreSQL {}", redacted_database(url)),
            url.clone(),
            &crate::store::POSTGRES_MIGRATIONS,
        )
    };
    let connected = match sqlx::any::AnyConnectOptions::from_str(&connect_url) {
        Ok(options) => sqlx::AnyConnection::connect_with(&options).await,
        Err(error) => Err(error),
    };
    let mut connection = match connected {
        Ok(connection) => connection,
        Err(error) => {
            let unreachable = matches!(
                error,
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_)
            );
            let finding = Finding::fail(
                check,
                format!("cannot open {shown}: {error}"),
                "check TGAUTH_DATABASE and that the database server is up and reachable",
            );
            return vec![finding.unreachable_when(unreachable)];
        }
    };
    let applied = applied_migrations(&mut connection).await;
    let _ = connection.close().await;
    let applied = match applied {
        Ok(applied) => applied,
        Err(error) => {
            return vec![Finding::warn(
                check,
                format!(
                    "{shown} answers but has no readable migration table ({error}): never migrated"
                ),
                "`tgauth serve` migrates it on start",
            )];
        }
    };
    vec![migration_state(check, &shown, migrator, &applied)]
}

/// A row of `_sqlx_migrations`.
#[derive(Debug)]
struct Applied {
    version: i64,
    checksum: Vec<u8>,
    success: bool,
}

async fn applied_migrations(
    connection: &mut sqlx::AnyConnection,
) -> Result<Vec<Applied>, sqlx::Error> {
    let mut applied = Vec::new();
    // PostgreSQL keeps `success` as a boolean, SQLite as an integer; the Any driver binds
    // `true` and `false` as either, so each is its own query.
    for success in [true, false] {
        let rows = sqlx::query(
            "SELECT version, checksum FROM _sqlx_migrations WHERE success = $1 ORDER BY version",
        )
        .bind(success)
        .fetch_all(&mut *connection)
        .await?;
        for row in rows {
            applied.push(Applied {
                version: row.try_get(0)?,
                checksum: row.try_get(1)?,
                success,
            });
        }
    }
    applied.sort_by_key(|applied| applied.version);
    Ok(applied)
}

/// The applied migrations against this build's.
fn migration_state(
    check: Check,
    shown: &str,
    migrator: &sqlx::migrate::Migrator,
    applied: &[Applied],
) -> Finding {
    let known: Vec<&sqlx::migrate::Migration> = migrator.iter().collect();
    let latest = known.last().map_or(0, |migration| migration.version);
    let name = |version: i64| {
        known
            .iter()
            .find(|migration| migration.version == version)
            .map_or_else(
                || version.to_string(),
                |migration| format!("{version} ({})", migration.description),
            )
    };
    let restore = "run the tgauth build that migrated it, or restore a backup taken before";
    if let Some(failed) = applied.iter().find(|applied| !applied.success) {
        return Finding::fail(
            check,
            format!(
                "{shown}: migration {} failed part-way (_sqlx_migrations marks it unsuccessful); `tgauth serve` refuses to start on it",
                name(failed.version)
            ),
            "restore a backup taken before it, or finish that migration by hand and delete its row",
        );
    }
    if let Some(newer) = applied.iter().find(|applied| applied.version > latest) {
        return Finding::fail(
            check,
            format!(
                "{shown} was migrated by a newer build (migration {}; this build knows up to {latest}); `tgauth serve` refuses it",
                newer.version
            ),
            restore,
        );
    }
    for row in applied {
        match known
            .iter()
            .find(|migration| migration.version == row.version)
        {
            None => {
                return Finding::fail(
                    check,
                    format!(
                        "{shown} has migration {} applied, which this build does not have; `tgauth serve` refuses it",
                        row.version
                    ),
                    restore,
                );
            }
            Some(migration) if *migration.checksum != *row.checksum => {
                return Finding::fail(
                    check,
                    format!(
                        "{shown}: migration {} was applied with other contents than this build's; `tgauth serve` refuses it",
                        name(row.version)
                    ),
                    restore,
                );
            }
            Some(_) => {}
        }
    }
    let missing: Vec<String> = known
        .iter()
        .filter(|migration| !applied.iter().any(|row| row.version == migration.version))
        .map(|migration| name(migration.version))
        .collect();
    if missing.is_empty() {
        Finding::ok(
            check,
            format!(
                "{shown} answers, at migration {}, this build's latest",
                name(latest)
            ),
        )
    } else if applied.is_empty() {
        Finding::warn(
            check,
            format!("{shown} answers but was never migrated (this build's latest is {latest})"),
            "`tgauth serve` migrates it on start",
        )
    } else {
        Finding::warn(
            check,
            format!(
                "{shown} is behind this build: {} of {} migrations applied, missing {}",
                applied.len(),
                known.len(),
                missing.join(", ")
            ),
            "`tgauth serve` migrates it on start (back it up first)",
        )
    }
}

/// A PostgreSQL URL without its password or parameters.
fn redacted_database(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some(tgauth::REDACTED));
            }
            parsed.set_query(None);
            parsed.to_string()
        }
        Err(_) => "(the configured URL)".to_owned(),
    }
}

/// A webhook URL someone else set: scheme and host only (its path may hold a secret).
fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => format!(
            "{}://{}/…",
            parsed.scheme(),
            parsed
                .host_str()
                .map(|host| match parsed.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                })
                .unwrap_or_default()
        ),
        Err(_) => "an unreadable URL".to_owned(),
    }
}

/// What went wrong with a request, without its URL (which doctor prints itself).
fn transport_problem(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_redirect() {
        "too many redirects"
    } else {
        "the request failed"
    }
}

/// Whether `host` (as a URL spells it) is the machine itself: `localhost`, `*.localhost`,
/// 127.0.0.0/8 or `[::1]`.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// Escapes control characters so that text from a server (Telegram's error messages) keeps a
/// finding on one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation stops the test"
)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_is_its_level_in_six_columns_and_its_fix_indented() {
        let finding = Finding::fail(
            Check::PublicUrl,
            "http://example.com is not https",
            "set TGAUTH_PUBLIC_URL",
        );
        assert_eq!(
            finding.to_string(),
            "fail  public url: http://example.com is not https\n      fix: set TGAUTH_PUBLIC_URL"
        );
        assert_eq!(
            Finding::ok(Check::BotToken, "fine").to_string(),
            "ok    bot token: fine"
        );
        assert_eq!(
            Finding::warn(Check::Clock, "off\nby\r one", "x").found,
            "off\\nby\\r one"
        );
    }

    #[test]
    fn the_outcome_tells_a_wrong_setting_from_something_unreachable() {
        let ok = Finding::ok(Check::BotToken, "fine");
        let down = Finding::fail(Check::Database, "down", "wait").unreachable();
        let wrong = Finding::fail(Check::PublicUrl, "http", "https");
        let report = |findings: Vec<Finding>| Report { findings };
        assert_eq!(report(vec![ok.clone()]).outcome(), Outcome::Healthy);
        assert_eq!(
            report(vec![ok.clone(), down.clone()]).outcome(),
            Outcome::Unreachable
        );
        assert_eq!(report(vec![down, wrong]).outcome(), Outcome::Failed);
        assert_eq!(
            report(vec![ok, Finding::warn(Check::Clock, "x", "y")]).summary(),
            "1 ok, 1 warning, 0 failures"
        );
    }

    /// The public URL's findings for `url` against the cloud Bot API, as printed.
    fn public_url_lines(url: &str) -> Vec<String> {
        let env = [
            (
                "TGAUTH_BOT_TOKEN",
                "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
            ),
            ("TGAUTH_COOKIE_KEY", &*"00".repeat(32)),
            ("TGAUTH_DATA_KEY", &*"00".repeat(32)),
        ];
        let args = crate::ServeArgs {
            public_url: Some(url.to_owned()),
            ..crate::ServeArgs::default()
        };
        let config = Config::load_with(args, &env).unwrap();
        public_url(&config, &Telegram::Cloud)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn real_telegram_needs_https_at_a_domain_set_with_botfather() {
        assert_eq!(
            public_url_lines("https://id.example.com/"),
            [
                "ok    public url: https://id.example.com is https",
                "info  public url: set the domain id.example.com with @BotFather /setdomain (the Bot API cannot read it, so doctor cannot check it)",
            ]
        );
        assert_eq!(
            public_url_lines("http://example.com")[0],
            "fail  public url: http://example.com is not https; Telegram's login widget and OIDC need https\n      fix: set TGAUTH_PUBLIC_URL to the https URL browsers use"
        );
        let address = public_url_lines("https://203.0.113.7");
        assert_eq!(address.len(), 2, "{address:?}");
        assert!(
            address[1].starts_with("fail  public url: 203.0.113.7 is an IP address: the login widget works only on the domain set with @BotFather /setdomain"),
            "{address:?}"
        );
        let loopback = public_url_lines("http://localhost:8080");
        assert!(
            loopback[0].starts_with("warn  public url: http://localhost:8080 is http on loopback"),
            "{loopback:?}"
        );
        assert!(
            loopback[1].starts_with("fail  public url: localhost is loopback: "),
            "{loopback:?}"
        );
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "app.localhost",
            "127.0.0.1",
            "127.8.0.1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["example.com", "localhost.example.com", "10.0.0.1", "[::2]"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn urls_are_shown_without_their_secrets() {
        assert_eq!(
            redacted_url("https://hook.example:8443/telegram/webhook/0123abcd?x=1"),
            "https://hook.example:8443/…"
        );
        let shown =
            redacted_database("postgres://tgauth:hunter2@db.example/tgauth?sslmode=require");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.example/tgauth"), "{shown}");
    }
}
