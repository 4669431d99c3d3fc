//! The named metrics pbrsim reports, each defined once here next to its unit and the
//! formula that computes it from a [`YearRecord`]. `docs/outputs.md` documents the
//! same list, and a test checks that every name here appears there.
//!
//! Rates per 1,000 are per year: a part year is scaled by its share of the financial
//! year. Shares are in [0, 1]. Money is reported in pounds (`_gbp`) to the penny,
//! except `ledger_imbalance_pence`.

use crate::engine::Histogram;
use crate::model::record::RTT_STANDARD_DAYS;
use crate::model::{Pence, ProviderYear, YearRecord};

/// A metric's name, unit, one-line meaning and formula `F`.
pub struct Metric<F> {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    pub value: F,
}

/// Formula of a system metric.
pub type SystemFn = fn(&YearRecord) -> f64;
/// Formula of a provider or practice metric: the year and the entity's index.
pub type EntityFn = fn(&YearRecord, usize) -> f64;

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 { f64::NAN } else { num as f64 / den as f64 }
}

fn per_1000_per_year(count: u64, population: u64, years: f64) -> f64 {
    if population == 0 || years <= 0.0 { f64::NAN } else { count as f64 * 1000.0 / population as f64 / years }
}

fn gbp(p: Pence) -> f64 {
    p.gbp()
}

fn pct_spend(r: &YearRecord) -> Pence {
    Pence(
        r.tariff_paid
            .0
            .saturating_add(r.block_paid.0)
            .saturating_add(r.emergency_paid.0)
            .saturating_add(r.unmodelled_pbr_paid.0)
            .saturating_add(r.pbc_retained.0)
            .saturating_add(r.primary_care_paid.0)
            .saturating_add(providers_sum(r, ProviderYear::levers_paid).0),
    )
}

fn provider_income(p: &ProviderYear) -> Pence {
    p.income()
}

/// A money field summed over providers.
fn providers_sum(r: &YearRecord, f: fn(&ProviderYear) -> Pence) -> Pence {
    Pence(r.providers.iter().fold(0i64, |a, p| a.saturating_add(f(p).0)))
}

fn gbp_ratio(num: Pence, den: Pence) -> f64 {
    if den.0 == 0 { f64::NAN } else { num.0 as f64 / den.0 as f64 }
}

/// Money per case, in pounds; NaN with no cases.
fn per_case(money: Pence, cases: u64) -> f64 {
    if cases == 0 { f64::NAN } else { money.gbp() / cases as f64 }
}

/// What the PCT paid a provider (tariff, block, emergency, levers) and for its
/// facility (the capital charge).
fn pct_paid_to(p: &ProviderYear) -> Pence {
    Pence(p.income().0.saturating_sub(p.reinvestment_income.0).saturating_add(p.capital_charge.0))
}

fn retained_per_head(r: &YearRecord) -> Vec<f64> {
    r.practices.iter().filter(|p| p.list_size > 0).map(|p| p.retained.gbp() / p.list_size as f64).collect()
}

fn all_waits(r: &YearRecord) -> Histogram {
    let mut h = r.rtt_admitted.clone();
    h.merge(&r.rtt_non_admitted);
    h
}

fn q(h: &Histogram, p: f64) -> f64 {
    h.quantile(p).unwrap_or(f64::NAN)
}

fn within(h: &Histogram) -> f64 {
    ratio(h.count_below(RTT_STANDARD_DAYS), h.count())
}

macro_rules! m {
    ($name:literal, $unit:literal, $desc:literal, $f:expr) => {
        Metric { name: $name, unit: $unit, description: $desc, value: $f }
    };
}

