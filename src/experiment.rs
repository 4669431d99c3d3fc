//! Monte Carlo experiments: replications in parallel, statistics across them.
//!
//! Replication `r` depends only on `(model, seed, r)`. Replications run on a rayon
//! pool of the requested size, and results are gathered by replication index, never
//! in completion order, so every output is byte-identical whatever the thread count.

pub mod calibration;
pub mod collected;
pub mod compare;
pub mod memory;
pub mod metrics;
pub mod stats;
pub mod sweep;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::{Model, ModelError, ReplicationResult, YearRecord};
use crate::scenario::{Loaded, ScenarioError};

pub use collected::{Collected, Row, Table};
pub use stats::{Summary, summarise};

/// Label of the whole-horizon period in outputs.
pub const ALL_YEARS: &str = "all";

/// How to run an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub seed: u64,
    pub replications: u32,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// The largest metric table kept in memory, in bytes; a larger one goes to a
    /// temporary file ([`collected::MEMORY_LIMIT`] by default).
    pub table_memory: usize,
    /// Record every patient's referral-to-treatment pathway (`pathways.csv`): off by
    /// default, since per-patient data grow with the population.
    pub pathways: bool,
}

impl Default for Settings {
    /// Seed 0, one replication, a thread per core, the default table memory.
    fn default() -> Self {
        Self { seed: 0, replications: 1, threads: 0, table_memory: collected::MEMORY_LIMIT, pathways: false }
    }
}

/// Why an experiment failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "replication {replication} with seed {seed} failed: {source}\n  (reproduce it alone with: --seed {seed} --reps {reps})",
        reps = replication + 1
    )]
    Replication { replication: u64, seed: u64, source: ModelError },
    #[error("cannot start a pool of {threads} worker threads: {message}")]
    ThreadPool { threads: usize, message: String },
    /// The caller asked the run to stop: the replications in flight finished, no new
    /// one started, and the results are discarded (a partial set would be a different
    /// experiment from the one asked for).
    #[error("interrupted after {completed} of {total} replications")]
    Interrupted { completed: u64, total: u64 },
}

/// Runs the replications and returns them in replication order. `on_done` is called
/// once per finished replication, from whichever thread finished it.
pub fn run(model: &Model, settings: Settings, on_done: &(dyn Fn() + Sync)) -> Result<Vec<ReplicationResult>, RunError> {
    run_until(model, settings, on_done, &AtomicBool::new(false))
}

/// As [`run`], but stops early, cleanly, once `stop` is set (by a signal handler, say):
/// replications already running finish, none starts after, and the result is
/// [`RunError::Interrupted`]. A replication that fails (an invariant is violated) also
/// stops the run: no replication starts after it, and the failure is reported with the
/// seed that reproduces it (the lowest-numbered failure among those that ran).
pub fn run_until(
    model: &Model,
    settings: Settings,
    on_done: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<Vec<ReplicationResult>, RunError> {
    run_into(model, settings, on_done, stop, &AtomicBool::new(false), &|_, result| result)
}

/// The work of [`run_until`], with what is kept of each replication chosen by `keep`,
/// called on the worker thread as the replication finishes: the whole result, or
/// nothing once `keep` has stored what it needs elsewhere, so that a long experiment
/// need not hold every replication's records at once. `halt`, like `stop`, starts no
/// replication once set (by `keep`, failing to store a result).
fn run_into<T: Send>(
    model: &Model,
    settings: Settings,
    on_done: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    halt: &AtomicBool,
    keep: &(dyn Fn(u64, ReplicationResult) -> T + Sync),
) -> Result<Vec<T>, RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| RunError::ThreadPool { threads: settings.threads, message: e.to_string() })?;
    let failed = AtomicBool::new(false);
    let completed = AtomicU64::new(0);
    // `None`: skipped because the run was stopping.
    let results: Vec<Option<Result<T, ModelError>>> = pool.install(|| {
        (0..settings.replications as u64)
            .into_par_iter()
            .map(|r| {
                if stop.load(Ordering::SeqCst) || failed.load(Ordering::SeqCst) || halt.load(Ordering::SeqCst) {
                    return None;
                }
                let out = model.run_replication_logged(settings.seed, r, settings.pathways);
                if out.is_err() {
                    failed.store(true, Ordering::SeqCst);
                } else {
                    completed.fetch_add(1, Ordering::SeqCst);
                }
                on_done();
                Some(out.map(|result| keep(r, result)))
            })
            .collect()
    });
    let mut done = Vec::with_capacity(results.len());
    let mut skipped = false;
    for (r, res) in results.into_iter().enumerate() {
        match res {
            Some(Ok(x)) => done.push(x),
            Some(Err(source)) => {
                return Err(RunError::Replication { replication: r as u64, seed: settings.seed, source });
            }
            None => skipped = true,
        }
    }
    if skipped {
        return Err(RunError::Interrupted {
            completed: completed.load(Ordering::SeqCst),
            total: settings.replications as u64,
        });
    }
    Ok(done)
}

