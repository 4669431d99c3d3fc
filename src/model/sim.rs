//! One replication of the health economy: the event loop and the handlers that move a
//! patient along the pathway, with the end-of-run proofs that the books balance and
//! that every patient is accounted for.

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use crate::engine::{EventQueue, Stream, stream};

use super::config::Item;
use super::gp::Decision;
use super::ledger::{Account, Ledger};
use super::money::Pence;
use super::pathway::Outcome;
use super::payment;
use super::record::{RTT_STANDARD_DAYS, YearRecord};
use super::waiting_list::{Stage, WaitingList};
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
    /// Work-up between first attendance and listing, one stream per service line.
    pub const WORK_UP: u64 = 8;
    /// Scenario structure (generated practices): keyed by the generator's own seed
    /// with [`STRUCTURE_REPLICATION`], never by the Monte Carlo seed.
    pub const STRUCTURE: u64 = 7;
    /// The replication number used for structure streams.
    pub const STRUCTURE_REPLICATION: u64 = u64::MAX;
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Arrival(u32),
    FirstDone(u32),
    AdmissionDone(u32),
    FollowUp(u32),
    Listed(u32),
    Month(u32),
    YearStart(u32),
    End,
}

/// One Poisson stream of episodes: a practice and a service line.
struct Source {
    practice: usize,
    line: usize,
    gap: Exp<f64>,
    arrivals: Stream,
    gp: Stream,
    clinical: Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    WaitingFirst,
    InFirst,
    WorkUp,
    WaitingAdmission,
    InAdmission,
    FollowingUp,
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
    /// Whether the referral-to-treatment clock is still running.
    fn clock_running(&self) -> bool {
        match self.state {
            State::WaitingFirst | State::WorkUp | State::WaitingAdmission => true,
            State::InFirst => self.outcome.is_admitted(),
            State::Free | State::InAdmission | State::FollowingUp => false,
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

/// Tallies kept apart from the year records and the ledger, used only to prove at the
/// end that the ledger agrees with the activity that caused it.
#[derive(Default)]
struct Books {
    activity: Vec<[u64; Item::COUNT]>,
    fixed_cost: Vec<i128>,
    allocation: i128,
    initial: u64,
    referred: u64,
    stopped_admitted: u64,
    stopped_non_admitted: u64,
}

/// The result of one replication.
#[derive(Debug, Clone)]
pub struct ReplicationResult {
    /// One record per reported financial year.
    pub years: Vec<YearRecord>,
    /// Ledger postings made.
    pub ledger_entries: u64,
}

pub(super) struct Replication<'m> {
    m: &'m Model,
    q: EventQueue<Event>,
    sources: Vec<Source>,
    lists: Vec<WaitingList>,
    follow_up_rng: Vec<Stream>,
    work_up_rng: Vec<Stream>,
    patients: Patients,
    ledger: Ledger,
    years: Vec<YearRecord>,
    year: Option<usize>,
    books: Books,
}

impl<'m> Replication<'m> {
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
                )
            })
            .collect();
        let mut sources = Vec::new();
        for (p, practice) in c.practices.iter().enumerate() {
            for (l, line) in c.lines.iter().enumerate() {
                let rate = line.incidence_per_1000 / 1000.0 * practice.list_size as f64 / 365.25;
                if rate > 0.0 && rate.is_finite() {
                    let key = (p * c.lines.len() + l) as u64;
                    sources.push(Source {
                        practice: p,
                        line: l,
                        gap: Exp::new(rate).expect("positive finite rate"),
                        arrivals: stream(seed, rep, process::ARRIVALS, key),
                        gp: stream(seed, rep, process::GP_DECISION, key),
                        clinical: stream(seed, rep, process::CLINICAL, key),
                    });
                }
            }
        }
        let lists_sizes: Vec<u64> = c.practices.iter().map(|p| p.list_size as u64).collect();
        let years =
            c.calendar.years.iter().map(|y| YearRecord::new(y.fraction, c.providers.len(), &lists_sizes)).collect();
        let mut r = Self {
            m,
            q: EventQueue::with_capacity(sources.len() + 1024),
            follow_up_rng: (0..c.lines.len()).map(|l| stream(seed, rep, process::FOLLOW_UP, l as u64)).collect(),
            work_up_rng: (0..c.lines.len()).map(|l| stream(seed, rep, process::WORK_UP, l as u64)).collect(),
            sources,
            lists,
            patients: Patients::default(),
            ledger: Ledger::new(c.providers.len(), c.practices.len()),
            years,
            year: None,
            books: Books {
                activity: vec![[0; Item::COUNT]; m.services.len()],
                fixed_cost: vec![0; c.providers.len()],
                ..Default::default()
            },
        };
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
        for i in 0..self.sources.len() {
            let s = &mut self.sources[i];
            let t = s.gap.sample(&mut s.arrivals);
            self.q.schedule_at(t, Event::Arrival(i as u32))?;
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
                    let state = match stage {
                        Stage::FirstOutpatient => State::WaitingFirst,
                        Stage::Admission => State::WaitingAdmission,
                    };
                    let pid = self.patients.insert(Patient {
                        practice,
                        service: s as u32,
                        referred_at,
                        outcome,
                        follow_ups_left: 0,
                        state,
                    });
                    self.books.initial += 1;
                    self.join(stage, 0.0, pid)?;
                }
            }
        }
        Ok(())
    }

    /// Runs to the end of the horizon and proves the books.
    pub(super) fn run(mut self) -> Result<ReplicationResult, ModelError> {
        while let Some((now, ev)) = self.q.pop() {
            match ev {
                Event::Arrival(i) => self.arrival(now, i as usize)?,
                Event::FirstDone(p) => self.first_done(now, p)?,
                Event::AdmissionDone(p) => self.admission_done(now, p)?,
                Event::FollowUp(p) => self.follow_up(now, p)?,
                Event::Listed(p) => {
                    self.patients.slots[p as usize].state = State::WaitingAdmission;
                    self.join(Stage::Admission, now, p)?
                }
                Event::Month(k) => self.month(k as usize)?,
                Event::YearStart(y) => self.year_start(now, y as usize)?,
                Event::End => {
                    if let Some(y) = self.year {
                        self.snapshot(now, y);
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
        Ok(ReplicationResult { ledger_entries: self.ledger.entries(), years: self.years })
    }

    fn arrival(&mut self, now: f64, i: usize) -> Result<(), ModelError> {
        let m = self.m;
        let s = &mut self.sources[i];
        let (practice, line) = (s.practice, s.line);
        let next = now + s.gap.sample(&mut s.arrivals);
        let decision = m.gp.decide(practice, line, &mut s.gp);
        let outcome = m.pathways[line].draw(&mut s.clinical);
        self.q.schedule_at(next, Event::Arrival(i as u32))?;
        if let Some(y) = self.year {
            self.years[y].episodes += 1;
            self.years[y].practices[practice].episodes += 1;
        }
        if decision == Decision::TreatInPrimaryCare {
            if let Some(y) = self.year {
                self.years[y].primary_care += 1;
            }
            return Ok(());
        }
        let service = m.choice.choose(practice, line).ok_or_else(|| {
            ModelError::Invariant(format!("no provider for service line {line} (checked when the model was built)"))
        })?;
        let pid = self.patients.insert(Patient {
            practice: practice as u32,
            service: service as u32,
            referred_at: now,
            outcome,
            follow_ups_left: 0,
            state: State::WaitingFirst,
        });
        self.books.referred += 1;
        if let Some(y) = self.year {
            let rec = &mut self.years[y];
            rec.referrals += 1;
            rec.providers[m.services[service].provider].referrals += 1;
            rec.practices[practice].referrals += 1;
        }
        self.join(Stage::FirstOutpatient, now, pid)
    }

    fn join(&mut self, stage: Stage, now: f64, pid: u32) -> Result<(), ModelError> {
        let service = self.patients.slots[pid as usize].service as usize;
        match self.lists[service].join(stage, now, pid) {
            Some(d) => self.start(stage, now, pid, d),
            None => Ok(()),
        }
    }

    fn start(&mut self, stage: Stage, now: f64, pid: u32, duration: f64) -> Result<(), ModelError> {
        let p = &mut self.patients.slots[pid as usize];
        let (state, event, stops_clock) = match stage {
            Stage::FirstOutpatient => (State::InFirst, Event::FirstDone(pid), !p.outcome.is_admitted()),
            Stage::Admission => (State::InAdmission, Event::AdmissionDone(pid), true),
        };
        p.state = state;
        if stops_clock {
            self.stop_clock(now, pid, stage == Stage::Admission);
        }
        self.q.schedule_at(now + duration, event)?;
        Ok(())
    }

    /// The referral-to-treatment clock stops: at admission, or at the first attendance
    /// for a patient who will not be admitted.
    fn stop_clock(&mut self, now: f64, pid: u32, admitted: bool) {
        let p = self.patients.slots[pid as usize];
        if admitted {
            self.books.stopped_admitted += 1;
        } else {
            self.books.stopped_non_admitted += 1;
        }
        if let Some(y) = self.year {
            let wait = now - p.referred_at;
            let rec = &mut self.years[y];
            if admitted {
                rec.rtt_admitted.record(wait);
            } else {
                rec.rtt_non_admitted.record(wait);
            }
            let pr = &mut rec.providers[self.m.services[p.service as usize].provider];
            pr.rtt_stops += 1;
            pr.rtt_sum_days += wait;
            pr.rtt_within_standard += u64::from(wait < RTT_STANDARD_DAYS);
        }
    }

    /// Frees the server a patient was using at `stage` and starts the next patient.
    fn release(&mut self, stage: Stage, now: f64, pid: u32) -> Result<(), ModelError> {
        let service = self.patients.slots[pid as usize].service as usize;
        let next = self.lists[service].finish(stage, now).map_err(|()| {
            ModelError::Invariant(format!("service {service} finished a {stage:?} with no server busy"))
        })?;
        if let Some((next, d)) = next {
            self.start(stage, now, next, d)?;
        }
        Ok(())
    }

    /// Counts a completed unit of activity and pays for it under PbR.
    fn complete_activity(&mut self, pid: u32, item: Item) -> Result<(), ModelError> {
        let Some(y) = self.year else { return Ok(()) };
        let p = self.patients.slots[pid as usize];
        let service = p.service as usize;
        let provider = self.m.services[service].provider;
        self.books.activity[service][item as usize] += 1;
        let st = payment::settle_activity(&mut self.ledger, &self.m.prices, service, provider, item)?;
        let rec = &mut self.years[y];
        let pr = &mut rec.providers[provider];
        match item {
            Item::FirstOutpatient => {
                rec.first_attendances += 1;
                pr.first_attendances += 1;
            }
            Item::FollowUp => {
                rec.follow_ups += 1;
                pr.follow_ups += 1;
            }
            Item::ElectiveSpell => {
                rec.admissions += 1;
                pr.admissions += 1;
            }
        }
        let overflow = || ModelError::Invariant("a yearly money total overflowed".into());
        pr.tariff_income = pr.tariff_income.checked_add(st.tariff).ok_or_else(overflow)?;
        pr.marginal_cost = pr.marginal_cost.checked_add(st.marginal_cost).ok_or_else(overflow)?;
        rec.tariff_paid = rec.tariff_paid.checked_add(st.tariff).ok_or_else(overflow)?;
        let pa = &mut rec.practices[p.practice as usize];
        pa.spend = pa.spend.checked_add(st.tariff).ok_or_else(overflow)?;
        Ok(())
    }

    fn first_done(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        self.release(Stage::FirstOutpatient, now, pid)?;
        self.complete_activity(pid, Item::FirstOutpatient)?;
        let outcome = self.patients.slots[pid as usize].outcome;
        match outcome {
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
        }
    }

    fn admission_done(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        self.release(Stage::Admission, now, pid)?;
        self.complete_activity(pid, Item::ElectiveSpell)?;
        match self.patients.slots[pid as usize].outcome {
            Outcome::Admitted { follow_ups } => self.schedule_follow_ups(now, pid, follow_ups),
            other => Err(ModelError::Invariant(format!("patient admitted with outcome {other:?}"))),
        }
    }

    fn schedule_follow_ups(&mut self, now: f64, pid: u32, count: u16) -> Result<(), ModelError> {
        if count == 0 {
            self.patients.remove(pid);
            return Ok(());
        }
        let p = &mut self.patients.slots[pid as usize];
        p.state = State::FollowingUp;
        p.follow_ups_left = count;
        let line = self.m.services[p.service as usize].line;
        let gap = self.m.config.lines[line].follow_up_interval.sample(&mut self.follow_up_rng[line]);
        self.q.schedule_at(now + gap, Event::FollowUp(pid))?;
        Ok(())
    }

    fn follow_up(&mut self, now: f64, pid: u32) -> Result<(), ModelError> {
        self.complete_activity(pid, Item::FollowUp)?;
        let left = self.patients.slots[pid as usize].follow_ups_left - 1;
        self.schedule_follow_ups(now, pid, left)
    }

    fn month(&mut self, k: usize) -> Result<(), ModelError> {
        let month = &self.m.config.calendar.months[k];
        let y = month.year;
        for p in 0..self.m.config.providers.len() {
            let amount = payment::fixed_cost_instalment(&self.m.config, p, month);
            payment::pay_fixed_cost(&mut self.ledger, p, amount)?;
            self.books.fixed_cost[p] += amount.0 as i128;
            let pr = &mut self.years[y].providers[p];
            pr.fixed_cost = pr
                .fixed_cost
                .checked_add(amount)
                .ok_or_else(|| ModelError::Invariant("fixed cost total overflowed".into()))?;
        }
        Ok(())
    }

    fn year_start(&mut self, now: f64, y: usize) -> Result<(), ModelError> {
        match y.checked_sub(1) {
            Some(prev) => self.snapshot(now, prev),
            // Reporting starts: utilisation counts from here, not from the warm-up.
            None => self.lists.iter_mut().for_each(|l| {
                l.take_busy_days(now);
            }),
        }
        self.year = Some(y);
        let amount = payment::allocation_for_year(&self.m.config, y).ok_or(ModelError::AllocationOverflow)?;
        payment::pay_allocation(&mut self.ledger, amount)?;
        self.books.allocation += amount.0 as i128;
        self.years[y].allocation = amount;
        Ok(())
    }

    /// End-of-year stocks: list sizes, utilisation, the ledger's balance.
    fn snapshot(&mut self, now: f64, y: usize) {
        let fy = &self.m.config.calendar.years[y];
        let days = fy.end - fy.start;
        let rec = &mut self.years[y];
        for (s, list) in self.lists.iter_mut().enumerate() {
            let pr = &mut rec.providers[self.m.services[s].provider];
            let busy = list.take_busy_days(now);
            pr.busy_server_days += busy[0] + busy[1];
            pr.server_days += (list.servers(Stage::FirstOutpatient) + list.servers(Stage::Admission)) as f64 * days;
            let (first, adm) = (list.waiting(Stage::FirstOutpatient) as u64, list.waiting(Stage::Admission) as u64);
            pr.waiting_end += first + adm;
            rec.waiting_first_end += first;
            rec.waiting_admission_end += adm;
        }
        rec.ledger_imbalance_pence = i64::try_from(self.ledger.imbalance()).unwrap_or(i64::MAX);
    }

    /// The end-of-run proofs: the ledger balances and agrees with the activity that
    /// caused it, and every patient is accounted for exactly once.
    fn prove(&self) -> Result<(), ModelError> {
        let m = self.m;
        let fail = |what: String| Err(ModelError::Invariant(what));
        if self.ledger.imbalance() != 0 {
            return fail(format!("ledger does not balance: {} pence", self.ledger.imbalance()));
        }
        // Expected balances from the activity tallies and the calendar.
        let mut provider = vec![0i128; m.config.providers.len()];
        let mut tariff_total = 0i128;
        for (s, counts) in self.books.activity.iter().enumerate() {
            for item in Item::ALL {
                let n = counts[item as usize] as i128;
                let price = m.prices.price(s, item).0 as i128;
                let cost = m.prices.marginal_cost(s, item).0 as i128;
                tariff_total += n * price;
                provider[m.services[s].provider] += n * (price - cost);
            }
        }
        for (p, expected) in provider.iter().enumerate() {
            let expected = expected - self.books.fixed_cost[p];
            let got = self.ledger.balance(Account::Provider(p)).0 as i128;
            if got != expected {
                return fail(format!("provider {p} balance {got}p, activity implies {expected}p"));
            }
        }
        let pct_expected = self.books.allocation - tariff_total;
        let pct = self.ledger.balance(Account::Pct).0 as i128;
        if pct != pct_expected {
            return fail(format!("PCT balance {pct}p, allocation less activity implies {pct_expected}p"));
        }
        for p in 0..m.config.practices.len() {
            if self.ledger.balance(Account::Practice(p)) != Pence::ZERO {
                return fail(format!("practice {p} has a balance but nothing pays practices"));
            }
        }
        let reported: i128 = self.years.iter().map(|y| y.tariff_paid.0 as i128).sum();
        if reported != tariff_total {
            return fail(format!("reported tariff {reported}p differs from activity × price {tariff_total}p"));
        }
        // Conservation of patients, counted from the patients themselves.
        let mut open = 0u64;
        let mut per_stage = vec![[0u64; 4]; self.lists.len()];
        for p in &self.patients.slots {
            open += u64::from(p.clock_running());
            let slot = match p.state {
                State::WaitingFirst => 0,
                State::InFirst => 1,
                State::WaitingAdmission => 2,
                State::InAdmission => 3,
                State::Free | State::WorkUp | State::FollowingUp => continue,
            };
            per_stage[p.service as usize][slot] += 1;
        }
        let b = &self.books;
        if b.initial + b.referred != b.stopped_admitted + b.stopped_non_admitted + open {
            return fail(format!(
                "patients not conserved: {} initial + {} referred != {} admitted + {} non-admitted clock stops + {} still waiting",
                b.initial, b.referred, b.stopped_admitted, b.stopped_non_admitted, open
            ));
        }
        for (s, list) in self.lists.iter().enumerate() {
            let stations = [
                list.waiting(Stage::FirstOutpatient) as u64,
                list.in_service(Stage::FirstOutpatient) as u64,
                list.waiting(Stage::Admission) as u64,
                list.in_service(Stage::Admission) as u64,
            ];
            if stations != per_stage[s] {
                return fail(format!(
                    "service {s}: lists hold {stations:?} (waiting/in service, first/admission) but patients say {:?}",
                    per_stage[s]
                ));
            }
        }
        Ok(())
    }
}
