//! `pbrsim validate`: check scenario files without running them, and show the
//! expected demand against capacity of every provider service. A sweep file (a file
//! with `[[parameter]]` tables) is checked too: its scenario and every point.

use std::io::{self, Write};

use pbrsim::model::Model;
use pbrsim::scenario;

use pbrsim::experiment::memory::human_bytes;

use super::{EXIT_BAD_INPUT, ValidateArgs, preflight, report};

pub fn validate(args: &ValidateArgs) -> io::Result<i32> {
    let mut out = io::stdout().lock();
    let mut failed = 0;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for path in &args.scenarios {
        if is_sweep(path) {
            match pbrsim::experiment::sweep::Sweep::load(path) {
                Ok(s) => {
                    if !args.quiet {
                        writeln!(
                            out,
                            "ok {}: sweep of {} points ({} design) of {}, {} replications each",
                            path.display(),
                            s.points.len(),
                            s.spec.design.as_str(),
                            s.scenario.path.display(),
                            s.settings.replications
                        )?;
                    }
                }
                Err(e) => {
                    report(e);
                    failed += 1;
                }
            }
            continue;
        }
        let checked = scenario::load(path).map_err(|e| e.to_string()).and_then(|l| {
            let config = l.config().map_err(|e| e.to_string())?;
            let model = Model::new(config).map_err(|e| format!("error: {}: {e}", path.display()))?;
            let reps = l.scenario.simulation.replications;
            let estimate = preflight::check(path, &l, &model, reps, threads, false, args.max_memory)?;
            Ok((model, reps, estimate))
        });
        match checked {
            Ok((model, reps, estimate)) => {
                if !args.quiet {
                    describe(&mut out, path, &model)?;
                    writeln!(
                        out,
                        "  memory: about {} for {reps} replications on {threads} threads",
                        human_bytes(estimate.total())
                    )?;
                    if estimate.table_file > 0.0 {
                        writeln!(
                            out,
                            "  disk: the metric table waits in a temporary file of {} (TMPDIR)",
                            human_bytes(estimate.table_file)
                        )?;
                    }
                }
            }
            Err(e) => {
                report(e);
                failed += 1;
            }
        }
    }
    Ok(if failed > 0 { EXIT_BAD_INPUT } else { 0 })
}

/// Whether a file holds a sweep: a sweep file (`scenario` and `[[parameter]]`) or a
/// scenario with its own `[sweep]` table (checked as a sweep, which loads the scenario).
fn is_sweep(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path).ok().and_then(|t| toml::from_str::<toml::Table>(&t).ok()).is_some_and(|t| {
        (t.contains_key("parameter") && t.contains_key("scenario")) || t.get("sweep").is_some_and(toml::Value::is_table)
    })
}

fn describe(w: &mut impl Write, path: &std::path::Path, model: &Model) -> io::Result<()> {
    let c = model.config();
    let years = &c.calendar.years;
    writeln!(
        w,
        "ok {}: {}, {} practices ({} people), {} service lines, {} providers; {} to {} after {} days' warm-up",
        path.display(),
        match c.pcts.as_slice() {
            [one] => one.name.clone(),
            many => format!("{} PCTs", many.len()),
        },
        c.practices.len(),
        c.population(),
        c.lines.len(),
        c.providers.len(),
        years.first().map_or("?", |y| y.label.as_str()),
        years.last().map_or("?", |y| y.label.as_str()),
        c.calendar.warm_up_days,
    )?;
    writeln!(
        w,
        "  {:<28} {:<24} {:>10} {:>10} {:>6} {:>10} {:>10} {:>6}",
        "provider", "service line", "referrals", "op cap", "load", "admits", "adm cap", "load"
    )?;
    for l in model.expected_load() {
        let flag = |u: f64| if u >= 1.0 { " !" } else { "" };
        writeln!(
            w,
            "  {:<28} {:<24} {:>10.0} {:>10.0} {:>6.2} {:>10.0} {:>10.0} {:>6.2}{}",
            c.providers[l.provider].name,
            c.lines[l.line].name,
            l.referrals_per_year,
            l.outpatient_capacity,
            l.outpatient_utilisation(),
            l.admissions_per_year,
            l.admission_capacity,
            l.admission_utilisation(),
            flag(l.outpatient_utilisation().max(l.admission_utilisation())),
        )?;
    }
    let overloaded = model
        .expected_load()
        .iter()
        .filter(|l| l.outpatient_utilisation() >= 1.0 || l.admission_utilisation() >= 1.0)
        .count();
    if overloaded > 0 {
        writeln!(
            w,
            "  ! {overloaded} list(s) expect more demand than capacity: their waits will grow through the run"
        )?;
    }
    for p in &c.providers {
        let when = match p.entry {
            pbrsim::model::Entry::Open => continue,
            pbrsim::model::Entry::Scheduled(t) => format!("enters on {}", c.calendar.date_at(t)),
            pbrsim::model::Entry::Tender { line } => format!("enters if {} is tendered", c.lines[line].name),
        };
        writeln!(w, "  {} {when}: the loads above treat it as open from the start", p.name)?;
    }
    Ok(())
}
