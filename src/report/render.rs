//! Drawing a [`Figure`] with plotters, to SVG text or PNG bytes, in one house style.
//!
//! - **Fonts.** DejaVu Sans is compiled into the binary (`assets/fonts`) and registered
//!   with plotters' `ab_glyph` backend as `sans-serif`, so PNGs render identically on a
//!   machine with no fonts installed. SVG text is left as text (`font-family:
//!   sans-serif`) so it stays selectable and small; its layout uses DejaVu's metrics.
//! - **Colour.** The Okabe–Ito palette, distinguishable with the common forms of
//!   colour blindness; series beyond eight reuse colours.
//! - **Determinism.** No clock, no randomness, no hash-map order: the same figure
//!   gives the same SVG bytes, and the same PNG bytes with a given build.
//! - **Size.** 1000 × 640 pixels: at A4 text width (16 cm) the tick labels print at
//!   about 8 pt.

use std::ops::Range;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{DotRow, Figure, Interval, LineSeries, Mark, Plot, Point, RefLine, Spread};

/// Chart size in pixels.
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 640;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Okabe & Ito (2008), ordered so the first colours contrast most on white.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow, last: faint on white
];
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GREY: RGBColor = RGBColor(0x5A, 0x5A, 0x5A);
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const REF: RGBColor = RGBColor(0x44, 0x44, 0x44);

const TITLE: f64 = 28.0;
const AXIS: f64 = 21.0;
const TICK: f64 = 18.0;
const LEGEND: f64 = 18.0;
const FOOT: f64 = 16.0;

fn colour(i: usize) -> RGBColor {
    if i == usize::MAX { INK } else { PALETTE[i % PALETTE.len()] }
}

/// Registers the bundled font with plotters, once per process.
fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are the font file compiled in; it is a valid TrueType font, and a
        // failure here would be a build defect that the chart tests catch (blank text).
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS);
    });
}

fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// Renders `fig` as an SVG document.
pub fn svg(fig: &Figure) -> Result<String, String> {
    fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(fig, &root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Renders `fig` as a PNG image (8-bit RGB).
pub fn png(fig: &Figure) -> Result<Vec<u8>, String> {
    fonts();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(fig, &root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(&rgb).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A discrete axis: category `i` sits at `i`, with half a category of room each side.
/// Tick marks fall on categories only (never between them).
#[derive(Debug, Clone)]
struct Cat(usize);

impl Ranged for Cat {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + ((v + 0.5) / self.0.max(1) as f64 * span).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let step = self.0.div_ceil(hint.max_num_points().max(1)).max(1);
        (0..self.0).step_by(step).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.0 as f64 - 0.5
    }
}

impl ValueFormatter<f64> for Cat {
    fn format(v: &f64) -> String {
        format!("{v}")
    }
}

/// A category axis whose categories sit at given positions in category units (in
/// increasing order, from 0 to `n - 1`), on the same range as [`Cat`]: category `i` at
/// `at[i]`. With `at[i] = i` it is [`Cat`]; a line plot of numeric categories (a swept
/// parameter's values) places them in proportion to their values. Ticks fall on
/// categories only, thinned as [`Cat`] thins them.
#[derive(Debug, Clone)]
struct Spaced(Vec<f64>);

impl Spaced {
    /// Category `i` at `i`, or, with `values` (one per category, increasing, not all
    /// equal), at its value rescaled onto `0..=n - 1`.
    fn new(n: usize, values: Option<&[f64]>) -> Self {
        let even = || Self((0..n).map(|i| i as f64).collect());
        let Some(v) = values.filter(|v| v.len() == n && n >= 2) else { return even() };
        let (lo, hi) = (v[0], v[n - 1]);
        let increasing = v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[0] <= w[1]);
        if !increasing || hi <= lo {
            return even();
        }
        Self(v.iter().map(|x| (x - lo) / (hi - lo) * (n - 1) as f64).collect())
    }

    /// The category nearest position `v`.
    fn nearest(&self, v: f64) -> usize {
        (0..self.0.len()).min_by(|&a, &b| (self.0[a] - v).abs().total_cmp(&(self.0[b] - v).abs())).unwrap_or(0)
    }
}

impl Ranged for Spaced {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        Cat(self.0.len()).map(v, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let n = self.0.len();
        let step = n.div_ceil(hint.max_num_points().max(1)).max(1);
        (0..n).step_by(step).map(|i| self.0[i]).collect()
    }

    fn range(&self) -> Range<f64> {
        Cat(self.0.len()).range()
    }
}

impl ValueFormatter<f64> for Spaced {
    fn format(v: &f64) -> String {
        format!("{v}")
    }
}

/// Tick label for a value axis: thousands separators, no spurious decimals.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 || (a - a.round()).abs() < 1e-9 {
        let n = v.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut s = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                s.push(',');
            }
            s.push(c);
        }
        if n < 0 { format!("−{s}") } else { s }
    } else {
        let s = format!("{v:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.replace('-', "−")
    }
}

