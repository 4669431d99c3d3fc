//! The clinical pathway after referral: what happens at the first outpatient
//! attendance and how many follow-ups follow.
//!
//! At the first attendance a patient is discharged (share `discharge_after_first`,
//! about 30% in HES 2008-09), listed for admission (`decision_to_admit`, about 30% of
//! referrals), or else managed in outpatients with at least one follow-up. Follow-up
//! counts are `1 + Poisson(mean − 1)` for outpatient-managed patients and
//! `Poisson(mean)` after an admission, which sets the follow-up:first ratio (about
//! 2.2; domain brief, Activity).
//!
//! The outcome is drawn when the patient is referred, from the referring source's
//! clinical stream, so that under common random numbers the same patient has the same
//! clinical course whichever provider treats them.

use rand::RngExt;
use rand_distr::{Distribution, Poisson};

use super::config::ServiceLine;

/// How a referral ends at the first outpatient attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Discharged after one visit: a non-admitted clock stop.
    DischargedAfterFirst,
    /// Treated in outpatients (non-admitted clock stop at the first attendance), then
    /// `follow_ups` further attendances.
    Outpatient { follow_ups: u16 },
    /// Decision to admit; the clock stops at admission, then `follow_ups` attendances.
    Admitted { follow_ups: u16 },
    /// An emergency admission: not part of the elective pathway and never drawn by it.
    Emergency,
}

impl Outcome {
    /// Whether the clock stops at admission rather than at the first attendance.
    #[inline]
    pub fn is_admitted(self) -> bool {
        matches!(self, Outcome::Admitted { .. })
    }

    /// Whether this is an emergency admission (no RTT clock).
    #[inline]
    pub fn is_emergency(self) -> bool {
        matches!(self, Outcome::Emergency)
    }
}

/// A service line's outcome probabilities and follow-up count distributions.
#[derive(Debug, Clone)]
pub struct Pathway {
    discharge: f64,
    admit: f64,
    extra_outpatient: Option<Poisson<f64>>,
    admitted: Option<Poisson<f64>>,
}

fn poisson(mean: f64) -> Option<Poisson<f64>> {
    (mean > 0.0).then(|| Poisson::new(mean).expect("validated mean"))
}

fn count<R: rand::Rng>(d: &Option<Poisson<f64>>, rng: &mut R) -> u16 {
    d.as_ref().map_or(0, |d| d.sample(rng).min(u16::MAX as f64) as u16)
}

impl Pathway {
    pub fn new(line: &ServiceLine) -> Self {
        Self {
            discharge: line.discharge_after_first,
            admit: line.decision_to_admit,
            extra_outpatient: poisson(line.follow_ups_outpatient_mean - 1.0),
            admitted: poisson(line.follow_ups_admitted_mean),
        }
    }

    /// The outcome of a new referral.
    #[inline]
    pub fn draw<R: rand::Rng>(&self, rng: &mut R) -> Outcome {
        let u: f64 = rng.random();
        if u < self.discharge {
            Outcome::DischargedAfterFirst
        } else if u < self.discharge + self.admit {
            self.draw_admitted(rng)
        } else {
            Outcome::Outpatient { follow_ups: 1u16.saturating_add(count(&self.extra_outpatient, rng)) }
        }
    }

    /// The outcome of a patient already listed for admission.
    #[inline]
    pub fn draw_admitted<R: rand::Rng>(&self, rng: &mut R) -> Outcome {
        Outcome::Admitted { follow_ups: count(&self.admitted, rng) }
    }
}
