//! Practice-based commissioning: indicative budgets, how practices manage demand, and
//! the year-end settlement of savings (the brief, Practice-based commissioning).
//!
//! **Budgets.** Each practice gets an indicative budget for the year: its historic
//! spend (last year's outturn, or the warm-up's, annualised), a fair share of the same
//! total by list size × need weight, or a blend; less the top-slices; pro rata for a
//! part year. The budget is a shadow account: the PCT still pays every provider.
//!
//! **Behaviour.** A practice's effort to manage demand is
//!
//! ```text
//! effort = engagement × clamp(base + per_retention × retention + per_overspend × o, 0, max)
//! ```
//!
//! where `o` is the overspend the practice *perceives* (its spending to date as seen
//! `information_delay_months` late and with relative noise, against the pro-rata
//! budget; 0 when it sees an underspend). Effort diverts that share of discretionary
//! referrals: to the community service where it offers the line, otherwise to primary
//! care. How well the diversions are aimed depends on the practice's information: with
//! aim `a` and discretionary share `d`, a discretionary referral is diverted with
//! probability `effort × (1 − (1 − a)(1 − d))` and a necessary one with probability
//! `effort × d × (1 − a)`, so the diverted share is always `effort × d` and perfect aim
//! diverts only discretionary referrals. A necessary referral that was diverted comes
//! back later, as a referral or an emergency admission.
//!
//! **Settlement.** At the year end, savings = budget − spend. An overspend is carried
//! against future savings for up to `overspend_carry_years`. The practice may keep
//! `retention` of its positive savings, subject to the deficit rule: under `pct_first`
//! a PCT in deficit meets its deficit from the savings first and practices share what
//! is left; under `practice_first` practices are paid and the PCT recovers its deficit
//! by top-slicing next year's budgets; under `none` practices are paid. Freed-up
//! resources are reinvested in the community service, whose capacity grows by one
//! server for each `community_server_cost` reinvested. Engagement falls by
//! `trust_loss` after savings are clawed back and recovers `trust_recovery` of the way
//! back after they are paid.
//!
//! **Several PCTs.** Everything a PCT decides is its own: a fair-share budget divides
//! the historic spend of the PCT's own practices by their weighted lists, the deficit
//! rule looks at the PCT's own balance and its own practices' savings, a recovery
//! top-slice falls on its own practices' budgets, and its practices reinvest in its
//! own community provider. With one PCT every sum runs over the same practices in the
//! same order as before there could be several, so the results are the same to the
//! bit.

use rand::RngExt;
use rand_distr::{Distribution, Normal};

use crate::engine::Stream;

use super::config::{BudgetMethod, Config, DeficitRule, Pbc};
use super::money::Pence;

/// One practice's commissioning state.
#[derive(Debug, Clone)]
pub struct PracticeState {
    pub engagement: f64,
    pub informed: bool,
    pub effort: f64,
    /// This year's indicative budget.
    pub budget: Pence,
    /// Overspends carried forward: (years left, amount).
    carried: Vec<(u32, i64)>,
    /// Spending to date at the start of each month of this year.
    spend_by_month: Vec<i64>,
}

/// The commissioning state of one replication.
#[derive(Debug, Clone)]
pub struct PbcState {
    pub practices: Vec<PracticeState>,
    /// Activity valued at PbR prices during the warm-up, per practice.
    pub warm_up_spend: Vec<i64>,
    /// Per PCT, reinvested money not yet turned into a community server.
    pub community_credit: Vec<i64>,
    /// Per PCT, the extra top-slice of its practices' budgets next year to recover its
    /// deficit (`practice_first`).
    pub recovery_slice: Vec<f64>,
    noise: Stream,
}

/// What a practice's settlement came to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Settlement {
    /// Budget − spend (negative for an overspend).
    pub savings: i64,
    /// Positive savings left after carried overspends are offset.
    pub net: i64,
    /// Retention × savings net of carried overspends: what the practice may keep.
    pub due: i64,
    /// What the PCT pays the practice.
    pub paid: i64,
}

impl PbcState {
    /// Engagement and information are drawn once per replication from `rng`, for
    /// `practices` practices in `pcts` PCTs.
    pub fn new(pbc: &Pbc, practices: usize, pcts: usize, mut rng: Stream) -> Self {
        let states = (0..practices)
            .map(|_| {
                let engaged = rng.random::<f64>() < pbc.engaged_share;
                let informed = rng.random::<f64>() < pbc.informed_share;
                PracticeState {
                    engagement: if engaged { 1.0 } else { pbc.disengaged_engagement },
                    informed,
                    effort: 0.0,
                    budget: Pence::ZERO,
                    carried: Vec::new(),
                    spend_by_month: Vec::with_capacity(13),
                }
            })
            .collect();
        Self {
            practices: states,
            warm_up_spend: vec![0; practices],
            community_credit: vec![0; pcts],
            recovery_slice: vec![0.0; pcts],
            noise: rng,
        }
    }

