//! The scenario file format: typed structs that `serde` fills from TOML. Unknown keys
//! are rejected (`deny_unknown_fields`) so a misspelt key is an error, never silently
//! ignored. Defaults are documented in `docs/scenario.md` and cite the domain brief.
//!
//! These types are the user's vocabulary (names, pounds, probabilities); the model's
//! vocabulary (indexes, pence) is produced from them by `build`.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::Date;

/// A whole scenario.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A scenario file this one starts from (resolved by `scenario::load`; never part
    /// of a resolved scenario).
    #[serde(default, skip_serializing)]
    pub extends: Option<String>,
    /// A `[sweep]` table embedded in the file: read by `pbrsim sweep` (docs/sweeps.md),
    /// removed by `scenario::load` before the scenario is read, so always `None` here.
    /// Declared so that a misspelt top-level key is offered `sweep` among the keys it
    /// may have meant.
    #[serde(default, skip_serializing)]
    pub sweep: Option<toml::Value>,
    /// One line saying what the scenario is for.
    #[serde(default)]
    pub description: String,
    pub simulation: Simulation,
    pub pct: PctSpec,
    /// Several PCTs generated from the one above; absent means a single PCT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcts: Option<PctsSpec>,
    pub practices: Practices,
    pub service_lines: Vec<ServiceLineSpec>,
    pub providers: Vec<ProviderSpec>,
    /// Patient choice of provider; absent means every patient goes to the GP's default.
    #[serde(default)]
    pub choice: ChoiceSpec,
    /// Emergency (non-elective) admissions; absent means none are modelled.
    #[serde(default)]
    pub emergency: Option<EmergencySpec>,
    /// Practice-based commissioning; absent means none.
    #[serde(default)]
    pub pbc: Option<PbcSpec>,
    /// Petitions, reviews and tenders; absent means patients' views are not modelled.
    #[serde(default)]
    pub voice: Option<VoiceSpec>,
    /// Published figures the scenario should reproduce, checked by `pbrsim calibrate`.
    /// They describe the scenario, not the model: a run ignores them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibration: Vec<CalibrationSpec>,
}

/// A published figure a scenario should reproduce: a system metric in a year (or over
/// the whole horizon) must lie in an acceptance range, stated either as `low`/`high`
/// or as `value` ± `tolerance`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSpec {
    /// Names the target in the table (and identifies it when a scenario `extends`
    /// another).
    pub name: String,
    /// A system metric (docs/outputs.md).
    pub metric: String,
    /// A financial-year label of the horizon (`2008/09`) or `all`.
    #[serde(default = "defaults::all_years")]
    pub year: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Where the figure comes from and why the tolerance is what it is.
    pub source: String,
}

impl CalibrationSpec {
    /// The acceptance range `[low, high]`, if the spec states exactly one form.
    pub fn range(&self) -> Option<(f64, f64)> {
        match (self.low, self.high, self.value, self.tolerance) {
            (Some(lo), Some(hi), None, None) => Some((lo, hi)),
            (None, None, Some(v), Some(t)) => Some((v - t, v + t)),
            _ => None,
        }
    }
}

/// The patient's voice: petitions, reviews and tenders.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSpec {
    /// A patient whose RTT wait exceeded this is dissatisfied.
    #[serde(default = "defaults::voice_wait_threshold_days")]
    pub wait_threshold_days: f64,
    /// A patient treated further than this from their practice is dissatisfied.
    #[serde(default = "defaults::voice_distance_threshold_km")]
    pub distance_threshold_km: f64,
    /// Probability a dissatisfied patient signs a petition about the service.
    #[serde(default = "defaults::voice_sign_probability")]
    pub sign_probability: f64,
    /// What triggers a review.
    #[serde(default)]
    pub trigger: TriggerSpec,
    /// Share of the registered population (trigger = "population_share").
    #[serde(default = "defaults::voice_population_share")]
    pub population_share: f64,
    /// Share of the service's users in the window (trigger = "users_share").
    #[serde(default = "defaults::voice_users_share")]
    pub users_share: f64,
    /// Signatures (trigger = "signatures").
    #[serde(default = "defaults::voice_signatures")]
    pub signatures: u64,
    /// Signatures count for this many days.
    #[serde(default = "defaults::voice_window_days")]
    pub window_days: f64,
    /// Days from a petition to the review's finding.
    #[serde(default = "defaults::voice_review_days")]
    pub review_days: f64,
    /// A service is unsatisfactory below this share of clock stops within 18 weeks.
    #[serde(default = "defaults::voice_standard_share")]
    pub standard_share: f64,
    /// Days from the decision to tender to the new provider opening.
    #[serde(default = "defaults::voice_procurement_days")]
    pub procurement_days: f64,
    /// Local Involvement Networks; absent means none.
    #[serde(default)]
    pub links: Option<LinksSpec>,
}

