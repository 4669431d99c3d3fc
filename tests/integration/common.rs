//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use pbrsim::experiment::{self, Collected, Settings, Table, metrics};
use pbrsim::model::{Model, ReplicationResult};
use pbrsim::scenario;

/// Path of a file in the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Builds the model of a scenario file.
pub fn model(rel: &str) -> Model {
    let loaded = scenario::load(&repo(rel)).unwrap_or_else(|e| panic!("{e}"));
    Model::new(loaded.config().unwrap_or_else(|e| panic!("{e}"))).expect("model builds")
}

/// Builds the model of scenario text, after `edit` has changed it.
pub fn model_with(rel: &str, edit: impl FnOnce(&mut scenario::Scenario)) -> Model {
    let loaded = scenario::load(&repo(rel)).unwrap_or_else(|e| panic!("{e}"));
    let mut loaded = loaded;
    edit(&mut loaded.scenario);
    Model::new(loaded.config().unwrap_or_else(|e| panic!("{e}"))).expect("model builds")
}

/// Runs `reps` replications.
pub fn run(model: &Model, seed: u64, reps: u32) -> Vec<ReplicationResult> {
    experiment::run(model, Settings { seed, replications: reps, threads: 2, ..Settings::default() }, &|| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Per-replication values of a system metric in a period (`"all"` or a year label).
pub fn system_values(model: &Model, results: &[ReplicationResult], period: &str, metric: &str) -> Vec<f64> {
    let c = Collected::new(model, results);
    let p = c.periods.iter().position(|x| x == period).unwrap_or_else(|| panic!("no period {period}"));
    let k = metrics::SYSTEM.iter().position(|m| m.name == metric).unwrap_or_else(|| panic!("no metric {metric}"));
    c.values(Table::System, p, 0, k).expect("table in memory")
}