    /// Sets every practice's budget for financial year `y`, given each practice's
    /// spend in the previous year (`None` for the first year).
    pub fn set_budgets(&mut self, config: &Config, pbc: &Pbc, y: usize, previous: Option<&[i64]>) {
        let calendar = &config.calendar;
        let warm_up_years = calendar.warm_up_days as f64 / 365.25;
        let historic: Vec<f64> = (0..self.practices.len())
            .map(|p| match (previous, pbc.historic_from_warm_up) {
                (Some(prev), false) => prev[p] as f64 / calendar.years[y - 1].fraction.max(1e-9),
                _ if warm_up_years > 0.0 => self.warm_up_spend[p] as f64 / warm_up_years,
                _ => 0.0,
            })
            .collect();
        let weights: Vec<f64> = config.practices.iter().map(|p| p.list_size as f64 * p.need_weight).collect();
        // A fair share divides the PCT's own historic spend among its own practices.
        let pcts = self.recovery_slice.len();
        let (mut total, mut weight_total) = (vec![0.0; pcts], vec![0.0; pcts]);
        for (p, practice) in config.practices.iter().enumerate() {
            total[practice.pct] += historic[p];
            weight_total[practice.pct] += weights[p];
        }
        let fair =
            |p: usize, k: usize| if weight_total[k] > 0.0 { total[k] * weights[p] / weight_total[k] } else { 0.0 };
        let fraction = calendar.years[y].fraction;
        for (p, state) in self.practices.iter_mut().enumerate() {
            let k = config.practices[p].pct;
            let annual = match pbc.budget_method {
                BudgetMethod::Historic => historic[p],
                BudgetMethod::Capitation => fair(p, k),
                BudgetMethod::Blend(w) => (1.0 - w) * historic[p] + w * fair(p, k),
            };
            let slice = (1.0 - pbc.top_slice - self.recovery_slice[k]).max(0.0);
            state.budget = Pence((annual * slice * fraction).round().max(0.0) as i64);
            state.spend_by_month.clear();
        }
        self.recovery_slice.fill(0.0);
    }

    /// At the start of month `month` (0-based within the year, `of` months in it):
    /// records spending to date and updates each practice's effort from the spending
    /// it can see.
    pub fn monthly(&mut self, pbc: &Pbc, spend_to_date: &[i64], month: usize, of: usize) {
        for (p, state) in self.practices.iter_mut().enumerate() {
            state.spend_by_month.push(spend_to_date[p]);
            let seen = month as i64 - pbc.information_delay_months as i64;
            let overspend = if seen > 0 && state.budget.0 > 0 {
                let noise = pbc.noise[usize::from(!state.informed)];
                let factor = 1.0 + Normal::new(0.0, noise.max(0.0)).map_or(0.0, |d| d.sample(&mut self.noise));
                let spent = state.spend_by_month[seen as usize] as f64 * factor.max(0.0);
                let due = state.budget.0 as f64 * seen as f64 / of.max(1) as f64;
                ((spent - due) / state.budget.0 as f64).max(0.0)
            } else {
                0.0
            };
            let e = &pbc.effort;
            let drive = (e.base + e.per_retention * pbc.retention + e.per_overspend * overspend).clamp(0.0, e.max);
            state.effort = state.engagement * drive;
        }
    }

    /// Whether a referral is diverted, and whether it was necessary, from two uniform
    /// draws (always both, so scenarios share their random numbers).
    pub fn divert(
        &self,
        pbc: &Pbc,
        practice: usize,
        discretionary_share: f64,
        u_kind: f64,
        u_divert: f64,
    ) -> Diversion {
        let state = &self.practices[practice];
        let discretionary = u_kind < discretionary_share;
        let aim = pbc.aim[usize::from(!state.informed)];
        let d = discretionary_share;
        let p =
            if discretionary { state.effort * (1.0 - (1.0 - aim) * (1.0 - d)) } else { state.effort * d * (1.0 - aim) };
        match (u_divert < p, discretionary) {
            (false, _) => Diversion::Refer,
            (true, true) => Diversion::Appropriate,
            (true, false) => Diversion::Inappropriate,
        }
    }

