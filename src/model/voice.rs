//! The patient's voice: petitions, reviews and tenders (domain brief, "Patient and
//! public involvement").
//!
//! A patient whose referral-to-treatment wait was beyond a threshold, or who was
//! treated further from their practice than a threshold, is dissatisfied; each such
//! patient signs a petition about that service line in their practice's PCT with a
//! probability (raised by LINks, which carry more views to the PCT). When the
//! signatures within a rolling window reach the trigger — 1% of the PCT's registered
//! population by default; 10% of the service's users, or a fixed number such as 250,
//! are the alternatives consulted on — the PCT must review the service. The review
//! reports after a delay (shorter with LINks: commissioners must answer within 20
//! days) and finds the service unsatisfactory when the share of the PCT's patients'
//! clock stops on the line within 18 weeks over the window is below the standard. An
//! unsatisfactory service is put out to tender; after the procurement delay the
//! scenario's entry package for that line (a provider with `entry = { tender = LINE }`,
//! led by the PCT) opens. One petition, review or tender per line in each PCT runs at
//! a time; the signatures start afresh after each petition. These are the rules of one
//! (PCT, line); the replication keeps one [`LineVoice`] per pair (`sim/voice.rs`).

use std::collections::VecDeque;

/// How many signatures trigger a review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// This share of the PCT's registered population.
    PopulationShare(f64),
    /// This share of the service's users: the PCT's patients whose clock stopped on
    /// the line within the window.
    UsersShare(f64),
    /// A fixed number of signatures.
    Fixed(u64),
}

/// Local Involvement Networks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Links {
    /// Multiplies the probability that a dissatisfied patient's view reaches the PCT.
    pub reach_factor: f64,
    /// Days from the trigger to the review's finding.
    pub review_days: f64,
}

/// The patient's voice.
#[derive(Debug, Clone, PartialEq)]
pub struct Voice {
    pub wait_threshold_days: f64,
    pub distance_threshold_km: f64,
    /// Probability a dissatisfied patient signs (before LINks).
    pub sign_probability: f64,
    pub trigger: Trigger,
    pub window_days: f64,
    /// Days from the trigger to the review's finding (without LINks).
    pub review_days: f64,
    /// A service is unsatisfactory when fewer than this share of its clock stops in
    /// the window were within 18 weeks.
    pub standard_share: f64,
    /// Days from the decision to tender to the new provider opening.
    pub procurement_days: f64,
    pub links: Option<Links>,
}

impl Voice {
    /// Probability a dissatisfied patient's signature reaches the PCT.
    pub fn sign_probability(&self) -> f64 {
        (self.sign_probability * self.links.map_or(1.0, |l| l.reach_factor)).clamp(0.0, 1.0)
    }

    /// Days from trigger to the review's finding.
    pub fn review_days(&self) -> f64 {
        self.links.map_or(self.review_days, |l| l.review_days)
    }

    /// Signatures needed, given the population and the service's users in the window.
    /// At least one.
    pub fn threshold(&self, population: u64, users: u64) -> u64 {
        let n = match self.trigger {
            Trigger::PopulationShare(s) => (s * population as f64).ceil(),
            Trigger::UsersShare(s) => (s * users as f64).ceil(),
            Trigger::Fixed(n) => n as f64,
        };
        (n as u64).max(1)
    }
}

/// Where a service line stands with the PCT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Collecting signatures.
    Open,
    /// A petition triggered a review that has not reported.
    UnderReview,
    /// Out to tender.
    Tendering,
}

/// One service line's petition in one PCT, and the clock stops (of the PCT's
/// patients on the line) a review looks at.
#[derive(Debug, Clone)]
pub struct LineVoice {
    signatures: VecDeque<f64>,
    /// `(time, within 18 weeks)` of the line's clock stops in the window.
    stops: VecDeque<(f64, bool)>,
    within: u64,
    pub stage: Stage,
}

impl Default for LineVoice {
    fn default() -> Self {
        Self { signatures: VecDeque::new(), stops: VecDeque::new(), within: 0, stage: Stage::Open }
    }
}

