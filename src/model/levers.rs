//! Levers a PCT can pull to bring in and keep a new provider (2006 Commissioning
//! Framework; domain brief, "Levers to attract new providers"), and how a provider
//! enters the market.
//!
//! Every lever belongs to one provider's contract and runs over its own window
//! `[start, end)` of simulated time. Each pays through its own ledger postings, so its
//! cost is reported by itself:
//!
//! - **Tariff supplement**: per completed case, `round_half_up(price × rate)` on top of
//!   the tariff × MFF price, PCT → provider, until an optional cap in pounds is reached
//!   (the payment that reaches the cap is cut to land on it exactly).
//! - **Minimum income guarantee**: at the end of each period (quarter or financial
//!   year) the PCT tops the provider's elective income (tariff plus supplement earned
//!   while the guarantee runs) up to the floor accrued over the period's days in the
//!   window. The floor is an annual sum in pounds, or guaranteed annual volumes ×
//!   price × (1 + premium): "take or pay", as in the ISTC Wave 1 contracts.
//! - **Capital support**: the PCT provides the facility; the provider's annual fixed
//!   cost falls by the relief while the lever runs, and the PCT pays an annual capital
//!   charge (PCT → external), accruing by day and paid monthly, whether or not the
//!   provider is still in the market (a stranded facility still costs).
//! - **Activity assurance / loan underwriting**: a cheaper cost of capital cuts the
//!   provider's fixed cost by the relief; in return the PCT is liable, at each
//!   financial year end, for each elective spell short of the assured volume (pro
//!   rata to the days the lever ran), at a set sum per spell, PCT → provider.
//!
//! All day-based amounts use [`Pence::pro_rata`] on the financial year's day numbers,
//! so a lever that runs a whole year pays exactly its annual figure.

use super::calendar::{Calendar, Date, Month};
use super::config::Item;
use super::money::Pence;

/// When a lever runs, as the scenario states it. Times are simulated days.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    /// From this time (default: when the provider enters, or the start of the clock).
    pub start: Option<f64>,
    /// Until this time, exclusive (default: the end of the run).
    pub end: Option<f64>,
    /// For this many years from the start (whichever of `end` and this comes first).
    pub years: Option<u32>,
}

/// A window resolved against the provider's entry: the lever runs on `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Active {
    pub from: f64,
    pub to: f64,
}

impl Window {
    /// The lever's running time for a provider that entered at `entered`. A lever
    /// never runs before its provider is in the market. Window edges fall on whole
    /// days (a provider opening part-way through a day starts its levers the next day).
    pub fn resolve(&self, calendar: &Calendar, entered: f64) -> Active {
        let from = self.start.unwrap_or(entered).max(entered).ceil();
        let mut to = self.end.unwrap_or(f64::INFINITY);
        if let Some(years) = self.years {
            let d = calendar.date_at(from);
            let later = Date::new(d.year + years as i32, d.month, d.day)
                .or_else(|| Date::new(d.year + years as i32, d.month, 28))
                .expect("28th of a month exists");
            to = to.min(from + (later.to_days() - d.to_days()) as f64);
        }
        Active { from, to: to.max(from) }
    }
}

impl Active {
    /// Whether the lever runs at time `t`.
    pub fn contains(&self, t: f64) -> bool {
        self.from <= t && t < self.to
    }

    /// The days of `month` on which the lever runs, as `[from, to)` day numbers of its
    /// financial year (empty when `from == to`), for [`Pence::pro_rata`].
    pub fn days_in(&self, month: &Month) -> (u64, u64) {
        let len = (month.to_day - month.from_day) as f64;
        let lo = self.from.max(month.time).min(month.time + len);
        let hi = self.to.min(month.time + len).max(lo);
        let offset = |t: f64| month.from_day as u64 + (t - month.time).round() as u64;
        (offset(lo), offset(hi))
    }
}

/// A tariff supplement.
#[derive(Debug, Clone, PartialEq)]
pub struct Supplement {
    /// The supplement as a share of price, in millionths (0.112 is 112,000).
    pub rate_ppm: u64,
    /// Stop once this much has been paid in supplements in all.
    pub cap: Option<Pence>,
    pub window: Window,
}

/// The supplement on one case at `price`: `round_half_up(price × rate)`. `None` on
/// overflow.
pub fn unit_supplement(price: Pence, rate_ppm: u64) -> Option<Pence> {
    price.mul_ratio(rate_ppm, 1_000_000)
}

/// What a capped supplement pays on a case: the unit supplement, or what is left
/// under the cap.
pub fn capped(unit: Pence, paid_so_far: Pence, cap: Option<Pence>) -> Pence {
    match cap {
        None => unit,
        Some(cap) => Pence(unit.0.min((cap.0 - paid_so_far.0).max(0))),
    }
}

/// How often a guarantee is reconciled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Annual,
    Quarterly,
}

/// A guaranteed annual volume on one of the provider's services.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Index into the provider's `services`.
    pub within: usize,
    /// Cases a year of each [`Item`].
    pub cases: [u64; Item::COUNT],
}

/// What a guarantee guarantees.
#[derive(Debug, Clone, PartialEq)]
pub enum Floor {
    /// An income floor in pounds a year.
    Income(Pence),
    /// Take or pay: guaranteed cases a year, valued at price × (1 + premium).
    Volumes { volumes: Vec<Volume>, premium_ppm: u64 },
}

/// A minimum income guarantee.
#[derive(Debug, Clone, PartialEq)]
pub struct Guarantee {
    pub floor: Floor,
    pub period: Period,
    pub window: Window,
}