/// What triggers a review of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSpec {
    /// `population_share` of the PCT's registered population (1%, the proposal).
    #[default]
    PopulationShare,
    /// `users_share` of the service's users (10%, consulted on).
    UsersShare,
    /// A fixed number of `signatures` (250, consulted on).
    Signatures,
}

/// Local Involvement Networks (from April 2008).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinksSpec {
    /// Multiplies the probability that a dissatisfied patient's view reaches the PCT.
    #[serde(default = "defaults::links_reach_factor")]
    pub reach_factor: f64,
    /// Days from a petition to the review's finding (commissioners answer in 20 days).
    #[serde(default = "defaults::links_review_days")]
    pub review_days: f64,
}

/// How a provider comes into the market: on a date, or through a tender.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntrySpec {
    /// Opens on this date.
    #[serde(default)]
    pub date: Option<IsoDate>,
    /// Opens when the PCT tenders this service line, after the procurement delay.
    #[serde(default)]
    pub tender: Option<String>,
}

/// A provider's contract levers.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LeversSpec {
    #[serde(default)]
    pub supplement: Option<SupplementSpec>,
    #[serde(default)]
    pub guarantee: Option<GuaranteeSpec>,
    #[serde(default)]
    pub capital: Option<CapitalSpec>,
    #[serde(default)]
    pub assurance: Option<AssuranceSpec>,
}

/// A tariff supplement: tariff × MFF × `rate` more per case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupplementSpec {
    pub rate: f64,
    /// Stop once this much has been paid in supplements.
    #[serde(default)]
    pub cap_gbp: Option<f64>,
    #[serde(default)]
    pub start: Option<IsoDate>,
    #[serde(default)]
    pub end: Option<IsoDate>,
    #[serde(default)]
    pub years: Option<u32>,
}

/// How often a guarantee is reconciled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodSpec {
    #[default]
    Annual,
    Quarterly,
}

/// A minimum income guarantee: `floor_gbp` a year, or guaranteed `volumes` (take or pay).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeSpec {
    #[serde(default)]
    pub period: PeriodSpec,
    #[serde(default)]
    pub floor_gbp: Option<f64>,
    #[serde(default)]
    pub volumes: Vec<VolumeSpec>,
    /// Guaranteed volumes are valued at tariff × MFF × (1 + premium).
    #[serde(default)]
    pub premium: f64,
    #[serde(default)]
    pub start: Option<IsoDate>,
    #[serde(default)]
    pub end: Option<IsoDate>,
    #[serde(default)]
    pub years: Option<u32>,
}

/// Guaranteed cases a year on one of the provider's service lines.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    pub line: String,
    #[serde(default)]
    pub first_outpatient: u64,
    #[serde(default)]
    pub follow_up: u64,
    #[serde(default)]
    pub elective_spell: u64,
}

/// Capital support: the PCT provides the facility.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalSpec {
    pub fixed_cost_relief_gbp: f64,
    pub annual_charge_gbp: f64,
    #[serde(default)]
    pub start: Option<IsoDate>,
    #[serde(default)]
    pub end: Option<IsoDate>,
    #[serde(default)]
    pub years: Option<u32>,
}

/// Activity assurance with loan underwriting.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssuranceSpec {
    pub fixed_cost_relief_gbp: f64,
    pub assured_spells: u64,
    pub per_spell_gbp: f64,
    #[serde(default)]
    pub start: Option<IsoDate>,
    #[serde(default)]
    pub end: Option<IsoDate>,
    #[serde(default)]
    pub years: Option<u32>,
}

/// How indicative budgets are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetMethod {
    /// Last year's activity × tariff (the usual method; the brief, PBC).
    #[default]
    Historic,
    /// Fair shares: the same total split by list size × need weight.
    Capitation,
    /// `(1 − capitation_share) × historic + capitation_share × capitation`.
    Blend,
}

/// Which historic activity sets a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoricBase {
    /// The previous year's outturn (the first year uses the warm-up, annualised):
    /// savings lower next year's budget, a ratchet.
    #[default]
    PreviousYear,
    /// The warm-up's activity, annualised, for every year.
    WarmUp,
}

/// Who has the first claim on practices' savings when the PCT is in deficit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeficitRule {
    /// The PCT's deficit is met from the savings first; practices share what is left.
    #[default]
    PctFirst,
    /// Practices are paid first; the PCT recovers its deficit by top-slicing the next
    /// year's budgets.
    PracticeFirst,
    /// Practices are paid; the PCT's position plays no part.
    None,
}

