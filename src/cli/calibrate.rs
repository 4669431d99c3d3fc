//! `pbrsim calibrate`: run a scenario and judge it against the published figures its
//! `[[calibration]]` entries state. Writes no files; prints one row per target ending
//! in `PASS` or `FAIL`, and exits 1 if any target is missed.

use std::io::{self, Write};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use pbrsim::experiment::calibration::{self, Outcome};
use pbrsim::experiment::{self, Settings};
use pbrsim::model::Model;
use pbrsim::scenario;

use super::{CalibrateArgs, EXIT_BAD_INPUT, EXIT_FAILURE, progress, report, table_memory};

pub fn calibrate(args: &CalibrateArgs) -> io::Result<i32> {
    let loaded = match scenario::load(&args.scenario) {
        Ok(l) => l,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let targets = match calibration::targets(&loaded.scenario.calibration) {
        Ok(t) if t.is_empty() => {
            report(format!(
                "error: {}: no [[calibration]] targets to check\n  = help: add entries as described in docs/scenario.md (`[[calibration]]`)",
                args.scenario.display()
            ));
            return Ok(EXIT_BAD_INPUT);
        }
        Ok(t) => t,
        Err(e) => {
            report(format!("error: {}: {e}", args.scenario.display()));
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let model = match loaded.config().map_err(|e| e.to_string()).and_then(|c| Model::new(c).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => {
            report(format!("error: {}: {e}", args.scenario.display()));
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let table_memory = match table_memory() {
        Ok(b) => b,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let threads = args.workers.count();
    let settings = Settings {
        seed: args.seed.unwrap_or(loaded.scenario.simulation.seed),
        replications: args.reps.unwrap_or(loaded.scenario.simulation.replications),
        threads,
        table_memory,
        ..Settings::default()
    };
    if settings.replications < 2 {
        report(format!(
            "error: {}: calibration needs at least 2 replications for a confidence interval, got {}\n  = help: pass --reps 2 or more",
            args.scenario.display(),
            settings.replications
        ));
        return Ok(EXIT_BAD_INPUT);
    }
    let started = Instant::now();
    let bar = progress::bar(settings.replications as u64, false);
    let collected = experiment::run_collected(&model, settings, &|| bar.inc(1), &AtomicBool::new(false));
    bar.finish_and_clear();
    let collected = match collected {
        Ok(c) => c,
        Err(e) => {
            report(e);
            return Ok(EXIT_FAILURE);
        }
    };
    let outcomes = match calibration::evaluate(&targets, &collected) {
        Ok(o) => o,
        Err(e) => {
            report(format!("error: {}: {e}", args.scenario.display()));
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{} replications of {}, seed {}, in {:.2} s",
        settings.replications,
        args.scenario.display(),
        settings.seed,
        started.elapsed().as_secs_f64()
    )?;
    print_table(&mut out, &outcomes)?;
    let missed = outcomes.iter().filter(|o| !o.pass).count();
    writeln!(
        out,
        "{} of {} targets met (PASS: the whole 95% CI of the mean lies inside the range)",
        outcomes.len() - missed,
        outcomes.len()
    )?;
    Ok(if missed > 0 { EXIT_FAILURE } else { 0 })
}

/// Significant figures enough to compare with a range: four, or whole units for
/// large numbers.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "NA".into();
    }
    let digits = if x == 0.0 { 0 } else { (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize };
    format!("{x:.digits$}")
}

fn print_table(w: &mut impl Write, outcomes: &[Outcome]) -> io::Result<()> {
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            let s = &o.summary;
            let model = if s.n < 2 || s.sd == 0.0 {
                num(s.mean)
            } else {
                format!("{} [{}, {}]", num(s.mean), num(s.ci95_low), num(s.ci95_high))
            };
            [
                o.target.name.clone(),
                o.target.year.clone(),
                o.target.tolerance.clone(),
                model,
                o.target.source.clone(),
                if o.pass { "PASS" } else { "FAIL" }.to_string(),
            ]
        })
        .collect();
    let header = ["target", "year", "tolerance", "model mean [95% CI]", "source", "result"];
    let mut width = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |w: &mut dyn Write, cells: [&str; 6]| -> io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.extend(std::iter::repeat_n(' ', width[i] - c.chars().count() + 2));
            }
        }
        writeln!(w, "{s}")
    };
    line(w, header)?;
    for r in &rows {
        line(w, [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]])?;
    }
    Ok(())
}
