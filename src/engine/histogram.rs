//! Fixed-width histogram for non-negative values (durations, say), so that percentiles
//! can be reported without keeping every observation. Memory is fixed whatever
//! the number of observations; the mean is kept exactly from the running sum.

/// A histogram with `bins` bins of `width` from zero and one overflow bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    width: f64,
    counts: Vec<u64>,
    overflow: u64,
    n: u64,
    sum: f64,
    max: f64,
}

impl Histogram {
    /// `bins` bins each `width` wide, covering `[0, bins × width)`.
    pub fn new(width: f64, bins: usize) -> Self {
        assert!(width > 0.0 && bins > 0);
        Self { width, counts: vec![0; bins], overflow: 0, n: 0, sum: 0.0, max: 0.0 }
    }

    /// Records one value (negative values are recorded as zero).
    #[inline]
    pub fn record(&mut self, x: f64) {
        let x = x.max(0.0);
        let i = (x / self.width) as usize;
        match self.counts.get_mut(i) {
            Some(c) => *c += 1,
            None => self.overflow += 1,
        }
        self.n += 1;
        self.sum += x;
        if x > self.max {
            self.max = x;
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Exact mean, or `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// Number of values strictly below `x`, exact when `x` is a bin edge.
    pub fn count_below(&self, x: f64) -> u64 {
        let edge = (x / self.width).floor() as usize;
        self.counts.iter().take(edge).sum()
    }

    /// The `q` quantile (0..=1), interpolated linearly within its bin; `None` when
    /// empty. Values in the overflow bin are interpolated up to the maximum seen.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let target = q.clamp(0.0, 1.0) * self.n as f64;
        let mut below = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 && (below + c) as f64 >= target {
                let frac = (target - below as f64) / c as f64;
                return Some((i as f64 + frac) * self.width);
            }
            below += c;
        }
        let lo = self.counts.len() as f64 * self.width;
        let frac = (target - below as f64) / self.overflow.max(1) as f64;
        Some(lo + frac * (self.max - lo).max(0.0))
    }

    /// Adds another histogram of the same shape into this one.
    pub fn merge(&mut self, other: &Histogram) {
        assert_eq!(self.counts.len(), other.counts.len());
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.overflow += other.overflow;
        self.n += other.n;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_a_bin_width() {
        let mut h = Histogram::new(1.0, 100);
        for i in 0..1000 {
            h.record(i as f64 / 10.0); // uniform on [0, 100)
        }
        assert!((h.quantile(0.5).unwrap() - 50.0).abs() <= 1.0);
        assert!((h.quantile(0.9).unwrap() - 90.0).abs() <= 1.0);
        assert_eq!(h.count_below(18.0), 180);
        assert!((h.mean().unwrap() - 49.95).abs() < 1e-9);
    }

    #[test]
    fn overflow_and_merge() {
        let mut a = Histogram::new(1.0, 10);
        let mut b = Histogram::new(1.0, 10);
        a.record(5.0);
        b.record(50.0);
        a.merge(&b);
        assert_eq!(a.count(), 2);
        assert!(a.quantile(1.0).unwrap() <= 50.0);
        assert!(a.quantile(1.0).unwrap() >= 10.0);
        assert_eq!(Histogram::new(1.0, 3).quantile(0.5), None);
    }
}
