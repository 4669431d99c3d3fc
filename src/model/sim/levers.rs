//! The replication's side of the levers for new providers (rules and equations in
//! [`crate::model::levers`]) and of entry: each lever's payments, its reconciliation
//! at period ends, and a provider opening.

use crate::model::config::Item;
use crate::model::ledger::Account;
use crate::model::levers::{self, Active, Floor, Period};
use crate::model::money::Pence;
use crate::model::record::{MarketEvent, MarketEventKind};
use crate::model::waiting_list::Stage;
use crate::model::{Model, ModelError};

use super::{Replication, add, overflow};

/// One provider's levers during a run: when each runs (once the provider is in the
/// market) and what has accrued toward the next reconciliation.
#[derive(Debug, Clone, Default)]
pub(super) struct LeverState {
    supplement: Option<Active>,
    guarantee: Option<Active>,
    capital: Option<Active>,
    assurance: Option<Active>,
    /// The guarantee's floor for a whole year.
    annual_floor: Pence,
    /// Supplements paid so far (for the cap).
    supplement_paid: Pence,
    /// The guarantee's floor accrued, and the income counted against it, this period.
    period_floor: Pence,
    period_income: Pence,
    /// Days the assurance ran, and elective spells delivered under it, this year.
    assurance_days: u64,
    assurance_spells: u64,
}

impl LeverState {
    /// The levers of provider `p`, running from `entered` if it is in the market. An
    /// error if a take-or-pay floor does not fit in 64-bit pence.
    pub(super) fn new(m: &Model, p: usize, entered: Option<f64>) -> Result<Self, ModelError> {
        let provider = &m.config.providers[p];
        let annual_floor = match provider.levers.guarantee.as_ref().map(|g| &g.floor) {
            None => Pence::ZERO,
            Some(Floor::Income(f)) => *f,
            Some(Floor::Volumes { volumes, premium_ppm }) => {
                let mut total = 0i128;
                for v in volumes {
                    let s = m.services.iter().position(|s| s.provider == p && s.within == v.within);
                    let Some(s) = s else { continue };
                    for item in Item::ALL {
                        let price = m.prices.price(s, item);
                        let price = levers::unit_supplement(price, *premium_ppm)
                            .and_then(|premium| price.checked_add(premium))
                            .ok_or_else(overflow)?;
                        total += price.0 as i128 * v.cases[item as usize] as i128;
                    }
                }
                Pence(i64::try_from(total).map_err(|_| overflow())?)
            }
        };
        let mut state = Self { annual_floor, ..Default::default() };
        if let Some(t) = entered {
            state.resolve(m, p, t);
        }
        Ok(state)
    }

    /// Fixes when each lever runs, now that the provider entered at `t`.
    fn resolve(&mut self, m: &Model, p: usize, t: f64) {
        let l = &m.config.providers[p].levers;
        let cal = &m.config.calendar;
        self.supplement = l.supplement.as_ref().map(|x| x.window.resolve(cal, t));
        self.guarantee = l.guarantee.as_ref().map(|x| x.window.resolve(cal, t));
        self.capital = l.capital.as_ref().map(|x| x.window.resolve(cal, t));
        self.assurance = l.assurance.as_ref().map(|x| x.window.resolve(cal, t));
    }
}

/// The days in `a` that also lie in `b` (both `[from, to)` day numbers).
fn clip(a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
    let lo = a.0.max(b.0);
    (lo, a.1.min(b.1).max(lo))
}

