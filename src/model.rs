//! The health economy: practices, providers, the patient pathway, Payment by Results
//! and the ledger. The model takes a validated [`Config`] and runs replications; it
//! knows nothing of files, formats or terminals.
//!
//! Where things live: the GP's referral decision in [`gp`], the choice of provider in
//! [`choice`], the clinical pathway in [`pathway`], a provider's waiting lists in
//! [`waiting_list`], every payment in [`payment`], the accounts in [`ledger`], the
//! levers for new providers and how providers enter in [`levers`], petitions, reviews
//! and tenders in [`voice`], and the event loop that ties them together in [`sim`].

pub mod calendar;
pub mod choice;
pub mod config;
pub mod gp;
pub mod ledger;
pub mod levers;
pub mod money;
pub mod pathway;
pub mod payment;
pub mod pbc;
pub mod record;
pub mod sim;
pub mod voice;
pub mod waiting_list;

pub use calendar::{Calendar, Date, FinancialYear, Month};
pub use config::{
    BudgetMethod, CapacityResponse, ChoiceConfig, ChoicePolicy, Config, DeficitRule, Effort, Emergency, ExitRule, Item,
    MarginalRate, Payment, Pbc, Pct, Practice, Provider, ProviderKind, Publish, Quality, Resource, Service,
    ServiceLine, Utility,
};
pub use gp::default_policy as default_referral_policy;
pub use levers::{Active, Assurance, Capital, Entry, Floor, Guarantee, Levers, Period, Supplement, Volume, Window};
pub use money::Pence;
pub use record::{MarketEvent, MarketEventKind, PctYear, PracticeYear, ProviderYear, ServiceYear, YearRecord};
pub use sim::{ClockStop, ReplicationResult};
pub use voice::{Links, Trigger, Voice};

use choice::{Choice, ServiceRef};
use gp::Gp;
use pathway::Pathway;
use payment::PriceTable;