/// Practice-based commissioning.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PbcSpec {
    #[serde(default)]
    pub budget_method: BudgetMethod,
    /// Weight of the capitation budget under `blend`.
    #[serde(default = "defaults::half")]
    pub capitation_share: f64,
    #[serde(default)]
    pub historic_base: HistoricBase,
    #[serde(default)]
    pub top_slice: TopSliceSpec,
    /// Share of savings a practice keeps as freed-up resources (0.5 in the 2004
    /// guidance, at least 0.7 from 2006/07; the brief, PBC).
    #[serde(default = "defaults::retention")]
    pub retention: f64,
    #[serde(default)]
    pub deficit_rule: DeficitRule,
    /// An overspend is carried forward against future savings for this many years.
    #[serde(default = "defaults::overspend_carry_years")]
    pub overspend_carry_years: u32,
    /// Share of practices engaged ("committed": about 73% in the 2007 poll).
    #[serde(default = "defaults::engaged_share")]
    pub engaged_share: f64,
    /// Engagement of the practices that are not engaged (0 = none at all).
    #[serde(default = "defaults::disengaged_engagement")]
    pub disengaged_engagement: f64,
    /// Share of practices with usable activity information (about a third in 2007).
    #[serde(default = "defaults::informed_share")]
    pub informed_share: f64,
    /// Months before a practice sees its spending.
    #[serde(default = "defaults::information_delay_months")]
    pub information_delay_months: u32,
    /// Relative noise (sd) on the spending a practice sees, with and without usable
    /// information.
    #[serde(default = "defaults::noise_informed")]
    pub noise_informed: f64,
    #[serde(default = "defaults::noise_uninformed")]
    pub noise_uninformed: f64,
    /// How well demand management targets discretionary referrals (1 = only those;
    /// 0 = at random), with and without usable information.
    #[serde(default = "defaults::aim_informed")]
    pub aim_informed: f64,
    #[serde(default = "defaults::aim_uninformed")]
    pub aim_uninformed: f64,
    #[serde(default)]
    pub effort: EffortSpec,
    /// After savings are clawed back, engagement falls by this share...
    #[serde(default = "defaults::trust_loss")]
    pub trust_loss: f64,
    /// ...and after savings are paid it recovers this share of the way back to 1.
    #[serde(default = "defaults::trust_recovery")]
    pub trust_recovery: f64,
    /// Cost to the PCT of treating a diverted referral in primary care, in pounds.
    #[serde(default = "defaults::primary_care_cost_gbp")]
    pub primary_care_cost_gbp: f64,
    /// The community provider diverted referrals go to (where it offers the line) and
    /// practices reinvest their freed-up resources in; absent means primary care.
    #[serde(default)]
    pub community_provider: Option<String>,
    /// Reinvested pounds that buy one more community server for a year.
    #[serde(default = "defaults::community_server_cost_gbp")]
    pub community_server_cost_gbp: f64,
    /// When a necessary referral was wrongly diverted, days until it comes back...
    #[serde(default = "defaults::return_delay_days")]
    pub return_delay_days: DistSpec,
    /// ...and the share that come back as emergency admissions (needs `[emergency]`),
    /// the rest as referrals.
    #[serde(default = "defaults::return_emergency_share")]
    pub return_emergency_share: f64,
}

/// Top-slices taken off indicative budgets (shares of the budget).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopSliceSpec {
    #[serde(default)]
    pub efficiency: f64,
    #[serde(default)]
    pub contingency: f64,
    #[serde(default)]
    pub deficit_recovery: f64,
}

/// How a practice's demand-management effort responds to its incentive:
/// `effort = engagement × clamp(base + per_retention × retention + per_overspend ×
/// perceived overspend share, 0, max)`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EffortSpec {
    #[serde(default = "defaults::effort_base")]
    pub base: f64,
    #[serde(default = "defaults::effort_per_retention")]
    pub per_retention: f64,
    #[serde(default = "defaults::effort_per_overspend")]
    pub per_overspend: f64,
    #[serde(default = "defaults::effort_max")]
    pub max: f64,
}

impl Default for EffortSpec {
    fn default() -> Self {
        Self {
            base: defaults::effort_base(),
            per_retention: defaults::effort_per_retention(),
            per_overspend: defaults::effort_per_overspend(),
            max: defaults::effort_max(),
        }
    }
}

/// Which providers a referred patient may choose among.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoicePolicy {
    /// The GP's default provider only.
    #[default]
    None,
    /// At least four providers, nearest first, including an independent one where one
    /// offers the service line (from 2006).
    FourPlus,
    /// Any provider offering the service line ("free choice", from 2008).
    Free,
}

/// Patient choice.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSpec {
    #[serde(default)]
    pub policy: ChoicePolicy,
    /// Probability that a referred patient is offered a choice (45–49% recalled an
    /// offer in 2006–2010 surveys; the brief, Patient choice).
    #[serde(default = "defaults::offered_share")]
    pub offered_share: f64,
    #[serde(default)]
    pub utility: UtilitySpec,
    #[serde(default)]
    pub published_wait: PublishedWaitSpec,
    /// Only this many nearest providers per (practice, service line) are candidates;
    /// absent means every provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_candidates: Option<u32>,
}

