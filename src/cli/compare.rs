//! `pbrsim compare`: run a base and policies on common random numbers and write the
//! paired comparison, plus each scenario's full results in a subfolder.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use pbrsim::experiment::compare::{self, CompareError, Compared, labels, paired};
use pbrsim::experiment::{Settings, Table, metrics};
use pbrsim::output::{self, ExtendedFile, RunInfo, ScenarioInfo, UncertainInfo, fmt_num};
use pbrsim::scenario;

use super::{CompareArgs, EXIT_BAD_INPUT, EXIT_FAILURE, progress, report, table_memory};

/// Metrics printed after a comparison (whole horizon).
const HEADLINE: [&str; 5] =
    ["referrals_per_1000", "elective_admissions", "rtt_wait_p50_days", "waiting_list_end", "tariff_paid_gbp"];

#[derive(Serialize)]
struct ScenarioRecord {
    label: String,
    path: String,
    sha256: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    extends: Vec<ExtendedFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    uncertain_parameters: Vec<UncertainInfo>,
    resolved_scenario: scenario::Scenario,
}

#[derive(Serialize)]
struct CompareInfo {
    pbrsim_version: &'static str,
    command: &'static str,
    base: String,
    seed: u64,
    replications: u32,
    threads: usize,
    wall_seconds: f64,
    scenarios: Vec<ScenarioRecord>,
}

pub fn compare(args: &CompareArgs) -> io::Result<i32> {
    let mut loaded = Vec::new();
    let mut failed = false;
    for path in &args.scenarios {
        match scenario::load(path) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                report(e);
                failed = true;
            }
        }
    }
    if failed {
        return Ok(EXIT_BAD_INPUT);
    }
    let table_memory = match table_memory() {
        Ok(b) => b,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let base = &loaded[0].scenario.simulation;
    let settings = Settings {
        seed: args.seed.unwrap_or(base.seed),
        replications: args.reps.unwrap_or(base.replications).max(2),
        threads: args.workers.count(),
        table_memory,
        pathways: false,
    };
    let names = labels(&args.scenarios);
    let out_dir = args.out.clone().unwrap_or_else(|| PathBuf::from("output").join(format!("compare-{}", names[0])));
    let started = Instant::now();
    let bar = progress::bar(settings.replications as u64 * loaded.len() as u64, args.quiet);
    let compared = compare::run(names.into_iter().zip(loaded).collect(), settings, &|| bar.inc(1));
    bar.finish_and_clear();
    let compared = match compared {
        Ok(c) => c,
        Err(e) => {
            let code = if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE };
            match e {
                CompareError::Experiment(e) => report(e),
                e => report(e),
            }
            return Ok(code);
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let years: Vec<String> = compared[0].runs.model.config().calendar.years.iter().map(|y| y.label.clone()).collect();
    // Each scenario's own results, as `pbrsim run` writes them, in a subfolder.
    for c in &compared {
        let mut resolved = c.loaded.scenario.clone();
        resolved.simulation.seed = settings.seed;
        resolved.simulation.replications = settings.replications;
        let info = RunInfo {
            pbrsim_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario_info(c),
            seed: settings.seed,
            replications: settings.replications,
            threads: settings.threads,
            wall_seconds: wall,
            years: years.clone(),
            resolved_scenario: &resolved,
            uncertain_parameters: c.loaded.uncertain.iter().map(UncertainInfo::of).collect(),
            draws: &c.runs.parameters,
            pathways: false,
        };
        if let Err(e) = output::write_run(&out_dir.join(subfolder(&c.label)), &c.runs.model, &c.runs.collected, &info) {
            report(format!("error: {e}"));
            return Ok(EXIT_FAILURE);
        }
    }
    let info = CompareInfo {
        pbrsim_version: env!("CARGO_PKG_VERSION"),
        command: "compare",
        base: compared[0].label.clone(),
        seed: settings.seed,
        replications: settings.replications,
        threads: settings.threads,
        wall_seconds: wall,
        scenarios: compared
            .iter()
            .map(|c| {
                let s = scenario_info(c);
                let mut resolved = c.loaded.scenario.clone();
                resolved.simulation.seed = settings.seed;
                resolved.simulation.replications = settings.replications;
                ScenarioRecord {
                    label: c.label.clone(),
                    path: s.path.to_string(),
                    sha256: s.sha256,
                    extends: s.extends,
                    uncertain_parameters: c.loaded.uncertain.iter().map(UncertainInfo::of).collect(),
                    resolved_scenario: resolved,
                }
            })
            .collect(),
    };
    if let Err(e) = output::compare::write_comparison(&out_dir, &compared, &info) {
        report(format!("error: {e}"));
        return Ok(EXIT_FAILURE);
    }
    if !args.quiet {
        print_headline(&mut io::stdout().lock(), &compared, settings, &out_dir, wall)?;
    }
    Ok(0)
}

fn scenario_info(c: &Compared) -> ScenarioInfo<'_> {
    ScenarioInfo {
        path: c.loaded.path.to_str().unwrap_or("scenario"),
        sha256: output::sha256_hex(c.loaded.text.as_bytes()),
        extends: c
            .loaded
            .extends
            .iter()
            .map(|f| ExtendedFile { path: f.path.display().to_string(), sha256: output::sha256_hex(f.text.as_bytes()) })
            .collect(),
    }
}

/// A scenario's subfolder: its label with path separators made safe.
pub(super) fn subfolder(label: &str) -> String {
    label.chars().map(|c| if c == '/' || c == '\\' || c == ':' { '_' } else { c }).collect()
}

fn print_headline(
    w: &mut impl Write,
    compared: &[Compared],
    settings: Settings,
    out_dir: &std::path::Path,
    seconds: f64,
) -> io::Result<()> {
    let base = &compared[0];
    writeln!(
        w,
        "{} scenarios against {} on common random numbers: {} replications, seed {}, in {:.2} s",
        compared.len() - 1,
        base.label,
        settings.replications,
        settings.seed,
        seconds
    )?;
    writeln!(
        w,
        "{:<24} {:<28} {:>14} {:>14} {:>14} {:>14}",
        "scenario", "metric (whole horizon)", "base", "difference", "95% CI low", "95% CI high"
    )?;
    let all = base.runs.collected.periods.len() - 1;
    let round = |x: f64| if x.is_nan() { "NA".to_string() } else { fmt_num((x * 1000.0).round() / 1000.0) };
    for c in &compared[1..] {
        for name in HEADLINE {
            let Some(k) = metrics::SYSTEM.iter().position(|m| m.name == name) else { continue };
            let values = |c: &Compared| c.runs.collected.values(Table::System, all, 0, k);
            let p = paired(&values(base)?, &values(c)?);
            writeln!(
                w,
                "{:<24} {:<28} {:>14} {:>14} {:>14} {:>14}",
                c.label,
                name,
                round(p.base_mean),
                round(p.diff.mean),
                round(p.diff.ci95_low),
                round(p.diff.ci95_high)
            )?;
        }
    }
    writeln!(w, "results in {}/", out_dir.display())
}
