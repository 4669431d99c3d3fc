//! Checks of a built model before it runs: that its money fits in 64-bit pence.
//!
//! Every amount is checked as it is added, so an overflow can never wrap; but finding
//! it hours into a run is poor service. Before the run, the largest amount of money
//! the scenario could move is bounded from its expected activity (with a generous
//! margin for randomness and growing lists), and a scenario whose bound does not fit
//! is refused with the figure and the key that drives it.

use crate::model::{Item, Model, Payment};

use super::diagnostic::KeyPath;
use super::validate::Problem;

/// Headroom for randomness, overloaded lists and emergencies against expected volumes.
const MARGIN: f64 = 4.0;

/// Largest sum of money that may move in a run, in pence: half of `i64::MAX`, so that
/// a balance (a partial sum of the movements, of either sign) always fits.
pub const MAX_PENCE: f64 = (i64::MAX / 2) as f64;

/// Money flows of a run, each with the scenario key that drives it.
fn flows(model: &Model) -> Vec<(f64, KeyPath)> {
    let c = model.config();
    let root = KeyPath::default();
    let years = c.calendar.end.max(1.0) / 365.25 + 1.0;
    let population = c.population() as f64;
    let mut flows = Vec::new();
    let items = [
        ("first_outpatient_gbp", Item::FirstOutpatient),
        ("follow_up_gbp", Item::FollowUp),
        ("elective_spell_gbp", Item::ElectiveSpell),
    ];
    for (load, (p, l)) in model.expected_load().iter().zip(model.services()) {
        let line = &c.lines[l];
        let provider = &c.providers[p];
        let factor = provider.mff_e5 as f64 * provider.price_factor_e5 as f64 / 1e10;
        let follow_ups = line.follow_ups_outpatient_mean + line.follow_ups_admitted_mean;
        for (key, item) in items {
            let volume = match item {
                Item::FirstOutpatient => load.referrals_per_year,
                Item::FollowUp => load.referrals_per_year * follow_ups,
                Item::ElectiveSpell => load.admissions_per_year,
            };
            let price = line.tariff[item as usize].0 as f64 * factor;
            let cost =
                provider.services.iter().find(|s| s.line == l).map_or(0.0, |s| s.marginal_cost[item as usize].0 as f64);
            let at = root.key("service_lines").index(l).key("tariff").key(key);
            flows.push((MARGIN * years * volume * (price + cost), at));
        }
    }
    // Every PCT is built from the one `[pct]` table: the largest figures bound them all.
    let most = |f: fn(&crate::model::Pct) -> f64| c.pcts.iter().map(f).fold(0.0, f64::max);
    let growth = (1.0 + most(|p| p.allocation_growth)).powf(years);
    let per_head = most(|p| p.allocation_per_head.0.max(p.unmodelled_pbr_per_head.0) as f64);
    let opening: f64 = c.pcts.iter().map(|p| p.opening_balance.unsigned_abs() as f64).sum();
    flows.push((years * growth * population * per_head + opening, root.key("pct").key("allocation_per_head_gbp")));
    for (p, provider) in c.providers.iter().enumerate() {
        let at = root.key("providers").index(p);
        flows.push((years * provider.fixed_cost.0 as f64, at.key("fixed_cost_gbp")));
        if let Payment::Block { annual } = provider.payment {
            flows.push((years * annual.0 as f64, at.key("block_annual_gbp")));
        }
    }
    if let Some(e) = &c.emergency {
        let spells = MARGIN * years * e.admissions_per_1000 / 1000.0 * population;
        let mff = c.providers.iter().map(|p| p.mff_e5 as f64 / 1e5).fold(1.0, f64::max);
        flows.push((
            spells * (e.tariff.0 as f64 * mff + e.marginal_cost.0 as f64),
            root.key("emergency").key("tariff_gbp"),
        ));
    }
    flows
}

/// Problems with the money of `model`: none, or one naming the figure and the key that
/// contributes most to it.
pub fn money(model: &Model) -> Vec<Problem> {
    let flows = flows(model);
    let total: f64 = flows.iter().map(|(x, _)| x).sum();
    if total.is_finite() && total <= MAX_PENCE {
        return Vec::new();
    }
    let (_, at) = flows.iter().max_by(|a, b| a.0.total_cmp(&b.0)).expect("at least the allocation");
    vec![Problem {
        path: at.clone(),
        message: format!(
            "money would overflow: this scenario could move about £{:.3e} over the run, more than the £{:.3e} that \
             64-bit pence can hold (this value drives most of it)",
            total / 100.0,
            MAX_PENCE / 100.0
        ),
        help: Some("amounts are in pounds: check the units, or shorten the horizon".into()),
    }]
}