/// System-level metrics, in output order.
pub const SYSTEM: &[Metric<SystemFn>] = &[
    m!("registered_population", "people", "Patients registered with the PCT's practices (end of year).", |r| r
        .registered_population
        as f64),
    m!("episodes", "count", "Episodes needing a GP's decision (condition arises).", |r| r.episodes as f64),
    m!("treated_in_primary_care", "count", "Episodes the GP kept in primary care.", |r| r.primary_care as f64),
    m!("referrals", "count", "GP referrals to hospital.", |r| r.referrals as f64),
    m!("referrals_per_1000", "per_1000_per_year", "GP referrals per 1,000 registered patients per year.", |r| {
        per_1000_per_year(r.referrals, r.registered_population, r.year_fraction)
    }),
    m!("first_outpatient_attendances", "count", "Completed first outpatient attendances.", |r| r.first_attendances
        as f64),
    m!("follow_up_attendances", "count", "Completed follow-up outpatient attendances.", |r| r.follow_ups as f64),
    m!("follow_up_ratio", "ratio", "Follow-up attendances per first attendance.", |r| ratio(
        r.follow_ups,
        r.first_attendances
    )),
    m!("discharged_after_first_share", "share", "Share of first attendances discharged after that visit.", |r| ratio(
        r.discharged_after_first,
        r.first_attendances
    )),
    m!("decisions_to_admit", "count", "First attendances ending in a decision to admit.", |r| r.decisions_to_admit
        as f64),
    m!("conversion_rate", "share", "Decisions to admit per first attendance.", |r| ratio(
        r.decisions_to_admit,
        r.first_attendances
    )),
    m!("elective_admissions", "count", "Completed elective spells.", |r| r.admissions as f64),
    m!(
        "elective_admissions_per_1000",
        "per_1000_per_year",
        "Elective spells per 1,000 registered patients per year.",
        |r| per_1000_per_year(r.admissions, r.registered_population, r.year_fraction)
    ),
    m!("rtt_clock_stops", "count", "Referral-to-treatment clocks stopped (admitted and non-admitted).", |r| (r
        .rtt_admitted
        .count()
        + r.rtt_non_admitted.count())
        as f64),
    m!("rtt_wait_mean_days", "days", "Mean RTT wait of clock stops in the year.", |r| all_waits(r)
        .mean()
        .unwrap_or(f64::NAN)),
    m!("rtt_wait_p50_days", "days", "Median RTT wait of clock stops in the year.", |r| q(&all_waits(r), 0.5)),
    m!("rtt_wait_p90_days", "days", "90th percentile RTT wait of clock stops in the year.", |r| q(&all_waits(r), 0.9)),
    m!("rtt_within_18_weeks_share", "share", "Share of clock stops within 18 weeks (126 days).", |r| within(
        &all_waits(r)
    )),
    m!("admitted_rtt_wait_mean_days", "days", "Mean RTT wait of admitted clock stops.", |r| r
        .rtt_admitted
        .mean()
        .unwrap_or(f64::NAN)),
    m!("admitted_rtt_wait_p50_days", "days", "Median RTT wait of admitted clock stops.", |r| q(&r.rtt_admitted, 0.5)),
    m!("admitted_rtt_wait_p90_days", "days", "90th percentile RTT wait of admitted clock stops.", |r| q(
        &r.rtt_admitted,
        0.9
    )),
    m!("admitted_rtt_within_18_weeks_share", "share", "Share of admitted clock stops within 18 weeks.", |r| within(
        &r.rtt_admitted
    )),
    m!("non_admitted_rtt_wait_mean_days", "days", "Mean RTT wait of non-admitted clock stops.", |r| {
        r.rtt_non_admitted.mean().unwrap_or(f64::NAN)
    }),
    m!("non_admitted_rtt_wait_p50_days", "days", "Median RTT wait of non-admitted clock stops.", |r| {
        q(&r.rtt_non_admitted, 0.5)
    }),
    m!("non_admitted_rtt_wait_p90_days", "days", "90th percentile RTT wait of non-admitted clock stops.", |r| {
        q(&r.rtt_non_admitted, 0.9)
    }),
    m!("non_admitted_rtt_within_18_weeks_share", "share", "Share of non-admitted clock stops within 18 weeks.", |r| {
        within(&r.rtt_non_admitted)
    }),
    m!("waiting_list_end", "people", "Patients waiting (first attendance or admission) at year end.", |r| (r
        .waiting_first_end
        + r.waiting_admission_end)
        as f64),
    m!("waiting_first_outpatient_end", "people", "Patients waiting for a first attendance at year end.", |r| r
        .waiting_first_end
        as f64),
    m!("waiting_admission_end", "people", "Patients waiting for admission at year end.", |r| r.waiting_admission_end
        as f64),
    m!("offered_choice_share", "share", "Share of referrals offered a choice of provider.", |r| ratio(
        r.offered_choice,
        r.referrals
    )),
    m!("chose_nearest_share", "share", "Share of referrals treated at the nearest provider offering the line.", |r| {
        ratio(r.chose_nearest, r.referrals)
    }),
    m!(
        "offered_chose_nearest_share",
        "share",
        "Of referrals offered a choice, the share who chose the nearest provider.",
        |r| { ratio(r.offered_chose_nearest, r.offered_choice) }
    ),
    m!("bypass_share", "share", "Share of referrals bypassing the nearest provider.", |r| ratio(
        r.referrals.saturating_sub(r.chose_nearest),
        r.referrals
    )),
    m!("mean_travel_km", "km", "Mean straight-line distance from practice to the provider referred to.", |r| {
        if r.referrals == 0 { f64::NAN } else { r.travel_km_sum / r.referrals as f64 }
    }),
    m!("emergency_admissions", "count", "Completed emergency (non-elective) spells.", |r| r.emergency_admissions
        as f64),
    m!(
        "emergency_admissions_per_1000",
        "per_1000_per_year",
        "Emergency spells per 1,000 registered patients per year.",
        |r| { per_1000_per_year(r.emergency_admissions, r.registered_population, r.year_fraction) }
    ),
    m!("pct_allocation_gbp", "gbp", "Capitation allocation received by the PCT.", |r| gbp(r.allocation)),
    m!(
        "pct_spend_gbp",
        "gbp",
        "Everything the PCT paid out: tariff, block contracts, emergency spells, unmodelled PbR.",
        |r| gbp(pct_spend(r))
    ),
    m!("tariff_paid_gbp", "gbp", "Payment by Results tariff paid for elective activity (tariff × MFF).", |r| gbp(
        r.tariff_paid
    )),
    m!("block_paid_gbp", "gbp", "Block-contract payments.", |r| gbp(r.block_paid)),
    m!("emergency_paid_gbp", "gbp", "Paid for emergency spells, after the marginal rate rule.", |r| gbp(
        r.emergency_paid
    )),
    m!(
        "unmodelled_pbr_paid_gbp",
        "gbp",
        "Paid for PbR activity the model does not simulate (pct.unmodelled_pbr_per_head_gbp).",
        |r| gbp(r.unmodelled_pbr_paid)
    ),
    m!("marginal_rate_reduction_gbp", "gbp", "What the emergency marginal rate rule saved against full tariff.", |r| {
        gbp(r.marginal_rate_reduction)
    }),
    m!("activity_value_gbp", "gbp", "Elective activity valued at PbR prices, whatever the contract.", |r| gbp(
        r.activity_value
    )),
    m!(
        "capacity_changes",
        "count",
        "Servers added or removed by providers' capacity responses.",
        |r| r.capacity_changes as f64
    ),
    m!("provider_exits", "count", "Providers that left the market.", |r| r.exits as f64),
    m!("provider_entries", "count", "Providers that entered the market (scheduled or after a tender).", |r| r.entries
        as f64),
    m!("supplement_paid_gbp", "gbp", "Tariff supplements paid to providers (a lever).", |r| gbp(providers_sum(
        r,
        |p| p.supplement_income
    ))),
    m!("mig_topup_gbp", "gbp", "Minimum income guarantee top-ups paid to providers.", |r| gbp(
        providers_sum(r, |p| p.mig_topup)
    )),
    m!(
        "undelivered_activity_paid_gbp",
        "gbp",
        "Top-ups under take-or-pay guarantees: guaranteed activity paid for but not done.",
        |r| gbp(providers_sum(r, |p| p.undelivered_paid))
    ),
    m!(
        "contract_utilisation",
        "share",
        "Income counted against guarantees over the guaranteed floor (utilisation by value).",
        |r| gbp_ratio(providers_sum(r, |p| p.guarantee_income), providers_sum(r, |p| p.guarantee_floor))
    ),
    m!("capital_charge_gbp", "gbp", "Capital charges the PCT paid for facilities it provides.", |r| gbp(
        providers_sum(r, |p| p.capital_charge)
    )),
    m!("assurance_paid_gbp", "gbp", "Paid under activity assurances for assured spells not delivered.", |r| gbp(
        providers_sum(r, |p| p.assurance_paid)
    )),
    m!(
        "assurance_exposure_gbp",
        "gbp",
        "The contingent liability of activity assurances: what no activity at all would have cost.",
        |r| gbp(providers_sum(r, |p| p.assurance_exposure))
    ),
    m!("fixed_cost_relief_gbp", "gbp", "Providers' fixed cost removed by capital support and assurance.", |r| gbp(
        providers_sum(r, |p| p.fixed_cost_relief)
    )),
    m!("levers_paid_gbp", "gbp", "All lever payments: supplements, top-ups, assurance and capital charges.", |r| gbp(
        providers_sum(r, ProviderYear::levers_paid)
    )),
    m!("petition_signatures", "count", "Signatures of dissatisfied patients that reached their PCT.", |r| r.signatures
        as f64),
    m!("petitions", "count", "Petitions that reached the trigger and obliged a review.", |r| r.petitions as f64),
    m!("service_reviews", "count", "Reviews of a service that reported.", |r| r.reviews as f64),
    m!("service_reviews_failed", "count", "Reviews that found the service below standard.", |r| r.reviews_failed
        as f64),
    m!("tenders", "count", "Services put out to tender after a failed review.", |r| r.tenders as f64),
    m!("pbc_budget_gbp", "gbp", "Practices' indicative budgets (after top-slices).", |r| gbp(r.pbc_budget)),
    m!("pbc_savings_gbp", "gbp", "Practices' positive savings (budget − spend) at year end.", |r| gbp(r.pbc_savings)),
    m!("pbc_retained_gbp", "gbp", "Freed-up resources paid to practices.", |r| gbp(r.pbc_retained)),
    m!("pbc_clawed_back_gbp", "gbp", "Savings practices would have kept but the deficit rule took.", |r| gbp(
        r.pbc_clawed_back
    )),
    m!("practices_paid_share", "share", "Share of practices paid freed-up resources at year end.", |r| ratio(
        r.practices_paid,
        r.practices.len() as u64
    )),
    m!("diverted_referrals", "count", "Referrals diverted by practices' demand management.", |r| r.diverted as f64),
    m!("diverted_to_community", "count", "Diverted referrals sent to the community service.", |r| r
        .diverted_to_community
        as f64),
    m!("inappropriate_diversions", "count", "Diverted referrals that were necessary (they come back).", |r| r
        .inappropriate_diversions
        as f64),
    m!("returned_as_emergency", "count", "Wrongly diverted referrals that came back as emergency admissions.", |r| r
        .returned_as_emergency
        as f64),
    m!("returned_as_referral", "count", "Wrongly diverted referrals that came back as referrals.", |r| r
        .returned_as_referral
        as f64),
    m!("primary_care_paid_gbp", "gbp", "Paid for diverted referrals treated in primary care.", |r| gbp(
        r.primary_care_paid
    )),
    m!("community_servers_added", "count", "Community servers bought with reinvested freed-up resources.", |r| r
        .community_servers_added
        as f64),
    m!(
        "retained_per_head_gini",
        "ratio",
        "Gini coefficient of freed-up resources per registered patient across practices.",
        |r| { crate::model::pbc::gini(&retained_per_head(r)) }
    ),
    m!(
        "retained_per_head_quintile_ratio",
        "ratio",
        "Top over bottom quintile of freed-up resources per head across practices.",
        |r| { crate::model::pbc::quintile_ratio(&retained_per_head(r)) }
    ),
    m!("pct_balance_end_gbp", "gbp", "The PCT's balance at year end, carried forward.", |r| gbp(r.pct_balance_end)),
    m!("pct_surplus_gbp", "gbp", "Allocation less spend in the year.", |r| {
        gbp(Pence(r.allocation.0.saturating_sub(pct_spend(r).0)))
    }),
    m!(
        "pbr_share_of_allocation",
        "share",
        "Tariff paid per case (elective and emergency) as a share of the allocation.",
        |r| {
            if r.allocation.0 == 0 {
                f64::NAN
            } else {
                (r.tariff_paid.0 as f64 + r.emergency_paid.0 as f64) / r.allocation.0 as f64
            }
        }
    ),
    m!(
        "pbr_total_share_of_allocation",
        "share",
        "All PbR spend (elective and emergency tariff, and unmodelled PbR activity) as a share of the allocation.",
        |r| {
            if r.allocation.0 == 0 {
                f64::NAN
            } else {
                (r.tariff_paid.0 as f64 + r.emergency_paid.0 as f64 + r.unmodelled_pbr_paid.0 as f64)
                    / r.allocation.0 as f64
            }
        }
    ),
    m!("ledger_imbalance_pence", "pence", "Sum of all ledger balances at year end; 0 when the books balance.", |r| r
        .ledger_imbalance_pence
        as f64),
    m!("events", "count", "Simulation events processed in the year.", |r| r.events as f64),
];

