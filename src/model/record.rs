//! What one replication records per reported financial year: plain counters, sums in
//! pence and wait histograms. Named metrics (rates, shares, pounds) are derived from
//! these by the `experiment` layer; keeping raw counts here means a whole-horizon
//! figure is computed from merged counts, not by averaging yearly ratios.

use crate::engine::Histogram;

use super::money::Pence;

/// Width and number of bins of the RTT wait histograms: one day, up to three years;
/// longer waits fall in an overflow bin (percentiles there interpolate to the maximum).
pub const WAIT_BIN_DAYS: f64 = 1.0;
pub const WAIT_BINS: usize = 3 * 366;

/// The 18-week referral-to-treatment standard, in days.
pub const RTT_STANDARD_DAYS: f64 = 126.0;

/// One provider in one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderYear {
    pub referrals: u64,
    pub first_attendances: u64,
    pub follow_ups: u64,
    pub admissions: u64,
    pub tariff_income: Pence,
    pub fixed_cost: Pence,
    pub marginal_cost: Pence,
    /// Busy server-days across the provider's lists.
    pub busy_server_days: f64,
    /// Available server-days across the provider's lists.
    pub server_days: f64,
    /// Patients on the provider's lists (not in service) at the end of the year.
    pub waiting_end: u64,
    pub rtt_stops: u64,
    pub rtt_sum_days: f64,
    pub rtt_within_standard: u64,
}

/// One practice in one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PracticeYear {
    pub list_size: u64,
    pub episodes: u64,
    pub referrals: u64,
    /// Tariff paid for activity of the practice's patients (its shadow spend).
    pub spend: Pence,
}

/// The whole system in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRecord {
    /// Share of the financial year inside the horizon (sums when merged).
    pub year_fraction: f64,
    pub registered_population: u64,
    pub events: u64,
    pub episodes: u64,
    pub primary_care: u64,
    pub referrals: u64,
    pub first_attendances: u64,
    pub discharged_after_first: u64,
    pub decisions_to_admit: u64,
    pub follow_ups: u64,
    pub admissions: u64,
    pub rtt_admitted: Histogram,
    pub rtt_non_admitted: Histogram,
    pub waiting_first_end: u64,
    pub waiting_admission_end: u64,
    pub allocation: Pence,
    pub tariff_paid: Pence,
    pub ledger_imbalance_pence: i64,
    pub providers: Vec<ProviderYear>,
    pub practices: Vec<PracticeYear>,
}

impl YearRecord {
    pub fn new(year_fraction: f64, providers: usize, practice_lists: &[u64]) -> Self {
        Self {
            year_fraction,
            registered_population: practice_lists.iter().sum(),
            events: 0,
            episodes: 0,
            primary_care: 0,
            referrals: 0,
            first_attendances: 0,
            discharged_after_first: 0,
            decisions_to_admit: 0,
            follow_ups: 0,
            admissions: 0,
            rtt_admitted: Histogram::new(WAIT_BIN_DAYS, WAIT_BINS),
            rtt_non_admitted: Histogram::new(WAIT_BIN_DAYS, WAIT_BINS),
            waiting_first_end: 0,
            waiting_admission_end: 0,
            allocation: Pence::ZERO,
            tariff_paid: Pence::ZERO,
            ledger_imbalance_pence: 0,
            providers: vec![ProviderYear::default(); providers],
            practices: practice_lists
                .iter()
                .map(|&list_size| PracticeYear { list_size, ..Default::default() })
                .collect(),
        }
    }

    /// Folds a later year into this one: flows add up, end-of-year snapshots and
    /// stocks (population, list sizes) take the later year's value. Sums of pence
    /// saturate rather than wrap: each yearly figure was produced by checked ledger
    /// arithmetic, and a saturated total (beyond £92 quadrillion) is visibly absurd.
    pub fn merge(&mut self, later: &YearRecord) {
        self.year_fraction += later.year_fraction;
        self.registered_population = later.registered_population;
        self.events += later.events;
        self.episodes += later.episodes;
        self.primary_care += later.primary_care;
        self.referrals += later.referrals;
        self.first_attendances += later.first_attendances;
        self.discharged_after_first += later.discharged_after_first;
        self.decisions_to_admit += later.decisions_to_admit;
        self.follow_ups += later.follow_ups;
        self.admissions += later.admissions;
        self.rtt_admitted.merge(&later.rtt_admitted);
        self.rtt_non_admitted.merge(&later.rtt_non_admitted);
        self.waiting_first_end = later.waiting_first_end;
        self.waiting_admission_end = later.waiting_admission_end;
        self.allocation = Pence(self.allocation.0.saturating_add(later.allocation.0));
        self.tariff_paid = Pence(self.tariff_paid.0.saturating_add(later.tariff_paid.0));
        self.ledger_imbalance_pence = later.ledger_imbalance_pence;
        for (a, b) in self.providers.iter_mut().zip(&later.providers) {
            a.referrals += b.referrals;
            a.first_attendances += b.first_attendances;
            a.follow_ups += b.follow_ups;
            a.admissions += b.admissions;
            a.tariff_income = Pence(a.tariff_income.0.saturating_add(b.tariff_income.0));
            a.fixed_cost = Pence(a.fixed_cost.0.saturating_add(b.fixed_cost.0));
            a.marginal_cost = Pence(a.marginal_cost.0.saturating_add(b.marginal_cost.0));
            a.busy_server_days += b.busy_server_days;
            a.server_days += b.server_days;
            a.waiting_end = b.waiting_end;
            a.rtt_stops += b.rtt_stops;
            a.rtt_sum_days += b.rtt_sum_days;
            a.rtt_within_standard += b.rtt_within_standard;
        }
        for (a, b) in self.practices.iter_mut().zip(&later.practices) {
            a.list_size = b.list_size;
            a.episodes += b.episodes;
            a.referrals += b.referrals;
            a.spend = Pence(a.spend.0.saturating_add(b.spend.0));
        }
    }
}
