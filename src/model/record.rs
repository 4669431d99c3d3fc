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
    pub block_income: Pence,
    pub emergency_income: Pence,
    /// Practices' freed-up resources reinvested in this (community) provider.
    pub reinvestment_income: Pence,
    pub emergency_admissions: u64,
    pub fixed_cost: Pence,
    pub marginal_cost: Pence,
    /// The ledger balance at year end: income less costs since the books opened.
    pub cumulative_surplus: Pence,
    /// Servers across the provider's lists at year end.
    pub servers_end: u64,
    /// Whether the provider is still in the market at year end.
    pub open_end: bool,
    /// Busy server-days across the provider's lists.
    pub busy_server_days: f64,
    /// Available server-days across the provider's lists.
    pub server_days: f64,
    /// Patients on the provider's lists (not in service) at the end of the year.
    pub waiting_end: u64,
    pub rtt_stops: u64,
    pub rtt_sum_days: f64,
    pub rtt_within_standard: u64,
    /// Levers (see `levers`): tariff supplements received.
    pub supplement_income: Pence,
    /// Minimum income guarantee top-ups received.
    pub mig_topup: Pence,
    /// The part of the top-ups that paid for guaranteed volumes not delivered (take or pay).
    pub undelivered_paid: Pence,
    /// Guaranteed income over the periods reconciled, and the income counted against it.
    pub guarantee_floor: Pence,
    pub guarantee_income: Pence,
    /// Paid by the PCT under an activity assurance, and what it stood to pay.
    pub assurance_paid: Pence,
    pub assurance_exposure: Pence,
    /// The PCT's capital charge for the facility it provides this provider.
    pub capital_charge: Pence,
    /// Fixed cost the provider did not bear thanks to capital support or assurance.
    pub fixed_cost_relief: Pence,
}

impl ProviderYear {
    /// Everything the provider was paid: tariff, block, emergency, reinvestment and levers.
    pub fn income(&self) -> Pence {
        [
            self.block_income,
            self.emergency_income,
            self.reinvestment_income,
            self.supplement_income,
            self.mig_topup,
            self.assurance_paid,
        ]
        .iter()
        .fold(self.tariff_income, |a, b| Pence(a.0.saturating_add(b.0)))
    }

    /// What the PCT paid because of this provider's levers: supplements, top-ups,
    /// assurance and the capital charge.
    pub fn levers_paid(&self) -> Pence {
        [self.mig_topup, self.assurance_paid, self.capital_charge]
            .iter()
            .fold(self.supplement_income, |a, b| Pence(a.0.saturating_add(b.0)))
    }
}

/// One provider service (a provider on one service line) in one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceYear {
    /// Index of the service line (fixed; kept here so shares within a line can be
    /// computed from the record alone).
    pub line: usize,
    pub referrals: u64,
    pub first_attendances: u64,
    pub admissions: u64,
    pub rtt_stops: u64,
    pub rtt_sum_days: f64,
    pub waiting_end: u64,
    pub published_wait_end: f64,
    pub servers_end: u64,
}

/// One practice in one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PracticeYear {
    pub list_size: u64,
    pub episodes: u64,
    pub referrals: u64,
    /// Its patients' activity at PbR prices, community activity at local prices and
    /// primary care for diverted referrals: what its indicative budget is measured
    /// against (its shadow spend).
    pub spend: Pence,
    pub budget: Pence,
    /// Budget − spend (negative for an overspend).
    pub savings: Pence,
    /// Freed-up resources paid to the practice.
    pub retained: Pence,
    /// What retention would have paid but the deficit rule kept.
    pub clawed_back: Pence,
    pub effort_sum: f64,
    pub effort_months: u32,
    pub engagement_end: f64,
    pub diverted: u64,
}