/// Per-provider metrics, in output order.
pub const PROVIDER: &[Metric<EntityFn>] = &[
    m!("referrals", "count", "Referrals received.", |y, i| y.providers[i].referrals as f64),
    m!("market_share", "share", "Share of all referrals in the year.", |y, i| ratio(
        y.providers[i].referrals,
        y.referrals
    )),
    m!(
        "first_outpatient_attendances",
        "count",
        "Completed first attendances.",
        |y, i| y.providers[i].first_attendances as f64
    ),
    m!("follow_up_attendances", "count", "Completed follow-up attendances.", |y, i| y.providers[i].follow_ups as f64),
    m!("elective_admissions", "count", "Completed elective spells.", |y, i| y.providers[i].admissions as f64),
    m!("emergency_admissions", "count", "Completed emergency spells.", |y, i| y.providers[i].emergency_admissions
        as f64),
    m!("income_gbp", "gbp", "All income: tariff, block contract and emergency spells.", |y, i| gbp(provider_income(
        &y.providers[i]
    ))),
    m!("tariff_income_gbp", "gbp", "Payment by Results income for elective activity.", |y, i| gbp(
        y.providers[i].tariff_income
    )),
    m!("block_income_gbp", "gbp", "Block-contract income.", |y, i| gbp(y.providers[i].block_income)),
    m!("emergency_income_gbp", "gbp", "Income for emergency spells.", |y, i| gbp(y.providers[i].emergency_income)),
    m!("reinvestment_income_gbp", "gbp", "Practices' freed-up resources reinvested in it.", |y, i| gbp(
        y.providers[i].reinvestment_income
    )),
    m!(
        "fixed_cost_gbp",
        "gbp",
        "Fixed cost for the year (monthly instalments).",
        |y, i| gbp(y.providers[i].fixed_cost)
    ),
    m!("marginal_cost_gbp", "gbp", "Marginal cost of the activity done.", |y, i| gbp(y.providers[i].marginal_cost)),
    m!("cost_gbp", "gbp", "Fixed plus marginal cost.", |y, i| {
        let p = &y.providers[i];
        gbp(Pence(p.fixed_cost.0.saturating_add(p.marginal_cost.0)))
    }),
    m!("surplus_gbp", "gbp", "Income less cost.", |y, i| {
        let p = &y.providers[i];
        gbp(Pence(provider_income(p).0.saturating_sub(p.fixed_cost.0).saturating_sub(p.marginal_cost.0)))
    }),
    m!("cumulative_surplus_gbp", "gbp", "Income less cost since the books opened, at year end.", |y, i| gbp(y
        .providers[i]
        .cumulative_surplus)),
    m!("servers_end", "count", "Servers across its lists at year end.", |y, i| y.providers[i].servers_end as f64),
    m!("open_end", "flag", "1 if the provider is in the market at year end, 0 if it has exited.", |y, i| {
        if y.providers[i].open_end { 1.0 } else { 0.0 }
    }),
    m!(
        "utilisation",
        "share",
        "Busy server-days over available server-days, outpatient and admission lists together.",
        |y, i| {
            let p = &y.providers[i];
            if p.server_days > 0.0 { p.busy_server_days / p.server_days } else { f64::NAN }
        }
    ),
    m!("waiting_list_end", "people", "Patients on its lists at year end.", |y, i| y.providers[i].waiting_end as f64),
    m!("rtt_wait_mean_days", "days", "Mean RTT wait of its clock stops.", |y, i| {
        let p = &y.providers[i];
        if p.rtt_stops == 0 { f64::NAN } else { p.rtt_sum_days / p.rtt_stops as f64 }
    }),
    m!("rtt_within_18_weeks_share", "share", "Share of its clock stops within 18 weeks.", |y, i| {
        let p = &y.providers[i];
        ratio(p.rtt_within_standard, p.rtt_stops)
    }),
    m!("supplement_income_gbp", "gbp", "Tariff supplements received.", |y, i| gbp(y.providers[i].supplement_income)),
    m!("mig_topup_gbp", "gbp", "Minimum income guarantee top-ups received.", |y, i| gbp(y.providers[i].mig_topup)),
    m!(
        "undelivered_activity_paid_gbp",
        "gbp",
        "Top-ups under a take-or-pay guarantee: guaranteed activity paid for but not done.",
        |y, i| gbp(y.providers[i].undelivered_paid)
    ),
    m!("guaranteed_income_gbp", "gbp", "The guarantee's floor over the periods reconciled.", |y, i| gbp(y.providers
        [i]
        .guarantee_floor)),
    m!("contract_utilisation", "share", "Income counted against the guarantee over its floor (by value).", |y, i| {
        gbp_ratio(y.providers[i].guarantee_income, y.providers[i].guarantee_floor)
    }),
    m!("capital_charge_gbp", "gbp", "Capital charge the PCT paid for the facility it provides.", |y, i| gbp(y
        .providers[i]
        .capital_charge)),
    m!("fixed_cost_relief_gbp", "gbp", "Fixed cost removed by capital support and assurance.", |y, i| gbp(y.providers
        [i]
        .fixed_cost_relief)),
    m!("assurance_paid_gbp", "gbp", "Paid by the PCT for assured spells not delivered.", |y, i| gbp(
        y.providers[i].assurance_paid
    )),
    m!("assurance_exposure_gbp", "gbp", "The assurance's contingent liability (no activity at all).", |y, i| gbp(y
        .providers[i]
        .assurance_exposure)),
    m!("levers_paid_gbp", "gbp", "Supplements, top-ups, assurance and capital charge for this provider.", |y, i| {
        gbp(y.providers[i].levers_paid())
    }),
    m!(
        "levers_paid_per_referral_gbp",
        "gbp_per_case",
        "Lever payments per referral it received: the extra cost per case moved to it.",
        |y, i| per_case(y.providers[i].levers_paid(), y.providers[i].referrals)
    ),
    m!(
        "pct_paid_per_referral_gbp",
        "gbp_per_case",
        "Everything the PCT paid it (and for its facility) per referral it received.",
        |y, i| per_case(pct_paid_to(&y.providers[i]), y.providers[i].referrals)
    ),
];

