//! `pbrsim rerun DIR`: reproduce an output folder from its manifest and report, file
//! by file, whether the bytes match.
//!
//! The manifest records the command (run, compare or sweep), the input files with
//! their SHA-256, the seed and the replications. `rerun` checks the inputs are
//! unchanged, runs the same command into a temporary folder (as a child process of
//! this very binary, so nothing differs from the original run but the output folder),
//! and compares the SHA-256 of every output the manifest lists. Paths in the manifest
//! are as they were given, so rerun from the same working directory.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use pbrsim::output::sha256_hex;

use super::{EXIT_BAD_INPUT, EXIT_FAILURE, RerunArgs, report};

/// Files with their SHA-256: `(path, hash)`.
type Hashed = Vec<(String, String)>;

/// The command that made a manifest, and the input files it read with their hashes.
fn plan(m: &Value) -> Option<(Vec<String>, Hashed)> {
    let s = |v: &Value| v.as_str().map(str::to_owned);
    let seeded = |args: &mut Vec<String>| -> Option<()> {
        args.extend(["--reps".into(), m["replications"].as_u64()?.to_string()]);
        args.extend(["--seed".into(), m["seed"].as_u64()?.to_string()]);
        Some(())
    };
    let mut inputs = Vec::new();
    let mut file = |f: &Value| -> Option<String> {
        let path = s(&f["path"])?;
        inputs.push((path.clone(), s(&f["sha256"])?));
        for e in f["extends"].as_array().into_iter().flatten() {
            inputs.push((s(&e["path"])?, s(&e["sha256"])?));
        }
        Some(path)
    };
    let mut args = Vec::new();
    if m["command"] == "compare" {
        args.push("compare".into());
        for sc in m["scenarios"].as_array()? {
            args.push(file(sc)?);
        }
        seeded(&mut args)?;
    } else if m["sweep"].is_object() {
        let sw = &m["sweep"];
        args.extend(["sweep".into(), file(&sw["sweep"])?]);
        file(&sw["scenario"])?;
        for e in sw["extends"].as_array().into_iter().flatten() {
            file(e)?;
        }
    } else {
        args.extend(["run".into(), file(&m["scenario"])?]);
        seeded(&mut args)?;
        if m["pathways"] == true {
            args.push("--pathways".into());
        }
    }
    Some((args, inputs))
}

fn outputs(m: &Value) -> Hashed {
    m["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| Some((o["file"].as_str()?.to_owned(), o["sha256"].as_str()?.to_owned())))
        .collect()
}

fn read_manifest(dir: &Path) -> Result<Value, String> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("error: {} is not a pbrsim manifest: {e}", path.display()))
}

pub fn rerun(args: &RerunArgs) -> io::Result<i32> {
    let manifest = match read_manifest(&args.dir) {
        Ok(m) => m,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let Some((command, inputs)) = plan(&manifest) else {
        report(format!("error: {}: the manifest does not say how it was made", args.dir.display()));
        return Ok(EXIT_BAD_INPUT);
    };
    let mut out = io::stdout().lock();
    let mut changed = 0;
    for (path, sha) in &inputs {
        match std::fs::read(path) {
            Ok(bytes) if sha256_hex(&bytes) == *sha => {}
            Ok(_) => {
                changed += 1;
                writeln!(out, "input changed since: {path}")?;
            }
            Err(e) => {
                report(format!("error: cannot read input {path}: {e} (rerun from the directory it was run in)"));
                return Ok(EXIT_BAD_INPUT);
            }
        }
    }
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => {
            report(format!("error: cannot make a temporary folder: {e}"));
            return Ok(EXIT_FAILURE);
        }
    };
    let fresh: PathBuf = tmp.path().join("rerun");
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("pbrsim"));
    writeln!(out, "rerunning: pbrsim {}", command.join(" "))?;
    let status = Command::new(exe).args(&command).arg("--out").arg(&fresh).arg("--quiet").status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => return Ok(s.code().unwrap_or(EXIT_FAILURE)),
        Err(e) => {
            report(format!("error: cannot start pbrsim: {e}"));
            return Ok(EXIT_FAILURE);
        }
    }
    // The folders to check: the folder itself and, for a comparison, each scenario's.
    let mut folders = vec![String::new()];
    if manifest["command"] == "compare" {
        for sc in manifest["scenarios"].as_array().into_iter().flatten() {
            folders.extend(sc["label"].as_str().map(|l| format!("{}/", super::compare::subfolder(l))));
        }
    }
    let mut differ = 0;
    let mut total = 0;
    for sub in &folders {
        let (Ok(before), Ok(again)) = (read_manifest(&args.dir.join(sub)), read_manifest(&fresh.join(sub))) else {
            differ += 1;
            writeln!(out, "DIFFERS {sub}manifest.json (missing)")?;
            continue;
        };
        let (before, again) = (outputs(&before), outputs(&again));
        for (file, sha) in &before {
            let same = again.iter().any(|(f, s)| f == file && s == sha);
            total += 1;
            if !same {
                differ += 1;
            }
            writeln!(out, "{} {sub}{file}", if same { "same   " } else { "DIFFERS" })?;
        }
    }
    if differ == 0 {
        writeln!(out, "reproduced: all {total} outputs byte-identical")?;
        Ok(0)
    } else {
        let why = if changed > 0 { " (inputs changed since)" } else { "" };
        writeln!(out, "not reproduced: {differ} of {total} outputs differ{why}")?;
        Ok(EXIT_FAILURE)
    }
}
