//! The future-event list.
//!
//! Events are ordered by `(time, insertion sequence)`. The sequence number makes the
//! order total and ties FIFO, so a run never depends on how a heap happens to break
//! ties. Time is an `f64` number of days, but it is never compared with `partial_cmp`:
//! a finite, non-negative `f64` has a bit pattern that orders exactly like its value,
//! so the key is the pair of integers `(time.to_bits(), seq)`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Why an event could not be scheduled. Scheduling into the past or at a non-finite
/// time is a bug in the caller, reported as an error rather than a panic so that a run
/// can say which replication failed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("event scheduled at non-finite time {at} (now {now})")]
    NotFinite { at: f64, now: f64 },
    #[error("event scheduled in the past: at {at}, now {now}")]
    InPast { at: f64, now: f64 },
}

struct Entry<E> {
    time_bits: u64,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn key(&self) -> (u64, u64) {
        (self.time_bits, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest event.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Buckets per day of simulated time (time is in days): an eighth of a day each.
const PER_DAY: f64 = 8.0;
/// Buckets in the ring (1,024 days ahead); events further ahead wait in `far`.
const RING: u64 = 8192;

/// A future-event list with a clock.
///
/// Invariant: `now` never decreases, and every pending event is at a time `>= now`.
///
/// Events are kept by bucket of an eighth of a day (time is in days; "day" below means
/// a bucket): the current bucket's events in a binary heap (`near`), each of the next
/// `RING` buckets' in an unsorted Vec (a push is an append), and anything further
/// ahead in a second heap (`far`). When the
/// current day is exhausted the next non-empty bucket becomes the heap (heapified in
/// linear time). Pops come out in exactly the order of one global heap on
/// `(time, seq)`, since a day's events are all in `near` before any is popped, but the
/// heap that does the work holds one day's events (about 1/500 of the pending set in a
/// large model), so it stays in cache.
pub struct EventQueue<E> {
    near: BinaryHeap<Entry<E>>,
    ring: Vec<Vec<Entry<E>>>,
    far: BinaryHeap<Entry<E>>,
    /// The day `near` holds.
    day: u64,
    /// Events in `ring`.
    in_ring: usize,
    seq: u64,
    now: f64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of a finite, non-negative time (saturating for absurd times). Monotone
/// in time, which is all the ordering needs.
#[inline]
fn day_of(time_bits: u64) -> u64 {
    (f64::from_bits(time_bits) * PER_DAY) as u64
}

impl<E> EventQueue<E> {
    /// An empty list with the clock at 0.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty list with room for `capacity` events in the current day before it
    /// reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            near: BinaryHeap::with_capacity(capacity),
            ring: (0..RING).map(|_| Vec::new()).collect(),
            far: BinaryHeap::new(),
            day: 0,
            in_ring: 0,
            seq: 0,
            now: 0.0,
        }
    }

    /// The current time: the time of the last event popped (0 before any).
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.near.len() + self.in_ring + self.far.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at absolute time `at` (>= now, finite).
    #[inline]
    pub fn schedule_at(&mut self, at: f64, event: E) -> Result<(), ScheduleError> {
        // `+ 0.0` turns -0.0 into +0.0, whose bit pattern sorts correctly.
        let at = at + 0.0;
        if !at.is_finite() {
            return Err(ScheduleError::NotFinite { at, now: self.now });
        }
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        let entry = Entry { time_bits: at.to_bits(), seq: self.seq, event };
        self.seq += 1;
        self.place(entry);
        Ok(())
    }

    #[inline]
    fn place(&mut self, entry: Entry<E>) {
        let d = day_of(entry.time_bits);
        if d <= self.day {
            self.near.push(entry);
        } else if d - self.day < RING {
            self.ring[(d % RING) as usize].push(entry);
            self.in_ring += 1;
        } else {
            self.far.push(entry);
        }
    }

    /// Schedules `event` after `delay` (>= 0) from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: f64, event: E) -> Result<(), ScheduleError> {
        self.schedule_at(self.now + delay, event)
    }

    /// Time of the next event, without removing it.
    pub fn peek_time(&self) -> Option<f64> {
        if let Some(e) = self.near.peek() {
            return Some(f64::from_bits(e.time_bits));
        }
        if self.in_ring > 0 {
            for k in 1..RING {
                let bucket = &self.ring[((self.day + k) % RING) as usize];
                if let Some(bits) = bucket.iter().map(|e| e.key()).min() {
                    return Some(f64::from_bits(bits.0));
                }
            }
        }
        self.far.peek().map(|e| f64::from_bits(e.time_bits))
    }

    /// Moves to the next day that has events: its bucket becomes `near`.
    fn advance(&mut self) {
        debug_assert!(self.near.is_empty());
        if self.in_ring == 0 {
            // Nothing in the window: jump straight to the earliest far event's day.
            let Some(e) = self.far.peek() else { return };
            self.day = day_of(e.time_bits).max(self.day + 1);
        } else {
            self.day += 1;
        }
        // Far events now inside the window move into their buckets (or `near`).
        while let Some(e) = self.far.peek() {
            if day_of(e.time_bits) - self.day >= RING {
                break;
            }
            let e = self.far.pop().expect("peeked");
            self.place(e);
        }
        let slot = (self.day % RING) as usize;
        let bucket = std::mem::take(&mut self.ring[slot]);
        self.in_ring -= bucket.len();
        // `near` was empty, but may hold far events placed just above. Its buffer is
        // freed rather than handed to the bucket: every bucket keeping the capacity of
        // the busiest day would hold `RING` days' worth of memory.
        let placed = std::mem::replace(&mut self.near, BinaryHeap::from(bucket));
        self.near.extend(placed);
    }

    /// Removes the earliest event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        loop {
            if let Some(entry) = self.near.pop() {
                self.now = f64::from_bits(entry.time_bits);
                return Some((self.now, entry.event));
            }
            if self.in_ring == 0 && self.far.is_empty() {
                return None;
            }
            self.advance();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_ties_fifo() {
        let mut q = EventQueue::new();
        q.schedule_at(2.0, 'c').unwrap();
        q.schedule_at(1.0, 'a').unwrap();
        q.schedule_at(1.0, 'b').unwrap();
        q.schedule_at(0.0, 'z').unwrap();
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['z', 'a', 'b', 'c']);
        assert_eq!(q.now(), 2.0);
    }

