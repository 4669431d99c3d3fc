//! Reliability (issue #9): interruption and output safety, preflight refusals, numeric
//! edge cases and the always-on invariants. Bad scenario files are in `bad_input.rs`.

use std::fs;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::repo;

const SMALL: &str = "tests/data/small.toml";

fn pbrsim() -> Command {
    let mut c = Command::cargo_bin("pbrsim").unwrap();
    c.env_remove("CI");
    c
}

/// Every file of a results folder, by name, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Starts a long run over previous results, interrupts it with `signal`, and checks
/// that it stops promptly with the right exit code, says how to run again, and leaves
/// the previous results byte for byte.
#[cfg(unix)]
fn interrupt_a_rerun(signal: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    pbrsim().args(["run", "--reps", "2", "--quiet", "--out"]).arg(&out).arg(repo(SMALL)).assert().success();
    let before = snapshot(&out);

    let bin = assert_cmd::cargo::cargo_bin("pbrsim");
    let child = StdCommand::new(bin)
        .args(["run", "--reps", "100000", "--threads", "2", "--seed", "9", "--out"])
        .arg(&out)
        .arg(repo(SMALL))
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is under way: its staging folder appears beside the output.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !entries(tmp.path()).iter().any(|e| e.contains(".pbrsim-new-")) {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = StdCommand::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let stopped = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(stopped.elapsed() < Duration::from_secs(30), "stops after the replications in flight");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("interrupted by"), "{stderr}");
    assert!(stderr.contains("of 100000 replications: nothing was written"), "{stderr}");
    assert!(stderr.contains("previous results in"), "{stderr}");
    assert!(stderr.contains("to run it again: pbrsim run --reps 100000"), "{stderr}");
    assert!(output.stdout.is_empty(), "no headline for a run that did not finish");
    assert_eq!(snapshot(&out), before, "previous results intact");
    assert_eq!(entries(tmp.path()), vec!["res".to_string()], "no staging folder left behind");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_keeps_previous_results() {
    interrupt_a_rerun("-INT", 130);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly_and_keeps_previous_results() {
    interrupt_a_rerun("-TERM", 143);
}

/// A re-run replaces the results folder whole: a file the old run had and the new one
/// does not is gone, and no staging folder is left.
#[test]
fn rerun_replaces_the_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    pbrsim().args(["run", "--reps", "2", "--quiet", "--out"]).arg(&out).arg(repo(SMALL)).assert().success();
    fs::write(out.join("stale.csv"), "from an older version").unwrap();
    pbrsim()
        .args(["run", "--reps", "2", "--quiet", "--seed", "5", "--out"])
        .arg(&out)
        .arg(repo(SMALL))
        .assert()
        .success();
    assert!(!out.join("stale.csv").exists());
    assert_eq!(entries(&out).len(), pbrsim::output::RUN_FILES.len());
    assert_eq!(entries(tmp.path()), vec!["res".to_string()]);
}

/// An output folder that is not pbrsim's is refused before the run, and left alone.
#[test]
fn refuses_to_overwrite_a_folder_that_is_not_results() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("thesis.tex"), "years of work").unwrap();
    pbrsim()
        .args(["run", "--reps", "2", "--quiet", "--out"])
        .arg(tmp.path())
        .arg(repo(SMALL))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("will not write results into"))
        .stderr(predicate::str::contains("holds no pbrsim manifest.json"));
    assert_eq!(entries(tmp.path()), vec!["thesis.tex".to_string()]);
}

// ---------------------------------------------------------------------------------
// Fuzzing the parser and validator.

mod fuzz {
    use std::sync::mpsc;
    use std::time::Duration;

    use pbrsim::experiment::memory;
    use pbrsim::model::Model;
    use proptest::prelude::*;

    use crate::common::repo;

