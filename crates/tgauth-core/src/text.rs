//! HTML escaping and URI encoding, on `html-escape` and `percent-encoding`.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, PercentEncode};

use crate::Error;

/// Escapes text for a quoted HTML attribute value or element content: `&`, `<`, `>`, `"` and
/// `'` become character references.
///
/// ```
/// assert_eq!(tgauth_core::escape_html("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#x27;");
/// assert!(matches!(tgauth_core::escape_html("plain"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn escape_html(text: &str) -> Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// Everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`: what JavaScript's `encodeURIComponent`
/// escapes.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes `value` exactly as JavaScript's `encodeURIComponent`: everything but
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )` becomes `%XX` of its UTF-8 bytes, in upper-case hex.
///
/// ```
/// assert_eq!(tgauth_core::encode_uri_component("a b/ü").to_string(), "a%20b%2F%C3%BC");
/// ```
pub fn encode_uri_component(value: &str) -> PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(value, URI_COMPONENT)
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space), strictly: a `%`
/// without two hexadecimal digits and a result that is not UTF-8 are errors, because lossy
/// decoding would hand a verifier something other than what was received. Borrows when there
/// is nothing to decode.
///
/// ```
/// use tgauth_core::{Error, decode_form_component};
///
/// assert_eq!(decode_form_component("Ada+L%C3%BCvelace").as_deref(), Ok("Ada Lüvelace"));
/// assert_eq!(decode_form_component("100%"), Err(Error::InvalidPercentEncoding));
/// assert_eq!(decode_form_component("%FF"), Err(Error::InvalidUtf8));
/// ```
pub fn decode_form_component(text: &str) -> Result<Cow<'_, str>, Error> {
    let bytes = text.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%' || b == b'+') else {
        return Ok(Cow::Borrowed(text));
    };
    let (plain, rest) = bytes.split_at(first);
    let mut unchecked = rest;
    while let Some(at) = unchecked.iter().position(|&b| b == b'%') {
        match unchecked.get(at + 1..at + 3) {
            Some([high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                unchecked = unchecked.get(at + 3..).unwrap_or_default();
            }
            _ => return Err(Error::InvalidPercentEncoding),
        }
    }
    // One allocation of the input's length: decoding only shrinks (the login verifiers run this
    // on every escaped field, so reallocations showed in their benchmark).
    let mut decoded = Vec::with_capacity(bytes.len());
    decoded.extend_from_slice(plain);
    if rest.contains(&b'+') {
        let spaced: Vec<u8> = rest
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        decoded.extend(percent_encoding::percent_decode(&spaced));
    } else {
        decoded.extend(percent_encoding::percent_decode(rest));
    }
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|_| Error::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_encode_uri_component() {
        // The expected text is what `encodeURIComponent` returns in a browser.
        let input = "AZaz09-_.!~*'() \"#$%&+,/:;<=>?@[\\]^`{|}\n€";
        let expected = "AZaz09-_.!~*'()%20%22%23%24%25%26%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%0A%E2%82%AC";
        assert_eq!(encode_uri_component(input).to_string(), expected);
    }

    #[test]
    fn decoding_is_strict() {
        assert_eq!(decode_form_component("").as_deref(), Ok(""));
        assert_eq!(decode_form_component("a%2Bb+c").as_deref(), Ok("a+b c"));
        assert_eq!(decode_form_component("%e2%82%ac").as_deref(), Ok("€"));
        for bad in ["%", "%2", "%zz", "a%g1", "%%41"] {
            assert_eq!(
                decode_form_component(bad),
                Err(Error::InvalidPercentEncoding),
                "{bad}"
            );
        }
        assert_eq!(decode_form_component("%C3"), Err(Error::InvalidUtf8));
    }

    proptest::proptest! {
        #[test]
        fn decoding_inverts_form_encoding(text in "\\PC*") {
            let encoded: String = percent_encoding::utf8_percent_encode(&text, NON_ALPHANUMERIC).to_string();
            let decoded = decode_form_component(&encoded);
            proptest::prop_assert_eq!(decoded.as_deref(), Ok(text.as_str()));
        }

        #[test]
        fn decoding_never_panics(text in ".*") {
            let _ = decode_form_component(&text);
        }
    }
}
