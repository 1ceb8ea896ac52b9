//! Trade toxicity (heatmap seed §3.4): the training labels of the seed's `label_trade` and the
//! real-time `AdverseSelectionAdjuster`. Features are in [`super::toxicity_features`], the softmax
//! classifier in [`super::softmax`].
//!
//! **The labels look into the future** (prices 10 s later, the cross-venue spread 500 ms later, open
//! interest 30 s later): they are for training and evaluation only, never a live input. The seed's
//! rules, in its order, for a trade with sign s at time t:
//!
//! 1. **liquidation** — open interest drops by at least `oi_drop_pct` % between t − `oi_window_s`/2
//!    and t + `oi_window_s`/2, and (unless `require_funding_extreme` is off) the funding rate is
//!    extreme: its percentile rank among the last `funding_history` ticker rows is >= `funding_pct`
//!    or <= 1 − `funding_pct` (ties count half, so a pinned funding rate is never extreme);
//! 2. **arbitrage** — the cross-venue mid gap (reference mid − own mid, bps, minus its trailing
//!    `basis_ewma_s` EWMA) is at least `arb_min_gap_bps`, the trade pushes the own price toward the
//!    reference, and within `arb_window_ms` the gap shrinks to at most `arb_close_frac` of itself;
//! 3. **informed** — the own mid `horizon_ms` later has moved more than `informed_bps` in the trade's
//!    direction from the mid in force before the trade;
//! 4. **noise** — otherwise.
//!
//! Class indices follow `crossbook.sim.LABELS`: 0 noise, 1 informed, 2 liquidation, 3 arbitrage.

use super::softmax::SoftmaxClassifier;
use super::toxicity_features::{check_inputs, sign, FeatureInputs};
use crate::error::{CoreError, Result};

/// Class index of noise trades.
pub const NOISE: u8 = 0;
/// Class index of informed trades.
pub const INFORMED: u8 = 1;
/// Class index of liquidation trades.
pub const LIQUIDATION: u8 = 2;
/// Class index of arbitrage trades.
pub const ARBITRAGE: u8 = 3;
/// Class names by index.
pub const CLASS_NAMES: [&str; 4] = ["noise", "informed", "liquidation", "arbitrage"];

/// Thresholds of the labelling rules (seed values where the seed gives them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelConfig {
    /// informed: move in the trade's direction, bps (seed: 5)
    pub informed_bps: f64,
    /// informed: look-ahead, ms (seed: 10 s)
    pub horizon_ms: f64,
    /// arbitrage: the gap must close within this, ms (seed: 500)
    pub arb_window_ms: f64,
    /// arbitrage: least gap from the basis, bps
    pub arb_min_gap_bps: f64,
    /// arbitrage: "closed" = the gap fell to at most this fraction
    pub arb_close_frac: f64,
    /// time constant of the basis EWMA, s
    pub basis_ewma_s: f64,
    /// liquidation: least OI drop over the window, %
    pub oi_drop_pct: f64,
    /// liquidation: OI window centred on the trade, s
    pub oi_window_s: f64,
    /// liquidation: funding percentile counted as extreme (and 1 − it)
    pub funding_pct: f64,
    /// liquidation: ticker rows in the funding history
    pub funding_history: usize,
    /// the seed's `oi_dropped_significantly && funding_extreme`; off: the OI drop alone
    pub require_funding_extreme: bool,
}

impl Default for LabelConfig {
    fn default() -> Self {
        Self {
            informed_bps: 5.0,
            horizon_ms: 10_000.0,
            arb_window_ms: 500.0,
            arb_min_gap_bps: 1.0,
            arb_close_frac: 0.5,
            basis_ewma_s: 60.0,
            oi_drop_pct: 0.05,
            oi_window_s: 60.0,
            funding_pct: 0.9,
            funding_history: 10_000,
            require_funding_extreme: true,
        }
    }
}

/// Index of the last row with time <= t.
fn asof(times: &[i64], t: i64) -> Option<usize> {
    times.partition_point(|&x| x <= t).checked_sub(1)
}

/// Index of the last row with time < t.
fn before(times: &[i64], t: i64) -> Option<usize> {
    times.partition_point(|&x| x < t).checked_sub(1)
}

/// Percentile rank of `v` among `xs` (ties half).
fn rank(xs: &[f64], v: f64) -> f64 {
    let (b, e) = xs.iter().fold((0usize, 0usize), |(b, e), &x| (b + usize::from(x < v), e + usize::from(x == v)));
    (b as f64 + 0.5 * e as f64) / xs.len() as f64
}

