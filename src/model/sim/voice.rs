//! The replication's side of the patient's voice (rules in [`crate::model::voice`]):
//! dissatisfied patients sign petitions, petitions trigger reviews, failed reviews
//! lead to tenders, and tenders open the scenario's entry package.
//!
//! Everything is per (PCT, service line): a patient signs the petition about the line
//! in the PCT of their practice, that PCT's population (or its patients' use of the
//! line) sets the threshold, its review looks at its own patients' clock stops, and
//! its tender opens an entry package that it leads. With one PCT a (PCT, line) key is
//! the line itself, so the state, the random streams and every result are those of a
//! single PCT.

use rand::RngExt;

use crate::engine::{Stream, stream};
use crate::model::ModelError;
use crate::model::choice::distance_km;
use crate::model::config::Config;
use crate::model::levers::Entry;
use crate::model::record::{MarketEvent, MarketEventKind, RTT_STANDARD_DAYS};
use crate::model::voice::{LineVoice, Stage};

use super::{Event, Replication, process};

/// The patient's voice in one replication, per (PCT, service line) at the key
/// `pct × lines + line`. Empty without `[voice]`.
#[derive(Default)]
pub(super) struct VoiceState {
    /// Service lines in the economy: the stride of the keys.
    lines: usize,
    /// Per key, its petition and the clock stops its review looks at.
    petitions: Vec<LineVoice>,
    /// Per key, whether a dissatisfied patient signs: process `PETITIONS` keyed by
    /// the key, so with one PCT each line keeps the stream it always had (common
    /// random numbers with single-PCT runs).
    rng: Vec<Stream>,
}

impl VoiceState {
    /// The voice of a replication of `c` (empty without `[voice]`). Refuses an economy
    /// whose (PCT, line) keys do not fit the `u32` that review and tender events carry,
    /// so that [`carried`] never fails afterwards.
    pub(super) fn new(c: &Config, seed: u64, rep: u64) -> Result<Self, ModelError> {
        if c.voice.is_none() {
            return Ok(Self::default());
        }
        let keys = c.pcts.len().checked_mul(c.lines.len()).filter(|&k| u32::try_from(k).is_ok()).ok_or_else(|| {
            ModelError::Invariant(format!(
                "{} PCTs × {} service lines are more petitions than the patient's voice can key",
                c.pcts.len(),
                c.lines.len()
            ))
        })?;
        Ok(Self {
            lines: c.lines.len(),
            petitions: vec![LineVoice::default(); keys],
            rng: (0..keys).map(|k| stream(seed, rep, process::PETITIONS, k as u64)).collect(),
        })
    }

    /// The key of service line `line` in PCT `pct`.
    fn key(&self, pct: usize, line: usize) -> usize {
        pct * self.lines + line
    }

    /// The (PCT, line) of a key made by [`VoiceState::key`] (so `lines` > 0).
    fn split(&self, key: usize) -> (usize, usize) {
        (key / self.lines, key % self.lines)
    }
}

/// A key, or a PCT or line index (each at most the key), as an event carries it.
fn carried(i: usize) -> Result<u32, ModelError> {
    u32::try_from(i).map_err(|_| ModelError::Invariant(format!("voice index {i} does not fit in 32 bits")))
}