/// The range a value axis needs for `values` (and 0 if `zero`), with 6% padding.
fn value_range(values: impl Iterator<Item = f64>, zero: bool) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.06 } else { lo.abs().max(1.0) * 0.1 };
    let lo2 = if zero && lo >= 0.0 { lo } else { lo - pad };
    let hi2 = if zero && hi <= 0.0 { hi } else { hi + pad };
    lo2..hi2
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Draws the whole figure: title, plot, legend, note and caption.
fn draw<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    root.draw(&Text::new(fig.title.clone(), (20, 14), font(TITLE))).map_err(err)?;
    // The note wraps to the width; the caption is always the last line.
    let mut foot = wrap(&fig.note, FOOT, w - 40);
    foot.push(fig.caption.clone());
    let foot_h = foot.len() as i32 * 23 + 8;
    for (i, line) in foot.iter().enumerate() {
        let y = h - foot_h + i as i32 * 23;
        root.draw(&Text::new(line.clone(), (20, y), font(FOOT).color(&GREY))).map_err(err)?;
    }

    let legend = fig.plot.legend();
    let show_legend = legend.len() > 1;
    let legend_w = if show_legend {
        let longest = legend.iter().map(|(n, _, _)| text_width(n, LEGEND)).max().unwrap_or(0);
        (longest + 56).clamp(140, 340)
    } else {
        0
    };
    let body = root.margin(56, foot_h as u32 + 10, 8, 14);
    let (plot_area, legend_area) = body.split_horizontally(w - 22 - legend_w);
    if show_legend {
        draw_legend(&legend_area, &legend)?;
    }
    match &fig.plot {
        Plot::Lines { categories, x, series, refs, zero } => {
            lines(fig, &plot_area, categories, x.as_deref(), series, refs, *zero)
        }
        Plot::Stacked { categories, stacks, marker, horizontal } => {
            stacked(fig, &plot_area, categories, stacks, marker, *horizontal)
        }
        Plot::Dots { categories, series, rows, refs, horizontal, label_categories, zero } => {
            dots(fig, &plot_area, categories, series.len(), rows, refs, *horizontal, *label_categories, *zero)
        }
        Plot::Bars { categories, series, horizontal } => bars(fig, &plot_area, categories, series, *horizontal),
        Plot::Heat { columns, rows, cells } => heat(fig, &plot_area, columns, rows, cells),
    }?;
    Ok(())
}