    /// Settles the year: savings, carried overspends, the deficit rule. `spend` is
    /// each practice's spend this year, `practice_pct` each practice's PCT, and
    /// `pct_balances` each PCT's balance before any payout. Returns each practice's
    /// settlement; updates trust and, under `practice_first`, each PCT's recovery
    /// top-slice for next year.
    pub fn settle(&mut self, pbc: &Pbc, spend: &[i64], practice_pct: &[u32], pct_balances: &[i64]) -> Vec<Settlement> {
        let mut out: Vec<Settlement> = Vec::with_capacity(self.practices.len());
        for (p, state) in self.practices.iter_mut().enumerate() {
            let savings = state.budget.0 - spend[p];
            let mut net = savings;
            if savings < 0 {
                if pbc.overspend_carry_years > 0 {
                    state.carried.push((pbc.overspend_carry_years, -savings));
                }
            } else {
                for (_, amount) in state.carried.iter_mut() {
                    let offset = net.min(*amount);
                    *amount -= offset;
                    net -= offset;
                }
            }
            state.carried.retain_mut(|(years, amount)| {
                *years = years.saturating_sub(1);
                *years > 0 && *amount > 0
            });
            let due = ((net.max(0) as f64) * pbc.retention).round() as i64;
            out.push(Settlement { savings, net: net.max(0), due, paid: due });
        }
        // Each PCT's totals over its own practices: what they are due, their savings
        // net of carried overspends, and their budgets.
        let pcts = pct_balances.len();
        let (mut due_total, mut savings_total, mut budgets) = (vec![0i64; pcts], vec![0i64; pcts], vec![0i64; pcts]);
        for ((s, state), &k) in out.iter().zip(&self.practices).zip(practice_pct) {
            due_total[k as usize] += s.due;
            savings_total[k as usize] += s.net;
            budgets[k as usize] += state.budget.0;
        }
        let deficit: Vec<i64> = pct_balances.iter().map(|b| (-b).max(0)).collect();
        if pbc.deficit_rule == DeficitRule::PctFirst {
            // A PCT's deficit takes its practices' savings first; they share what is
            // left. A PCT in balance pays its practices what they are due.
            let share: Vec<Option<f64>> = (0..pcts)
                .map(|k| {
                    (deficit[k] > 0 && due_total[k] > 0).then(|| {
                        let left = (savings_total[k] - deficit[k]).max(0) as f64 * pbc.retention;
                        (left / due_total[k] as f64).min(1.0)
                    })
                })
                .collect();
            for (s, &k) in out.iter_mut().zip(practice_pct) {
                if let Some(share) = share[k as usize] {
                    s.paid = (s.due as f64 * share).floor() as i64;
                    debug_assert!(s.paid <= s.due);
                }
            }
        }
        if pbc.deficit_rule == DeficitRule::PracticeFirst {
            for k in 0..pcts {
                let after = deficit[k] + due_total[k];
                self.recovery_slice[k] = if pct_balances[k] - due_total[k] < 0 && budgets[k] > 0 {
                    (after as f64 / budgets[k] as f64).min(0.2)
                } else {
                    0.0
                };
            }
        }
        for (state, s) in self.practices.iter_mut().zip(&out) {
            if s.paid < s.due {
                state.engagement *= 1.0 - pbc.trust_loss;
            } else if s.paid > 0 {
                state.engagement += pbc.trust_recovery * (1.0 - state.engagement);
            }
        }
        out
    }
}

/// What demand management does with one referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diversion {
    /// Referred to hospital as the GP intended.
    Refer,
    /// Diverted, and it was discretionary: no harm done.
    Appropriate,
    /// Diverted, but it was necessary: it will come back.
    Inappropriate,
}

/// The Gini coefficient of non-negative values (0 = equal, → 1 = concentrated).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let weighted: f64 = v.iter().enumerate().map(|(i, x)| (i + 1) as f64 * x).sum();
    (2.0 * weighted) / (n as f64 * total) - (n as f64 + 1.0) / n as f64
}

