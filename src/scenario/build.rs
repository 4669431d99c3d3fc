//! A validated scenario → the model's [`Config`]: names resolved to indexes, pounds to
//! pence, distribution specs to samplers, generated practices drawn.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal, Normal};

use crate::engine::stream;
use crate::model::sim::process;
use crate::model::{
    Assurance, Capital, Entry, Floor, Guarantee, Levers, Links, Period, Supplement, Trigger, Voice, Volume, Window,
};
use crate::model::{
    BudgetMethod, Calendar, CapacityResponse, ChoiceConfig, ChoicePolicy, Config, DeficitRule, Effort, Emergency,
    ExitRule, Item, MarginalRate, Payment, Pbc, Pct, Pence, Practice, Provider, ProviderKind, Publish, Quality,
    Resource, Service, ServiceLine, Utility,
};

use super::diagnostic::KeyPath;
use super::schema::{
    BudgetMethod as BudgetMethodSpec, ChoicePolicy as PolicySpec, DeficitRule as DeficitRuleSpec, GeneratePcts,
    GeneratePractices, HistoricBase, IsoDate, LeversSpec, PaymentSpec, PeriodSpec, ProviderKindSpec, Scenario,
    ServiceSpec, TriggerSpec,
};
use super::validate::{Problem, to_sampler};

fn gbp(path: &KeyPath, x: f64) -> Result<Pence, Problem> {
    Pence::from_gbp(x).ok_or_else(|| Problem {
        path: path.clone(),
        message: format!("expected an amount in pounds in [0, 1e13], got {x}"),
        help: None,
    })
}

/// Draws the generated practices. Deterministic in `g.seed` alone.
pub fn generate_practices(g: &GeneratePractices) -> Vec<Practice> {
    let mut rng = stream(g.seed, process::STRUCTURE_REPLICATION, process::STRUCTURE, 0);
    let list = (g.list_size_sd > 0.0).then(|| {
        let cv = g.list_size_sd / g.list_size_mean;
        let s2 = (1.0 + cv * cv).ln();
        LogNormal::new(g.list_size_mean.ln() - s2 / 2.0, s2.sqrt()).expect("validated")
    });
    let sigma = g.referral_multiplier_sd;
    let log_mult = Normal::new(-sigma * sigma / 2.0, sigma).expect("validated");
    (0..g.count)
        .map(|i| {
            let size = list.as_ref().map_or(g.list_size_mean, |d| d.sample(&mut rng));
            let r = g.radius_km * rng.random::<f64>().sqrt();
            let theta = std::f64::consts::TAU * rng.random::<f64>();
            let mult = log_mult.sample(&mut rng).exp();
            Practice {
                name: format!("{}{:03}", g.name_prefix, i + 1),
                list_size: (size.round() as u32).max(g.list_size_min),
                x_km: r * theta.cos(),
                y_km: r * theta.sin(),
                referral_multiplier: mult,
                need_weight: 1.0,
                pct: 0,
            }
        })
        .collect()
}

fn kind(k: ProviderKindSpec) -> ProviderKind {
    match k {
        ProviderKindSpec::NhsTrust => ProviderKind::NhsTrust,
        ProviderKindSpec::FoundationTrust => ProviderKind::FoundationTrust,
        ProviderKindSpec::Istc => ProviderKind::Istc,
        ProviderKindSpec::CommunityFt => ProviderKind::CommunityFt,
        ProviderKindSpec::SocialEnterprise => ProviderKind::SocialEnterprise,
    }
}

