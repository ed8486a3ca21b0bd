//! `tgauth keygen` and `tgauth passport decrypt|request-url`: the bot's key and Telegram
//! Passport data.
//!
//! - `keygen` writes a new private key (PKCS#8 PEM, mode 0600, never over an existing file
//!   without `--force`) and prints its public key with the BotFather steps.
//! - `passport decrypt` opens `PassportData` (alone, in a Message or in an Update) and prints
//!   one JSON document; with `--files DIR` it decrypts each downloaded file named by its
//!   `file_id`, with `--save DIR` it writes the verified bytes to `DIR/<file_unique_id>`
//!   (mode 0600; a `file_unique_id` that is not one plain file name is refused, a name already
//!   taken in DIR is refused before anything is written, and files take their names only once
//!   the whole passport is accepted, so a rejected one leaves none).
//!   With `--scope` it adds `scope_errors` (Bot API `PassportElementError` objects) and
//!   `scope_missing` (requested elements that were not sent at all, which no
//!   `PassportElementError` can name: one list of alternatives per unmet scope element).
//!   A rejected passport exits 1 with one line on stderr naming the element and the reason;
//!   usage errors (unreadable files, bad JSON, a bad key, a name taken in the save directory)
//!   exit 2. An encrypted key's password comes from `TGAUTH_KEY_PASSWORD` or the file named by
//!   `TGAUTH_KEY_PASSWORD_FILE`.
//! - `passport request-url` prints the `tg://resolve?domain=telegrampassport` link the official
//!   JS SDK opens.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tgauth::BotId;
use tgauth::passport::key::{KeySize, PrivateKey};
use tgauth::passport::open::{OpenedElement, OpenedFile, OpenedPassport, open};
use tgauth::passport::scope_check::check_scope;
use tgauth::passport::types::decrypted::ElementData;
use tgauth::passport::types::errors::PassportElementError;
use tgauth::passport::types::received::PassportData;
use tgauth::passport::types::scope::{PassportRequest, PassportScope};

use crate::secret::SecretSources;
use crate::{Failure, now_or_system};

/// `tgauth keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Key size in bits.
    #[arg(long, default_value = "2048", value_parser = ["2048", "3072", "4096"])]
    bits: String,
    /// Where to write the private key (PEM, mode 0600).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    force: bool,
}

/// Telegram Passport data.
#[derive(Debug, Subcommand)]
pub(crate) enum PassportCommand {
    /// Decrypt and verify PassportData (alone, in a Message or in an Update) and print it as JSON.
    Decrypt(DecryptArgs),
    /// Print the tg:// link that asks a user for Passport data.
    RequestUrl(RequestUrlArgs),
}

/// `tgauth passport decrypt`.
#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    /// The bot's private key (PEM: PKCS#1, PKCS#8, or encrypted PKCS#8 with the password in
    /// TGAUTH_KEY_PASSWORD or in the file named by TGAUTH_KEY_PASSWORD_FILE).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Directory holding the downloaded encrypted files, each named by its file_id.
    #[arg(long, value_name = "DIR")]
    files: Option<PathBuf>,
    /// Write each verified decrypted file to DIR/<file_unique_id> (needs --files).
    #[arg(long, value_name = "DIR", requires = "files")]
    save: Option<PathBuf>,
    /// Reject the passport unless its nonce is N.
    #[arg(long, value_name = "N")]
    expect_nonce: Option<String>,
    /// Check the passport against this scope (JSON file) and add "scope_errors".
    #[arg(long, value_name = "FILE")]
    scope: Option<PathBuf>,
    /// The current time as Unix seconds, for expiry dates in the scope check (default: the
    /// system clock).
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// The JSON input; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT|-")]
    input: Option<PathBuf>,
}

