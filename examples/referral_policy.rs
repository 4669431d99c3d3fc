//! A custom referral policy through the public API: a referral management centre.
//!
//! ```sh
//! cargo run --release --example referral_policy
//! ```
//!
//! Some PCTs in the 2000s routed GP referrals through a referral management centre that
//! turned back a share of them. Here it screens dermatology and "other specialties"
//! referrals from the practices that refer most (multiplier above 1.2) and returns a
//! fifth of them to primary care. The policy is a plain function of the practice and
//! the service line, giving the probability that the GP's decision is a referral;
//! `Model::with_referral_policy` evaluates it once per (practice, line) when the model
//! is built, so it costs nothing per simulated event. Both versions run on the same
//! random numbers, so the printed differences are the policy's.

use std::error::Error;
use std::path::Path;

use pbrsim::experiment::{self, Collected, Settings, Table, metrics, summarise};
use pbrsim::model::{Model, Practice, ServiceLine, default_referral_policy};
use pbrsim::scenario;

fn referral_management(practice: &Practice, line: &ServiceLine) -> f64 {
    let p = default_referral_policy(practice, line);
    let screened = matches!(line.name.as_str(), "dermatology" | "other_specialties");
    if screened && practice.referral_multiplier > 1.2 { 0.8 * p } else { p }
}

fn mean(model: &Model, settings: Settings, metric: &str) -> Result<f64, Box<dyn Error>> {
    let results = experiment::run(model, settings, &|| {})?;
    let collected = Collected::new(model, &results);
    let p = collected.periods.iter().position(|x| x == "all").ok_or("no period `all`")?;
    let k = metrics::SYSTEM.iter().position(|m| m.name == metric).ok_or("no such metric")?;
    Ok(summarise(&collected.values(Table::System, p, 0, k)?).mean)
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = scenario::load(&path)?;
    let settings = Settings { seed: 20070401, replications: 6, threads: 2, ..Settings::default() };
    let base = Model::new(loaded.config()?)?;
    let rmc = Model::with_referral_policy(loaded.config()?, referral_management)?;
    for metric in ["referrals_per_1000", "admitted_rtt_wait_p50_days", "tariff_paid_gbp"] {
        let (a, b) = (mean(&base, settings, metric)?, mean(&rmc, settings, metric)?);
        println!("{metric:28} baseline {a:>14.2}   with the centre {b:>14.2}   difference {:>+12.2}", b - a);
    }
    Ok(())
}
