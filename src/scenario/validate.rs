//! Checks every value of a parsed scenario and collects every problem at once, each
//! with its key path and the range that was expected. Nothing here panics or stops at
//! the first error: an analyst fixing a file wants the whole list.

use std::collections::HashSet;

use crate::engine::Sampler;
use crate::model::money::MAX_GBP;

use super::diagnostic::{KeyPath, suggest};
use super::schema::{DistSpec, IsoDate, PaymentSpec, ProviderKindSpec, ProviderSpec, Scenario};

/// Longest duration a distribution may have, in days: a century.
const MAX_DAYS: f64 = 36_525.0;

/// A problem found by validation, before it is located in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: KeyPath,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, path: KeyPath, message: String, help: Option<String>) {
        self.problems.push(Problem { path, message, help });
    }

    /// Requires `lo <= x <= hi` and finite; `what` names the range for the message.
    fn range(&mut self, path: KeyPath, x: f64, lo: f64, hi: f64, what: &str) {
        if !(x.is_finite() && x >= lo && x <= hi) {
            self.push(path, format!("expected {what}, got {}", crate::engine::short(x)), None);
        }
    }

    fn probability(&mut self, path: KeyPath, x: f64) {
        self.range(path, x, 0.0, 1.0, "a probability in [0, 1]");
    }

    fn gbp(&mut self, path: KeyPath, x: f64) {
        self.range(path, x, 0.0, MAX_GBP, "an amount in pounds in [0, 1e13]");
    }

    fn count(&mut self, path: KeyPath, x: u64, lo: u64, hi: u64) {
        if !(lo..=hi).contains(&x) {
            self.push(path, format!("expected a whole number in [{lo}, {hi}], got {x}"), None);
        }
    }

    fn unique<'a>(&mut self, base: &KeyPath, names: impl Iterator<Item = &'a str>, what: &str) {
        let mut seen = HashSet::new();
        for (i, n) in names.enumerate() {
            let path = base.index(i).key("name");
            if n.trim().is_empty() {
                self.push(path, format!("expected a non-empty {what} name"), None);
            } else if !seen.insert(n) {
                self.push(path, format!("duplicate {what} name `{n}`; names must be unique"), None);
            } else if (what == "provider" || what == "service line") && n.contains('/') {
                // Services are reported as `provider/line`: a slash would make that ambiguous.
                self.push(
                    path,
                    format!("{what} name `{n}` contains `/`, which separates provider and line in outputs"),
                    Some(format!("use another character, e.g. `{}`", n.replace('/', "_"))),
                );
            }
        }
    }

    /// A distribution of durations in days: valid, with a mean and a range within a
    /// century (beyond that a run would only schedule events past its end, or past
    /// what time in days can represent) and a cv of at most 100.
    fn dist(&mut self, path: KeyPath, d: &DistSpec) {
        let too_long = |x: f64| x > MAX_DAYS;
        let problem = match (to_sampler(d), d) {
            (Err(e), _) => Some(e.to_string()),
            (Ok(_), DistSpec::Gamma { cv, .. } | DistSpec::Lognormal { cv, .. }) if *cv > 100.0 => {
                Some(format!("cv must be at most 100, got {cv}"))
            }
            (Ok(_), DistSpec::Uniform { max, .. } | DistSpec::Triangular { max, .. }) if too_long(*max) => {
                Some(format!("max must be at most {MAX_DAYS} days, got {max}"))
            }
            (Ok(s), _) if too_long(s.mean()) => {
                Some(format!("the mean must be at most {MAX_DAYS} days, got {}", crate::engine::short(s.mean())))
            }
            _ => None,
        };
        if let Some(p) = problem {
            self.push(path, format!("invalid distribution: {p}"), None);
        }
    }
}

/// Builds the engine sampler for a distribution spec.
pub fn to_sampler(d: &DistSpec) -> Result<Sampler, crate::engine::DistError> {
    match *d {
        DistSpec::Fixed { value } => Sampler::fixed(value),
        DistSpec::Exponential { mean } => Sampler::exponential(mean),
        DistSpec::Gamma { mean, cv } => Sampler::gamma(mean, cv),
        DistSpec::Lognormal { mean, cv } => Sampler::lognormal(mean, cv),
        DistSpec::Uniform { min, max } => Sampler::uniform(min, max),
        DistSpec::Triangular { min, mode, max } => Sampler::triangular(min, mode, max),
    }
}

