//! Building blocks of the streaming lead-lag estimator: per-lag regression from sums
//! ([`Moments`] → [`LagFit`]) and the exponentially smoothed estimate ([`LagEstimate`]).

/// Which leader moves a regression uses: all of them, or only up / down moves (the sign of the
/// leader's return over the lagged window). The seed's "common mistake 5": lags may differ by
/// direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// every sample
    All,
    /// samples whose lagged leader return is > 0
    Up,
    /// samples whose lagged leader return is < 0
    Down,
}

impl Direction {
    /// All directions, in storage order.
    pub const ALL: [Direction; 3] = [Direction::All, Direction::Up, Direction::Down];

    /// Position in per-direction arrays.
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Direction::All => 0,
            Direction::Up => 1,
            Direction::Down => 2,
        }
    }

    /// Lower-case name ("all", "up", "down").
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Direction::All => "all",
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// Parse "all" / "up" / "down".
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Direction::All),
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }
}

/// Raw sums of one regression sample set: y (follower return) on x (leader return at a lag).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: f64,
    pub sx: f64,
    pub sxx: f64,
    pub sxy: f64,
    pub sy: f64,
    pub syy: f64,
}

/// Below this centred Σ(x − x̄)² the leader did not move enough to regress on (the seed's 1e-20).
const MIN_SXX: f64 = 1e-20;

impl Moments {
    /// Ordinary least squares with intercept, y = a + β·x + ε. `None` with fewer than
    /// `min_pairs` (at least 3) samples, or when x or y does not vary.
    ///
    /// β = Sxy / Sxx, R² = Sxy² / (Sxx·Syy), standard error of β = sqrt(SSR / (n − 2) / Sxx) with
    /// SSR = Syy − β·Sxy (centred sums S).
    #[must_use]
    pub fn fit(&self, lag_ms: i64, min_pairs: usize) -> Option<LagFit> {
        let n = self.n;
        if n < (min_pairs.max(3) as f64) {
            return None;
        }
        let (mx, my) = (self.sx / n, self.sy / n);
        let sxx = self.sxx - self.sx * mx;
        let sxy = self.sxy - self.sx * my;
        let syy = self.syy - self.sy * my;
        // the relative guard catches leaders that never move, where sxx is rounding noise
        if !(sxx > MIN_SXX && sxx > 1e-12 * self.sxx && syy > 1e-12 * self.syy && syy > 0.0) {
            return None;
        }
        let beta = sxy / sxx;
        let r_squared = (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0);
        let ssr = (syy - beta * sxy).max(0.0);
        let beta_se = (ssr / (n - 2.0) / sxx).sqrt();
        Some(LagFit { lag_ms, n: n as usize, beta, beta_se, r_squared })
    }
}

/// The regression of follower returns on leader returns at one candidate lag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagFit {
    /// candidate lag (ms; positive = leader leads)
    pub lag_ms: i64,
    /// number of (leader, follower) return pairs used
    pub n: usize,
    /// transmission coefficient β (follower log return per leader log return)
    pub beta: f64,
    /// standard error of β
    pub beta_se: f64,
    /// coefficient of determination, in [0, 1]
    pub r_squared: f64,
}

/// Exponentially smoothed lead-lag estimate (the seed's `lag_estimate_ms`, `beta_estimate`, …).
///
/// Each re-estimation takes the best-R² lag of the grid and moves every field a fraction α
/// towards it: `x ← α·new + (1 − α)·x`. The lag's spread is the exponentially weighted standard
/// deviation of the best lags around the smoothed lag.
#[derive(Debug, Clone, PartialEq)]
pub struct LagEstimate {
    /// smoothed lag (ms)
    pub lag_ms: f64,
    /// exponentially weighted std of the best lags (ms)
    pub lag_std_ms: f64,
    /// smoothed β
    pub beta: f64,
    /// smoothed standard error of β
    pub beta_std: f64,
    /// smoothed best R²
    pub r_squared: f64,
    /// the best fit of the latest re-estimation (unsmoothed); `None` before the first
    pub last: Option<LagFit>,
    /// number of re-estimations that produced a fit
    pub n_estimates: u64,
}

