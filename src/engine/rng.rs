//! Random streams keyed by `(master seed, replication, process, index)`.
//!
//! Every stochastic process in a model draws from its own stream, so changing how one
//! process uses random numbers never shifts the draws of another, and two scenarios
//! that share a seed run on common random numbers. The generator is Xoshiro256++ from
//! `rand_xoshiro` (a named, portable algorithm with a pinned version): the same key
//! gives the same sequence on every platform and thread count.
//!
//! The 256-bit state is derived from the key with SplitMix64, the seeding function
//! recommended by the xoshiro authors. Each key component is folded in through a full
//! SplitMix64 mix, so keys that differ in one bit give unrelated states.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type Stream = Xoshiro256PlusPlus;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `(seed, replication, process, index)`.
///
/// `process` names a kind of randomness (arrivals, routing decisions, service times
/// ...) and `index` an instance of it (a source, a queue ...). The caller owns the
/// numbering; it must stay stable across versions for results to stay reproducible.
pub fn stream(seed: u64, replication: u64, process: u64, index: u64) -> Stream {
    // Distinct salts per position and a rotation keep the fold order-sensitive:
    // (seed 1, replication 2) and (seed 2, replication 1) are different streams.
    const SALTS: [u64; 4] =
        [0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89];
    let mut h = 0u64;
    for (part, salt) in [seed, replication, process, index].into_iter().zip(SALTS) {
        h = mix(h.rotate_left(23) ^ mix(part ^ salt));
    }
    let mut state = h;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        state = state.wrapping_add(GOLDEN);
        chunk.copy_from_slice(&mix(state).to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_key_same_sequence() {
        let mut a = stream(7, 3, 1, 42);
        let mut b = stream(7, 3, 1, 42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn each_key_component_changes_the_stream() {
        let base = stream(7, 3, 1, 42).next_u64();
        assert_ne!(base, stream(8, 3, 1, 42).next_u64());
        assert_ne!(base, stream(7, 4, 1, 42).next_u64());
        assert_ne!(base, stream(7, 3, 2, 42).next_u64());
        assert_ne!(base, stream(7, 3, 1, 43).next_u64());
        // Components are not interchangeable.
        assert_ne!(stream(1, 2, 3, 4).next_u64(), stream(2, 1, 3, 4).next_u64());
    }

    /// Pins the derivation and the generator: if this fails, every published result
    /// changes, so it must only ever be updated on purpose (and the version bumped).
    #[test]
    fn golden_values_are_stable() {
        let mut s = stream(20070401, 0, 0, 0);
        let got: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        assert_eq!(got, GOLDEN_SEQUENCE, "stream derivation changed");
    }

    const GOLDEN_SEQUENCE: [u64; 3] = [12859715664239251099, 13205820306841432461, 9470552289848360707];
}
