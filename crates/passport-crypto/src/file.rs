//! Decrypting downloaded Passport files in memory and streaming; output is untrusted until the hash is checked.
