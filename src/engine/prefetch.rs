//! Software prefetch: asking the memory system for data a few events before it is
//! needed.
//!
//! A large model is memory-bound: each event touches records (an entity, a stream
//! of random numbers) last touched weeks of simulated time ago, long evicted from
//! the caches, and the processor waits for each miss in turn. The future-event list
//! knows the next events (see [`EventQueue::lookahead`](super::EventQueue::lookahead)),
//! so a model can prefetch what they will touch while it handles the current one,
//! and the misses overlap instead of queueing. A prefetch is only a hint: it never
//! changes a result, and on targets without one it does nothing.

/// Bytes in a cache line on the processors we run on (x86-64, and most others).
const LINE: usize = 64;

/// Hints that `items[index]` will be read soon: the lines of its first and last
/// bytes, which are all its lines for a record of up to 65 bytes (and most of them
/// beyond). Out-of-range indices are ignored.
#[inline(always)]
pub fn prefetch<T>(items: &[T], index: usize) {
    if let Some(item) = items.get(index) {
        let first = (item as *const T).cast::<u8>();
        touch(first);
        if std::mem::size_of::<T>() > 1 {
            touch(first.wrapping_add(std::mem::size_of::<T>() - 1));
        }
    }
}

/// Hints that `items[range]` will be read soon: every cache line it occupies. The
/// range is clipped to the slice.
#[inline(always)]
pub fn prefetch_range<T>(items: &[T], range: std::ops::Range<usize>) {
    let end = range.end.min(items.len());
    if range.start >= end || std::mem::size_of::<T>() == 0 {
        return;
    }
    let slice = &items[range.start..end];
    let first = slice.as_ptr().cast::<u8>();
    let bytes = std::mem::size_of_val(slice);
    // From the line holding the first byte to the line holding the last.
    let lines = ((first as usize % LINE) + bytes).div_ceil(LINE);
    for k in 0..lines {
        touch(first.wrapping_add(k * LINE));
    }
}

#[inline(always)]
fn touch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 target has. A prefetch reads
    // nothing the program can observe and never faults, whatever the address; here
    // the address is inside, or within one cache line past the start of, a live slice.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_accepts_any_index_and_any_record_size() {
        let small = [1u8, 2, 3];
        let large = [[0u64; 20]; 3];
        for i in 0..5 {
            prefetch(&small, i);
            prefetch(&large, i);
        }
        let empty: [u32; 0] = [];
        prefetch(&empty, 0);
        prefetch(&[(); 4], 2);
        prefetch_range(&large, 1..9);
        prefetch_range(&small, 2..2);
        prefetch_range(&small, 1..100);
    }
}
