//! The GP's decision: when an episode needs a decision, treat it in primary care or
//! refer it to hospital.
//!
//! A practice refers with probability `min(1, p × m)`, where `p` is the service line's
//! referral probability and `m` the practice's referral multiplier. The multiplier
//! carries the observed variation between practices (PCT referral rates ran from −42%
//! to +52% of expected; domain brief, Activity). The cap at 1 only binds for extreme
//! multipliers and is reported by `validate` as part of the expected load.

use rand::RngExt;

use super::config::Config;

/// What the GP does with an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    TreatInPrimaryCare,
    ReferToHospital,
}

/// Referral probabilities per practice and service line, computed once per model.
#[derive(Debug, Clone)]
pub struct Gp {
    lines: usize,
    probability: Vec<f64>,
}

impl Gp {
    pub fn new(config: &Config) -> Self {
        let lines = config.lines.len();
        let probability = config
            .practices
            .iter()
            .flat_map(|p| {
                config.lines.iter().map(move |l| (l.referral_probability * p.referral_multiplier).clamp(0.0, 1.0))
            })
            .collect();
        Self { lines, probability }
    }

    /// The probability that `practice` refers an episode of `line`.
    #[inline]
    pub fn referral_probability(&self, practice: usize, line: usize) -> f64 {
        self.probability[practice * self.lines + line]
    }

    /// The decision for one episode, drawing from the practice's decision stream.
    #[inline]
    pub fn decide<R: rand::Rng>(&self, practice: usize, line: usize, rng: &mut R) -> Decision {
        if rng.random::<f64>() < self.referral_probability(practice, line) {
            Decision::ReferToHospital
        } else {
            Decision::TreatInPrimaryCare
        }
    }
}