/// Splits `text` into lines no wider than `width` pixels, at spaces.
fn wrap(text: &str, size: f64, width: i32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if text_width(&candidate, size) > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Width of `s` in pixels at `size` with the bundled font.
fn text_width(s: &str, size: f64) -> i32 {
    font(size).font.box_size(s).map_or((s.chars().count() as f64 * size * 0.6) as i32, |(w, _)| w as i32)
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(String, Mark, usize)]) -> DrawResult {
    let row = 30;
    // Entries that do not fit are counted, not drawn off the chart.
    let fits = ((area.dim_in_pixel().1 as i32 - 20) / row).max(1) as usize;
    let shown = if entries.len() > fits { fits - 1 } else { entries.len() };
    if shown < entries.len() {
        let more = format!("… and {} more", entries.len() - shown);
        area.draw(&Text::new(more, (44, 20 + shown as i32 * row), font(LEGEND).color(&GREY))).map_err(err)?;
    }
    for (k, (name, mark, c)) in entries.iter().take(shown).enumerate() {
        let y = 20 + k as i32 * row;
        let col = colour(*c);
        match mark {
            Mark::Line => {
                area.draw(&PathElement::new(vec![(6, y + 10), (34, y + 10)], col.stroke_width(3))).map_err(err)?;
                area.draw(&Circle::new((20, y + 10), 5, col.filled())).map_err(err)?;
            }
            Mark::Band => {
                area.draw(&Rectangle::new([(6, y + 2), (34, y + 18)], col.mix(0.25).filled())).map_err(err)?;
                area.draw(&PathElement::new(vec![(6, y + 10), (34, y + 10)], col.stroke_width(3))).map_err(err)?;
            }
            Mark::Bar => {
                area.draw(&Rectangle::new([(8, y + 1), (32, y + 19)], col.filled())).map_err(err)?;
            }
            Mark::Marker => {
                area.draw(&PathElement::new(vec![(8, y + 10), (32, y + 10)], col.stroke_width(2))).map_err(err)?;
                area.draw(&Circle::new((20, y + 10), 6, col.filled())).map_err(err)?;
            }
        }
        area.draw(&Text::new(name.clone(), (44, y), font(LEGEND))).map_err(err)?;
    }
    Ok(())
}

fn build<'a, DB: DrawingBackend, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Y,
    y_label_width: i32,
) -> Result<ChartContext<'a, DB, Cartesian2d<X, Y>>, String> {
    ChartBuilder::on(area)
        .margin_right(12)
        .margin_top(6)
        .x_label_area_size(62)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