impl Default for ChoiceSpec {
    fn default() -> Self {
        Self {
            policy: ChoicePolicy::None,
            offered_share: defaults::offered_share(),
            utility: UtilitySpec::default(),
            published_wait: PublishedWaitSpec::default(),
            max_candidates: None,
        }
    }
}

/// Coefficients of the multinomial logit. Defaults: Gutacker et al., J Health Econ
/// 2016, hip replacement (the brief, Patient choice), and a wait coefficient matching
/// an elasticity of about −0.04 to −0.1 at waits near 60 days.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UtilitySpec {
    #[serde(default = "defaults::distance_per_km")]
    pub distance_per_km: f64,
    #[serde(default = "defaults::distance_sq_per_km2")]
    pub distance_sq_per_km2: f64,
    #[serde(default = "defaults::wait_per_day")]
    pub wait_per_day: f64,
    #[serde(default = "defaults::readmission_per_pct")]
    pub readmission_per_pct: f64,
    #[serde(default = "defaults::mortality_per_pct")]
    pub mortality_per_pct: f64,
    #[serde(default = "defaults::health_gain_per_point")]
    pub health_gain_per_point: f64,
    /// Added to the GP's default provider when the GP recommends it.
    #[serde(default)]
    pub gp_recommendation: f64,
    #[serde(default)]
    pub kind: KindConstants,
}

impl Default for UtilitySpec {
    fn default() -> Self {
        Self {
            distance_per_km: defaults::distance_per_km(),
            distance_sq_per_km2: defaults::distance_sq_per_km2(),
            wait_per_day: defaults::wait_per_day(),
            readmission_per_pct: defaults::readmission_per_pct(),
            mortality_per_pct: defaults::mortality_per_pct(),
            health_gain_per_point: defaults::health_gain_per_point(),
            gp_recommendation: 0.0,
            kind: KindConstants::default(),
        }
    }
}

/// A utility constant per provider kind (relative to NHS trusts).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KindConstants {
    #[serde(default)]
    pub nhs_trust: f64,
    #[serde(default)]
    pub foundation_trust: f64,
    /// −1.52 (Gutacker et al. 2016, ISTC dummy).
    #[serde(default = "defaults::istc_constant")]
    pub istc: f64,
    #[serde(default)]
    pub community_ft: f64,
    #[serde(default)]
    pub social_enterprise: f64,
}

impl Default for KindConstants {
    fn default() -> Self {
        Self {
            nhs_trust: 0.0,
            foundation_trust: 0.0,
            istc: defaults::istc_constant(),
            community_ft: 0.0,
            social_enterprise: 0.0,
        }
    }
}

/// How providers publish their waits: patients see a lagged rolling mean, not the
/// future wait.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedWaitSpec {
    /// Days between publications.
    #[serde(default = "defaults::publish_every_days")]
    pub update_days: u32,
    /// The published figure is the mean RTT wait of clock stops over this window...
    #[serde(default = "defaults::publish_window_days")]
    pub window_days: u32,
    /// ...ending this many days before publication.
    #[serde(default = "defaults::publish_lag_days")]
    pub lag_days: u32,
}

impl Default for PublishedWaitSpec {
    fn default() -> Self {
        Self {
            update_days: defaults::publish_every_days(),
            window_days: defaults::publish_window_days(),
            lag_days: defaults::publish_lag_days(),
        }
    }
}

/// Emergency (non-elective) admissions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencySpec {
    /// Emergency admissions per 1,000 registered patients per year.
    pub admissions_per_1000: f64,
    /// Non-elective tariff per spell, in pounds, before the MFF.
    pub tariff_gbp: f64,
    /// Marginal cost to the provider per spell, in pounds.
    #[serde(default)]
    pub marginal_cost_gbp: f64,
    /// How long one emergency admission occupies a server of the provider's emergency
    /// line's admission list (the elective capacity it displaces).
    pub displacement_days: DistSpec,
    /// The marginal rate rule: above a baseline volume, spells are paid at this share
    /// of tariff (0.5 in 2007/08, 0.3 from 2010/11; the brief, Money).
    #[serde(default)]
    pub marginal_rate: Option<MarginalRateSpec>,
}

/// The emergency marginal rate rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarginalRateSpec {
    /// Share of tariff paid for spells above the baseline volume.
    pub rate: f64,
    /// The baseline is each provider's emergency spells in the first reported financial
    /// year, times this factor (1 = the first year's outturn).
    #[serde(default = "defaults::one")]
    pub baseline_factor: f64,
}

