//! `cargo xtask fixtures [--check]`: committed test fixtures, regenerated deterministically.
//!
//! Every generator returns the files it owns with their full contents. Writing touches a file
//! only when its content changes; checking fails when any file differs, and the
//! `fixtures_are_fresh` test runs the check so a plain `cargo test` catches stale fixtures.

use std::{fs, path::PathBuf};

use crate::{Result, project_root};

/// Whether to write the fixtures or only compare them with what is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

/// One generated file: its path relative to the project root and its contents.
pub(crate) struct Fixture {
    pub(crate) path: PathBuf,
    pub(crate) contents: Vec<u8>,
}

/// Every fixture generator of the project. Later components add theirs here.
fn generators() -> Vec<fn() -> Result<Vec<Fixture>>> {
    vec![passport_sample, passport_sample_for_readers]
}

/// Where README's Passport example reads its sample: outside the test directories, so that the
/// example does not depend on test data staying where it is.
const PASSPORT_EXAMPLE: &str = "docs/samples/passport";

/// The same sample passport, its files and the test-only key, for README's example.
fn passport_sample_for_readers() -> Result<Vec<Fixture>> {
    let mut fixtures: Vec<Fixture> = passport_sample()?
        .into_iter()
        .map(|fixture| Fixture {
            path: PathBuf::from(PASSPORT_EXAMPLE).join(
                fixture
                    .path
                    .strip_prefix(PASSPORT_DATA)
                    .unwrap_or(&fixture.path),
            ),
            contents: fixture.contents,
        })
        .collect();
    let key_path = project_root().join(PASSPORT_DATA).join("test-key.pem");
    let key = fs::read(&key_path).map_err(|error| format!("{}: {error}", key_path.display()))?;
    fixtures.push(Fixture {
        path: PathBuf::from(PASSPORT_EXAMPLE).join("sample-key.pem"),
        contents: key,
    });
    Ok(fixtures)
}

/// Where the sample passport and its encrypted files are written.
const PASSPORT_DATA: &str = "crates/passport-crypto/tests/it/data";

/// A sample passport with every element type and a few files, sealed as the Telegram app would
/// to the committed test-only key with a seeded RNG: a Bot API `Message` holding
/// `passport_data`, plus each file's encrypted bytes under `sample-files/<file_id>`. The CLI's
/// README demo (`tgauth passport decrypt`) and passport-crypto's snapshot tests use it.
fn passport_sample() -> Result<Vec<Fixture>> {
    use passport_crypto::key::PrivateKey;
    use passport_crypto::seal::{ElementToSeal, FileToSeal, seal};
    use passport_crypto::tgauth_core::UnixTime;
    use passport_types::element::ElementType;
    use rand_core::SeedableRng as _;

    let root = project_root();
    let key_path = root.join(PASSPORT_DATA).join("test-key.pem");
    let pem = fs::read_to_string(&key_path)
        .map_err(|error| format!("{}: {error}", key_path.display()))?;
    let key = PrivateKey::from_pem(&pem).map_err(|error| format!("test key: {error}"))?;

    let date = 1_795_219_200; // 2026-11-21
    let mut counter = 0;
    let mut file = |what: &str, size: usize| {
        counter += 1;
        // Recognisable text that fills `size` bytes: the "scan" of a sample document.
        let line = format!("sample {what} scan #{counter}\n");
        let contents = line.bytes().cycle().take(size).collect();
        FileToSeal::new(
            format!("sample-file-{counter:02}"),
            format!("sample-unique-{counter:02}"),
            UnixTime(date),
            contents,
        )
    };
    let element = |kind: ElementType, data: Option<serde_json::Value>| {
        let mut element = ElementToSeal::new(kind);
        element.data = data.map(|data| data.to_string().into_bytes());
        element
    };
    let document = |number: &str, expiry: Option<&str>| {
        let mut data = serde_json::json!({ "document_no": number });
        if let Some(expiry) = expiry {
            data["expiry_date"] = expiry.into();
        }
        Some(data)
    };

    let mut elements = vec![element(
        ElementType::PersonalDetails,
        Some(serde_json::json!({
            "first_name": "Ada", "middle_name": "Augusta", "last_name": "Lovelace",
            "birth_date": "10.12.1815", "gender": "female", "country_code": "GB",
            "residence_country_code": "GB", "first_name_native": "Ada",
            "last_name_native": "Lovelace",
        })),
    )];
    let mut passport = element(
        ElementType::Passport,
        document("P0001815", Some("10.12.2035")),
    );
    passport.front_side = Some(file("passport front side", 1500));
    passport.selfie = Some(file("passport selfie", 2100));
    passport.translation = Some(vec![file("passport translation", 700)]);
    elements.push(passport);
    let mut licence = element(
        ElementType::DriverLicense,
        document("DL-1843", Some("01.01.2001")),
    );
    licence.front_side = Some(file("driver license front side", 900));
    licence.reverse_side = Some(file("driver license reverse side", 0));
    elements.push(licence);
    let mut card = element(ElementType::IdentityCard, document("ID-77", None));
    card.front_side = Some(file("identity card front side", 300));
    card.reverse_side = Some(file("identity card reverse side", 301));
    elements.push(card);
    let mut internal = element(ElementType::InternalPassport, document("IP-5", None));
    internal.front_side = Some(file("internal passport front side", 64));
    elements.push(internal);
    elements.push(element(
        ElementType::Address,
        Some(serde_json::json!({
            "street_line1": "12 St James's Square", "city": "London", "country_code": "GB",
            "post_code": "SW1Y 4JH",
        })),
    ));
    for (kind, name) in [
        (ElementType::UtilityBill, "utility bill"),
        (ElementType::BankStatement, "bank statement"),
        (ElementType::RentalAgreement, "rental agreement"),
        (ElementType::PassportRegistration, "passport registration"),
        (ElementType::TemporaryRegistration, "temporary registration"),
    ] {
        let mut proof = element(kind, None);
        if name == "utility bill" {
            proof.files = Some(vec![
                file("utility bill page 1", 1200),
                file("utility bill page 2", 800),
            ]);
            proof.translation = Some(vec![file("utility bill translation", 400)]);
        } else {
            proof.files = Some(vec![file(name, 500)]);
        }
        elements.push(proof);
    }
    let mut phone = element(ElementType::PhoneNumber, None);
    phone.phone_number = Some("441234567890".to_owned());
    elements.push(phone);
    let mut email = element(ElementType::Email, None);
    email.email = Some("ada@example.com".to_owned());
    elements.push(email);

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2026);
    let mut sealed = seal(key.public_key(), "sample-nonce-2026", &elements, &mut rng)
        .map_err(|error| format!("sealing the sample passport: {error}"))?;
    keep_committed_secret(&key, &mut sealed.passport_data.credentials);
    let message = serde_json::json!({
        "_generated": "generated by `cargo xtask fixtures`, do not edit",
        "message_id": 1,
        "date": date,
        "chat": { "id": 1815, "type": "private", "first_name": "Ada" },
        "from": { "id": 1815, "is_bot": false, "first_name": "Ada" },
        "passport_data": sealed.passport_data,
    });
    let mut json = serde_json::to_vec_pretty(&message).map_err(|error| error.to_string())?;
    json.push(b'\n');
    let mut fixtures = vec![Fixture {
        path: PathBuf::from(PASSPORT_DATA).join("sample-passport.json"),
        contents: json,
    }];
    for (file_id, ciphertext) in sealed.files {
        fixtures.push(Fixture {
            path: PathBuf::from(PASSPORT_DATA)
                .join("sample-files")
                .join(file_id),
            contents: ciphertext,
        });
    }
    Ok(fixtures)
}

