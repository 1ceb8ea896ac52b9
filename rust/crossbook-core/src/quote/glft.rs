//! Closed-form GLFT quotes: the asymptotic (T → ∞) approximations of Guéant (2017), "Optimal market
//! making", Applied Mathematical Finance 24(2), eqs. (4.6)–(4.7), for the model of Guéant, Lehalle and
//! Fernandez-Tapia (2013) with exponential fill intensity λ(δ) = A·exp(−k·δ):
//!
//! ```text
//! δᵇ(q) = c₁ + (Δ/2)·σ·c₂ + q·σ·c₂        (bid depth below the fair price)
//! δᵃ(q) = c₁ + (Δ/2)·σ·c₂ − q·σ·c₂        (ask depth above the fair price)
//! c₁ = 1/(ξΔ) · ln(1 + ξΔ/k)
//! c₂ = sqrt( γ/(2AΔk) · (1 + ξΔ/k)^(k/(ξΔ) + 1) )
//! ```
//!
//! We use ξ = γ (the model's "objective-function" variant) and Δ = 1 lot, q counted in lots (inventory /
//! order size), so `c₁ = (1/γ)·ln(1 + γ/k)`: exactly the seed's step 8 half-spread
//! `(1/gamma) * (1 + gamma/adjusted_kappa).ln()`. The half-spread is `c₁ + σc₂/2` (the second term is
//! the volatility part Guéant's formula adds; it can be switched off to match the seed's step 8
//! literally) and the inventory skew per lot is `σ·c₂`.
//!
//! **Units.** Depths, spreads and skews are in bps of the quote centre; k (= the engine's κ) in 1/bp
//! (λ falls by e per 1/k bps); A in fills per second at zero depth; σ in bps per √s (the square root
//! of a per-second variance of log returns, ×10⁴); γ per bp per lot. Working in bps makes the seed's
//! regime γ values (0.3 … 2.0) give skews of the order of a bp per lot at BTC volatility, where the
//! same numbers in plain relative-price units would give a skew of 10⁻⁴ bp — a skew that does nothing.
//! The seed's κ is per unit of relative price (its `intensity_to_kappa` divides by `eps / 10000`), so
//! its floor `kappa.max(100.0)` is 100 / 10⁴ = 0.01 per bp here.

/// c₁ = (1/γ)·ln(1 + γ/κ) (bps) for γ > 0, κ > 0. As γ → 0 it tends to 1/κ.
#[inline]
#[must_use]
pub fn c1(gamma: f64, kappa: f64) -> f64 {
    (gamma / kappa).ln_1p() / gamma
}

/// c₂ = sqrt( γ/(2Aκ) · (1 + γ/κ)^(κ/γ + 1) ) (bps per lot per bps-of-σ) for γ, κ, A > 0 (Δ = 1).
#[inline]
#[must_use]
pub fn c2(gamma: f64, kappa: f64, a: f64) -> f64 {
    let x = gamma / kappa;
    // (1 + x)^(1/x + 1) = exp((1/x + 1)·ln(1 + x)); tends to e as x → 0
    let power = ((1.0 / x + 1.0) * x.ln_1p()).exp();
    (gamma / (2.0 * a * kappa) * power).sqrt()
}

/// GLFT half-spread and skew for given parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glft {
    /// c₁ (bps)
    pub c1: f64,
    /// c₂ (see [`c2`])
    pub c2: f64,
    /// σ·c₂/2: the volatility term of the half-spread (bps)
    pub vol_term: f64,
    /// σ·c₂: inventory skew per lot (bps per lot)
    pub skew_per_lot: f64,
}

impl Glft {
    /// Coefficients for γ (per bp per lot), κ (1/bp), A (1/s) and σ (bps/√s).
    #[inline]
    #[must_use]
    pub fn new(gamma: f64, kappa: f64, a: f64, sigma_bps: f64) -> Self {
        let c1 = c1(gamma, kappa);
        let c2 = c2(gamma, kappa, a);
        Self { c1, c2, vol_term: 0.5 * sigma_bps * c2, skew_per_lot: sigma_bps * c2 }
    }

