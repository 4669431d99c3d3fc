//! `pbrsim sweep` and `pbrsim merge`: run a sweep's points (all, or one shard),
//! resumably, and merge shards.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use pbrsim::experiment::sweep::{Point, Sweep, SweepError};
use pbrsim::output::{self, sweep as out};

use super::interrupt::{Interrupt, command_line};
use super::{EXIT_BAD_INPUT, EXIT_FAILURE, MergeArgs, Shard, SweepArgs, progress, report, table_memory};

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
    let workers = args.workers.count();
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
    // Points run `concurrent` at a time, each on `per_point` workers: replications
    // alone cannot use more workers than there are replications (a 64-core node and
    // 20 replications a point). Each point's outputs are its own files and depend only
    // on the point, so the split changes nothing written.
    let (concurrent, per_point) = split_workers(workers, reps, pending.len());
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    // The points that failed (index into `pending`) and why.
    let failures: Mutex<Vec<(usize, PointFailure)>> = Mutex::new(Vec::new());
    let failed = AtomicBool::new(false);
    let labels = Mutex::new(std::collections::BTreeSet::new());
    std::thread::scope(|scope| {
        for _ in 0..concurrent {
            scope.spawn(|| {
                loop {
                    if interrupt.requested() || failed.load(Ordering::SeqCst) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = pending.get(i) else { return };
                    let message = |labels: &std::collections::BTreeSet<usize>| {
                        let ids: Vec<String> = labels.iter().map(|id| id.to_string()).collect();
                        format!("point {}", ids.join(", "))
                    };
                    {
                        let mut l = labels.lock().unwrap_or_else(|e| e.into_inner());
                        l.insert(p.id);
                        bar.set_message(message(&l));
                    }
                    let outcome = run_and_write(&sweep, p, per_point, &bar, &interrupt, dir, reps, &record);
                    {
                        let mut l = labels.lock().unwrap_or_else(|e| e.into_inner());
                        l.remove(&p.id);
                        bar.set_message(message(&l));
                    }
                    match outcome {
                        Ok(()) => {
                            done.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(f) => {
                            if !interrupt.requested() {
                                failed.store(true, Ordering::SeqCst);
                            }
                            failures.lock().unwrap_or_else(|e| e.into_inner()).push((i, f));
                        }
                    }
                }
            });
        }
    });
    let done = done.into_inner();
    if interrupt.requested() {
        bar.finish_and_clear();
        return Ok(stopped(done));
    }
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.sort_by_key(|(i, _)| *i);
    if let Some((i, f)) = failures.into_iter().next() {
        bar.finish_and_clear();
        let p = &pending[i];
        return Ok(match f {
            PointFailure::Run(e) => {
                let bad = e.is_bad_input();
                report(format!("while running sweep point {} ({}):", p.id, sweep.describe(p)));
                report(e);
                if bad { EXIT_BAD_INPUT } else { EXIT_FAILURE }
            }
            PointFailure::Write(e) => {
                report(format!("error: {e}"));
                EXIT_FAILURE
            }
        });
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

/// How to share `workers` among points with `reps` replications each: how many points
/// run at once, and the workers each gets. Replications come first (a point never gets
/// fewer workers than it can use while points wait), and no more points run at once
/// than there are.
fn split_workers(workers: usize, reps: usize, points: usize) -> (usize, usize) {
    let workers = workers.max(1);
    let concurrent = (workers / reps.max(1)).clamp(1, points.max(1));
    (concurrent, (workers / concurrent).max(1))
}

/// Why a point was not completed.
enum PointFailure {
    Run(SweepError),
    Write(output::OutputError),
}

/// Runs point `p` on `threads` workers and writes its files.
#[allow(clippy::too_many_arguments)]
fn run_and_write(
    sweep: &Sweep,
    p: &Point,
    threads: usize,
    bar: &indicatif::ProgressBar,
    interrupt: &Interrupt,
    dir: &Path,
    reps: usize,
    record: &out::SweepRecord,
) -> Result<(), PointFailure> {
    let runs = sweep.run_point_until(p, threads, &|| bar.inc(1), interrupt.flag()).map_err(PointFailure::Run)?;
    let providers: Vec<String> = runs.model.config().providers.iter().map(|p| p.name.clone()).collect();
    out::write_point(dir, p.id, &runs.collected, reps, &providers, &record.uncertain_parameters, &runs.parameters)
        .map_err(PointFailure::Write)
}

#[cfg(test)]
mod tests {
    use super::split_workers;

    #[test]
    fn workers_go_to_replications_first_then_to_points() {
        assert_eq!(split_workers(2, 20, 11), (1, 2));
        assert_eq!(split_workers(64, 20, 11), (3, 21));
        assert_eq!(split_workers(8, 2, 3), (3, 2));
        assert_eq!(split_workers(8, 1, 100), (8, 1));
        assert_eq!(split_workers(1, 5, 4), (1, 1));
        assert_eq!(split_workers(4, 3, 0), (1, 4));
    }
}
