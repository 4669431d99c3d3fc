//! The model's input: a health economy described with plain data and indexes. It is
//! built and checked by the `scenario` layer; the model never sees a file or a name
//! lookup, and refers to practices, service lines and providers by position.

use super::calendar::Calendar;
use super::levers::{Entry, Levers};
use super::money::Pence;
use super::voice::Voice;
use crate::engine::Sampler;

/// Everything one run of the model needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub calendar: Calendar,
    /// The commissioners, at least one. Each practice belongs to one (`Practice::pct`)
    /// and its PCT pays for its patients' care; providers are shared by all.
    pub pcts: Vec<Pct>,
    pub practices: Vec<Practice>,
    pub lines: Vec<ServiceLine>,
    pub providers: Vec<Provider>,
    pub choice: ChoiceConfig,
    pub emergency: Option<Emergency>,
    pub pbc: Option<Pbc>,
    /// Petitions, reviews and tenders; `None` means patients' views are not modelled.
    pub voice: Option<Voice>,
}

/// How indicative budgets are set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BudgetMethod {
    Historic,
    Capitation,
    /// The weight of the capitation budget.
    Blend(f64),
}

/// Who has the first claim on savings when the PCT is in deficit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeficitRule {
    PctFirst,
    PracticeFirst,
    None,
}

/// Practice-based commissioning.
#[derive(Debug, Clone)]
pub struct Pbc {
    pub budget_method: BudgetMethod,
    /// Budgets from the warm-up's activity every year, rather than last year's.
    pub historic_from_warm_up: bool,
    /// Efficiency + contingency + deficit-recovery top-slices, as a share of budget.
    pub top_slice: f64,
    pub retention: f64,
    pub deficit_rule: DeficitRule,
    pub overspend_carry_years: u32,
    pub engaged_share: f64,
    pub disengaged_engagement: f64,
    pub informed_share: f64,
    pub information_delay_months: u32,
    /// Relative noise on perceived spending: [informed, uninformed].
    pub noise: [f64; 2],
    /// How well diversions target discretionary referrals: [informed, uninformed].
    pub aim: [f64; 2],
    pub effort: Effort,
    pub trust_loss: f64,
    pub trust_recovery: f64,
    pub primary_care_cost: Pence,
    /// Per PCT, the community provider its practices' diverted referrals go to and
    /// its practices reinvest in (`None`: diversions go to primary care, freed-up
    /// resources leave the economy). With several PCTs each has its own copy of the
    /// scenario's community provider, the one it leads.
    pub community_providers: Vec<Option<usize>>,
    pub community_server_cost: Pence,
    pub return_delay: Sampler,
    pub return_emergency_share: f64,
}

/// The effort response function's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    pub base: f64,
    pub per_retention: f64,
    pub per_overspend: f64,
    pub max: f64,
}

/// Which providers a referred patient may choose among.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoicePolicy {
    /// The GP's default provider only.
    None,
    /// The four nearest providers, plus the nearest independent one if none of those is.
    FourPlus,
    /// Every provider offering the line.
    Free,
}

/// Patient choice.
#[derive(Debug, Clone)]
pub struct ChoiceConfig {
    pub policy: ChoicePolicy,
    /// Probability a referred patient is offered a choice.
    pub offered_share: f64,
    pub utility: Utility,
    pub publish: Publish,
    /// Keep only this many nearest providers per (practice, service line) as
    /// candidates (choice set, default provider, emergency routes); `None` keeps every
    /// provider. Bounds the cost of choice in economies with thousands of providers.
    pub max_candidates: Option<usize>,
}

/// Coefficients of the multinomial logit over providers.
#[derive(Debug, Clone)]
pub struct Utility {
    pub distance_per_km: f64,
    pub distance_sq_per_km2: f64,
    pub wait_per_day: f64,
    pub readmission_per_pct: f64,
    pub mortality_per_pct: f64,
    pub health_gain_per_point: f64,
    pub gp_recommendation: f64,
    /// Constant per [`ProviderKind`], indexed by `kind as usize`.
    pub kind: [f64; ProviderKind::COUNT],
}