impl LagEstimate {
    /// The prior before any data (the seed starts at lag 200 ± 100 ms, β 0.8 ± 0.2, R² 0).
    #[must_use]
    pub fn prior(lag_ms: f64, lag_std_ms: f64, beta: f64, beta_std: f64) -> Self {
        Self { lag_ms, lag_std_ms, beta, beta_std, r_squared: 0.0, last: None, n_estimates: 0 }
    }

    /// Smooth the best fit of a re-estimation in, with weight `alpha`.
    pub fn update(&mut self, best: LagFit, alpha: f64) {
        let lag = best.lag_ms as f64;
        let d = lag - self.lag_ms;
        let var = (1.0 - alpha) * (self.lag_std_ms * self.lag_std_ms + alpha * d * d);
        self.lag_ms += alpha * d;
        self.lag_std_ms = var.sqrt();
        self.beta = alpha * best.beta + (1.0 - alpha) * self.beta;
        self.beta_std = alpha * best.beta_se + (1.0 - alpha) * self.beta_std;
        self.r_squared = alpha * best.r_squared + (1.0 - alpha) * self.r_squared;
        self.last = Some(best);
        self.n_estimates += 1;
    }
}

/// The fit with the highest R² (the first of equal ones), as the seed's grid search.
#[must_use]
pub fn best_fit(fits: &[Option<LagFit>]) -> Option<LagFit> {
    let mut best: Option<LagFit> = None;
    for f in fits.iter().flatten() {
        if best.is_none_or(|b| f.r_squared > b.r_squared) {
            best = Some(*f);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64], ys: &[f64]) -> Moments {
        let mut m = Moments::default();
        for (&x, &y) in xs.iter().zip(ys) {
            m.n += 1.0;
            m.sx += x;
            m.sxx += x * x;
            m.sxy += x * y;
            m.sy += y;
            m.syy += y * y;
        }
        m
    }

    #[test]
    fn ols_by_hand() {
        // y = 1 + 2x + e with e = (+1, -1, -1, +1) at x = 0, 1, 2, 3 (e orthogonal to x)
        let xs = [0.0, 1.0, 2.0, 3.0];
        let ys = [2.0, 2.0, 4.0, 8.0];
        let f = moments(&xs, &ys).fit(7, 3).unwrap();
        // Sxx = 5, Sxy = 10, Syy = 24 → β = 2, R² = 100/120, SSR = 4, se = sqrt(4/2/5)
        assert_eq!(f.lag_ms, 7);
        assert_eq!(f.n, 4);
        assert!((f.beta - 2.0).abs() < 1e-12);
        assert!((f.r_squared - 100.0 / 120.0).abs() < 1e-12);
        assert!((f.beta_se - (0.4f64).sqrt()).abs() < 1e-12);
        assert_eq!(moments(&xs, &ys).fit(7, 5), None); // too few pairs
        assert_eq!(moments(&[1.0; 4], &ys).fit(0, 3), None); // x constant
        assert_eq!(moments(&xs, &[1.0; 4]).fit(0, 3), None); // y constant
    }

    #[test]
    fn ewma_update_and_best() {
        let mut e = LagEstimate::prior(200.0, 100.0, 0.8, 0.2);
        let fit = LagFit { lag_ms: 100, n: 10, beta: 1.0, beta_se: 0.1, r_squared: 0.5 };
        e.update(fit, 0.1);
        assert!((e.lag_ms - 190.0).abs() < 1e-12);
        assert!((e.beta - 0.82).abs() < 1e-12);
        assert!((e.beta_std - 0.19).abs() < 1e-12);
        assert!((e.r_squared - 0.05).abs() < 1e-12);
        // var = 0.9 * (100² + 0.1 * 100²) = 9900
        assert!((e.lag_std_ms - 9900f64.sqrt()).abs() < 1e-9);
        let g = LagFit { r_squared: 0.7, lag_ms: 50, ..fit };
        assert_eq!(best_fit(&[None, Some(fit), Some(g), Some(fit)]), Some(g));
        assert_eq!(best_fit(&[None, None]), None);
    }
}