/// Why a model could not be built or a replication failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("service line `{line}` has referrals but no provider offers it")]
    NoProvider { line: String },
    #[error(transparent)]
    Price(#[from] payment::PriceOverflow),
    #[error("the PCT allocation overflows 64-bit pence")]
    AllocationOverflow,
    #[error(transparent)]
    Schedule(#[from] crate::engine::ScheduleError),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error("invariant violated: {0}")]
    Invariant(String),
    /// A custom referral policy ([`Model::with_referral_policy`]) gave no probability.
    #[error("{0}")]
    ReferralPolicy(String),
}

/// A built model: the configuration plus the tables derived from it once, shared
/// read-only by every replication (and every thread).
#[derive(Debug)]
pub struct Model {
    config: Config,
    services: Vec<ServiceRef>,
    gp: Gp,
    choice: Choice,
    pathways: Vec<Pathway>,
    prices: PriceTable,
    /// Per service, cumulative list sizes of the practices it serves by default, to
    /// attribute the patients already waiting at the start to practices.
    backlog_weights: Vec<Vec<(u64, usize)>>,
    /// Per practice, the services that take its emergency admissions, nearest first.
    emergency_routes: Vec<Vec<usize>>,
    /// Per (PCT, service line), at `pct * lines + line`, the community service that
    /// takes the PCT's referrals on the line diverted under PBC.
    community_service: Vec<Option<usize>>,
    /// Per practice, its PCT (a dense copy of the configuration's, read per event).
    practice_pct: Vec<u32>,
}

impl Model {
    /// Builds the derived tables and checks what only the model can check: every
    /// service line that practices refer on has a provider, and every price fits.
    pub fn new(config: Config) -> Result<Self, ModelError> {
        Self::with_referral_policy(config, gp::default_policy)
    }

    /// As [`Model::new`], with the GP's referral decision given by `policy`: the
    /// probability that a practice refers an episode of a service line, in place of the
    /// scenario's `referral_probability × referral_multiplier`. It is evaluated once per
    /// (practice, line) here, so it may be as elaborate as you like; see
    /// `examples/referral_policy.rs`.
    pub fn with_referral_policy(
        config: Config,
        policy: impl Fn(&Practice, &ServiceLine) -> f64,
    ) -> Result<Self, ModelError> {
        if config.pcts.is_empty() {
            return Err(ModelError::Invariant("an economy needs at least one PCT".into()));
        }
        let n_pcts = config.pcts.len();
        if let Some(p) = config.practices.iter().find(|p| p.pct >= n_pcts) {
            return Err(ModelError::Invariant(format!("practice `{}` belongs to PCT {} of {n_pcts}", p.name, p.pct)));
        }
        if let Some(p) = config.providers.iter().find(|p| p.commissioner >= n_pcts) {
            return Err(ModelError::Invariant(format!(
                "provider `{}` has lead commissioner {} of {n_pcts}",
                p.name, p.commissioner
            )));
        }
        if let Some(b) = &config.pbc {
            if b.community_providers.len() != n_pcts {
                return Err(ModelError::Invariant(format!(
                    "PBC names a community provider (or none) for {} PCTs, but there are {n_pcts}",
                    b.community_providers.len()
                )));
            }
            if let Some(&c) = b.community_providers.iter().flatten().find(|&&c| c >= config.providers.len()) {
                return Err(ModelError::Invariant(format!(
                    "PBC's community provider {c} is not one of the {} providers",
                    config.providers.len()
                )));
            }
        }
        let services: Vec<ServiceRef> = config
            .providers
            .iter()
            .enumerate()
            .flat_map(|(provider, p)| {
                p.services.iter().enumerate().map(move |(within, s)| ServiceRef {
                    provider,
                    line: s.line,
                    within,
                    pbr: p.payment == Payment::Pbr,
                    community: p.community,
                })
            })
            .collect();
        let gp = Gp::with_policy(&config, &policy).map_err(ModelError::ReferralPolicy)?;
        let choice = Choice::new(&config, &services);
        for (l, line) in config.lines.iter().enumerate() {
            let refers = line.incidence_per_1000 > 0.0
                && (0..config.practices.len())
                    .any(|p| gp.referral_probability(p, l) > 0.0 && config.practices[p].list_size > 0);
            if refers && (0..config.practices.len()).any(|p| choice.nearest(p, l).is_none()) {
                return Err(ModelError::NoProvider { line: line.name.clone() });
            }
        }
        // Each provider's emergency service, found once (services are grouped by
        // provider, in order).
        let mut first_service = vec![0usize; config.providers.len()];
        for (i, s) in services.iter().enumerate().rev() {
            first_service[s.provider] = i;
        }
        let emergency_services: Vec<(usize, usize)> = config
            .providers
            .iter()
            .enumerate()
            .filter(|(_, prov)| !prov.community)
            .filter_map(|(p, prov)| Some((p, first_service[p] + prov.emergency_service?)))
            .collect();
        let keep = config.choice.max_candidates.unwrap_or(usize::MAX);
        let emergency_routes: Vec<Vec<usize>> = config
            .practices
            .iter()
            .map(|pr| {
                let mut route: Vec<(f64, usize)> = emergency_services
                    .iter()
                    .map(|&(p, s)| {
                        let prov = &config.providers[p];
                        (choice::distance_km((pr.x_km, pr.y_km), (prov.x_km, prov.y_km)), s)
                    })
                    .collect();
                let by = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if route.len() > keep {
                    route.select_nth_unstable_by(keep - 1, by);
                    route.truncate(keep);
                }
                route.sort_by(by);
                route.into_iter().map(|(_, s)| s).collect()
            })
            .collect();
        if config.emergency.as_ref().is_some_and(|e| e.admissions_per_1000 > 0.0)
            && emergency_routes.iter().any(|r| r.is_empty())
        {
            return Err(ModelError::NoProvider { line: "emergency admissions".into() });
        }
        let prices = PriceTable::new(&config, &services)?;
        let pathways = config.lines.iter().map(Pathway::new).collect();
        // Per service, the practices it is the default for (one pass over practices).
        let mut served_by: Vec<Vec<usize>> = vec![Vec::new(); services.len()];
        for p in 0..config.practices.len() {
            for l in 0..config.lines.len() {
                if let Some(s) = choice.nearest(p, l) {
                    served_by[s].push(p);
                }
            }
        }
        let backlog_weights = served_by
            .into_iter()
            .map(|served| {
                let weight = |p: &usize| config.practices[*p].list_size as u64;
                // Patients already waiting belong to the practices this service serves,
                // in proportion to list size; if those have no patients, to any practice
                // with patients; in an economy with no patients at all, equally to all.
                let pool: Vec<usize> = if served.iter().map(weight).sum::<u64>() > 0 {
                    served
                } else {
                    (0..config.practices.len()).collect()
                };
                let any_patients = pool.iter().map(weight).sum::<u64>() > 0;
                let mut acc = 0u64;
                pool.into_iter()
                    .filter_map(|p| {
                        let w = if any_patients { weight(&p) } else { 1 };
                        (w > 0).then(|| {
                            acc += w;
                            (acc, p)
                        })
                    })
                    .collect()
            })
            .collect();
        let community_service = (0..n_pcts)
            .flat_map(|k| {
                let community = config.pbc.as_ref().and_then(|b| b.community_providers[k]);
                let services = &services;
                (0..config.lines.len())
                    .map(move |l| community.and_then(|c| services.iter().position(|s| s.provider == c && s.line == l)))
            })
            .collect();
        let config_pcts = config.practices.iter().map(|p| p.pct as u32).collect();
        Ok(Self {
            config,
            services,
            gp,
            choice,
            pathways,
            prices,
            backlog_weights,
            emergency_routes,
            community_service,
            practice_pct: config_pcts,
        })
    }

    /// The configuration the model was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `(provider, line)` of each flattened service, in the order used by outputs.
    pub fn services(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.services.iter().map(|s| (s.provider, s.line))
    }

    /// The flattened service that treats `practice`'s patients on `line` by default
    /// (the nearest provider offering the line).
    pub fn default_service(&self, practice: usize, line: usize) -> Option<usize> {
        self.choice.nearest(practice, line)
    }

    /// The choice model (for reports and tests).
    pub fn choice(&self) -> &Choice {
        &self.choice
    }

    /// The probability that `practice` refers an episode on `line`.
    pub fn referral_probability(&self, practice: usize, line: usize) -> f64 {
        self.gp.referral_probability(practice, line)
    }

    /// A practice for a patient already waiting at `service`, from a uniform draw `u`.
    fn backlog_practice(&self, service: usize, u: f64) -> usize {
        let w = &self.backlog_weights[service];
        let Some(&(total, _)) = w.last() else { return 0 };
        let target = ((u * total as f64) as u64).min(total - 1);
        let i = w.partition_point(|&(acc, _)| acc <= target);
        w[i].1
    }

    /// Runs replication `replication` of the Monte Carlo experiment seeded by `seed`.
    /// The result depends on nothing else: not the thread, nor other replications.
    pub fn run_replication(&self, seed: u64, replication: u64) -> Result<ReplicationResult, ModelError> {
        sim::Replication::new(self, seed, replication)?.run()
    }

    /// As [`Model::run_replication`], also recording each patient's pathway when
    /// `pathways` is set (see [`ClockStop`]). Recording draws no random numbers, so
    /// the replication is otherwise the same.
    pub fn run_replication_logged(
        &self,
        seed: u64,
        replication: u64,
        pathways: bool,
    ) -> Result<ReplicationResult, ModelError> {
        let r = sim::Replication::new(self, seed, replication)?;
        if pathways { r.log_pathways().run() } else { r.run() }
    }
}

/// Expected annual demand on one provider service against its capacity, from the
/// scenario's parameters alone (no simulation): what `validate` reports so an analyst
/// sees an overloaded list before running anything.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceLoad {
    pub provider: usize,
    pub line: usize,
    /// Expected referrals per year routed here by default.
    pub referrals_per_year: f64,
    /// First attendances per year the outpatient servers can complete.
    pub outpatient_capacity: f64,
    /// Expected decisions to admit per year.
    pub admissions_per_year: f64,
    /// Admissions per year the admission servers can complete.
    pub admission_capacity: f64,
}

