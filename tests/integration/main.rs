//! pbrsim's integration tests, in one test binary so they link once.
//!
//! - `queueing`: the engine against queueing theory (Erlang C, Little's law).
//! - `model`: the health-economy model through the library API: books, conservation,
//!   common random numbers, edge cases.
//! - `determinism`: identical bytes whatever the thread count.
//! - `cli`: the `pbrsim` command: runs, validation, bad input, golden outputs.
//! - `calibration`: the baseline scenario against the domain brief's figures.
//! - `docs`: the reference docs name every key and metric.
//! - `analysis`: comparisons, parameter uncertainty, sweeps, shards, resume, merge.
//! - `levers`: levers for new providers, entry, petitions, reviews and tenders.
//! - `report`: charts and the HTML report drawn from real runs.
//! - `reliability`: interruption, output safety, preflight refusals, numeric edge
//!   cases, invariants; `bad_input`: the corpus of bad scenario files.

mod analysis;
mod bad_input;
mod calibration;
mod cli;
mod common;
mod determinism;
mod docs;
mod levers;
mod market;
mod model;
mod pbc;
mod pcts;
mod queueing;
mod reliability;
mod report;