/// Per-practice metrics, in output order.
pub const PRACTICE: &[Metric<EntityFn>] = &[
    m!("list_size", "people", "Registered patients.", |y, i| y.practices[i].list_size as f64),
    m!("episodes", "count", "Episodes needing a GP's decision.", |y, i| y.practices[i].episodes as f64),
    m!("referrals", "count", "Referrals to hospital.", |y, i| y.practices[i].referrals as f64),
    m!("referrals_per_1000", "per_1000_per_year", "Referrals per 1,000 registered patients per year.", |y, i| {
        let p = &y.practices[i];
        per_1000_per_year(p.referrals, p.list_size, y.year_fraction)
    }),
    m!("spend_gbp", "gbp", "Tariff paid for its patients' activity (shadow spend).", |y, i| gbp(y.practices[i].spend)),
    m!("spend_per_head_gbp", "gbp_per_head_per_year", "Shadow spend per registered patient per year.", |y, i| {
        let p = &y.practices[i];
        if p.list_size == 0 || y.year_fraction <= 0.0 {
            f64::NAN
        } else {
            gbp(p.spend) / p.list_size as f64 / y.year_fraction
        }
    }),
    m!("budget_gbp", "gbp", "Indicative budget (PBC).", |y, i| gbp(y.practices[i].budget)),
    m!("savings_gbp", "gbp", "Budget less spend (negative: an overspend).", |y, i| gbp(y.practices[i].savings)),
    m!("retained_gbp", "gbp", "Freed-up resources paid to the practice.", |y, i| gbp(y.practices[i].retained)),
    m!("clawed_back_gbp", "gbp", "Savings the deficit rule kept from the practice.", |y, i| gbp(
        y.practices[i].clawed_back
    )),
    m!("effort", "share", "Mean monthly demand-management effort.", |y, i| {
        let p = &y.practices[i];
        if p.effort_months == 0 { f64::NAN } else { p.effort_sum / p.effort_months as f64 }
    }),
    // NA where the practice did no commissioning (no PBC), as for `effort`.
    m!("engagement", "share", "Engagement at year end (after the settlement's effect on trust).", |y, i| {
        let p = &y.practices[i];
        if p.effort_months == 0 { f64::NAN } else { p.engagement_end }
    }),
    m!("diverted_referrals", "count", "Referrals its demand management diverted.", |y, i| y.practices[i].diverted
        as f64),
];

