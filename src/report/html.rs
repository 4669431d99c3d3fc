//! `report.html`: one self-contained page (charts inline as SVG, styles inline, no
//! scripts, no links to anything outside the file) that opens in a browser offline.

use std::fmt::Write;

use super::data::Outputs;
use super::figure::Section;
use super::{Built, Comparison, Sweep};

/// Whole-horizon metrics in the headline table, in this order (those present).
pub const HEADLINE: &[&str] = &[
    "registered_population",
    "referrals_per_1000",
    "first_outpatient_attendances",
    "elective_admissions",
    "rtt_wait_p50_days",
    "rtt_wait_p90_days",
    "rtt_within_18_weeks_share",
    "admitted_rtt_within_18_weeks_share",
    "non_admitted_rtt_within_18_weeks_share",
    "waiting_list_end",
    "chose_nearest_share",
    "offered_chose_nearest_share",
    "tariff_paid_gbp",
    "pct_spend_gbp",
    "pct_surplus_gbp",
    "pct_balance_end_gbp",
    "pbc_retained_gbp",
    "provider_exits",
];

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `x` with thousands separators and `decimals` decimals.
fn grouped(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') { format!("−{out}") } else { out }
}

/// A value as a reader wants it in a table: £ for money, % for shares.
pub fn value(x: f64, unit: &str) -> String {
    if !x.is_finite() {
        return "NA".into();
    }
    match unit {
        "share" => format!("{}%", grouped(x * 100.0, 1)),
        "gbp" => {
            let s = grouped(x, 0);
            match s.strip_prefix('−') {
                Some(rest) => format!("−£{rest}"),
                None => format!("£{s}"),
            }
        }
        "days" | "per_1000_per_year" | "km" => grouped(x, 1),
        "ratio" | "gbp_per_head_per_year" => grouped(x, 2),
        _ if (x - x.round()).abs() < 1e-9 => grouped(x, 0),
        _ => grouped(x, 1),
    }
}

/// SVG ready to inline: HTML needs no namespace declaration, and leaving it out keeps
/// the page free of any URL.
fn inline_svg(svg: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1).replacen(
        "<svg ",
        "<svg role=\"img\" preserveAspectRatio=\"xMidYMid meet\" ",
        1,
    )
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1060px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{padding:.3em .7em;border-bottom:1px solid #e4e4e4;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
figure{margin:1.5em 0}figure svg{width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:.92em}
code{font-size:.95em}.muted{color:#666}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}";

/// Builds the page. `svgs` are the rendered figures of `built`, in order.
pub fn page(o: &Outputs, built: &Built, svgs: &[String]) -> String {
    let run = &o.run;
    let name = escape(&run.scenario_name());
    let mut h = String::new();
    head(&mut h, &format!("pbrsim report: {name}"));
    if !run.description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", escape(&run.description));
    }

    let _ = writeln!(h, "<h2 id=\"scenario\">Scenario</h2>\n<dl>");
    let facts = [
        ("Scenario file", format!("<code>{}</code>", escape(&run.scenario_path))),
        ("Commissioner", escape(&run.pct_name)),
        ("Financial years", escape(&run.years.join(", "))),
        ("Replications", run.replications.to_string()),
        ("Seed", run.seed.to_string()),
    ];
    for (k, v) in facts.iter().filter(|(_, v)| !v.is_empty()) {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{v}</dd>");
    }
    let _ = writeln!(h, "</dl>");

    headline(&mut h, o);

    figures(&mut h, built, svgs);

    all_metrics(&mut h, o);

    let _ = writeln!(h, "<h2 id=\"manifest\">Manifest</h2>\n<dl>");
    let facts = [
        ("pbrsim version", escape(&run.pbrsim_version)),
        ("Scenario", format!("<code>{}</code>", escape(&run.scenario_path))),
        ("Scenario SHA-256", format!("<code>{}</code>", escape(&run.scenario_sha256))),
        ("Seed", run.seed.to_string()),
        ("Replications", run.replications.to_string()),
    ];
    for (k, v) in facts {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{v}</dd>");
    }
    let _ = writeln!(h, "</dl>");
    outputs_table(&mut h, &run.outputs);
    let _ = writeln!(
        h,
        "<p class=\"muted\">Made by <code>pbrsim report</code> from the files in this directory; the figures are \
         means across replications with 95% confidence intervals for the mean (Monte Carlo error only).</p>\n</body>\n</html>"
    );
    h
}

/// The page's head and its first heading (`title`, already escaped).
fn head(h: &mut String, title: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
}

/// The charts by section, numbered, then those not drawn with the reason.
fn figures(h: &mut String, built: &Built, svgs: &[String]) {
    let mut k = 0;
    for section in Section::ALL {
        let figs: Vec<usize> = (0..built.figures.len()).filter(|&i| built.figures[i].section == section).collect();
        if figs.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h2 id=\"{}\">{}</h2>", section.title().to_lowercase(), section.title());
        for i in figs {
            let f = &built.figures[i];
            k += 1;
            let _ = writeln!(
                h,
                "<figure id=\"{}\">\n{}\n<figcaption>Figure {k}. <strong>{}.</strong> {}</figcaption>\n</figure>",
                escape(&f.name),
                inline_svg(&svgs[i]),
                escape(&f.title),
                escape(&f.note)
            );
        }
    }
    if !built.skipped.is_empty() {
        let _ = writeln!(h, "<p class=\"muted\">Charts not drawn:</p>\n<ul class=\"muted\">");
        for (chart, why) in &built.skipped {
            let _ = writeln!(h, "<li><code>{}</code>: {}</li>", escape(chart), escape(why));
        }
        let _ = writeln!(h, "</ul>");
    }
}