/// How providers publish their waits.
#[derive(Debug, Clone, Copy)]
pub struct Publish {
    pub update_days: u32,
    pub window_days: u32,
    pub lag_days: u32,
}

/// Emergency (non-elective) admissions.
#[derive(Debug, Clone)]
pub struct Emergency {
    pub admissions_per_1000: f64,
    pub tariff: Pence,
    pub marginal_cost: Pence,
    /// Time one emergency admission occupies an admission server.
    pub displacement: Sampler,
    pub marginal_rate: Option<MarginalRate>,
}

/// Spells above a baseline volume are paid at a share of tariff.
#[derive(Debug, Clone, Copy)]
pub struct MarginalRate {
    /// Share of tariff paid above the baseline, in millionths.
    pub rate_ppm: u64,
    /// Baseline = first reported year's spells (annualised) × this factor.
    pub baseline_factor: f64,
}

/// The commissioner.
#[derive(Debug, Clone)]
pub struct Pct {
    pub name: String,
    /// Annual capitation allocation per registered patient in the first reported year.
    pub allocation_per_head: Pence,
    /// Growth of the allocation per head from one financial year to the next.
    pub allocation_growth: f64,
    /// The PCT's balance when the books open (negative: an inherited deficit).
    pub opening_balance: i64,
    /// PbR spend per head per year on activity the model does not simulate; grows
    /// with the allocation. Paid to the outside world, not to a modelled provider, so
    /// it moves the PCT's books and nobody's activity.
    pub unmodelled_pbr_per_head: Pence,
}

/// A GP practice.
#[derive(Debug, Clone)]
pub struct Practice {
    pub name: String,
    pub list_size: u32,
    pub x_km: f64,
    pub y_km: f64,
    /// Multiplies the service lines' referral probabilities (practice variation).
    pub referral_multiplier: f64,
    /// Relative need, for fair-shares budgets.
    pub need_weight: f64,
    /// Index into [`Config::pcts`] of the PCT that commissions its patients' care.
    pub pct: usize,
}

/// A service line (a group of HRGs sharing a pathway and prices).
#[derive(Debug, Clone)]
pub struct ServiceLine {
    pub name: String,
    /// Episodes needing a GP's decision, per 1,000 registered patients per year.
    pub incidence_per_1000: f64,
    /// Probability that the GP refers an episode to hospital (before the practice
    /// multiplier).
    pub referral_probability: f64,
    /// Share of first outpatient attendances discharged after that one visit.
    pub discharge_after_first: f64,
    /// Share of first outpatient attendances that end in a decision to admit.
    pub decision_to_admit: f64,
    /// Mean follow-up attendances of a patient managed in outpatients (at least one).
    pub follow_ups_outpatient_mean: f64,
    /// Mean follow-up attendances after an elective admission.
    pub follow_ups_admitted_mean: f64,
    /// Days between an attendance or discharge and the next follow-up.
    pub follow_up_interval: Sampler,
    /// Days from the first attendance to being listed for admission (diagnostics and
    /// work-up); the RTT clock keeps running.
    pub work_up: Sampler,
    /// Share of referrals demand management can avoid safely.
    pub discretionary_share: f64,
    /// National tariff before the Market Forces Factor, by [`Item`].
    pub tariff: [Pence; Item::COUNT],
}

/// A billable unit of activity under Payment by Results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    FirstOutpatient = 0,
    FollowUp = 1,
    ElectiveSpell = 2,
}

impl Item {
    pub const COUNT: usize = 3;
    pub const ALL: [Item; Item::COUNT] = [Item::FirstOutpatient, Item::FollowUp, Item::ElectiveSpell];
}

/// The legal form of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    NhsTrust = 0,
    FoundationTrust = 1,
    Istc = 2,
    CommunityFt = 3,
    SocialEnterprise = 4,
}

impl ProviderKind {
    pub const COUNT: usize = 5;