impl Replication<'_> {
    /// The levers on one completed, paid unit of elective activity at time `now`: the
    /// supplement on its price, and its income toward the guarantee and assurance.
    // The unit of activity's coordinates (who pays, where, what): a struct would only
    // be built to be taken apart again.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn activity_levers(
        &mut self,
        now: f64,
        y: usize,
        pct: usize,
        service: usize,
        provider: usize,
        item: Item,
        tariff: Pence,
    ) -> Result<(), ModelError> {
        if !self.m.services[service].pbr {
            return Ok(());
        }
        let state = &mut self.providers[provider].levers;
        let mut supplement = Pence::ZERO;
        // The provider's configuration only when a supplement is active (state says so
        // first): read for every unit of activity, it would be a miss in a large economy.
        if let Some(a) = state.supplement
            && a.contains(now)
            && let Some(s) = &self.m.config.providers[provider].levers.supplement
        {
            let unit = levers::unit_supplement(self.m.prices.price(service, item), s.rate_ppm).ok_or_else(overflow)?;
            supplement = levers::capped(unit, state.supplement_paid, s.cap);
            if supplement.0 > 0 {
                self.ledger.post(Account::Pct(pct), Account::Provider(provider), supplement)?;
                self.books.pct_out[pct] += supplement.0 as i128;
                add(&mut state.supplement_paid, supplement)?;
                self.books.supplement[provider] += supplement.0 as i128;
                add(&mut self.years[y].providers[provider].supplement_income, supplement)?;
            }
        }
        if state.guarantee.is_some_and(|a| a.contains(now)) {
            add(&mut state.period_income, tariff)?;
            add(&mut state.period_income, supplement)?;
        }
        if item == Item::ElectiveSpell && state.assurance.is_some_and(|a| a.contains(now)) {
            state.assurance_spells += 1;
        }
        Ok(())
    }

    /// The capital charge for month `k`'s days `days`: the PCT pays it whether or not
    /// the provider is still in the market.
    pub(super) fn month_levers_before(&mut self, p: usize, k: usize, days: (u64, u64)) -> Result<(), ModelError> {
        let c = &self.m.config;
        let month = c.calendar.months[k];
        let (Some(cap), Some(a)) = (&c.providers[p].levers.capital, self.providers[p].levers.capital) else {
            return Ok(());
        };
        let (lo, hi) = clip(a.days_in(&month), days);
        let charge = cap.annual_charge.pro_rata(lo, hi, c.calendar.years[month.year].days as u64);
        if charge.0 == 0 {
            return Ok(());
        }
        self.pct_pays(c.providers[p].commissioner, Account::External, charge)?;
        self.books.capital_charge += charge.0 as i128;
        add(&mut self.years[month.year].providers[p].capital_charge, charge)
    }

    /// The fixed cost capital support and assurance take off provider `p` over month
    /// `k`'s days `days`.
    pub(super) fn relief(&self, p: usize, k: usize, days: (u64, u64)) -> Pence {
        let c = &self.m.config;
        let month = c.calendar.months[k];
        let of = c.calendar.years[month.year].days as u64;
        let l = &c.providers[p].levers;
        let st = &self.providers[p].levers;
        let mut relief = Pence::ZERO;
        for (annual, active) in
            [(l.capital.as_ref().map(|x| x.relief), st.capital), (l.assurance.as_ref().map(|x| x.relief), st.assurance)]
        {
            if let (Some(annual), Some(a)) = (annual, active) {
                let (lo, hi) = clip(a.days_in(&month), days);
                relief = Pence(relief.0.saturating_add(annual.pro_rata(lo, hi, of).0));
            }
        }
        relief
    }

    /// While provider `p` is in the market: its guarantee floor and assured days
    /// accrue over month `k`'s days `days`.
    pub(super) fn month_levers_open(&mut self, p: usize, k: usize, days: (u64, u64)) -> Result<(), ModelError> {
        let c = &self.m.config;
        let month = c.calendar.months[k];
        let of = c.calendar.years[month.year].days as u64;
        let st = &mut self.providers[p].levers;
        if let Some(a) = st.guarantee {
            let (lo, hi) = clip(a.days_in(&month), days);
            let floor = st.annual_floor.pro_rata(lo, hi, of);
            add(&mut st.period_floor, floor)?;
        }
        if let Some(a) = st.assurance {
            let (lo, hi) = clip(a.days_in(&month), days);
            st.assurance_days += hi - lo;
        }
        Ok(())
    }

    /// At a period end, the PCT tops each guaranteed provider's income up to the floor
    /// accrued over the period. `quarter_end` reconciles quarterly guarantees only (a
    /// financial year end reconciles every guarantee).
    pub(super) fn reconcile_guarantees(&mut self, y: usize, quarter_end: bool) -> Result<(), ModelError> {
        for p in 0..self.providers.len() {
            let Some(g) = &self.m.config.providers[p].levers.guarantee else { continue };
            if quarter_end && g.period != Period::Quarterly {
                continue;
            }
            let take_or_pay = matches!(g.floor, Floor::Volumes { .. });
            let st = &mut self.providers[p].levers;
            let (floor, income) = (st.period_floor, st.period_income);
            st.period_floor = Pence::ZERO;
            st.period_income = Pence::ZERO;
            let topup = levers::topup(floor, income);
            if topup.0 > 0 {
                self.pct_pays(self.m.config.providers[p].commissioner, Account::Provider(p), topup)?;
            }
            self.books.topup[p] += topup.0 as i128;
            let pr = &mut self.years[y].providers[p];
            add(&mut pr.mig_topup, topup)?;
            add(&mut pr.guarantee_floor, floor)?;
            add(&mut pr.guarantee_income, income)?;
            if take_or_pay {
                add(&mut pr.undelivered_paid, topup)?;
            }
        }
        Ok(())
    }

    /// At a financial year end (or the end of the run): guarantees are reconciled and
    /// assurances settled for year `y`.
    pub(super) fn settle_levers(&mut self, y: usize) -> Result<(), ModelError> {
        self.reconcile_guarantees(y, false)?;
        let year_days = self.m.config.calendar.years[y].days as u64;
        for p in 0..self.providers.len() {
            let Some(a) = &self.m.config.providers[p].levers.assurance else { continue };
            let st = &mut self.providers[p].levers;
            let (days, spells) = (st.assurance_days, st.assurance_spells);
            st.assurance_days = 0;
            st.assurance_spells = 0;
            let (paid, exposure) = levers::assurance_due(a, days, year_days, spells).ok_or_else(overflow)?;
            if paid.0 > 0 {
                self.pct_pays(self.m.config.providers[p].commissioner, Account::Provider(p), paid)?;
            }
            self.books.assurance[p] += paid.0 as i128;
            let pr = &mut self.years[y].providers[p];
            add(&mut pr.assurance_paid, paid)?;
            add(&mut pr.assurance_exposure, exposure)?;
        }
        Ok(())
    }

    /// Provider `p` enters the market: its services open with their servers, join
    /// choice sets and GPs' defaults, and its levers start to run. If it opens
    /// part-way through a month, it pays that month's remaining days.
    pub(super) fn enter(&mut self, now: f64, p: usize) -> Result<(), ModelError> {
        if self.providers[p].open || self.providers[p].entered.is_some() {
            return Ok(());
        }
        let m = self.m;
        self.providers[p].open = true;
        self.providers[p].entered = Some(now);
        self.providers[p].levers.resolve(m, p, now);
        let mut servers = 0u64;
        for s in (0..m.services.len()).filter(|&s| m.services[s].provider == p) {
            self.choice.open(s);
            for stage in [Stage::FirstOutpatient, Stage::Admission] {
                let n = self.lists[s].initial_servers(stage);
                servers += n as u64;
                for patient in self.lists[s].set_servers(stage, now, n) {
                    self.start(stage, now, s, patient)?;
                }
            }
        }
        // The rest of the current month, from the first whole day (as its levers).
        if let Some(k) = self.month {
            self.month_provider(p, k, now.ceil())?;
        }
        if let Some(y) = self.year {
            self.years[y].entries += 1;
            self.events.push(MarketEvent {
                time: now,
                kind: MarketEventKind::Entry,
                provider: Some(p),
                service: None,
                line: None,
                pct: None,
                value: servers,
            });
        }
        Ok(())
    }
}
