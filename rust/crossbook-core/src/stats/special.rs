//! Special functions used by the estimators.

/// Euler–Mascheroni constant γ.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Digamma ψ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic series
/// ln x − 1/(2x) − Σ B₂ₖ/(2k x²ᵏ) to the x⁻¹⁴ term (truncation error below 1e-16 · ψ at x ≥ 10).
/// Returns NaN for x ≤ 0 or NaN (callers only pass counts ≥ 1).
#[must_use]
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x == 1.0 {
        return -EULER_GAMMA;
    }
    let mut acc = 0.0;
    let mut v = x;
    while v < 10.0 {
        acc -= 1.0 / v;
        v += 1.0;
    }
    let inv = 1.0 / v;
    let inv2 = inv * inv;
    // Bernoulli terms B2k/(2k): 1/12, -1/120, 1/252, -1/240, 1/132, -691/32760, 1/12
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0 - inv2 / 12.0))))));
    acc + v.ln() - 0.5 * inv - series
}

/// ψ(m) for the integers 1..=`max`, in a table indexed by m (entry 0 is NaN).
#[must_use]
pub fn digamma_table(max: usize) -> Vec<f64> {
    let mut t = Vec::with_capacity(max + 1);
    t.push(f64::NAN);
    for m in 1..=max {
        t.push(digamma(m as f64));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_against_known_values() {
        // ψ(1) = −γ, ψ(n+1) = −γ + H_n, ψ(1/2) = −γ − 2 ln 2
        assert_eq!(digamma(1.0), -EULER_GAMMA);
        let mut h = 0.0;
        for n in 1..200u32 {
            h += 1.0 / f64::from(n);
            let want = -EULER_GAMMA + h;
            assert!((digamma(f64::from(n) + 1.0) - want).abs() < 1e-14 * want.abs().max(1.0), "n={n}");
        }
        let half = -EULER_GAMMA - 2.0 * std::f64::consts::LN_2;
        assert!((digamma(0.5) - half).abs() < 1e-14);
        // large argument: ψ(x) ≈ ln x − 1/(2x)
        let x = 1.0e6;
        assert!((digamma(x) - (x.ln() - 0.5 / x - 1.0 / (12.0 * x * x))).abs() < 1e-15);
        assert!(digamma(0.0).is_nan() && digamma(-1.0).is_nan());
    }
}