/// Every problem in `s`, in file order as far as possible.
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker::default();
    let root = KeyPath::default();

    let sim = root.key("simulation");
    c.count(sim.key("years"), s.simulation.years as u64, 1, 200);
    c.count(sim.key("warm_up_days"), s.simulation.warm_up_days as u64, 0, 36_525);
    c.count(sim.key("replications"), s.simulation.replications as u64, 1, 1_000_000);
    let start = s.simulation.start.0;
    let end = crate::model::Date::new(start.year.saturating_add(s.simulation.years as i32), start.month, start.day);
    if let Some(end) = end {
        let horizon = end.to_days() - start.to_days();
        if s.simulation.years > 0 && i64::from(s.simulation.warm_up_days) > horizon {
            c.push(
                sim.key("warm_up_days"),
                format!(
                    "the warm-up ({} days) is longer than the reported horizon ({} year{}, {horizon} days)",
                    s.simulation.warm_up_days,
                    s.simulation.years,
                    if s.simulation.years == 1 { "" } else { "s" }
                ),
                Some("the warm-up only fills the lists before reporting starts: was it meant in days?".into()),
            );
        }
    }
    if end.is_none() {
        c.push(
            sim.key("start"),
            format!(
                "the horizon would end on a 29 February that does not exist ({} + {} years)",
                start, s.simulation.years
            ),
            Some("start on another day, or choose a number of years that ends in a leap year".into()),
        );
    }

    if s.pct.name.trim().is_empty() {
        c.push(root.key("pct").key("name"), "expected a non-empty PCT name".into(), None);
    }
    c.gbp(root.key("pct").key("allocation_per_head_gbp"), s.pct.allocation_per_head_gbp);
    c.gbp(root.key("pct").key("unmodelled_pbr_per_head_gbp"), s.pct.unmodelled_pbr_per_head_gbp);
    c.range(
        root.key("pct").key("allocation_growth"),
        s.pct.allocation_growth,
        -0.5,
        1.0,
        "a yearly growth rate in [-0.5, 1]",
    );
    c.range(
        root.key("pct").key("opening_balance_gbp"),
        s.pct.opening_balance_gbp,
        -MAX_GBP,
        MAX_GBP,
        "an amount in pounds in [-1e13, 1e13]",
    );

    if let Some(ps) = &s.pcts {
        let at = root.key("pcts").key("generate");
        let g = &ps.generate;
        c.count(at.key("count"), g.count as u64, 1, 10_000);
        if let Some(cols) = g.columns {
            c.count(at.key("columns"), cols as u64, 1, 10_000);
        }
        c.range(at.key("spacing_km"), g.spacing_km, 0.0, 1e4, "a distance in km in [0, 1e4]");
        if let Some(balances) = &g.opening_balances_gbp {
            let key = at.key("opening_balances_gbp");
            if balances.is_empty() {
                c.push(
                    key.clone(),
                    "an empty list".into(),
                    Some("give at least one balance, or remove the key".into()),
                );
            }
            for (i, &b) in balances.iter().enumerate() {
                c.range(key.index(i), b, -MAX_GBP, MAX_GBP, "an amount in pounds in [-1e13, 1e13]");
            }
        }
    }
    if let Some(k) = s.choice.max_candidates {
        c.count(root.key("choice").key("max_candidates"), k as u64, 1, 1_000_000);
    }

    let pr = root.key("practices");
    if let Some(g) = &s.practices.generate {
        let gp = pr.key("generate");
        c.count(gp.key("count"), g.count as u64, 1, 100_000);
        c.range(gp.key("list_size_mean"), g.list_size_mean, 1.0, 1e6, "a mean list size in [1, 1e6]");
        c.range(gp.key("list_size_sd"), g.list_size_sd, 0.0, 1e6, "a standard deviation in [0, 1e6]");
        c.count(gp.key("list_size_min"), g.list_size_min as u64, 0, 1_000_000);
        c.range(gp.key("radius_km"), g.radius_km, 0.0, 1000.0, "a radius in km in [0, 1000]");
        c.range(gp.key("referral_multiplier_sd"), g.referral_multiplier_sd, 0.0, 2.0, "a log-scale sd in [0, 2]");
    }
    let list = pr.key("list");
    c.unique(&list, s.practices.list.iter().map(|p| p.name.as_str()), "practice");
    for (i, p) in s.practices.list.iter().enumerate() {
        let at = list.index(i);
        c.count(at.key("list_size"), p.list_size as u64, 0, 1_000_000);
        c.range(at.key("x_km"), p.x_km, -1e4, 1e4, "a coordinate in km in [-1e4, 1e4]");
        c.range(at.key("y_km"), p.y_km, -1e4, 1e4, "a coordinate in km in [-1e4, 1e4]");
        c.range(at.key("referral_multiplier"), p.referral_multiplier, 0.0, 100.0, "a multiplier in [0, 100]");
        c.range(at.key("need_weight"), p.need_weight, 0.0, 100.0, "a weight in [0, 100]");
    }
    if s.practices.generate.is_none() && s.practices.list.is_empty() {
        c.push(
            pr,
            "expected at least one practice".into(),
            Some("add [practices.generate] or [[practices.list]]".into()),
        );
    }

    let lines = root.key("service_lines");
    if s.service_lines.is_empty() {
        c.push(lines.clone(), "expected at least one [[service_lines]]".into(), None);
    }
    c.unique(&lines, s.service_lines.iter().map(|l| l.name.as_str()), "service line");
    for (i, l) in s.service_lines.iter().enumerate() {
        let at = lines.index(i);
        c.range(
            at.key("incidence_per_1000"),
            l.incidence_per_1000,
            0.0,
            1e6,
            "episodes per 1,000 per year in [0, 1e6]",
        );
        c.probability(at.key("referral_probability"), l.referral_probability);
        c.probability(at.key("discharge_after_first"), l.discharge_after_first);
        c.probability(at.key("decision_to_admit"), l.decision_to_admit);
        if l.discharge_after_first + l.decision_to_admit > 1.0 + 1e-12 {
            c.push(
                at.key("decision_to_admit"),
                format!(
                    "discharge_after_first + decision_to_admit must not exceed 1, got {} + {}",
                    l.discharge_after_first, l.decision_to_admit
                ),
                None,
            );
        }
        c.range(
            at.key("follow_ups_outpatient_mean"),
            l.follow_ups_outpatient_mean,
            1.0,
            1000.0,
            "a mean in [1, 1000] (at least the one follow-up that defines the branch)",
        );
        c.range(at.key("follow_ups_admitted_mean"), l.follow_ups_admitted_mean, 0.0, 1000.0, "a mean in [0, 1000]");
        c.dist(at.key("follow_up_interval_days"), &l.follow_up_interval_days);
        c.dist(at.key("work_up_days"), &l.work_up_days);
        c.probability(at.key("discretionary_share"), l.discretionary_share);
        let t = at.key("tariff");
        c.gbp(t.key("first_outpatient_gbp"), l.tariff.first_outpatient_gbp);
        c.gbp(t.key("follow_up_gbp"), l.tariff.follow_up_gbp);
        c.gbp(t.key("elective_spell_gbp"), l.tariff.elective_spell_gbp);
    }

    let provs = root.key("providers");
    if s.providers.is_empty() {
        c.push(provs.clone(), "expected at least one [[providers]]".into(), None);
    }
    c.unique(&provs, s.providers.iter().map(|p| p.name.as_str()), "provider");
    let line_names: Vec<&str> = s.service_lines.iter().map(|l| l.name.as_str()).collect();
    let mut offered = vec![false; s.service_lines.len()];
    for (i, p) in s.providers.iter().enumerate() {
        let at = provs.index(i);
        c.range(at.key("x_km"), p.x_km, -1e4, 1e4, "a coordinate in km in [-1e4, 1e4]");
        c.range(at.key("y_km"), p.y_km, -1e4, 1e4, "a coordinate in km in [-1e4, 1e4]");
        c.range(at.key("mff"), p.mff, 0.5, 2.0, "a Market Forces Factor in [0.5, 2] (published values run 1.00–1.32)");
        c.gbp(at.key("fixed_cost_gbp"), p.fixed_cost_gbp);
        let mut seen = HashSet::new();
        for (j, svc) in p.services.iter().enumerate() {
            let sat = at.key("services").index(j);
            match line_names.iter().position(|n| *n == svc.line) {
                Some(l) => {
                    offered[l] = true;
                    if !seen.insert(l) {
                        c.push(sat.key("line"), format!("provider `{}` offers `{}` twice", p.name, svc.line), None);
                    }
                }
                None => c.push(
                    sat.key("line"),
                    format!("no service line named `{}`", svc.line),
                    Some(match suggest(&svc.line, line_names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("service lines are: {}", line_names.join(", ")),
                    }),
                ),
            }
            for (name, r) in [("outpatient", &svc.outpatient), ("admission", &svc.admission)] {
                c.count(sat.key(name).key("servers"), r.servers as u64, 0, 1_000_000);
                c.dist(sat.key(name).key("service_days"), &r.service_days);
            }
            let mc = sat.key("marginal_cost_gbp");
            c.gbp(mc.key("first_outpatient"), svc.marginal_cost_gbp.first_outpatient);
            c.gbp(mc.key("follow_up"), svc.marginal_cost_gbp.follow_up);
            c.gbp(mc.key("elective_spell"), svc.marginal_cost_gbp.elective_spell);
            let iw = sat.key("initial_waiting");
            c.count(iw.key("outpatient"), svc.initial_waiting.outpatient as u64, 0, 10_000_000);
            c.count(iw.key("admission"), svc.initial_waiting.admission as u64, 0, 10_000_000);
            c.range(iw.key("spread_days"), svc.initial_waiting.spread_days, 0.0, 36_525.0, "days in [0, 36525]");
        }
    }
    for (i, p) in s.providers.iter().enumerate() {
        let at = provs.index(i);
        let q = at.key("quality");
        c.range(q.key("readmission_pct"), p.quality.readmission_pct, 0.0, 100.0, "a percentage in [0, 100]");
        c.range(q.key("mortality_pct"), p.quality.mortality_pct, 0.0, 100.0, "a percentage in [0, 100]");
        c.range(q.key("health_gain"), p.quality.health_gain, -1000.0, 1000.0, "points in [-1000, 1000]");
        c.gbp(at.key("block_annual_gbp"), p.block_annual_gbp);
        c.range(at.key("price_factor"), p.price_factor, 0.0, 2.0, "a price factor in [0, 2]");
        if p.payment == PaymentSpec::Pbr && p.block_annual_gbp != 0.0 {
            c.push(
                at.key("block_annual_gbp"),
                "a block payment is set but the provider is paid by results".into(),
                Some("set payment = \"block\", or remove block_annual_gbp".into()),
            );
        }
        if let Some(line) = &p.emergency_line {
            let offered_here: Vec<&str> = p.services.iter().map(|s| s.line.as_str()).collect();
            if !offered_here.contains(&line.as_str()) {
                c.push(
                    at.key("emergency_line"),
                    format!("provider `{}` does not offer `{line}`", p.name),
                    match suggest(line, offered_here.iter().copied()) {
                        Some(s) => Some(format!("did you mean `{s}`?")),
                        None => Some(format!("it offers: {}", offered_here.join(", "))),
                    },
                );
            }
        }
        if let Some(r) = &p.capacity_response {
            let cr = at.key("capacity_response");
            c.count(cr.key("review_days"), r.review_days as u64, 1, 3650);
            c.range(
                cr.key("add_when_wait_above_days"),
                r.add_when_wait_above_days,
                0.0,
                36_525.0,
                "days in [0, 36525]",
            );
            c.range(
                cr.key("remove_when_wait_below_days"),
                r.remove_when_wait_below_days,
                0.0,
                36_525.0,
                "days in [0, 36525]",
            );
            if r.remove_when_wait_below_days >= r.add_when_wait_above_days {
                c.push(
                    cr.key("remove_when_wait_below_days"),
                    format!(
                        "must be below add_when_wait_above_days ({} >= {}), or capacity would oscillate",
                        r.remove_when_wait_below_days, r.add_when_wait_above_days
                    ),
                    None,
                );
            }
            c.range(cr.key("max_servers_factor"), r.max_servers_factor, 1.0, 100.0, "a factor in [1, 100]");
            c.range(cr.key("min_servers_factor"), r.min_servers_factor, 0.0, 1.0, "a factor in [0, 1]");
            c.gbp(cr.key("fixed_cost_per_server_gbp"), r.fixed_cost_per_server_gbp);
        }
        if let Some(e) = &p.exit {
            let ex = at.key("exit");
            if matches!(p.kind, ProviderKindSpec::NhsTrust | ProviderKindSpec::FoundationTrust) {
                c.push(
                    ex.clone(),
                    format!("provider `{}` is an NHS trust: NHS trusts do not exit, they report their deficit", p.name),
                    Some(
                        "remove [providers.exit], or make the provider an istc, social_enterprise or community_ft"
                            .into(),
                    ),
                );
            }
            if e.cumulative_deficit_gbp.is_none() && e.loss_years.is_none() {
                c.push(ex.clone(), "expected cumulative_deficit_gbp, loss_years or both".into(), None);
            }
            if let Some(d) = e.cumulative_deficit_gbp {
                c.gbp(ex.key("cumulative_deficit_gbp"), d);
            }
            if let Some(n) = e.loss_years {
                c.count(ex.key("loss_years"), n as u64, 1, 100);
            }
        }
    }

    for (i, p) in s.providers.iter().enumerate() {
        check_entry_and_levers(&mut c, s, &provs.index(i), p, &line_names);
    }
    if let Some(v) = &s.voice {
        let at = root.key("voice");
        c.range(at.key("wait_threshold_days"), v.wait_threshold_days, 0.0, 36_525.0, "days in [0, 36525]");
        c.range(at.key("distance_threshold_km"), v.distance_threshold_km, 0.0, 1e5, "km in [0, 1e5]");
        c.probability(at.key("sign_probability"), v.sign_probability);
        c.probability(at.key("population_share"), v.population_share);
        c.probability(at.key("users_share"), v.users_share);
        c.count(at.key("signatures"), v.signatures, 1, 1_000_000_000);
        c.range(at.key("window_days"), v.window_days, 1.0, 36_525.0, "days in [1, 36525]");
        c.range(at.key("review_days"), v.review_days, 0.0, 3650.0, "days in [0, 3650]");
        c.probability(at.key("standard_share"), v.standard_share);
        c.range(at.key("procurement_days"), v.procurement_days, 0.0, 3650.0, "days in [0, 3650]");
        if let Some(l) = &v.links {
            c.range(at.key("links").key("reach_factor"), l.reach_factor, 0.0, 100.0, "a factor in [0, 100]");
            c.range(at.key("links").key("review_days"), l.review_days, 0.0, 3650.0, "days in [0, 3650]");
        }
    }

    let ch = root.key("choice");
    c.probability(ch.key("offered_share"), s.choice.offered_share);
    let u = ch.key("utility");
    let coefficients = [
        ("distance_per_km", s.choice.utility.distance_per_km),
        ("distance_sq_per_km2", s.choice.utility.distance_sq_per_km2),
        ("wait_per_day", s.choice.utility.wait_per_day),
        ("readmission_per_pct", s.choice.utility.readmission_per_pct),
        ("mortality_per_pct", s.choice.utility.mortality_per_pct),
        ("health_gain_per_point", s.choice.utility.health_gain_per_point),
        ("gp_recommendation", s.choice.utility.gp_recommendation),
    ];
    for (k, x) in coefficients {
        c.range(u.key(k), x, -100.0, 100.0, "a utility coefficient in [-100, 100]");
    }
    let kc = &s.choice.utility.kind;
    for (k, x) in [
        ("nhs_trust", kc.nhs_trust),
        ("foundation_trust", kc.foundation_trust),
        ("istc", kc.istc),
        ("community_ft", kc.community_ft),
        ("social_enterprise", kc.social_enterprise),
    ] {
        c.range(u.key("kind").key(k), x, -100.0, 100.0, "a utility constant in [-100, 100]");
    }
    let pw = &s.choice.published_wait;
    let pwp = ch.key("published_wait");
    c.count(pwp.key("update_days"), pw.update_days as u64, 1, 365);
    c.count(pwp.key("window_days"), pw.window_days as u64, 1, 3650);
    c.count(pwp.key("lag_days"), pw.lag_days as u64, 0, 3650);
    for (k, x) in [("window_days", pw.window_days), ("lag_days", pw.lag_days)] {
        if pw.update_days > 0 && x % pw.update_days != 0 {
            c.push(pwp.key(k), format!("expected a multiple of update_days ({}), got {x}", pw.update_days), None);
        }
    }

    if let Some(e) = &s.emergency {
        let em = root.key("emergency");
        c.range(
            em.key("admissions_per_1000"),
            e.admissions_per_1000,
            0.0,
            1e5,
            "admissions per 1,000 per year in [0, 1e5]",
        );
        c.gbp(em.key("tariff_gbp"), e.tariff_gbp);
        c.gbp(em.key("marginal_cost_gbp"), e.marginal_cost_gbp);
        c.dist(em.key("displacement_days"), &e.displacement_days);
        if let Some(m) = &e.marginal_rate {
            c.probability(em.key("marginal_rate").key("rate"), m.rate);
            c.range(
                em.key("marginal_rate").key("baseline_factor"),
                m.baseline_factor,
                0.0,
                100.0,
                "a factor in [0, 100]",
            );
        }
        if e.admissions_per_1000 > 0.0 && s.providers.iter().all(|p| p.emergency_line.is_none()) {
            c.push(
                em.key("admissions_per_1000"),
                "emergency admissions arise but no provider takes them".into(),
                Some("set emergency_line on at least one acute provider".into()),
            );
        }
    }

    if let Some(b) = &s.pbc {
        let at = root.key("pbc");
        for (k, x) in [
            ("capitation_share", b.capitation_share),
            ("retention", b.retention),
            ("engaged_share", b.engaged_share),
            ("disengaged_engagement", b.disengaged_engagement),
            ("informed_share", b.informed_share),
            ("aim_informed", b.aim_informed),
            ("aim_uninformed", b.aim_uninformed),
            ("trust_loss", b.trust_loss),
            ("trust_recovery", b.trust_recovery),
            ("return_emergency_share", b.return_emergency_share),
        ] {
            c.probability(at.key(k), x);
        }
        let ts = at.key("top_slice");
        for (k, x) in [
            ("efficiency", b.top_slice.efficiency),
            ("contingency", b.top_slice.contingency),
            ("deficit_recovery", b.top_slice.deficit_recovery),
        ] {
            c.probability(ts.key(k), x);
        }
        let total = b.top_slice.efficiency + b.top_slice.contingency + b.top_slice.deficit_recovery;
        if total >= 1.0 {
            c.push(ts.clone(), format!("top-slices take {total} of the budget; they must leave something"), None);
        }
        c.count(at.key("overspend_carry_years"), b.overspend_carry_years as u64, 0, 100);
        c.count(at.key("information_delay_months"), b.information_delay_months as u64, 0, 24);
        c.range(at.key("noise_informed"), b.noise_informed, 0.0, 10.0, "a relative sd in [0, 10]");
        c.range(at.key("noise_uninformed"), b.noise_uninformed, 0.0, 10.0, "a relative sd in [0, 10]");
        let ef = at.key("effort");
        c.range(ef.key("base"), b.effort.base, 0.0, 1.0, "an effort in [0, 1]");
        c.range(ef.key("per_retention"), b.effort.per_retention, -10.0, 10.0, "a slope in [-10, 10]");
        c.range(ef.key("per_overspend"), b.effort.per_overspend, -10.0, 10.0, "a slope in [-10, 10]");
        c.range(ef.key("max"), b.effort.max, 0.0, 1.0, "an effort in [0, 1]");
        c.gbp(at.key("primary_care_cost_gbp"), b.primary_care_cost_gbp);
        c.gbp(at.key("community_server_cost_gbp"), b.community_server_cost_gbp);
        if b.community_server_cost_gbp <= 0.0 {
            c.push(at.key("community_server_cost_gbp"), "expected a cost above zero".into(), None);
        }
        c.dist(at.key("return_delay_days"), &b.return_delay_days);
        if let Some(name) = &b.community_provider {
            let names: Vec<&str> = s.providers.iter().map(|p| p.name.as_str()).collect();
            if !names.contains(&name.as_str()) {
                c.push(
                    at.key("community_provider"),
                    format!("no provider named `{name}`"),
                    suggest(name, names.iter().copied()).map(|s| format!("did you mean `{s}`?")),
                );
            }
        }
    }

    calibration(&mut c, s, &root);

    for (l, line) in s.service_lines.iter().enumerate() {
        let open_at_start =
            s.providers.iter().any(|p| p.entry.is_none() && p.services.iter().any(|x| x.line == line.name));
        if offered[l] && !open_at_start && line.incidence_per_1000 > 0.0 && line.referral_probability > 0.0 {
            c.push(
                lines.index(l).key("name"),
                format!("practices refer on `{}` but only providers that enter later offer it", line.name),
                Some(
                    "give a provider that is open from the start a [[providers.services]] entry with this line".into(),
                ),
            );
        }
        if !offered[l] && line.incidence_per_1000 > 0.0 && line.referral_probability > 0.0 {
            c.push(
                lines.index(l).key("name"),
                format!("practices refer on `{}` but no provider offers it", line.name),
                Some("add a [[providers.services]] entry with this line, or set referral_probability = 0".into()),
            );
        }
    }
    c.problems
}

