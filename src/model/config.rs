//! The model's input: a health economy described with plain data and indexes. It is
//! built and checked by the `scenario` layer; the model never sees a file or a name
//! lookup, and refers to practices, service lines and providers by position.

use super::calendar::Calendar;
use super::money::Pence;
use crate::engine::Sampler;

/// Everything one run of the model needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub calendar: Calendar,
    pub pct: Pct,
    pub practices: Vec<Practice>,
    pub lines: Vec<ServiceLine>,
    pub providers: Vec<Provider>,
}

/// The commissioner.
#[derive(Debug, Clone)]
pub struct Pct {
    pub name: String,
    /// Annual capitation allocation per registered patient.
    pub allocation_per_head: Pence,
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
    NhsTrust,
    FoundationTrust,
    Istc,
    CommunityFt,
    SocialEnterprise,
}

impl ProviderKind {
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
    pub x_km: f64,
    pub y_km: f64,
    /// Market Forces Factor in units of 1/100,000 (1.04325 is 104,325), the precision
    /// the published MFF tables use; integer so that prices are exact.
    pub mff_e5: u64,
    /// Annual fixed cost, paid in twelve monthly instalments.
    pub fixed_cost: Pence,
    pub services: Vec<Service>,
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
    /// Registered population of the PCT.
    pub fn population(&self) -> u64 {
        self.practices.iter().map(|p| p.list_size as u64).sum()
    }
}
