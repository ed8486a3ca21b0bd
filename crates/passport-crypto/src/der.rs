//! The few DER structures of RSA keys this crate reads and writes, by hand: PKCS#1
//! `RSAPrivateKey`, PKCS#8 `PrivateKeyInfo` and X.509 `SubjectPublicKeyInfo`.
//!
//! A full ASN.1 library would be a large dependency for four fixed shapes; the backends parse the
//! key again themselves, so this code only extracts the modulus and exponent and re-wraps.

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// The DER contents of the OID 1.2.840.113549.1.1.1 (`rsaEncryption`).
const RSA_ENCRYPTION_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A cursor over DER bytes; every read fails with `None` on malformed input, never panics.
struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// Reads one tag-length-value and returns the value when the tag matches.
    fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&found, rest) = self.input.split_first()?;
        if found != tag {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let length = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            // Indefinite lengths are BER, not DER; more than four length bytes is absurd here.
            if count == 0 || count > 4 {
                return None;
            }
            let (bytes, after) = rest.split_at_checked(count)?;
            rest = after;
            bytes
                .iter()
                .fold(0usize, |length, &byte| (length << 8) | usize::from(byte))
        };
        let (value, after) = rest.split_at_checked(length)?;
        self.input = after;
        Some(value)
    }

    /// Reads a non-negative INTEGER and returns its magnitude without leading zero bytes.
    fn read_unsigned(&mut self) -> Option<&'a [u8]> {
        let value = self.read(TAG_INTEGER)?;
        if value.first().is_some_and(|&byte| byte & 0x80 != 0) {
            return None;
        }
        let start = value
            .iter()
            .position(|&byte| byte != 0)
            .unwrap_or(value.len());
        value.get(start..)
    }
}

/// The public part of an RSA key: big-endian modulus and exponent without leading zeros.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RsaPublicParts {
    pub(crate) modulus: Vec<u8>,
    pub(crate) exponent: Vec<u8>,
}

impl RsaPublicParts {
    /// The modulus length in bits.
    pub(crate) fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(&top) => (self.modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
            None => 0,
        }
    }
}

/// Reads the modulus and public exponent of a PKCS#1 `RSAPrivateKey` or `RSAPublicKey`.
fn rsa_key_parts(der: &[u8], private: bool) -> Option<RsaPublicParts> {
    let mut outer = Reader::new(der);
    let mut key = Reader::new(outer.read(TAG_SEQUENCE)?);
    if !outer.is_empty() {
        return None;
    }
    if private {
        // version: 0 for two primes, 1 for multi-prime keys.
        key.read(TAG_INTEGER)?;
    }
    let modulus = key.read_unsigned()?.to_vec();
    let exponent = key.read_unsigned()?.to_vec();
    if modulus.is_empty() || exponent.is_empty() {
        return None;
    }
    Some(RsaPublicParts { modulus, exponent })
}

/// Reads the public parts of a PKCS#1 `RSAPrivateKey`.
pub(crate) fn pkcs1_private_parts(der: &[u8]) -> Option<RsaPublicParts> {
    rsa_key_parts(der, true)
}

/// Checks that the algorithm identifier is `rsaEncryption` with absent or NULL parameters.
fn check_rsa_algorithm(algorithm: &[u8]) -> Option<()> {
    let mut algorithm = Reader::new(algorithm);
    if algorithm.read(TAG_OID)? != RSA_ENCRYPTION_OID {
        return None;
    }
    if !algorithm.is_empty() {
        algorithm.read(TAG_NULL)?;
    }
    algorithm.is_empty().then_some(())
}

/// Returns the PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo` holding an RSA key.
pub(crate) fn pkcs8_rsa_private_key(der: &[u8]) -> Option<&[u8]> {
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.read(TAG_SEQUENCE)?);
    if !outer.is_empty() {
        return None;
    }
    info.read(TAG_INTEGER)?;
    check_rsa_algorithm(info.read(TAG_SEQUENCE)?)?;
    info.read(TAG_OCTET_STRING)
}

/// Reads the public parts of an X.509 `SubjectPublicKeyInfo` holding an RSA key.
pub(crate) fn spki_parts(der: &[u8]) -> Option<RsaPublicParts> {
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.read(TAG_SEQUENCE)?);
    if !outer.is_empty() {
        return None;
    }
    check_rsa_algorithm(info.read(TAG_SEQUENCE)?)?;
    let bits = info.read(TAG_BIT_STRING)?;
    if !info.is_empty() {
        return None;
    }
    // The first byte of a BIT STRING counts unused bits; a key is always whole bytes.
    let (&0, key) = bits.split_first()? else {
        return None;
    };
    rsa_key_parts(key, false)
}

/// Appends one DER tag-length-value.
fn write(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let length = value.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|&&byte| byte == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(value);
}

/// Appends a non-negative INTEGER, adding the leading zero byte DER needs for a set top bit.
fn write_unsigned(out: &mut Vec<u8>, magnitude: &[u8]) {
    let mut value = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|&byte| byte & 0x80 != 0) {
        value.push(0);
    }
    value.extend_from_slice(magnitude);
    write(out, TAG_INTEGER, &value);
}

/// The `rsaEncryption` algorithm identifier with NULL parameters, as OpenSSL writes it.
fn rsa_algorithm() -> Vec<u8> {
    let mut algorithm = Vec::new();
    write(&mut algorithm, TAG_OID, RSA_ENCRYPTION_OID);
    write(&mut algorithm, TAG_NULL, &[]);
    let mut out = Vec::new();
    write(&mut out, TAG_SEQUENCE, &algorithm);
    out
}

/// Wraps a PKCS#1 `RSAPrivateKey` in a PKCS#8 `PrivateKeyInfo` (version 0).
pub(crate) fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
    let mut body = zeroize::Zeroizing::new(Vec::with_capacity(pkcs1.len() + 32));
    write(&mut body, TAG_INTEGER, &[0]);
    body.extend_from_slice(&rsa_algorithm());
    write(&mut body, TAG_OCTET_STRING, pkcs1);
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(body.len() + 8));
    write(&mut out, TAG_SEQUENCE, &body);
    out
}

/// Encodes an X.509 `SubjectPublicKeyInfo` for an RSA key, byte for byte as OpenSSL does.
pub(crate) fn spki(parts: &RsaPublicParts) -> Vec<u8> {
    let mut integers = Vec::new();
    write_unsigned(&mut integers, &parts.modulus);
    write_unsigned(&mut integers, &parts.exponent);
    let mut key = vec![0];
    write(&mut key, TAG_SEQUENCE, &integers);
    let mut body = rsa_algorithm();
    write(&mut body, TAG_BIT_STRING, &key);
    let mut out = Vec::new();
    write(&mut out, TAG_SEQUENCE, &body);
    out
}