fn lines<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, Shift>,
    categories: &[String],
    x: Option<&[f64]>,
    series: &[LineSeries],
    refs: &[RefLine],
    zero: bool,
) -> DrawResult {
    let n = categories.len();
    let all = series.iter().flat_map(|s| s.points.iter().flatten()).flat_map(|p: &Point| {
        [Some(p.mid), p.inner.map(|i| i.0), p.inner.map(|i| i.1), p.outer.map(|o| o.0), p.outer.map(|o| o.1)]
            .into_iter()
            .flatten()
    });
    let yr = value_range(all.chain(refs.iter().map(|r| r.value)), zero);
    let axis = Spaced::new(n, x);
    let at = axis.0.clone();
    let format = |v: &f64| categories.get(axis.nearest(*v)).cloned().unwrap_or_default();
    let mut chart = build(area, axis.clone(), RangedCoordf64::from(yr), 96)?;
    mesh(&mut chart, fig, &Axes { cat_on_x: true, cat_labels: n, cat_format: &format })?;
    paint(&mut chart, ref_shapes(false, refs, n))?;
    // Bands first, so every line stays on top of every band.
    for (i, s) in series.iter().enumerate() {
        if s.spread != Spread::Fan {
            continue;
        }
        let col = colour(i);
        let outer: fn(&Point) -> Option<(f64, f64)> = |p| p.outer;
        let inner: fn(&Point) -> Option<(f64, f64)> = |p| p.inner;
        for (band, alpha) in [(outer, 0.16), (inner, 0.30)] {
            for run in runs(&s.points, &at) {
                let upper: Vec<(f64, f64)> = run.iter().filter_map(|(x, p)| band(p).map(|(_, hi)| (*x, hi))).collect();
                let mut lower: Vec<(f64, f64)> =
                    run.iter().filter_map(|(x, p)| band(p).map(|(lo, _)| (*x, lo))).collect();
                if upper.is_empty() {
                    continue;
                }
                if upper.len() == 1 {
                    // A single year: a short band so the spread is still visible.
                    let (x, hi) = upper[0];
                    let lo = lower[0].1;
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x - 0.12, lo), (x + 0.12, hi)],
                            col.mix(alpha).filled(),
                        )))
                        .map_err(err)?;
                    continue;
                }
                lower.reverse();
                let poly: Vec<(f64, f64)> = upper.into_iter().chain(lower).collect();
                chart.draw_series(std::iter::once(Polygon::new(poly, col.mix(alpha).filled()))).map_err(err)?;
            }
        }
    }
    let k = series.len();
    for (i, s) in series.iter().enumerate() {
        let col = colour(i);
        // Whiskered series are dodged sideways so their bars do not hide each other.
        let dodge = if s.spread == Spread::Whiskers && k > 1 { (i as f64 - (k - 1) as f64 / 2.0) * 0.04 } else { 0.0 };
        for run in runs(&s.points, &at) {
            let line: Vec<(f64, f64)> = run.iter().map(|(x, p)| (x + dodge, p.mid)).collect();
            chart.draw_series(std::iter::once(PathElement::new(line.clone(), col.stroke_width(3)))).map_err(err)?;
            chart.draw_series(line.iter().map(|&c| Circle::new(c, 5, col.filled()))).map_err(err)?;
            if s.spread == Spread::Whiskers {
                for (x, p) in &run {
                    if let Some((lo, hi)) = p.outer {
                        paint(&mut chart, whisker_shapes(false, x + dodge, lo, hi, rgba(col, 1.0)))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Stretches of consecutive categories with a value, each point at its category's
/// position `at[i]`: lines break at gaps.
fn runs(points: &[Option<Point>], at: &[f64]) -> Vec<Vec<(f64, Point)>> {
    let mut out = vec![Vec::new()];
    for (i, p) in points.iter().enumerate() {
        match p {
            Some(p) => out.last_mut().expect("non-empty").push((at.get(i).copied().unwrap_or(i as f64), *p)),
            None => out.push(Vec::new()),
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// Axis set-up shared by every plot: gridlines across the value axis only, category
/// ticks on categories, value ticks as numbers.
struct Axes<'a> {
    /// Categories on the horizontal axis (else on the vertical one).
    cat_on_x: bool,
    cat_labels: usize,
    cat_format: &'a dyn Fn(&f64) -> String,
}

fn mesh<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    fig: &Figure,
    axes: &Axes,
) -> DrawResult
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let value_format = |v: &f64| tick(*v);
    let mut m = chart.configure_mesh();
    m.light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(fig.x_label.clone())
        .y_desc(fig.y_label.clone())
        .axis_desc_style(font(AXIS))
        .label_style(font(TICK));
    if axes.cat_on_x {
        m.disable_x_mesh().x_labels(axes.cat_labels).y_labels(8).x_label_formatter(axes.cat_format);
        m.y_label_formatter(&value_format);
        m.draw().map_err(err)
    } else {
        m.disable_y_mesh().y_labels(axes.cat_labels).x_labels(8).y_label_formatter(axes.cat_format);
        m.x_label_formatter(&value_format);
        m.draw().map_err(err)
    }
}

/// Maps (category position, value) to chart coordinates.
fn at(horizontal: bool, c: f64, v: f64) -> (f64, f64) {
    if horizontal { (v, c) } else { (c, v) }
}

/// How a categorical plot labels its categories.
struct CatLabels<'a> {
    /// At most this many tick labels.
    count: usize,
    format: &'a dyn Fn(&f64) -> String,
    /// Room for the labels when they run down the vertical axis (pixels).
    width: i32,
}

/// Draws a categorical plot's axes and `shapes`, either way round.
fn categorical<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, Shift>,
    n: usize,
    values: Range<f64>,
    horizontal: bool,
    labels: CatLabels,
    shapes: Vec<Shape>,
) -> DrawResult {
    let axes = Axes { cat_on_x: !horizontal, cat_labels: labels.count, cat_format: labels.format };
    if horizontal {
        let mut chart = build(area, RangedCoordf64::from(values), Cat(n), labels.width)?;
        mesh(&mut chart, fig, &axes)?;
        paint(&mut chart, shapes)
    } else {
        let mut chart = build(area, Cat(n), RangedCoordf64::from(values), 96)?;
        mesh(&mut chart, fig, &axes)?;
        paint(&mut chart, shapes)
    }
}

/// The marks a categorical plot is made of, in chart coordinates.
enum Shape {
    Rect((f64, f64), (f64, f64), RGBAColor),
    Dot((f64, f64), u32, RGBAColor),
    Ring((f64, f64), u32, RGBAColor),
    Path(Vec<(f64, f64)>, RGBAColor, u32),
    Dashed(Vec<(f64, f64)>, RGBAColor),
    /// A whisker's end cap, a fixed number of pixels wide whatever the scale; across
    /// a horizontal whisker if `true`.
    Cap((f64, f64), bool, RGBAColor),
    /// Text at an offset in pixels from a point, its right end there (the text ends
    /// at the point, so it stays inside the plot at the far edge).
    Label((f64, f64), (i32, i32), String, VPos),
}

fn paint<DB: DrawingBackend, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    shapes: Vec<Shape>,
) -> DrawResult {
    for s in shapes {
        match s {
            Shape::Rect(a, b, c) => chart.draw_series(std::iter::once(Rectangle::new([a, b], c.filled()))).map(|_| ()),
            Shape::Dot(p, r, c) => chart.draw_series(std::iter::once(Circle::new(p, r, c.filled()))).map(|_| ()),
            Shape::Ring(p, r, c) => {
                chart.draw_series(std::iter::once(Circle::new(p, r, c.stroke_width(2)))).map(|_| ())
            }
            Shape::Path(v, c, w) => {
                chart.draw_series(std::iter::once(PathElement::new(v, c.stroke_width(w)))).map(|_| ())
            }
            Shape::Dashed(v, c) => chart.draw_series(DashedLineSeries::new(v, 10, 6, c.stroke_width(2))).map(|_| ()),
            Shape::Cap(p, across, c) => {
                let ends = if across { vec![(0, -7), (0, 7)] } else { vec![(-7, 0), (7, 0)] };
                chart
                    .draw_series(std::iter::once(EmptyElement::at(p) + PathElement::new(ends, c.stroke_width(2))))
                    .map(|_| ())
            }
            Shape::Label(p, off, text, v) => {
                let style = font(TICK).color(&REF).pos(Pos::new(HPos::Right, v));
                chart.draw_series(std::iter::once(EmptyElement::at(p) + Text::new(text, off, style))).map(|_| ())
            }
        }
        .map_err(err)?;
    }
    Ok(())
}

fn rgba(c: RGBColor, alpha: f64) -> RGBAColor {
    c.mix(alpha)
}

/// Whisker marks: a line from `lo` to `hi` at category position `c`, with caps.
/// Nothing for an interval of zero width (a value that does not vary).
fn whisker_shapes(horizontal: bool, c: f64, lo: f64, hi: f64, col: RGBAColor) -> Vec<Shape> {
    if lo == hi {
        return vec![];
    }
    vec![
        Shape::Path(vec![at(horizontal, c, lo), at(horizontal, c, hi)], col, 2),
        Shape::Cap(at(horizontal, c, lo), horizontal, col),
        Shape::Cap(at(horizontal, c, hi), horizontal, col),
    ]
}

fn ref_shapes(horizontal: bool, refs: &[RefLine], n: usize) -> Vec<Shape> {
    let (c0, c1) = (-0.5, n as f64 - 0.5);
    let mut v = Vec::new();
    for r in refs {
        v.push(Shape::Dashed(vec![at(horizontal, c0, r.value), at(horizontal, c1, r.value)], rgba(REF, 1.0)));
        // Left of the top end of a vertical line; above the far end of a horizontal one,
        // where the first categories' data are not.
        if horizontal {
            v.push(Shape::Label(at(true, c1, r.value), (-8, 2), r.label.clone(), VPos::Top));
        } else {
            v.push(Shape::Label((c1, r.value), (-8, -4), r.label.clone(), VPos::Bottom));
        }
    }
    v
}

/// Category label formatter: names, or ranks when `label_categories` is false; with
/// horizontal plots the first category is at the top.
fn category_labels(categories: &[String], horizontal: bool, label_categories: bool) -> impl Fn(&f64) -> String + '_ {
    let n = categories.len();
    move |v: &f64| {
        let i = v.round().max(0.0) as usize;
        let c = if horizontal { n.saturating_sub(1 + i) } else { i };
        if c >= n {
            String::new()
        } else if label_categories {
            categories[c].clone()
        } else {
            format!("{}", c + 1)
        }
    }
}

fn position(horizontal: bool, n: usize, c: usize) -> f64 {
    if horizontal { (n - 1 - c) as f64 } else { c as f64 }
}

fn label_width(categories: &[String]) -> i32 {
    (categories.iter().map(|c| text_width(c, TICK)).max().unwrap_or(0) + 30).clamp(80, 380)
}

/// Room for category labels and the axis title beside them, at most `max` pixels.
fn label_width_up_to(categories: &[String], max: i32) -> i32 {
    (categories.iter().map(|c| text_width(c, TICK)).max().unwrap_or(0) + 44).clamp(80, max)
}

fn stacked<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, Shift>,
    categories: &[String],
    stacks: &[(String, Vec<f64>)],
    marker: &Option<(String, Vec<Option<Interval>>)>,
    horizontal: bool,
) -> DrawResult {
    let n = categories.len();
    // Each bar: positives stack out from 0, negatives the other way.
    let mut shapes = Vec::new();
    let mut extent = Vec::new();
    let half = 0.32;
    for c in 0..n {
        let x = position(horizontal, n, c);
        let (mut up, mut down) = (0.0f64, 0.0f64);
        for (s, (_, v)) in stacks.iter().enumerate() {
            let val = v.get(c).copied().unwrap_or(0.0);
            if !val.is_finite() || val == 0.0 {
                continue;
            }
            let (from, to) = if val > 0.0 {
                up += val;
                (up - val, up)
            } else {
                down += val;
                (down - val, down)
            };
            shapes.push(Shape::Rect(
                at(horizontal, x - half, from),
                at(horizontal, x + half, to),
                rgba(colour(s), 1.0),
            ));
        }
        extent.extend([up, down]);
    }
    shapes.push(Shape::Path(vec![at(horizontal, -0.5, 0.0), at(horizontal, n as f64 - 0.5, 0.0)], rgba(INK, 1.0), 1));
    if let Some((_, v)) = marker {
        for (c, i) in v.iter().enumerate() {
            if let Some(i) = i {
                let x = position(horizontal, n, c);
                extent.extend([i.lo, i.hi, i.mid]);
                shapes.extend(whisker_shapes(horizontal, x, i.lo, i.hi, rgba(INK, 1.0)));
                shapes.push(Shape::Dot(at(horizontal, x, i.mid), 7, rgba(INK, 1.0)));
                shapes.push(Shape::Ring(at(horizontal, x, i.mid), 7, rgba(WHITE, 1.0)));
            }
        }
    }
    let vr = value_range(extent.into_iter(), true);
    let format = category_labels(categories, horizontal, true);
    let labels = CatLabels { count: n, format: &format, width: label_width(categories) };
    categorical(fig, area, n, vr, horizontal, labels, shapes)
}