/// Run length and Monte Carlo settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// First reported day (a TOML date, `2007-04-01`, or the same as a string).
    pub start: IsoDate,
    /// Days simulated before `start` and not reported.
    #[serde(default = "defaults::warm_up_days")]
    pub warm_up_days: u32,
    /// Reported years from `start`.
    #[serde(default = "defaults::years")]
    pub years: u32,
    /// Monte Carlo replications (the CLI's `--reps` overrides).
    #[serde(default = "defaults::replications")]
    pub replications: u32,
    /// Master seed (the CLI's `--seed` overrides).
    #[serde(default = "defaults::seed")]
    pub seed: u64,
}

/// The commissioner.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PctSpec {
    pub name: String,
    /// Annual capitation allocation per registered patient, in pounds.
    pub allocation_per_head_gbp: f64,
    /// Growth of the allocation per head from one financial year to the next.
    #[serde(default)]
    pub allocation_growth: f64,
    /// The PCT's balance when the books open (negative: an inherited deficit).
    #[serde(default)]
    pub opening_balance_gbp: f64,
    /// Payment by Results spend per registered patient per year on activity the
    /// scenario does not simulate (non-elective care, A&E, outpatients not referred by
    /// a GP, ...), in pounds; paid to providers outside the model's accounts.
    #[serde(default)]
    pub unmodelled_pbr_per_head_gbp: f64,
}

/// Several commissioners.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PctsSpec {
    pub generate: GeneratePcts,
}

/// `count` copies of the scenario's health economy (its `[pct]`, practices and
/// providers: a *tile*) laid out on a square grid, so that a whole country is a few
/// lines of parameters. Tile `i` has its own PCT and practices (generated practices are
/// re-drawn with seed `practices.generate.seed + i`, so tiles differ) and its own copy
/// of every provider, which is shared: patients of any PCT may choose it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratePcts {
    pub count: u32,
    /// Tiles per row; default the smallest square that holds `count`.
    #[serde(default)]
    pub columns: Option<u32>,
    /// Distance between neighbouring tiles' centres.
    #[serde(default = "defaults::pct_spacing_km")]
    pub spacing_km: f64,
    /// The PCTs' opening balances in turn, repeated (PCT `i` opens with entry
    /// `i mod len`), so that some PCTs start in deficit; absent, every PCT opens with
    /// `[pct] opening_balance_gbp`.
    #[serde(default)]
    pub opening_balances_gbp: Option<Vec<f64>>,
}

/// GP practices: generated, listed, or both.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Practices {
    #[serde(default)]
    pub generate: Option<GeneratePractices>,
    #[serde(default)]
    pub list: Vec<PracticeSpec>,
}

/// Practices generated from a count and distributions, reproducibly from `seed`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratePractices {
    pub count: u32,
    #[serde(default = "defaults::list_size_mean")]
    pub list_size_mean: f64,
    #[serde(default = "defaults::list_size_sd")]
    pub list_size_sd: f64,
    #[serde(default = "defaults::list_size_min")]
    pub list_size_min: u32,
    /// Practices are placed uniformly in a disc of this radius around (0, 0).
    #[serde(default = "defaults::radius_km")]
    pub radius_km: f64,
    /// Standard deviation of the log of the referral multiplier (mean 1).
    #[serde(default = "defaults::referral_multiplier_sd")]
    pub referral_multiplier_sd: f64,
    /// Seed of the geography: independent of the Monte Carlo seed, so every
    /// replication and every seed sees the same practices.
    #[serde(default = "defaults::structure_seed")]
    pub seed: u64,
    #[serde(default = "defaults::name_prefix")]
    pub name_prefix: String,
}

/// One practice, stated explicitly.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeSpec {
    pub name: String,
    pub list_size: u32,
    pub x_km: f64,
    pub y_km: f64,
    #[serde(default = "defaults::one")]
    pub referral_multiplier: f64,
    /// Relative need for fair-shares (capitation) budgets.
    #[serde(default = "defaults::one")]
    pub need_weight: f64,
}

/// A service line.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLineSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub incidence_per_1000: f64,
    pub referral_probability: f64,
    #[serde(default = "defaults::discharge_after_first")]
    pub discharge_after_first: f64,
    #[serde(default = "defaults::decision_to_admit")]
    pub decision_to_admit: f64,
    #[serde(default = "defaults::follow_ups_outpatient_mean")]
    pub follow_ups_outpatient_mean: f64,
    #[serde(default = "defaults::follow_ups_admitted_mean")]
    pub follow_ups_admitted_mean: f64,
    #[serde(default = "defaults::follow_up_interval_days")]
    pub follow_up_interval_days: DistSpec,
    #[serde(default = "defaults::work_up_days")]
    pub work_up_days: DistSpec,
    /// Share of referrals that are discretionary: demand management can avoid them
    /// safely. The rest are necessary.
    #[serde(default = "defaults::discretionary_share")]
    pub discretionary_share: f64,
    pub tariff: TariffSpec,
}

