//! Mini App `initData`: first-party HMAC under HMAC-SHA-256("WebAppData", token), third-party Ed25519.
