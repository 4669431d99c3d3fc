//! pbrsim: a discrete-event simulator of the English NHS market reforms of the
//! mid-2000s: GP referral, patient choice, provider waiting lists, Payment by Results
//! and the commissioning policies layered on top.
//!
//! Layers, with dependencies pointing only downward:
//!
//! - [`engine`]: time, the future-event list, random streams, queues. No NHS words.
//! - [`model`]: the health economy. No files, no terminal.
//! - [`scenario`]: a TOML scenario file → a validated [`model::Config`].
//! - [`experiment`]: replications in parallel, statistics across them.
//! - [`output`]: CSV and JSON files, written atomically.
//! - [`report`]: charts and an HTML report drawn from an output directory's files.
//!
//! The command-line interface and progress display live in the binary.

pub mod engine;
pub mod experiment;

pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