/// Calibration targets: names unique, metrics that exist, years in the horizon, one
/// well-formed acceptance range each.
fn calibration(c: &mut Checker, s: &Scenario, root: &KeyPath) {
    let at = root.key("calibration");
    c.unique(&at, s.calibration.iter().map(|t| t.name.as_str()), "calibration target");
    let metrics: Vec<&str> = crate::experiment::metrics::SYSTEM.iter().map(|m| m.name).collect();
    // The labels the run will report (a horizon that does not start on 1 April has a
    // part year at each end); an impossible horizon is reported under `simulation`.
    let calendar = crate::model::Calendar::new(s.simulation.start.0, s.simulation.warm_up_days, s.simulation.years);
    let years: Vec<String> = calendar
        .iter()
        .flat_map(|c| c.years.iter().map(|y| y.label.clone()))
        .chain(std::iter::once(crate::experiment::ALL_YEARS.to_string()))
        .collect();
    for (i, t) in s.calibration.iter().enumerate() {
        let here = at.index(i);
        if !metrics.contains(&t.metric.as_str()) {
            c.push(
                here.key("metric"),
                format!("no system metric named `{}` (docs/outputs.md lists them)", t.metric),
                suggest(&t.metric, metrics.iter().copied()).map(|m| format!("did you mean `{m}`?")),
            );
        }
        if !years.contains(&t.year) {
            c.push(
                here.key("year"),
                format!("`{}` is not a year of the horizon; expected one of {}", t.year, years.join(", ")),
                suggest(&t.year, years.iter().map(String::as_str)).map(|y| format!("did you mean `{y}`?")),
            );
        }
        match (t.low, t.high, t.value, t.tolerance) {
            (Some(lo), Some(hi), None, None) => {
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    c.push(
                        here.key("high"),
                        format!("expected finite bounds with low <= high, got [{lo}, {hi}]"),
                        None,
                    );
                }
            }
            (None, None, Some(v), Some(tol)) => {
                if !(v.is_finite() && tol.is_finite() && tol >= 0.0) {
                    c.push(
                        here.key("tolerance"),
                        format!("expected a finite value and a tolerance >= 0, got {v} ± {tol}"),
                        None,
                    );
                }
            }
            _ => c.push(
                here.clone(),
                "expected an acceptance range: either `low` and `high`, or `value` and `tolerance`".into(),
                None,
            ),
        }
        if t.source.trim().is_empty() {
            c.push(here.key("source"), "expected a source: where the figure comes from".into(), None);
        }
    }
}