/// National tariff prices in pounds, before the Market Forces Factor.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TariffSpec {
    pub first_outpatient_gbp: f64,
    pub follow_up_gbp: f64,
    pub elective_spell_gbp: f64,
}

/// A distribution of durations in days.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum DistSpec {
    Fixed { value: f64 },
    Exponential { mean: f64 },
    Gamma { mean: f64, cv: f64 },
    Lognormal { mean: f64, cv: f64 },
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
}

/// The legal form of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKindSpec {
    NhsTrust,
    FoundationTrust,
    Istc,
    CommunityFt,
    SocialEnterprise,
}

/// A provider.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub name: String,
    pub kind: ProviderKindSpec,
    pub x_km: f64,
    pub y_km: f64,
    #[serde(default = "defaults::one")]
    pub mff: f64,
    #[serde(default)]
    pub fixed_cost_gbp: f64,
    /// Quality indicators patients weigh when they choose.
    #[serde(default)]
    pub quality: QualitySpec,
    /// How the PCT pays this provider.
    #[serde(default)]
    pub payment: PaymentSpec,
    /// Fixed annual payment under a block contract, in pounds (payment = "block").
    #[serde(default)]
    pub block_annual_gbp: f64,
    /// The service line whose admission list emergency admissions use (with priority);
    /// absent means the provider takes no emergencies.
    #[serde(default)]
    pub emergency_line: Option<String>,
    /// Adding and removing servers as waits lengthen and shorten; absent means fixed.
    #[serde(default)]
    pub capacity_response: Option<CapacityResponseSpec>,
    /// When an independent or new provider leaves the market; absent means never.
    #[serde(default)]
    pub exit: Option<ExitSpec>,
    /// Prices are tariff × MFF × this (a local price for a community service).
    #[serde(default = "defaults::one")]
    pub price_factor: f64,
    /// How it comes into the market; absent means it is there from the start.
    #[serde(default)]
    pub entry: Option<EntrySpec>,
    /// Its contract's levers; absent means none.
    #[serde(default)]
    pub levers: LeversSpec,
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
}

/// Quality indicators (Gutacker et al. 2016 units).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QualitySpec {
    /// 28-day emergency readmission rate, per cent.
    #[serde(default)]
    pub readmission_pct: f64,
    /// Mortality, per cent.
    #[serde(default)]
    pub mortality_pct: f64,
    /// Health gain (e.g. change in Oxford Hip Score), points.
    #[serde(default)]
    pub health_gain: f64,
}

/// How a provider is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSpec {
    /// Payment by Results: tariff × MFF per case.
    #[default]
    Pbr,
    /// A fixed annual sum whatever the volume, paid monthly.
    Block,
}

/// A provider's capacity response, reviewed at a fixed interval on each service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityResponseSpec {
    #[serde(default = "defaults::review_days")]
    pub review_days: u32,
    /// Add a server to the busier list when the published wait exceeds this.
    #[serde(default = "defaults::add_above_days")]
    pub add_when_wait_above_days: f64,
    /// Remove a server from the quieter list when the published wait is below this.
    #[serde(default = "defaults::remove_below_days")]
    pub remove_when_wait_below_days: f64,
    /// Servers per list may not exceed this multiple of the starting servers...
    #[serde(default = "defaults::max_factor")]
    pub max_servers_factor: f64,
    /// ...nor fall below this multiple (and never below 1 where it started above 0).
    #[serde(default = "defaults::min_factor")]
    pub min_servers_factor: f64,
    /// Each added server raises the annual fixed cost by this (a removed one lowers it).
    #[serde(default)]
    pub fixed_cost_per_server_gbp: f64,
}

/// When a provider exits: either condition, checked at each financial year end.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExitSpec {
    /// Exit when the cumulative deficit since the books opened exceeds this.
    #[serde(default)]
    pub cumulative_deficit_gbp: Option<f64>,
    /// Exit after this many consecutive loss-making financial years.
    #[serde(default)]
    pub loss_years: Option<u32>,
}

/// What a provider offers on one service line.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub line: String,
    pub outpatient: ResourceSpec,
    pub admission: ResourceSpec,
    #[serde(default)]
    pub marginal_cost_gbp: ItemCosts,
    #[serde(default)]
    pub initial_waiting: InitialWaiting,
}

/// Parallel servers and days per case per server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    pub servers: u32,
    pub service_days: DistSpec,
}

/// A provider's marginal cost per unit of activity, in pounds.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ItemCosts {
    #[serde(default)]
    pub first_outpatient: f64,
    #[serde(default)]
    pub follow_up: f64,
    #[serde(default)]
    pub elective_spell: f64,
}

