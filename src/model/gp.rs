//! The GP's decision: when an episode needs a decision, treat it in primary care or
//! refer it to hospital.
//!
//! A practice refers with probability `min(1, p × m)`, where `p` is the service line's
//! referral probability and `m` the practice's referral multiplier. The multiplier
//! carries the observed variation between practices (PCT referral rates ran from −42%
//! to +52% of expected; domain brief, Activity). The cap at 1 only binds for extreme
//! multipliers and is reported by `validate` as part of the expected load.

use rand::RngExt;

use super::config::{Config, Practice, ServiceLine};

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
        Self::with_policy(config, &default_policy).expect("the default policy is always a probability")
    }

    /// The table from a referral policy: the probability that a practice refers an
    /// episode of a service line, evaluated once per (practice, line) when the model is
    /// built, so a custom policy costs nothing per event. Results are clamped to
    /// [0, 1]; a policy that returns NaN or an infinity is an error naming the pair.
    pub fn with_policy(config: &Config, policy: &dyn Fn(&Practice, &ServiceLine) -> f64) -> Result<Self, String> {
        let lines = config.lines.len();
        let mut probability = Vec::with_capacity(config.practices.len() * lines);
        for p in &config.practices {
            for l in &config.lines {
                let x = policy(p, l);
                if !x.is_finite() {
                    return Err(format!(
                        "the referral policy gave {x} for practice `{}` and service line `{}`; expected a probability",
                        p.name, l.name
                    ));
                }
                probability.push(x.clamp(0.0, 1.0));
            }
        }
        Ok(Self { lines, probability })
    }

    /// The probability that `practice` refers an episode of `line`.
    #[inline]
    pub fn referral_probability(&self, practice: usize, line: usize) -> f64 {
        self.probability[practice * self.lines + line]
    }
}

/// The decision for one episode whose referral probability is `probability` (from
/// [`Gp::referral_probability`]), drawing one uniform from the practice's decision
/// stream `rng`. The caller keeps the probability beside the stream (an arrival
/// stream does), so the decision reads no other record.
#[inline]
pub fn decide_with<R: rand::Rng>(probability: f64, rng: &mut R) -> Decision {
    if rng.random::<f64>() < probability { Decision::ReferToHospital } else { Decision::TreatInPrimaryCare }
}

/// The scenario's own rule: the line's referral probability × the practice's referral
/// multiplier (the table above clamps it to 1).
pub fn default_policy(practice: &Practice, line: &ServiceLine) -> f64 {
    line.referral_probability * practice.referral_multiplier
}
