//! The replication's side of the patient's voice (rules in [`crate::model::voice`]):
//! dissatisfied patients sign petitions, petitions trigger reviews, failed reviews
//! lead to tenders, and tenders open the scenario's entry package.

use rand::RngExt;

use crate::model::ModelError;
use crate::model::choice::distance_km;
use crate::model::levers::Entry;
use crate::model::record::{MarketEvent, MarketEventKind, RTT_STANDARD_DAYS};
use crate::model::voice::Stage;

use super::{Event, Replication};

impl Replication<'_> {
    /// A clock stopped in year `y` for a patient of `practice` at `service` after
    /// `wait` days: the line's review statistics take it, and a dissatisfied patient
    /// may sign the line's petition.
    pub(super) fn patient_voice(
        &mut self,
        now: f64,
        practice: usize,
        service: usize,
        wait: f64,
        y: usize,
    ) -> Result<(), ModelError> {
        let m = self.m;
        let Some(v) = &m.config.voice else { return Ok(()) };
        let line = m.services[service].line;
        self.voice[line].stop(now, v.window_days, wait < RTT_STANDARD_DAYS);
        let (pr, pv) = (&m.config.practices[practice], &m.config.providers[m.services[service].provider]);
        let distance = distance_km((pr.x_km, pr.y_km), (pv.x_km, pv.y_km));
        if wait <= v.wait_threshold_days && distance <= v.distance_threshold_km {
            return Ok(());
        }
        if self.voice_rng[line].random::<f64>() >= v.sign_probability() {
            return Ok(());
        }
        self.years[y].signatures += 1;
        let threshold = v.threshold(m.config.population(), self.voice[line].users());
        if let Some(n) = self.voice[line].sign(now, v.window_days, threshold) {
            self.years[y].petitions += 1;
            self.line_event(now, MarketEventKind::Petition, line, n);
            self.q.schedule_at(now + v.review_days(), Event::ServiceReview(line as u32))?;
        }
        Ok(())
    }

    fn line_event(&mut self, now: f64, kind: MarketEventKind, line: usize, value: u64) {
        self.events.push(MarketEvent { time: now, kind, provider: None, service: None, line: Some(line), value });
    }

    /// The provider that a tender for `line` would open: the first listed with
    /// `entry = { tender = line }` that has not entered yet.
    fn bidder(&self, line: usize) -> Option<usize> {
        (0..self.providers.len()).find(|&p| {
            self.m.config.providers[p].entry == Entry::Tender { line } && self.providers[p].entered.is_none()
        })
    }

    /// The review of `line` reports: below the standard it is put out to tender.
    pub(super) fn review_service(&mut self, now: f64, line: usize) -> Result<(), ModelError> {
        let Some(v) = &self.m.config.voice else { return Ok(()) };
        let share = self.voice[line].within_share(now, v.window_days);
        let failed = share < v.standard_share;
        let per_mille = (share * 1000.0).round() as u64;
        if let Some(y) = self.year {
            self.years[y].reviews += 1;
            self.years[y].reviews_failed += u64::from(failed);
        }
        let kind = if failed { MarketEventKind::ReviewFailed } else { MarketEventKind::ReviewPassed };
        self.line_event(now, kind, line, per_mille);
        if !failed {
            self.voice[line].stage = Stage::Open;
            return Ok(());
        }
        self.voice[line].stage = Stage::Tendering;
        if let Some(y) = self.year {
            self.years[y].tenders += 1;
        }
        let bid = u64::from(self.bidder(line).is_some());
        self.line_event(now, MarketEventKind::Tender, line, bid);
        self.q.schedule_at(now + v.procurement_days, Event::TenderAwarded(line as u32))?;
        Ok(())
    }

    /// The procurement delay is over: the tender's provider opens (if there is one),
    /// and the line takes petitions again.
    pub(super) fn award_tender(&mut self, now: f64, line: usize) -> Result<(), ModelError> {
        self.voice[line].stage = Stage::Open;
        match self.bidder(line) {
            Some(p) => self.enter(now, p),
            None => Ok(()),
        }
    }
}