    #[test]
    fn bit_order_matches_value_order_for_non_negative_times() {
        let times = [0.0, 1e-300, 0.5, 1.0, 1.0 + f64::EPSILON, 365.25, 1e9];
        for w in times.windows(2) {
            assert!(w[0].to_bits() < w[1].to_bits());
        }
    }

    #[test]
    fn negative_zero_is_scheduled_as_zero() {
        let mut q = EventQueue::new();
        q.schedule_at(1.0, 1).unwrap();
        q.schedule_at(-0.0, 0).unwrap();
        assert_eq!(q.pop().unwrap().1, 0);
    }

    #[test]
    fn matches_a_global_heap_across_days_and_the_far_horizon() {
        // A pseudo-random mix of same-day, next-days and far-future events, popped and
        // rescheduled, must come out exactly as from one binary heap on (time, seq).
        let mut q = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut seq = 0u64;
        let mut push = |q: &mut EventQueue<u64>, r: &mut BinaryHeap<Entry<u64>>, at: f64| {
            q.schedule_at(at, seq).unwrap();
            r.push(Entry { time_bits: at.to_bits(), seq, event: seq });
            seq += 1;
        };
        for _ in 0..2000 {
            let at = (next() % 5000) as f64 / 7.0;
            push(&mut q, &mut reference, at);
        }
        for _ in 0..20_000 {
            let Some((t, e)) = q.pop() else { break };
            let r = reference.pop().unwrap();
            assert_eq!((t.to_bits(), e), (r.time_bits, r.event));
            assert_eq!(q.peek_time().map(f64::to_bits), reference.peek().map(|e| e.time_bits));
            let delay = match next() % 4 {
                0 => 0.0,
                1 => (next() % 100) as f64 / 100.0,
                2 => (next() % 3000) as f64 / 3.0,
                _ => (next() % 50) as f64,
            };
            if next() % 3 != 0 {
                push(&mut q, &mut reference, t + delay);
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some((t, e)) = q.pop() {
            let r = reference.pop().unwrap();
            assert_eq!((t.to_bits(), e), (r.time_bits, r.event));
        }
        assert!(reference.is_empty());
    }

    #[test]
    fn past_and_non_finite_times_are_errors() {
        let mut q = EventQueue::new();
        q.schedule_at(5.0, ()).unwrap();
        q.pop();
        assert!(matches!(q.schedule_at(4.0, ()), Err(ScheduleError::InPast { .. })));
        assert!(matches!(q.schedule_at(f64::NAN, ()), Err(ScheduleError::NotFinite { .. })));
        assert!(matches!(q.schedule_in(f64::INFINITY, ()), Err(ScheduleError::NotFinite { .. })));
        assert!(q.is_empty());
    }
}