/// The seed's training labels for every trade (uses the future; see the module doc).
///
/// # Errors
/// [`CoreError::InvalidInput`] for bad inputs (see `check_inputs`) or thresholds.
pub fn label_trades(inp: &FeatureInputs<'_>, cfg: &LabelConfig) -> Result<Vec<u8>> {
    check_inputs(inp)?;
    if !(cfg.informed_bps.is_finite() && cfg.horizon_ms > 0.0 && cfg.arb_window_ms > 0.0 && cfg.oi_window_s > 0.0) {
        return Err(CoreError::InvalidInput(format!("invalid label thresholds {cfg:?}")));
    }
    let tr = &inp.trades;
    let own = &inp.own;
    let horizon = (cfg.horizon_ms * 1e6).round() as i64;
    let arb_win = (cfg.arb_window_ms * 1e6).round() as i64;
    let half_oi = (cfg.oi_window_s * 0.5e9).round() as i64;
    // the basis: EWMA of the cross-venue gap sampled at own-quote updates (past only)
    let gap_at = |t: i64, strict: bool| -> Option<f64> {
        let rq = inp.reference.as_ref()?;
        let (ko, kr) =
            if strict { (before(own.t_ns, t)?, before(rq.t_ns, t)?) } else { (asof(own.t_ns, t)?, asof(rq.t_ns, t)?) };
        let (m, r) = (own.mid(ko)?, rq.mid(kr)?);
        Some((r - m) / m * 1e4)
    };
    let funding_clean: Vec<(i64, f64)> = inp
        .ticker
        .map(|tk| tk.t_ns.iter().zip(tk.funding).filter(|(_, f)| f.is_finite()).map(|(&t, &f)| (t, f)).collect())
        .unwrap_or_default();
    let funding_t: Vec<i64> = funding_clean.iter().map(|x| x.0).collect();
    let funding_v: Vec<f64> = funding_clean.iter().map(|x| x.1).collect();
    let mut basis: Option<(i64, f64)> = None;
    let mut out = Vec::with_capacity(tr.t_ns.len());
    for i in 0..tr.t_ns.len() {
        let t = tr.t_ns[i];
        let mid0 = before(own.t_ns, t).and_then(|k| own.mid(k));
        let s = sign(tr.aggressor[i], tr.px[i], mid0);
        // 1. liquidation
        let liquidation = inp.ticker.as_ref().is_some_and(|tk| {
            let oi = |t: i64| asof(tk.t_ns, t).map(|k| tk.oi[k]).filter(|v| v.is_finite() && *v > 0.0);
            let dropped = match (oi(t - half_oi), oi(t + half_oi)) {
                (Some(a), Some(b)) => (b - a) / a * 100.0 <= -cfg.oi_drop_pct,
                _ => false,
            };
            let extreme = || {
                let Some(k) = asof(&funding_t, t) else { return false };
                let lo = (k + 1).saturating_sub(cfg.funding_history);
                let r = rank(&funding_v[lo..=k], funding_v[k]);
                r >= cfg.funding_pct || r <= 1.0 - cfg.funding_pct
            };
            dropped && (!cfg.require_funding_extreme || extreme())
        });
        // 2. arbitrage (the basis EWMA is updated with the gap at each trade, past only)
        let gap_now = gap_at(t, true);
        let mut arbitrage = false;
        if let Some(g) = gap_now {
            let base = basis.map_or(g, |b| b.1);
            let dev = g - base;
            if dev.abs() >= cfg.arb_min_gap_bps && s * dev > 0.0 {
                if let Some(g_later) = gap_at(t + arb_win, false) {
                    arbitrage = (g_later - base).abs() <= cfg.arb_close_frac * dev.abs();
                }
            }
            basis = Some(match basis {
                Some((t0, v)) => {
                    let e = (-((t - t0) as f64) / (cfg.basis_ewma_s * 1e9)).exp();
                    (t, e * v + (1.0 - e) * g)
                }
                None => (t, g),
            });
        }
        // 3. informed
        let informed = match (mid0, asof(own.t_ns, t + horizon).and_then(|k| own.mid(k))) {
            (Some(a), Some(b)) => s * (b - a) / a * 1e4 > cfg.informed_bps,
            _ => false,
        };
        out.push(if liquidation {
            LIQUIDATION
        } else if arbitrage {
            ARBITRAGE
        } else if informed {
            INFORMED
        } else {
            NOISE
        });
    }
    Ok(out)
}