/// The top-up that brings `income` up to `floor` (zero when it is already there).
pub fn topup(floor: Pence, income: Pence) -> Pence {
    Pence((floor.0 - income.0).max(0))
}

/// Capital support.
#[derive(Debug, Clone, PartialEq)]
pub struct Capital {
    /// Cut in the provider's annual fixed cost.
    pub relief: Pence,
    /// What the PCT pays a year for the capital.
    pub annual_charge: Pence,
    pub window: Window,
}

/// Activity assurance with loan underwriting.
#[derive(Debug, Clone, PartialEq)]
pub struct Assurance {
    /// Cut in the provider's annual fixed cost (a cheaper cost of capital).
    pub relief: Pence,
    /// Elective spells a year the PCT assures.
    pub assured_spells: u64,
    /// What the PCT pays for each assured spell not delivered.
    pub per_spell: Pence,
    pub window: Window,
}

/// What the assurance costs for one financial year: spells assured pro rata to the
/// `days` of the `year_days` the lever ran, less those delivered, × the sum per spell.
/// Returns `(paid, exposure)`, the exposure being what a year with no activity would
/// have cost (the contingent liability). Computed in millionths of a spell, rounded
/// half up to the penny. `None` on overflow.
pub fn assurance_due(a: &Assurance, days: u64, year_days: u64, delivered: u64) -> Option<(Pence, Pence)> {
    let assured_e6 = (a.assured_spells as u128 * days as u128 * 1_000_000) / year_days.max(1) as u128;
    let shortfall_e6 = assured_e6.saturating_sub(delivered as u128 * 1_000_000);
    let paid = a.per_spell.mul_ratio(u64::try_from(shortfall_e6).ok()?, 1_000_000)?;
    let exposure = a.per_spell.mul_ratio(u64::try_from(assured_e6).ok()?, 1_000_000)?;
    Some((paid, exposure))
}

/// A provider's contract levers (any combination).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Levers {
    pub supplement: Option<Supplement>,
    pub guarantee: Option<Guarantee>,
    pub capital: Option<Capital>,
    pub assurance: Option<Assurance>,
}

/// How a provider comes into the market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry {
    /// In the market when the clock starts.
    Open,
    /// Opens at this simulated time.
    Scheduled(f64),
    /// Opens when the PCT tenders this service line, after the procurement delay.
    Tender { line: usize },
}

/// Whether month `month` (1–12) starts a quarter of the financial year (July,
/// October, January; April starts the year itself).
pub fn starts_quarter(month: u32) -> bool {
    matches!(month, 7 | 10 | 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar() -> Calendar {
        Calendar::new(Date::new(2007, 4, 1).unwrap(), 0, 2).unwrap()
    }

    #[test]
    fn windows_resolve_against_entry_and_years() {
        let c = calendar();
        let w = Window { start: None, end: None, years: Some(1) };
        // Entering on day 100 (9 July 2007) for a year: to 9 July 2008, 366 days later.
        assert_eq!(w.resolve(&c, 99.5), Active { from: 100.0, to: 466.0 });
        let w = Window { start: Some(10.0), end: Some(50.0), years: None };
        assert_eq!(w.resolve(&c, 0.0), Active { from: 10.0, to: 50.0 });
        // A window that ends before entry is empty.
        assert_eq!(w.resolve(&c, 60.0), Active { from: 60.0, to: 60.0 });
    }

    #[test]
    fn days_in_a_month_telescope_to_the_window() {
        let c = calendar();
        let a = Active { from: 45.0, to: 400.0 };
        let mut total = 0;
        for m in &c.months {
            let (lo, hi) = a.days_in(m);
            assert!(lo <= hi && lo >= m.from_day as u64 && hi <= m.to_day as u64);
            total += hi - lo;
        }
        assert_eq!(total, 355);
        // An annual sum pro rata over a whole year's months is the annual sum.
        let annual = Pence(1_000_003);
        let all = Active { from: 0.0, to: f64::INFINITY };
        let sum: i64 = c.months[..12]
            .iter()
            .map(|m| {
                let (lo, hi) = all.days_in(m);
                annual.pro_rata(lo, hi, c.years[0].days as u64).0
            })
            .sum();
        assert_eq!(sum, annual.0);
    }

    #[test]
    fn supplements_round_half_up_and_stop_at_the_cap() {
        assert_eq!(unit_supplement(Pence(15_336), 112_000), Some(Pence(1_718))); // 1717.632
        assert_eq!(unit_supplement(Pence(50), 10_000), Some(Pence(1))); // 0.5 -> 1
        assert_eq!(capped(Pence(100), Pence(950), Some(Pence(1_000))), Pence(50));
        assert_eq!(capped(Pence(100), Pence(1_000), Some(Pence(1_000))), Pence::ZERO);
        assert_eq!(capped(Pence(100), Pence(1_000), None), Pence(100));
    }

    #[test]
    fn topups_bring_income_to_the_floor() {
        assert_eq!(topup(Pence(1_000), Pence(600)), Pence(400));
        assert_eq!(topup(Pence(1_000), Pence(1_600)), Pence::ZERO);
    }

    #[test]
    fn assurance_pays_for_the_shortfall_pro_rata() {
        let a = Assurance {
            relief: Pence::ZERO,
            assured_spells: 1_000,
            per_spell: Pence(10_000),
            window: Window::default(),
        };
        // A whole year, 900 delivered: 100 short.
        assert_eq!(assurance_due(&a, 365, 365, 900), Some((Pence(1_000_000), Pence(10_000_000))));
        // Half a year (assured 500), 600 delivered: nothing due.
        assert_eq!(assurance_due(&a, 183, 366, 600), Some((Pence::ZERO, Pence(5_000_000))));
    }
}
