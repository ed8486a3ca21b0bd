//! `cargo xtask tidy`: repository rules that the compiler does not check.
//!
//! - Every `.rs` file opens with a `//!` comment saying what it is for.
//! - No test is switched off or made to pass by panicking: the attributes that do that are
//!   banned, so a test that exists is a test that runs and can fail.
//! - The crates stay layered: each workspace crate depends only on the workspace crates below it
//!   (read from `cargo metadata`), and the light crates reach no async runtime or HTTP client
//!   with their default features (read from `cargo tree`).
//! - One vocabulary: the primitives of `tgauth-core` (the bot token, the ids, time and clocks,
//!   constant-time equality, the HTML and URI codecs) are defined there and nowhere else, and
//!   only it uses `subtle` directly.
//! - The Telegram app's side stays opt-in: the features that sign, seal or emulate are not among
//!   any crate's default features.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

use crate::{Result, cargo_path};

pub(crate) fn run(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    check_sources(root, &mut problems);
    check_vocabulary(root, &mut problems);
    check_layering(root, &mut problems)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// The workspace crates each crate may depend on (normal and build dependencies).
/// `None` means any workspace crate: the end-to-end tests and project automation sit on top.
fn allowed_workspace_dependencies(package: &str) -> Option<&'static [&'static str]> {
    let allowed: &'static [&'static str] = match package {
        "tgauth-core" => &[],
        "passport-types" | "login-widget" | "deeplink-auth" => &["tgauth-core"],
        "passport-crypto" | "bot-api-client" => &["tgauth-core", "passport-types"],
        "telegram-sandbox" => &[
            "tgauth-core",
            "passport-types",
            "passport-crypto",
            "login-widget",
            "bot-api-client",
        ],
        "tgauth" => &[
            "tgauth-core",
            "passport-types",
            "passport-crypto",
            "login-widget",
            "deeplink-auth",
            "bot-api-client",
            "telegram-sandbox",
        ],
        // The service sits on the umbrella: the composing layer and the libraries through it.
        "tgauth-server" => &["tgauth"],
        "tgauth-cli" => &["tgauth", "tgauth-server"],
        _ => return None,
    };
    Some(allowed)
}

/// Crates that a site verifying logins or opening passports compiles: no runtime, no HTTP.
const LIGHT_CRATES: &[&str] = &[
    "tgauth-core",
    "passport-types",
    "passport-crypto",
    "login-widget",
];

/// Packages the light crates must not reach with their default features.
const HEAVY_PACKAGES: &[&str] = &[
    "tokio",
    "reqwest",
    "hyper",
    "async-std",
    "smol",
    "futures-executor",
    "axum",
];

fn check_sources(root: &Path, problems: &mut Vec<String>) {
    // Spelled in pieces so that this file does not trip its own rule.
    let banned = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    for path in rust_files(root) {
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(text) = fs::read_to_string(&path) else {
            problems.push(format!("{relative}: not readable as UTF-8"));
            continue;
        };
        if !text.starts_with("//!") {
            problems.push(format!("{relative}: does not start with a `//!` comment"));
        }
        for attribute in banned {
            if text.contains(attribute) {
                problems.push(format!("{relative}: uses `{attribute}]`"));
            }
        }
    }
}

/// Definitions that belong to `tgauth-core` alone, spelled in pieces so that this file does not
/// count as a second definition.
const CORE_DEFINITIONS: &[&str] = &[
    concat!("struct ", "BotToken"),
    concat!("struct ", "UserId"),
    concat!("struct ", "ChatId"),
    concat!("struct ", "BotId"),
    concat!("struct ", "UnixTime"),
    concat!("trait ", "Clock"),
    concat!("struct ", "SystemClock"),
    concat!("fn ", "constant_time_eq"),
    concat!("fn ", "escape_html"),
    concat!("fn ", "encode_uri_component"),
    concat!("fn ", "percent_decode"),
];

/// Where the core definitions live.
const CORE_SOURCES: &str = "crates/tgauth-core/";

