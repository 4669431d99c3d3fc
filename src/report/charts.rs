//! The chart catalogue: which figures an output directory makes, and from which
//! metrics.
//!
//! Each chart is a function from the [`Outputs`] to a [`Figure`], or to the reason it
//! does not apply (no PBC in the scenario, no `comparison.csv`). To add a chart (a
//! sweep's response curve, say), write such a function and list it in [`CHARTS`]; if
//! it needs a new kind of plot, add a [`Plot`] variant and draw it in
//! [`render`](super::render).

use crate::experiment::stats::percentile;
use crate::experiment::summarise;

use super::data::{Long, Outputs};
use super::figure::{DotRow, Figure, Interval, LineSeries, Plot, Point, RefLine, Section, Spread};

/// A chart: its file stem and how to build it.
pub struct Chart {
    pub name: &'static str,
    pub build: fn(&Outputs) -> Result<Figure, String>,
}

/// Every chart, in report order.
pub const CHARTS: &[Chart] = &[
    Chart { name: "waiting_18_weeks", build: waiting_18_weeks },
    Chart { name: "waiting_list", build: waiting_list },
    Chart { name: "waits_by_provider", build: waits_by_provider },
    Chart { name: "pct_balance", build: pct_balance },
    Chart { name: "provider_income", build: provider_income },
    Chart { name: "pct_spending", build: pct_spending },
    Chart { name: "practice_referrals", build: practice_referrals },
    Chart { name: "practice_savings", build: practice_savings },
    Chart { name: "market_share", build: market_share },
    Chart { name: "chose_nearest", build: chose_nearest },
    Chart { name: "comparison", build: comparison },
];

const FAN_NOTE: &str = "Line: median across replications; dark band: middle 50%; light band: middle 90%.";
const CI_NOTE: &str = "Points: mean across replications; whiskers: 95% confidence interval of the mean.";
const DOTS_NOTE: &str = "Small dots: one replication each; large dot: mean; whiskers: 95% confidence interval.";

fn figure(
    o: &Outputs,
    name: &'static str,
    section: Section,
    title: &str,
    axes: (&str, &str),
    note: &str,
    plot: Plot,
) -> Figure {
    Figure {
        name: name.to_owned(),
        section,
        title: title.to_owned(),
        x_label: axes.0.to_owned(),
        y_label: axes.1.to_owned(),
        note: note.to_owned(),
        caption: o.run.caption(),
        plot,
    }
}

fn finite(values: &[f64], scale: f64) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().filter(|x| x.is_finite()).map(|x| x * scale).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Median with the 50% and 90% ranges across replications.
fn fan(values: Option<&[f64]>, scale: f64) -> Option<Point> {
    let v = finite(values?, scale);
    if v.is_empty() {
        return None;
    }
    let q = |p| percentile(&v, p);
    Some(Point { mid: q(0.5), inner: Some((q(0.25), q(0.75))), outer: Some((q(0.05), q(0.95))) })
}

/// Mean with its 95% confidence interval (no interval with one replication).
fn mean_ci(values: Option<&[f64]>, scale: f64) -> Option<Interval> {
    let s = summarise(&finite(values?, scale));
    if s.n == 0 {
        return None;
    }
    let (lo, hi) = if s.ci95_low.is_finite() { (s.ci95_low, s.ci95_high) } else { (s.mean, s.mean) };
    Some(Interval { mid: s.mean, lo, hi })
}

fn ci_point(values: Option<&[f64]>, scale: f64) -> Option<Point> {
    mean_ci(values, scale).map(|i| Point { mid: i.mid, inner: None, outer: Some((i.lo, i.hi)) })
}

fn need(table: &Long, metric: &str, file: &str) -> Result<(), String> {
    if table.has_metric(metric) { Ok(()) } else { Err(format!("{file} has no `{metric}` rows")) }
}