#[allow(clippy::too_many_arguments)]
fn dots<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, Shift>,
    categories: &[String],
    n_series: usize,
    rows: &[DotRow],
    refs: &[RefLine],
    horizontal: bool,
    label_categories: bool,
    zero: bool,
) -> DrawResult {
    let n = categories.len();
    let vals = rows
        .iter()
        .flat_map(|r| [r.estimate.mid, r.estimate.lo, r.estimate.hi].into_iter().chain(r.points.iter().copied()));
    let vr = value_range(vals.chain(refs.iter().map(|r| r.value)), zero);
    let k = n_series.max(1);
    let dodge = |s: usize| if k > 1 { (s as f64 - (k - 1) as f64 / 2.0) * (0.6 / k as f64) } else { 0.0 };
    let mut shapes = ref_shapes(horizontal, refs, n);
    if zero && vr.start < 0.0 && vr.end > 0.0 {
        shapes.push(Shape::Path(
            vec![at(horizontal, -0.5, 0.0), at(horizontal, n as f64 - 0.5, 0.0)],
            rgba(INK, 1.0),
            1,
        ));
    }
    for r in rows {
        // Series run top to bottom (left to right) in legend order.
        let d = dodge(r.series);
        let x = position(horizontal, n, r.category) + if horizontal { -d } else { d };
        let col = colour(r.series);
        for (j, &v) in r.points.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            // Replications are spread a little across the category so they do not sit
            // on one another; the offsets are fixed, not random.
            let jitter = ((j % 7) as f64 - 3.0) * 0.035;
            shapes.push(Shape::Dot(at(horizontal, x + jitter, v), 3, rgba(col, 0.35)));
        }
        shapes.extend(whisker_shapes(horizontal, x, r.estimate.lo, r.estimate.hi, rgba(col, 1.0)));
        shapes.push(Shape::Dot(at(horizontal, x, r.estimate.mid), 6, rgba(col, 1.0)));
    }
    let format = category_labels(categories, horizontal, label_categories);
    let max_labels = if label_categories { n } else { 12 };
    let width = if label_categories { label_width(categories) } else { 96 };
    categorical(fig, area, n, vr, horizontal, CatLabels { count: max_labels, format: &format, width }, shapes)
}

