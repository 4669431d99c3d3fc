//! The future-event list.
//!
//! Events are ordered by `(time, insertion sequence)`. The sequence number makes the
//! order total and ties FIFO, so a run never depends on how a heap happens to break
//! ties. Time is an `f64` number of days, but it is never compared with `partial_cmp`:
//! a finite, non-negative `f64` has a bit pattern that orders exactly like its value,
//! so the key is the pair of integers `(time.to_bits(), seq)`. Most pending events are
//! stored without their sequence number (see [`EventQueue`] for why the order is still
//! exact), in 16 bytes for an 8-byte event.

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

    /// The entry as a bucket holds it, without its sequence number.
    #[inline]
    fn timed(self) -> Timed<E> {
        Timed { time_bits: self.time_bits, event: self.event }
    }
}

/// An event in a bucket of the ring: its time only. Within a bucket, events of equal
/// time sit in the order they were scheduled (see [`EventQueue`]), which stands in for
/// the sequence number.
#[derive(Clone, Copy)]
struct Timed<E> {
    time_bits: u64,
    event: E,
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

/// Buckets per day of simulated time (time is in days): 45 minutes each. England ran
/// fastest at 32 of 2, 8, 32, 64 and 128 (docs/performance.md): narrow buckets keep
/// the sorted run being consumed in the nearest caches.
const PER_DAY: f64 = 32.0;
/// [`PER_DAY`] as an integer: fine buckets per coarse (whole-day) bucket.
const FINE_PER_DAY: u64 = 32;
/// Fine buckets in the near ring: 8 days ahead.
const RING: u64 = 256;
/// Whole-day buckets in the coarse ring beyond it (1,024 days); events further ahead
/// wait in `far`.
const COARSE: u64 = 1024;

/// A future-event list with a clock.
///
/// Invariant: `now` never decreases, and every pending event is at a time `>= now`.
///
/// Events are kept by bucket of 1/`PER_DAY` of a day (time is in days; "day" below
/// means a bucket). Each of the next `RING` buckets (about 8 days) is an unsorted Vec
/// (scheduling is an append); beyond them, each whole day of the next `COARSE` is one
/// unsorted Vec (`coarse`), split into the fine buckets when that day comes inside the
/// near ring; anything further ahead waits in a heap (`far`). Two levels because an
/// append is a store to the end of its bucket: with one ring of 32,768 buckets the
/// ends of the buckets being appended to were spread over megabytes and each store
/// missed the cache, while the 256 near ends and the 1,024 day ends stay in L2. When the current bucket is
/// exhausted, the next non-empty one is sorted once (descending, so that taking the
/// earliest is a `Vec::pop`) and becomes `current`. An event scheduled into the current
/// bucket after it was sorted goes into a small heap (`late`), and a pop takes the
/// earlier of the two heads. The per-event work is a comparison of two heads instead
/// of a heap pop over millions of entries, and sorting a bucket is a cache-friendly
/// pass over contiguous memory.
///
/// Pops come out in exactly the order of one global heap on `(time, seq)`, although a
/// bucket's entries carry no sequence number, because a bucket's Vec is always in
/// sequence order among events of equal time:
///
/// - far events enter a day's coarse bucket when the day first comes inside the coarse
///   window, in `(time, seq)` order, before anything can be appended to it directly
///   (an event is appended only when its bucket is inside the window, which is later,
///   so its sequence is larger);
/// - a day's coarse bucket is split into its (empty) fine buckets, in order, when the
///   day comes inside the near ring, before anything can be appended to them directly;
/// - appended events arrive in sequence order.
///
/// So sorting on time alone by descending time, keeping equal times in reverse Vec
/// order (`sort_bucket`), puts the smallest sequence of each time last, where `pop`
/// takes it. Every `late` event was scheduled
/// after `current` was sorted, so on a tie of times `current` goes first.
///
/// Because the current bucket is sorted, the next events are known in advance:
/// [`EventQueue::lookahead`] lets a model prefetch what those events will touch.
pub struct EventQueue<E> {
    /// The current bucket, sorted by descending time: the earliest event is last.
    current: Vec<Timed<E>>,
    /// Events scheduled into the current bucket after it was sorted.
    late: BinaryHeap<Entry<E>>,
    ring: Vec<Vec<Timed<E>>>,
    /// Whole days beyond the near ring, each unsorted, by day modulo `COARSE`.
    coarse: Vec<Vec<Timed<E>>>,
    far: BinaryHeap<Entry<E>>,
    /// The bucket `current` holds.
    day: u64,
    /// The near ring holds buckets `day + 1 .. near_end`; `near_end` is a whole day
    /// (a multiple of `FINE_PER_DAY`), above `day` and at most `day + RING`. The coarse
    /// ring holds whole days `near_end / FINE_PER_DAY ..` for `COARSE` days.
    near_end: u64,
    /// Events in `ring`.
    in_ring: usize,
    /// Events in `coarse`.
    in_coarse: usize,
    seq: u64,
    now: f64,
    scratch: Scratch,
    /// Emptied bucket buffers of at most `POOLED_CAPACITY` events, for reuse.
    pool: Vec<Vec<Timed<E>>>,
    /// Which ring slots hold events, to skip empty buckets a word at a time.
    occupied: Bitmap,
    /// Which coarse slots hold events.
    coarse_occupied: Bitmap,
}

/// Bucket buffers kept for reuse, and the largest capacity kept. Only small buffers
/// are kept: a pooled buffer goes to whichever bucket next starts empty, possibly one
/// far ahead that would hold a single event for years of simulated time, so a large
/// one would be stranded there (with 4,096-event buffers, England 0.1×'s peak memory
/// doubled). Dense buckets are larger and simply dropped.
const POOLED: usize = 64;
const POOLED_CAPACITY: usize = 64;

/// Below this many events a bucket is sorted by comparison; above it, by distribution.
const DISTRIBUTE_FROM: usize = 64;
/// Sub-buckets within a region above this size are sorted by comparison rather than
/// insertion (guards against clusters of nearly equal times).
const INSERTION_MAX: usize = 32;

/// One bit per ring slot.
struct Bitmap(Vec<u64>);

impl Bitmap {
    fn new(bits: usize) -> Self {
        Self(vec![0; bits.div_ceil(64)])
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    #[inline]
    fn is_set(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Steps from slot `from` forward (wrapping round `len` slots) to the next set bit
    /// after it: 1 if `from + 1` is set. At least one bit other than `from` must be set.
    #[inline]
    fn distance_to_next(&self, from: u64, len: u64) -> u64 {
        let words = self.0.len() as u64;
        let start = (from + 1) % len;
        let (mut w, bit) = (start / 64, start % 64);
        let mut word = self.0[w as usize] & (!0u64 << bit);
        let mut base = w * 64;
        // Up to one full turn and the part word we started in again.
        for _ in 0..=words {
            if word != 0 {
                let found = base + u64::from(word.trailing_zeros());
                return (found + len - from - 1) % len + 1;
            }
            w = (w + 1) % words;
            base = w * 64;
            word = self.0[w as usize];
        }
        unreachable!("distance_to_next called on an empty bitmap")
    }
}

/// Scratch space for [`sort_bucket`], kept between buckets so sorting allocates
/// nothing once the queue has seen its busiest bucket.
#[derive(Default)]
struct Scratch {
    /// Each event's sub-bucket, counted from the latest.
    sub: Vec<u32>,
    /// Where each sub-bucket ends in the output (filled from the end).
    ends: Vec<u32>,
}

/// Sorts the events of bucket `day` (given in scheduling order among equal times)
/// into `out` by descending time, ties in descending scheduling order, so that popping
/// from the end of `out` gives `(time, seq)` order.
///
/// A bucket holds thousands of events in a large model. Rather than a comparison sort
/// (O(n log n)), the events are distributed over about `n / 2` equal slices of the
/// bucket's time span (time is continuous, so they spread out) and each slice, a few
/// events long, is finished by insertion sort: O(n) in practice. Both steps are
/// stable in the required sense: within a slice events are laid down in reverse
/// scheduling order, and insertion moves an event only past strictly earlier ones.
fn sort_bucket<E: Copy>(bucket: &[Timed<E>], day: u64, out: &mut Vec<Timed<E>>, scratch: &mut Scratch) {
    let by_time_desc = |e: &Timed<E>| std::cmp::Reverse(e.time_bits);
    out.clear();
    let n = bucket.len();
    if n < DISTRIBUTE_FROM {
        out.extend(bucket.iter().rev());
        out.sort_by_key(by_time_desc);
        return;
    }
    let slices = n / 2;
    let start = day as f64 / PER_DAY;
    let scale = PER_DAY * slices as f64;
    // Monotone in time (IEEE subtraction and multiplication are monotone, the cast
    // truncates and saturates at 0, the clamp keeps the last slice), counted from the
    // latest slice so that ascending slice order is descending time.
    scratch.sub.clear();
    scratch.sub.extend(bucket.iter().map(|e| {
        let k = (((f64::from_bits(e.time_bits) - start) * scale) as usize).min(slices - 1);
        (slices - 1 - k) as u32
    }));
    scratch.ends.clear();
    scratch.ends.resize(slices, 0);
    for &k in &scratch.sub {
        scratch.ends[k as usize] += 1;
    }
    let mut total = 0;
    for end in scratch.ends.iter_mut() {
        total += *end;
        *end = total;
    }
    out.resize(n, bucket[0]);
    for (e, &k) in bucket.iter().zip(&scratch.sub) {
        let end = &mut scratch.ends[k as usize];
        *end -= 1;
        out[*end as usize] = *e;
    }
    // Each `ends[k]` is now where slice `k` starts; slice `k` ends where `k + 1` starts.
    for k in 0..slices {
        let lo = scratch.ends[k] as usize;
        let hi = scratch.ends.get(k + 1).map_or(n, |&e| e as usize);
        if hi - lo > INSERTION_MAX {
            out[lo..hi].sort_by_key(by_time_desc);
            continue;
        }
        for i in lo + 1..hi {
            let x = out[i];
            let mut j = i;
            while j > lo && out[j - 1].time_bits < x.time_bits {
                out[j] = out[j - 1];
                j -= 1;
            }
            out[j] = x;
        }
    }
}

impl<E: Copy> Default for EventQueue<E> {
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

/// Appends `entry` to bucket `slot` of a ring, marking the slot occupied and giving
/// an unallocated bucket a pooled buffer; returns the bucket.
#[inline]
fn push_to<'a, E>(
    buckets: &'a mut [Vec<Timed<E>>],
    occupied: &mut Bitmap,
    pool: &mut Vec<Vec<Timed<E>>>,
    slot: usize,
    entry: Timed<E>,
) -> &'a mut Vec<Timed<E>> {
    let bucket = &mut buckets[slot];
    if bucket.is_empty() {
        occupied.set(slot);
    }
    if bucket.capacity() == 0
        && let Some(buffer) = pool.pop()
    {
        *bucket = buffer;
    }
    bucket.push(entry);
    bucket
}

impl<E: Copy> EventQueue<E> {
    /// An empty list with the clock at 0.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty list with room for `capacity` events scheduled at time 0 before it
    /// reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            current: Vec::new(),
            late: BinaryHeap::with_capacity(capacity),
            ring: (0..RING).map(|_| Vec::new()).collect(),
            coarse: (0..COARSE).map(|_| Vec::new()).collect(),
            far: BinaryHeap::new(),
            day: 0,
            near_end: RING,
            in_ring: 0,
            in_coarse: 0,
            seq: 0,
            now: 0.0,
            scratch: Scratch::default(),
            pool: Vec::new(),
            occupied: Bitmap::new(RING as usize),
            coarse_occupied: Bitmap::new(COARSE as usize),
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
        self.current.len() + self.late.len() + self.in_ring + self.in_coarse + self.far.len()
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
            self.late.push(entry);
        } else if d < self.near_end {
            self.append(d, entry.timed());
        } else if d / FINE_PER_DAY - self.near_end / FINE_PER_DAY < COARSE {
            self.append_coarse(d / FINE_PER_DAY, entry.timed());
        } else {
            self.far.push(entry);
        }
    }