    /// Cases per property: `PBRSIM_FUZZ_CASES` (docs/reliability.md records a run of
    /// 100,000), or a small number for CI.
    fn cases() -> u32 {
        std::env::var("PBRSIM_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
    }

    /// A case that takes longer than this is a hang.
    const HANG: Duration = Duration::from_secs(20);

    /// Scenario files the mutations start from: two as written, and shipped scenarios
    /// that extend others resolved into one file with every default written out (so
    /// that mutations reach every key, levers and voice included).
    fn seeds() -> Vec<String> {
        let written = ["tests/data/small.toml", "scenarios/baseline.toml"]
            .iter()
            .map(|f| std::fs::read_to_string(repo(f)).unwrap());
        let resolved = [
            "scenarios/pbc.toml",
            "scenarios/capacity-response.toml",
            "scenarios/emergency-marginal-rate.toml",
            "scenarios/istc-exit.toml",
            "scenarios/new-entrant-supplement.toml",
            "scenarios/petition-tender.toml",
        ]
        .iter()
        .map(|f| {
            let loaded = pbrsim::scenario::load(&repo(f)).unwrap_or_else(|e| panic!("{e}"));
            toml::to_string(&loaded.scenario).unwrap()
        });
        written.chain(resolved).collect()
    }

    /// Values that probe the edges of every range and type.
    const EXTREMES: [&str; 22] = [
        "0",
        "-0.0",
        "1",
        "-1",
        "0.5",
        "2",
        "1e-308",
        "1e308",
        "-1e308",
        "nan",
        "inf",
        "-inf",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "100000",
        "1000000",
        "\"\"",
        "\"x\"",
        "{ dist = \"fixed\", value = 0 }",
    ];

    const SCALES: [f64; 8] = [0.0, 0.001, 0.5, 0.9, 1.1, 2.0, 10.0, 1000.0];

    #[derive(Debug, Clone)]
    enum Mutation {
        /// The k-th number (mod how many) becomes an extreme value...
        Number(usize, usize),
        /// ...or is scaled, keeping its type (so that most such files stay valid and
        /// reach the model: zero capacity, a tenfold population, a tiny tariff).
        Scale(usize, usize),
        /// The k-th quoted string becomes this text.
        Text(usize, String),
        DeleteLine(usize),
        DuplicateLine(usize),
        SwapLines(usize, usize),
        Insert(usize, String),
        DeleteBytes(usize, usize),
        Truncate(usize),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            3 => (any::<usize>(), 0..EXTREMES.len()).prop_map(|(k, v)| Mutation::Number(k, v)),
            6 => (any::<usize>(), 0..SCALES.len()).prop_map(|(k, v)| Mutation::Scale(k, v)),
            2 => (any::<usize>(), "[a-z_]{0,12}").prop_map(|(k, s)| Mutation::Text(k, s)),
            2 => any::<usize>().prop_map(Mutation::DeleteLine),
            1 => any::<usize>().prop_map(Mutation::DuplicateLine),
            1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
            2 => (any::<usize>(), r#"[\[\]{}=",.a-z0-9 \n#'-]{0,16}"#).prop_map(|(p, s)| Mutation::Insert(p, s)),
            1 => (any::<usize>(), 0usize..64).prop_map(|(p, n)| Mutation::DeleteBytes(p, n)),
            1 => any::<usize>().prop_map(Mutation::Truncate),
        ]
    }

    fn floor_char(s: &str, i: usize) -> usize {
        let mut i = i.min(s.len());
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    /// Byte ranges of tokens matched by `is_start` and `is_part`.
    fn numbers(s: &str) -> Vec<(usize, usize)> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let starts = b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'));
            if starts {
                let j = (i..b.len())
                    .find(|&j| !(b[j].is_ascii_alphanumeric() || b"._+-".contains(&b[j])))
                    .unwrap_or(b.len());
                out.push((i, j));
                i = j;
            } else {
                i += 1;
            }
        }
        out
    }