/// Side-by-side bars from zero: within a category, series run top to bottom (left to
/// right) in legend order.
fn bars<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, Shift>,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    horizontal: bool,
) -> DrawResult {
    let n = categories.len();
    let k = series.len().max(1);
    let width = 0.7 / k as f64;
    let mut shapes = Vec::new();
    let mut extent = vec![0.0];
    for (s, (_, values)) in series.iter().enumerate() {
        let offset = (s as f64 - (k - 1) as f64 / 2.0) * width;
        for (c, &v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            let x = position(horizontal, n, c) + if horizontal { -offset } else { offset };
            extent.push(v);
            shapes.push(Shape::Rect(
                at(horizontal, x - width * 0.45, 0.0),
                at(horizontal, x + width * 0.45, v),
                rgba(colour(s), 1.0),
            ));
        }
    }
    shapes.push(Shape::Path(vec![at(horizontal, -0.5, 0.0), at(horizontal, n as f64 - 0.5, 0.0)], rgba(INK, 1.0), 1));
    let vr = value_range(extent.into_iter(), true);
    let format = category_labels(categories, horizontal, true);
    // Tornado labels carry a parameter and its two values: give them room.
    let labels = CatLabels { count: n, format: &format, width: label_width_up_to(categories, 500) };
    categorical(fig, area, n, vr, horizontal, labels, shapes)
}

