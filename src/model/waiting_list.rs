//! A provider's waiting lists for one service line: patients waiting for a first
//! outpatient attendance, and patients listed for elective admission. Each list is a
//! first-come-first-served multi-server station from the engine (emergency admissions
//! go ahead of elective ones, without interrupting anyone); service times are drawn
//! from the list's own random stream, so a change at one provider does not shift the
//! draws at another.
//!
//! The service also publishes its wait, as providers did on NHS Choices: the mean RTT
//! wait of the clock stops in a rolling window that ended some days before publication.
//! Patients choose on this published figure, not on the wait they will actually have,
//! so short published waits attract patients who then lengthen the waits.
//!
//! A waiting patient lives in its list and nowhere else: an entry is a [`Waiting`],
//! all that starting the patient's treatment needs, not an index into a table of
//! patients. Lists are served from the front and joined at the back, so the entries
//! touched are a few cache lines per list whatever the list's length; with indices,
//! each patient reaching the front cost a miss on its own record, one of millions in
//! a large economy (docs/performance.md).

use std::collections::VecDeque;

use crate::engine::{Sampler, Station, Stream};

use super::config::{Publish, Resource};
use super::pathway::Outcome;

/// A patient on a waiting list (16 bytes: four to a cache line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waiting {
    /// Day the referral-to-treatment clock started.
    pub referred_at: f64,
    /// The referring practice.
    pub practice: u32,
    pub outcome: Outcome,
}

const _: () = assert!(size_of::<Waiting>() == 16);

/// The lagged rolling mean of RTT waits that a service publishes.
#[derive(Debug, Clone)]
pub struct PublishedWait {
    /// Completed publication periods, oldest first: (sum of waits, clock stops).
    periods: VecDeque<(f64, u64)>,
    window: usize,
    lag: usize,
    current: (f64, u64),
    value: f64,
}

impl PublishedWait {
    /// Publishes `initial` until the first window has data.
    pub fn new(publish: &Publish, initial: f64) -> Self {
        let per = publish.update_days.max(1);
        let window = (publish.window_days / per).max(1) as usize;
        let lag = (publish.lag_days / per) as usize;
        Self { periods: VecDeque::with_capacity(window + lag), window, lag, current: (0.0, 0), value: initial }
    }

    /// A clock stopped after `wait` days.
    #[inline]
    pub fn record(&mut self, wait: f64) {
        self.current.0 += wait;
        self.current.1 += 1;
    }

    /// Closes the current period and publishes: the mean over the `window` periods
    /// before the most recent `lag` ones. With no clock stops in the window the last
    /// published figure stands.
    pub fn publish(&mut self) -> f64 {
        self.periods.push_back(std::mem::take(&mut self.current));
        if self.periods.len() > self.window + self.lag {
            self.periods.pop_front();
        }
        let usable = self.periods.len().saturating_sub(self.lag);
        let (sum, n) =
            self.periods.iter().take(usable).rev().take(self.window).fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if n > 0 {
            self.value = sum / n as f64;
        }
        self.value
    }

    /// The figure currently published.
    pub fn value(&self) -> f64 {
        self.value
    }
}

/// Which of a service's two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    FirstOutpatient = 0,
    Admission = 1,
}

/// The two waiting lists of one provider service.
#[derive(Debug, Clone)]
pub struct WaitingList {
    stations: [Station<Waiting>; 2],
    service_days: [Sampler; 2],
    rng: Stream,
    /// Busy server-days at the last snapshot, for per-year utilisation.
    busy_at_snapshot: [f64; 2],
    /// Servers each list started with (bounds for capacity responses).
    initial_servers: [u32; 2],
    pub published: PublishedWait,
}

/// Upper bound on a published wait, in days (ten years): keeps the logit finite when a
/// list has no servers at all.
const MAX_PUBLISHED_DAYS: f64 = 3652.5;

impl WaitingList {
    /// The lists of one service. Until data arrive it publishes the fluid estimate of
    /// the first-attendance wait, `initial_waiting / (servers / mean service days)`.
    pub fn new(
        outpatient: &Resource,
        admission: &Resource,
        rng: Stream,
        now: f64,
        publish: &Publish,
        initial_waiting: u32,
    ) -> Self {
        let rate = outpatient.servers as f64 / outpatient.service_days.mean().max(f64::MIN_POSITIVE);
        let initial = if initial_waiting == 0 { 0.0 } else { (initial_waiting as f64 / rate).min(MAX_PUBLISHED_DAYS) };
        Self {
            stations: [Station::new(outpatient.servers, now), Station::new(admission.servers, now)],
            service_days: [outpatient.service_days.clone(), admission.service_days.clone()],
            rng,
            busy_at_snapshot: [0.0; 2],
            initial_servers: [outpatient.servers, admission.servers],
            published: PublishedWait::new(publish, initial),
        }
    }

