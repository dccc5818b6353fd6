//! Sets `CAS_BUILD_VERSION` for `cas_inbox::runtime::VERSION`, which every function logs at cold
//! start: the crate's version, plus `+<commit>` when the commit is known.
//!
//! The commit comes from `CAS_GIT_COMMIT` if set (for builds from a tarball that know it), else,
//! in release builds (what `sam build` and `cargo lambda build --release` make), from
//! `git rev-parse` when the source is a git checkout and git runs. Anything else (a debug build,
//! no git, no repository, a copied tree) leaves the plain crate version: this script never fails
//! a build. Debug builds skip git so that a commit does not make every test build recompile this
//! crate and relink everything that depends on it.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=CAS_GIT_COMMIT");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let from_env = std::env::var("CAS_GIT_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric()));
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let commit = from_env.or_else(|| {
        if !release {
            return None;
        }
        // Only this project's own repository counts, not one a tarball was unpacked inside.
        git(&["ls-files", "--error-unmatch", "build.rs"])?;
        let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
        // Run again when HEAD moves: HEAD itself, the branch it names, packed refs. Only
        // files that exist are named (cargo reruns every build for a missing one).
        let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watched.push(git(&["rev-parse", "--git-path", &branch]));
        }
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
        for path in watched.into_iter().flatten().map(PathBuf::from) {
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        commit
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then_some(commit)
    });
    // Without any rerun-if-changed line cargo reruns this script whenever the package changes,
    // which is right for a tree without git too.
    match commit {
        Some(commit) => println!("cargo:rustc-env=CAS_BUILD_VERSION={version}+{commit}"),
        None => println!("cargo:rustc-env=CAS_BUILD_VERSION={version}"),
    }
}