/// Mean of the top quintile over mean of the bottom quintile (NaN if the bottom is 0).
pub fn quintile_ratio(values: &[f64]) -> f64 {
    let n = values.len();
    let k = n / 5;
    if k == 0 {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let bottom: f64 = v[..k].iter().sum::<f64>() / k as f64;
    let top: f64 = v[n - k..].iter().sum::<f64>() / k as f64;
    if bottom > 0.0 { top / bottom } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `scenarios/pbc.toml` tiled into two PCTs, with its PBC rules.
    fn two_pcts() -> (Config, Pbc) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut loaded = crate::scenario::load(&root.join("scenarios/pbc.toml")).expect("scenario loads");
        loaded.scenario.pcts = Some(crate::scenario::schema::PctsSpec {
            generate: crate::scenario::schema::GeneratePcts {
                count: 2,
                columns: None,
                spacing_km: 15.0,
                opening_balances_gbp: None,
            },
        });
        let config = loaded.config().expect("scenario builds");
        let pbc = config.pbc.clone().expect("the scenario has PBC");
        (config, pbc)
    }

    fn state(config: &Config, pbc: &Pbc) -> PbcState {
        PbcState::new(pbc, config.practices.len(), config.pcts.len(), crate::engine::stream(1, 0, 0, 0))
    }

    fn pct_sum(config: &Config, k: usize, f: impl Fn(usize) -> i64) -> i64 {
        (0..config.practices.len()).filter(|&p| config.practices[p].pct == k).map(f).sum()
    }

    #[test]
    fn a_fair_share_divides_each_pcts_own_historic_spend() {
        let (config, mut pbc) = two_pcts();
        pbc.budget_method = BudgetMethod::Capitation;
        let mut st = state(&config, &pbc);
        // PCT 1's practices spent three times as much as PCT 0's in the warm-up.
        for (p, practice) in config.practices.iter().enumerate() {
            st.warm_up_spend[p] = if practice.pct == 0 { 1_000_000 } else { 3_000_000 };
        }
        st.set_budgets(&config, &pbc, 0, None);
        let scale =
            (1.0 - pbc.top_slice) * config.calendar.years[0].fraction / (config.calendar.warm_up_days as f64 / 365.25);
        for k in 0..2 {
            let historic = pct_sum(&config, k, |p| st.warm_up_spend[p]) as f64;
            let budgets = pct_sum(&config, k, |p| st.practices[p].budget.0) as f64;
            let n = config.practices.iter().filter(|p| p.pct == k).count() as f64;
            assert!((budgets - historic * scale).abs() <= n, "PCT {k}: budgets {budgets} against {}", historic * scale);
        }
    }

    /// A PCT's deficit rule takes only its own practices' savings: under `pct_first`
    /// they share (their savings − the deficit) × retention, and under
    /// `practice_first` the PCT tops-slices only its own practices' next budgets, by
    /// (deficit + what they are due) / their budgets. The figures are chosen so that
    /// pooling the two PCTs would give other shares.
    #[test]
    fn each_pct_settles_against_its_own_balance() {
        let (config, mut pbc) = two_pcts();
        let practice_pct: Vec<u32> = config.practices.iter().map(|p| p.pct as u32).collect();
        let spend: Vec<i64> = vec![800_000; config.practices.len()];
        let n0 = config.practices.iter().filter(|p| p.pct == 0).count() as i64;
        // PCT 0's deficit is a tenth of its practices' savings; PCT 1 is in surplus.
        let deficit = 20_000 * n0;
        let balances = [-deficit, 1_000_000_000];
        for rule in [DeficitRule::PctFirst, DeficitRule::PracticeFirst] {
            pbc.deficit_rule = rule;
            let mut st = state(&config, &pbc);
            st.practices.iter_mut().for_each(|s| s.budget = Pence(1_000_000));
            let out = st.settle(&pbc, &spend, &practice_pct, &balances);
            let due = |k: usize| pct_sum(&config, k, |p| out[p].due);
            let paid = |k: usize| pct_sum(&config, k, |p| out[p].paid);
            assert!(due(0) > 0 && due(1) > 0);
            match rule {
                DeficitRule::PctFirst => {
                    let savings = 200_000 * n0;
                    let share = (savings - deficit) as f64 * pbc.retention / due(0) as f64;
                    assert!(share < 1.0);
                    let expected = pct_sum(&config, 0, |p| (out[p].due as f64 * share).floor() as i64);
                    assert_eq!(paid(0), expected, "PCT 0's deficit takes its own practices' savings first");
                    assert_eq!(paid(1), due(1), "PCT 1 is in balance: its practices are paid in full");
                }
                _ => {
                    let expected = (deficit + due(0)) as f64 / (1_000_000 * n0) as f64;
                    assert!(expected < 0.2, "below the cap, so the test sees the formula");
                    assert_eq!(st.recovery_slice[0], expected, "PCT 0 recovers its deficit from its own budgets");
                    assert_eq!(st.recovery_slice[1], 0.0, "PCT 1 has nothing to recover");
                }
            }
        }
    }

    #[test]
    fn gini_and_quintiles() {
        assert!((gini(&[1.0, 1.0, 1.0, 1.0]) - 0.0).abs() < 1e-12);
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]) - 0.75).abs() < 1e-12);
        assert_eq!(quintile_ratio(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]), 19.0 / 3.0);
        assert!(quintile_ratio(&[0.0; 10]).is_nan());
    }
}