/// A provider's entry and its contract levers.
fn check_entry_and_levers(c: &mut Checker, s: &Scenario, at: &KeyPath, p: &ProviderSpec, line_names: &[&str]) {
    let start = s.simulation.start.0;
    let first = start.to_days() - s.simulation.warm_up_days as i64;
    let end = crate::model::Date::new(start.year.saturating_add(s.simulation.years as i32), start.month, start.day)
        .map_or(i64::MAX, |d| d.to_days());
    let date = |c: &mut Checker, path: KeyPath, d: &Option<IsoDate>| {
        if let Some(d) = d {
            let days = d.0.to_days();
            if days < first || days > end {
                c.push(path, format!("expected a date inside the simulated horizon, got {}", d.0), None);
            }
        }
    };
    if let Some(e) = &p.entry {
        let en = at.key("entry");
        match (&e.date, &e.tender) {
            (Some(_), Some(_)) | (None, None) => {
                c.push(en.clone(), "expected exactly one of `date` and `tender`".into(), None)
            }
            (Some(d), None) => {
                date(c, en.key("date"), &Some(*d));
                if d.0.to_days() <= first {
                    c.push(en.key("date"), "an entry date must be after the clock starts".into(), None);
                }
            }
            (None, Some(line)) => {
                if !p.services.iter().any(|x| &x.line == line) {
                    c.push(
                        en.key("tender"),
                        format!("provider `{}` does not offer `{line}`", p.name),
                        suggest(line, line_names.iter().copied()).map(|s| format!("did you mean `{s}`?")),
                    );
                }
                if s.voice.is_none() {
                    c.push(
                        en.key("tender"),
                        "tenders follow reviews, which follow petitions, but there is no [voice] table".into(),
                        Some("add a [voice] table, or give the provider an entry date".into()),
                    );
                }
            }
        }
        if s.pbc.as_ref().and_then(|b| b.community_provider.as_ref()) == Some(&p.name) {
            c.push(en.clone(), "the PBC community provider must be in the market from the start".into(), None);
        }
        for (j, svc) in p.services.iter().enumerate() {
            if svc.initial_waiting.outpatient > 0 || svc.initial_waiting.admission > 0 {
                c.push(
                    at.key("services").index(j).key("initial_waiting"),
                    "a provider that enters later has nobody waiting when the clock starts".into(),
                    Some("remove initial_waiting".into()),
                );
            }
        }
    }
    let lv = at.key("levers");
    let window =
        |c: &mut Checker, path: &KeyPath, start: &Option<IsoDate>, end: &Option<IsoDate>, years: Option<u32>| {
            date(c, path.key("start"), start);
            date(c, path.key("end"), end);
            if let (Some(a), Some(b)) = (start, end) {
                if b.0 <= a.0 {
                    c.push(path.key("end"), format!("expected an end after the start ({})", a.0), None);
                }
            }
            if let Some(y) = years {
                c.count(path.key("years"), y as u64, 1, 100);
            }
        };
    let pbr = p.payment == PaymentSpec::Pbr;
    let needs_pbr = |c: &mut Checker, path: KeyPath| {
        if !pbr {
            c.push(
                path,
                "this lever works on Payment by Results income; the provider is on a block contract".into(),
                None,
            );
        }
    };
    if let Some(x) = &p.levers.supplement {
        let path = lv.key("supplement");
        c.range(path.key("rate"), x.rate, 0.0, 10.0, "a supplement as a share of tariff in [0, 10]");
        if let Some(cap) = x.cap_gbp {
            c.gbp(path.key("cap_gbp"), cap);
        }
        window(c, &path, &x.start, &x.end, x.years);
        needs_pbr(c, path);
    }
    if let Some(g) = &p.levers.guarantee {
        let path = lv.key("guarantee");
        match (g.floor_gbp, g.volumes.is_empty()) {
            (Some(f), true) => c.gbp(path.key("floor_gbp"), f),
            (None, false) => {}
            _ => c.push(path.clone(), "expected exactly one of `floor_gbp` and `volumes`".into(), None),
        }
        let offered: Vec<&str> = p.services.iter().map(|x| x.line.as_str()).collect();
        let mut seen = HashSet::new();
        for (k, v) in g.volumes.iter().enumerate() {
            let vp = path.key("volumes").index(k);
            if !offered.contains(&v.line.as_str()) {
                c.push(
                    vp.key("line"),
                    format!("provider `{}` does not offer `{}`", p.name, v.line),
                    suggest(&v.line, offered.iter().copied()).map(|s| format!("did you mean `{s}`?")),
                );
            } else if !seen.insert(v.line.as_str()) {
                c.push(vp.key("line"), format!("`{}` is guaranteed twice", v.line), None);
            }
            for (key, n) in [
                ("first_outpatient", v.first_outpatient),
                ("follow_up", v.follow_up),
                ("elective_spell", v.elective_spell),
            ] {
                c.count(vp.key(key), n, 0, 100_000_000);
            }
        }
        c.range(path.key("premium"), g.premium, 0.0, 10.0, "a premium as a share of tariff in [0, 10]");
        window(c, &path, &g.start, &g.end, g.years);
        needs_pbr(c, path);
    }
    if let Some(x) = &p.levers.capital {
        let path = lv.key("capital");
        c.gbp(path.key("fixed_cost_relief_gbp"), x.fixed_cost_relief_gbp);
        c.gbp(path.key("annual_charge_gbp"), x.annual_charge_gbp);
        window(c, &path, &x.start, &x.end, x.years);
    }
    if let Some(x) = &p.levers.assurance {
        let path = lv.key("assurance");
        c.gbp(path.key("fixed_cost_relief_gbp"), x.fixed_cost_relief_gbp);
        c.count(path.key("assured_spells"), x.assured_spells, 0, 100_000_000);
        c.gbp(path.key("per_spell_gbp"), x.per_spell_gbp);
        window(c, &path, &x.start, &x.end, x.years);
    }
}