/// `tgauth passport request-url`.
#[derive(Debug, Args)]
pub(crate) struct RequestUrlArgs {
    /// The bot's user id (the number before the colon of its token).
    #[arg(long, value_name = "N")]
    bot_id: i64,
    /// The requested scope: a JSON file, or the JSON itself.
    #[arg(long, value_name = "FILE|JSON")]
    scope: String,
    /// The bot's public key PEM file (what `tgauth keygen` printed).
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
    /// The request nonce.
    #[arg(long, value_name = "N")]
    nonce: String,
    /// Where the Telegram app sends the user afterwards.
    #[arg(long, value_name = "URL")]
    callback_url: Option<String>,
}

/// Runs `tgauth keygen`.
pub(crate) fn run_keygen(args: &KeygenArgs) -> Result<(), Failure> {
    keygen(args)
}

/// Runs `tgauth passport ...`.
pub(crate) fn run(command: PassportCommand) -> Result<(), Failure> {
    match command {
        PassportCommand::Decrypt(args) => decrypt(&args),
        PassportCommand::RequestUrl(args) => request_url(&args),
    }
}

fn keygen(args: &KeygenArgs) -> Result<(), Failure> {
    let bits = args.bits.parse().unwrap_or_default();
    let size = KeySize::from_bits(bits)
        .ok_or_else(|| Failure::usage("--bits must be 2048, 3072 or 4096"))?;
    let key = PrivateKey::generate(size).map_err(Failure::usage)?;
    let pem = key.to_pkcs8_pem().map_err(Failure::usage)?;
    write_private(&args.out, pem.as_bytes(), args.force)?;
    let public = key.public_key().to_pem();
    let mut stdout = std::io::stdout().lock();
    let text = format!(
        "{public}\nWrote the {bits}-bit private key to {} (mode 0600); keep it secret.\n\
         Give Telegram the public key above:\n\
         1. In @BotFather send /setpublickey, choose your bot and paste the public key.\n\
         2. Send /setprivacypolicy and give the URL of your privacy policy (Passport requires one).\n",
        args.out.display()
    );
    stdout
        .write_all(text.as_bytes())
        .map_err(|error| Failure::usage(format!("stdout: {error}")))
}

/// Writes the private key with mode 0600, refusing to replace a file unless `force`.
///
/// A failed write never leaves a partial key behind: without `force` the new file is removed
/// again, and with `force` the key is written to a temporary file beside `path` that replaces
/// it only once complete, so the old key survives a failure.
fn write_private(path: &Path, contents: &[u8], force: bool) -> Result<(), Failure> {
    let failed = |error: std::io::Error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::usage(format!(
                "{} exists; pass --force to overwrite it",
                path.display()
            ))
        } else {
            Failure::usage_at(path, error)
        }
    };
    if !force {
        return write_new_file(path, contents).map_err(failed);
    }
    let Some(name) = path.file_name() else {
        return Err(Failure::usage(format!(
            "{}: not a file path",
            path.display()
        )));
    };
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".tgauth-{}.partial", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    write_new_file(&temporary, contents).map_err(failed)?;
    fs::rename(&temporary, path).map_err(|error| {
        let _ = fs::remove_file(&temporary);
        failed(error)
    })
}

/// Creates `path` (which must not exist) with mode 0600, writes `contents` and syncs; on a
/// failure after creating it, removes it again.
fn write_new_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if written.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    written
}

fn read_text(path: &Path) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|error| Failure::usage_at(path, error))
}

fn load_key(path: &Path) -> Result<PrivateKey, Failure> {
    let pem = read_text(path)?;
    let password = SecretSources {
        what: "the key password",
        flag: None,
        variable: "TGAUTH_KEY_PASSWORD",
        file_flag: None,
        file_variable: "TGAUTH_KEY_PASSWORD_FILE",
    }
    .read()?;
    let key = match &password {
        Some(password) => PrivateKey::from_encrypted_pem(&pem, password.expose().as_bytes()),
        None => PrivateKey::from_pem(&pem),
    };
    key.map_err(|error| Failure::usage_at(path, error))
}