/// Per-PCT metrics (written only for scenarios with several PCTs), in output order.
pub const PCT: &[Metric<EntityFn>] = &[
    m!("registered_population", "people", "Patients registered with its practices.", |y, i| y.pcts[i].population
        as f64),
    m!("allocation_gbp", "gbp", "Capitation allocation it received.", |y, i| gbp(y.pcts[i].allocation)),
    m!("spend_gbp", "gbp", "Everything it paid out: opening balance + allocation − closing balance.", |y, i| gbp(y
        .pcts[i]
        .spend)),
    m!("spend_per_head_gbp", "gbp_per_head_per_year", "Its spend per registered patient per year.", |y, i| {
        let k = &y.pcts[i];
        if k.population == 0 || y.year_fraction <= 0.0 {
            f64::NAN
        } else {
            gbp(k.spend) / k.population as f64 / y.year_fraction
        }
    }),
    m!("balance_end_gbp", "gbp", "Its ledger balance at year end (negative: a deficit).", |y, i| gbp(
        y.pcts[i].balance_end
    )),
    m!("referrals", "count", "Its patients' referrals to hospital.", |y, i| y.pcts[i].referrals as f64),
    m!("referrals_per_1000", "per_1000_per_year", "Its patients' referrals per 1,000 registered per year.", |y, i| {
        let k = &y.pcts[i];
        per_1000_per_year(k.referrals, k.population, y.year_fraction)
    }),
    m!("rtt_wait_mean_days", "days", "Mean RTT wait of its patients' clock stops.", |y, i| {
        let k = &y.pcts[i];
        if k.rtt_stops == 0 { f64::NAN } else { k.rtt_sum_days / k.rtt_stops as f64 }
    }),
    m!("pbc_budget_gbp", "gbp", "Its practices' indicative budgets (after top-slices).", |y, i| gbp(
        y.pcts[i].pbc_budget
    )),
    m!("pbc_savings_gbp", "gbp", "Its practices' positive savings (budget − spend) at year end.", |y, i| gbp(y.pcts
        [i]
        .pbc_savings)),
    m!("pbc_retained_gbp", "gbp", "Freed-up resources it paid its practices.", |y, i| gbp(y.pcts[i].pbc_retained)),
    m!("pbc_clawed_back_gbp", "gbp", "Savings its practices would have kept but its deficit rule took.", |y, i| gbp(y
        .pcts[i]
        .pbc_clawed_back)),
    m!(
        "diverted_referrals",
        "count",
        "Referrals its practices' demand management diverted.",
        |y, i| y.pcts[i].diverted as f64
    ),
    // The patient's voice, per PCT: the system metrics of the same names are their sums.
    m!("petition_signatures", "count", "Signatures of its dissatisfied patients that reached it.", |y, i| y.pcts[i]
        .signatures
        as f64),
    m!("petitions", "count", "Its patients' petitions that reached the trigger.", |y, i| y.pcts[i].petitions as f64),
    m!("service_reviews", "count", "Its reviews of a service line that reported.", |y, i| y.pcts[i].reviews as f64),
    m!("service_reviews_failed", "count", "Its reviews that found the line below standard.", |y, i| y.pcts[i]
        .reviews_failed
        as f64),
    m!("tenders", "count", "Service lines it put out to tender after a failed review.", |y, i| y.pcts[i].tenders
        as f64),
];