impl Replication<'_> {
    /// A clock stopped in year `y` for a patient of `practice` at `service` after
    /// `wait` days: the review statistics of the line in the practice's PCT take it,
    /// and a dissatisfied patient may sign that PCT's petition about the line.
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
        let pct = self.pct_of(practice);
        let key = self.voice.key(pct, m.services[service].line);
        self.voice.petitions[key].stop(now, v.window_days, wait < RTT_STANDARD_DAYS);
        let (pr, pv) = (&m.config.practices[practice], &m.config.providers[m.services[service].provider]);
        let distance = distance_km((pr.x_km, pr.y_km), (pv.x_km, pv.y_km));
        if wait <= v.wait_threshold_days && distance <= v.distance_threshold_km {
            return Ok(());
        }
        if self.voice.rng[key].random::<f64>() >= v.sign_probability() {
            return Ok(());
        }
        self.years[y].signatures += 1;
        self.years[y].pcts[pct].signatures += 1;
        // The PCT's registered population (`Config::pct_population`), as its year record holds it.
        let population = self.years[y].pcts[pct].population;
        let threshold = v.threshold(population, self.voice.petitions[key].users());
        if let Some(n) = self.voice.petitions[key].sign(now, v.window_days, threshold) {
            self.years[y].petitions += 1;
            self.years[y].pcts[pct].petitions += 1;
            self.voice_event(now, MarketEventKind::Petition, key, n)?;
            self.q.schedule_at(now + v.review_days(), Event::ServiceReview(carried(key)?))?;
        }
        Ok(())
    }

    /// Records a petition, review or tender of the (PCT, line) `key`.
    fn voice_event(&mut self, now: f64, kind: MarketEventKind, key: usize, value: u64) -> Result<(), ModelError> {
        let (pct, line) = self.voice.split(key);
        self.events.push(MarketEvent {
            time: now,
            kind,
            provider: None,
            service: None,
            line: Some(carried(line)?),
            pct: Some(carried(pct)?),
            value,
        });
        Ok(())
    }

    /// The provider that a tender of PCT `pct` for `line` would open: the first listed
    /// with `entry = { tender = line }` that `pct` leads and that has not entered yet.
    /// A PCT tenders for its own patients, so it opens its own entry package, not
    /// another PCT's (with tiled PCTs, its own tile's copy).
    fn bidder(&self, pct: usize, line: usize) -> Option<usize> {
        let providers = &self.m.config.providers;
        (0..self.providers.len()).find(|&p| {
            providers[p].entry == Entry::Tender { line }
                && providers[p].commissioner == pct
                && self.providers[p].entered.is_none()
        })
    }

    /// The review of the (PCT, line) `key` reports: below the standard the line is
    /// put out to tender.
    pub(super) fn review_service(&mut self, now: f64, key: u32) -> Result<(), ModelError> {
        let Some(v) = &self.m.config.voice else { return Ok(()) };
        let key = key as usize;
        let (pct, line) = self.voice.split(key);
        let share = self.voice.petitions[key].within_share(now, v.window_days);
        let failed = share < v.standard_share;
        let per_mille = (share * 1000.0).round() as u64;
        if let Some(y) = self.year {
            let rec = &mut self.years[y];
            rec.reviews += 1;
            rec.reviews_failed += u64::from(failed);
            let k = &mut rec.pcts[pct];
            k.reviews += 1;
            k.reviews_failed += u64::from(failed);
        }
        let kind = if failed { MarketEventKind::ReviewFailed } else { MarketEventKind::ReviewPassed };
        self.voice_event(now, kind, key, per_mille)?;
        if !failed {
            self.voice.petitions[key].stage = Stage::Open;
            return Ok(());
        }
        self.voice.petitions[key].stage = Stage::Tendering;
        if let Some(y) = self.year {
            self.years[y].tenders += 1;
            self.years[y].pcts[pct].tenders += 1;
        }
        let bid = u64::from(self.bidder(pct, line).is_some());
        self.voice_event(now, MarketEventKind::Tender, key, bid)?;
        self.q.schedule_at(now + v.procurement_days, Event::TenderAwarded(carried(key)?))?;
        Ok(())
    }

    /// The procurement delay of the (PCT, line) `key` is over: the tender's provider
    /// opens (if there is one), and the line takes petitions again.
    pub(super) fn award_tender(&mut self, now: f64, key: u32) -> Result<(), ModelError> {
        let key = key as usize;
        self.voice.petitions[key].stage = Stage::Open;
        let (pct, line) = self.voice.split(key);
        match self.bidder(pct, line) {
            Some(p) => self.enter(now, p),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::Model;
    use crate::model::voice::{Trigger, Voice};

    /// `scenarios/petition-tender-pcts.toml` (four PCTs, each with its own tender
    /// entrant for general surgery), with its `[voice]` changed by `edit`.
    fn model(edit: impl FnOnce(&mut Voice)) -> Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/petition-tender-pcts.toml");
        let mut c = crate::scenario::load(&path).expect("scenario loads").config().expect("scenario builds");
        assert_eq!(c.pcts.len(), 4);
        edit(c.voice.as_mut().expect("the scenario has [voice]"));
        Model::new(c).expect("model builds")
    }

    /// Every dissatisfied patient signs (the tests' signatures are days apart, well
    /// inside the window).
    fn everyone_signs(v: &mut Voice, trigger: Trigger) {
        v.trigger = trigger;
        v.sign_probability = 1.0;
        v.links = None;
    }

    fn general_surgery(m: &Model) -> (usize, usize) {
        let line = m.config.lines.iter().position(|l| l.name == "general_surgery").expect("line");
        let service = m.services.iter().position(|s| s.line == line).expect("a service on the line");
        (line, service)
    }

    fn practice_in(m: &Model, pct: usize) -> usize {
        m.config.practices.iter().position(|p| p.pct == pct).expect("the PCT has practices")
    }

    /// A wait beyond the 18 weeks: the patient is dissatisfied.
    const LONG: f64 = 200.0;

    #[test]
    fn a_signature_counts_only_towards_its_own_pcts_petition() {
        let m = model(|v| everyone_signs(v, Trigger::Fixed(3)));
        let (line, service) = general_surgery(&m);
        let mut r = Replication::new(&m, 1, 0).expect("replication");
        for (t, pct) in [0, 1, 0, 1].into_iter().enumerate() {
            r.patient_voice(t as f64, practice_in(&m, pct), service, LONG, 0).expect("signs");
        }
        // Pooled across PCTs, the third signature would have brought a petition.
        assert!(r.events.is_empty(), "{:?}", r.events);
        assert_eq!([r.years[0].pcts[0].signatures, r.years[0].pcts[1].signatures], [2, 2]);
        assert_eq!(r.years[0].signatures, 4);
        r.patient_voice(4.0, practice_in(&m, 1), service, LONG, 0).expect("signs");
        assert_eq!(r.events.len(), 1);
        let e = &r.events[0];
        assert_eq!((e.kind, e.pct, e.line, e.value), (MarketEventKind::Petition, Some(1), Some(line as u32), 3));
        assert_eq!([r.years[0].pcts[0].petitions, r.years[0].pcts[1].petitions], [0, 1]);
        assert_eq!(r.years[0].petitions, 1);
    }

    #[test]
    fn the_population_trigger_counts_the_pcts_own_population() {
        // 1 in 100,000: 4 signatures in each PCT (about 310,000 people), 13 for all
        // four PCTs together.
        let share = 1e-5;
        let m = model(|v| everyone_signs(v, Trigger::PopulationShare(share)));
        let c = &m.config;
        let mut r = Replication::new(&m, 1, 0).expect("replication");
        for k in 0..c.pcts.len() {
            assert_eq!(r.years[0].pcts[k].population, c.pct_population(k));
        }
        let own = (share * c.pct_population(2) as f64).ceil() as u64;
        assert!(own < (share * c.population() as f64).ceil() as u64);
        let (_, service) = general_surgery(&m);
        for t in 0..own {
            assert!(r.events.is_empty(), "a petition before signature {}", t + 1);
            r.patient_voice(t as f64, practice_in(&m, 2), service, LONG, 0).expect("signs");
        }
        assert_eq!(r.events.len(), 1);
        assert_eq!((r.events[0].pct, r.events[0].value), (Some(2), own));
    }

    #[test]
    fn a_tender_opens_the_entrant_its_pct_leads() {
        let m = model(|_| {});
        let (line, _) = general_surgery(&m);
        let entrants: Vec<usize> =
            (0..m.config.providers.len()).filter(|&p| m.config.providers[p].entry == Entry::Tender { line }).collect();
        assert_eq!(entrants.len(), 4, "one entrant per tile");
        let mut r = Replication::new(&m, 1, 0).expect("replication");
        let key = carried(r.voice.key(2, line)).expect("fits");
        r.award_tender(100.0, key).expect("the tender is awarded");
        for &p in &entrants {
            let own = m.config.providers[p].commissioner == 2;
            assert_eq!(r.providers[p].entered.is_some(), own, "{}", m.config.providers[p].name);
        }
    }
}
