//! Where a referred patient is treated: the GP's default provider, or the patient's
//! choice among a choice set by multinomial logit.
//!
//! A referred patient is offered a choice with probability `offered_share` (unless the
//! policy is `none`); otherwise they go to the GP's default, the nearest open provider
//! offering the service line. A patient who is offered a choice picks provider `k` of
//! the choice set `C` with probability
//!
//! ```text
//! P(k) = exp(V_k) / Σ_{j ∈ C} exp(V_j)
//! V_k  = β_d d_k + β_d2 d_k² + β_w W_k + β_r R_k + β_m M_k + β_h H_k + α_kind(k) + β_gp [k = default]
//! ```
//!
//! with `d` the distance in km, `W` the provider's *published* wait (a lagged rolling
//! mean, see `waiting_list`), `R`, `M`, `H` its readmission rate, mortality and health
//! gain, and `α` a constant per provider kind (Gutacker et al. 2016; the brief, Patient
//! choice). Everything but `W` is fixed per (practice, line, provider) and computed once
//! per model; `W` changes when providers publish, so the cumulative probabilities of a
//! (practice, line) are recomputed lazily, only when a published wait or the set of
//! open providers has changed since they were last used. Sampling is exact (inverse CDF
//! over the cumulative weights) and allocates nothing.
//!
//! With `max_candidates = k` only the `k` nearest providers of each (practice, line)
//! are kept (selected once, when the model is built), so a referral costs O(k) however
//! many providers the economy has; every policy then works within those `k`.

use super::config::{ChoicePolicy, Config};
use crate::engine::{prefetch, prefetch_range};

/// A provider's offer on one service line, flattened across providers: the unit that
/// owns a waiting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRef {
    pub provider: usize,
    pub line: usize,
    /// Index into that provider's `services`.
    pub within: usize,
    /// The provider's facts that each unit of activity needs, copied here from its
    /// configuration: this record is read anyway, and the provider's configuration
    /// would be another cache miss in a large economy. Paid by PbR tariff (not a block
    /// contract)?
    pub pbr: bool,
    /// A community service (outside the 18-week standard)?
    pub community: bool,
}

/// Straight-line distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// One candidate provider service for a (practice, line), in order of distance.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    service: u32,
    distance_km: f64,
    independent: bool,
    /// The utility terms that do not change during a run.
    fixed_utility: f64,
}

/// The choice model's fixed part, built once per model and shared by replications.
#[derive(Debug, Clone)]
pub struct Choice {
    lines: usize,
    policy: ChoicePolicy,
    offered_share: f64,
    wait_per_day: f64,
    gp_recommendation: f64,
    /// Per (practice, line): the range of `candidates` offering that line.
    ranges: Vec<(u32, u32)>,
    candidates: Vec<Candidate>,
}

/// The choice model's state in one replication: which services are open, their
/// published waits, and the cached cumulative weights.
#[derive(Debug, Clone)]
pub struct ChoiceState {
    open: Vec<bool>,
    published: Vec<f64>,
    version: u32,
    cached: Vec<u32>,
    cumulative: Vec<f64>,
}

/// The outcome of one referral's choice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chosen {
    pub service: usize,
    pub distance_km: f64,
    /// The patient was offered a choice.
    pub offered: bool,
    /// The patient goes to the nearest open provider offering the line.
    pub nearest: bool,
}

/// The distance part of a provider's utility, `b·d + c·d²`, held at its value at the
/// turning point `d* = −b / 2c` beyond it when the quadratic turns back up (`b < 0 <
/// c`, as in Gutacker et al. 2016, where d* = 66 km). The quadratic is estimated on
/// patients who travel far less than that; extrapolated, it would make a distant
/// provider *more* attractive the further away it is.
pub fn distance_utility(b: f64, c: f64, d: f64) -> f64 {
    let d = if b < 0.0 && c > 0.0 { d.min(-b / (2.0 * c)) } else { d };
    b * d + c * d * d
}