/// The SHA-256 of every output file the manifest lists.
fn outputs_table(h: &mut String, outputs: &[(String, String)]) {
    if outputs.is_empty() {
        return;
    }
    let _ = writeln!(h, "<table>\n<tr><th>file</th><th>SHA-256</th></tr>");
    for (file, sha) in outputs {
        let _ = writeln!(h, "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>", escape(file), escape(sha));
    }
    let _ = writeln!(h, "</table>");
}

/// Definition-list facts, empty values left out.
fn facts(h: &mut String, facts: &[(&str, String)]) {
    let _ = writeln!(h, "<dl>");
    for (k, v) in facts.iter().filter(|(_, v)| !v.is_empty()) {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{v}</dd>");
    }
    let _ = writeln!(h, "</dl>");
}

const FOOT: &str = "</body>\n</html>\n";

/// The page for a comparison folder: what was compared, the paired differences (tables
/// per scenario), the forest plots, and the manifest's outputs.
pub fn comparison_page(c: &Comparison, metrics: &[String], built: &Built, svgs: &[String]) -> String {
    let mut h = String::new();
    head(&mut h, &format!("pbrsim comparison: base {}", escape(&c.base)));
    let _ = writeln!(h, "<h2 id=\"compared\">Compared</h2>");
    let scenarios = c.scenarios.iter().map(|s| escape(s)).collect::<Vec<_>>().join(", ");
    facts(
        &mut h,
        &[
            ("Base", escape(&c.base)),
            ("Policy scenarios", scenarios),
            (
                "Replications",
                format!("{} (paired: replication r of every scenario shares its random streams)", c.replications),
            ),
            ("Seed", c.seed.to_string()),
        ],
    );
    let _ = writeln!(h, "<h2 id=\"differences\">Paired differences</h2>");
    c.tables(&mut h, metrics);
    figures(&mut h, built, svgs);
    let _ = writeln!(h, "<h2 id=\"manifest\">Manifest</h2>");
    facts(&mut h, &[("pbrsim version", escape(&c.pbrsim_version)), ("Seed", c.seed.to_string())]);
    outputs_table(&mut h, &c.outputs);
    let _ = write!(
        h,
        "<p class=\"muted\">Made by <code>pbrsim report</code> from the files in this directory; differences are means of the per-replication differences (scenario − base) with 95% confidence intervals. Each scenario's own report: <code>pbrsim report</code> on its subfolder.</p>\n{FOOT}"
    );
    h
}

