//! Command-line interface: arguments, dispatch, exit codes and the terminal.
//!
//! Exit codes: 0 success; 1 the run failed (an invariant was violated, a file could not
//! be written); 2 bad input (a scenario file or a command-line argument is wrong).

mod interrupt;
mod preflight;
mod progress;
mod run;
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
    /// Worker threads (default: one per core); results do not depend on it
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// Output directory (default: output/<scenario file stem>)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Refuse a run estimated to need more memory than this (e.g. 8G; `none` to skip)
    #[arg(long, value_name = "SIZE", value_parser = preflight::parse_max_memory)]
    pub max_memory: Option<preflight::MaxMemory>,
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
