//! Measures how pbrsim's cost grows with the size of the economy, and draws the curve.
//!
//! ```sh
//! cargo run --release --example scale_curve                # 0.1×, 0.3× and 1× England
//! cargo run --release --example scale_curve -- 0.1 0.3     # a subset
//! cargo run --release --example scale_curve -- 1 2         # 2×: beyond England
//! ```
//!
//! For each of `scenarios/england-0.1.toml`, `england-0.3.toml` and `england.toml` (any
//! other scale is `england.toml` with its PCT count scaled), it builds the model once,
//! then runs replication 0 on this thread (one core) and times the replication alone:
//! no scenario parsing, no model build, no output files. It prints a Markdown table,
//! and writes `output/scale/scale.csv` and `output/scale/scale.svg` (and `.png`):
//! simulation time per simulated year against registered population, with the
//! straight line through the origin and the smallest economy (what linear cost would
//! give). docs/performance.md records a run of it.
//!
//! Times are wall-clock on an otherwise idle core; on a shared machine run it twice.

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use pbrsim::model::Model;
use pbrsim::scenario;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The `pbrsim` binary's allocator, so this measures what users run (src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One measured economy.
struct Row {
    scale: String,
    population: u64,
    practices: usize,
    providers: usize,
    build_s: f64,
    run_s: f64,
    simulated_years: f64,
    reported_years: f64,
    events_reported: u64,
}

impl Row {
    fn per_year(&self) -> f64 {
        self.run_s / self.simulated_years
    }
}

fn measure(root: &Path, scale: &str) -> Result<Row, Box<dyn Error>> {
    let file = if scale == "1" { "england.toml".to_string() } else { format!("england-{scale}.toml") };
    let path = root.join("scenarios").join(file);
    // A scale with no file of its own (2, say) is england.toml with its PCT count
    // scaled: the same economy, more tiles of it on the grid.
    let from = if path.exists() { path.clone() } else { root.join("scenarios/england.toml") };
    let loaded = scenario::load(&from)?;
    let mut scenario = loaded.scenario.clone();
    if !path.exists() {
        let factor = scale
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f > 0.0)
            .ok_or_else(|| format!("{scale}: not a scale (a positive number, like 0.3)"))?;
        let generate = &mut scenario.pcts.as_mut().ok_or("england.toml generates its PCTs")?.generate;
        let count = (f64::from(generate.count) * factor).round();
        if !(1.0..=f64::from(u32::MAX)).contains(&count) {
            return Err(format!("{scale}× England would have {count} PCTs").into());
        }
        generate.count = count as u32;
    }
    let seed = scenario.simulation.seed;
    let config = loaded.config_of(&scenario)?;
    let (population, practices, providers) = (config.population(), config.practices.len(), config.providers.len());
    let simulated_years = config.calendar.end / 365.25;
    let reported_years = simulated_years - f64::from(config.calendar.warm_up_days) / 365.25;
    let t = Instant::now();
    let model = Model::new(config)?;
    let build_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let result = model.run_replication(seed, 0)?;
    let run_s = t.elapsed().as_secs_f64();
    let events_reported = result.years.iter().map(|y| y.events).sum();
    Ok(Row {
        scale: format!("{scale}×"),
        population,
        practices,
        providers,
        build_s,
        run_s,
        simulated_years,
        reported_years,
        events_reported,
    })
}

/// Time per simulated year against population, with the linear reference, to an SVG
/// and a PNG (for Markdown viewers that do not show SVG).
fn chart(rows: &[Row], dir: &Path) -> Result<(), Box<dyn Error>> {
    // Text is laid out with a registered font (the SVG keeps it as text).
    static DEJAVU: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
    plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU).map_err(|_| "font")?;
    let (w, h) = (1000u32, 640u32);
    draw(rows, SVGBackend::new(&dir.join("scale.svg"), (w, h)).into_drawing_area())?;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(rows, BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area())?;
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    std::fs::write(dir.join("scale.png"), bytes)?;
    Ok(())
}

