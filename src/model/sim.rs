//! One replication of the health economy: the event loop and the handlers that move a
//! patient along the pathway, the market's clockwork (published waits, capacity
//! reviews, exits), and the end-of-run proofs that the books balance and that every
//! patient is accounted for.

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use crate::engine::{EventQueue, Stream, prefetch, stream};

use super::choice::{ChoiceState, Chosen, ServiceRef};
use super::config::{Config, Item, Payment};
use super::gp::{self, Decision};
use super::ledger::{Account, Ledger};
use super::levers::Entry;
use super::money::Pence;
use super::pathway::Outcome;
use super::payment;
use super::pbc::{Diversion, PbcState};
use super::record::{MarketEvent, MarketEventKind, RTT_STANDARD_DAYS, YearRecord};
use super::waiting_list::{Stage, Waiting, WaitingList};
use super::{Model, ModelError};

/// Random-stream process numbers. They key the streams together with the seed and the
/// replication, so they must never be renumbered: doing so changes every result.
pub mod process {
    /// Episode arrivals, one stream per (practice, service line).
    pub const ARRIVALS: u64 = 1;
    /// GP referral decisions, one stream per (practice, service line).
    pub const GP_DECISION: u64 = 2;
    /// Clinical outcomes of referrals, one stream per (practice, service line).
    pub const CLINICAL: u64 = 3;
    /// Service times, one stream per provider service.
    pub const SERVICE_TIMES: u64 = 4;
    /// Follow-up intervals, one stream per service line.
    pub const FOLLOW_UP: u64 = 5;
    /// The waiting lists present when the clock starts, one stream per provider service.
    pub const INITIAL_LISTS: u64 = 6;
    /// Scenario structure (generated practices): keyed by the generator's own seed
    /// with [`STRUCTURE_REPLICATION`], never by the Monte Carlo seed.
    pub const STRUCTURE: u64 = 7;
    /// The replication number used for structure streams.
    pub const STRUCTURE_REPLICATION: u64 = u64::MAX;
    /// Work-up between first attendance and listing, one stream per service line.
    pub const WORK_UP: u64 = 8;
    /// Offer and choice of provider, one stream per (practice, service line).
    pub const CHOICE: u64 = 9;
    /// Emergency admissions arising, one stream per practice.
    pub const EMERGENCY: u64 = 10;
    /// Time an emergency admission occupies a server, one stream per provider service.
    pub const EMERGENCY_STAY: u64 = 11;
    /// Demand management under PBC (discretionary? diverted?), one stream per
    /// (practice, service line).
    pub const PBC_DIVERSION: u64 = 12;
    /// Practices' engagement, information and perception noise under PBC.
    pub const PBC_PRACTICES: u64 = 13;
    /// Wrongly diverted referrals coming back, one stream per (practice, service line).
    pub const PBC_RETURNS: u64 = 14;
    /// Whether a dissatisfied patient signs a petition, one stream per (PCT, service
    /// line), keyed `pct × lines + line` (the line itself with one PCT).
    pub const PETITIONS: u64 = 20;
}

mod levers;
mod voice;

/// How many events ahead the loop prefetches (see `Replication::prefetch`): far
/// enough that a miss to main memory (~100 ns) completes before the event is handled,
/// near enough that the line is still in cache. On England 0.3×, 2 to 64 all ran
/// within noise of each other (docs/performance.md).
const PREFETCH_AHEAD: usize = 8;

#[derive(Debug, Clone, Copy)]
enum Event {
    Arrival(u32),
    EmergencyArrival(u32),
    /// A patient's first attendance ends: its slot in the slab, and its service as a
    /// hint for prefetching only ([`list_hint`]).
    FirstDone {
        pid: u32,
        list: u16,
    },
    /// A patient's elective or emergency spell ends (as `FirstDone`).
    AdmissionDone {
        pid: u32,
        list: u16,
    },
    /// A follow-up attendance. The patient is no longer in the slab: the event carries
    /// all that the rest of its pathway needs (see [`Replication::carry_follow_ups`]).
    FollowUp {
        practice: u16,
        service: u16,
        /// Follow-ups left, this one included.
        left: u16,
    },
    /// A follow-up attendance of a patient kept in the slab (state `FollowingUp`):
    /// only in an economy whose indices do not fit the carried form.
    FollowUpSlot(u32),
    Listed(u32),
    Return(u32),
    Publish,
    Review(u32),
    /// A provider enters the market.
    Entry(u32),
    /// A PCT's review of a service line triggered by a petition reports: the
    /// (PCT, line) key of [`voice::VoiceState`].
    ServiceReview(u32),
    /// A PCT's tender for a service line is awarded and its new provider opens (as
    /// `ServiceReview`).
    TenderAwarded(u32),
    Month(u32),
    YearStart(u32),
    End,
}

/// The list a completion event frees a server on.
fn completing(ev: Event) -> Stage {
    if matches!(ev, Event::AdmissionDone { .. }) { Stage::Admission } else { Stage::FirstOutpatient }
}

/// A completion event's service index as a hint for [`Replication::prefetch`] only,
/// [`NO_HINT`] when it does not fit in 16 bits (England has under 5,000 services); the
/// handler reads the service from the patient's record.
///
/// The hint lets the prefetch ask for the patient's record and the list the
/// completion will start the next patient from at the same time: read from the
/// record, the list was a dependent miss that stalled the prefetch itself
/// (docs/performance.md).
fn list_hint(service: usize) -> u16 {
    u16::try_from(service).ok().filter(|&l| l != NO_HINT).unwrap_or(NO_HINT)
}

const NO_HINT: u16 = u16::MAX;

// Queue entries are 16 bytes (an 8-byte time and the event); a larger event would
// make every entry larger.
const _: () = assert!(size_of::<Event>() <= 8);

/// One Poisson stream of episodes: a practice and a service line.
///
/// Aligned to a cache line: its 120 bytes then fill exactly two lines, both of which
/// [`prefetch`] asks for (unaligned, six sources in eight straddled three).
#[repr(align(64))]
struct Source {
    practice: u32,
    line: u32,
    gap: Exp<f64>,
    /// The GP's probability of referring an episode, [`Gp::referral_probability`] of
    /// this practice and line, kept here so that the decision needs no other record:
    /// [`Replication::prefetch`] foresees it (see there).
    ///
    /// [`Gp::referral_probability`]: super::gp::Gp::referral_probability
    refer: f64,
    arrivals: Stream,
    gp: Stream,
    clinical: Stream,
    /// Episodes and referrals to hospital from this source in the current reported
    /// year, added to its practice's year record at the year-end snapshot. Counted
    /// here, in a record the arrival reads anyway, rather than in the practice's year
    /// record, which in a large economy is a cache miss (docs/performance.md).
    episodes: u32,
    referrals: u32,
}

const _: () = assert!(size_of::<Source>() == 128);

/// One Poisson stream of emergency admissions: a practice.
struct EmergencySource {
    practice: usize,
    gap: Exp<f64>,
    rng: Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    InFirst,
    WorkUp,
    InAdmission,
    FollowingUp,
    /// A necessary referral diverted under PBC, before it comes back.
    Diverted,
}

#[derive(Debug, Clone, Copy)]
struct Patient {
    practice: u32,
    service: u32,
    referred_at: f64,
    outcome: Outcome,
    follow_ups_left: u16,
    state: State,
}

impl Patient {
    /// The patient as a waiting-list entry (for joining a list from the slab).
    fn waiting(&self) -> Waiting {
        Waiting { referred_at: self.referred_at, practice: self.practice, outcome: self.outcome }
    }

    /// Whether the referral-to-treatment clock is still running.
    fn clock_running(&self) -> bool {
        if self.outcome.is_emergency() {
            return false;
        }
        match self.state {
            State::WorkUp => true,
            State::InFirst => self.outcome.is_admitted(),
            State::Free | State::InAdmission | State::FollowingUp | State::Diverted => false,
        }
    }
}

/// Patients in flight, stored in a slab: a freed slot is reused, so the steady state
/// allocates nothing per patient.
#[derive(Default)]
struct Patients {
    slots: Vec<Patient>,
    free: Vec<u32>,
}

impl Patients {
    fn insert(&mut self, p: Patient) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = p;
                i
            }
            None => {
                self.slots.push(p);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn remove(&mut self, i: u32) {
        self.slots[i as usize].state = State::Free;
        self.free.push(i);
    }
}

/// A provider's state that changes during a run.
#[derive(Debug, Clone)]
struct ProviderState {
    open: bool,
    /// Annual fixed cost now (capacity responses move it).
    fixed_cost: Pence,
    /// Consecutive loss-making financial years.
    loss_years: u32,
    /// Emergency spells this financial year, and the annual baseline of the marginal
    /// rate rule once the first reported year has set it.
    emergency_this_year: u64,
    emergency_baseline: Option<f64>,
    /// When it entered the market: 0 for a provider there from the start, `None`
    /// before an entrant opens.
    entered: Option<f64>,
    levers: levers::LeverState,
}

/// Tallies kept apart from the year records and the ledger, used only to prove at the
/// end that the ledger agrees with the activity that caused it.
#[derive(Default)]
struct Books {
    activity: Vec<[u64; Item::COUNT]>,
    fixed_cost: Vec<i128>,
    block: Vec<i128>,
    emergency_income: Vec<i128>,
    emergency_cost: Vec<i128>,
    allocation: i128,
    /// Paid for PbR activity the model does not simulate.
    unmodelled_pbr: i128,
    initial: u64,
    referred: u64,
    stopped_admitted: u64,
    stopped_non_admitted: u64,
    emergency_arrived: u64,
    emergency_done: u64,
    pbc_paid: i128,
    primary_care: i128,
    /// Reinvested freed-up resources received, per provider.
    reinvested: Vec<i128>,
    inappropriate: u64,
    returned: u64,
    /// Lever payments per provider, and the capital charges the PCT paid.
    supplement: Vec<i128>,
    topup: Vec<i128>,
    assurance: Vec<i128>,
    capital_charge: i128,
    /// Per PCT: what came in (allocations, opening balance) and what it paid out,
    /// tallied beside every posting so each PCT's account can be proved on its own.
    pct_in: Vec<i128>,
    pct_out: Vec<i128>,
}