    fn strings(s: &str) -> Vec<(usize, usize)> {
        let quotes: Vec<usize> = s.match_indices('"').map(|(i, _)| i).collect();
        quotes.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0] + 1, c[1])).collect()
    }

    fn apply(text: &str, m: &Mutation) -> String {
        let mut lines: Vec<&str> = text.lines().collect();
        let n = lines.len().max(1);
        match m {
            Mutation::Number(k, v) => {
                let nums = numbers(text);
                if nums.is_empty() {
                    return text.to_string();
                }
                let (a, b) = nums[k % nums.len()];
                format!("{}{}{}", &text[..a], EXTREMES[*v], &text[b..])
            }
            Mutation::Scale(k, v) => {
                let nums = numbers(text);
                if nums.is_empty() {
                    return text.to_string();
                }
                let (a, b) = nums[k % nums.len()];
                let token = &text[a..b];
                let scaled = if let Ok(i) = token.parse::<i64>() {
                    ((i as f64 * SCALES[*v]).round() as i64).to_string()
                } else if let Ok(x) = token.parse::<f64>() {
                    format!("{:?}", x * SCALES[*v])
                } else {
                    return text.to_string();
                };
                format!("{}{}{}", &text[..a], scaled, &text[b..])
            }
            Mutation::Text(k, new) => {
                let strs = strings(text);
                if strs.is_empty() {
                    return text.to_string();
                }
                let (a, b) = strs[k % strs.len()];
                format!("{}{}{}", &text[..a], new, &text[b..])
            }
            Mutation::DeleteLine(k) => {
                if !lines.is_empty() {
                    lines.remove(k % n);
                }
                lines.join("\n")
            }
            Mutation::DuplicateLine(k) => {
                if !lines.is_empty() {
                    let l = lines[k % n];
                    lines.insert(k % n, l);
                }
                lines.join("\n")
            }
            Mutation::SwapLines(a, b) => {
                if !lines.is_empty() {
                    lines.swap(a % n, b % n);
                }
                lines.join("\n")
            }
            Mutation::Insert(p, s) => {
                let p = floor_char(text, p % (text.len() + 1));
                format!("{}{}{}", &text[..p], s, &text[p..])
            }
            Mutation::DeleteBytes(p, len) => {
                let a = floor_char(text, p % (text.len() + 1));
                let b = floor_char(text, a + len);
                format!("{}{}", &text[..a], &text[b..])
            }
            Mutation::Truncate(p) => text[..floor_char(text, p % (text.len() + 1))].to_string(),
        }
    }

    /// Everything a scenario goes through before a run: parse, validate, build the
    /// model, the money and memory preflights. It may refuse; it must not panic.
    fn check(text: &str) {
        let Ok(scenario) = pbrsim::scenario::parse(text, "fuzz.toml").map_err(|e| assert!(!e.to_string().is_empty()))
        else {
            return;
        };
        let loaded = pbrsim::scenario::Loaded {
            path: "fuzz.toml".into(),
            text: text.to_string(),
            extends: Vec::new(),
            scenario,
            table: toml::from_str(text).unwrap_or_default(),
            uncertain: Vec::new(),
        };
        let Ok(config) = loaded.config() else { return };
        let Ok(model) = Model::new(config) else { return };
        let _ = loaded.preflight(&model);
        let e = memory::estimate(
            &model,
            loaded.scenario.simulation.replications,
            2,
            pbrsim::experiment::collected::MEMORY_LIMIT,
            true,
        );
        assert!(e.total() > 0.0, "a memory estimate is positive (or infinite), got {}", e.total());
    }

    /// Runs `check` on its own thread: a panic or a hang fails the case with the text.
    fn checked(text: String) -> Result<(), TestCaseError> {
        let (tx, rx) = mpsc::channel();
        let input = text.clone();
        std::thread::spawn(move || {
            let ok = std::panic::catch_unwind(|| check(&input)).is_ok();
            let _ = tx.send(ok);
        });
        match rx.recv_timeout(HANG) {
            Ok(true) => Ok(()),
            Ok(false) => Err(TestCaseError::fail(format!("panicked on:\n{text}"))),
            Err(_) => Err(TestCaseError::fail(format!("no answer within {HANG:?} on:\n{text}"))),
        }
    }

    /// Unmutated, every seed is a valid scenario (so mutations start from the valid).
    #[test]
    fn seeds_are_valid_scenarios() {
        for (i, text) in seeds().iter().enumerate() {
            pbrsim::scenario::parse(text, "seed.toml").unwrap_or_else(|e| panic!("seed {i}: {e}"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

        /// Shipped scenarios with up to four random mutations each.
        #[test]
        fn mutated_scenarios_never_panic_or_hang(seed in 0usize..8, ms in prop::collection::vec(mutation(), 1..5)) {
            let seeds = seeds();
            let mut text = seeds[seed % seeds.len()].clone();
            for m in &ms {
                text = apply(&text, m);
            }
            checked(text)?;
        }

        /// Arbitrary text, and arbitrary TOML-looking text.
        #[test]
        fn random_text_never_panics_or_hangs(
            text in prop_oneof![".{0,300}", r#"(\[[a-z_.]{1,20}\]\n|[a-z_]{1,20} = ([0-9.e+-]{1,12}|"[a-z_]{0,8}"|\{ ?\}|true)\n){0,30}"#],
        ) {
            checked(text)?;
        }
    }
}

// ---------------------------------------------------------------------------------
// Numeric edge cases, handled on purpose: each runs, proves its books (a replication
// that does not balance fails `run`), and gives the answer the edge implies.

mod edges {
    use pbrsim::experiment::{Collected, Table, metrics};
    use pbrsim::model::{Model, ReplicationResult};

    use crate::common::{model_with, run, system_values};

    const SMALL: &str = "tests/data/small.toml";
    const PBC: &str = "scenarios/pbc.toml";

    fn all(m: &Model, r: &[ReplicationResult], metric: &str) -> Vec<f64> {
        system_values(m, r, "all", metric)
    }

    /// Every metric of every entity is a number or NA (NaN), never infinite.
    fn finite_or_na(m: &Model, r: &[ReplicationResult]) {
        let c = Collected::new(m, r);
        for table in Table::ALL {
            for p in 0..c.periods.len() {
                for i in 0..c.entities(table) {
                    for k in 0..table.metrics() {
                        let values = c.values(table, p, i, k).unwrap();
                        assert!(values.iter().all(|v| !v.is_infinite()), "an infinite {table:?} metric: {values:?}");
                    }
                }
            }
        }
        assert_eq!(metrics::SYSTEM.len(), Table::System.metrics());
    }

    #[test]
    fn zero_capacity_everywhere() {
        let m = model_with(SMALL, |s| {
            for p in &mut s.providers {
                for svc in &mut p.services {
                    svc.outpatient.servers = 0;
                    svc.admission.servers = 0;
                }
            }
        });
        let r = run(&m, 3, 2);
        assert!(all(&m, &r, "first_outpatient_attendances").iter().all(|&x| x == 0.0));
        assert!(all(&m, &r, "tariff_paid_gbp").iter().all(|&x| x == 0.0));
        assert!(all(&m, &r, "waiting_list_end").iter().all(|&x| x > 1000.0), "everyone referred still waits");
        finite_or_na(&m, &r);
    }

    #[test]
    fn zero_population() {
        let m = model_with(SMALL, |s| {
            s.practices.generate = None;
            for p in &mut s.practices.list {
                p.list_size = 0;
            }
            for p in &mut s.providers {
                for svc in &mut p.services {
                    svc.initial_waiting.outpatient = 0;
                    svc.initial_waiting.admission = 0;
                }
            }
        });
        let r = run(&m, 3, 2);
        for metric in ["episodes", "referrals", "pct_allocation_gbp", "tariff_paid_gbp"] {
            assert!(all(&m, &r, metric).iter().all(|&x| x == 0.0), "{metric}");
        }
        assert!(all(&m, &r, "referrals_per_1000").iter().all(|x| x.is_nan()), "a rate per nobody is NA");
        finite_or_na(&m, &r);
    }

    #[test]
    fn retention_nothing_and_everything() {
        for retention in [0.0, 1.0] {
            let m = model_with(PBC, |s| {
                s.pbc.as_mut().unwrap().retention = retention;
                s.simulation.replications = 2;
            });
            let r = run(&m, 5, 2);
            let retained = all(&m, &r, "pbc_retained_gbp");
            if retention == 0.0 {
                assert!(retained.iter().all(|&x| x == 0.0), "nothing retained at 0: {retained:?}");
            }
            finite_or_na(&m, &r);
        }
    }

    #[test]
    fn all_practices_disengaged() {
        let m = model_with(PBC, |s| {
            let b = s.pbc.as_mut().unwrap();
            b.engaged_share = 0.0;
            b.disengaged_engagement = 0.0;
            // Engagement recovers after savings are paid; without recovery it stays nil.
            b.trust_recovery = 0.0;
        });
        let r = run(&m, 5, 2);
        assert!(all(&m, &r, "diverted_referrals").iter().all(|&x| x == 0.0), "nobody manages demand");
        finite_or_na(&m, &r);
    }

    /// A provider nobody is referred to (far away, no choice): zero activity, and its
    /// ratios are NA, not a division by zero.
    #[test]
    fn a_provider_with_no_patients() {
        let m = model_with(SMALL, |s| {
            let mut far = s.providers[1].clone();
            far.name = "far_away".into();
            far.x_km = 60.0;
            far.y_km = 60.0;
            s.providers.push(far);
        });
        let r = run(&m, 3, 2);
        let c = Collected::new(&m, &r);
        let far = m.config().providers.iter().position(|p| p.name == "far_away").unwrap();
        let value = |name: &str| {
            let k = metrics::PROVIDER.iter().position(|x| x.name == name).unwrap();
            c.values(Table::Provider, c.periods.len() - 1, far, k).unwrap()
        };
        assert!(value("first_outpatient_attendances").iter().all(|&x| x == 0.0));
        assert!(value("rtt_wait_mean_days").iter().all(|x| x.is_nan()), "no waits: NA");
        finite_or_na(&m, &r);
    }

    /// Everyone is offered a choice, but one line has a single provider: a choice set
    /// of one, which must go to that provider.
    #[test]
    fn a_choice_set_of_one() {
        let m = model_with(SMALL, |s| {
            s.choice.policy = pbrsim::scenario::schema::ChoicePolicy::Free;
            s.choice.offered_share = 1.0;
        });
        let r = run(&m, 3, 2);
        assert!(all(&m, &r, "offered_choice_share").iter().all(|&x| x == 1.0));
        finite_or_na(&m, &r);
    }

    /// Tiny tariffs round to the penny (0.4p → 0, 0.5p → 1p); huge ones that pass the
    /// preflight are paid exactly, never wrapped.
    #[test]
    fn tiny_and_huge_tariffs_are_paid_exactly() {
        for (gbp, pence) in [(0.004, 0i64), (0.005, 1), (1e9, 100_000_000_000)] {
            let m = model_with(SMALL, |s| {
                s.service_lines.retain(|l| l.name == "other_specialties");
                s.providers.retain(|p| p.name == "town_ft");
                s.providers[0].services.retain(|x| x.line == "other_specialties");
                s.providers[0].mff = 1.0;
                let t = &mut s.service_lines[0].tariff;
                t.first_outpatient_gbp = gbp;
                t.follow_up_gbp = gbp;
                t.elective_spell_gbp = gbp;
            });
            for rep in run(&m, 2, 2) {
                for y in &rep.years {
                    let p = &y.providers[0];
                    let cases = (p.first_attendances + p.follow_ups + p.admissions) as i64;
                    assert_eq!(y.tariff_paid.0, cases * pence, "£{gbp}");
                }
            }
        }
    }
}

/// The library's side of Ctrl-C: once the stop flag is set no replication starts, the
/// ones in flight finish, and the run reports how far it got instead of partial results.
#[test]
fn a_stop_request_ends_the_experiment_after_the_replications_in_flight() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use pbrsim::experiment::{RunError, Settings, run_until};

    let m = crate::common::model(SMALL);
    let settings = Settings { seed: 1, replications: 50, threads: 2, ..Settings::default() };
    let stop = AtomicBool::new(true);
    match run_until(&m, settings, &|| {}, &stop) {
        Err(RunError::Interrupted { completed: 0, total: 50 }) => {}
        other => panic!("expected an interruption before any replication, got {:?}", other.map(|r| r.len())),
    }
    let stop = AtomicBool::new(false);
    let on_done = || stop.store(true, Ordering::SeqCst);
    match run_until(&m, settings, &on_done, &stop) {
        // At most one more per worker thread was already running.
        Err(RunError::Interrupted { completed, total: 50 }) => assert!((1..=2).contains(&completed), "{completed}"),
        other => panic!("expected an interruption, got {:?}", other.map(|r| r.len())),
    }
    let never = AtomicBool::new(false);
    assert_eq!(run_until(&m, Settings { replications: 3, ..settings }, &|| {}, &never).unwrap().len(), 3);
}
