//! A provider's waiting lists for one service line: patients waiting for a first
//! outpatient attendance, and patients listed for elective admission. Each list is a
//! first-come-first-served multi-server station from the engine; service times are
//! drawn from the list's own random stream, so a change at one provider does not shift
//! the draws at another.

use crate::engine::{Sampler, Station, Stream};

use super::config::Resource;

/// Which of a service's two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    FirstOutpatient = 0,
    Admission = 1,
}

/// The two waiting lists of one provider service.
#[derive(Debug, Clone)]
pub struct WaitingList {
    stations: [Station<u32>; 2],
    service_days: [Sampler; 2],
    rng: Stream,
    /// Busy server-days at the last snapshot, for per-year utilisation.
    busy_at_snapshot: [f64; 2],
}

impl WaitingList {
    pub fn new(outpatient: &Resource, admission: &Resource, rng: Stream, now: f64) -> Self {
        Self {
            stations: [Station::new(outpatient.servers, now), Station::new(admission.servers, now)],
            service_days: [outpatient.service_days.clone(), admission.service_days.clone()],
            rng,
            busy_at_snapshot: [0.0; 2],
        }
    }

    /// A patient joins a list. If a server is free they start at once: returns the
    /// service duration to schedule.
    #[inline]
    pub fn join(&mut self, stage: Stage, now: f64, patient: u32) -> Option<f64> {
        let s = stage as usize;
        self.stations[s].arrive(now, patient).map(|_| self.service_days[s].sample(&mut self.rng))
    }

    /// A service finishes. Returns the next patient to start, with their duration.
    /// `Err(())` means no server was busy: the caller's books are wrong.
    #[inline]
    #[allow(clippy::result_unit_err)]
    pub fn finish(&mut self, stage: Stage, now: f64) -> Result<Option<(u32, f64)>, ()> {
        let s = stage as usize;
        Ok(self.stations[s].complete(now)?.map(|next| (next, self.service_days[s].sample(&mut self.rng))))
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
