//! A strict, small PEM (RFC 7468) decoder and encoder: LF or CRLF line endings, one block.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// One decoded PEM block.
pub(crate) struct Block {
    /// The label between `BEGIN ` and the dashes, e.g. `RSA PRIVATE KEY`.
    pub(crate) label: String,
    /// Whether the block carried RFC 1421 headers (`Proc-Type: 4,ENCRYPTED` and similar).
    pub(crate) has_headers: bool,
    /// The decoded contents; zeroized because they are usually key material.
    pub(crate) contents: Zeroizing<Vec<u8>>,
}

/// Why a text is not one PEM block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PemError {
    /// No `-----BEGIN ...-----` line.
    NoBegin,
    /// No matching `-----END ...-----` line.
    NoEnd,
    /// The body is not standard base64.
    Base64,
}

impl PemError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::NoBegin => "no `-----BEGIN` line",
            Self::NoEnd => "no matching `-----END` line",
            Self::Base64 => "the body is not valid base64",
        }
    }
}

/// Decodes the first PEM block of `text`; text before it (OpenSSL's "Bag Attributes") is skipped.
pub(crate) fn decode(text: &str) -> Result<Block, PemError> {
    let mut lines = text.lines().map(|line| line.trim_end_matches('\r').trim());
    let label = lines
        .by_ref()
        .find_map(|line| {
            line.strip_prefix("-----BEGIN ")
                .and_then(|rest| rest.strip_suffix("-----"))
        })
        .ok_or(PemError::NoBegin)?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut body = Zeroizing::new(String::new());
    let mut has_headers = false;
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            has_headers = true;
            continue;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(PemError::NoEnd);
    }
    let contents = Zeroizing::new(
        STANDARD
            .decode(body.as_bytes())
            .map_err(|_| PemError::Base64)?,
    );
    Ok(Block {
        label,
        has_headers,
        contents,
    })
}

/// Encodes one PEM block with 64-character lines and LF endings, as OpenSSL writes them.
pub(crate) fn encode(label: &str, contents: &[u8]) -> Zeroizing<String> {
    let body = Zeroizing::new(STANDARD.encode(contents));
    let mut out = Zeroizing::new(String::with_capacity(body.len() + body.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in body.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}