impl ServiceLoad {
    /// Offered load of the outpatient list (≥ 1 means the list grows without bound).
    pub fn outpatient_utilisation(&self) -> f64 {
        self.referrals_per_year / self.outpatient_capacity
    }

    /// Offered load of the admission list.
    pub fn admission_utilisation(&self) -> f64 {
        self.admissions_per_year / self.admission_capacity
    }
}

impl Model {
    /// Expected load of every provider service, in the order of [`Model::services`]:
    /// referrals split between the GP's default and, for the share offered a choice,
    /// the logit probabilities at the waits published when the clock starts.
    pub fn expected_load(&self) -> Vec<ServiceLoad> {
        let c = &self.config;
        let mut referrals = vec![0.0; self.services.len()];
        let published = (0..self.services.len())
            .map(|s| {
                let svc = &c.providers[self.services[s].provider].services[self.services[s].within];
                let rate = svc.outpatient.servers as f64 / svc.outpatient.service_days.mean();
                if svc.initial_waiting_outpatient == 0 {
                    0.0
                } else {
                    (svc.initial_waiting_outpatient as f64 / rate).min(3652.5)
                }
            })
            .collect();
        let mut state = self.choice.state(published);
        let offered = if c.choice.policy == ChoicePolicy::None { 0.0 } else { c.choice.offered_share };
        for (p, practice) in c.practices.iter().enumerate() {
            for (l, line) in c.lines.iter().enumerate() {
                let volume =
                    line.incidence_per_1000 / 1000.0 * practice.list_size as f64 * self.gp.referral_probability(p, l);
                if let Some(s) = self.choice.nearest(p, l) {
                    referrals[s] += volume * (1.0 - offered);
                }
                if offered > 0.0 {
                    for (s, prob) in self.choice.probabilities(&mut state, p, l) {
                        referrals[s] += volume * offered * prob;
                    }
                }
            }
        }
        self.services
            .iter()
            .zip(referrals)
            .map(|(s, referrals_per_year)| {
                let svc = &c.providers[s.provider].services[s.within];
                ServiceLoad {
                    provider: s.provider,
                    line: s.line,
                    referrals_per_year,
                    outpatient_capacity: svc.outpatient.annual_capacity(),
                    admissions_per_year: referrals_per_year * c.lines[s.line].decision_to_admit,
                    admission_capacity: svc.admission.annual_capacity(),
                }
            })
            .collect()
    }
}