/// One series over the years of a system metric.
fn system_series(o: &Outputs, metric: &str, name: &str, spread: Spread, scale: f64) -> LineSeries {
    let points = o
        .run
        .years
        .iter()
        .map(|y| {
            let v = o.system.get(y, "", metric);
            if spread == Spread::Fan { fan(v, scale) } else { ci_point(v, scale) }
        })
        .collect();
    LineSeries { name: name.to_owned(), spread, points }
}

fn waiting_18_weeks(o: &Outputs) -> Result<Figure, String> {
    need(&o.system, "rtt_within_18_weeks_share", "replications.csv")?;
    let series = vec![
        system_series(o, "admitted_rtt_within_18_weeks_share", "Admitted", Spread::Whiskers, 100.0),
        system_series(o, "non_admitted_rtt_within_18_weeks_share", "Non-admitted", Spread::Whiskers, 100.0),
        system_series(o, "rtt_within_18_weeks_share", "All pathways", Spread::Whiskers, 100.0),
    ];
    let refs = vec![
        RefLine { value: 90.0, label: "Standard, admitted: 90%".into() },
        RefLine { value: 95.0, label: "Standard, non-admitted: 95%".into() },
    ];
    Ok(figure(
        o,
        "waiting_18_weeks",
        Section::Waiting,
        "Patients treated within 18 weeks of referral",
        ("Financial year", "Clock stops within 18 weeks (%)"),
        &format!("{CI_NOTE} Dashed: the 18-week standards (from December 2008)."),
        Plot::Lines { categories: o.run.years.clone(), x: None, series, refs, zero: false },
    ))
}

fn waiting_list(o: &Outputs) -> Result<Figure, String> {
    need(&o.system, "waiting_list_end", "replications.csv")?;
    // Only the total gets a fan: overlapping fans turn to mud. The two lists that
    // make it up are their medians.
    let median_only = |metric, name| {
        let mut s = system_series(o, metric, name, Spread::Whiskers, 1.0);
        s.points = o.run.years.iter().map(|y| fan(o.system.get(y, "", metric), 1.0)).collect();
        for p in s.points.iter_mut().flatten() {
            (p.inner, p.outer) = (None, None);
        }
        s
    };
    let series = vec![
        system_series(o, "waiting_list_end", "All lists", Spread::Fan, 1.0),
        median_only("waiting_first_outpatient_end", "First outpatient (median)"),
        median_only("waiting_admission_end", "Admission (median)"),
    ];
    let series = series.into_iter().filter(|s| s.points.iter().any(Option::is_some)).collect();
    Ok(figure(
        o,
        "waiting_list",
        Section::Waiting,
        "Patients waiting at the end of each year",
        ("Financial year", "Patients waiting (people)"),
        FAN_NOTE,
        Plot::Lines { categories: o.run.years.clone(), x: None, series, refs: vec![], zero: true },
    ))
}

fn waits_by_provider(o: &Outputs) -> Result<Figure, String> {
    need(&o.providers, "rtt_wait_mean_days", "providers.csv")?;
    let mut categories = Vec::new();
    let mut rows = Vec::new();
    for p in &o.providers.entities {
        let v = o.providers.get("all", p, "rtt_wait_mean_days");
        if let Some(estimate) = mean_ci(v, 1.0) {
            rows.push(DotRow { category: categories.len(), series: 0, estimate, points: v.unwrap_or(&[]).to_vec() });
            categories.push(p.clone());
        }
    }
    if rows.is_empty() {
        return Err("no provider stopped a clock".into());
    }
    Ok(figure(
        o,
        "waits_by_provider",
        Section::Waiting,
        "Mean referral-to-treatment wait by provider, whole horizon",
        ("Mean wait of the clock stops (days)", "Provider"),
        &format!("{DOTS_NOTE} Dashed: 18 weeks."),
        Plot::Dots {
            categories,
            series: vec!["Mean wait".into()],
            rows,
            refs: vec![RefLine { value: 126.0, label: "18 weeks".into() }],
            horizontal: true,
            label_categories: true,
            zero: true,
        },
    ))
}