/// The result of one replication.
#[derive(Debug, Clone)]
pub struct ReplicationResult {
    /// One record per reported financial year.
    pub years: Vec<YearRecord>,
    /// Market events in the reported horizon, in time order.
    pub events: Vec<MarketEvent>,
    /// Ledger postings made.
    pub ledger_entries: u64,
    /// Every referral-to-treatment clock stop in the reported years, in time order,
    /// when asked for ([`Model::run_replication_logged`]); empty otherwise.
    pub pathways: Vec<ClockStop>,
}

/// One patient's referral-to-treatment pathway, recorded when its clock stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockStop {
    /// Day of the referral (the clock start).
    pub referred: f64,
    /// Day the clock stopped: the admission, or the first attendance of a patient who
    /// was not admitted.
    pub stopped: f64,
    pub practice: u32,
    /// The service (provider and line) that stopped the clock.
    pub service: u32,
    /// The reported year (index into the calendar's years) it counts in, as in the
    /// year records.
    pub year: u16,
    pub admitted: bool,
}

pub(super) struct Replication<'m> {
    m: &'m Model,
    q: EventQueue<Event>,
    sources: Vec<Source>,
    emergency_sources: Vec<EmergencySource>,
    lists: Vec<WaitingList>,
    choice: ChoiceState,
    choice_rng: Vec<Stream>,
    follow_up_rng: Vec<Stream>,
    work_up_rng: Vec<Stream>,
    emergency_stay_rng: Vec<Stream>,
    pbc: Option<PbcState>,
    pbc_rng: Vec<Stream>,
    return_rng: Vec<Stream>,
    providers: Vec<ProviderState>,
    patients: Patients,
    ledger: Ledger,
    years: Vec<YearRecord>,
    events: Vec<MarketEvent>,
    year: Option<usize>,
    /// The month whose payments were made last.
    month: Option<usize>,
    /// Per (PCT, service line), its petition, recent clock stops and signing stream
    /// (empty without `voice`).
    voice: voice::VoiceState,
    books: Books,
    /// Each PCT's balance when the current year opened (after its allocation).
    pct_open: Vec<i64>,
    /// Each practice's shadow spend in the current reported year, moved to its year
    /// record at the year-end snapshot. Every unit of activity adds to it: a dense
    /// table (8 bytes a practice, 67 kB for England) stays in cache where the year
    /// records (96 bytes a practice) do not, and in a large economy that add was a
    /// cache miss per activity (docs/performance.md).
    practice_spend: Vec<Pence>,
    /// Clock stops recorded, when asked for (`None`: not kept, no per-patient data).
    pathways: Option<Vec<ClockStop>>,
    /// Whether a patient's follow-ups travel in the events ([`Event::FollowUp`]) rather
    /// than in the slab ([`Event::FollowUpSlot`]): true whenever the practice and
    /// service indices fit in 16 bits (up to 65,536 of each; England has 8,360
    /// practices and fewer than 5,000 services). A patient between follow-ups is
    /// touched by nothing but its next follow-up, so its record would only be a cache
    /// miss per attendance (a main-memory one in a large economy) and a large share of
    /// the slab; carried in the event, a follow-up (a third of all events) touches no
    /// patient record, and the slab holds only patients before their follow-ups
    /// (England's peak memory fell by 17%). Changes no result.
    carry_follow_ups: bool,
}

fn overflow() -> ModelError {
    ModelError::Invariant("a yearly money total overflowed".into())
}

/// Episodes a day of `practice` on `line`, if any: its list size × the line's
/// incidence.
fn arrival_rate(c: &Config, practice: usize, line: usize) -> Option<f64> {
    let rate = c.lines[line].incidence_per_1000 / 1000.0 * c.practices[practice].list_size as f64 / 365.25;
    (rate > 0.0 && rate.is_finite()).then_some(rate)
}

fn count_overflow() -> ModelError {
    ModelError::Invariant("a source counted more than 2^32 episodes in one year".into())
}

fn add(a: &mut Pence, b: Pence) -> Result<(), ModelError> {
    *a = a.checked_add(b).ok_or_else(overflow)?;
    Ok(())
}

impl<'m> Replication<'m> {
    /// PCT `pct` pays `amount` to `to`, tallied for the per-PCT proof.
    pub(super) fn pct_pays(&mut self, pct: usize, to: Account, amount: Pence) -> Result<(), ModelError> {
        self.ledger.post(Account::Pct(pct), to, amount)?;
        self.books.pct_out[pct] += amount.0 as i128;
        Ok(())
    }

    /// The PCT of `practice`.
    #[inline]
    fn pct_of(&self, practice: usize) -> usize {
        self.m.practice_pct[practice] as usize
    }

    /// Records every clock stop of the reported years (see [`ClockStop`]).
    pub(super) fn log_pathways(mut self) -> Self {
        self.pathways = Some(Vec::new());
        self
    }