/// The page for a sweep folder: the sweep, each point's values and headline means, the
/// one-way table for tornado designs, the charts, and the manifest's outputs.
pub fn sweep_page(s: &Sweep, metrics: &[String], built: &Built, svgs: &[String]) -> String {
    let mut h = String::new();
    let stem =
        std::path::Path::new(&s.sweep_path).file_stem().map_or(String::new(), |f| f.to_string_lossy().into_owned());
    head(&mut h, &format!("pbrsim sweep: {}", escape(&stem)));
    let _ = writeln!(h, "<h2 id=\"design\">Sweep design</h2>");
    let parameters = s.parameters.iter().map(|p| format!("<code>{}</code>", escape(p))).collect::<Vec<_>>().join(", ");
    facts(
        &mut h,
        &[
            ("Sweep file", format!("<code>{}</code>", escape(&s.sweep_path))),
            ("Scenario", format!("<code>{}</code>", escape(&s.scenario_path))),
            ("Design", escape(&s.design)),
            ("Parameters", parameters),
            ("Points", s.points.len().to_string()),
            ("Replications per point", s.replications.to_string()),
            ("Seed", s.seed.to_string()),
        ],
    );
    let _ = writeln!(h, "<h2 id=\"results\">Results</h2>");
    s.tables(&mut h, metrics);
    figures(&mut h, built, svgs);
    let _ = writeln!(h, "<h2 id=\"manifest\">Manifest</h2>");
    facts(&mut h, &[("pbrsim version", escape(&s.pbrsim_version)), ("Seed", s.seed.to_string())]);
    outputs_table(&mut h, &s.outputs);
    let _ = write!(
        h,
        "<p class=\"muted\">Made by <code>pbrsim report</code> from the files in this directory; every point runs the same replications on the same seed, so differences between points are paired.</p>\n{FOOT}"
    );
    h
}

/// The headline table: each year's mean and the whole horizon's mean with its 95% CI.
fn headline(h: &mut String, o: &Outputs) {
    let _ = writeln!(h, "<h2 id=\"headline\">Headline figures</h2>\n<table>\n<tr><th>metric</th><th>unit</th>");
    for y in &o.run.years {
        let _ = write!(h, "<th>{} mean</th>", escape(y));
    }
    let _ = writeln!(h, "<th>whole horizon mean</th><th>95% CI</th></tr>");
    for metric in HEADLINE {
        let Some(all) = o.summary.iter().find(|r| r.year == "all" && r.metric == *metric) else { continue };
        let _ = write!(h, "<tr><td><code>{metric}</code></td><td>{}</td>", escape(&all.unit));
        for y in &o.run.years {
            let v = o.summary.iter().find(|r| &r.year == y && r.metric == *metric).map_or(f64::NAN, |r| r.mean);
            let _ = write!(h, "<td>{}</td>", value(v, &all.unit));
        }
        let _ = writeln!(
            h,
            "<td>{}</td><td>{} to {}</td></tr>",
            value(all.mean, &all.unit),
            value(all.ci95_low, &all.unit),
            value(all.ci95_high, &all.unit)
        );
    }
    let _ = writeln!(h, "</table>");
}

/// Every system metric for the whole horizon, folded away.
fn all_metrics(h: &mut String, o: &Outputs) {
    let _ = writeln!(
        h,
        "<h2 id=\"metrics\">All system metrics</h2>\n<details>\n<summary>Whole horizon, {} metrics (definitions in docs/outputs.md)</summary>\n<table>\n<tr><th>metric</th><th>unit</th><th>mean</th><th>95% CI</th><th>n</th></tr>",
        o.summary.iter().filter(|r| r.year == "all").count()
    );
    for r in o.summary.iter().filter(|r| r.year == "all") {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} to {}</td><td>{}</td></tr>",
            escape(&r.metric),
            escape(&r.unit),
            value(r.mean, &r.unit),
            value(r.ci95_low, &r.unit),
            value(r.ci95_high, &r.unit),
            r.n
        );
    }
    let _ = writeln!(h, "</table>\n</details>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_in_a_paper() {
        assert_eq!(value(0.98123, "share"), "98.1%");
        assert_eq!(value(86797799.799, "gbp"), "£86,797,800");
        assert_eq!(value(-1234.4, "gbp"), "−£1,234");
        assert_eq!(value(46.992, "days"), "47.0");
        assert_eq!(value(5229.26, "people"), "5,229.3");
        assert_eq!(value(12500.0, "people"), "12,500");
        assert_eq!(value(f64::NAN, "share"), "NA");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn inlined_svg_has_no_url() {
        let s = inline_svg("<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>");
        assert!(!s.contains("http"), "{s}");
        assert!(s.starts_with("<svg role=\"img\""));
    }
}