fn pct_balance(o: &Outputs) -> Result<Figure, String> {
    need(&o.system, "pct_balance_end_gbp", "replications.csv")?;
    let series = vec![system_series(o, "pct_balance_end_gbp", "PCT balance", Spread::Fan, 1e-6)];
    Ok(figure(
        o,
        "pct_balance",
        Section::Money,
        "The PCT's balance at the end of each year",
        ("Financial year", "Balance carried forward (£ million)"),
        &format!("{FAN_NOTE} Below zero: a deficit."),
        Plot::Lines {
            categories: o.run.years.clone(),
            x: None,
            series,
            refs: vec![RefLine { value: 0.0, label: "Break-even".into() }],
            zero: true,
        },
    ))
}

/// The sources of a provider's income, in stacking order: together they make up
/// `income_gbp` (any remainder is drawn as "Other income", so a source added later is
/// never silently lost).
const INCOME_SOURCES: [(&str, &str); 7] = [
    ("tariff_income_gbp", "Tariff (PbR)"),
    ("block_income_gbp", "Block contract"),
    ("emergency_income_gbp", "Emergency"),
    ("supplement_income_gbp", "Tariff supplement"),
    ("mig_topup_gbp", "Guarantee top-up"),
    ("assurance_paid_gbp", "Activity assurance"),
    ("reinvestment_income_gbp", "PBC reinvestment"),
];

/// What the PCT pays, in stacking order: together they make up `pct_spend_gbp` (any
/// remainder is drawn as "Other payments").
const PCT_PAYMENTS: [(&str, &str); 7] = [
    ("tariff_paid_gbp", "Tariff (PbR)"),
    ("block_paid_gbp", "Block contracts"),
    ("emergency_paid_gbp", "Emergency"),
    ("unmodelled_pbr_paid_gbp", "PbR outside the model"),
    ("levers_paid_gbp", "Levers for new providers"),
    ("pbc_retained_gbp", "PBC freed-up resources"),
    ("primary_care_paid_gbp", "Primary care (diverted referrals)"),
];

/// Stacks of the parts of a total, per category: each part's mean (in £ million),
/// parts that are zero everywhere dropped, and the remainder of `total` (if it is
/// more than rounding) as `other`.
fn parts_of(
    parts: &[(&str, &str)],
    total: &dyn Fn(&str) -> f64,
    part: &dyn Fn(&str, &str) -> f64,
    categories: &[String],
    other: &str,
) -> Vec<(String, Vec<f64>)> {
    let mut stacks: Vec<(String, Vec<f64>)> = parts
        .iter()
        .map(|(m, l)| ((*l).to_owned(), categories.iter().map(|c| part(c, m)).collect::<Vec<f64>>()))
        .filter(|(_, v)| v.iter().any(|&x| x != 0.0))
        .collect();
    let rest: Vec<f64> =
        categories.iter().enumerate().map(|(i, c)| total(c) - stacks.iter().map(|(_, v)| v[i]).sum::<f64>()).collect();
    // Half a pound, in £ million: sums of means differ from the mean of sums by rounding.
    if rest.iter().any(|r| r.abs() > 5e-7) {
        stacks.push((other.to_owned(), rest));
    }
    stacks
}

fn provider_income(o: &Outputs) -> Result<Figure, String> {
    need(&o.providers, "income_gbp", "providers.csv")?;
    need(&o.providers, "surplus_gbp", "providers.csv")?;
    let providers = &o.providers.entities;
    let mean = |p: &str, m: &str| mean_ci(o.providers.get("all", p, m), 1e-6).map_or(0.0, |i| i.mid);
    let stacks = parts_of(&INCOME_SOURCES, &|p| mean(p, "income_gbp"), &|p, m| mean(p, m), providers, "Other income");
    let surplus = providers.iter().map(|p| mean_ci(o.providers.get("all", p, "surplus_gbp"), 1e-6)).collect();
    Ok(figure(
        o,
        "provider_income",
        Section::Money,
        "Provider income by source, and surplus, whole horizon",
        ("£ million", "Provider"),
        "Bars: mean income by source across replications; black dot: mean surplus (income less costs), whiskers its 95% CI.",
        Plot::Stacked {
            categories: providers.clone(),
            stacks,
            marker: Some(("Surplus".into(), surplus)),
            horizontal: true,
        },
    ))
}

