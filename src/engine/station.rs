//! A multi-server first-come-first-served station: `c` identical servers and one FIFO
//! queue. It holds no random generator and schedules nothing: the caller draws service
//! times and schedules completions, so the same station serves an M/M/c test and a
//! hospital waiting list alike.
//!
//! It keeps time-weighted areas (busy servers × time, queue length × time) so callers
//! can measure utilisation and check Little's law without storing a history.

use std::collections::VecDeque;

/// A `c`-server FIFO station holding items of type `T` in its queue.
///
/// Invariants: `busy <= servers`; the queue is non-empty only when every server is
/// busy (work-conserving); areas only grow, and only up to the caller's clock.
#[derive(Debug, Clone)]
pub struct Station<T> {
    servers: u32,
    busy: u32,
    queue: VecDeque<T>,
    last: f64,
    busy_area: f64,
    queue_area: f64,
}

impl<T> Station<T> {
    /// A station with `servers` servers, idle, with an empty queue, at time `now`.
    pub fn new(servers: u32, now: f64) -> Self {
        Self { servers, busy: 0, queue: VecDeque::new(), last: now, busy_area: 0.0, queue_area: 0.0 }
    }

    #[inline]
    fn advance(&mut self, now: f64) {
        let dt = now - self.last;
        debug_assert!(dt >= 0.0, "station clock went backwards");
        self.busy_area += self.busy as f64 * dt;
        self.queue_area += self.queue.len() as f64 * dt;
        self.last = now;
    }

    /// An item arrives. If a server is free the item starts service at once and is
    /// returned (the caller schedules its completion); otherwise it joins the queue.
    #[inline]
    pub fn arrive(&mut self, now: f64, item: T) -> Option<T> {
        self.advance(now);
        if self.busy < self.servers {
            self.busy += 1;
            Some(item)
        } else {
            self.queue.push_back(item);
            None
        }
    }

    /// A service completes. If an item is waiting it starts service on the freed server
    /// and is returned; otherwise the server becomes idle.
    ///
    /// Returns `Err(())` if no server was busy: the caller's books are wrong.
    #[inline]
    #[allow(clippy::result_unit_err)]
    pub fn complete(&mut self, now: f64) -> Result<Option<T>, ()> {
        if self.busy == 0 {
            return Err(());
        }
        self.advance(now);
        match self.queue.pop_front() {
            Some(next) => Ok(Some(next)),
            None => {
                self.busy -= 1;
                Ok(None)
            }
        }
    }

    /// Number of servers.
    #[inline]
    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Number of busy servers.
    #[inline]
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Number of items waiting (not in service).
    #[inline]
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// The waiting items, front of the queue first.
    pub fn queue(&self) -> impl Iterator<Item = &T> {
        self.queue.iter()
    }

    /// Time-weighted areas up to `now`: `(busy servers × days, queue length × days)`.
    pub fn areas(&mut self, now: f64) -> (f64, f64) {
        self.advance(now);
        (self.busy_area, self.queue_area)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_fifo_and_conserves_work() {
        let mut s = Station::new(2, 0.0);
        assert_eq!(s.arrive(0.0, 'a'), Some('a'));
        assert_eq!(s.arrive(1.0, 'b'), Some('b'));
        assert_eq!(s.arrive(2.0, 'c'), None);
        assert_eq!(s.arrive(2.0, 'd'), None);
        assert_eq!((s.busy(), s.waiting()), (2, 2));
        assert_eq!(s.complete(3.0), Ok(Some('c')));
        assert_eq!(s.complete(4.0), Ok(Some('d')));
        assert_eq!(s.complete(5.0), Ok(None));
        assert_eq!(s.complete(6.0), Ok(None));
        assert_eq!(s.complete(7.0), Err(()));
        // busy: 1 on [0,1), 2 on [1,5), 1 on [5,6) => 1 + 8 + 1 = 10
        // queue: 2 on [2,3), 1 on [3,4) => 3
        assert_eq!(s.areas(7.0), (10.0, 3.0));
    }

    #[test]
    fn zero_servers_queue_everything() {
        let mut s = Station::new(0, 0.0);
        assert_eq!(s.arrive(0.0, 1), None);
        assert_eq!(s.waiting(), 1);
        assert_eq!(s.complete(1.0), Err(()));
    }
}