/// Everything [`passport_sample`] seals comes from the seeded RNG except, on the default
/// aws-lc-rs backend, the RSA-OAEP seed of the encrypted secret (the `rsa` crate, which takes
/// the seed from the RNG, is kept out of default builds: RUSTSEC-2023-0071). So the committed
/// encrypted secret is kept when it opens the new credentials under the test key, that is
/// when it encrypts the same secret; a changed secret takes the new one.
fn keep_committed_secret(
    key: &passport_crypto::key::PrivateKey,
    credentials: &mut passport_types::received::EncryptedCredentials,
) {
    let path = project_root()
        .join(PASSPORT_DATA)
        .join("sample-passport.json");
    let committed = fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|message| {
            message["passport_data"]["credentials"]["secret"]
                .as_str()
                .map(str::to_owned)
        });
    if let Some(secret) = committed {
        let mut candidate = credentials.clone();
        candidate.secret = secret;
        if passport_crypto::open::open_credentials(key, &candidate).is_ok() {
            *credentials = candidate;
        }
    }
}

pub(crate) fn run(mode: Mode) -> Result<()> {
    let root = project_root();
    let mut stale = Vec::new();
    for generate in generators() {
        for fixture in generate()? {
            let path = root.join(&fixture.path);
            let current = fs::read(&path).ok();
            if current.as_deref() == Some(fixture.contents.as_slice()) {
                continue;
            }
            match mode {
                Mode::Check => stale.push(fixture.path.display().to_string()),
                Mode::Write => {
                    if let Some(parent) = path.parent() {
                        fs::create_dir_all(parent)
                            .map_err(|error| format!("{}: {error}", parent.display()))?;
                    }
                    fs::write(&path, &fixture.contents)
                        .map_err(|error| format!("{}: {error}", path.display()))?;
                    eprintln!("wrote {}", fixture.path.display());
                }
            }
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stale fixtures: {}; run `cargo xtask fixtures` and commit",
            stale.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{Mode, run};

    #[test]
    fn fixtures_are_fresh() {
        if let Err(message) = run(Mode::Check) {
            panic!("{message}");
        }
    }
}