/// Why a scenario's experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("error: {path}: {source}")]
    Model { path: String, source: ModelError },
    #[error(
        "error: replication {replication}: the parameters drawn ({values}) make an invalid scenario; narrow their distributions\n{source}"
    )]
    Draw { replication: u64, values: String, source: Box<ScenarioError> },
    #[error(
        "error: replication {replication}: the parameters drawn change the number of {what} ({nominal} nominal, {drawn} drawn)"
    )]
    Shape { replication: u64, what: &'static str, nominal: usize, drawn: usize },
    #[error("error: {0}")]
    Run(#[from] RunError),
    /// The metric table could not be kept in its temporary file (a full disk, say).
    #[error(
        "error: cannot keep the metric table in a temporary file in {dir}: {source}\n  = help: a large run's table goes to the system's temporary folder; set TMPDIR to a disk with room"
    )]
    Table { dir: String, source: std::io::Error },
}

impl ExperimentError {
    fn table(source: std::io::Error) -> Self {
        Self::Table { dir: std::env::temp_dir().display().to_string(), source }
    }
}

impl ExperimentError {
    /// Whether the input was at fault (exit code 2) rather than the run (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Self::Run(_) | Self::Table { .. })
    }
}

/// A scenario's replications: the nominal model (uncertain parameters at their
/// means; it names the entities), every metric of every replication and, per
/// replication, the values drawn for the uncertain parameters.
///
/// Each replication's records are collected into the metric table as it finishes and
/// then dropped; the table itself goes to a temporary file once it is large (see
/// [`collected`]), so memory does not grow with the number of replications.
#[derive(Debug)]
pub struct Runs {
    pub model: Model,
    pub collected: Collected,
    pub parameters: Vec<Vec<f64>>,
}

/// The nominal model of a scenario.
pub fn nominal_model(loaded: &Loaded) -> Result<Model, ExperimentError> {
    let config = loaded.config()?;
    Model::new(config).map_err(|source| ExperimentError::Model { path: loaded.path.display().to_string(), source })
}

/// Runs a scenario's replications. Without uncertain parameters every replication
/// shares one model; with them, replication `r` builds its own from its draws.
/// Either way replication `r` depends only on `(scenario, seed, r)`.
pub fn run_scenario(loaded: &Loaded, settings: Settings, on_done: &(dyn Fn() + Sync)) -> Result<Runs, ExperimentError> {
    run_scenario_until(loaded, settings, on_done, &AtomicBool::new(false))
}

/// As [`run_scenario`], but stops early, cleanly, once `stop` is set (see
/// [`run_until`]): the result is then `RunError::Interrupted`.
pub fn run_scenario_until(
    loaded: &Loaded,
    settings: Settings,
    on_done: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<Runs, ExperimentError> {
    let model = nominal_model(loaded)?;
    if loaded.uncertain.is_empty() {
        let collected = run_collected(&model, settings, on_done, stop)?;
        let parameters = vec![Vec::new(); collected.replications()];
        return Ok(Runs { model, collected, parameters });
    }
    let collector = Collector::new(&model, settings)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| RunError::ThreadPool { threads: settings.threads, message: e.to_string() })?;
    let nominal = model.config();
    let completed = AtomicU64::new(0);
    let drawn: Vec<Option<Kept>> = pool.install(|| {
        (0..settings.replications as u64)
            .into_par_iter()
            .map(|r| {
                if stop.load(Ordering::SeqCst) || collector.halt.load(Ordering::SeqCst) {
                    return None;
                }
                Some(draw_and_run(loaded, nominal, settings, r, on_done, &completed).map(|(values, result)| {
                    collector.add(r, &result);
                    values
                }))
            })
            .collect()
    });
    collector.failed()?;
    let mut parameters = Vec::with_capacity(drawn.len());
    let mut skipped = false;
    for d in drawn {
        let Some(d) = d else {
            skipped = true;
            continue;
        };
        parameters.push(d?);
    }
    if skipped {
        let (completed, total) = (completed.load(Ordering::SeqCst), settings.replications as u64);
        return Err(RunError::Interrupted { completed, total }.into());
    }
    let collected = collector.finish()?;
    Ok(Runs { model, collected, parameters })
}

