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
    Vec::new()
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