impl LineVoice {
    fn expire(&mut self, now: f64, window: f64) {
        while self.signatures.front().is_some_and(|&t| t <= now - window) {
            self.signatures.pop_front();
        }
        while let Some(&(t, w)) = self.stops.front().filter(|&&(t, _)| t <= now - window) {
            let _ = t;
            self.within -= u64::from(w);
            self.stops.pop_front();
        }
    }

    /// A clock stopped on the line.
    pub fn stop(&mut self, now: f64, window: f64, within_standard: bool) {
        self.expire(now, window);
        self.stops.push_back((now, within_standard));
        self.within += u64::from(within_standard);
    }

    /// Users of the service in the window (clock stops).
    pub fn users(&self) -> u64 {
        self.stops.len() as u64
    }

    /// Share of the window's clock stops within 18 weeks (1 when there were none).
    pub fn within_share(&mut self, now: f64, window: f64) -> f64 {
        self.expire(now, window);
        if self.stops.is_empty() { 1.0 } else { self.within as f64 / self.stops.len() as f64 }
    }

    /// A signature arrives at `now`. Returns the number of signatures when they reach
    /// `threshold` (the petition is presented and the count starts afresh), else `None`.
    /// Signatures only count while the line is open to petitions.
    pub fn sign(&mut self, now: f64, window: f64, threshold: u64) -> Option<u64> {
        if self.stage != Stage::Open {
            return None;
        }
        self.expire(now, window);
        self.signatures.push_back(now);
        let n = self.signatures.len() as u64;
        (n >= threshold).then(|| {
            self.signatures.clear();
            self.stage = Stage::UnderReview;
            n
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(trigger: Trigger) -> Voice {
        Voice {
            wait_threshold_days: 126.0,
            distance_threshold_km: 20.0,
            sign_probability: 0.1,
            trigger,
            window_days: 365.0,
            review_days: 90.0,
            standard_share: 0.9,
            procurement_days: 270.0,
            links: None,
        }
    }

    #[test]
    fn a_petition_triggers_exactly_at_the_threshold() {
        let mut l = LineVoice::default();
        for i in 0..249 {
            assert_eq!(l.sign(i as f64, 365.0, 250), None, "signature {}", i + 1);
        }
        assert_eq!(l.sign(249.0, 365.0, 250), Some(250));
        assert_eq!(l.stage, Stage::UnderReview);
        // Under review: further signatures do not count.
        assert_eq!(l.sign(250.0, 365.0, 1), None);
    }

    #[test]
    fn old_signatures_fall_out_of_the_window() {
        let mut l = LineVoice::default();
        assert_eq!(l.sign(0.0, 10.0, 2), None);
        // Day 10: the first signature is exactly a window old and no longer counts.
        assert_eq!(l.sign(10.0, 10.0, 2), None);
        assert_eq!(l.sign(19.0, 10.0, 2), Some(2));
    }

    #[test]
    fn thresholds_follow_the_trigger_and_links() {
        assert_eq!(voice(Trigger::PopulationShare(0.01)).threshold(310_001, 0), 3101);
        assert_eq!(voice(Trigger::UsersShare(0.1)).threshold(310_000, 1234), 124);
        assert_eq!(voice(Trigger::Fixed(250)).threshold(0, 0), 250);
        assert_eq!(voice(Trigger::UsersShare(0.1)).threshold(0, 0), 1);
        let mut v = voice(Trigger::Fixed(250));
        v.links = Some(Links { reach_factor: 3.0, review_days: 20.0 });
        assert!((v.sign_probability() - 0.3).abs() < 1e-12);
        assert_eq!(v.review_days(), 20.0);
    }

    #[test]
    fn the_review_measures_the_window() {
        let mut l = LineVoice::default();
        l.stop(0.0, 100.0, false);
        l.stop(50.0, 100.0, true);
        l.stop(60.0, 100.0, true);
        assert!((l.within_share(60.0, 100.0) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(l.within_share(120.0, 100.0), 1.0);
        assert_eq!(l.users(), 2);
    }
}