    /// Appends to the coarse bucket of whole day `x` (inside the coarse window).
    #[inline]
    fn append_coarse(&mut self, x: u64, entry: Timed<E>) {
        push_to(&mut self.coarse, &mut self.coarse_occupied, &mut self.pool, (x % COARSE) as usize, entry);
        self.in_coarse += 1;
    }

    /// Moves the windows up to `day`: far events now inside the coarse window go to
    /// their days, and each whole day that now fits in the near ring is split into its
    /// fine buckets, in order (see the ordering argument on the type).
    fn refill(&mut self) {
        loop {
            let coarse_end = self.near_end / FINE_PER_DAY + COARSE;
            while let Some(e) = self.far.peek() {
                let x = day_of(e.time_bits) / FINE_PER_DAY;
                debug_assert!(x >= self.near_end / FINE_PER_DAY, "a far event behind the coarse window");
                if x >= coarse_end {
                    break;
                }
                let e = self.far.pop().expect("peeked");
                self.append_coarse(x, e.timed());
            }
            if self.near_end + FINE_PER_DAY > self.day + RING {
                return;
            }
            let x = self.near_end / FINE_PER_DAY;
            let slot = (x % COARSE) as usize;
            self.near_end += FINE_PER_DAY;
            if self.coarse[slot].is_empty() {
                continue;
            }
            let bucket = std::mem::take(&mut self.coarse[slot]);
            self.coarse_occupied.clear(slot);
            self.in_coarse -= bucket.len();
            for &e in &bucket {
                let d = day_of(e.time_bits);
                debug_assert!(d > self.day || d == self.day && self.current.is_empty());
                self.append(d, e);
            }
            self.recycle(bucket);
        }
    }