/// Lists already open when the clock starts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InitialWaiting {
    #[serde(default)]
    pub outpatient: u32,
    #[serde(default)]
    pub admission: u32,
    #[serde(default = "defaults::spread_days")]
    pub spread_days: f64,
}

impl Default for InitialWaiting {
    fn default() -> Self {
        Self { outpatient: 0, admission: 0, spread_days: defaults::spread_days() }
    }
}

/// A calendar date written `YYYY-MM-DD`, as a TOML date or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoDate(pub Date);

impl IsoDate {
    fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        Date::new(y, m, d)
    }
}

impl Serialize for IsoDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTED: &str = "a date written YYYY-MM-DD, such as 2007-04-01";
        impl<'de> Visitor<'de> for V {
            type Value = IsoDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<IsoDate, E> {
                IsoDate::parse(s).map(IsoDate).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &EXPECTED))
            }
            // TOML dates arrive as a one-entry map holding their text.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IsoDate, A::Error> {
                let (_, text): (String, String) =
                    map.next_entry()?.ok_or_else(|| de::Error::invalid_length(0, &EXPECTED))?;
                self.visit_str(&text)
            }
        }
        d.deserialize_any(V)
    }
}

/// Default values, each a function because `serde(default = ...)` needs one.
pub mod defaults {
    use super::DistSpec;