    /// Independent of the NHS: counts toward the "at least one independent provider"
    /// of the four-plus choice set.
    pub fn is_independent(self) -> bool {
        matches!(self, Self::Istc | Self::SocialEnterprise)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NhsTrust => "nhs_trust",
            Self::FoundationTrust => "foundation_trust",
            Self::Istc => "istc",
            Self::CommunityFt => "community_ft",
            Self::SocialEnterprise => "social_enterprise",
        }
    }
}

/// A provider of secondary care.
#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// Index into [`Config::pcts`] of its lead commissioner, which pays what is not
    /// tied to a patient: block contracts, capital charges, guarantee top-ups and
    /// assurance. Per-case payments come from the patient's own PCT.
    pub commissioner: usize,
    pub x_km: f64,
    pub y_km: f64,
    /// Market Forces Factor in units of 1/100,000 (1.04325 is 104,325), the precision
    /// the published MFF tables use; integer so that prices are exact.
    pub mff_e5: u64,
    /// Annual fixed cost, accruing by day and paid monthly.
    pub fixed_cost: Pence,
    pub quality: Quality,
    pub payment: Payment,
    /// Index into `services` of the line whose admission list takes emergencies.
    pub emergency_service: Option<usize>,
    pub capacity_response: Option<CapacityResponse>,
    pub exit: Option<ExitRule>,
    /// Prices are tariff × MFF × this, in units of 1/100,000 (a local price).
    pub price_factor_e5: u64,
    /// A community service that takes only referrals diverted under PBC: it is never
    /// in a choice set, a GP's default or an emergency route.
    pub community: bool,
    /// How it comes into the market.
    pub entry: Entry,
    /// Its contract's levers (tariff supplement, guarantee, capital, assurance).
    pub levers: Levers,
    pub services: Vec<Service>,
}

/// Quality indicators patients weigh when they choose.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quality {
    pub readmission_pct: f64,
    pub mortality_pct: f64,
    pub health_gain: f64,
}

/// How the PCT pays a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// Tariff × MFF per case.
    Pbr,
    /// A fixed annual sum, accruing by day and paid monthly, whatever the volume.
    Block { annual: Pence },
}

/// Adding and removing servers as waits change.
#[derive(Debug, Clone, Copy)]
pub struct CapacityResponse {
    pub review_days: u32,
    pub add_above_days: f64,
    pub remove_below_days: f64,
    pub max_factor: f64,
    pub min_factor: f64,
    pub fixed_cost_per_server: Pence,
}

/// When a provider leaves the market (either condition, at a financial year end).
#[derive(Debug, Clone, Copy)]
pub struct ExitRule {
    pub cumulative_deficit: Option<Pence>,
    pub loss_years: Option<u32>,
}

/// What a provider offers on one service line.
#[derive(Debug, Clone)]
pub struct Service {
    /// Index into [`Config::lines`].
    pub line: usize,
    /// New-patient outpatient clinics.
    pub outpatient: Resource,
    /// Elective admission capacity (theatre lists / beds).
    pub admission: Resource,
    /// Cost to the provider of one unit of each [`Item`].
    pub marginal_cost: [Pence; Item::COUNT],
    /// Patients already waiting for a first attendance when the clock starts.
    pub initial_waiting_outpatient: u32,
    /// Patients already waiting for admission when the clock starts.
    pub initial_waiting_admission: u32,
    /// Initial waiters were referred uniformly over this many days before the start.
    pub initial_spread_days: f64,
}

/// Parallel servers with a service-time distribution (days per case per server).
#[derive(Debug, Clone)]
pub struct Resource {
    pub servers: u32,
    pub service_days: Sampler,
}

impl Resource {
    /// Cases per year the resource can complete when always busy.
    pub fn annual_capacity(&self) -> f64 {
        self.servers as f64 * 365.25 / self.service_days.mean()
    }
}

impl Config {
    /// Registered population of the whole economy (every PCT).
    pub fn population(&self) -> u64 {
        self.practices.iter().map(|p| p.list_size as u64).sum()
    }

    /// Registered population of PCT `pct`.
    pub fn pct_population(&self, pct: usize) -> u64 {
        self.practices.iter().filter(|p| p.pct == pct).map(|p| p.list_size as u64).sum()
    }
}