    /// Keeps a small emptied bucket buffer for reuse, so that a sparse list (one event
    /// per bucket, as in a single queue) does not allocate per event.
    fn recycle(&mut self, mut bucket: Vec<Timed<E>>) {
        if bucket.capacity() <= POOLED_CAPACITY && self.pool.len() < POOLED {
            bucket.clear();
            self.pool.push(bucket);
        }
    }

    /// Appends to the ring bucket of `d` (which must be inside the window).
    #[inline]
    fn append(&mut self, d: u64, entry: Timed<E>) {
        let bucket = push_to(&mut self.ring, &mut self.occupied, &mut self.pool, (d % RING) as usize, entry);
        // The bucket's next cache line, for the next append to it (a bucket is
        // appended to about once every few hundred events, by which time a line
        // asked for now has arrived).
        super::prefetch(bucket.spare_capacity_mut(), 2);
        self.in_ring += 1;
    }

    /// Schedules `event` after `delay` (>= 0) from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: f64, event: E) -> Result<(), ScheduleError> {
        self.schedule_at(self.now + delay, event)
    }

    /// Time of the next event, without removing it.
    pub fn peek_time(&self) -> Option<f64> {
        let head = match (self.current.last(), self.late.peek()) {
            (Some(a), Some(b)) => Some(a.time_bits.min(b.time_bits)),
            (Some(a), None) => Some(a.time_bits),
            (None, Some(b)) => Some(b.time_bits),
            (None, None) => None,
        };
        if let Some(bits) = head {
            return Some(f64::from_bits(bits));
        }
        if self.in_ring > 0 {
            for k in 1..RING {
                let bucket = &self.ring[((self.day + k) % RING) as usize];
                if let Some(bits) = bucket.iter().map(|e| e.time_bits).min() {
                    return Some(f64::from_bits(bits));
                }
            }
        }
        if self.in_coarse > 0 {
            let from = self.near_end / FINE_PER_DAY;
            for k in 0..COARSE {
                let bucket = &self.coarse[((from + k) % COARSE) as usize];
                if let Some(bits) = bucket.iter().map(|e| e.time_bits).min() {
                    return Some(f64::from_bits(bits));
                }
            }
        }
        self.far.peek().map(|e| f64::from_bits(e.time_bits))
    }

    /// A hint of what is coming: the event `k` places after the next one in the current
    /// bucket's sorted run (`k = 0` is the next one from that run), or `None` past its
    /// end. It ignores events scheduled since the bucket was sorted, so it is not the
    /// exact future order; it is meant for prefetching the memory those events will
    /// touch, never for deciding anything.
    #[inline]
    pub fn lookahead(&self, k: usize) -> Option<&E> {
        let n = self.current.len();
        if k < n { Some(&self.current[n - 1 - k].event) } else { None }
    }

    /// Moves to the next bucket that has events: it is sorted and becomes `current`.
    fn advance(&mut self) {
        debug_assert!(self.current.is_empty() && self.late.is_empty());
        if self.in_ring > 0 {
            // Straight to the next non-empty bucket: every coarse and far event lies
            // beyond every bucket in the near ring, so none can be skipped over.
            self.day += self.occupied.distance_to_next(self.day % RING, RING);
        } else if self.in_coarse > 0 {
            // The near ring is empty: jump to the first bucket of the next day with
            // events (days before it are empty; far events lie beyond it).
            let from = self.near_end / FINE_PER_DAY;
            let x = if self.coarse_occupied.is_set((from % COARSE) as usize) {
                from
            } else {
                from + self.coarse_occupied.distance_to_next(from % COARSE, COARSE)
            };
            self.day = x * FINE_PER_DAY;
            self.near_end = self.day;
        } else {
            // Nothing in either ring: jump straight to the earliest far event's bucket.
            let Some(e) = self.far.peek() else { return };
            self.day = day_of(e.time_bits).max(self.day + 1);
            self.near_end = self.day / FINE_PER_DAY * FINE_PER_DAY;
        }
        self.refill();
        let slot = (self.day % RING) as usize;
        let bucket = std::mem::take(&mut self.ring[slot]);
        if !bucket.is_empty() {
            self.occupied.clear(slot);
        }
        self.in_ring -= bucket.len();
        // `current` is empty; its buffer is reused. The bucket's buffer is dropped rather
        // than handed back to the ring: every bucket keeping the capacity of the busiest
        // one would hold `RING` buckets' worth.
        let mut out = std::mem::take(&mut self.current);
        sort_bucket(&bucket, self.day, &mut out, &mut self.scratch);
        self.current = out;
        self.recycle(bucket);
    }

    /// Removes the earliest event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        loop {
            let from_current = match (self.current.last(), self.late.peek()) {
                // On a tie `current` was scheduled first (see the type's invariant).
                (Some(a), Some(b)) => a.time_bits <= b.time_bits,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => {
                    if self.in_ring == 0 && self.in_coarse == 0 && self.far.is_empty() {
                        return None;
                    }
                    self.advance();
                    continue;
                }
            };
            let (time_bits, event) = if from_current {
                self.current.pop().map(|e| (e.time_bits, e.event))
            } else {
                self.late.pop().map(|e| (e.time_bits, e.event))
            }
            .expect("head seen above");
            self.now = f64::from_bits(time_bits);
            return Some((self.now, event));
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

    /// A pseudo-random mix of same-bucket, next-buckets and far-future events, popped
    /// and rescheduled, must come out exactly as from one binary heap on (time, seq).
    /// `scale` compresses time: at 1 buckets hold an event or two (sorted by
    /// comparison); at 1/1000 they hold hundreds (sorted by distribution), with ties.
    fn against_a_global_heap(seed: u64, scale: f64, initial: usize, steps: usize) {
        let mut q = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut x: u64 = seed;
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
        for _ in 0..initial {
            let at = (next() % 5000) as f64 / 7.0 * scale;
            push(&mut q, &mut reference, at);
        }
        for _ in 0..steps {
            let Some((t, e)) = q.pop() else { break };
            let r = reference.pop().unwrap();
            assert_eq!((t.to_bits(), e), (r.time_bits, r.event));
            assert_eq!(q.peek_time().map(f64::to_bits), reference.peek().map(|e| e.time_bits));
            let delay = match next() % 6 {
                0 => 0.0,
                1 => (next() % 100) as f64 / 100.0,
                2 => (next() % 3000) as f64 / 3.0,
                // Beyond the ring's 1,024 days: through `far`, with ties there too.
                3 => 1000.0 + (next() % 40) as f64 * 50.0,
                _ => (next() % 50) as f64,
            } * scale;
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
    fn matches_a_global_heap_across_days_and_the_far_horizon() {
        against_a_global_heap(12345, 1.0, 2000, 20_000);
    }

    #[test]
    fn matches_a_global_heap_with_crowded_buckets() {
        against_a_global_heap(678, 1e-3, 20_000, 60_000);
        // Crowded enough that slices overflow into the comparison sort.
        against_a_global_heap(91011, 1e-6, 5_000, 10_000);
    }

    #[test]
    fn sort_bucket_orders_by_time_then_reverse_scheduling() {
        // Many events in one bucket, clustered and tied, given in scheduling order.
        let times: Vec<f64> =
            (0..500u32).map(|i| 0.25 + f64::from((i * 37) % 11) / 1000.0 + f64::from(i % 3) / 1e9).collect();
        let bucket: Vec<Timed<u32>> =
            times.iter().enumerate().map(|(i, t)| Timed { time_bits: t.to_bits(), event: i as u32 }).collect();
        let mut out = Vec::new();
        sort_bucket(&bucket, 2, &mut out, &mut Scratch::default());
        let mut expected: Vec<(u64, u32)> = bucket.iter().map(|e| (e.time_bits, e.event)).collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(out.iter().map(|e| (e.time_bits, e.event)).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn ties_stay_fifo_when_far_events_and_the_clock_jumps_mix() {
        // Only far events at first (the clock must jump to them), equal times arriving
        // through `far`, the ring and `late`: FIFO among each time throughout.
        let mut q = EventQueue::new();
        let mut expected = Vec::new();
        for (i, at) in [5000.0, 3000.0, 5000.0, 3000.0, 3000.25].into_iter().enumerate() {
            q.schedule_at(at, i).unwrap();
            expected.push((at, i));
        }
        let (t, first) = q.pop().unwrap();
        assert_eq!((t, first), (3000.0, 1));
        // Same time as a pending far-moved event, from the ring and from `late`.
        q.schedule_at(3000.25, 10).unwrap();
        q.schedule_at(3000.0, 11).unwrap();
        q.schedule_at(5000.0, 12).unwrap();
        let order: Vec<(f64, usize)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(3000.0, 3), (3000.0, 11), (3000.25, 4), (3000.25, 10), (5000.0, 0), (5000.0, 2), (5000.0, 12)]
        );
    }

    #[test]
    fn ties_stay_fifo_across_the_near_and_coarse_rings() {
        // Day 20 is first beyond the near ring (coarse), then inside it (near), then
        // current (late); 100.0 is reached by a jump over an empty near ring.
        let mut q = EventQueue::new();
        q.schedule_at(20.0, 0).unwrap();
        q.schedule_at(100.0, 1).unwrap();
        q.schedule_at(15.0, 2).unwrap();
        assert_eq!(q.pop(), Some((15.0, 2)));
        q.schedule_at(20.0, 3).unwrap();
        q.schedule_at(100.0, 4).unwrap();
        assert_eq!(q.pop(), Some((20.0, 0)));
        q.schedule_at(20.0, 5).unwrap();
        assert_eq!(q.peek_time(), Some(20.0));
        assert_eq!(q.pop(), Some((20.0, 3)));
        assert_eq!(q.pop(), Some((20.0, 5)));
        assert_eq!(q.peek_time(), Some(100.0));
        assert_eq!(q.pop(), Some((100.0, 1)));
        q.schedule_at(100.0, 6).unwrap();
        let rest: Vec<(f64, i32)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(rest, vec![(100.0, 4), (100.0, 6)]);
        assert!(q.is_empty());
    }

    #[test]
    fn bitmap_finds_the_next_set_slot_round_the_ring() {
        let mut b = Bitmap::new(256);
        b.set(3);
        assert_eq!(b.distance_to_next(0, 256), 3);
        assert_eq!(b.distance_to_next(3, 256), 256, "itself, a full turn on");
        assert_eq!(b.distance_to_next(200, 256), 59, "wraps round the end");
        b.set(130);
        assert_eq!(b.distance_to_next(3, 256), 127, "across empty words");
        assert_eq!(b.distance_to_next(129, 256), 1);
        b.clear(130);
        assert_eq!(b.distance_to_next(129, 256), 130);
        b.set(255);
        assert_eq!(b.distance_to_next(254, 256), 1);
        assert_eq!(b.distance_to_next(255, 256), 4);
    }

    #[test]
    fn lookahead_shows_the_sorted_run_of_the_current_bucket() {
        let mut q = EventQueue::new();
        for (i, at) in [0.5, 0.1, 0.3, 0.2].into_iter().enumerate() {
            q.schedule_at(1.0 + at / 100.0, i).unwrap();
        }
        assert_eq!(q.lookahead(0), None, "nothing sorted before the first pop");
        assert_eq!(q.pop().map(|(_, e)| e), Some(1));
        assert_eq!(
            (q.lookahead(0), q.lookahead(1), q.lookahead(2), q.lookahead(3)),
            (Some(&3), Some(&2), Some(&0), None)
        );
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