/// The seed's `AdverseSelectionAdjuster`: an EMA of the informed probability per trade, turned into a
/// κ multiplier `max(1 − informed% · discount, floor)` and a spread premium `informed% · premium` bps.
#[derive(Debug, Clone, PartialEq)]
pub struct AdverseSelectionAdjuster {
    classifier: Option<SoftmaxClassifier>,
    informed_class: usize,
    /// EMA weight of each new trade (0, 1]
    ema_alpha: f64,
    value: Option<f64>,
    /// κ discount per percentage point of informed flow (crossbook.quote's default 0.01)
    pub kappa_discount_per_informed_pct: f64,
    /// spread premium per percentage point of informed flow, bps
    pub spread_premium_per_informed_pct: f64,
    /// lowest κ adjustment (seed: 0.3)
    pub kappa_floor: f64,
}

impl AdverseSelectionAdjuster {
    /// A new adjuster; `classifier` (optional) scores feature rows in [`Self::on_trade`].
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an EMA weight outside (0, 1], negative discounts, a floor outside
    /// [0, 1] or an informed class the classifier does not have.
    pub fn new(
        classifier: Option<SoftmaxClassifier>,
        informed_class: usize,
        ema_alpha: f64,
        kappa_discount_per_informed_pct: f64,
        spread_premium_per_informed_pct: f64,
        kappa_floor: f64,
    ) -> Result<Self> {
        let ok = ema_alpha > 0.0
            && ema_alpha <= 1.0
            && kappa_discount_per_informed_pct >= 0.0
            && spread_premium_per_informed_pct >= 0.0
            && (0.0..=1.0).contains(&kappa_floor);
        if !ok {
            return Err(CoreError::InvalidInput(format!(
                "adjuster needs 0 < ema_alpha <= 1, discounts >= 0 and 0 <= kappa_floor <= 1 (got {ema_alpha}, \
                 {kappa_discount_per_informed_pct}, {spread_premium_per_informed_pct}, {kappa_floor})"
            )));
        }
        if classifier.as_ref().is_some_and(|c| informed_class >= c.n_classes) {
            return Err(CoreError::InvalidInput(format!(
                "informed class {informed_class} is not a class of the classifier"
            )));
        }
        Ok(Self {
            classifier,
            informed_class,
            ema_alpha,
            value: None,
            kappa_discount_per_informed_pct,
            spread_premium_per_informed_pct,
            kappa_floor,
        })
    }

    /// Update with an informed probability in [0, 1] (the first one starts the EMA).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a probability outside [0, 1] or NaN.
    pub fn on_informed_probability(&mut self, p: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&p) {
            return Err(CoreError::InvalidInput(format!("informed probability must be in [0, 1] (got {p})")));
        }
        self.value = Some(match self.value {
            Some(v) => self.ema_alpha * p + (1.0 - self.ema_alpha) * v,
            None => p,
        });
        Ok(())
    }

    /// The seed's `on_trade`: score the feature row with the classifier and update; returns the
    /// trade's informed probability.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] without a classifier or for a row of the wrong length or with NaN.
    pub fn on_trade(&mut self, features: &[f64]) -> Result<f64> {
        let c = self.classifier.as_ref().ok_or_else(|| CoreError::InvalidInput("adjuster has no classifier".into()))?;
        if features.len() != c.n_features || features.iter().any(|v| !v.is_finite()) {
            return Err(CoreError::InvalidInput(format!("feature row must be {} finite numbers", c.n_features)));
        }
        let p = c.proba_row(features)[self.informed_class];
        self.on_informed_probability(p)?;
        Ok(p)
    }

    /// EMA of the informed probability (0 before any trade).
    #[must_use]
    pub fn informed_fraction(&self) -> f64 {
        self.value.unwrap_or(0.0)
    }

    /// κ multiplier: `max(1 − informed% · discount, floor)`.
    #[must_use]
    pub fn get_kappa_adjustment(&self) -> f64 {
        (1.0 - self.informed_fraction() * 100.0 * self.kappa_discount_per_informed_pct).max(self.kappa_floor)
    }

    /// Spread premium, bps: `informed% · premium`.
    #[must_use]
    pub fn get_spread_adjustment_bps(&self) -> f64 {
        self.informed_fraction() * 100.0 * self.spread_premium_per_informed_pct
    }
}
