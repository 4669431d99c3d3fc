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

/// A future-event list with a clock.
///
/// Invariant: `now` never decreases, and every pending event is at a time `>= now`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    now: f64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty list with the clock at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty list with room for `capacity` pending events before it reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { heap: BinaryHeap::with_capacity(capacity), seq: 0, now: 0.0 }
    }

    /// The current simulated time: the time of the last event popped.
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at absolute time `at`.
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
        self.heap.push(Entry { time_bits: at.to_bits(), seq: self.seq, event });
        self.seq += 1;
        Ok(())
    }

    /// Schedules `event` after `delay` days.
    #[inline]
    pub fn schedule_in(&mut self, delay: f64, event: E) -> Result<(), ScheduleError> {
        self.schedule_at(self.now + delay, event)
    }

    /// The time of the next event, if any, without removing it.
    #[inline]
    pub fn peek_time(&self) -> Option<f64> {
        self.heap.peek().map(|e| f64::from_bits(e.time_bits))
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        let entry = self.heap.pop()?;
        self.now = f64::from_bits(entry.time_bits);
        Some((self.now, entry.event))
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
