//! Statistics across replications: mean, standard deviation, a 95% confidence interval
//! for the mean from Student's t, and percentiles. Missing values (`NaN`, e.g. a wait
//! percentile in a year with no clock stops) are left out and `n` says how many
//! replications contributed.

/// Summary of one metric across replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    pub n: usize,
}

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706_204_736,
    4.302_652_730,
    3.182_446_305,
    2.776_445_105,
    2.570_581_836,
    2.446_911_851,
    2.364_624_252,
    2.306_004_135,
    2.262_157_163,
    2.228_138_852,
    2.200_985_160,
    2.178_812_830,
    2.160_368_656,
    2.144_786_688,
    2.131_449_546,
    2.119_905_299,
    2.109_815_578,
    2.100_922_040,
    2.093_024_054,
    2.085_963_447,
    2.079_613_845,
    2.073_873_068,
    2.068_657_610,
    2.063_898_562,
    2.059_538_553,
    2.055_529_439,
    2.051_830_516,
    2.048_407_142,
    2.045_229_642,
    2.042_272_456,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom: exact table to 30,
/// then the Cornish–Fisher expansion around the normal quantile (error < 1e-6).
pub fn t975(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if df <= 30 {
        return T975[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = df as f64;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * v.powi(4))
}

/// Percentile of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of R and NumPy).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Summarises `values` (in replication order; the order only matters for the exact
/// rounding of the sums, which is why callers always pass replication order).
pub fn summarise(values: &[f64]) -> Summary {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = v.len();
    if n == 0 {
        let nan = f64::NAN;
        return Summary { mean: nan, sd: nan, ci95_low: nan, ci95_high: nan, p05: nan, p50: nan, p95: nan, n };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { f64::NAN };
    let half = if n > 1 { t975(n - 1) * sd / (n as f64).sqrt() } else { f64::NAN };
    v.sort_by(f64::total_cmp);
    Summary {
        mean,
        sd,
        ci95_low: mean - half,
        ci95_high: mean + half,
        p05: percentile(&v, 0.05),
        p50: percentile(&v, 0.5),
        p95: percentile(&v, 0.95),
        n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert!((t975(1) - 12.7062).abs() < 1e-4);
        assert!((t975(30) - 2.0423).abs() < 1e-4);
        // Published values: df 40 → 2.021075, df 120 → 1.979930.
        assert!((t975(40) - 2.021_075).abs() < 1e-5);
        assert!((t975(120) - 1.979_930).abs() < 1e-5);
        assert!(t975(1_000_000) > 1.959_96 && t975(1_000_000) < 1.959_97);
    }

    #[test]
    fn summary_of_known_values() {
        let s = summarise(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd - 1.290_994_448_7).abs() < 1e-9);
        assert!((s.ci95_high - s.mean - 3.182_446_305 * s.sd / 2.0).abs() < 1e-9);
        assert_eq!(s.p50, 2.5);
        assert!((s.p05 - 1.15).abs() < 1e-12);
        assert!(summarise(&[]).mean.is_nan());
        assert!(summarise(&[5.0]).sd.is_nan());
    }
}