/// The colour of a heat-map cell at `t` in [0, 1]: from a pale tint of Okabe–Ito blue
/// (never white, so a cell is always seen) to the full blue.
fn ramp(t: f64) -> RGBColor {
    let t = 0.12 + 0.88 * t.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * t).round() as u8;
    let RGBColor(r, g, b) = PALETTE[0];
    RGBColor(mix(r), mix(g), mix(b))
}

/// Text for a heat-map cell: about three significant figures.
fn cell_text(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        tick(v.round())
    } else if a >= 10.0 {
        tick((v * 10.0).round() / 10.0)
    } else {
        tick((v * 100.0).round() / 100.0)
    }
}

fn heat<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, Shift>,
    columns: &[String],
    rows: &[String],
    cells: &[Vec<Option<f64>>],
) -> DrawResult {
    let (nx, ny) = (columns.len(), rows.len());
    let mut chart = build(area, Cat(nx), Cat(ny), label_width(rows).min(160))?;
    let x_format = category_labels(columns, false, true);
    let y_format = category_labels(rows, false, true);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(fig.x_label.clone())
        .y_desc(fig.y_label.clone())
        .axis_desc_style(font(AXIS))
        .label_style(font(TICK))
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .draw()
        .map_err(err)?;
    let values: Vec<f64> = cells.iter().flatten().flatten().copied().collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (r, row) in cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (x, y) = (c as f64, r as f64);
            let Some(v) = cell else {
                let style = font(TICK).color(&GREY).pos(Pos::new(HPos::Center, VPos::Center));
                chart
                    .draw_series(std::iter::once(EmptyElement::at((x, y)) + Text::new("NA", (0, 0), style)))
                    .map_err(err)?;
                continue;
            };
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.49, y - 0.49), (x + 0.49, y + 0.49)],
                    ramp(t).filled(),
                )))
                .map_err(err)?;
            let ink = if t > 0.55 { WHITE } else { INK };
            let style = font(LEGEND).color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(EmptyElement::at((x, y)) + Text::new(cell_text(*v), (0, 0), style)))
                .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_like_numbers() {
        assert_eq!(tick(1234567.0), "1,234,567");
        assert_eq!(tick(-2500.0), "−2,500");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(12.0), "12");
        assert_eq!(tick(0.0), "0");
    }

    #[test]
    fn heat_ramp_is_never_white_and_darkens() {
        assert_ne!(ramp(0.0), WHITE);
        assert_eq!(ramp(1.0), PALETTE[0]);
        assert!(ramp(0.2).0 > ramp(0.8).0);
        assert_eq!(cell_text(1234.56), "1,235");
        assert_eq!(cell_text(12.34), "12.3");
        assert_eq!(cell_text(0.1234), "0.12");
    }

    fn lines_figure(series: usize) -> Figure {
        use super::super::figure::Section;
        let point = |v: f64| Some(Point { mid: v, inner: None, outer: Some((v - 1.0, v + 1.0)) });
        Figure {
            name: "test".into(),
            section: Section::Market,
            title: "A title".into(),
            x_label: "Financial year".into(),
            y_label: "Share (%)".into(),
            note: "A note.".into(),
            caption: "Scenario test · 2 replications · seed 1".into(),
            plot: Plot::Lines {
                categories: vec!["2007/08".into(), "2008/09".into()],
                x: None,
                series: (0..series)
                    .map(|i| LineSeries {
                        name: format!("provider_{i:02}"),
                        spread: Spread::Whiskers,
                        points: vec![point(i as f64), point(i as f64 + 0.5)],
                    })
                    .collect(),
                refs: vec![],
                zero: true,
            },
        }
    }

    #[test]
    fn a_long_legend_is_cut_short_and_says_so() {
        let svg = svg(&lines_figure(40)).unwrap();
        assert!(svg.contains("provider_00"));
        assert!(!svg.contains("provider_39"), "the last entries are not drawn off the chart");
        assert!(svg.contains("… and "), "the entries left out are counted");
        let svg = svg_of(3);
        assert!(svg.contains("provider_02") && !svg.contains("… and"));
    }

    fn svg_of(series: usize) -> String {
        svg(&lines_figure(series)).unwrap()
    }

    #[test]
    fn same_figure_same_bytes() {
        assert_eq!(svg_of(3), svg_of(3));
        assert_eq!(png(&lines_figure(3)).unwrap(), png(&lines_figure(3)).unwrap());
    }

    #[test]
    fn a_spaced_axis_places_numeric_categories_in_proportion() {
        assert_eq!(Spaced::new(3, Some(&[0.0, 0.25, 1.0])).0, vec![0.0, 0.5, 2.0]);
        let even = vec![0.0, 1.0, 2.0];
        assert_eq!(Spaced::new(3, None).0, even);
        assert_eq!(Spaced::new(3, Some(&[2.0, 1.0, 3.0])).0, even, "out of order: evenly, as given");
        assert_eq!(Spaced::new(3, Some(&[1.0, 1.0, 1.0])).0, even, "all equal");
        assert_eq!(Spaced::new(3, Some(&[0.0, f64::NAN, 1.0])).0, even);
        assert_eq!(Spaced::new(3, Some(&[0.0, 1.0])).0, even, "one value per category or none");
        let s = Spaced::new(3, Some(&[0.0, 0.25, 1.0]));
        assert_eq!((s.nearest(0.4), s.nearest(1.4), s.nearest(5.0)), (1, 2, 2));
        assert_eq!(s.range(), Cat(3).range());
    }

    #[test]
    fn category_axis_ticks_on_categories() {
        let c = Cat(4);
        assert_eq!(c.key_points(10usize), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(c.key_points(2usize), vec![0.0, 2.0]);
        assert_eq!(c.map(&0.0, (0, 400)), 50);
        assert_eq!(c.map(&3.0, (0, 400)), 350);
    }
}
