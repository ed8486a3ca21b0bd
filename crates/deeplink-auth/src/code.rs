//! One-time link codes: at least 128 bits from the OS CSPRNG, base64url, never logged.
