//! Continuous distributions for durations (service times, intervals), parameterised the
//! way analysts state them: by mean and coefficient of variation rather than by shape
//! and scale. A closed `enum` rather than a trait object, so sampling is a `match` the
//! compiler can inline.

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Triangular, Uniform};

/// Why a distribution could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    #[error("{param} must be {expected}, got {}", short(*value))]
    Invalid { param: &'static str, expected: &'static str, value: f64 },
}

/// A number as a person would write it: plain, or in exponent form when very large or
/// very small (so `1e308` is not printed with 308 zeros).
pub fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-6..1e15).contains(&x.abs()) { format!("{x}") } else { format!("{x:e}") }
}

fn check(param: &'static str, value: f64, ok: bool, expected: &'static str) -> Result<(), DistError> {
    if ok && value.is_finite() { Ok(()) } else { Err(DistError::Invalid { param, expected, value }) }
}

/// A sampler of non-negative durations.
#[derive(Debug, Clone)]
pub enum Sampler {
    Fixed(f64),
    Exponential { mean: f64, exp: Exp<f64> },
    Gamma { mean: f64, gamma: Gamma<f64> },
    LogNormal { mean: f64, lognormal: LogNormal<f64> },
    Uniform { min: f64, max: f64, uniform: Uniform<f64> },
    Triangular { min: f64, mode: f64, max: f64, triangular: Triangular<f64> },
}

impl Sampler {
    /// Always `value`.
    pub fn fixed(value: f64) -> Result<Self, DistError> {
        check("value", value, value >= 0.0, "finite and >= 0")?;
        Ok(Self::Fixed(value))
    }

    /// Exponential with the given mean.
    pub fn exponential(mean: f64) -> Result<Self, DistError> {
        check("mean", mean, mean > 0.0, "finite and > 0")?;
        let exp = Exp::new(1.0 / mean).map_err(|_| DistError::Invalid {
            param: "mean",
            expected: "a mean whose rate 1/mean is finite",
            value: mean,
        })?;
        Ok(Self::Exponential { mean, exp })
    }

    /// Gamma with the given mean and coefficient of variation (sd / mean).
    pub fn gamma(mean: f64, cv: f64) -> Result<Self, DistError> {
        check("mean", mean, mean > 0.0, "finite and > 0")?;
        check("cv", cv, cv > 0.0, "finite and > 0")?;
        let shape = 1.0 / (cv * cv);
        let scale = mean / shape;
        let gamma = Gamma::new(shape, scale).map_err(|_| DistError::Invalid {
            param: "cv",
            expected: "a value giving a valid gamma shape",
            value: cv,
        })?;
        Ok(Self::Gamma { mean, gamma })
    }

    /// Log-normal with the given mean and coefficient of variation.
    pub fn lognormal(mean: f64, cv: f64) -> Result<Self, DistError> {
        check("mean", mean, mean > 0.0, "finite and > 0")?;
        check("cv", cv, cv > 0.0, "finite and > 0")?;
        let sigma2 = (1.0 + cv * cv).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        let lognormal = LogNormal::new(mu, sigma2.sqrt()).map_err(|_| DistError::Invalid {
            param: "cv",
            expected: "a value giving a finite log-scale variance",
            value: cv,
        })?;
        Ok(Self::LogNormal { mean, lognormal })
    }

    /// Uniform on `[min, max)`.
    pub fn uniform(min: f64, max: f64) -> Result<Self, DistError> {
        check("min", min, min >= 0.0, "finite and >= 0")?;
        check("max", max, max > min, "finite and > min")?;
        let uniform = Uniform::new(min, max).map_err(|_| DistError::Invalid {
            param: "max",
            expected: "a bound with a finite range max - min",
            value: max,
        })?;
        Ok(Self::Uniform { min, max, uniform })
    }

    /// Triangular on `[min, max]` with the given mode.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Self, DistError> {
        check("min", min, min >= 0.0, "finite and >= 0")?;
        check("max", max, max > min, "finite and > min")?;
        check("mode", mode, (min..=max).contains(&mode), "within [min, max]")?;
        let triangular = Triangular::new(min, max, mode).map_err(|_| DistError::Invalid {
            param: "max",
            expected: "a bound with a finite range max - min",
            value: max,
        })?;
        Ok(Self::Triangular { min, mode, max, triangular })
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match self {
            Self::Fixed(v) => *v,
            Self::Exponential { mean, .. } | Self::Gamma { mean, .. } | Self::LogNormal { mean, .. } => *mean,
            Self::Uniform { min, max, .. } => (min + max) / 2.0,
            Self::Triangular { min, mode, max, .. } => (min + mode + max) / 3.0,
        }
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Self::Fixed(v) => *v,
            Self::Exponential { exp, .. } => exp.sample(rng),
            Self::Gamma { gamma, .. } => gamma.sample(rng),
            Self::LogNormal { lognormal, .. } => lognormal.sample(rng),
            Self::Uniform { uniform, .. } => uniform.sample(rng),
            Self::Triangular { triangular, .. } => triangular.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn sample_mean_and_cv(s: &Sampler, n: usize) -> (f64, f64) {
        let mut rng = stream(1, 0, 0, 0);
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v.sqrt() / m)
    }

    #[test]
    fn parameterisation_by_mean_and_cv_is_honoured() {
        for (s, cv) in [
            (Sampler::exponential(2.0).unwrap(), 1.0),
            (Sampler::gamma(2.0, 0.5).unwrap(), 0.5),
            (Sampler::lognormal(2.0, 0.5).unwrap(), 0.5),
        ] {
            let (m, c) = sample_mean_and_cv(&s, 200_000);
            assert!((m - 2.0).abs() < 0.02, "{s:?}: mean {m}");
            assert!((c - cv).abs() < 0.02, "{s:?}: cv {c}");
            assert_eq!(s.mean(), 2.0);
        }
        let (m, _) = sample_mean_and_cv(&Sampler::triangular(1.0, 2.0, 6.0).unwrap(), 200_000);
        assert!((m - 3.0).abs() < 0.02);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert!(Sampler::exponential(0.0).is_err());
        assert!(Sampler::exponential(f64::NAN).is_err());
        assert!(Sampler::gamma(1.0, -1.0).is_err());
        assert!(Sampler::uniform(2.0, 1.0).is_err());
        assert!(Sampler::triangular(0.0, 5.0, 1.0).is_err());
        assert!(Sampler::fixed(-1.0).is_err());
    }
}