fn pct_spending(o: &Outputs) -> Result<Figure, String> {
    need(&o.system, "pct_allocation_gbp", "replications.csv")?;
    need(&o.system, "pct_spend_gbp", "replications.csv")?;
    let periods: Vec<String> = o.run.years.iter().cloned().chain(std::iter::once("all".into())).collect();
    let mean = |y: &str, m: &str| mean_ci(o.system.get(y, "", m), 1e-6).map_or(0.0, |i| i.mid);
    let mut stacks =
        parts_of(&PCT_PAYMENTS, &|y| mean(y, "pct_spend_gbp"), &|y, m| mean(y, m), &periods, "Other payments");
    // The rest of the allocation: positive is not spent on modelled care, negative an
    // overspend.
    let rest = periods.iter().map(|y| mean(y, "pct_allocation_gbp") - mean(y, "pct_spend_gbp")).collect();
    stacks.push(("Not spent on modelled care".into(), rest));
    let allocation = periods.iter().map(|y| mean_ci(o.system.get(y, "", "pct_allocation_gbp"), 1e-6)).collect();
    let mut categories = o.run.years.clone();
    categories.push("Whole horizon".into());
    Ok(figure(
        o,
        "pct_spending",
        Section::Money,
        "Where the PCT's allocation went",
        ("£ million", "Period"),
        "Bars: mean payments by kind across replications; black dot: the allocation, which also pays for care pbrsim does not model (the rest of the bar). A negative rest is an overspend.",
        Plot::Stacked { categories, stacks, marker: Some(("Allocation".into(), allocation)), horizontal: true },
    ))
}

/// Practices with a value, sorted by their mean (lowest first), as dot rows.
fn ranked_practices(o: &Outputs, value: impl Fn(&str) -> Option<Vec<f64>>) -> (Vec<String>, Vec<DotRow>) {
    let mut ranked: Vec<(String, Interval, Vec<f64>)> = o
        .practices
        .entities
        .iter()
        .filter_map(|p| {
            let v = value(p)?;
            Some((p.clone(), mean_ci(Some(&v), 1.0)?, v))
        })
        .collect();
    // Ties (and equal means) keep file order, so the ranking is deterministic.
    ranked.sort_by(|a, b| a.1.mid.total_cmp(&b.1.mid));
    let categories = ranked.iter().map(|r| r.0.clone()).collect();
    let rows = ranked
        .into_iter()
        .enumerate()
        .map(|(i, (_, estimate, points))| DotRow { category: i, series: 0, estimate, points })
        .collect();
    (categories, rows)
}

fn practice_referrals(o: &Outputs) -> Result<Figure, String> {
    need(&o.practices, "referrals_per_1000", "practices.csv")?;
    let (categories, rows) =
        ranked_practices(o, |p| o.practices.get("all", p, "referrals_per_1000").map(<[f64]>::to_vec));
    if rows.is_empty() {
        return Err("no practice has patients".into());
    }
    let many = categories.len() > 16;
    let mut refs = Vec::new();
    if let Some(mean) = mean_ci(o.system.get("all", "", "referrals_per_1000"), 1.0) {
        refs.push(RefLine { value: mean.mid, label: format!("PCT: {:.0}", mean.mid) });
    }
    Ok(figure(
        o,
        "practice_referrals",
        Section::Practices,
        "Referrals per 1,000 patients a year by practice, ranked",
        if many {
            ("Practice rank (lowest rate first)", "Referrals per 1,000 patients per year")
        } else {
            ("Referrals per 1,000 patients per year", "Practice")
        },
        &format!("{CI_NOTE} Whole horizon; practices with no patients are left out. Dashed: the PCT's rate."),
        Plot::Dots {
            categories,
            series: vec!["Referral rate".into()],
            rows: rows.into_iter().map(|r| DotRow { points: vec![], ..r }).collect(),
            refs,
            horizontal: !many,
            label_categories: !many,
            zero: false,
        },
    ))
}

