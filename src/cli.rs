//! Command-line interface: arguments, dispatch, exit codes and the terminal.
//!
//! Exit codes: 0 success; 1 the run failed (an invariant was violated, a file could not
//! be written); 2 bad input (a scenario file or a command-line argument is wrong).

mod calibrate;
mod compare;
mod interrupt;
mod plot;
mod preflight;
mod progress;
mod rerun;
mod run;
mod sweep;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit code for bad input.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a run that failed.
pub const EXIT_FAILURE: i32 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "pbrsim",
    version,
    about = "Discrete-event simulation of the English NHS market reforms: referral, choice, waiting lists and Payment by Results",
    after_help = "Exit codes: 0 success, 1 run failed, 2 bad input.\nDocumentation: README.md, docs/scenario.md, docs/outputs.md"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario's replications and write results
    Run(RunArgs),
    /// Check scenario files without running them, and show their expected load
    Validate(ValidateArgs),
    /// Compare policies against a base on common random numbers (paired differences)
    Compare(CompareArgs),
    /// Run a sweep over parameter values (or one shard of it)
    Sweep(SweepArgs),
    /// Merge the folders of a sweep's shards into one result
    Merge(MergeArgs),
    /// Reproduce an output folder from its manifest and report whether the bytes match
    Rerun(RerunArgs),
    /// Draw charts (charts/*.png and charts/*.svg) from an output directory
    Plot(DirArgs),
    /// Write report.html, a self-contained report with charts, from an output directory
    Report(DirArgs),
    /// Run a scenario and check it against its [[calibration]] targets (exit 1 if any is missed)
    Calibrate(CalibrateArgs),
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scenario file (TOML) with [[calibration]] targets
    pub scenario: PathBuf,
    /// Replications, at least 2 for a confidence interval (default: the scenario's simulation.replications)
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub reps: Option<u32>,
    /// Master seed (default: the scenario's simulation.seed)
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub workers: Workers,
}

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// A folder written by `run`, `compare` or `sweep` (with its manifest.json)
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base scenario, then one or more policy scenarios (TOML)
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Replications (default: the base scenario's simulation.replications)
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub reps: Option<u32>,
    /// Master seed for every scenario (default: the base scenario's simulation.seed)
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub workers: Workers,
    /// Output directory (default: output/compare-<base file stem>)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
}

/// A shard `K/N` of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let err = || format!("expected K/N with 1 <= K <= N, such as 2/8; got `{s}`");
    let (k, n) = s.split_once('/').ok_or_else(err)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
    if k == 0 || k > n { Err(err()) } else { Ok(Shard { k, n }) }
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep file (TOML)
    pub sweep: PathBuf,
    /// Output directory
    #[arg(long)]
    pub out: PathBuf,
    /// Run only shard K of N (points K-1, K-1+N, ...); merge the shards with `pbrsim merge`
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Continue a sweep in --out: skip the points already complete
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub workers: Workers,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders written by `pbrsim sweep --shard`
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Output directory
    #[arg(long)]
    pub out: PathBuf,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
}

/// The environment variable that sets the largest metric table a run keeps in memory,
/// in bytes; a larger table goes to a temporary file (see `docs/reliability.md`).
pub const TABLE_MEMORY_ENV: &str = "PBRSIM_TABLE_MEMORY";

/// The largest metric table to keep in memory: [`TABLE_MEMORY_ENV`] if set, else the
/// library's default. A value that is not a whole number of bytes is refused.
pub fn table_memory() -> Result<usize, String> {
    match std::env::var(TABLE_MEMORY_ENV) {
        Err(_) => Ok(pbrsim::experiment::collected::MEMORY_LIMIT),
        Ok(v) => v.trim().parse().map_err(|_| {
            format!("error: {TABLE_MEMORY_ENV} = `{v}`: expected a whole number of bytes (such as 16777216)")
        }),
    }
}

/// `--threads`, for every command that runs replications.
#[derive(Debug, Args)]
pub struct Workers {
    /// Worker threads (default: one per core); results do not depend on it
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
}

impl Workers {
    /// Worker threads: as asked, or one per core.
    pub fn count(&self) -> usize {
        self.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |t| t as usize)
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Replications (default: the scenario's simulation.replications)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub reps: Option<u32>,
    /// Master seed (default: the scenario's simulation.seed)
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub workers: Workers,
    /// Output directory (default: output/<scenario file stem>)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// After the run, draw the charts and write report.html into the output directory
    #[arg(long)]
    pub report: bool,
    /// Also write pathways.csv: every patient's referral-to-treatment pathway (one row
    /// per clock stop in the reported years; large: about 60,000 rows per baseline
    /// replication-year)
    #[arg(long)]
    pub pathways: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Refuse a run estimated to need more memory than this (e.g. 8G; `none` to skip)
    #[arg(long, value_name = "SIZE", value_parser = preflight::parse_max_memory)]
    pub max_memory: Option<preflight::MaxMemory>,
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// Output directory written by `pbrsim run`, `pbrsim compare` or `pbrsim sweep`
    pub dir: PathBuf,
    /// A metric to chart in a comparison or sweep folder (repeatable; default: the
    /// headline metrics, see docs/outputs.md)
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (TOML)
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Report a scenario estimated to need more memory than this (default: what is available)
    #[arg(long, value_name = "SIZE", value_parser = preflight::parse_max_memory)]
    pub max_memory: Option<preflight::MaxMemory>,
}

/// Writes an error to stderr. Never panics: if stderr itself is gone there is nobody
/// left to tell.
pub fn report(message: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// Parses arguments, runs the command, and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => validate::validate(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge(&args),
        Command::Rerun(args) => rerun::rerun(&args),
        Command::Plot(args) => plot::plot(&args.dir, &args.metrics, args.quiet),
        Command::Report(args) => plot::report(&args.dir, &args.metrics, args.quiet),
        Command::Calibrate(args) => calibrate::calibrate(&args),
    };
    match outcome {
        Ok(code) => code,
        // The reader went away (`pbrsim validate ... | head`): not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            report(format!("error: cannot write to the terminal: {e}"));
            EXIT_FAILURE
        }
    }
}