    pub(super) fn new(m: &'m Model, seed: u64, rep: u64) -> Result<Self, ModelError> {
        let c = &m.config;
        let lists: Vec<WaitingList> = m
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let svc = &c.providers[s.provider].services[s.within];
                WaitingList::new(
                    &svc.outpatient,
                    &svc.admission,
                    stream(seed, rep, process::SERVICE_TIMES, i as u64),
                    0.0,
                    &c.choice.publish,
                    svc.initial_waiting_outpatient,
                )
            })
            .collect();
        let choice = m.choice.state(lists.iter().map(|l| l.published.value()).collect());
        // One source per (practice, line), at index `practice × lines + line` (the key
        // of every per-pair table), whether or not it has episodes: an arrival's index
        // is then its key, and the prefetch can ask for the pair's choice stream and
        // choice set before it has read the source. A pair with no episodes is never
        // scheduled (`schedule_start`).
        let mut sources = Vec::with_capacity(c.practices.len() * c.lines.len());
        for p in 0..c.practices.len() {
            for l in 0..c.lines.len() {
                let key = (p * c.lines.len() + l) as u64;
                sources.push(Source {
                    practice: p as u32,
                    line: l as u32,
                    // A pair with no episodes is never sampled: any valid rate will do.
                    gap: Exp::new(arrival_rate(c, p, l).unwrap_or(1.0)).expect("positive finite rate"),
                    refer: m.gp.referral_probability(p, l),
                    arrivals: stream(seed, rep, process::ARRIVALS, key),
                    gp: stream(seed, rep, process::GP_DECISION, key),
                    clinical: stream(seed, rep, process::CLINICAL, key),
                    episodes: 0,
                    referrals: 0,
                });
            }
        }
        let emergency_sources = match &c.emergency {
            None => Vec::new(),
            Some(e) => c
                .practices
                .iter()
                .enumerate()
                .filter_map(|(p, practice)| {
                    let rate = e.admissions_per_1000 / 1000.0 * practice.list_size as f64 / 365.25;
                    (rate > 0.0 && rate.is_finite()).then(|| EmergencySource {
                        practice: p,
                        gap: Exp::new(rate).expect("positive finite rate"),
                        rng: stream(seed, rep, process::EMERGENCY, p as u64),
                    })
                })
                .collect(),
        };
        let list_sizes: Vec<u64> = c.practices.iter().map(|p| p.list_size as u64).collect();
        let pct_populations: Vec<u64> = (0..c.pcts.len()).map(|k| c.pct_population(k)).collect();
        let service_lines: Vec<usize> = m.services.iter().map(|s| s.line).collect();
        let years = c
            .calendar
            .years
            .iter()
            .map(|y| YearRecord::new(y.fraction, c.providers.len(), &service_lines, &list_sizes, &pct_populations))
            .collect();
        let keys = (c.practices.len() * c.lines.len()) as u64;
        let mut r = Self {
            m,
            q: EventQueue::with_capacity(sources.len() + 1024),
            choice,
            choice_rng: (0..keys).map(|k| stream(seed, rep, process::CHOICE, k)).collect(),
            follow_up_rng: (0..c.lines.len()).map(|l| stream(seed, rep, process::FOLLOW_UP, l as u64)).collect(),
            work_up_rng: (0..c.lines.len()).map(|l| stream(seed, rep, process::WORK_UP, l as u64)).collect(),
            emergency_stay_rng: (0..m.services.len())
                .map(|s| stream(seed, rep, process::EMERGENCY_STAY, s as u64))
                .collect(),
            pbc: c.pbc.as_ref().map(|b| {
                PbcState::new(b, c.practices.len(), c.pcts.len(), stream(seed, rep, process::PBC_PRACTICES, 0))
            }),
            pbc_rng: if c.pbc.is_some() {
                (0..keys).map(|k| stream(seed, rep, process::PBC_DIVERSION, k)).collect()
            } else {
                Vec::new()
            },
            return_rng: if c.pbc.is_some() {
                (0..keys).map(|k| stream(seed, rep, process::PBC_RETURNS, k)).collect()
            } else {
                Vec::new()
            },
            providers: c
                .providers
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let open = p.entry == Entry::Open;
                    Ok(ProviderState {
                        open,
                        fixed_cost: p.fixed_cost,
                        loss_years: 0,
                        emergency_this_year: 0,
                        emergency_baseline: None,
                        entered: open.then_some(0.0),
                        levers: levers::LeverState::new(m, i, open.then_some(0.0))?,
                    })
                })
                .collect::<Result<_, ModelError>>()?,
            sources,
            emergency_sources,
            lists,
            patients: Patients::default(),
            ledger: Ledger::new(c.pcts.len(), c.providers.len(), c.practices.len()),
            pct_open: vec![0; c.pcts.len()],
            practice_spend: vec![Pence::ZERO; c.practices.len()],
            pathways: None,
            carry_follow_ups: c.practices.len() <= 1 << 16 && m.services.len() <= 1 << 16,
            years,
            events: Vec::new(),
            year: None,
            month: None,
            voice: voice::VoiceState::new(c, seed, rep)?,
            books: Books {
                activity: vec![[0; Item::COUNT]; m.services.len()],
                fixed_cost: vec![0; c.providers.len()],
                block: vec![0; c.providers.len()],
                emergency_income: vec![0; c.providers.len()],
                emergency_cost: vec![0; c.providers.len()],
                reinvested: vec![0; c.providers.len()],
                supplement: vec![0; c.providers.len()],
                topup: vec![0; c.providers.len()],
                assurance: vec![0; c.providers.len()],
                pct_in: vec![0; c.pcts.len()],
                pct_out: vec![0; c.pcts.len()],
                ..Default::default()
            },
        };
        // Entrants are closed until they enter: out of every choice set, no servers.
        for (s, sref) in m.services.iter().enumerate() {
            if !r.providers[sref.provider].open {
                r.choice.close(s);
                for stage in [Stage::FirstOutpatient, Stage::Admission] {
                    r.lists[s].set_servers(stage, 0.0, 0);
                }
            }
        }
        r.schedule_start(seed, rep)?;
        Ok(r)
    }

    fn schedule_start(&mut self, seed: u64, rep: u64) -> Result<(), ModelError> {
        let c = &self.m.config;
        for (y, fy) in c.calendar.years.iter().enumerate() {
            self.q.schedule_at(fy.start, Event::YearStart(y as u32))?;
        }
        for (k, month) in c.calendar.months.iter().enumerate() {
            self.q.schedule_at(month.time, Event::Month(k as u32))?;
        }
        self.q.schedule_at(c.calendar.end, Event::End)?;
        self.q.schedule_at(c.choice.publish.update_days.max(1) as f64, Event::Publish)?;
        for (p, provider) in c.providers.iter().enumerate() {
            if let Some(r) = &provider.capacity_response {
                self.q.schedule_at(r.review_days.max(1) as f64, Event::Review(p as u32))?;
            }
            if let Entry::Scheduled(t) = provider.entry {
                if t <= c.calendar.end {
                    self.q.schedule_at(t, Event::Entry(p as u32))?;
                }
            }
        }
        for i in 0..self.sources.len() {
            let s = &mut self.sources[i];
            if arrival_rate(c, s.practice as usize, s.line as usize).is_some() {
                let t = s.gap.sample(&mut s.arrivals);
                self.q.schedule_at(t, Event::Arrival(i as u32))?;
            }
        }
        for i in 0..self.emergency_sources.len() {
            let s = &mut self.emergency_sources[i];
            let t = s.gap.sample(&mut s.rng);
            self.q.schedule_at(t, Event::EmergencyArrival(i as u32))?;
        }
        self.seed_initial_lists(seed, rep)
    }

    /// Patients already waiting when the clock starts, referred uniformly over the
    /// preceding `initial_spread_days` and queued in referral order.
    fn seed_initial_lists(&mut self, seed: u64, rep: u64) -> Result<(), ModelError> {
        let m = self.m;
        for (s, sref) in m.services.iter().enumerate() {
            let svc = &m.config.providers[sref.provider].services[sref.within];
            let mut rng = stream(seed, rep, process::INITIAL_LISTS, s as u64);
            for stage in [Stage::FirstOutpatient, Stage::Admission] {
                let n = match stage {
                    Stage::FirstOutpatient => svc.initial_waiting_outpatient,
                    Stage::Admission => svc.initial_waiting_admission,
                };
                let mut waiters: Vec<(f64, u32, Outcome)> = (0..n)
                    .map(|_| {
                        let referred_at = -rng.random::<f64>() * svc.initial_spread_days;
                        let practice = m.backlog_practice(s, rng.random::<f64>());
                        let outcome = match stage {
                            Stage::FirstOutpatient => m.pathways[sref.line].draw(&mut rng),
                            Stage::Admission => m.pathways[sref.line].draw_admitted(&mut rng),
                        };
                        (referred_at, practice as u32, outcome)
                    })
                    .collect();
                waiters.sort_by(|a, b| a.0.total_cmp(&b.0));
                for (referred_at, practice, outcome) in waiters {
                    self.books.initial += 1;
                    self.join(stage, 0.0, s, Waiting { referred_at, practice, outcome })?;
                }
            }
        }
        Ok(())
    }

    /// Asks for the memory an upcoming event will read, in two stages run on the same
    /// event as it comes nearer (`first` when it is `2 × PREFETCH_AHEAD` events ahead,
    /// then again at `PREFETCH_AHEAD`), the second reading only what the first asked
    /// for. In a large economy the records an event touches are millions, touched in
    /// time order, not memory order, so each is a cache miss; prefetched ahead, the
    /// misses overlap instead of queueing. Changes no result.
    ///
    /// - first: a completion's patient record, and the record of the list it will
    ///   start the next patient from (the service travels in the event, [`list_hint`]);
    ///   an arrival's stream, choice stream and where its choice set lies (an
    ///   arrival's index is its (practice, line) key, which indexes all three);
    /// - second: a completion, that next patient's entry on its list; an arrival, its
    ///   choice set, if the GP will refer (see the comment in the code).
    ///
    /// So neither stage reads a line it has not asked for a stage earlier: with the
    /// list's record and the choice set's location read by the second stage, those two
    /// dependent misses stalled the prefetch itself (docs/performance.md). A third
    /// stage, and prefetching every line of the arrival stream, were measured and lost
    /// more in instructions than they saved in misses.
    #[inline]
    fn prefetch(&self, ev: Event, first: bool) {
        match ev {
            Event::FirstDone { pid, list } | Event::AdmissionDone { pid, list } if first => {
                prefetch(&self.patients.slots, pid as usize);
                if let Some(list) = self.lists.get(usize::from(list)).filter(|_| list != NO_HINT) {
                    list.prefetch_station(completing(ev));
                }
            }
            Event::FollowUpSlot(p) | Event::Listed(p) | Event::Return(p) if first => {
                prefetch(&self.patients.slots, p as usize)
            }
            Event::FirstDone { pid, list } | Event::AdmissionDone { pid, list } => {
                let service = match list {
                    NO_HINT => self.patients.slots.get(pid as usize).map(|p| p.service as usize),
                    list => Some(usize::from(list)),
                };
                if let Some(list) = service.and_then(|s| self.lists.get(s)) {
                    list.prefetch_next(completing(ev));
                }
            }
            Event::Arrival(key) if first => {
                let key = key as usize;
                prefetch(&self.sources, key);
                // Every episode draws from its choice stream (common random numbers).
                prefetch(&self.choice_rng, key);
                self.m.choice.prefetch_location(key);
            }
            Event::Arrival(key) => {
                let Some(s) = self.sources.get(key as usize) else { return };
                // Most episodes (60% in the baseline) are treated in primary care and
                // never reach the choice model: foresee the GP's decision (the next draw
                // of the source's decision stream, on a copy) and fetch the choice set
                // only for a referral, leaving the miss buffers to lines that are used.
                if gp::decide_with(s.refer, &mut s.gp.clone()) == Decision::ReferToHospital {
                    self.m.choice.prefetch(&self.choice, key as usize);
                }
            }
            _ => {}
        }
    }

    /// Runs to the end of the horizon and proves the books.
    pub(super) fn run(mut self) -> Result<ReplicationResult, ModelError> {
        let mut last = f64::NEG_INFINITY;
        while let Some((now, ev)) = self.q.pop() {
            if let Some(&ahead) = self.q.lookahead(2 * PREFETCH_AHEAD) {
                self.prefetch(ahead, true);
            }
            if let Some(&ahead) = self.q.lookahead(PREFETCH_AHEAD) {
                self.prefetch(ahead, false);
            }
            // Always on: time never goes backwards (the queue refuses the past; this
            // proves it, one comparison per event).
            if now < last {
                return Err(ModelError::Invariant(format!(
                    "time went backwards: an event at day {now} after day {last}"
                )));
            }
            last = now;
            match ev {
                Event::Arrival(i) => self.arrival(now, i as usize)?,
                Event::EmergencyArrival(i) => self.emergency_arrival(now, i as usize)?,
                Event::FirstDone { pid, .. } => self.first_done(now, pid)?,
                Event::AdmissionDone { pid, .. } => self.admission_done(now, pid)?,
                Event::FollowUp { practice, service, left } => {
                    self.follow_up(now, practice.into(), service.into(), left)?
                }
                Event::FollowUpSlot(p) => self.follow_up_slot(now, p)?,
                Event::Listed(p) => {
                    let patient = self.patients.slots[p as usize];
                    self.patients.remove(p);
                    self.join(Stage::Admission, now, patient.service as usize, patient.waiting())?
                }
                Event::Return(p) => self.diverted_returns(now, p)?,
                Event::Publish => self.publish(now)?,
                Event::Review(p) => self.review(now, p as usize)?,
                Event::Entry(p) => self.enter(now, p as usize)?,
                Event::ServiceReview(key) => self.review_service(now, key)?,
                Event::TenderAwarded(key) => self.award_tender(now, key)?,
                Event::Month(k) => self.month(k as usize)?,
                Event::YearStart(y) => self.year_start(now, y as usize)?,
                Event::End => {
                    if let Some(y) = self.year {
                        self.settle_levers(y)?;
                        self.snapshot(now, y);
                        self.settle_pbc(now, y)?;
                    }
                    break;
                }
            }
            // Counted after handling, so a year's opening event counts in that year.
            if let Some(y) = self.year {
                self.years[y].events += 1;
            }
        }
        self.prove()?;
        Ok(ReplicationResult {
            ledger_entries: self.ledger.entries(),
            years: self.years,
            events: self.events,
            pathways: self.pathways.unwrap_or_default(),
        })
    }

    /// Two uniforms from the choice stream of (practice, line): whether a choice is
    /// offered, and which provider is picked. Always both, for common random numbers.
    fn choice_draws(&mut self, practice: usize, line: usize) -> (f64, f64) {
        let rng = &mut self.choice_rng[practice * self.m.config.lines.len() + line];
        (rng.random::<f64>(), rng.random::<f64>())
    }

    fn arrival(&mut self, now: f64, i: usize) -> Result<(), ModelError> {
        let m = self.m;
        let s = &mut self.sources[i];
        let (practice, line) = (s.practice as usize, s.line as usize);
        let next = now + s.gap.sample(&mut s.arrivals);
        let decision = gp::decide_with(s.refer, &mut s.gp);
        let outcome = m.pathways[line].draw(&mut s.clinical);
        if let Some(y) = self.year {
            s.episodes = s.episodes.checked_add(1).ok_or_else(count_overflow)?;
            self.years[y].episodes += 1;
        }
        let (u_offer, u_pick) = self.choice_draws(practice, line);
        self.q.schedule_at(next, Event::Arrival(i as u32))?;
        if decision == Decision::TreatInPrimaryCare {
            if let Some(y) = self.year {
                self.years[y].primary_care += 1;
            }
            return Ok(());
        }
        if let (Some(pbc), Some(state)) = (&m.config.pbc, &self.pbc) {
            // A source's index is its (practice, line) key.
            let rng = &mut self.pbc_rng[i];
            let (u_kind, u_divert) = (rng.random::<f64>(), rng.random::<f64>());
            let diversion = state.divert(pbc, practice, m.config.lines[line].discretionary_share, u_kind, u_divert);
            if diversion != Diversion::Refer {
                return self.divert(now, practice, line, outcome, diversion);
            }
        }
        let chosen = m
            .choice
            .choose(&mut self.choice, practice, line, u_offer, u_pick)
            .ok_or_else(|| ModelError::Invariant(format!("no open provider offers service line {line}")))?;
        self.count_referral(practice, &chosen);
        if self.year.is_some() {
            let s = &mut self.sources[i];
            s.referrals = s.referrals.checked_add(1).ok_or_else(count_overflow)?;
        }
        let patient = Waiting { referred_at: now, practice: practice as u32, outcome };
        self.join(Stage::FirstOutpatient, now, chosen.service, patient)
    }

    /// Counts a referral to hospital: the patient's choice, and the provider and
    /// service it went to (in a reported year). The caller counts the practice that
    /// made it: an arrival in its source (see [`Source::referrals`]), a returning
    /// diverted referral in the practice's year record.
    fn count_referral(&mut self, practice: usize, chosen: &Chosen) {
        self.books.referred += 1;
        let Some(y) = self.year else { return };
        let rec = &mut self.years[y];
        rec.referrals += 1;
        rec.offered_choice += u64::from(chosen.offered);
        rec.chose_nearest += u64::from(chosen.nearest);
        rec.offered_chose_nearest += u64::from(chosen.offered && chosen.nearest);
        rec.travel_km_sum += chosen.distance_km;
        rec.providers[self.m.services[chosen.service].provider].referrals += 1;
        rec.services[chosen.service].referrals += 1;
        rec.pcts[self.m.practice_pct[practice] as usize].referrals += 1;
    }

    /// A referral diverted by demand management: to the community service where it
    /// offers the line, otherwise treated in primary care at a cost to the PCT. A
    /// necessary referral diverted this way comes back later.
    fn divert(
        &mut self,
        now: f64,
        practice: usize,
        line: usize,
        outcome: Outcome,
        d: Diversion,
    ) -> Result<(), ModelError> {
        let m = self.m;
        let pbc = m.config.pbc.as_ref().expect("diversions happen only under PBC");
        let community = m.community_service[self.pct_of(practice) * m.config.lines.len() + line];
        if let Some(y) = self.year {
            let rec = &mut self.years[y];
            rec.diverted += 1;
            rec.diverted_to_community += u64::from(community.is_some());
            rec.inappropriate_diversions += u64::from(d == Diversion::Inappropriate);
            rec.practices[practice].diverted += 1;
            rec.pcts[self.m.practice_pct[practice] as usize].diverted += 1;
        }
        match community {
            Some(service) => {
                self.books.referred += 1;
                if let Some(y) = self.year {
                    self.years[y].services[service].referrals += 1;
                }
                let patient = Waiting { referred_at: now, practice: practice as u32, outcome };
                self.join(Stage::FirstOutpatient, now, service, patient)?;
            }
            None if self.year.is_some() => {
                let y = self.year.expect("checked");
                self.pct_pays(self.pct_of(practice), Account::External, pbc.primary_care_cost)?;
                self.books.primary_care += pbc.primary_care_cost.0 as i128;
                add(&mut self.years[y].primary_care_paid, pbc.primary_care_cost)?;
                add(&mut self.practice_spend[practice], pbc.primary_care_cost)?;
            }
            None => {}
        }
        if d == Diversion::Inappropriate {
            let key = practice * m.config.lines.len() + line;
            let delay = pbc.return_delay.sample(&mut self.return_rng[key]);
            let back_to = m.choice.nearest(practice, line).unwrap_or_default();
            let pid = self.patients.insert(Patient {
                practice: practice as u32,
                service: back_to as u32,
                referred_at: now,
                outcome,
                follow_ups_left: 0,
                state: State::Diverted,
            });
            self.books.inappropriate += 1;
            self.q.schedule_at(now + delay, Event::Return(pid))?;
        }
        Ok(())
    }

    /// A wrongly diverted necessary referral comes back: as an emergency admission
    /// (a share of them, where emergencies are modelled), otherwise as a referral to
    /// hospital whose RTT clock starts now. Demand management does not divert it again.
    fn diverted_returns(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        let m = self.m;
        let pbc = m.config.pbc.as_ref().expect("returns happen only under PBC");
        self.books.returned += 1;
        let p = self.patients.slots[pid as usize];
        self.patients.remove(pid);
        let (practice, line) = (p.practice as usize, m.services[p.service as usize].line);
        let key = practice * m.config.lines.len() + line;
        let u = self.return_rng[key].random::<f64>();
        let emergency = m.config.emergency.is_some() && u < pbc.return_emergency_share;
        if emergency {
            let service = m.emergency_routes[practice].iter().copied().find(|&s| self.choice.is_open(s));
            if let Some(service) = service {
                if let Some(y) = self.year {
                    self.years[y].returned_as_emergency += 1;
                }
                self.books.emergency_arrived += 1;
                let patient = Waiting { outcome: Outcome::Emergency, ..p.waiting() };
                return self.join_emergency(now, service, patient);
            }
        }
        let (u_offer, u_pick) = self.choice_draws(practice, line);
        let chosen = m
            .choice
            .choose(&mut self.choice, practice, line, u_offer, u_pick)
            .ok_or_else(|| ModelError::Invariant(format!("no open provider offers service line {line}")))?;
        if let Some(y) = self.year {
            self.years[y].returned_as_referral += 1;
            self.years[y].practices[practice].referrals += 1;
        }
        self.count_referral(practice, &chosen);
        let patient = Waiting { referred_at: now, ..p.waiting() };
        self.join(Stage::FirstOutpatient, now, chosen.service, patient)
    }

    /// Moves the patient in slot `pid`, whose provider has left the market, to another
    /// provider of the same service line, chosen as at referral. The RTT clock is not
    /// reset.
    fn reassign(&mut self, pid: u32) -> Result<(), ModelError> {
        let p = self.patients.slots[pid as usize];
        let service = self.rechoose(p.practice as usize, p.service as usize)?;
        self.patients.slots[pid as usize].service = service as u32;
        Ok(())
    }

    /// The service that a patient of `practice` whose `service` has closed moves to.
    fn rechoose(&mut self, practice: usize, service: usize) -> Result<usize, ModelError> {
        let line = self.m.services[service].line;
        let (u_offer, u_pick) = self.choice_draws(practice, line);
        let chosen = self
            .m
            .choice
            .choose(&mut self.choice, practice, line, u_offer, u_pick)
            .ok_or_else(|| ModelError::Invariant(format!("no open provider left for service line {line}")))?;
        Ok(chosen.service)
    }

    /// A patient joins a `stage` list of `service`, or of the service a new choice
    /// gives if `service` has closed (as at referral; the RTT clock is not reset), and
    /// starts at once if a server is free.
    fn join(&mut self, stage: Stage, now: f64, service: usize, patient: Waiting) -> Result<(), ModelError> {
        let service =
            if self.choice.is_open(service) { service } else { self.rechoose(patient.practice as usize, service)? };
        if self.lists[service].join(stage, now, patient) { self.start(stage, now, service, patient) } else { Ok(()) }
    }

    /// An emergency admission joins the admission list of `service` ahead of its
    /// elective patients, and starts at once if a bed is free.
    fn join_emergency(&mut self, now: f64, service: usize, patient: Waiting) -> Result<(), ModelError> {
        if self.lists[service].join_priority(now, patient) {
            self.start(Stage::Admission, now, service, patient)
        } else {
            Ok(())
        }
    }

    /// A patient leaves the front of a `stage` list of `service` for a free server: it
    /// takes a slot in the slab for as long as it is in treatment.
    fn start(&mut self, stage: Stage, now: f64, service: usize, w: Waiting) -> Result<(), ModelError> {
        let duration = match (&self.m.config.emergency, w.outcome.is_emergency()) {
            (Some(e), true) => e.displacement.sample(&mut self.emergency_stay_rng[service]),
            _ => self.lists[service].service_time(stage),
        };
        let (state, stops_clock) = match stage {
            Stage::FirstOutpatient => (State::InFirst, !w.outcome.is_admitted()),
            Stage::Admission => (State::InAdmission, !w.outcome.is_emergency()),
        };
        let p = Patient {
            practice: w.practice,
            service: service as u32,
            referred_at: w.referred_at,
            outcome: w.outcome,
            follow_ups_left: 0,
            state,
        };
        let pid = self.patients.insert(p);
        if stops_clock {
            self.stop_clock(now, &p, stage == Stage::Admission)?;
        }
        let event = match stage {
            Stage::FirstOutpatient => Event::FirstDone { pid, list: list_hint(service) },
            Stage::Admission => Event::AdmissionDone { pid, list: list_hint(service) },
        };
        self.q.schedule_at(now + duration, event)?;
        Ok(())
    }

    /// The referral-to-treatment clock of patient `p` stops: at admission, or at the
    /// first attendance for a patient who will not be admitted.
    fn stop_clock(&mut self, now: f64, p: &Patient, admitted: bool) -> Result<(), ModelError> {
        let wait = now - p.referred_at;
        if admitted {
            self.books.stopped_admitted += 1;
        } else {
            self.books.stopped_non_admitted += 1;
        }
        self.lists[p.service as usize].published.record(wait);
        // Community services are not consultant-led: outside the 18-week standard.
        let community = self.m.services[p.service as usize].community;
        if let (Some(y), false) = (self.year, community) {
            let rec = &mut self.years[y];
            if admitted {
                rec.rtt_admitted.record(wait);
            } else {
                rec.rtt_non_admitted.record(wait);
            }
            let sy = &mut rec.services[p.service as usize];
            sy.rtt_stops += 1;
            sy.rtt_sum_days += wait;
            let pr = &mut rec.providers[self.m.services[p.service as usize].provider];
            pr.rtt_stops += 1;
            pr.rtt_sum_days += wait;
            pr.rtt_within_standard += u64::from(wait < RTT_STANDARD_DAYS);
            let k = &mut rec.pcts[self.m.practice_pct[p.practice as usize] as usize];
            k.rtt_stops += 1;
            k.rtt_sum_days += wait;
            if self.m.config.voice.is_some() {
                self.patient_voice(now, p.practice as usize, p.service as usize, wait, y)?;
            }
        }
        if let (Some(y), Some(log)) = (self.year, &mut self.pathways) {
            log.push(ClockStop {
                referred: p.referred_at,
                stopped: now,
                practice: p.practice,
                service: p.service,
                year: y as u16,
                admitted,
            });
        }
        Ok(())
    }

    /// Frees the server a patient was using at `stage` and starts the next patient.
    fn release(&mut self, stage: Stage, now: f64, pid: u32) -> Result<(), ModelError> {
        let service = self.patients.slots[pid as usize].service as usize;
        let next = self.lists[service].finish(stage, now).map_err(|()| {
            ModelError::Invariant(format!("service {service} finished a {stage:?} with no server busy"))
        })?;
        match next {
            Some(next) => self.start(stage, now, service, next),
            None => Ok(()),
        }
    }

    /// Counts a completed unit of elective activity and pays for it: tariff × MFF under
    /// PbR, nothing per case under a block contract. The provider bears its marginal
    /// cost either way.
    fn complete_activity(&mut self, now: f64, practice: usize, service: usize, item: Item) -> Result<(), ModelError> {
        let Some(y) = self.year else {
            // Before the books open: only the value of activity, for historic budgets.
            if let Some(pbc) = &mut self.pbc {
                pbc.warm_up_spend[practice] += self.m.prices.price(service, item).0;
            }
            return Ok(());
        };
        let ServiceRef { provider, pbr, .. } = self.m.services[service];
        self.books.activity[service][item as usize] += 1;
        let pct = self.pct_of(practice);
        let st = payment::settle_activity(&mut self.ledger, &self.m.prices, pct, service, provider, item, pbr)?;
        self.books.pct_out[pct] += st.tariff.0 as i128;
        let value = self.m.prices.price(service, item);
        let rec = &mut self.years[y];
        let pr = &mut rec.providers[provider];
        let sy = &mut rec.services[service];
        match item {
            Item::FirstOutpatient => {
                rec.first_attendances += 1;
                pr.first_attendances += 1;
                sy.first_attendances += 1;
            }
            Item::FollowUp => {
                rec.follow_ups += 1;
                pr.follow_ups += 1;
            }
            Item::ElectiveSpell => {
                rec.admissions += 1;
                pr.admissions += 1;
                sy.admissions += 1;
            }
        }
        add(&mut pr.tariff_income, st.tariff)?;
        add(&mut pr.marginal_cost, st.marginal_cost)?;
        add(&mut rec.tariff_paid, st.tariff)?;
        add(&mut rec.activity_value, value)?;
        // A practice's shadow spend is its patients' activity at PbR prices, whatever
        // the contract: it is what an indicative budget is measured against.
        add(&mut self.practice_spend[practice], value)?;
        self.activity_levers(now, y, pct, service, provider, item, st.tariff)
    }

    fn first_done(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        self.release(Stage::FirstOutpatient, now, pid)?;
        let p = self.patients.slots[pid as usize];
        self.complete_activity(now, p.practice as usize, p.service as usize, Item::FirstOutpatient)?;
        match p.outcome {
            Outcome::DischargedAfterFirst => {
                if let Some(y) = self.year {
                    self.years[y].discharged_after_first += 1;
                }
                self.patients.remove(pid);
                Ok(())
            }
            Outcome::Outpatient { follow_ups } => self.schedule_follow_ups(now, pid, follow_ups),
            Outcome::Admitted { .. } => {
                if let Some(y) = self.year {
                    self.years[y].decisions_to_admit += 1;
                }
                let p = &mut self.patients.slots[pid as usize];
                p.state = State::WorkUp;
                let line = self.m.services[p.service as usize].line;
                let delay = self.m.config.lines[line].work_up.sample(&mut self.work_up_rng[line]);
                self.q.schedule_at(now + delay, Event::Listed(pid))?;
                Ok(())
            }
            Outcome::Emergency => Err(ModelError::Invariant("an emergency admission attended outpatients".into())),
        }
    }

    fn admission_done(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        self.release(Stage::Admission, now, pid)?;
        let p = self.patients.slots[pid as usize];
        match p.outcome {
            Outcome::Emergency => {
                self.settle_emergency(pid)?;
                self.books.emergency_done += 1;
                self.patients.remove(pid);
                Ok(())
            }
            Outcome::Admitted { follow_ups } => {
                self.complete_activity(now, p.practice as usize, p.service as usize, Item::ElectiveSpell)?;
                self.schedule_follow_ups(now, pid, follow_ups)
            }
            other => Err(ModelError::Invariant(format!("patient admitted with outcome {other:?}"))),
        }
    }

    /// Patient `pid` has `count` follow-ups ahead: schedules the first, the patient
    /// leaving the slab for the event unless the economy is too large for that.
    fn schedule_follow_ups(&mut self, now: f64, pid: u32, count: u16) -> Result<(), ModelError> {
        let p = self.patients.slots[pid as usize];
        if count == 0 || self.carry_follow_ups {
            self.patients.remove(pid);
            return self.next_follow_up(now, p.practice as usize, p.service as usize, count, None);
        }
        let slot = &mut self.patients.slots[pid as usize];
        slot.state = State::FollowingUp;
        slot.follow_ups_left = count;
        self.next_follow_up(now, p.practice as usize, p.service as usize, count, Some(pid))
    }

    /// Schedules the next of `count` follow-ups (none if 0) of a patient of `practice`
    /// at `service`: carried in the event, or for the patient in slot `pid`.
    fn next_follow_up(
        &mut self,
        now: f64,
        practice: usize,
        service: usize,
        count: u16,
        pid: Option<u32>,
    ) -> Result<(), ModelError> {
        if count == 0 {
            return Ok(());
        }
        let line = self.m.services[service].line;
        let gap = self.m.config.lines[line].follow_up_interval.sample(&mut self.follow_up_rng[line]);
        let event = match pid {
            Some(pid) => Event::FollowUpSlot(pid),
            // Fits: `carry_follow_ups` holds only when every index does.
            None => Event::FollowUp { practice: practice as u16, service: service as u16, left: count },
        };
        self.q.schedule_at(now + gap, event)?;
        Ok(())
    }

    /// A follow-up attendance carried in its event, `left` of them including this one.
    fn follow_up(&mut self, now: f64, practice: usize, service: usize, left: u16) -> Result<(), ModelError> {
        let service = if self.choice.is_open(service) { service } else { self.rechoose(practice, service)? };
        self.complete_activity(now, practice, service, Item::FollowUp)?;
        self.next_follow_up(now, practice, service, left - 1, None)
    }

    /// A follow-up attendance of the patient in slot `pid`.
    fn follow_up_slot(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        if !self.choice.is_open(self.patients.slots[pid as usize].service as usize) {
            self.reassign(pid)?;
        }
        let p = self.patients.slots[pid as usize];
        self.complete_activity(now, p.practice as usize, p.service as usize, Item::FollowUp)?;
        self.schedule_follow_ups(now, pid, p.follow_ups_left - 1)
    }

    /// An emergency admission arises and goes to the nearest open provider that takes
    /// emergencies, ahead of that provider's elective patients.
    fn emergency_arrival(&mut self, now: f64, i: usize) -> Result<(), ModelError> {
        let s = &mut self.emergency_sources[i];
        let practice = s.practice;
        let next = now + s.gap.sample(&mut s.rng);
        self.q.schedule_at(next, Event::EmergencyArrival(i as u32))?;
        let service = self.m.emergency_routes[practice]
            .iter()
            .copied()
            .find(|&s| self.choice.is_open(s))
            .ok_or_else(|| ModelError::Invariant("no open provider takes emergency admissions".into()))?;
        self.books.emergency_arrived += 1;
        let patient = Waiting { referred_at: now, practice: practice as u32, outcome: Outcome::Emergency };
        self.join_emergency(now, service, patient)
    }

    /// Pays for an emergency spell: tariff × MFF, or the marginal rate above the
    /// provider's baseline volume; nothing per case under a block contract.
    fn settle_emergency(&mut self, pid: u32) -> Result<(), ModelError> {
        let Some(y) = self.year else { return Ok(()) };
        let Some(e) = &self.m.config.emergency else { return Ok(()) };
        let p = self.patients.slots[pid as usize];
        let provider = self.m.services[p.service as usize].provider;
        let state = &mut self.providers[provider];
        state.emergency_this_year += 1;
        let full = self.m.prices.emergency(provider);
        let above_baseline = state
            .emergency_baseline
            .is_some_and(|b| state.emergency_this_year as f64 > b * self.m.config.calendar.years[y].fraction);
        let price = match (e.marginal_rate, above_baseline) {
            (Some(rule), true) => full.mul_ratio(rule.rate_ppm, 1_000_000).ok_or_else(overflow)?,
            _ => full,
        };
        let pbr = self.m.config.providers[provider].payment == Payment::Pbr;
        let paid = if pbr { price } else { Pence::ZERO };
        self.pct_pays(self.pct_of(p.practice as usize), Account::Provider(provider), paid)?;
        self.ledger.post(Account::Provider(provider), Account::External, e.marginal_cost)?;
        self.books.emergency_income[provider] += paid.0 as i128;
        self.books.emergency_cost[provider] += e.marginal_cost.0 as i128;
        let rec = &mut self.years[y];
        rec.emergency_admissions += 1;
        add(&mut rec.emergency_paid, paid)?;
        if pbr {
            add(&mut rec.marginal_rate_reduction, Pence(full.0 - price.0))?;
        }
        let pr = &mut rec.providers[provider];
        pr.emergency_admissions += 1;
        add(&mut pr.emergency_income, paid)?;
        add(&mut pr.marginal_cost, e.marginal_cost)
    }

    /// Providers publish their waits; patients choose on the new figures from now on.
    fn publish(&mut self, now: f64) -> Result<(), ModelError> {
        for (s, list) in self.lists.iter_mut().enumerate() {
            let w = list.published.publish();
            self.choice.publish(s, w);
        }
        let next = now + self.m.config.choice.publish.update_days.max(1) as f64;
        if next <= self.m.config.calendar.end {
            self.q.schedule_at(next, Event::Publish)?;
        }
        Ok(())
    }

    /// A provider reviews its capacity: on each service, a long published wait adds a
    /// server to whichever list has the longer backlog; a short one removes a server
    /// from the list with the shorter backlog; within bounds, each server moving the
    /// annual fixed cost by a step.
    fn review(&mut self, now: f64, p: usize) -> Result<(), ModelError> {
        let Some(rule) = self.m.config.providers[p].capacity_response else { return Ok(()) };
        if self.providers[p].open {
            for s in 0..self.m.services.len() {
                if self.m.services[s].provider != p {
                    continue;
                }
                let list = &self.lists[s];
                let wait = list.published.value();
                let est = |st: Stage| list.estimated_wait(st);
                let (stage, delta) = if wait > rule.add_above_days {
                    let st = if est(Stage::Admission) > est(Stage::FirstOutpatient) {
                        Stage::Admission
                    } else {
                        Stage::FirstOutpatient
                    };
                    (st, 1i64)
                } else if wait < rule.remove_below_days {
                    let st = if est(Stage::Admission) < est(Stage::FirstOutpatient) {
                        Stage::Admission
                    } else {
                        Stage::FirstOutpatient
                    };
                    (st, -1i64)
                } else {
                    continue;
                };
                let initial = list.initial_servers(stage) as f64;
                let now_servers = list.servers(stage) as i64;
                let target = now_servers + delta;
                let max = (initial * rule.max_factor).floor() as i64;
                let min = if initial > 0.0 { ((initial * rule.min_factor).ceil() as i64).max(1) } else { 0 };
                if target < min || target > max {
                    continue;
                }
                let started = self.lists[s].set_servers(stage, now, target as u32);
                for patient in started {
                    self.start(stage, now, s, patient)?;
                }
                let state = &mut self.providers[p];
                state.fixed_cost = if delta > 0 {
                    state.fixed_cost.checked_add(rule.fixed_cost_per_server).ok_or_else(overflow)?
                } else {
                    Pence(state.fixed_cost.0.saturating_sub(rule.fixed_cost_per_server.0).max(0))
                };
                if let Some(y) = self.year {
                    self.years[y].capacity_changes += 1;
                    self.events.push(MarketEvent {
                        time: now,
                        kind: if delta > 0 { MarketEventKind::CapacityAdded } else { MarketEventKind::CapacityRemoved },
                        provider: Some(p),
                        service: Some(s),
                        line: None,
                        pct: None,
                        value: target as u64,
                    });
                }
            }
        }
        let next = now + rule.review_days.max(1) as f64;
        if next <= self.m.config.calendar.end {
            self.q.schedule_at(next, Event::Review(p as u32))?;
        }
        Ok(())
    }

    /// Monthly payments: each open provider's fixed cost for the month's days, the
    /// PCT's block-contract payments and capital charges; quarterly guarantees close.
    fn month(&mut self, k: usize) -> Result<(), ModelError> {
        let c = &self.m.config;
        let month = &c.calendar.months[k];
        let y = month.year;
        if let (Some(pbc), Some(state)) = (&c.pbc, &mut self.pbc) {
            let first = c.calendar.months.iter().position(|x| x.year == y).unwrap_or(k);
            let of = c.calendar.months.iter().filter(|x| x.year == y).count();
            let spend: Vec<i64> = if self.year == Some(y) {
                self.practice_spend.iter().map(|p| p.0).collect()
            } else {
                self.years[y].practices.iter().map(|p| p.spend.0).collect()
            };
            state.monthly(pbc, &spend, k - first, of);
            for (rec, st) in self.years[y].practices.iter_mut().zip(&state.practices) {
                rec.effort_sum += st.effort;
                rec.effort_months += 1;
            }
        }
        // Quarterly guarantees are reconciled as a quarter closes inside a year; the
        // year end reconciles every guarantee.
        if super::levers::starts_quarter(c.calendar.date_at(month.time).month) {
            self.reconcile_guarantees(y, true)?;
        }
        self.month = Some(k);
        for p in 0..c.providers.len() {
            self.month_provider(p, k, month.time)?;
        }
        Ok(())
    }

    /// A provider's payments for the days of month `k` from time `from` on (the whole
    /// month at its start; the rest of it when the provider enters part-way through):
    /// its fixed cost less any relief, a block instalment, the PCT's capital charge;
    /// and its guarantee floor and assured days accrue.
    fn month_provider(&mut self, p: usize, k: usize, from: f64) -> Result<(), ModelError> {
        let c = &self.m.config;
        let month = c.calendar.months[k];
        let y = month.year;
        let days = c.calendar.years[y].days as u64;
        let (lo, hi) = super::levers::Active { from, to: f64::INFINITY }.days_in(&month);
        self.month_levers_before(p, k, (lo, hi))?;
        if !self.providers[p].open {
            return Ok(());
        }
        let fixed = self.providers[p].fixed_cost.pro_rata(lo, hi, days);
        let relief = self.relief(p, k, (lo, hi)).min(fixed);
        let fixed = Pence(fixed.0 - relief.0);
        payment::pay_fixed_cost(&mut self.ledger, p, fixed)?;
        self.books.fixed_cost[p] += fixed.0 as i128;
        add(&mut self.years[y].providers[p].fixed_cost, fixed)?;
        add(&mut self.years[y].providers[p].fixed_cost_relief, relief)?;
        if let Payment::Block { annual } = c.providers[p].payment {
            let block = annual.pro_rata(lo, hi, days);
            let lead = c.providers[p].commissioner;
            payment::pay_block(&mut self.ledger, lead, p, block)?;
            self.books.pct_out[lead] += block.0 as i128;
            self.books.block[p] += block.0 as i128;
            add(&mut self.years[y].block_paid, block)?;
            add(&mut self.years[y].providers[p].block_income, block)?;
        }
        self.month_levers_open(p, k, (lo, hi))
    }

    fn year_start(&mut self, now: f64, y: usize) -> Result<(), ModelError> {
        match y.checked_sub(1) {
            Some(prev) => {
                self.settle_levers(prev)?;
                self.snapshot(now, prev);
                self.year_end_market(now, prev)?;
                self.settle_pbc(now, prev)?;
            }
            // Reporting starts: utilisation counts from here, not from the warm-up.
            None => self.lists.iter_mut().for_each(|l| {
                l.take_busy_days(now);
            }),
        }
        self.year = Some(y);
        for p in &mut self.providers {
            p.emergency_this_year = 0;
        }
        for k in 0..self.m.config.pcts.len() {
            let amount = payment::allocation_for_year(&self.m.config, k, y).ok_or(ModelError::AllocationOverflow)?;
            payment::pay_allocation(&mut self.ledger, k, amount)?;
            self.books.allocation += amount.0 as i128;
            self.books.pct_in[k] += amount.0 as i128;
            add(&mut self.years[y].allocation, amount)?;
            self.years[y].pcts[k].allocation = amount;
            if y == 0 {
                // The balance the PCT brings into the first reported year.
                let opening = self.m.config.pcts[k].opening_balance;
                let (from, to) = if opening >= 0 {
                    (Account::External, Account::Pct(k))
                } else {
                    (Account::Pct(k), Account::External)
                };
                self.ledger.post(from, to, Pence(opening.abs()))?;
                self.books.allocation += opening as i128;
                self.books.pct_in[k] += opening as i128;
            }
            // The year's spend is measured from the last year-end snapshot (or the
            // opening balance), so payments made between the two (a PBC settlement)
            // count in this year.
            self.pct_open[k] = match y.checked_sub(1) {
                Some(prev) => self.years[prev].pcts[k].balance_end.0,
                None => self.ledger.balance(Account::Pct(k)).0 - amount.0,
            };
            let unmodelled =
                payment::unmodelled_pbr_for_year(&self.m.config, k, y).ok_or(ModelError::AllocationOverflow)?;
            payment::pay_unmodelled_pbr(&mut self.ledger, k, unmodelled)?;
            self.books.unmodelled_pbr += unmodelled.0 as i128;
            self.books.pct_out[k] += unmodelled.0 as i128;
            add(&mut self.years[y].unmodelled_pbr_paid, unmodelled)?;
        }
        if let (Some(pbc), Some(state)) = (&self.m.config.pbc, &mut self.pbc) {
            let previous: Option<Vec<i64>> =
                y.checked_sub(1).map(|p| self.years[p].practices.iter().map(|x| x.spend.0).collect());
            state.set_budgets(&self.m.config, pbc, y, previous.as_deref());
            let rec = &mut self.years[y];
            for ((r, s), &k) in rec.practices.iter_mut().zip(&state.practices).zip(&self.m.practice_pct) {
                r.budget = s.budget;
                rec.pbc_budget = Pence(rec.pbc_budget.0.saturating_add(s.budget.0));
                let k = &mut rec.pcts[k as usize];
                k.pbc_budget = Pence(k.pbc_budget.0.saturating_add(s.budget.0));
            }
        }
        Ok(())
    }

    /// The year-end settlement of practice-based commissioning: savings, retention
    /// under the deficit rule, payment of freed-up resources and their reinvestment in
    /// the community service (whose capacity grows with it).
    fn settle_pbc(&mut self, now: f64, y: usize) -> Result<(), ModelError> {
        let (Some(pbc), Some(state)) = (&self.m.config.pbc, &mut self.pbc) else { return Ok(()) };
        let spend: Vec<i64> = self.years[y].practices.iter().map(|p| p.spend.0).collect();
        // Each PCT's deficit rule looks at its own balance.
        let pct_balances: Vec<i64> =
            (0..self.m.config.pcts.len()).map(|k| self.ledger.balance(Account::Pct(k)).0).collect();
        let settlements = state.settle(pbc, &spend, &self.m.practice_pct, &pct_balances);
        let mut reinvested = vec![0i64; pct_balances.len()];
        for (p, s) in settlements.iter().enumerate() {
            let paid = Pence(s.paid);
            let pct = self.m.config.practices[p].pct;
            let community = pbc.community_providers[pct];
            self.ledger.post(Account::Pct(pct), Account::Practice(p), paid)?;
            self.books.pct_out[pct] += s.paid as i128;
            // Freed-up resources must be reinvested in services for patients.
            let to = community.map_or(Account::External, Account::Provider);
            self.ledger.post(Account::Practice(p), to, paid)?;
            self.books.pbc_paid += s.paid as i128;
            reinvested[pct] += s.paid;
            let rec = &mut self.years[y];
            let pr = &mut rec.practices[p];
            pr.savings = Pence(s.savings);
            pr.retained = paid;
            pr.clawed_back = Pence(s.due - s.paid);
            pr.engagement_end = state.practices[p].engagement;
            rec.pbc_savings = Pence(rec.pbc_savings.0.saturating_add(s.savings.max(0)));
            rec.pbc_retained = Pence(rec.pbc_retained.0.saturating_add(s.paid));
            rec.pbc_clawed_back = Pence(rec.pbc_clawed_back.0.saturating_add(s.due - s.paid));
            rec.practices_paid += u64::from(s.paid > 0);
            let k = &mut rec.pcts[pct];
            k.pbc_savings = Pence(k.pbc_savings.0.saturating_add(s.savings.max(0)));
            k.pbc_retained = Pence(k.pbc_retained.0.saturating_add(s.paid));
            k.pbc_clawed_back = Pence(k.pbc_clawed_back.0.saturating_add(s.due - s.paid));
        }
        for (k, &amount) in reinvested.iter().enumerate() {
            if let Some(c) = pbc.community_providers[k] {
                self.reinvest(now, y, k, c, amount)?;
            }
        }
        Ok(())
    }

    /// PCT `k`'s practices reinvested `amount` in its community provider `c`: each
    /// `community_server_cost` of it (with what was left over from earlier years)
    /// buys a server for next year, on the provider's community list with the
    /// longest backlog.
    fn reinvest(&mut self, now: f64, y: usize, k: usize, c: usize, amount: i64) -> Result<(), ModelError> {
        let pbc = self.m.config.pbc.as_ref().expect("reinvestment happens only under PBC");
        // Tallied here, per PCT, apart from the ledger postings per practice: the
        // end-of-run proof then checks that each practice paid its own PCT's provider.
        self.books.reinvested[c] += amount as i128;
        let pr = &mut self.years[y].providers[c];
        pr.reinvestment_income = Pence(pr.reinvestment_income.0.saturating_add(amount));
        let state = self.pbc.as_mut().expect("reinvestment happens only under PBC");
        state.community_credit[k] += amount;
        let cost = pbc.community_server_cost.0.max(1);
        let servers = state.community_credit[k] / cost;
        state.community_credit[k] %= cost;
        for _ in 0..servers {
            let target = (0..self.m.services.len()).filter(|&s| self.m.services[s].provider == c).max_by(|&a, &b| {
                let (wa, wb) = (
                    self.lists[a].estimated_wait(Stage::FirstOutpatient),
                    self.lists[b].estimated_wait(Stage::FirstOutpatient),
                );
                wa.total_cmp(&wb).then(b.cmp(&a))
            });
            let Some(s) = target else { break };
            let n = self.lists[s].servers(Stage::FirstOutpatient) + 1;
            for patient in self.lists[s].set_servers(Stage::FirstOutpatient, now, n) {
                self.start(Stage::FirstOutpatient, now, s, patient)?;
            }
            let ps = &mut self.providers[c];
            ps.fixed_cost = ps.fixed_cost.checked_add(pbc.community_server_cost).ok_or_else(overflow)?;
            self.years[y].community_servers_added += 1;
        }
        Ok(())
    }

    /// At a financial year end: the marginal rate rule takes its baseline from the
    /// first reported year, and providers whose losses meet their exit rule leave.
    fn year_end_market(&mut self, now: f64, y: usize) -> Result<(), ModelError> {
        let fraction = self.m.config.calendar.years[y].fraction;
        for p in 0..self.providers.len() {
            let state = &mut self.providers[p];
            if state.emergency_baseline.is_none() {
                let factor = self.m.config.emergency.as_ref().and_then(|e| e.marginal_rate).map(|r| r.baseline_factor);
                if let Some(factor) = factor {
                    state.emergency_baseline = Some(state.emergency_this_year as f64 / fraction.max(1e-9) * factor);
                }
            }
            if !state.open {
                continue;
            }
            let pr = &self.years[y].providers[p];
            let surplus = pr.tariff_income.0 as i128
                + pr.block_income.0 as i128
                + pr.emergency_income.0 as i128
                + pr.reinvestment_income.0 as i128
                + pr.supplement_income.0 as i128
                + pr.mig_topup.0 as i128
                + pr.assurance_paid.0 as i128
                - pr.fixed_cost.0 as i128
                - pr.marginal_cost.0 as i128;
            state.loss_years = if surplus < 0 { state.loss_years + 1 } else { 0 };
            let Some(rule) = self.m.config.providers[p].exit else { continue };
            let cumulative = self.ledger.balance(Account::Provider(p)).0 as i128;
            let deficit_hit = rule.cumulative_deficit.is_some_and(|d| -cumulative > d.0 as i128);
            let losses_hit = rule.loss_years.is_some_and(|n| state.loss_years >= n);
            if deficit_hit || losses_hit {
                self.exit(now, p, y)?;
            }
        }
        Ok(())
    }

    /// A provider leaves the market. Its waiting patients are re-referred (their clocks
    /// keep running); patients in service finish there, and patients later in their
    /// pathway move when they next need a provider. A provider that is the last open
    /// one on any of its service lines, or the last that takes emergencies, stays,
    /// since its patients would have nowhere to go.
    fn exit(&mut self, now: f64, p: usize, y: usize) -> Result<(), ModelError> {
        let services: Vec<usize> = (0..self.m.services.len()).filter(|&s| self.m.services[s].provider == p).collect();
        let last_on_a_line = services.iter().any(|&s| {
            let line = self.m.services[s].line;
            !(0..self.m.services.len()).any(|o| {
                o != s && self.m.services[o].line == line && self.choice.is_open(o) && self.m.services[o].provider != p
            })
        });
        let providers = &self.m.config.providers;
        let takes_emergencies = |q: usize| providers[q].emergency_service.is_some() && !providers[q].community;
        let last_for_emergencies = self.m.config.emergency.is_some()
            && takes_emergencies(p)
            && !(0..providers.len()).any(|q| q != p && self.providers[q].open && takes_emergencies(q));
        if last_on_a_line || last_for_emergencies {
            return Ok(());
        }
        self.providers[p].open = false;
        let mut moved = 0u64;
        for &s in &services {
            self.choice.close(s);
            for stage in [Stage::FirstOutpatient, Stage::Admission] {
                self.lists[s].set_servers(stage, now, 0);
                for patient in self.lists[s].drain(stage, now) {
                    moved += 1;
                    if patient.outcome.is_emergency() {
                        let practice = patient.practice as usize;
                        let to = self.m.emergency_routes[practice].iter().copied().find(|&o| self.choice.is_open(o));
                        let to = to.ok_or_else(|| ModelError::Invariant("no provider left for emergencies".into()))?;
                        self.join_emergency(now, to, patient)?;
                    } else {
                        self.join(stage, now, s, patient)?;
                    }
                }
            }
        }
        self.years[y].exits += 1;
        self.years[y].providers[p].open_end = false;
        self.events.push(MarketEvent {
            time: now,
            kind: MarketEventKind::Exit,
            provider: Some(p),
            service: None,
            line: None,
            pct: None,
            value: moved,
        });
        Ok(())
    }

    /// End-of-year stocks: list sizes, servers, utilisation, published waits, the
    /// ledger's balances.
    fn snapshot(&mut self, now: f64, y: usize) {
        let fy = &self.m.config.calendar.years[y];
        let days = fy.end - fy.start;
        let rec = &mut self.years[y];
        for s in &mut self.sources {
            let pr = &mut rec.practices[s.practice as usize];
            pr.episodes += u64::from(std::mem::take(&mut s.episodes));
            pr.referrals += u64::from(std::mem::take(&mut s.referrals));
        }
        for (pr, spend) in rec.practices.iter_mut().zip(&mut self.practice_spend) {
            pr.spend = std::mem::replace(spend, Pence::ZERO);
        }
        for (s, list) in self.lists.iter_mut().enumerate() {
            let pr = &mut rec.providers[self.m.services[s].provider];
            let busy = list.take_busy_days(now);
            let servers = (list.servers(Stage::FirstOutpatient) + list.servers(Stage::Admission)) as u64;
            pr.busy_server_days += busy[0] + busy[1];
            pr.server_days += servers as f64 * days;
            let (first, adm) = (list.waiting(Stage::FirstOutpatient) as u64, list.waiting(Stage::Admission) as u64);
            pr.waiting_end += first + adm;
            pr.servers_end += servers;
            let sy = &mut rec.services[s];
            sy.waiting_end = first + adm;
            sy.published_wait_end = list.published.value();
            sy.servers_end = servers;
            rec.waiting_first_end += first;
            rec.waiting_admission_end += adm;
        }
        for (p, pr) in rec.providers.iter_mut().enumerate() {
            pr.cumulative_surplus = self.ledger.balance(Account::Provider(p));
            pr.open_end = self.providers[p].open;
        }
        rec.ledger_imbalance_pence = i64::try_from(self.ledger.imbalance()).unwrap_or(i64::MAX);
        let mut total = Pence::ZERO;
        for (k, py) in rec.pcts.iter_mut().enumerate() {
            let end = self.ledger.balance(Account::Pct(k));
            py.balance_end = end;
            // Opening balance + allocation − closing balance: everything paid out.
            py.spend = Pence(self.pct_open[k].saturating_add(py.allocation.0).saturating_sub(end.0));
            total = Pence(total.0.saturating_add(end.0));
        }
        rec.pct_balance_end = total;
    }

    /// The end-of-run proofs: the ledger balances and agrees with the activity that
    /// caused it, and every patient is accounted for exactly once. Never inlined, so a
    /// profiler can measure its cost (docs/reliability.md).
    #[inline(never)]
    fn prove(&self) -> Result<(), ModelError> {
        let m = self.m;
        let fail = |what: String| Err(ModelError::Invariant(what));
        if self.ledger.imbalance() != 0 {
            return fail(format!("ledger does not balance: {} pence", self.ledger.imbalance()));
        }
        // Expected balances from the activity tallies and the payment rules.
        let b = &self.books;
        let mut provider = vec![0i128; m.config.providers.len()];
        let mut tariff_total = 0i128;
        for (s, counts) in b.activity.iter().enumerate() {
            let p = m.services[s].provider;
            let pbr = m.config.providers[p].payment == Payment::Pbr;
            for item in Item::ALL {
                let n = counts[item as usize] as i128;
                let price = if pbr { m.prices.price(s, item).0 as i128 } else { 0 };
                tariff_total += n * price;
                provider[p] += n * (price - m.prices.marginal_cost(s, item).0 as i128);
            }
        }
        for (p, expected) in provider.iter().enumerate() {
            let expected = expected
                + b.block[p]
                + b.emergency_income[p]
                + b.reinvested[p]
                + b.supplement[p]
                + b.topup[p]
                + b.assurance[p]
                - b.emergency_cost[p]
                - b.fixed_cost[p];
            let got = self.ledger.balance(Account::Provider(p)).0 as i128;
            if got != expected {
                return fail(format!("provider {p} balance {got}p, activity and contracts imply {expected}p"));
            }
        }
        let block: i128 = b.block.iter().sum();
        let emergency: i128 = b.emergency_income.iter().sum();
        let supplement: i128 = b.supplement.iter().sum();
        let topup: i128 = b.topup.iter().sum();
        let assurance: i128 = b.assurance.iter().sum();
        let pct_expected = b.allocation
            - tariff_total
            - block
            - emergency
            - b.pbc_paid
            - b.primary_care
            - supplement
            - topup
            - assurance
            - b.capital_charge
            - b.unmodelled_pbr;
        let pcts = &m.config.pcts;
        let pct: i128 = (0..pcts.len()).map(|k| self.ledger.balance(Account::Pct(k)).0 as i128).sum();
        if pct != pct_expected {
            return fail(format!("PCT balance {pct}p, allocation less payments implies {pct_expected}p"));
        }
        // Each PCT on its own: what came in less what it was tallied as paying.
        for k in 0..pcts.len() {
            let (got, want) = (self.ledger.balance(Account::Pct(k)).0 as i128, b.pct_in[k] - b.pct_out[k]);
            if got != want {
                return fail(format!("PCT {k} balance {got}p, its allocation less its payments implies {want}p"));
            }
        }
        for p in 0..m.config.practices.len() {
            if self.ledger.balance(Account::Practice(p)) != Pence::ZERO {
                return fail(format!("practice {p} has a balance but nothing pays practices"));
            }
        }
        let reported = |f: fn(&YearRecord) -> Pence| self.years.iter().map(|y| f(y).0 as i128).sum::<i128>();
        let per_provider = |f: fn(&super::ProviderYear) -> Pence| {
            self.years.iter().flat_map(|y| y.providers.iter().map(move |p| f(p).0 as i128)).sum::<i128>()
        };
        for (what, got, want) in [
            ("tariff", reported(|y| y.tariff_paid), tariff_total),
            ("block", reported(|y| y.block_paid), block),
            ("emergency", reported(|y| y.emergency_paid), emergency),
            ("unmodelled PbR", reported(|y| y.unmodelled_pbr_paid), b.unmodelled_pbr),
            ("supplement", per_provider(|p| p.supplement_income), supplement),
            ("guarantee top-up", per_provider(|p| p.mig_topup), topup),
            ("assurance", per_provider(|p| p.assurance_paid), assurance),
            ("capital charge", per_provider(|p| p.capital_charge), b.capital_charge),
        ] {
            if got != want {
                return fail(format!("reported {what} payments {got}p differ from the ledger's {want}p"));
            }
        }
        // Conservation of patients, counted from the patients themselves: those in the
        // slab (in treatment, in work-up, diverted) and those waiting on the lists.
        let (mut open, mut emergencies) = (0u64, 0u64);
        let mut per_stage = vec![[0u64; 2]; self.lists.len()];
        for p in &self.patients.slots {
            open += u64::from(p.clock_running());
            emergencies += u64::from(p.state != State::Free && p.outcome.is_emergency());
            let slot = match p.state {
                State::InFirst => 0,
                State::InAdmission => 1,
                State::Free | State::WorkUp | State::FollowingUp | State::Diverted => continue,
            };
            per_stage[p.service as usize][slot] += 1;
        }
        for list in &self.lists {
            for stage in [Stage::FirstOutpatient, Stage::Admission] {
                for w in list.waiting_patients(stage) {
                    let emergency = w.outcome.is_emergency();
                    open += u64::from(!emergency);
                    emergencies += u64::from(emergency);
                }
            }
        }
        if b.initial + b.referred != b.stopped_admitted + b.stopped_non_admitted + open {
            return fail(format!(
                "patients not conserved: {} initial + {} referred != {} admitted + {} non-admitted clock stops + {} still waiting",
                b.initial, b.referred, b.stopped_admitted, b.stopped_non_admitted, open
            ));
        }
        let diverted = self.patients.slots.iter().filter(|p| p.state == State::Diverted).count() as u64;
        if b.inappropriate != b.returned + diverted {
            return fail(format!(
                "wrongly diverted referrals not conserved: {} diverted != {} returned + {} still away",
                b.inappropriate, b.returned, diverted
            ));
        }
        if b.emergency_arrived != b.emergency_done + emergencies {
            return fail(format!(
                "emergency admissions not conserved: {} arrived != {} discharged + {} in hospital",
                b.emergency_arrived, b.emergency_done, emergencies
            ));
        }
        for (s, list) in self.lists.iter().enumerate() {
            let stations = [list.in_service(Stage::FirstOutpatient) as u64, list.in_service(Stage::Admission) as u64];
            if stations != per_stage[s] {
                return fail(format!(
                    "service {s}: lists have {stations:?} in treatment (first, admission) but patients say {:?}",
                    per_stage[s]
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
