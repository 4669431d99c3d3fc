//! `pbrsim sweep` and `pbrsim merge`: run a sweep's points (all, or one shard),
//! resumably, and merge shards.

use std::io::{self, Write};
use std::time::Instant;

use serde::Serialize;

use pbrsim::experiment::sweep::Sweep;
use pbrsim::output::{self, sweep as out};

use super::interrupt::{Interrupt, command_line};
use super::{EXIT_BAD_INPUT, EXIT_FAILURE, MergeArgs, Shard, SweepArgs, progress, report, table_memory, threads};

#[derive(Serialize)]
struct ShardRecord {
    shard: usize,
    of: usize,
    points: Vec<usize>,
}

pub fn sweep(args: &SweepArgs) -> io::Result<i32> {
    let mut sweep = match Sweep::load(&args.sweep) {
        Ok(s) => s,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    sweep.settings.table_memory = match table_memory() {
        Ok(b) => b,
        Err(e) => {
            report(e);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let record = out::SweepRecord::of(&sweep);
    let json = match record.to_json() {
        Ok(j) => j,
        Err(e) => {
            report(format!("error: {e}"));
            return Ok(EXIT_FAILURE);
        }
    };
    let dir = &args.out;
    let existing = dir.join("sweep.json");
    if existing.exists() {
        if !args.resume {
            report(format!(
                "error: {} already holds a sweep: pass --resume to continue it, or choose another --out",
                dir.display()
            ));
            return Ok(EXIT_BAD_INPUT);
        }
        if std::fs::read(&existing).ok().as_deref() != Some(json.as_slice()) {
            report(format!(
                "error: cannot resume in {}: the sweep, its scenario or pbrsim changed since it started (sweep.json differs); choose another --out",
                dir.display()
            ));
            return Ok(EXIT_BAD_INPUT);
        }
    }
    let shard = args.shard.unwrap_or(Shard { k: 1, n: 1 });
    let todo: Vec<_> = sweep.shard(shard.k, shard.n).collect();
    let result = (|| -> Result<(), output::OutputError> {
        out::clean_temporaries(dir)?;
        output::atomic::write(&existing, &json)?;
        if args.shard.is_some() {
            let s = ShardRecord { shard: shard.k, of: shard.n, points: todo.iter().map(|p| p.id).collect() };
            let mut bytes = serde_json::to_vec_pretty(&s)?;
            bytes.push(b'\n');
            output::atomic::write(&dir.join("shard.json"), &bytes)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        report(format!("error: {e}"));
        return Ok(EXIT_FAILURE);
    }
    let interrupt = match Interrupt::install_or_report() {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let pending: Vec<_> = todo.into_iter().filter(|p| !out::point_summary(dir, p.id).is_file()).collect();
    let skipped = sweep.shard(shard.k, shard.n).count() - pending.len();
    let started = Instant::now();
    let reps = sweep.settings.replications as usize;
    let bar = progress::bar((pending.len() * reps) as u64, args.quiet);
    let workers = threads(args.threads);
    let stopped = |done: usize| {
        let (signal, code) = interrupt.signal();
        report(format!(
            "stopped by {signal} after {done} of {} points; the completed points are kept in {}/\n  to finish the sweep, run: {}",
            pending.len(),
            dir.display(),
            resume_command()
        ));
        code
    };
    for (done, p) in pending.iter().enumerate() {
        if interrupt.requested() {
            bar.finish_and_clear();
            return Ok(stopped(done));
        }
        bar.set_message(format!("point {}", p.id));
        let runs = match sweep.run_point_until(p, workers, &|| bar.inc(1), interrupt.flag()) {
            Ok(r) => r,
            Err(_) if interrupt.requested() => {
                bar.finish_and_clear();
                return Ok(stopped(done));
            }
            Err(e) => {
                bar.finish_and_clear();
                let bad = e.is_bad_input();
                report(format!("while running sweep point {} ({}):", p.id, sweep.describe(p)));
                report(e);
                return Ok(if bad { EXIT_BAD_INPUT } else { EXIT_FAILURE });
            }
        };
        let collected = &runs.collected;
        let providers: Vec<String> = runs.model.config().providers.iter().map(|p| p.name.clone()).collect();
        let written =
            out::write_point(dir, p.id, collected, reps, &providers, &record.uncertain_parameters, &runs.parameters);
        if let Err(e) = written {
            bar.finish_and_clear();
            report(format!("error: {e}"));
            return Ok(EXIT_FAILURE);
        }
    }
    bar.finish_and_clear();
    let mut stdout = io::stdout().lock();
    if !args.quiet {
        writeln!(
            stdout,
            "{} points of {} ({} to run, {} already complete), {} replications each, in {:.2} s",
            pending.len() + skipped,
            args.sweep.display(),
            pending.len(),
            skipped,
            reps,
            started.elapsed().as_secs_f64()
        )?;
    }
    if args.shard.is_some() {
        if !args.quiet {
            writeln!(
                stdout,
                "shard {}/{} in {}/; merge every shard with: pbrsim merge DIR... --out DIR",
                shard.k,
                shard.n,
                dir.display()
            )?;
        }
        return Ok(0);
    }
    match out::merge(std::slice::from_ref(dir), dir) {
        Ok(_) => {
            if !args.quiet {
                writeln!(stdout, "results in {}/", dir.display())?;
            }
            Ok(0)
        }
        Err(e) => {
            report(format!("error: {e}"));
            Ok(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE })
        }
    }
}

pub fn merge(args: &MergeArgs) -> io::Result<i32> {
    match out::merge(&args.shards, &args.out) {
        Ok(_) => {
            if !args.quiet {
                writeln!(
                    io::stdout().lock(),
                    "merged {} folders; results in {}/",
                    args.shards.len(),
                    args.out.display()
                )?;
            }
            Ok(0)
        }
        Err(e) => {
            report(format!("error: {e}"));
            Ok(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE })
        }
    }
}

/// This command line with `--resume` (once).
fn resume_command() -> String {
    let line = command_line();
    if line.split(' ').any(|a| a == "--resume") { line } else { format!("{line} --resume") }
}
