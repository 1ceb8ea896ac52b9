//! Validation of [`SimConfig`]: every value the model cannot use is rejected with the field's name.

use super::config::{bad, Regime, SimConfig};
use crate::error::Result;

fn check(ok: bool, name: &str, rule: &str, v: f64) -> Result<()> {
    if ok && v.is_finite() {
        Ok(())
    } else {
        Err(bad(format!("{name} must be {rule}, got {v}")))
    }
}

impl SimConfig {
    /// Reject values the model cannot use (negative lags, β ≤ 0, minutes ≤ 0, bad matrices, ...).
    ///
    /// # Errors
    /// [`crate::CoreError::InvalidInput`] naming the first offending field.
    pub fn validate(&self) -> Result<()> {
        check(self.minutes > 0.0 && self.minutes <= 7.0 * 24.0 * 60.0, "minutes", "in (0, 10080]", self.minutes)?;
        check(self.lag_ms >= 0.0 && self.lag_ms <= 60_000.0, "lag_ms", "in [0, 60000]", self.lag_ms)?;
        for (name, v) in [("lag_ms_up", self.lag_ms_up), ("lag_ms_down", self.lag_ms_down)] {
            if let Some(v) = v {
                check((0.0..=60_000.0).contains(&v), name, "in [0, 60000]", v)?;
            }
        }
        if let Some(m) = &self.lag_by_regime {
            for (k, &v) in m {
                if Regime::from_name(k).is_none() {
                    return Err(bad(format!(
                        "lag_by_regime: unknown regime {k:?} (valid: quiet, trending, volatile, cascade)"
                    )));
                }
                check((0.0..=60_000.0).contains(&v), &format!("lag_by_regime[{k:?}]"), "in [0, 60000]", v)?;
            }
        }
        for r in Regime::ALL {
            let (u, d) = self.lag_ms_for(r);
            let what = format!("resolved lag of {} moves (lag_by_regime + lag_ms_up/down − lag_ms)", r.name());
            check(u >= 0.0 && d >= 0.0, &what, "≥ 0", u.min(d))?;
        }
        check(self.beta > 0.0 && self.beta <= 10.0, "beta", "in (0, 10]", self.beta)?;
        check(self.price > 0.0, "price", "> 0", self.price)?;
        check(self.start_ns >= 0, "start_ns", "≥ 0", self.start_ns as f64)?;
        for (name, v) in [
            ("follower_noise_bps", self.follower_noise_bps),
            ("vol_scale", self.vol_scale),
            ("leader_latency_ms", self.leader_latency_ms),
            ("leader_latency_jitter_ms", self.leader_latency_jitter_ms),
            ("follower_latency_ms", self.follower_latency_ms),
            ("follower_latency_jitter_ms", self.follower_latency_jitter_ms),
            ("walls_per_min", self.walls_per_min),
            ("spoofs_per_min", self.spoofs_per_min),
            ("leader_churn_hz", self.leader_churn_hz),
            ("arb_threshold_bps", self.arb_threshold_bps),
            ("open_interest", self.open_interest),
            ("follower_open_interest", self.follower_open_interest),
        ] {
            check(v >= 0.0, name, "≥ 0", v)?;
        }
        for (name, v) in [
            ("follower_noise_tau_s", self.follower_noise_tau_s),
            ("regime_step_s", self.regime_step_s),
            ("leader_tick", self.leader_tick),
            ("leader_lot", self.leader_lot),
            ("leader_touch_qty", self.leader_touch_qty),
            ("wall_qty", self.wall_qty),
            ("wall_life_s", self.wall_life_s),
            ("spoof_qty", self.spoof_qty),
            ("follower_tick", self.follower_tick),
            ("follower_lot", self.follower_lot),
            ("follower_touch_qty", self.follower_touch_qty),
        ] {
            check(v > 0.0, name, "> 0", v)?;
        }
        for (name, v) in [
            ("leader_depth_interval_ms", self.leader_depth_interval_ms),
            ("follower_block_ms", self.follower_block_ms),
            ("follower_book_interval_ms", self.follower_book_interval_ms),
            ("ticker_interval_ms", self.ticker_interval_ms),
        ] {
            check(v >= 1.0, name, "≥ 1 ms", v)?;
        }
        for (name, v) in [
            ("follower_block_jitter", self.follower_block_jitter),
            ("wall_pull_prob", self.wall_pull_prob),
            ("arb_prob", self.arb_prob),
        ] {
            check((0.0..=1.0).contains(&v), name, "in [0, 1]", v)?;
        }
        check(self.follower_block_jitter < 1.0, "follower_block_jitter", "< 1", self.follower_block_jitter)?;
        check(
            (1.0..=5000.0).contains(&f64::from(self.leader_book_ticks)),
            "leader_book_ticks",
            "in [1, 5000]",
            f64::from(self.leader_book_ticks),
        )?;
        check(
            (1.0..=100.0).contains(&f64::from(self.follower_levels)),
            "follower_levels",
            "in [1, 100]",
            f64::from(self.follower_levels),
        )?;
        for (f, t) in [(self.leader_tick, self.leader_lot), (self.follower_tick, self.follower_lot)] {
            for (name, v) in [("tick", f), ("lot", t)] {
                let scaled = v * 1e8;
                check((scaled - scaled.round()).abs() < 1e-6 && scaled >= 1.0, name, "a multiple of 1e-8", v)?;
            }
        }
        for (i, row) in self.transition.iter().enumerate() {
            let s: f64 = row.iter().sum();
            let name = format!("transition row {} ({})", i, Regime::from_index(i).name());
            check(row.iter().all(|p| (0.0..=1.0).contains(p)), &name, "probabilities in [0, 1]", s)?;
            check((s - 1.0).abs() < 1e-6, &name, "summing to 1", s)?;
        }
        for r in Regime::ALL {
            let p = self.regimes.get(r);
            for (name, v) in [
                ("vol_bps", p.vol_bps),
                ("drift_bps", p.drift_bps),
                ("jump_hz", p.jump_hz),
                ("jump_bps", p.jump_bps),
                ("refresh_hz", p.refresh_hz),
                ("trade_hz", p.trade_hz),
                ("liquidation_hz", p.liquidation_hz),
                ("follower_trade_hz", p.follower_trade_hz),
                ("idle_gap_hz", p.idle_gap_hz),
            ] {
                check((0.0..=1e6).contains(&v), &format!("regimes.{}.{name}", r.name()), "in [0, 1e6]", v)?;
            }
            for (name, v) in [("down_prob", p.down_prob), ("informed_prob", p.informed_prob)] {
                check((0.0..=1.0).contains(&v), &format!("regimes.{}.{name}", r.name()), "in [0, 1]", v)?;
            }
            let s = f64::from(p.follower_spread_ticks);
            check((1.0..=1000.0).contains(&s), &format!("regimes.{}.follower_spread_ticks", r.name()), "≥ 1", s)?;
        }
        Ok(())
    }
}