fn check_vocabulary(root: &Path, problems: &mut Vec<String>) {
    for path in rust_files(root) {
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if relative.starts_with(CORE_SOURCES) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        for definition in CORE_DEFINITIONS {
            let defined = text.lines().any(|line| {
                let line = line.trim_start();
                let line = line.strip_prefix("pub ").unwrap_or(line);
                let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
                line.starts_with(definition)
                    && line[definition.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            });
            if defined {
                problems.push(format!(
                    "vocabulary: {relative} defines `{definition}`, which belongs to tgauth-core"
                ));
            }
        }
    }
}

fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !(name.starts_with('.') || name == "target") {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn check_layering(root: &Path, problems: &mut Vec<String>) -> Result<()> {
    let metadata = command_output(root, &["metadata", "--format-version", "1", "--no-deps"])?;
    let metadata: Value = serde_json::from_str(&metadata)
        .map_err(|error| format!("cargo metadata printed invalid JSON: {error}"))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let members: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str())
        .map(str::to_owned)
        .collect();
    let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for package in &packages {
        let Some(name) = package["name"].as_str() else {
            continue;
        };
        let entry = dependencies.entry(name.to_owned()).or_default();
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let kind = dependency["kind"].as_str();
            let dependency_name = dependency["name"].as_str().unwrap_or_default();
            if kind != Some("dev") && members.contains(dependency_name) {
                entry.insert(dependency_name.to_owned());
            }
        }
    }
    for (package, uses) in &dependencies {
        let Some(allowed) = allowed_workspace_dependencies(package) else {
            continue;
        };
        for used in uses {
            if !allowed.contains(&used.as_str()) {
                problems.push(format!("layering: `{package}` must not depend on `{used}`"));
            }
        }
    }
    check_direct_dependency(&packages, "subtle", &["tgauth-core"], problems);
    check_default_features(&packages, problems);
    for light in LIGHT_CRATES {
        if !members.contains(*light) {
            problems.push(format!("layering: workspace crate `{light}` is missing"));
            continue;
        }
        let tree = command_output(
            root,
            &[
                "tree",
                "--package",
                light,
                "--edges",
                "normal",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ],
        )?;
        let reached: BTreeSet<&str> = tree
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        for heavy in HEAVY_PACKAGES {
            if reached.contains(heavy) {
                problems.push(format!("layering: `{light}` reaches `{heavy}` by default"));
            }
        }
    }
    Ok(())
}

/// Only `allowed` may name `dependency` directly (normal dependencies).
fn check_direct_dependency(
    packages: &[Value],
    dependency: &str,
    allowed: &[&str],
    problems: &mut Vec<String>,
) {
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        let uses = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["name"].as_str() == Some(dependency) && d["kind"].as_str() != Some("dev"));
        if uses && !allowed.contains(&name) {
            problems.push(format!(
                "vocabulary: `{name}` depends on `{dependency}` directly; use tgauth-core"
            ));
        }
    }
}

/// Features that play the Telegram app's side, or pull in a test emulator or a scaled-out
/// store: never on by default.
const OPT_IN_FEATURES: &[(&str, &str)] = &[
    ("passport-crypto", "seal"),
    ("login-widget", "sign"),
    ("tgauth", "telegram-sandbox"),
    ("tgauth", "passport-crypto-seal"),
    ("tgauth", "login-widget-sign"),
    ("tgauth", "deeplink-auth-postgres"),
    ("tgauth", "deeplink-auth-redis"),
    ("tgauth-server", "sandbox"),
];

fn check_default_features(packages: &[Value], problems: &mut Vec<String>) {
    for (crate_name, feature) in OPT_IN_FEATURES {
        let Some(package) = packages
            .iter()
            .find(|p| p["name"].as_str() == Some(crate_name))
        else {
            problems.push(format!(
                "features: workspace crate `{crate_name}` is missing"
            ));
            continue;
        };
        let features = &package["features"];
        if features.get(*feature).is_none() {
            problems.push(format!(
                "features: `{crate_name}` has no feature `{feature}`"
            ));
            continue;
        }
        // Everything the default features turn on, transitively within the crate.
        let mut on = BTreeSet::new();
        let mut pending = vec!["default".to_owned()];
        while let Some(next) = pending.pop() {
            if !on.insert(next.clone()) {
                continue;
            }
            for implied in features[next.as_str()].as_array().into_iter().flatten() {
                if let Some(implied) = implied.as_str()
                    && features.get(implied).is_some()
                {
                    pending.push(implied.to_owned());
                }
            }
        }
        if on.contains(*feature) {
            problems.push(format!(
                "features: `{crate_name}` turns on `{feature}` by default; it must be opt-in"
            ));
        }
    }
}

fn command_output(root: &Path, args: &[&str]) -> Result<String> {
    let line = format!("cargo {}", args.join(" "));
    let output = Command::new(cargo_path())
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|error| format!("could not start `{line}`: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{line}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("`{line}` printed invalid UTF-8"))
}

#[cfg(test)]
mod tests {
    use crate::project_root;

    #[test]
    fn tidy() {
        if let Err(message) = super::run(&project_root()) {
            panic!("{message}");
        }
    }
}