impl Choice {
    pub fn new(config: &Config, services: &[ServiceRef]) -> Self {
        let lines = config.lines.len();
        let u = &config.choice.utility;
        // Per line, the services that may be candidates (never a community service).
        let mut by_line: Vec<Vec<u32>> = vec![Vec::new(); lines];
        for (i, s) in services.iter().enumerate() {
            if !config.providers[s.provider].community {
                by_line[s.line].push(i as u32);
            }
        }
        let keep = config.choice.max_candidates.unwrap_or(usize::MAX);
        let mut ranges = Vec::with_capacity(config.practices.len() * lines);
        let mut candidates = Vec::new();
        // Reused for every (practice, line): no allocation per pair.
        let mut here: Vec<(f64, u32)> = Vec::new();
        // A practice's distance to each provider, computed once for all its lines (a
        // provider offers several): England's build did 61 million `hypot`s, 0.4 s.
        let mut to_provider: Vec<f64> = Vec::with_capacity(config.providers.len());
        for p in &config.practices {
            to_provider.clear();
            to_provider.extend(config.providers.iter().map(|pr| distance_km((p.x_km, p.y_km), (pr.x_km, pr.y_km))));
            for of_line in &by_line {
                let start = candidates.len() as u32;
                here.clear();
                here.extend(of_line.iter().map(|&i| (to_provider[services[i as usize].provider], i)));
                // Nearest first; ties keep the order providers are listed in. With a
                // bound, select the nearest `keep` in linear time before sorting them.
                let by = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if here.len() > keep {
                    here.select_nth_unstable_by(keep - 1, by);
                    here.truncate(keep);
                }
                here.sort_by(by);
                candidates.extend(here.iter().map(|&(d, i)| {
                    let pr = &config.providers[services[i as usize].provider];
                    let q = &pr.quality;
                    Candidate {
                        service: i,
                        distance_km: d,
                        independent: pr.kind.is_independent(),
                        fixed_utility: distance_utility(u.distance_per_km, u.distance_sq_per_km2, d)
                            + u.readmission_per_pct * q.readmission_pct
                            + u.mortality_per_pct * q.mortality_pct
                            + u.health_gain_per_point * q.health_gain
                            + u.kind[pr.kind as usize],
                    }
                }));
                ranges.push((start, candidates.len() as u32));
            }
        }
        Self {
            lines,
            policy: config.choice.policy,
            offered_share: config.choice.offered_share,
            wait_per_day: config.choice.utility.wait_per_day,
            gp_recommendation: config.choice.utility.gp_recommendation,
            ranges,
            candidates,
        }
    }

    /// A fresh state: every service open, with the given published waits.
    pub fn state(&self, published: Vec<f64>) -> ChoiceState {
        ChoiceState {
            open: vec![true; published.len()],
            published,
            version: 1,
            cached: vec![0; self.ranges.len()],
            cumulative: vec![0.0; self.candidates.len()],
        }
    }

    fn range(&self, practice: usize, line: usize) -> std::ops::Range<usize> {
        let (a, b) = self.ranges[practice * self.lines + line];
        a as usize..b as usize
    }

    /// The GP's default for `practice` on `line` when every service is open: the
    /// nearest provider offering the line, or `None` if none does.
    pub fn nearest(&self, practice: usize, line: usize) -> Option<usize> {
        self.candidates[self.range(practice, line)].first().map(|c| c.service as usize)
    }

    /// Candidate services over all (practice, line) pairs: the size of the choice
    /// tables, which with `choice.max_candidates` grow with practices, not with
    /// practices × providers.
    pub fn candidate_count(&self) -> usize {
        self.candidates.len()
    }

    /// Services a patient of `practice` may be offered on `line` with every service
    /// open, in order of distance (for reports and tests).
    pub fn choice_set(&self, practice: usize, line: usize) -> Vec<usize> {
        let st = self.state(vec![0.0; self.candidates.iter().map(|c| c.service as usize + 1).max().unwrap_or(0)]);
        let r = self.range(practice, line);
        self.candidates[r.clone()]
            .iter()
            .enumerate()
            .filter(|(i, _)| self.eligible(&st, r.clone(), *i))
            .map(|(_, c)| c.service as usize)
            .collect()
    }

    /// Whether candidate `i` (relative to `r`) belongs to the choice set under the
    /// policy, given which services are open.
    fn eligible(&self, st: &ChoiceState, r: std::ops::Range<usize>, i: usize) -> bool {
        let cands = &self.candidates[r];
        let open = |c: &Candidate| st.open[c.service as usize];
        if !open(&cands[i]) {
            return false;
        }
        match self.policy {
            ChoicePolicy::None => cands.iter().position(open) == Some(i),
            ChoicePolicy::Free => true,
            ChoicePolicy::FourPlus => {
                // The four nearest open providers...
                let rank = cands[..i].iter().filter(|c| open(c)).count();
                if rank < 4 {
                    return true;
                }
                // ...plus the nearest open independent one if none of those four is.
                let four_have_independent = cands.iter().filter(|c| open(c)).take(4).any(|c| c.independent);
                !four_have_independent && cands[i].independent && !cands[..i].iter().any(|c| open(c) && c.independent)
            }
        }
    }

    fn refresh(&self, st: &mut ChoiceState, key: usize, r: std::ops::Range<usize>) {
        let default = self.candidates[r.clone()].iter().position(|c| st.open[c.service as usize]);
        let utility = |i: usize, c: &Candidate| {
            c.fixed_utility
                + self.wait_per_day * st.published[c.service as usize]
                + if Some(i) == default { self.gp_recommendation } else { 0.0 }
        };
        let n = r.len();
        let max = (0..n)
            .filter(|&i| self.eligible(st, r.clone(), i))
            .map(|i| utility(i, &self.candidates[r.start + i]))
            .fold(f64::NEG_INFINITY, f64::max);
        let mut acc = 0.0;
        for i in 0..n {
            if self.eligible(st, r.clone(), i) {
                acc += (utility(i, &self.candidates[r.start + i]) - max).exp();
            }
            st.cumulative[r.start + i] = acc;
        }
        st.cached[key] = st.version;
    }