/// Finds the PassportData in a PassportData object, a Message or an Update.
fn passport_data(input: Value) -> Result<PassportData, Failure> {
    let value = if input.get("credentials").is_some() {
        input
    } else if let Some(data) = input.get("passport_data") {
        data.clone()
    } else if let Some(data) = ["message", "edited_message", "channel_post"]
        .iter()
        .find_map(|key| {
            input
                .get(key)
                .and_then(|message| message.get("passport_data"))
        })
    {
        data.clone()
    } else {
        return Err(Failure::usage(
            "input holds no PassportData (expected PassportData, a Message or an Update)",
        ));
    };
    serde_json::from_value(value).map_err(|error| Failure::usage(format!("PassportData: {error}")))
}

fn read_input(input: Option<&Path>) -> Result<Value, Failure> {
    let text = match input {
        Some(path) if path != Path::new("-") => read_text(path)?,
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| Failure::usage(format!("stdin: {error}")))?;
            text
        }
    };
    serde_json::from_str(&text)
        .map_err(|error| Failure::usage(format!("input is not JSON: {error}")))
}

fn decrypt(args: &DecryptArgs) -> Result<(), Failure> {
    let key = load_key(&args.key)?;
    // A mistyped --files would otherwise look like "no file downloaded yet": every file
    // described, none decrypted, exit 0.
    if let Some(directory) = &args.files
        && !directory.is_dir()
    {
        return Err(Failure::usage(format!(
            "{}: --files must name an existing directory",
            directory.display()
        )));
    }
    let scope = match &args.scope {
        Some(path) => {
            let scope: PassportScope = serde_json::from_str(&read_text(path)?)
                .map_err(|error| Failure::usage_at(path, error))?;
            scope
                .validate()
                .map_err(|error| Failure::usage_at(path, error))?;
            Some(scope)
        }
        None => None,
    };
    let passport = passport_data(read_input(args.input.as_deref())?)?;
    let opened = open(&key, &passport).map_err(|error| Failure::rejected_by(&error))?;
    if let Some(expected) = &args.expect_nonce {
        opened
            .check_nonce(expected)
            .map_err(|error| Failure::rejected_by(&error))?;
    }
    if let Some(save) = &args.save {
        if let Some(directory) = &args.files {
            refuse_taken_names(&opened, directory, save)?;
        }
        fs::create_dir_all(save).map_err(|error| Failure::usage_at(save, error))?;
    }
    let mut files = Files {
        directory: args.files.as_deref(),
        save: args.save.as_deref(),
        staged: Vec::new(),
    };
    let mut elements = Vec::with_capacity(opened.elements.len());
    for element in &opened.elements {
        elements.push(ElementOut {
            kind: element.kind.as_str(),
            data: element.data.as_ref(),
            phone_number: element.phone_number.as_deref(),
            email: element.email.as_deref(),
            front_side: element
                .front_side
                .as_ref()
                .map(|file| files.describe(file))
                .transpose()?,
            reverse_side: element
                .reverse_side
                .as_ref()
                .map(|file| files.describe(file))
                .transpose()?,
            selfie: element
                .selfie
                .as_ref()
                .map(|file| files.describe(file))
                .transpose()?,
            files: files.describe_list(&element.files)?,
            translation: files.describe_list(&element.translation)?,
        });
    }
    let check = scope.as_ref().map(|scope| {
        // Past i64 seconds is as far in the future as a date can be.
        let now = args.now.map(|now| i64::try_from(now).unwrap_or(i64::MAX));
        check_scope(scope, &opened, now_or_system(now))
    });
    let output = Output {
        nonce: &opened.nonce,
        elements,
        scope_errors: check.as_ref().map(|check| check.errors.as_slice()),
        // Absent elements cannot be named in setPassportDataErrors; they are listed apart.
        scope_missing: check.as_ref().map(|check| {
            check
                .missing
                .iter()
                .map(|types| types.iter().map(|kind| kind.as_str()).collect())
                .collect()
        }),
    };
    let text = serde_json::to_string(&output)
        .map_err(|error| Failure::usage(format!("cannot serialize the result: {error}")))?;
    // Every file decrypted and verified: only now do the saved files take their names.
    files.persist()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").map_err(|error| Failure::usage(format!("stdout: {error}")))
}

