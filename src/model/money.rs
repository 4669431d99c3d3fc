//! Money as integer pence. Floating point never holds an amount inside the model: it
//! appears only when a scenario states a price in pounds (converted once, rounded to
//! the penny) and when outputs report pounds.

use std::fmt;

/// An amount of money in pence. Arithmetic is checked: an overflow is an error that
/// names itself, never a silently wrapped balance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pence(pub i64);

/// Largest amount a scenario may state, £10^13 (ten trillion pounds): far above any
/// NHS budget, far below where sums of millions of such amounts overflow `i64`.
pub const MAX_GBP: f64 = 1e13;

impl Pence {
    pub const ZERO: Pence = Pence(0);

    /// Converts a non-negative amount in pounds, rounding half away from zero to the
    /// nearest penny. `None` if it is negative, not finite or above [`MAX_GBP`].
    pub fn from_gbp(gbp: f64) -> Option<Pence> {
        if !gbp.is_finite() || !(0.0..=MAX_GBP).contains(&gbp) {
            return None;
        }
        Some(Pence((gbp * 100.0).round() as i64))
    }

    /// Pounds, for reporting only.
    pub fn gbp(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn checked_add(self, other: Pence) -> Option<Pence> {
        self.0.checked_add(other.0).map(Pence)
    }

    pub fn checked_sub(self, other: Pence) -> Option<Pence> {
        self.0.checked_sub(other.0).map(Pence)
    }

    /// `self × n`, checked.
    pub fn checked_mul(self, n: u64) -> Option<Pence> {
        i64::try_from(n).ok().and_then(|n| self.0.checked_mul(n)).map(Pence)
    }

    /// `self × num / den`, rounded half up, computed in 128 bits; `None` on overflow or
    /// when `den` is zero. Used for tariff × MFF and for pro-rating.
    pub fn mul_ratio(self, num: u64, den: u64) -> Option<Pence> {
        if den == 0 {
            return None;
        }
        let x = self.0 as i128 * num as i128;
        let den = den as i128;
        let q = if x >= 0 { (2 * x + den) / (2 * den) } else { -((2 * -x + den) / (2 * den)) };
        i64::try_from(q).ok().map(Pence)
    }

    /// The share of `self` accruing over days `[from, to)` of a period of `of` days:
    /// `⌊self × to / of⌋ − ⌊self × from / of⌋`. Shares of consecutive day ranges
    /// telescope, so the parts of a whole period always sum exactly to `self`, and any
    /// part is within a penny of the exact pro-rata amount. `of` must be non-zero.
    pub fn pro_rata(self, from: u64, to: u64, of: u64) -> Pence {
        let total = self.0 as i128;
        let of = of.max(1) as i128;
        Pence((total * to as i128 / of - total * from as i128 / of) as i64)
    }
}

impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}£{}.{:02}", a / 100, a % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_rounds_to_the_penny() {
        assert_eq!(Pence::from_gbp(5568.0), Some(Pence(556_800)));
        assert_eq!(Pence::from_gbp(0.015), Some(Pence(2)));
        assert_eq!(Pence::from_gbp(-1.0), None);
        assert_eq!(Pence::from_gbp(f64::NAN), None);
        assert_eq!(Pence::from_gbp(2e13), None);
    }

    #[test]
    fn mff_rounding_is_half_up() {
        // £147 × 1.04325 = £153.35775 -> £153.36
        assert_eq!(Pence(14_700).mul_ratio(104_325, 100_000), Some(Pence(15_336)));
        // exactly half a penny rounds up
        assert_eq!(Pence(1).mul_ratio(1, 2), Some(Pence(1)));
        assert_eq!(Pence(i64::MAX).mul_ratio(2, 1), None);
        assert_eq!(Pence(1).mul_ratio(1, 0), None);
    }

    #[test]
    fn pro_rata_parts_sum_exactly() {
        let total = Pence(1_000_001);
        // Calendar months of a 365-day year starting in April.
        let months = [30u64, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31];
        let mut day = 0;
        let mut sum = 0;
        for m in months {
            let part = total.pro_rata(day, day + m, 365);
            let exact = 1_000_001.0 * m as f64 / 365.0;
            assert!((part.0 as f64 - exact).abs() < 1.0);
            sum += part.0;
            day += m;
        }
        assert_eq!(sum, total.0);
        // £1,200 × 351/365 = £1,153.9726; cumulative rounding gives ⌊120000⌋ − ⌊4602.74⌋.
        assert_eq!(Pence(120_000).pro_rata(14, 365, 365), Pence(115_398));
    }

    #[test]
    fn display() {
        assert_eq!(Pence(123_456).to_string(), "£1234.56");
        assert_eq!(Pence(-5).to_string(), "-£0.05");
    }
}
