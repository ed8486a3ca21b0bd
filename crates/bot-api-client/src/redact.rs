//! Removing bot tokens from text that leaves the crate: error messages, `Debug` output, logs.
//!
//! The client knows its own token and replaces it wherever it appears ([`sanitize`]). Two
//! shape-based passes catch what it cannot know: any `/bot<id>:<secret>` path segment (the token
//! of a request URL, whatever its length), and anything shaped like a token,
//! `<digits>:<30 or more of A-Z a-z 0-9 _ ->`, with the colon plain or percent-encoded (`%3A`),
//! wherever it stands: a local Bot API server's file paths
//! (`/var/lib/telegram-bot-api/<token>/documents/file_1.pdf`) and webhook URLs that carry the
//! token are the common cases.

use tgauth_core::{BotToken, REDACTED};

/// Replaces every occurrence of `token` (or its secret part), every `/bot<...>/` path segment
/// and everything else shaped like a token in `text`.
pub(crate) fn sanitize(token: &BotToken, text: &str) -> String {
    let text = text.replace(token.dangerous_expose(), REDACTED);
    let secret = token.dangerous_expose_secret();
    let text = if secret.is_empty() {
        text
    } else {
        text.replace(secret, REDACTED)
    };
    redact(&text)
}

/// The shortest secret part the shape-based pass takes for a token (real ones have 35).
const MIN_SECRET: usize = 30;

fn is_secret_byte(byte: &u8) -> bool {
    byte.is_ascii_alphanumeric() || *byte == b'_' || *byte == b'-'
}

/// Both passes.
pub(crate) fn redact(text: &str) -> String {
    redact_token_shapes(&redact_bot_paths(text))
}

/// Replaces the token of every `/bot<digits>:<secret>` (the paths `/bot<token>/` and
/// `/file/bot<token>/`), so even a token the client does not know is removed, while other text
/// such as `/bottle` stays as it was.
pub(crate) fn redact_bot_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/bot") {
        // "/bot" is ASCII, so `at + 4` is a character boundary.
        let (Some(before), Some(after)) = (rest.get(..at + 4), rest.get(at + 4..)) else {
            break;
        };
        out.push_str(before);
        let token = bot_path_token_length(after);
        if token > 0 {
            out.push_str(REDACTED);
        }
        rest = after.get(token..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// The length of a `<digits>:<secret>` token (colon plain or `%3A`) at the start of `text`, or 0.
fn bot_path_token_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let Some(separator) = separator_length(bytes, digits).filter(|_| digits > 0) else {
        return 0;
    };
    let start = digits.saturating_add(separator);
    let secret = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| is_secret_byte(b))
        .count();
    if secret == 0 {
        0
    } else {
        start.saturating_add(secret)
    }
}

/// The length of the separator (`:` or `%3A`) at `at`, if there is one.
fn separator_length(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    if rest.first() == Some(&b':') {
        Some(1)
    } else if rest
        .get(..3)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"%3a"))
    {
        Some(3)
    } else {
        None
    }
}

/// Replaces everything shaped like a bot token.
pub(crate) fn redact_token_shapes(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some((start, end)) = token_around(bytes, at).filter(|(start, _)| *start >= copied) {
            // Tokens are ASCII, so `start` and `end` are character boundaries.
            out.push_str(text.get(copied..start).unwrap_or_default());
            out.push_str(REDACTED);
            copied = end;
            at = end;
        } else {
            at = at.saturating_add(1);
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// The byte range of a token whose separator starts at `at`.
fn token_around(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let separator = separator_length(bytes, at)?;
    let digits = bytes
        .get(..at)?
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    // No upper bound on the digits: a longer run before a token is cut with it rather than
    // leaving the token in place.
    if digits == 0 {
        return None;
    }
    let secret_start = at.checked_add(separator)?;
    let secret = bytes
        .get(secret_start..)?
        .iter()
        .take_while(|b| is_secret_byte(b))
        .count();
    if secret < MIN_SECRET {
        return None;
    }
    Some((at.checked_sub(digits)?, secret_start.checked_add(secret)?))
}

#[cfg(test)]
mod tests {
    use super::{redact, redact_bot_paths};

    #[test]
    fn bot_paths_are_redacted_and_other_text_is_kept() {
        let check =
            |input: &str, expected: &str| assert_eq!(redact_bot_paths(input), expected, "{input}");
        check("http://h/bot1:a-_Z/getMe", "http://h/bot<redacted>/getMe");
        check(
            "GET /file/bot42:SeCrEt/photos/1.jpg failed",
            "GET /file/bot<redacted>/photos/1.jpg failed",
        );
        check("/bot1:x /bot2:y", "/bot<redacted> /bot<redacted>");
        check("/bot7%3Asecret/getMe", "/bot<redacted>/getMe");
        check(
            "see https://example.com/bottle/x",
            "see https://example.com/bottle/x",
        );
        check(
            "/bot123 and /bot:abc and /bot1:",
            "/bot123 and /bot:abc and /bot1:",
        );
        check("ünïcødé /bot9:é", "ünïcødé /bot9:é");
        check("/bot", "/bot");
    }

    #[test]
    fn token_shapes_are_redacted_anywhere() {
        let secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
        let check = |input: &str, expected: &str| assert_eq!(redact(input), expected, "{input}");
        check(
            &format!("/var/lib/telegram-bot-api/123456:{secret}/documents/file_1.pdf"),
            "/var/lib/telegram-bot-api/<redacted>/documents/file_1.pdf",
        );
        check(
            &format!("https://example.com/hook/123456%3a{secret}?x=1"),
            "https://example.com/hook/<redacted>?x=1",
        );
        check(
            &format!("token=123456:{secret}, again 9:{secret}"),
            "token=<redacted>, again <redacted>",
        );
        // Not token-shaped: a short secret part, no id, a time of day.
        check("id 123:short_secret", "id 123:short_secret");
        check(&format!(":{secret}"), &format!(":{secret}"));
        check("at 12:30", "at 12:30");
        check("ünï 1:é", "ünï 1:é");
        // A longer digit run before a token goes with it.
        check(&format!("v{}:{secret}", "1".repeat(40)), "v<redacted>");
    }

    proptest::proptest! {
        #![proptest_config(tgauth_tests::proptest_config(256))]

        #[test]
        fn any_text_around_a_token_loses_the_token(
            prefix in "\\PC{0,40}",
            suffix in "\\PC{0,40}",
            encoded in proptest::bool::ANY,
        ) {
            let secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
            let separator = if encoded { "%3A" } else { ":" };
            let text = format!("{prefix}123456{separator}{secret}{suffix}");
            let redacted = redact(&text);
            proptest::prop_assert!(!redacted.contains(secret), "{}", redacted);
            proptest::prop_assert!(redacted.contains("<redacted>"));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = redact(&text);
        }
    }
}