    pub fn all_years() -> String {
        crate::experiment::ALL_YEARS.to_string()
    }
    pub fn warm_up_days() -> u32 {
        365
    }
    pub fn years() -> u32 {
        1
    }
    pub fn replications() -> u32 {
        20
    }
    pub fn seed() -> u64 {
        1
    }
    /// Practices average about 6,000–6,600 patients (domain brief, Who is in the model).
    pub fn list_size_mean() -> f64 {
        6300.0
    }
    pub fn list_size_sd() -> f64 {
        2500.0
    }
    pub fn list_size_min() -> u32 {
        1000
    }
    /// About 30 km between PCT centres: England's 130,000 km² over 152 PCTs is about
    /// 850 km² each (ASSUMPTION: a square grid).
    pub fn pct_spacing_km() -> f64 {
        30.0
    }
    pub fn radius_km() -> f64 {
        10.0
    }
    /// Log-normal practice multiplier, sd 0.25–0.3 (domain brief, Activity; rough).
    pub fn referral_multiplier_sd() -> f64 {
        0.27
    }
    pub fn structure_seed() -> u64 {
        1
    }
    pub fn name_prefix() -> String {
        "practice_".into()
    }
    pub fn one() -> f64 {
        1.0
    }
    /// 30% of first attendances are discharged after one visit (HES 2008-09).
    pub fn discharge_after_first() -> f64 {
        0.30
    }
    /// About 30% of referrals lead to a decision to admit (domain brief; rough).
    pub fn decision_to_admit() -> f64 {
        0.30
    }
    /// With the two defaults below, follow-ups per first attendance are
    /// 0.4 × 4 + 0.3 × 2 = 2.2, the HES 2008-09 ratio.
    pub fn follow_ups_outpatient_mean() -> f64 {
        4.0
    }
    pub fn follow_ups_admitted_mean() -> f64 {
        2.0
    }
    pub fn follow_up_interval_days() -> DistSpec {
        DistSpec::Gamma { mean: 42.0, cv: 0.5 }
    }
    /// ASSUMPTION: diagnostics and work-up between the first attendance and listing for
    /// admission, highly variable (cv 1); it spreads admitted waits so that the share
    /// within 18 weeks is not all-or-nothing.
    pub fn work_up_days() -> DistSpec {
        DistSpec::Gamma { mean: 28.0, cv: 1.0 }
    }
    pub fn spread_days() -> f64 {
        180.0
    }
    /// 45–49% recalled being offered a choice (2006–2010 surveys); midpoint 0.47.
    pub fn offered_share() -> f64 {
        0.47
    }
    /// Gutacker et al. 2016 (hip replacement): distance per km −0.265.
    pub fn distance_per_km() -> f64 {
        -0.265
    }
    /// Gutacker et al. 2016: distance² +0.002.
    pub fn distance_sq_per_km2() -> f64 {
        0.002
    }
    /// Elasticity −0.04 to −0.1 at waits near 60 days ≈ −0.001 to −0.0025 per day (the
    /// brief, rough); −0.002 sits inside that range.
    pub fn wait_per_day() -> f64 {
        -0.002
    }
    /// Gutacker et al. 2016: 28-day readmission rate per % −0.058.
    pub fn readmission_per_pct() -> f64 {
        -0.058
    }
    /// Gutacker et al. 2016: mortality per % −0.137.
    pub fn mortality_per_pct() -> f64 {
        -0.137
    }
    /// Gutacker et al. 2016: health gain (Oxford Hip Score change) +0.153.
    pub fn health_gain_per_point() -> f64 {
        0.153
    }
    /// Gutacker et al. 2016: ISTC dummy −1.52.
    pub fn istc_constant() -> f64 {
        -1.52
    }
    pub fn publish_every_days() -> u32 {
        30
    }
    pub fn publish_window_days() -> u32 {
        90
    }
    pub fn publish_lag_days() -> u32 {
        30
    }
    pub fn review_days() -> u32 {
        91
    }
    /// The 18-week standard.
    pub fn add_above_days() -> f64 {
        126.0
    }
    pub fn remove_below_days() -> f64 {
        42.0
    }
    pub fn half() -> f64 {
        0.5
    }
    /// "At least 70%" from 2006/07 (the brief, PBC).
    pub fn retention() -> f64 {
        0.7
    }
    /// Overspends could be carried for up to three years (the brief, PBC).
    pub fn overspend_carry_years() -> u32 {
        3
    }
    /// About 73% "committed" in the 2007 poll (the brief, PBC).
    pub fn engaged_share() -> f64 {
        0.73
    }
    /// ASSUMPTION.
    pub fn disengaged_engagement() -> f64 {
        0.1
    }
    /// About a third rated PCT information good in 2007 (the brief, PBC).
    pub fn informed_share() -> f64 {
        1.0 / 3.0
    }
    /// ASSUMPTION: three months' lag in activity reports.
    pub fn information_delay_months() -> u32 {
        3
    }
    /// ASSUMPTION.
    pub fn noise_informed() -> f64 {
        0.05
    }
    /// ASSUMPTION.
    pub fn noise_uninformed() -> f64 {
        0.3
    }
    /// ASSUMPTION.
    pub fn aim_informed() -> f64 {
        0.9
    }
    /// ASSUMPTION.
    pub fn aim_uninformed() -> f64 {
        0.3
    }
    /// ASSUMPTION: the effort response is not observed; see docs/model.md.
    pub fn effort_base() -> f64 {
        0.05
    }
    pub fn effort_per_retention() -> f64 {
        0.3
    }
    pub fn effort_per_overspend() -> f64 {
        1.0
    }
    pub fn effort_max() -> f64 {
        0.6
    }
    /// ASSUMPTION.
    pub fn trust_loss() -> f64 {
        0.5
    }
    /// ASSUMPTION.
    pub fn trust_recovery() -> f64 {
        0.2
    }
    /// ASSUMPTION: roughly a GP consultation and a prescription.
    pub fn primary_care_cost_gbp() -> f64 {
        40.0
    }
    /// ASSUMPTION: a community clinic's sessions for a year.
    pub fn community_server_cost_gbp() -> f64 {
        150_000.0
    }
    /// ASSUMPTION.
    pub fn return_delay_days() -> DistSpec {
        DistSpec::Gamma { mean: 90.0, cv: 0.5 }
    }
    /// ASSUMPTION.
    pub fn return_emergency_share() -> f64 {
        0.3
    }
    /// ASSUMPTION: a fifth of referrals could be avoided or managed elsewhere.
    pub fn discretionary_share() -> f64 {
        0.2
    }
    /// The 18-week standard: a patient who waited longer is dissatisfied.
    pub fn voice_wait_threshold_days() -> f64 {
        126.0
    }
    /// ASSUMPTION: further than most patients in a PCT travel for elective care.
    pub fn voice_distance_threshold_km() -> f64 {
        30.0
    }
    /// ASSUMPTION: few dissatisfied patients sign a petition.
    pub fn voice_sign_probability() -> f64 {
        0.05
    }
    /// A petition from more than 1% of the local population (the brief, PPI).
    pub fn voice_population_share() -> f64 {
        0.01
    }
    /// 10% of a service's users (the brief, PPI; consulted on).
    pub fn voice_users_share() -> f64 {
        0.1
    }
    /// 250 signatures (the brief, PPI; consulted on).
    pub fn voice_signatures() -> u64 {
        250
    }
    /// ASSUMPTION: signatures gathered over a year.
    pub fn voice_window_days() -> f64 {
        365.0
    }
    /// ASSUMPTION: a quarter to review a service.
    pub fn voice_review_days() -> f64 {
        90.0
    }
    /// ASSUMPTION: the 90% admitted 18-week operational standard.
    pub fn voice_standard_share() -> f64 {
        0.9
    }
    /// ASSUMPTION: about nine months from advert to a new service opening.
    pub fn voice_procurement_days() -> f64 {
        270.0
    }
    /// ASSUMPTION: LINks double the views that reach the PCT.
    pub fn links_reach_factor() -> f64 {
        2.0
    }
    /// Commissioners must answer LINks' requests within 20 days (the brief, PPI).
    pub fn links_review_days() -> f64 {
        20.0
    }
    pub fn max_factor() -> f64 {
        2.0
    }
    pub fn min_factor() -> f64 {
        0.5
    }
}
