//! What a chart shows, apart from how it is drawn: a [`Figure`] is data in display
//! units (£ million, %, days) plus words, and [`render`](super::render) turns any
//! figure into SVG or PNG with one house style.
//!
//! Keeping the chart catalogue ([`charts`](super::charts)) to building figures means a
//! new chart, such as a sweep's response curve, is a function from the outputs to a
//! `Figure`; layout, fonts, palette and captions come for free and stay consistent.

/// One chart.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem under `charts/` (`waiting_list` → `waiting_list.png`, `.svg`).
    pub name: String,
    /// Section of the report it belongs to.
    pub section: Section,
    pub title: String,
    /// Axis titles, with units.
    pub x_label: String,
    pub y_label: String,
    /// How to read it, in one line: what the line, bands and whiskers are.
    pub note: String,
    /// Names the scenario, replications and seed.
    pub caption: String,
    pub plot: Plot,
}

/// Report sections, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Waiting,
    Money,
    Practices,
    Market,
    Comparison,
    Sweep,
}

impl Section {
    pub const ALL: [Section; 6] =
        [Section::Waiting, Section::Money, Section::Practices, Section::Market, Section::Comparison, Section::Sweep];

    pub fn title(self) -> &'static str {
        match self {
            Section::Waiting => "Waiting",
            Section::Money => "Money",
            Section::Practices => "Practices",
            Section::Market => "Market",
            Section::Comparison => "Comparison",
            Section::Sweep => "Sweep",
        }
    }
}

/// A value with an interval around it (a mean and its 95% CI, a median and a
/// percentile range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub mid: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A point of a line: its centre and up to two nested ranges around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub mid: f64,
    /// The narrower range (a fan's 50% band), if any.
    pub inner: Option<(f64, f64)>,
    /// The wider range (a fan's 90% band, or a 95% CI drawn as whiskers).
    pub outer: Option<(f64, f64)>,
}

/// How a line series shows its ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// Shaded bands (fan chart).
    Fan,
    /// Error bars at each point.
    Whiskers,
}

/// A series drawn over the categories of a [`Plot::Lines`].
#[derive(Debug, Clone)]
pub struct LineSeries {
    pub name: String,
    pub spread: Spread,
    /// One per category; `None` where there is no value.
    pub points: Vec<Option<Point>>,
}

/// A horizontal (or, in a horizontal dot plot, vertical) reference line: a target or
/// a figure from the domain brief.
#[derive(Debug, Clone)]
pub struct RefLine {
    pub value: f64,
    pub label: String,
}

/// A row of a [`Plot::Dots`].
#[derive(Debug, Clone)]
pub struct DotRow {
    /// Category index.
    pub category: usize,
    /// Series index (colour).
    pub series: usize,
    pub estimate: Interval,
    /// Individual values (one per replication) shown as small dots; may be empty.
    pub points: Vec<f64>,
}

/// The kinds of chart. Category axes are discrete (financial years, providers,
/// practices, metrics); value axes are continuous.
#[derive(Debug, Clone)]
pub enum Plot {
    /// Series over categories (usually years), each a line through its points with
    /// bands or whiskers. `x`, where the categories are numbers (a swept parameter's
    /// values), gives each category's value: the axis is then a number line, each
    /// category placed in proportion to its value rather than evenly, so a response
    /// curve keeps its shape.
    Lines { categories: Vec<String>, x: Option<Vec<f64>>, series: Vec<LineSeries>, refs: Vec<RefLine>, zero: bool },
    /// Stacked bars per category (negative parts stack the other way), with an
    /// optional marker series (an estimate with its interval per category) over them.
    /// `horizontal` as for `Dots`.
    Stacked {
        categories: Vec<String>,
        stacks: Vec<(String, Vec<f64>)>,
        marker: Option<(String, Vec<Option<Interval>>)>,
        horizontal: bool,
    },
    /// Estimates with intervals per category. `horizontal` puts categories on the
    /// vertical axis (first category at the top), for long names.
    /// `label_categories = false` numbers them instead (ranked practices).
    Dots {
        categories: Vec<String>,
        series: Vec<String>,
        rows: Vec<DotRow>,
        refs: Vec<RefLine>,
        horizontal: bool,
        label_categories: bool,
        zero: bool,
    },
    /// Side-by-side bars from zero per category, one bar per series (a tornado:
    /// categories are parameters, series their low and high values). `horizontal` as
    /// for `Dots`.
    Bars { categories: Vec<String>, series: Vec<(String, Vec<f64>)>, horizontal: bool },
    /// A grid of cells coloured by value (a sequential ramp of one Okabe–Ito hue, light
    /// to dark), each with its value written in it: `columns` across, `rows` up the
    /// vertical axis (first row at the bottom); `cells[row][column]`.
    Heat { columns: Vec<String>, rows: Vec<String>, cells: Vec<Vec<Option<f64>>> },
}

impl Plot {
    /// Names of the series shown in the legend, with their kind of mark.
    pub fn legend(&self) -> Vec<(String, Mark, usize)> {
        match self {
            Plot::Lines { series, .. } => series
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), if s.spread == Spread::Fan { Mark::Band } else { Mark::Line }, i))
                .collect(),
            Plot::Stacked { stacks, marker, .. } => {
                let mut v: Vec<_> = stacks.iter().enumerate().map(|(i, (n, _))| (n.clone(), Mark::Bar, i)).collect();
                if let Some((n, _)) = marker {
                    v.push((n.clone(), Mark::Marker, usize::MAX));
                }
                v
            }
            Plot::Dots { series, .. } => series.iter().enumerate().map(|(i, n)| (n.clone(), Mark::Marker, i)).collect(),
            Plot::Bars { series, .. } => {
                series.iter().enumerate().map(|(i, (n, _))| (n.clone(), Mark::Bar, i)).collect()
            }
            // The values are written in the cells: no legend.
            Plot::Heat { .. } => vec![],
        }
    }

    /// The number of data values the figure shows (0: nothing to draw).
    pub fn values(&self) -> usize {
        match self {
            Plot::Lines { series, .. } => series.iter().flat_map(|s| &s.points).filter(|p| p.is_some()).count(),
            Plot::Stacked { stacks, .. } => stacks.iter().flat_map(|(_, v)| v).filter(|x| x.is_finite()).count(),
            Plot::Dots { rows, .. } => rows.len(),
            Plot::Bars { series, .. } => series.iter().flat_map(|(_, v)| v).filter(|x| x.is_finite()).count(),
            Plot::Heat { cells, .. } => cells.iter().flatten().filter(|c| c.is_some()).count(),
        }
    }
}

/// A legend entry's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Line,
    Band,
    Bar,
    Marker,
}