    /// Where a referral of `practice` on `line` goes, from two uniform draws: `u_offer`
    /// decides whether a choice is offered, `u_pick` which provider is picked. Both are
    /// always drawn by the caller, so that policies differ only in what they do with
    /// the same numbers (common random numbers). `None` if no open provider offers the
    /// line.
    pub fn choose(
        &self,
        st: &mut ChoiceState,
        practice: usize,
        line: usize,
        u_offer: f64,
        u_pick: f64,
    ) -> Option<Chosen> {
        let key = practice * self.lines + line;
        let r = self.range(practice, line);
        let cands = &self.candidates[r.clone()];
        let nearest = cands.iter().position(|c| st.open[c.service as usize])?;
        let offered = self.policy != ChoicePolicy::None && u_offer < self.offered_share;
        let pick = if offered {
            if st.cached[key] != st.version {
                self.refresh(st, key, r.clone());
            }
            let cum = &st.cumulative[r.clone()];
            let total = cum[cum.len() - 1];
            let target = u_pick * total;
            // The first candidate whose cumulative weight exceeds the target; a
            // candidate with zero weight never satisfies this strictly.
            cum.iter().position(|&c| c > target).unwrap_or(nearest)
        } else {
            nearest
        };
        let c = cands[pick];
        Some(Chosen { service: c.service as usize, distance_km: c.distance_km, offered, nearest: pick == nearest })
    }

    /// The closed-form choice probabilities of `practice` on `line` in state `st`, per
    /// candidate service (for tests and reports).
    pub fn probabilities(&self, st: &mut ChoiceState, practice: usize, line: usize) -> Vec<(usize, f64)> {
        let key = practice * self.lines + line;
        let r = self.range(practice, line);
        self.refresh(st, key, r.clone());
        let cum = &st.cumulative[r.clone()];
        let total = cum[cum.len() - 1];
        let mut prev = 0.0;
        self.candidates[r]
            .iter()
            .zip(cum)
            .map(|(c, &x)| {
                let p = (x - prev) / total;
                prev = x;
                (c.service as usize, p)
            })
            .collect()
    }
}

impl ChoiceState {
    /// A provider service published a new wait.
    pub fn publish(&mut self, service: usize, wait_days: f64) {
        if self.published[service] != wait_days {
            self.published[service] = wait_days;
            self.version = self.version.wrapping_add(1).max(1);
        }
    }

    /// A provider service closed (its provider left the market).
    pub fn close(&mut self, service: usize) {
        self.open[service] = false;
        self.version = self.version.wrapping_add(1).max(1);
    }

    /// A provider service opened (its provider entered the market).
    pub fn open(&mut self, service: usize) {
        self.open[service] = true;
        self.version = self.version.wrapping_add(1).max(1);
    }

    /// Whether a service is open.
    pub fn is_open(&self, service: usize) -> bool {
        self.open[service]
    }
}

impl Choice {
    /// Asks for where the choice set of (practice, line) pair `key` (`practice × lines
    /// + line`) lies: what [`Choice::prefetch`] reads. Changes nothing.
    #[inline]
    pub fn prefetch_location(&self, key: usize) {
        prefetch(&self.ranges, key);
    }

    /// Asks for the memory [`Choice::choose`] will read for pair `key`: its
    /// candidates, their cached weights and whether those are current. Reads where
    /// they lie, so it is best run once [`Choice::prefetch_location`] has brought that
    /// in. Changes nothing.
    #[inline]
    pub fn prefetch(&self, st: &ChoiceState, key: usize) {
        prefetch(&st.cached, key);
        if let Some(&(a, b)) = self.ranges.get(key) {
            let r = a as usize..b as usize;
            prefetch_range(&self.candidates, r.clone());
            prefetch_range(&st.cumulative, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::distance_utility;

    #[test]
    fn distance_never_becomes_attractive() {
        let (b, c) = (-0.265, 0.002);
        let turn = 0.265 / 0.004; // 66.25 km
        assert_eq!(distance_utility(b, c, 10.0), b * 10.0 + c * 100.0);
        let at_turn = distance_utility(b, c, turn);
        assert_eq!(distance_utility(b, c, 200.0), at_turn);
        // Non-increasing in distance everywhere.
        let mut last = f64::INFINITY;
        for k in 0..400 {
            let u = distance_utility(b, c, k as f64);
            assert!(u <= last, "utility rose at {k} km");
            last = u;
        }
        // A concave or linear form is left alone.
        assert_eq!(distance_utility(-0.1, -0.001, 500.0), -0.1 * 500.0 - 0.001 * 250_000.0);
    }
}
