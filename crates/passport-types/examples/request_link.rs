//! Builds a Telegram Passport request: validates the scope, then writes the `tg://` link the
//! official JS SDK would open and an HTML button for it.
//!
//! Run with `cargo run -p passport-types --example request_link`.

use std::io::Write as _;

use passport_types::element::ElementType;
use passport_types::scope::{PassportRequest, PassportScope, ScopeElement, ScopeElementOne};
use passport_types::tgauth_core::BotId;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A passport or identity card with a selfie, personal details with native names, any proof
    // of address, and a phone number.
    let scope = PassportScope::new(vec![
        ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]).with_selfie(),
        ScopeElementOne::new(ElementType::PersonalDetails)
            .with_native_names()
            .into(),
        ScopeElement::one_of(ElementType::ADDRESS_DOCUMENTS),
        ElementType::PhoneNumber.into(),
    ]);
    let request = PassportRequest {
        bot_id: BotId(123456789),
        scope,
        // What `openssl rsa -pubout` prints for the bot's key (shortened here).
        public_key: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----\n"
            .to_owned(),
        // In a service: a fresh nonce from a CSPRNG, bound to the user, used once.
        nonce: "3q2-7w_example-nonce".to_owned(),
        callback_url: Some("https://example.com/passport/done".to_owned()),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "scope: {}", request.scope)?;
    writeln!(out, "link:  {}", request.url()?)?;
    writeln!(
        out,
        "html:  {}",
        request.html_button("Log in with Telegram Passport")?
    )?;
    Ok(())
}