/// One commissioner (PCT) in one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PctYear {
    /// Its practices' registered patients.
    pub population: u64,
    pub allocation: Pence,
    /// Everything it paid out in the year: per-case tariff, emergencies, primary care
    /// and supplements for its own patients; block contracts, capital charges,
    /// guarantee top-ups and assurance as a lead commissioner; freed-up resources.
    pub spend: Pence,
    /// Its ledger balance at year end (what it carries forward).
    pub balance_end: Pence,
    /// Its patients' referrals to hospital.
    pub referrals: u64,
    /// Its patients' RTT clock stops, and their total wait in days.
    pub rtt_stops: u64,
    pub rtt_sum_days: f64,
    /// Under PBC: its practices' indicative budgets, their positive savings, the
    /// freed-up resources it paid them, and what its deficit rule took.
    pub pbc_budget: Pence,
    pub pbc_savings: Pence,
    pub pbc_retained: Pence,
    pub pbc_clawed_back: Pence,
    /// Under PBC: referrals its practices' demand management diverted.
    pub diverted: u64,
    /// The patient's voice in this PCT: its patients' signatures, the petitions they
    /// brought, the reviews of its service lines that reported (and failed), and the
    /// lines it put out to tender. Summed over PCTs they are the year's totals.
    pub signatures: u64,
    pub petitions: u64,
    pub reviews: u64,
    pub reviews_failed: u64,
    pub tenders: u64,
}

/// Something that changed the market, with when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketEvent {
    /// Simulated time (days since the clock started).
    pub time: f64,
    pub kind: MarketEventKind,
    /// The provider concerned, if any (petitions, reviews and tenders concern a line).
    pub provider: Option<usize>,
    /// The flattened service concerned, if any.
    pub service: Option<usize>,
    /// The service line concerned by a petition, review or tender.
    pub line: Option<u32>,
    /// The PCT whose petition, review or tender it is (`None` for a provider's event:
    /// a provider serves patients of any PCT). Indices of lines and PCTs are `u32`, as
    /// in [`Model`](super::Model)'s per-practice PCTs, which keeps the event at 72
    /// bytes: the memory estimate counts the events a run keeps by their size.
    pub pct: Option<u32>,
    /// Servers after a capacity change; patients re-referred at an exit; servers
    /// opened at an entry; signatures on a petition; the review's share of clock stops
    /// within 18 weeks in per mille; 1 if a tender has a bidder, else 0.
    pub value: u64,
}

// See `MarketEvent::pct`: a larger event changes the memory estimate (and so which
// runs are refused).
const _: () = assert!(size_of::<MarketEvent>() <= 72);

/// Kinds of [`MarketEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketEventKind {
    CapacityAdded,
    CapacityRemoved,
    Exit,
    Entry,
    Petition,
    /// A review that found the service satisfactory.
    ReviewPassed,
    /// A review that found the service unsatisfactory (a tender follows).
    ReviewFailed,
    Tender,
}

impl MarketEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CapacityAdded => "capacity_added",
            Self::CapacityRemoved => "capacity_removed",
            Self::Exit => "exit",
            Self::Entry => "entry",
            Self::Petition => "petition",
            Self::ReviewPassed => "review_passed",
            Self::ReviewFailed => "review_failed",
            Self::Tender => "tender",
        }
    }
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
    /// Block-contract payments.
    pub block_paid: Pence,
    /// Emergency spells paid (after the marginal rate rule).
    pub emergency_paid: Pence,
    /// Paid for PbR activity the model does not simulate (`pct.unmodelled_pbr_per_head_gbp`).
    pub unmodelled_pbr_paid: Pence,
    /// What the marginal rate rule saved the PCT against full tariff.
    pub marginal_rate_reduction: Pence,
    /// Elective activity valued at PbR prices whatever the payment (block providers
    /// included): the counterfactual against block contracts.
    pub activity_value: Pence,
    pub emergency_admissions: u64,
    /// Referrals offered a choice, and referrals treated at the nearest provider.
    pub offered_choice: u64,
    pub chose_nearest: u64,
    /// Referrals offered a choice who picked the nearest provider anyway.
    pub offered_chose_nearest: u64,
    pub travel_km_sum: f64,
    pub capacity_changes: u64,
    pub exits: u64,
    pub entries: u64,
    /// The patient's voice.
    pub signatures: u64,
    pub petitions: u64,
    pub reviews: u64,
    pub reviews_failed: u64,
    pub tenders: u64,
    /// Practice-based commissioning.
    pub pbc_budget: Pence,
    pub pbc_savings: Pence,
    pub pbc_retained: Pence,
    pub pbc_clawed_back: Pence,
    pub practices_paid: u64,
    pub diverted: u64,
    pub diverted_to_community: u64,
    pub inappropriate_diversions: u64,
    pub returned_as_emergency: u64,
    pub returned_as_referral: u64,
    /// Paid for diverted referrals treated in primary care.
    pub primary_care_paid: Pence,
    pub community_servers_added: u64,
    /// The PCT's ledger balance at year end: what it carries forward.
    pub pct_balance_end: Pence,
    pub ledger_imbalance_pence: i64,
    pub providers: Vec<ProviderYear>,
    pub services: Vec<ServiceYear>,
    pub practices: Vec<PracticeYear>,
    pub pcts: Vec<PctYear>,
}