/// Refuses, before anything is written, a passport one of whose files would be saved under a
/// name the save directory already holds (a file from an earlier run, any file, a dangling
/// link): the user's files are never replaced.
///
/// This is a usage error (exit 2), not a rejection: the passport is fine, and the same
/// passport saved twice into one directory meets it; the fix is the directory chosen. Names
/// that are not plain file names, and files not downloaded (which are not saved), are left to
/// [`Files::describe`].
fn refuse_taken_names(opened: &OpenedPassport, files: &Path, save: &Path) -> Result<(), Failure> {
    for file in opened.elements.iter().flat_map(opened_files) {
        let (file_id, unique) = (&file.file.file_id, &file.file.file_unique_id);
        if !is_plain_name(file_id) || !is_plain_name(unique) || !files.join(file_id).exists() {
            continue;
        }
        let target = save.join(unique);
        match fs::symlink_metadata(&target) {
            Ok(_) => return Err(name_taken(&target)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(Failure::usage_at(&target, error)),
        }
    }
    Ok(())
}

/// Every file of an element, in the order of the output.
fn opened_files(element: &OpenedElement) -> impl Iterator<Item = &OpenedFile> {
    element
        .front_side
        .iter()
        .chain(&element.reverse_side)
        .chain(&element.selfie)
        .chain(element.files.iter().flatten())
        .chain(element.translation.iter().flatten())
}

fn name_taken(target: &Path) -> Failure {
    Failure::usage(format!(
        "{} exists; refusing to replace it (save into another directory, or move the file)",
        target.display()
    ))
}

/// The JSON document `passport decrypt` prints, keys in the documented order.
#[derive(Serialize)]
struct Output<'a> {
    nonce: &'a str,
    elements: Vec<ElementOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope_errors: Option<&'a [PassportElementError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope_missing: Option<Vec<Vec<&'a str>>>,
}

/// One element of the output, fields present only when the element has them.
#[derive(Serialize)]
struct ElementOut<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a ElementData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    front_side: Option<FileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reverse_side: Option<FileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    selfie: Option<FileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Vec<FileOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    translation: Option<Vec<FileOut<'a>>>,
}

/// A file of the output: the Bot API fields, plus what decrypting it found.
#[derive(Serialize)]
struct FileOut<'a> {
    file_id: &'a str,
    file_unique_id: &'a str,
    file_size: i64,
    file_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_as: Option<String>,
}

/// Where downloaded files are read from and decrypted files written to.
///
/// Verified files are first written to temporary files in the save directory; [`persist`]
/// gives them their names `<file_unique_id>` once the whole passport has been accepted, never
/// over an existing file, and dropping `Files` without persisting removes them. So a rejected
/// passport, or a failure half-way, leaves no file under a final name and no partial file
/// behind.
///
/// [`persist`]: Files::persist
struct Files<'a> {
    directory: Option<&'a Path>,
    save: Option<&'a Path>,
    staged: Vec<Staged>,
}

/// A verified decrypted file written under a temporary name, waiting for its final one.
struct Staged {
    temporary: PathBuf,
    target: PathBuf,
}

