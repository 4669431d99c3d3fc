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
    /// Reinvested money not yet turned into a community server.
    pub community_credit: i64,
    /// Extra top-slice next year to recover a PCT deficit (`practice_first`).
    pub recovery_slice: f64,
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
    /// Engagement and information are drawn once per replication from `rng`.
    pub fn new(pbc: &Pbc, practices: usize, mut rng: Stream) -> Self {
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
            community_credit: 0,
            recovery_slice: 0.0,
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
        let total: f64 = historic.iter().sum();
        let weights: Vec<f64> = config.practices.iter().map(|p| p.list_size as f64 * p.need_weight).collect();
        let weight_total: f64 = weights.iter().sum();
        let fair = |p: usize| if weight_total > 0.0 { total * weights[p] / weight_total } else { 0.0 };
        let slice = (1.0 - pbc.top_slice - self.recovery_slice).max(0.0);
        let fraction = calendar.years[y].fraction;
        for (p, state) in self.practices.iter_mut().enumerate() {
            let annual = match pbc.budget_method {
                BudgetMethod::Historic => historic[p],
                BudgetMethod::Capitation => fair(p),
                BudgetMethod::Blend(w) => (1.0 - w) * historic[p] + w * fair(p),
            };
            state.budget = Pence((annual * slice * fraction).round().max(0.0) as i64);
            state.spend_by_month.clear();
        }
        self.recovery_slice = 0.0;
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
    /// each practice's spend this year, `pct_balance` the PCT's balance before any
    /// payout. Returns each practice's settlement; updates trust and, under
    /// `practice_first`, next year's recovery top-slice.
    pub fn settle(&mut self, pbc: &Pbc, spend: &[i64], pct_balance: i64) -> Vec<Settlement> {
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
        let due_total: i64 = out.iter().map(|s| s.due).sum();
        let deficit = (-pct_balance).max(0);
        if pbc.deficit_rule == DeficitRule::PctFirst && deficit > 0 && due_total > 0 {
            // The deficit takes the savings first; practices share what is left.
            let savings_total: i64 = out.iter().map(|s| s.net).sum();
            let left = (savings_total - deficit).max(0) as f64 * pbc.retention;
            let share = (left / due_total as f64).min(1.0);
            let mut paid_total = 0;
            for s in out.iter_mut() {
                s.paid = (s.due as f64 * share).floor() as i64;
                paid_total += s.paid;
            }
            debug_assert!(paid_total <= due_total);
        }
        if pbc.deficit_rule == DeficitRule::PracticeFirst {
            let budgets: i64 = self.practices.iter().map(|s| s.budget.0).sum();
            let after = deficit + due_total;
            self.recovery_slice =
                if pct_balance - due_total < 0 && budgets > 0 { (after as f64 / budgets as f64).min(0.2) } else { 0.0 };
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

    #[test]
    fn gini_and_quintiles() {
        assert!((gini(&[1.0, 1.0, 1.0, 1.0]) - 0.0).abs() < 1e-12);
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]) - 0.75).abs() < 1e-12);
        assert_eq!(quintile_ratio(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]), 19.0 / 3.0);
        assert!(quintile_ratio(&[0.0; 10]).is_nan());
    }
}