    /// Guéant's half-spread c₁ + σc₂/2 (bps).
    #[inline]
    #[must_use]
    pub fn half_spread(&self) -> f64 {
        self.c1 + self.vol_term
    }

    /// (bid depth, ask depth) in bps for inventory `q_lots` (eqs. 4.6–4.7, no fee or floor).
    #[inline]
    #[must_use]
    pub fn depths(&self, q_lots: f64) -> (f64, f64) {
        let h = self.half_spread();
        (h + q_lots * self.skew_per_lot, h - q_lots * self.skew_per_lot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn c1_and_c2_by_hand() {
        // γ = 0.3, κ = 1: c1 = ln(1.3)/0.3; c2 = sqrt(0.15 · 1.3^(13/3))
        let (g, k) = (0.3, 1.0);
        let c1_hand = 1.3f64.ln() / 0.3;
        assert!(close(c1(g, k), c1_hand, 1e-14));
        assert!(close(c1(g, k), 0.874_547_548_2, 1e-9), "{}", c1(g, k));
        let c2_hand = (0.15 * 1.3f64.powf(13.0 / 3.0)).sqrt();
        assert!(close(c2(g, k, 1.0), c2_hand, 1e-13));
        assert!(close(c2(g, k, 1.0), 0.683_790_232_5, 1e-9), "{}", c2(g, k, 1.0));
        // cascade-like: γ = 2, κ = 0.5, A = 4: c1 = ln(5)/2, c2 = sqrt(2/(2·4·0.5) · 5^(1.25))
        assert!(close(c1(2.0, 0.5), 5f64.ln() / 2.0, 1e-14));
        assert!(close(c2(2.0, 0.5, 4.0), (0.5 * 5f64.powf(1.25)).sqrt(), 1e-13));
    }

    #[test]
    fn small_gamma_limits() {
        // c1 → 1/κ and (1 + x)^(1/x + 1) → e as γ → 0
        assert!(close(c1(1e-9, 2.0), 0.5, 1e-8));
        let c = c2(1e-9, 2.0, 3.0);
        assert!(close(c, (1e-9 / 12.0 * std::f64::consts::E).sqrt(), 1e-6));
    }

    #[test]
    fn depths_are_half_spread_plus_minus_skew() {
        let g = Glft::new(0.3, 1.0, 1.0, 2.0);
        assert!(close(g.skew_per_lot, 2.0 * c2(0.3, 1.0, 1.0), 1e-15));
        assert!(close(g.half_spread(), c1(0.3, 1.0) + c2(0.3, 1.0, 1.0), 1e-15));
        let (b, a) = g.depths(3.0);
        assert!(close(b - a, 6.0 * g.skew_per_lot, 1e-12));
        assert!(close(b + a, 2.0 * g.half_spread(), 1e-12));
        // eq. 4.6 written out: c1 + (2q + Δ)/2 · σ c2 with q = 3, Δ = 1
        assert!(close(b, c1(0.3, 1.0) + 3.5 * 2.0 * c2(0.3, 1.0, 1.0), 1e-12));
        // eq. 4.7: c1 − (2q − Δ)/2 · σ c2
        assert!(close(a, c1(0.3, 1.0) - 2.5 * 2.0 * c2(0.3, 1.0, 1.0), 1e-12));
    }

    #[test]
    fn sensitivities_have_the_documented_signs() {
        // higher σ, γ → more skew; higher A, k → less
        let base = Glft::new(0.5, 1.0, 1.0, 1.0).skew_per_lot;
        assert!(Glft::new(0.5, 1.0, 1.0, 2.0).skew_per_lot > base);
        assert!(Glft::new(1.0, 1.0, 1.0, 1.0).skew_per_lot > base);
        assert!(Glft::new(0.5, 1.0, 2.0, 1.0).skew_per_lot < base);
        assert!(Glft::new(0.5, 2.0, 1.0, 1.0).skew_per_lot < base);
        // higher k → tighter c1
        assert!(c1(0.5, 2.0) < c1(0.5, 1.0));
    }
}