fn draw<DB: DrawingBackend>(rows: &[Row], root: DrawingArea<DB, plotters::coord::Shift>) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let millions = |r: &Row| r.population as f64 / 1e6;
    let x_max = rows.iter().map(millions).fold(0.0, f64::max) * 1.08;
    let smallest = &rows[0];
    let slope = smallest.per_year() / millions(smallest);
    let y_max = rows.iter().map(Row::per_year).fold(slope * x_max, f64::max) * 1.12;

    root.fill(&WHITE)?;
    let mut c = ChartBuilder::on(&root)
        .caption("Simulation time against population (one core)", ("sans-serif", 28))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    c.configure_mesh()
        .x_desc("Registered population (millions)")
        .y_desc("Seconds per simulated year")
        .axis_desc_style(("sans-serif", 21))
        .label_style(("sans-serif", 18))
        .light_line_style(RGBColor(0xF0, 0xF0, 0xF0))
        .max_light_lines(1)
        .draw()?;
    let blue = RGBColor(0x00, 0x72, 0xB2);
    let grey = RGBColor(0x5A, 0x5A, 0x5A);
    c.draw_series(DashedLineSeries::new([(0.0, 0.0), (x_max, slope * x_max)], 8, 6, grey.stroke_width(2)))?
        .label(format!("linear from {}", smallest.scale))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], grey.stroke_width(2)));
    let points: Vec<(f64, f64)> = rows.iter().map(|r| (millions(r), r.per_year())).collect();
    c.draw_series(LineSeries::new(points.clone(), blue.stroke_width(3)))?
        .label("measured")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], blue.stroke_width(3)));
    c.draw_series(points.iter().map(|&p| Circle::new(p, 6, blue.filled())))?;
    let leader_end = |x: f64, y: f64| (x + x_max * 0.03, y + y_max * 0.2);
    c.draw_series(rows.iter().map(|r| {
        let label = format!("{}: {:.2} s", r.scale, r.per_year());
        // Clear of the two rising lines, which run below a point to its left and above
        // it to its right: above and left of a point far enough from the y axis; below
        // and right of one nearer; for one at the axis, higher up, joined to it by a
        // leader.
        let (x, y) = (millions(r), r.per_year());
        let (at, anchor) = if x > x_max * 0.3 {
            ((x - x_max * 0.01, y + y_max * 0.02), Pos::new(HPos::Right, VPos::Bottom))
        } else if x > x_max * 0.1 {
            ((x + x_max * 0.01, y - y_max * 0.03), Pos::new(HPos::Left, VPos::Top))
        } else {
            (leader_end(x, y), Pos::new(HPos::Left, VPos::Bottom))
        };
        Text::new(label, at, TextStyle::from(("sans-serif", 18).into_font()).pos(anchor))
    }))?;
    c.draw_series(
        rows.iter()
            .map(|r| (millions(r), r.per_year()))
            .filter(|&(x, _)| x <= x_max * 0.1)
            .map(|(x, y)| PathElement::new([(x, y + y_max * 0.02), leader_end(x, y)], grey.stroke_width(1))),
    )?;
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 18))
        .background_style(WHITE)
        .border_style(grey)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scales: Vec<String> = std::env::args().skip(1).collect();
    if scales.is_empty() {
        scales = vec!["0.1".into(), "0.3".into(), "1".into()];
    }
    let mut rows = Vec::new();
    for scale in &scales {
        eprintln!("running {scale}× England ...");
        rows.push(measure(root, scale)?);
    }
    rows.sort_by_key(|r| r.population);

    let mut table = String::from(
        "| scale | practices | providers | people | events, reported year | model build | replication | simulated years | per simulated year | ns per event |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut csv =
        String::from("scale,population,practices,providers,build_s,run_s,simulated_years,per_year_s,events_reported\n");
    for r in &rows {
        // Events are counted in the reported years only; scaled to the whole horizon
        // (warm-up included), assuming the warm-up runs at the reported rate.
        let ns = r.run_s * 1e9 / (r.events_reported as f64 * r.simulated_years / r.reported_years);
        writeln!(
            table,
            "| {} | {} | {} | {:.1} m | {} | {:.2} s | {:.2} s | {:.2} | **{:.2} s** | {:.0} |",
            r.scale,
            r.practices,
            r.providers,
            r.population as f64 / 1e6,
            r.events_reported,
            r.build_s,
            r.run_s,
            r.simulated_years,
            r.per_year(),
            ns
        )?;
        writeln!(
            csv,
            "{},{},{},{},{:.3},{:.3},{:.4},{:.3},{}",
            r.scale.trim_end_matches('×'),
            r.population,
            r.practices,
            r.providers,
            r.build_s,
            r.run_s,
            r.simulated_years,
            r.per_year(),
            r.events_reported
        )?;
    }
    print!("{table}");
    let out = root.join("output/scale");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("scale.csv"), csv)?;
    chart(&rows, &out)?;
    eprintln!("wrote scale.csv, scale.svg and scale.png to {}", out.display());
    Ok(())
}
