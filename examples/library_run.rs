//! pbrsim as a library: load a scenario, change it in code, run it, and read a metric.
//!
//! ```sh
//! cargo run --release --example library_run
//! ```
//!
//! The same steps as `pbrsim run`, without files or a terminal: the library knows
//! nothing of either. Here every referred patient is offered a choice (the 2006 policy's
//! promise, against the 47% who recalled an offer), and the example prints the median
//! admitted wait of both versions, run on the same random numbers.

use std::error::Error;
use std::path::Path;

use pbrsim::experiment::{self, Collected, Settings, Table, metrics, summarise};
use pbrsim::model::Model;
use pbrsim::scenario;

/// Mean and 95% CI across replications of a system metric in a period.
fn headline(model: &Model, settings: Settings, metric: &str, period: &str) -> Result<(f64, f64, f64), Box<dyn Error>> {
    let results = experiment::run(model, settings, &|| {})?;
    let collected = Collected::new(model, &results);
    let p = collected.periods.iter().position(|x| x == period).ok_or("no such period")?;
    let k = metrics::SYSTEM.iter().position(|m| m.name == metric).ok_or("no such metric")?;
    let s = summarise(&collected.values(Table::System, p, 0, k)?);
    Ok((s.mean, s.ci95_low, s.ci95_high))
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = scenario::load(&path)?;
    let settings = Settings { seed: 20070401, replications: 6, threads: 2, ..Settings::default() };

    let base = Model::new(loaded.config()?)?;
    let mut policy = loaded.clone();
    policy.scenario.choice.offered_share = 1.0;
    let policy = Model::new(policy.config()?)?;

    for (name, model) in [("baseline (47% offered)", &base), ("everyone offered a choice", &policy)] {
        let (mean, low, high) = headline(model, settings, "admitted_rtt_wait_p50_days", "2008/09")?;
        println!("{name:28} admitted median wait 2008/09: {mean:.1} days [{low:.1}, {high:.1}]");
    }
    Ok(())
}