/// The metric table being filled by the workers as replications finish. The first
/// failure to store a replication (a full disk under the table's file) sets `halt`,
/// so that no replication starts after it, and is the run's error.
struct Collector<'m> {
    model: &'m Model,
    table: Mutex<Collected>,
    failure: Mutex<Option<std::io::Error>>,
    halt: AtomicBool,
}

impl<'m> Collector<'m> {
    fn new(model: &'m Model, settings: Settings) -> Result<Self, ExperimentError> {
        let mut table = Collected::with_memory_limit(model, settings.replications as usize, settings.table_memory)
            .map_err(ExperimentError::table)?;
        if settings.pathways {
            table.record_pathways().map_err(ExperimentError::table)?;
        }
        Ok(Self { model, table: Mutex::new(table), failure: Mutex::new(None), halt: AtomicBool::new(false) })
    }

    fn add(&self, r: u64, result: &ReplicationResult) {
        let stored =
            self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).add(self.model, r as usize, result);
        if let Err(e) = stored {
            self.failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get_or_insert(e);
            self.halt.store(true, Ordering::SeqCst);
        }
    }

    /// The first failure to store a replication, if any (taken).
    fn failed(&self) -> Result<(), ExperimentError> {
        match self.failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
            Some(e) => Err(ExperimentError::table(e)),
            None => Ok(()),
        }
    }

    fn finish(self) -> Result<Collected, ExperimentError> {
        self.failed()?;
        Ok(self.table.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).finish())
    }
}

/// Runs `model`'s replications (as [`run_until`]) and collects each into the metric
/// table as it finishes, keeping nothing else of it: memory does not grow with the
/// number of replications.
pub fn run_collected(
    model: &Model,
    settings: Settings,
    on_done: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<Collected, ExperimentError> {
    let collector = Collector::new(model, settings)?;
    let ran = run_into(model, settings, on_done, stop, &collector.halt, &|r, result| collector.add(r, &result));
    // A failure to store a replication explains the replications it skipped.
    collector.failed()?;
    ran?;
    collector.finish()
}

/// A replication with drawn parameters: the values drawn and the result.
type Drawn = Result<(Vec<f64>, ReplicationResult), ExperimentError>;
/// What is kept of it once its result is collected: the values drawn.
type Kept = Result<Vec<f64>, ExperimentError>;

/// Replication `r` of a scenario with uncertain parameters: draw, build, run.
fn draw_and_run(
    loaded: &Loaded,
    nominal: &crate::model::Config,
    settings: Settings,
    r: u64,
    on_done: &(dyn Fn() + Sync),
    completed: &AtomicU64,
) -> Drawn {
    let shape = |c: &crate::model::Config| [c.practices.len(), c.lines.len(), c.providers.len()];
    let (values, scenario) = loaded.draw(settings.seed, r);
    let bad = |source: ScenarioError| ExperimentError::Draw {
        replication: r,
        values: loaded
            .uncertain
            .iter()
            .zip(&values)
            .map(|(u, v)| format!("{} = {v}", u.name))
            .collect::<Vec<_>>()
            .join(", "),
        source: Box::new(source),
    };
    let config = scenario.and_then(|s| loaded.config_of(&s)).map_err(bad)?;
    for ((what, n), d) in
        ["practices", "service lines", "providers"].into_iter().zip(shape(nominal)).zip(shape(&config))
    {
        if n != d {
            return Err(ExperimentError::Shape { replication: r, what, nominal: n, drawn: d });
        }
    }
    let m = Model::new(config)
        .map_err(|source| ExperimentError::Model { path: loaded.path.display().to_string(), source })?;
    let out = m
        .run_replication_logged(settings.seed, r, settings.pathways)
        .map_err(|source| RunError::Replication { replication: r, seed: settings.seed, source })?;
    completed.fetch_add(1, Ordering::SeqCst);
    on_done();
    Ok((values, out))
}

/// The whole-horizon record of a replication.
pub fn whole_horizon(result: &ReplicationResult) -> Option<YearRecord> {
    let mut it = result.years.iter();
    let mut all = it.next()?.clone();
    for y in it {
        all.merge(y);
    }
    Some(all)
}