fn practice_savings(o: &Outputs) -> Result<Figure, String> {
    need(&o.practices, "retained_gbp", "practices.csv")?;
    let per_head = |p: &str| -> Option<Vec<f64>> {
        let retained = o.practices.get("all", p, "retained_gbp")?;
        let list = o.practices.get("all", p, "list_size")?;
        let v: Vec<f64> = retained.iter().zip(list).map(|(r, l)| if *l > 0.0 { r / l } else { f64::NAN }).collect();
        v.iter().any(|x| x.is_finite()).then_some(v)
    };
    let (categories, rows) = ranked_practices(o, per_head);
    if rows.iter().all(|r| r.estimate.hi == 0.0 && r.estimate.lo == 0.0) {
        return Err("no practice retained any savings (no PBC, or nothing saved)".into());
    }
    let many = categories.len() > 16;
    let gini = mean_ci(o.system.get("all", "", "retained_per_head_gini"), 1.0)
        .map_or(String::new(), |g| format!(" Gini of retained savings per head: {:.2}.", g.mid));
    Ok(figure(
        o,
        "practice_savings",
        Section::Practices,
        "Retained PBC savings per registered patient, by practice",
        if many {
            ("Practice rank (least retained first)", "Retained savings, whole horizon (£ per head)")
        } else {
            ("Retained savings, whole horizon (£ per head)", "Practice")
        },
        &format!("{CI_NOTE}{gini}"),
        Plot::Dots {
            categories,
            series: vec!["Retained per head".into()],
            rows: rows.into_iter().map(|r| DotRow { points: vec![], ..r }).collect(),
            refs: vec![],
            horizontal: !many,
            label_categories: !many,
            zero: true,
        },
    ))
}

fn market_share(o: &Outputs) -> Result<Figure, String> {
    need(&o.providers, "market_share", "providers.csv")?;
    let series = o
        .providers
        .entities
        .iter()
        .map(|p| LineSeries {
            name: p.clone(),
            spread: Spread::Whiskers,
            points: o.run.years.iter().map(|y| ci_point(o.providers.get(y, p, "market_share"), 100.0)).collect(),
        })
        .filter(|s| s.points.iter().any(Option::is_some))
        .collect();
    Ok(figure(
        o,
        "market_share",
        Section::Market,
        "Share of referrals by provider",
        ("Financial year", "Share of the PCT's referrals (%)"),
        CI_NOTE,
        Plot::Lines { categories: o.run.years.clone(), x: None, series, refs: vec![], zero: true },
    ))
}

fn chose_nearest(o: &Outputs) -> Result<Figure, String> {
    need(&o.system, "chose_nearest_share", "replications.csv")?;
    let series = vec![
        system_series(o, "chose_nearest_share", "All referrals", Spread::Whiskers, 100.0),
        system_series(o, "offered_chose_nearest_share", "Offered a choice", Spread::Whiskers, 100.0),
    ];
    let series = series.into_iter().filter(|s| s.points.iter().any(Option::is_some)).collect();
    Ok(figure(
        o,
        "chose_nearest",
        Section::Market,
        "Referrals sent to the nearest provider",
        ("Financial year", "Sent to the nearest open provider (%)"),
        &format!(
            "{CI_NOTE} Dashed: about 69% of those offered a choice chose their local hospital (King's Fund 2010)."
        ),
        Plot::Lines {
            categories: o.run.years.clone(),
            x: None,
            series,
            refs: vec![RefLine { value: 69.0, label: "69% (King's Fund 2010)".into() }],
            zero: false,
        },
    ))
}

/// The forest plot of a `comparison.csv` found in a run's folder: every metric with a
/// non-zero base, every scenario in its own colour (see [`forest`](super::compare::forest)).
fn comparison(o: &Outputs) -> Result<Figure, String> {
    let rows = o.comparison.as_ref().ok_or("no comparison.csv (written by `pbrsim compare`)")?;
    super::compare::forest(rows, "comparison", None, None, &o.run.caption())
}
