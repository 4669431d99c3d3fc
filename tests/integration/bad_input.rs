//! The corpus of bad scenario files: `tests/bad/NAME.toml`, one kind of error each,
//! with the exact message in `tests/bad/NAME.expected`. Each must be refused with exit
//! code 2, before anything runs or is written, with exactly that message.
//!
//! After changing a message on purpose: `UPDATE_EXPECTED=1 cargo test --test
//! integration bad_input`, then review the diff of `tests/bad/*.expected`.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;

use crate::common::repo;

/// At least one file per kind of error the issue names.
const MIN_CASES: usize = 25;

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(repo("tests/bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_bad_file_gets_its_expected_message_and_exit_code_2() {
    let cases = cases();
    assert!(cases.len() >= MIN_CASES, "only {} bad files", cases.len());
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let out_dir = tmp.path().join("out");
        // Run from tests/bad so that messages name files as a user would type them;
        // memory and threads are fixed so that the memory refusal reads the same on
        // every machine.
        let output = Command::cargo_bin("pbrsim")
            .unwrap()
            .current_dir(repo("tests/bad"))
            .env_remove("CI")
            .args(["run", "--threads", "2", "--max-memory", "4G", "--out"])
            .arg(&out_dir)
            .arg(&name)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{name}: expected exit code 2, stderr:\n{stderr}");
        assert!(output.stdout.is_empty(), "{name}: printed to stdout");
        assert!(!out_dir.exists(), "{name}: created the output folder");
        assert!(!stderr.contains("panicked"), "{name}: panicked:\n{stderr}");
        let expected = case.with_extension("expected");
        if update {
            fs::write(&expected, &stderr).unwrap();
            continue;
        }
        match fs::read_to_string(&expected) {
            Ok(want) if want == stderr => {}
            Ok(want) => failures.push(format!("{name}:\n--- expected\n{want}--- got\n{stderr}")),
            Err(_) => failures.push(format!("{name}: no {}", expected.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad files got a different message (if intended: UPDATE_EXPECTED=1 cargo test --test integration bad_input)\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `validate` refuses the same files with the same messages (it shares the checks).
#[test]
fn validate_refuses_the_same_files() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let want = fs::read_to_string(case.with_extension("expected")).unwrap_or_default();
        let output = Command::cargo_bin("pbrsim")
            .unwrap()
            .current_dir(repo("tests/bad"))
            .args(["validate", "--max-memory", "4G", &name])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The memory estimate depends on the machine's threads under validate.
        if !name.starts_with("too_large") {
            assert_eq!(stderr, want, "{name}");
        }
    }
}

/// Every bad file says in its first line what kind of error it holds, and no two
/// files share one.
#[test]
fn each_bad_file_names_its_kind_once() {
    let mut kinds = std::collections::HashSet::new();
    for case in cases() {
        let text = String::from_utf8_lossy(&fs::read(&case).unwrap()).into_owned();
        let kind = text.lines().next().and_then(|l| l.strip_prefix("# Bad input: ")).map(str::to_owned);
        let kind = kind.unwrap_or_else(|| panic!("{}: first line must be `# Bad input: <kind>`", case.display()));
        assert!(kinds.insert(kind.clone()), "two files are about {kind}");
    }
}
