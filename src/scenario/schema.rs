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
    /// One line saying what the scenario is for.
    #[serde(default)]
    pub description: String,
    pub simulation: Simulation,
    pub pct: PctSpec,
    pub practices: Practices,
    pub service_lines: Vec<ServiceLineSpec>,
    pub providers: Vec<ProviderSpec>,
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
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
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
}
