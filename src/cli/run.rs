//! `pbrsim run`: load a scenario, run its replications, write the results.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use pbrsim::experiment::{self, Collected, Settings, Table, metrics, summarise};
use pbrsim::output::{self, ExtendedFile, RunInfo, ScenarioInfo, UncertainInfo, fmt_num};
use pbrsim::scenario;

use super::interrupt::{Interrupt, command_line};
use super::{EXIT_BAD_INPUT, EXIT_FAILURE, RunArgs, preflight, progress, report, table_memory};

/// Headline metrics printed after a run (whole horizon).
const HEADLINE: [&str; 8] = [
    "referrals_per_1000",
    "first_outpatient_attendances",
    "elective_admissions",
    "rtt_wait_p50_days",
    "rtt_within_18_weeks_share",
    "waiting_list_end",
    "tariff_paid_gbp",
    "ledger_imbalance_pence",
];

pub fn run(args: &RunArgs) -> io::Result<i32> {
    let loaded = match scenario::load(&args.scenario) {
        Ok(l) => l,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let model = match experiment::nominal_model(&loaded) {
        Ok(m) => m,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut resolved = loaded.scenario.clone();
    if let Some(reps) = args.reps {
        resolved.simulation.replications = reps;
    }
    if let Some(seed) = args.seed {
        resolved.simulation.seed = seed;
    }
    let threads = args.workers.count();
    let table_memory = match table_memory() {
        Ok(b) => b,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let settings = Settings {
        seed: resolved.simulation.seed,
        replications: resolved.simulation.replications,
        threads,
        table_memory,
        pathways: args.pathways,
    };
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let stem = args.scenario.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("output").join(stem)
    });

    if let Err(e) = preflight::check(
        &args.scenario,
        &loaded,
        &model,
        settings.replications,
        threads,
        args.pathways,
        args.max_memory,
    ) {
        report(e);
        return Ok(EXIT_BAD_INPUT);
    }
    // Checked before the run, so a bad --out costs seconds, not hours.
    let staged = match output::stage::stage(&out_dir) {
        Ok(s) => s,
        Err(e @ output::OutputError::NotResults { .. }) => {
            report(format!("error: {e}"));
            return Ok(EXIT_BAD_INPUT);
        }
        Err(e) => {
            report(format!("error: {e}"));
            return Ok(EXIT_FAILURE);
        }
    };
    let interrupt = match Interrupt::install_or_report() {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };

    let started = Instant::now();
    let bar = progress::bar(settings.replications as u64, args.quiet);
    let runs = experiment::run_scenario_until(&loaded, settings, &|| bar.inc(1), interrupt.flag());
    bar.finish_and_clear();
    let runs = match runs {
        Ok(r) => r,
        Err(experiment::ExperimentError::Run(experiment::RunError::Interrupted { completed, total })) => {
            return Ok(interrupted(&interrupt, &out_dir, &format!("after {completed} of {total} replications")));
        }
        Err(e) => {
            let bad = e.is_bad_input();
            report(format!("{e}\n  nothing was written; {}", kept(&out_dir)));
            return Ok(if bad { EXIT_BAD_INPUT } else { EXIT_FAILURE });
        }
    };
    let model = &runs.model;
    let collected = &runs.collected;
    let info = RunInfo {
        pbrsim_version: env!("CARGO_PKG_VERSION"),
        scenario: ScenarioInfo {
            path: &args.scenario.to_string_lossy(),
            sha256: output::sha256_hex(loaded.text.as_bytes()),
            extends: loaded
                .extends
                .iter()
                .map(|f| ExtendedFile {
                    path: f.path.display().to_string(),
                    sha256: output::sha256_hex(f.text.as_bytes()),
                })
                .collect(),
        },
        seed: settings.seed,
        replications: settings.replications,
        threads,
        wall_seconds: started.elapsed().as_secs_f64(),
        years: model.config().calendar.years.iter().map(|y| y.label.clone()).collect(),
        resolved_scenario: &resolved,
        uncertain_parameters: loaded.uncertain.iter().map(UncertainInfo::of).collect(),
        draws: &runs.parameters,
        pathways: settings.pathways,
    };
    if let Err(e) = output::write_run(staged.path(), model, collected, &info) {
        report(format!("error: {e}\n  {}", kept(&out_dir)));
        return Ok(EXIT_FAILURE);
    }
    if interrupt.requested() {
        return Ok(interrupted(&interrupt, &out_dir, "with every replication done, before replacing the results"));
    }
    if let Err(e) = staged.commit() {
        report(format!("error: {e}"));
        return Ok(EXIT_FAILURE);
    }
    if !args.quiet {
        print_headline(&mut io::stdout().lock(), collected, &info, &out_dir, started.elapsed().as_secs_f64())?;
    }
    if args.report {
        let code = super::plot::plot(&out_dir, &[], args.quiet)?;
        if code != 0 {
            return Ok(code);
        }
        return super::plot::report(&out_dir, &[], args.quiet);
    }
    Ok(0)
}

/// What became of the output folder when a run wrote nothing.
fn kept(out_dir: &std::path::Path) -> String {
    if out_dir.join(output::stage::MARKER).is_file() {
        format!("the previous results in {}/ are as they were", out_dir.display())
    } else {
        format!("{}/ was not created or changed", out_dir.display())
    }
}

/// Reports a stopped run and returns its exit code.
fn interrupted(interrupt: &Interrupt, out_dir: &std::path::Path, when: &str) -> i32 {
    let (signal, code) = interrupt.signal();
    report(format!(
        "interrupted by {signal} {when}: nothing was written; {}\n  to run it again: {}",
        kept(out_dir),
        command_line()
    ));
    code
}

fn print_headline(
    w: &mut impl Write,
    c: &Collected,
    info: &RunInfo,
    out_dir: &std::path::Path,
    seconds: f64,
) -> io::Result<()> {
    let all = c.periods.len() - 1;
    writeln!(
        w,
        "{} replications of {} ({}), seed {}, in {:.2} s",
        info.replications,
        info.scenario.path,
        info.years.join(", "),
        info.seed,
        seconds
    )?;
    writeln!(w, "{:<32} {:>16} {:>16} {:>16}", "metric (whole horizon)", "mean", "95% CI low", "95% CI high")?;
    for name in HEADLINE {
        if let Some(k) = metrics::SYSTEM.iter().position(|m| m.name == name) {
            let s = summarise(&c.values(Table::System, all, 0, k)?);
            let round = |x: f64| if x.is_nan() { "NA".to_string() } else { fmt_num((x * 1000.0).round() / 1000.0) };
            writeln!(w, "{:<32} {:>16} {:>16} {:>16}", name, round(s.mean), round(s.ci95_low), round(s.ci95_high))?;
        }
    }
    writeln!(w, "results in {}/", out_dir.display())
}