    /// The servers a list started with.
    pub fn initial_servers(&self, stage: Stage) -> u32 {
        self.initial_servers[stage as usize]
    }

    /// Sets a list's servers; returns the patients who start at once.
    pub fn set_servers(&mut self, stage: Stage, now: f64, servers: u32) -> Vec<Waiting> {
        self.stations[stage as usize].set_servers(now, servers)
    }

    /// Removes every waiting patient from a list (they are re-referred elsewhere).
    pub fn drain(&mut self, stage: Stage, now: f64) -> Vec<Waiting> {
        self.stations[stage as usize].drain_waiting(now)
    }

    /// The fluid estimate of a list's wait: patients waiting / completions per day.
    pub fn estimated_wait(&self, stage: Stage) -> f64 {
        let s = stage as usize;
        let rate = self.stations[s].servers() as f64 / self.service_days[s].mean().max(f64::MIN_POSITIVE);
        if rate > 0.0 { self.stations[s].waiting() as f64 / rate } else { MAX_PUBLISHED_DAYS }
    }

    /// A patient joins a list; `true` if a server was free and they start at once.
    #[inline]
    pub fn join(&mut self, stage: Stage, now: f64, patient: Waiting) -> bool {
        self.stations[stage as usize].arrive(now, patient).is_some()
    }

    /// A priority patient (an emergency admission) joins the admission list ahead of
    /// every elective patient, without interrupting anyone; `true` if they start at once.
    #[inline]
    pub fn join_priority(&mut self, now: f64, patient: Waiting) -> bool {
        self.stations[Stage::Admission as usize].arrive_priority(now, patient).is_some()
    }

    /// A service finishes. Returns the next patient to start on the freed server.
    /// `Err(())` means no server was busy: the caller's books are wrong.
    #[inline]
    #[allow(clippy::result_unit_err)]
    pub fn finish(&mut self, stage: Stage, now: f64) -> Result<Option<Waiting>, ()> {
        self.stations[stage as usize].complete(now)
    }

    /// A service time on a list, from the list's own stream.
    #[inline]
    pub fn service_time(&mut self, stage: Stage) -> f64 {
        self.service_days[stage as usize].sample(&mut self.rng)
    }

    /// Asks for a list's own record (its queue's ends), which
    /// [`WaitingList::prefetch_next`] and a completion read. Changes nothing.
    #[inline]
    pub fn prefetch_station(&self, stage: Stage) {
        crate::engine::prefetch(&self.stations, stage as usize);
    }

    /// Asks for the cache line of the patient the next completion on a list would
    /// start (see [`Station::prefetch_next`]).
    #[inline]
    pub fn prefetch_next(&self, stage: Stage) {
        self.stations[stage as usize].prefetch_next();
    }

    /// The patients waiting on a list, in the order they will be served.
    pub fn waiting_patients(&self, stage: Stage) -> impl Iterator<Item = &Waiting> {
        self.stations[stage as usize].queue()
    }

    /// Patients waiting (not yet in service) on a list.
    #[inline]
    pub fn waiting(&self, stage: Stage) -> usize {
        self.stations[stage as usize].waiting()
    }

    /// Patients in service on a list.
    #[inline]
    pub fn in_service(&self, stage: Stage) -> u32 {
        self.stations[stage as usize].busy()
    }

    /// Servers on a list.
    pub fn servers(&self, stage: Stage) -> u32 {
        self.stations[stage as usize].servers()
    }

    /// Busy server-days on each list since the last snapshot; starts a new period.
    pub fn take_busy_days(&mut self, now: f64) -> [f64; 2] {
        let mut out = [0.0; 2];
        for (s, o) in out.iter_mut().enumerate() {
            let (busy, _) = self.stations[s].areas(now);
            *o = busy - self.busy_at_snapshot[s];
            self.busy_at_snapshot[s] = busy;
        }
        out
    }
}
