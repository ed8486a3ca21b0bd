//! The modules form layers without a circle: every `crate::` path in a module's code names a
//! module before it in [`ORDER`] (model, state, shared handle, HTTP helpers, handlers, facade).

use std::{collections::BTreeSet, fs, path::Path};

/// The modules, each allowed to use only those before it.
const ORDER: &[&str] = &[
    // The model: the Bot API objects, the errors, the control API's requests.
    "types",
    "error",
    "faults",
    "control",
    "login",
    "passport",
    "samples",
    // The state, then the shared handle around it.
    "state",
    "shared",
    // The HTTP helpers.
    "server",
    "http",
    "pages",
    // The handlers.
    "webhook",
    "files",
    "bot_api",
    "oidc",
    "control_api",
    "phone",
    // The facade.
    "router",
    "sandbox",
    "control_client",
];

/// The module a source file belongs to: `state/sealing.rs` is part of `state`.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The first segments of every `crate::` path in `code`, `use crate::{a::b, c}` groups included.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            rest = &group[index..];
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if item_start && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                        found.insert(identifier(&group[index..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(identifier(rest));
        }
    }
    found
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A file's code without comments: doc links may point anywhere, imports may not.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn rust_files(directory: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_module_uses_only_modules_before_it() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&source, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut edges = 0;
    for file in &files {
        let relative = file.strip_prefix(&source).unwrap();
        let Some(module) = module_of(relative) else {
            continue;
        };
        let Some(rank) = ORDER.iter().position(|name| *name == module) else {
            problems.push(format!(
                "{}: module `{module}` is not placed in ORDER",
                relative.display()
            ));
            continue;
        };
        for used in crate_paths(&code_of(&fs::read_to_string(file).unwrap())) {
            if used == module {
                continue;
            }
            edges += 1;
            match ORDER.iter().position(|name| *name == used) {
                Some(used_rank) if used_rank < rank => {}
                Some(_) => problems.push(format!(
                    "{}: `{module}` uses `crate::{used}`, which comes after it",
                    relative.display()
                )),
                None => problems.push(format!(
                    "{}: `{module}` uses `crate::{used}`, which is not a placed module (use the \
                     defining module's path, not a root re-export)",
                    relative.display()
                )),
            }
        }
    }
    // A guard that the scan saw the code: the handlers alone use a dozen modules.
    assert!(edges > 30, "only {edges} `crate::` uses found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_reads_groups_and_skips_comments() {
    let code = code_of(
        "use crate::{a::{b, c}, d, e::f};\n// crate::ignored\nlet x = crate::g::h(); // crate::no",
    );
    let found: Vec<_> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["a", "d", "e", "g"]);
}