/// Builds the model configuration. Assumes [`super::validate::validate`] found nothing;
/// anything it could not know (name clashes with generated practices, amounts that
/// do not fit) comes back as problems.
pub fn build(s: &Scenario) -> Result<Config, Vec<Problem>> {
    let root = KeyPath::default();
    let mut problems = Vec::new();
    let calendar = Calendar::new(s.simulation.start.0, s.simulation.warm_up_days, s.simulation.years);
    let Some(calendar) = calendar else {
        return Err(vec![Problem {
            path: root.key("simulation").key("start"),
            message: "cannot build a calendar from this start date and number of years".into(),
            help: None,
        }]);
    };
    let mut practices = s.practices.generate.as_ref().map(generate_practices).unwrap_or_default();
    for (i, p) in s.practices.list.iter().enumerate() {
        if practices.iter().any(|g| g.name == p.name) {
            problems.push(Problem {
                path: root.key("practices").key("list").index(i).key("name"),
                message: format!("practice name `{}` clashes with a generated practice", p.name),
                help: Some("rename it, or change practices.generate.name_prefix".into()),
            });
        }
        practices.push(Practice {
            name: p.name.clone(),
            list_size: p.list_size,
            x_km: p.x_km,
            y_km: p.y_km,
            referral_multiplier: p.referral_multiplier,
            need_weight: p.need_weight,
            pct: 0,
        });
    }
    let mut lines = Vec::new();
    for (i, l) in s.service_lines.iter().enumerate() {
        let at = root.key("service_lines").index(i).key("tariff");
        let tariff = [
            gbp(&at.key("first_outpatient_gbp"), l.tariff.first_outpatient_gbp),
            gbp(&at.key("follow_up_gbp"), l.tariff.follow_up_gbp),
            gbp(&at.key("elective_spell_gbp"), l.tariff.elective_spell_gbp),
        ];
        let mut t = [Pence::ZERO; Item::COUNT];
        for (slot, r) in t.iter_mut().zip(tariff) {
            match r {
                Ok(p) => *slot = p,
                Err(e) => problems.push(e),
            }
        }
        let (Ok(follow_up_interval), Ok(work_up)) =
            (to_sampler(&l.follow_up_interval_days), to_sampler(&l.work_up_days))
        else {
            continue;
        };
        lines.push(ServiceLine {
            name: l.name.clone(),
            incidence_per_1000: l.incidence_per_1000,
            referral_probability: l.referral_probability,
            discharge_after_first: l.discharge_after_first,
            decision_to_admit: l.decision_to_admit,
            follow_ups_outpatient_mean: l.follow_ups_outpatient_mean,
            follow_ups_admitted_mean: l.follow_ups_admitted_mean,
            follow_up_interval,
            work_up,
            discretionary_share: l.discretionary_share,
            tariff: t,
        });
    }
    let origin = s.simulation.start.0.to_days() - s.simulation.warm_up_days as i64;
    let time_of = |d: &IsoDate| (d.0.to_days() - origin) as f64;
    let mut providers = Vec::new();
    for (i, p) in s.providers.iter().enumerate() {
        let at = root.key("providers").index(i);
        let fixed_cost = gbp(&at.key("fixed_cost_gbp"), p.fixed_cost_gbp).unwrap_or_else(|e| {
            problems.push(e);
            Pence::ZERO
        });
        let mut services = Vec::new();
        for (j, svc) in p.services.iter().enumerate() {
            let sat = at.key("services").index(j);
            let Some(line) = s.service_lines.iter().position(|l| l.name == svc.line) else { continue };
            let (Ok(op), Ok(adm)) = (to_sampler(&svc.outpatient.service_days), to_sampler(&svc.admission.service_days))
            else {
                continue;
            };
            let mc = sat.key("marginal_cost_gbp");
            let mut marginal_cost = [Pence::ZERO; Item::COUNT];
            for (slot, (k, x)) in marginal_cost.iter_mut().zip([
                ("first_outpatient", svc.marginal_cost_gbp.first_outpatient),
                ("follow_up", svc.marginal_cost_gbp.follow_up),
                ("elective_spell", svc.marginal_cost_gbp.elective_spell),
            ]) {
                match gbp(&mc.key(k), x) {
                    Ok(v) => *slot = v,
                    Err(e) => problems.push(e),
                }
            }
            services.push(Service {
                line,
                outpatient: Resource { servers: svc.outpatient.servers, service_days: op },
                admission: Resource { servers: svc.admission.servers, service_days: adm },
                marginal_cost,
                initial_waiting_outpatient: svc.initial_waiting.outpatient,
                initial_waiting_admission: svc.initial_waiting.admission,
                initial_spread_days: svc.initial_waiting.spread_days,
            });
        }
        let mut money = |k: &str, x: f64| {
            gbp(&at.key(k), x).unwrap_or_else(|e| {
                problems.push(e);
                Pence::ZERO
            })
        };
        let payment = match p.payment {
            PaymentSpec::Pbr => Payment::Pbr,
            PaymentSpec::Block => Payment::Block { annual: money("block_annual_gbp", p.block_annual_gbp) },
        };
        let capacity_response = p.capacity_response.as_ref().map(|r| CapacityResponse {
            review_days: r.review_days,
            add_above_days: r.add_when_wait_above_days,
            remove_below_days: r.remove_when_wait_below_days,
            max_factor: r.max_servers_factor,
            min_factor: r.min_servers_factor,
            fixed_cost_per_server: Pence::from_gbp(r.fixed_cost_per_server_gbp).unwrap_or_default(),
        });
        let exit = p.exit.as_ref().map(|e| ExitRule {
            cumulative_deficit: e.cumulative_deficit_gbp.and_then(Pence::from_gbp),
            loss_years: e.loss_years,
        });
        let emergency_line = p.emergency_line.as_ref().and_then(|l| s.service_lines.iter().position(|x| &x.name == l));
        let emergency_service = emergency_line.and_then(|l| services.iter().position(|sv| sv.line == l));
        providers.push(Provider {
            name: p.name.clone(),
            kind: kind(p.kind),
            commissioner: 0,
            x_km: p.x_km,
            y_km: p.y_km,
            mff_e5: (p.mff * 100_000.0).round() as u64,
            fixed_cost,
            quality: Quality {
                readmission_pct: p.quality.readmission_pct,
                mortality_pct: p.quality.mortality_pct,
                health_gain: p.quality.health_gain,
            },
            payment,
            emergency_service,
            capacity_response,
            exit,
            price_factor_e5: (p.price_factor * 100_000.0).round() as u64,
            community: s.pbc.as_ref().and_then(|b| b.community_provider.as_ref()) == Some(&p.name),
            entry: match &p.entry {
                None => Entry::Open,
                Some(e) => match (&e.date, &e.tender) {
                    (Some(d), _) => Entry::Scheduled(time_of(d)),
                    (None, Some(line)) => {
                        Entry::Tender { line: s.service_lines.iter().position(|l| &l.name == line).unwrap_or(0) }
                    }
                    (None, None) => Entry::Open,
                },
            },
            levers: levers(&p.levers, &p.services, &time_of, &at.key("levers"), &mut problems),
            services,
        });
    }
    let allocation_per_head = gbp(&root.key("pct").key("allocation_per_head_gbp"), s.pct.allocation_per_head_gbp)
        .unwrap_or_else(|e| {
            problems.push(e);
            Pence::ZERO
        });
    let unmodelled_pbr_per_head =
        gbp(&root.key("pct").key("unmodelled_pbr_per_head_gbp"), s.pct.unmodelled_pbr_per_head_gbp).unwrap_or_else(
            |e| {
                problems.push(e);
                Pence::ZERO
            },
        );
    let u = &s.choice.utility;
    let choice = ChoiceConfig {
        policy: match s.choice.policy {
            PolicySpec::None => ChoicePolicy::None,
            PolicySpec::FourPlus => ChoicePolicy::FourPlus,
            PolicySpec::Free => ChoicePolicy::Free,
        },
        offered_share: s.choice.offered_share,
        utility: Utility {
            distance_per_km: u.distance_per_km,
            distance_sq_per_km2: u.distance_sq_per_km2,
            wait_per_day: u.wait_per_day,
            readmission_per_pct: u.readmission_per_pct,
            mortality_per_pct: u.mortality_per_pct,
            health_gain_per_point: u.health_gain_per_point,
            gp_recommendation: u.gp_recommendation,
            kind: [
                u.kind.nhs_trust,
                u.kind.foundation_trust,
                u.kind.istc,
                u.kind.community_ft,
                u.kind.social_enterprise,
            ],
        },
        publish: Publish {
            update_days: s.choice.published_wait.update_days,
            window_days: s.choice.published_wait.window_days,
            lag_days: s.choice.published_wait.lag_days,
        },
        max_candidates: s.choice.max_candidates.map(|k| k as usize),
    };
    let emergency = match &s.emergency {
        None => None,
        Some(e) => {
            let em = root.key("emergency");
            let mut money = |k: &str, x: f64| {
                gbp(&em.key(k), x).unwrap_or_else(|e| {
                    problems.push(e);
                    Pence::ZERO
                })
            };
            let tariff = money("tariff_gbp", e.tariff_gbp);
            let marginal_cost = money("marginal_cost_gbp", e.marginal_cost_gbp);
            to_sampler(&e.displacement_days).ok().map(|displacement| Emergency {
                admissions_per_1000: e.admissions_per_1000,
                tariff,
                marginal_cost,
                displacement,
                marginal_rate: e.marginal_rate.as_ref().map(|m| MarginalRate {
                    rate_ppm: (m.rate * 1_000_000.0).round() as u64,
                    baseline_factor: m.baseline_factor,
                }),
            })
        }
    };
    let mut pbc = s.pbc.as_ref().and_then(|b| {
        let at = root.key("pbc");
        let primary_care_cost =
            gbp(&at.key("primary_care_cost_gbp"), b.primary_care_cost_gbp).map_err(|e| problems.push(e)).ok()?;
        let community_server_cost = gbp(&at.key("community_server_cost_gbp"), b.community_server_cost_gbp)
            .map_err(|e| problems.push(e))
            .ok()?;
        let return_delay = to_sampler(&b.return_delay_days).ok()?;
        Some(Pbc {
            budget_method: match b.budget_method {
                BudgetMethodSpec::Historic => BudgetMethod::Historic,
                BudgetMethodSpec::Capitation => BudgetMethod::Capitation,
                BudgetMethodSpec::Blend => BudgetMethod::Blend(b.capitation_share),
            },
            historic_from_warm_up: b.historic_base == HistoricBase::WarmUp,
            top_slice: b.top_slice.efficiency + b.top_slice.contingency + b.top_slice.deficit_recovery,
            retention: b.retention,
            deficit_rule: match b.deficit_rule {
                DeficitRuleSpec::PctFirst => DeficitRule::PctFirst,
                DeficitRuleSpec::PracticeFirst => DeficitRule::PracticeFirst,
                DeficitRuleSpec::None => DeficitRule::None,
            },
            overspend_carry_years: b.overspend_carry_years,
            engaged_share: b.engaged_share,
            disengaged_engagement: b.disengaged_engagement,
            informed_share: b.informed_share,
            information_delay_months: b.information_delay_months,
            noise: [b.noise_informed, b.noise_uninformed],
            aim: [b.aim_informed, b.aim_uninformed],
            effort: Effort {
                base: b.effort.base,
                per_retention: b.effort.per_retention,
                per_overspend: b.effort.per_overspend,
                max: b.effort.max,
            },
            trust_loss: b.trust_loss,
            trust_recovery: b.trust_recovery,
            primary_care_cost,
            // Resolved per PCT once the PCTs are laid out (below).
            community_providers: Vec::new(),
            community_server_cost,
            return_delay,
            return_emergency_share: b.return_emergency_share,
        })
    });
    let voice = s.voice.as_ref().map(|v| Voice {
        wait_threshold_days: v.wait_threshold_days,
        distance_threshold_km: v.distance_threshold_km,
        sign_probability: v.sign_probability,
        trigger: match v.trigger {
            TriggerSpec::PopulationShare => Trigger::PopulationShare(v.population_share),
            TriggerSpec::UsersShare => Trigger::UsersShare(v.users_share),
            TriggerSpec::Signatures => Trigger::Fixed(v.signatures),
        },
        window_days: v.window_days,
        review_days: v.review_days,
        standard_share: v.standard_share,
        procurement_days: v.procurement_days,
        links: v.links.as_ref().map(|l| Links { reach_factor: l.reach_factor, review_days: l.review_days }),
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    let pct = Pct {
        name: s.pct.name.clone(),
        allocation_per_head,
        allocation_growth: s.pct.allocation_growth,
        opening_balance: (s.pct.opening_balance_gbp * 100.0).round() as i64,
        unmodelled_pbr_per_head,
    };
    let (pcts, practices, providers) = match &s.pcts {
        None => (vec![pct], practices, providers),
        Some(ps) => tile(s, &ps.generate, pct, practices, providers),
    };
    if let Some(b) = &mut pbc {
        // Each PCT's community provider is the copy of the scenario's that it leads
        // (with one PCT, the scenario's own: every provider's commissioner is 0).
        b.community_providers =
            (0..pcts.len()).map(|k| providers.iter().position(|p| p.community && p.commissioner == k)).collect();
    }
    Ok(Config { calendar, pcts, practices, lines, providers, choice, emergency, pbc, voice })
}

/// Lays `g.count` copies of the economy (one PCT, its practices, its providers) on a
/// grid `g.spacing_km` apart, centred on (0, 0). Tile `i` (numbered from 1 in names)
/// is PCT `i`, commissioner of its own copy of each provider. Generated practices are
/// re-drawn per tile (seed + i) so PCTs differ; listed practices are copied.
fn tile(
    s: &Scenario,
    g: &GeneratePcts,
    pct: Pct,
    practices: Vec<Practice>,
    providers: Vec<Provider>,
) -> (Vec<Pct>, Vec<Practice>, Vec<Provider>) {
    let n = g.count as usize;
    let columns = g.columns.map_or_else(|| (n as f64).sqrt().ceil() as usize, |c| c as usize).max(1);
    let rows = n.div_ceil(columns);
    let generated = s.practices.generate.as_ref().map_or(0, |p| p.count as usize);
    let (mut all_pcts, mut all_practices, mut all_providers) =
        (Vec::with_capacity(n), Vec::with_capacity(n * practices.len()), Vec::with_capacity(n * providers.len()));
    for i in 0..n {
        let (col, row) = (i % columns, i / columns);
        let dx = (col as f64 - (columns - 1) as f64 / 2.0) * g.spacing_km;
        let dy = (row as f64 - (rows - 1) as f64 / 2.0) * g.spacing_km;
        let tag = format!("{:03}", i + 1);
        let opening_balance = g
            .opening_balances_gbp
            .as_ref()
            .filter(|b| !b.is_empty())
            .map_or(pct.opening_balance, |b| (b[i % b.len()] * 100.0).round() as i64);
        all_pcts.push(Pct { name: format!("{} {tag}", pct.name), opening_balance, ..pct.clone() });
        let drawn = match &s.practices.generate {
            Some(pg) if i > 0 => {
                generate_practices(&GeneratePractices { seed: pg.seed.wrapping_add(i as u64), ..pg.clone() })
            }
            _ => practices[..generated].to_vec(),
        };
        for p in drawn.into_iter().chain(practices[generated..].iter().cloned()) {
            all_practices.push(Practice {
                name: format!("{tag}_{}", p.name),
                x_km: p.x_km + dx,
                y_km: p.y_km + dy,
                pct: i,
                ..p
            });
        }
        for p in &providers {
            all_providers.push(Provider {
                name: format!("{tag}_{}", p.name),
                x_km: p.x_km + dx,
                y_km: p.y_km + dy,
                commissioner: i,
                ..p.clone()
            });
        }
    }
    (all_pcts, all_practices, all_providers)
}

fn ppm(x: f64) -> u64 {
    (x * 1_000_000.0).round() as u64
}

/// A provider's levers, with dates as simulated times and pounds as pence.
fn levers(
    l: &LeversSpec,
    services: &[ServiceSpec],
    time_of: &dyn Fn(&IsoDate) -> f64,
    at: &KeyPath,
    problems: &mut Vec<Problem>,
) -> Levers {
    let window = |start: &Option<IsoDate>, end: &Option<IsoDate>, years: Option<u32>| Window {
        start: start.as_ref().map(time_of),
        end: end.as_ref().map(time_of),
        years,
    };
    let mut money = |path: KeyPath, x: f64| {
        gbp(&path, x).unwrap_or_else(|e| {
            problems.push(e);
            Pence::ZERO
        })
    };
    let supplement = l.supplement.as_ref().map(|x| Supplement {
        rate_ppm: ppm(x.rate),
        cap: x.cap_gbp.map(|c| money(at.key("supplement").key("cap_gbp"), c)),
        window: window(&x.start, &x.end, x.years),
    });
    let guarantee = l.guarantee.as_ref().map(|g| Guarantee {
        floor: match g.floor_gbp {
            Some(f) => Floor::Income(money(at.key("guarantee").key("floor_gbp"), f)),
            None => Floor::Volumes {
                volumes: g
                    .volumes
                    .iter()
                    .filter_map(|v| {
                        let within = services.iter().position(|x| x.line == v.line)?;
                        Some(Volume { within, cases: [v.first_outpatient, v.follow_up, v.elective_spell] })
                    })
                    .collect(),
                premium_ppm: ppm(g.premium),
            },
        },
        period: match g.period {
            PeriodSpec::Annual => Period::Annual,
            PeriodSpec::Quarterly => Period::Quarterly,
        },
        window: window(&g.start, &g.end, g.years),
    });
    let capital = l.capital.as_ref().map(|x| Capital {
        relief: money(at.key("capital").key("fixed_cost_relief_gbp"), x.fixed_cost_relief_gbp),
        annual_charge: money(at.key("capital").key("annual_charge_gbp"), x.annual_charge_gbp),
        window: window(&x.start, &x.end, x.years),
    });
    let assurance = l.assurance.as_ref().map(|x| Assurance {
        relief: money(at.key("assurance").key("fixed_cost_relief_gbp"), x.fixed_cost_relief_gbp),
        assured_spells: x.assured_spells,
        per_spell: money(at.key("assurance").key("per_spell_gbp"), x.per_spell_gbp),
        window: window(&x.start, &x.end, x.years),
    });
    Levers { supplement, guarantee, capital, assurance }
}
