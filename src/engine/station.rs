//! A multi-server station: `c` identical servers and two FIFO queues, a priority queue
//! served first and the ordinary queue (non-preemptive priority: an item in service is
//! never interrupted). It holds no random generator and schedules nothing: the caller
//! draws service times and schedules completions, so the same station serves an M/M/c
//! test and a hospital waiting list alike.
//!
//! The number of servers can change while items are in service: more servers start
//! waiting items at once; fewer servers take effect as busy servers finish.
//!
//! It keeps time-weighted areas (busy servers × time, queue length × time) so callers
//! can measure utilisation and check Little's law without storing a history.

use std::collections::VecDeque;

/// A `c`-server station holding items of type `T` in its queues.
///
/// Invariants: `busy <= servers` except while a reduction in servers is draining; the
/// queues are non-empty only when every server is busy (work-conserving); areas only
/// grow, and only up to the caller's clock.
#[derive(Debug, Clone)]
pub struct Station<T> {
    servers: u32,
    busy: u32,
    priority: VecDeque<T>,
    queue: VecDeque<T>,
    last: f64,
    busy_area: f64,
    queue_area: f64,
}

impl<T> Station<T> {
    /// A station with `servers` servers, idle, with an empty queue, at time `now`.
    pub fn new(servers: u32, now: f64) -> Self {
        Self {
            servers,
            busy: 0,
            priority: VecDeque::new(),
            queue: VecDeque::new(),
            last: now,
            busy_area: 0.0,
            queue_area: 0.0,
        }
    }

    #[inline]
    fn advance(&mut self, now: f64) {
        let dt = now - self.last;
        debug_assert!(dt >= 0.0, "station clock went backwards");
        self.busy_area += self.busy as f64 * dt;
        self.queue_area += (self.queue.len() + self.priority.len()) as f64 * dt;
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

    /// A priority item arrives: as [`Station::arrive`], but if it must wait it goes
    /// ahead of every ordinary item (behind earlier priority items).
    #[inline]
    pub fn arrive_priority(&mut self, now: f64, item: T) -> Option<T> {
        self.advance(now);
        if self.busy < self.servers {
            self.busy += 1;
            Some(item)
        } else {
            self.priority.push_back(item);
            None
        }
    }

    /// Sets the number of servers. Returns the items that start service at once
    /// because servers were added (the caller schedules their completions); a
    /// reduction lets busy servers finish and starts nobody until `busy < servers`.
    pub fn set_servers(&mut self, now: f64, servers: u32) -> Vec<T> {
        self.advance(now);
        self.servers = servers;
        let mut started = Vec::new();
        while self.busy < self.servers {
            match self.priority.pop_front().or_else(|| self.queue.pop_front()) {
                Some(item) => {
                    self.busy += 1;
                    started.push(item);
                }
                None => break,
            }
        }
        started
    }

    /// Removes every waiting item (priority items first, each queue in order), leaving
    /// items in service to finish.
    pub fn drain_waiting(&mut self, now: f64) -> Vec<T> {
        self.advance(now);
        self.priority.drain(..).chain(self.queue.drain(..)).collect()
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
        if self.busy > self.servers {
            // Servers were removed: this one closes instead of taking the next item.
            self.busy -= 1;
            return Ok(None);
        }
        match self.priority.pop_front().or_else(|| self.queue.pop_front()) {
            Some(next) => Ok(Some(next)),
            None => {
                self.busy -= 1;
                Ok(None)
            }
        }
    }

    /// The waiting item the next completion would start (priority items first), if any.
    #[inline]
    pub fn next_waiting(&self) -> Option<&T> {
        self.priority.front().or_else(|| self.queue.front())
    }

    /// Asks the cache for the waiting item the next completion would start, so that a
    /// caller who knows a completion is coming can overlap the miss with other work.
    /// Changes nothing.
    #[inline]
    pub fn prefetch_next(&self) {
        if let Some(next) = self.next_waiting() {
            crate::engine::prefetch(std::slice::from_ref(next), 0);
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

    /// Number of items waiting (not in service), both queues.
    #[inline]
    pub fn waiting(&self) -> usize {
        self.queue.len() + self.priority.len()
    }

    /// The waiting items in the order they will be served.
    pub fn queue(&self) -> impl Iterator<Item = &T> {
        self.priority.iter().chain(self.queue.iter())
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
    fn priority_items_go_first_without_preemption() {
        let mut s = Station::new(1, 0.0);
        assert_eq!(s.arrive(0.0, 'a'), Some('a'));
        assert_eq!(s.arrive(0.0, 'b'), None);
        assert_eq!(s.arrive_priority(0.0, 'E'), None);
        assert_eq!(s.arrive_priority(0.0, 'F'), None);
        assert_eq!(s.queue().copied().collect::<String>(), "EFb");
        assert_eq!(s.complete(1.0), Ok(Some('E')));
        assert_eq!(s.complete(2.0), Ok(Some('F')));
        assert_eq!(s.complete(3.0), Ok(Some('b')));
    }

    #[test]
    fn servers_can_be_added_and_removed_in_service() {
        let mut s = Station::new(1, 0.0);
        for c in ['a', 'b', 'c', 'd'] {
            s.arrive(0.0, c);
        }
        assert_eq!(s.set_servers(1.0, 3), vec!['b', 'c']);
        assert_eq!((s.busy(), s.waiting()), (3, 1));
        // Down to one: two of the three busy servers close as they finish.
        assert!(s.set_servers(2.0, 1).is_empty());
        assert_eq!(s.complete(3.0), Ok(None));
        assert_eq!(s.complete(3.0), Ok(None));
        assert_eq!(s.complete(4.0), Ok(Some('d')));
        assert_eq!(s.busy(), 1);
        assert_eq!(s.drain_waiting(5.0), Vec::<char>::new());
        s.arrive(5.0, 'e');
        s.arrive_priority(5.0, 'P');
        assert_eq!(s.drain_waiting(6.0), vec!['P', 'e']);
    }

    #[test]
    fn zero_servers_queue_everything() {
        let mut s = Station::new(0, 0.0);
        assert_eq!(s.arrive(0.0, 1), None);
        assert_eq!(s.waiting(), 1);
        assert_eq!(s.complete(1.0), Err(()));
    }
}