impl YearRecord {
    pub fn new(
        year_fraction: f64,
        providers: usize,
        service_lines: &[usize],
        practice_lists: &[u64],
        pct_populations: &[u64],
    ) -> Self {
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
            block_paid: Pence::ZERO,
            emergency_paid: Pence::ZERO,
            unmodelled_pbr_paid: Pence::ZERO,
            marginal_rate_reduction: Pence::ZERO,
            activity_value: Pence::ZERO,
            emergency_admissions: 0,
            offered_choice: 0,
            chose_nearest: 0,
            offered_chose_nearest: 0,
            travel_km_sum: 0.0,
            capacity_changes: 0,
            exits: 0,
            entries: 0,
            signatures: 0,
            petitions: 0,
            reviews: 0,
            reviews_failed: 0,
            tenders: 0,
            pbc_budget: Pence::ZERO,
            pbc_savings: Pence::ZERO,
            pbc_retained: Pence::ZERO,
            pbc_clawed_back: Pence::ZERO,
            practices_paid: 0,
            diverted: 0,
            diverted_to_community: 0,
            inappropriate_diversions: 0,
            returned_as_emergency: 0,
            returned_as_referral: 0,
            primary_care_paid: Pence::ZERO,
            community_servers_added: 0,
            pct_balance_end: Pence::ZERO,
            ledger_imbalance_pence: 0,
            providers: vec![ProviderYear { open_end: true, ..Default::default() }; providers],
            services: service_lines.iter().map(|&line| ServiceYear { line, ..Default::default() }).collect(),
            practices: practice_lists
                .iter()
                .map(|&list_size| PracticeYear { list_size, ..Default::default() })
                .collect(),
            pcts: pct_populations.iter().map(|&population| PctYear { population, ..Default::default() }).collect(),
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
        self.block_paid = Pence(self.block_paid.0.saturating_add(later.block_paid.0));
        self.emergency_paid = Pence(self.emergency_paid.0.saturating_add(later.emergency_paid.0));
        self.unmodelled_pbr_paid = Pence(self.unmodelled_pbr_paid.0.saturating_add(later.unmodelled_pbr_paid.0));
        self.marginal_rate_reduction =
            Pence(self.marginal_rate_reduction.0.saturating_add(later.marginal_rate_reduction.0));
        self.activity_value = Pence(self.activity_value.0.saturating_add(later.activity_value.0));
        self.emergency_admissions += later.emergency_admissions;
        self.offered_choice += later.offered_choice;
        self.chose_nearest += later.chose_nearest;
        self.offered_chose_nearest += later.offered_chose_nearest;
        self.travel_km_sum += later.travel_km_sum;
        self.capacity_changes += later.capacity_changes;
        self.exits += later.exits;
        self.entries += later.entries;
        self.signatures += later.signatures;
        self.petitions += later.petitions;
        self.reviews += later.reviews;
        self.reviews_failed += later.reviews_failed;
        self.tenders += later.tenders;
        let plus = |a: &mut Pence, b: Pence| *a = Pence(a.0.saturating_add(b.0));
        plus(&mut self.pbc_budget, later.pbc_budget);
        plus(&mut self.pbc_savings, later.pbc_savings);
        plus(&mut self.pbc_retained, later.pbc_retained);
        plus(&mut self.pbc_clawed_back, later.pbc_clawed_back);
        plus(&mut self.primary_care_paid, later.primary_care_paid);
        self.practices_paid += later.practices_paid;
        self.diverted += later.diverted;
        self.diverted_to_community += later.diverted_to_community;
        self.inappropriate_diversions += later.inappropriate_diversions;
        self.returned_as_emergency += later.returned_as_emergency;
        self.returned_as_referral += later.returned_as_referral;
        self.community_servers_added += later.community_servers_added;
        self.pct_balance_end = later.pct_balance_end;
        self.ledger_imbalance_pence = later.ledger_imbalance_pence;
        for (a, b) in self.services.iter_mut().zip(&later.services) {
            a.referrals += b.referrals;
            a.first_attendances += b.first_attendances;
            a.admissions += b.admissions;
            a.rtt_stops += b.rtt_stops;
            a.rtt_sum_days += b.rtt_sum_days;
            a.waiting_end = b.waiting_end;
            a.published_wait_end = b.published_wait_end;
            a.servers_end = b.servers_end;
        }
        for (a, b) in self.providers.iter_mut().zip(&later.providers) {
            a.referrals += b.referrals;
            a.first_attendances += b.first_attendances;
            a.follow_ups += b.follow_ups;
            a.admissions += b.admissions;
            a.tariff_income = Pence(a.tariff_income.0.saturating_add(b.tariff_income.0));
            a.block_income = Pence(a.block_income.0.saturating_add(b.block_income.0));
            a.emergency_income = Pence(a.emergency_income.0.saturating_add(b.emergency_income.0));
            a.reinvestment_income = Pence(a.reinvestment_income.0.saturating_add(b.reinvestment_income.0));
            a.emergency_admissions += b.emergency_admissions;
            a.cumulative_surplus = b.cumulative_surplus;
            a.servers_end = b.servers_end;
            a.open_end = b.open_end;
            a.fixed_cost = Pence(a.fixed_cost.0.saturating_add(b.fixed_cost.0));
            a.marginal_cost = Pence(a.marginal_cost.0.saturating_add(b.marginal_cost.0));
            a.busy_server_days += b.busy_server_days;
            a.server_days += b.server_days;
            a.waiting_end = b.waiting_end;
            a.rtt_stops += b.rtt_stops;
            a.rtt_sum_days += b.rtt_sum_days;
            a.rtt_within_standard += b.rtt_within_standard;
            for (x, y) in [
                (&mut a.supplement_income, b.supplement_income),
                (&mut a.mig_topup, b.mig_topup),
                (&mut a.undelivered_paid, b.undelivered_paid),
                (&mut a.guarantee_floor, b.guarantee_floor),
                (&mut a.guarantee_income, b.guarantee_income),
                (&mut a.assurance_paid, b.assurance_paid),
                (&mut a.assurance_exposure, b.assurance_exposure),
                (&mut a.capital_charge, b.capital_charge),
                (&mut a.fixed_cost_relief, b.fixed_cost_relief),
            ] {
                *x = Pence(x.0.saturating_add(y.0));
            }
        }
        for (a, b) in self.practices.iter_mut().zip(&later.practices) {
            a.list_size = b.list_size;
            a.episodes += b.episodes;
            a.referrals += b.referrals;
            a.spend = Pence(a.spend.0.saturating_add(b.spend.0));
            a.budget = Pence(a.budget.0.saturating_add(b.budget.0));
            a.savings = Pence(a.savings.0.saturating_add(b.savings.0));
            a.retained = Pence(a.retained.0.saturating_add(b.retained.0));
            a.clawed_back = Pence(a.clawed_back.0.saturating_add(b.clawed_back.0));
            a.effort_sum += b.effort_sum;
            a.effort_months += b.effort_months;
            a.engagement_end = b.engagement_end;
            a.diverted += b.diverted;
        }
        for (a, b) in self.pcts.iter_mut().zip(&later.pcts) {
            a.population = b.population;
            a.allocation = Pence(a.allocation.0.saturating_add(b.allocation.0));
            a.spend = Pence(a.spend.0.saturating_add(b.spend.0));
            a.balance_end = b.balance_end;
            a.referrals += b.referrals;
            a.rtt_stops += b.rtt_stops;
            a.rtt_sum_days += b.rtt_sum_days;
            for (x, y) in [
                (&mut a.pbc_budget, b.pbc_budget),
                (&mut a.pbc_savings, b.pbc_savings),
                (&mut a.pbc_retained, b.pbc_retained),
                (&mut a.pbc_clawed_back, b.pbc_clawed_back),
            ] {
                *x = Pence(x.0.saturating_add(y.0));
            }
            a.diverted += b.diverted;
            a.signatures += b.signatures;
            a.petitions += b.petitions;
            a.reviews += b.reviews;
            a.reviews_failed += b.reviews_failed;
            a.tenders += b.tenders;
        }
    }
}
