//! Where a referred patient is treated.
//!
//! For now every patient goes to the GP's default provider: the nearest provider that
//! offers the service line (straight-line distance; ties go to the provider listed
//! first). Patient choice among several providers replaces the body of [`Choice::choose`]
//! and nothing else.

use super::config::Config;

/// A provider's offer on one service line, flattened across providers: the unit that
/// owns a waiting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRef {
    pub provider: usize,
    pub line: usize,
    /// Index into that provider's `services`.
    pub within: usize,
}

/// The default provider of each practice for each service line.
#[derive(Debug, Clone)]
pub struct Choice {
    lines: usize,
    default: Vec<Option<u32>>,
}

/// Straight-line distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

impl Choice {
    pub fn new(config: &Config, services: &[ServiceRef]) -> Self {
        let lines = config.lines.len();
        let mut default = Vec::with_capacity(config.practices.len() * lines);
        for p in &config.practices {
            for line in 0..lines {
                let nearest = services
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.line == line)
                    .map(|(i, s)| {
                        let pr = &config.providers[s.provider];
                        (i, distance_km((p.x_km, p.y_km), (pr.x_km, pr.y_km)))
                    })
                    .fold(None::<(usize, f64)>, |best, (i, d)| match best {
                        Some((_, bd)) if bd <= d => best,
                        _ => Some((i, d)),
                    });
                default.push(nearest.map(|(i, _)| i as u32));
            }
        }
        Self { lines, default }
    }

    /// The service (index into the flattened services) that treats a patient of
    /// `practice` referred on `line`, or `None` if no provider offers the line.
    #[inline]
    pub fn choose(&self, practice: usize, line: usize) -> Option<usize> {
        self.default[practice * self.lines + line].map(|s| s as usize)
    }
}