impl Files<'_> {
    /// Describes every file of a list.
    fn describe_list<'f>(
        &mut self,
        list: &'f Option<Vec<OpenedFile>>,
    ) -> Result<Option<Vec<FileOut<'f>>>, Failure> {
        list.as_ref()
            .map(|list| list.iter().map(|file| self.describe(file)).collect())
            .transpose()
    }

    /// Describes a file, decrypting it when its encrypted bytes are in the files directory.
    fn describe<'f>(&mut self, file: &'f OpenedFile) -> Result<FileOut<'f>, Failure> {
        let mut out = FileOut {
            file_id: &file.file.file_id,
            file_unique_id: &file.file.file_unique_id,
            file_size: file.file.file_size,
            file_date: file.file.file_date.0,
            sha256: None,
            size: None,
            saved_as: None,
        };
        let Some(directory) = self.directory else {
            return Ok(out);
        };
        if !is_plain_name(out.file_id) {
            return Err(Failure::rejected(format!(
                "{}: file_id is not a plain file name",
                file.location
            )));
        }
        let path = directory.join(out.file_id);
        let ciphertext = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(error) => return Err(Failure::usage_at(&path, error)),
        };
        let plain = file
            .decrypt_vec(ciphertext)
            .map_err(|error| Failure::rejected_by(&error))?;
        let digest = Sha256::digest(&plain);
        out.sha256 = Some(hex::encode(digest));
        out.size = Some(plain.len());
        if let Some(save) = self.save {
            // The name comes from untrusted input: one plain file name, never a path.
            if !is_plain_name(out.file_unique_id) {
                return Err(Failure::rejected(format!(
                    "{}: file_unique_id is not a plain file name",
                    file.location
                )));
            }
            let target = save.join(out.file_unique_id);
            // Two files under one name would leave only the second, while the output would
            // claim both were saved.
            if self.staged.iter().any(|staged| staged.target == target) {
                return Err(Failure::rejected(format!(
                    "{}: file_unique_id {} is shared with another file",
                    file.location, out.file_unique_id
                )));
            }
            let temporary = save.join(format!(
                ".tgauth-{}-{}.partial",
                std::process::id(),
                self.staged.len()
            ));
            write_new_file(&temporary, &plain)
                .map_err(|error| Failure::usage_at(&temporary, error))?;
            out.saved_as = Some(target.display().to_string());
            self.staged.push(Staged { temporary, target });
        }
        Ok(out)
    }

    /// Gives every staged file its final name `DIR/<file_unique_id>`, all or none: a name
    /// taken since [`refuse_taken_names`] looked (by another program) is still not replaced,
    /// and the files this call already named are removed again.
    fn persist(&mut self) -> Result<(), Failure> {
        let mut placed: Vec<&Path> = Vec::with_capacity(self.staged.len());
        for staged in &self.staged {
            if let Err(failure) = place(&staged.temporary, &staged.target) {
                for target in placed {
                    let _ = fs::remove_file(target);
                }
                // Dropping `self` removes the temporary files that remain.
                return Err(failure);
            }
            placed.push(&staged.target);
        }
        self.staged.clear();
        Ok(())
    }
}

/// Gives the file `temporary` the name `target` unless that name exists.
///
/// A hard link is made only if the name is free, atomically; a file system without hard links
/// falls back to a rename after a check, which narrows the race to the gap between the two.
fn place(temporary: &Path, target: &Path) -> Result<(), Failure> {
    match fs::hard_link(temporary, target) {
        Ok(()) => {
            let _ = fs::remove_file(temporary);
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Err(name_taken(target)),
        Err(_) => match fs::symlink_metadata(target) {
            Ok(_) => Err(name_taken(target)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                fs::rename(temporary, target).map_err(|error| Failure::usage_at(target, error))
            }
            Err(error) => Err(Failure::usage_at(target, error)),
        },
    }
}

impl Drop for Files<'_> {
    fn drop(&mut self) {
        for staged in &self.staged {
            let _ = fs::remove_file(&staged.temporary);
        }
    }
}

/// Whether an identifier from the input is safe as one file name: no separators, no `..`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn request_url(args: &RequestUrlArgs) -> Result<(), Failure> {
    let scope_text = if args.scope.trim_start().starts_with('{') {
        args.scope.clone()
    } else {
        read_text(Path::new(&args.scope))?
    };
    let scope: PassportScope = serde_json::from_str(&scope_text)
        .map_err(|error| Failure::usage(format!("scope: {error}")))?;
    let request = PassportRequest {
        bot_id: BotId(args.bot_id),
        scope,
        public_key: read_text(&args.public_key)?,
        nonce: args.nonce.clone(),
        callback_url: args.callback_url.clone(),
    };
    let url = request
        .url()
        .map_err(|error| Failure::usage(error.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{url}").map_err(|error| Failure::usage(format!("stdout: {error}")))
}