/// Per-service metrics (a provider on one service line), in output order.
pub const SERVICE: &[Metric<EntityFn>] = &[
    m!("referrals", "count", "Referrals received on this line.", |y, i| y.services[i].referrals as f64),
    m!("market_share", "share", "Share of the line's referrals in the year.", |y, i| {
        let line = y.services[i].line;
        let total: u64 = y.services.iter().filter(|s| s.line == line).map(|s| s.referrals).sum();
        ratio(y.services[i].referrals, total)
    }),
    m!("first_outpatient_attendances", "count", "Completed first attendances.", |y, i| y.services[i].first_attendances
        as f64),
    m!("elective_admissions", "count", "Completed elective spells.", |y, i| y.services[i].admissions as f64),
    m!("rtt_wait_mean_days", "days", "Mean RTT wait of its clock stops.", |y, i| {
        let s = &y.services[i];
        if s.rtt_stops == 0 { f64::NAN } else { s.rtt_sum_days / s.rtt_stops as f64 }
    }),
    m!("published_wait_end_days", "days", "The wait it published last before year end.", |y, i| y.services[i]
        .published_wait_end),
    m!("waiting_list_end", "people", "Patients on its lists at year end.", |y, i| y.services[i].waiting_end as f64),
    m!("servers_end", "count", "Servers on its two lists at year end.", |y, i| y.services[i].servers_end as f64),
];
