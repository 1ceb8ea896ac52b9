//! Lead-lag signal health (seeds/lead-lag-skill.md `LeadLagMonitor`): R² against warning and
//! critical floors, and the decay of R² over the last day.
//!
//! The decay rate is the least-squares slope of the recorded R² over the last `decay_window_ns`
//! (24 h), per day, relative to the fitted R² at the start of that window:
//! `decay = −slope_per_day / fitted(now − window)`; 0.10 means R² is falling by 10 % of its level a
//! day ago per day. A slope is used rather than the seed's two-point comparison
//! `(r2_24h_ago − current) / r2_24h_ago`, which one noisy estimate can flip. It needs the history to
//! reach back a full window (the seed's `get_at_age(24 h)`), and 3 points in it.

use crate::error::{CoreError, Result};
use crate::ring::RingBuffer;

const NS_PER_DAY: f64 = 86_400e9;

/// Health of the lead-lag signal, worst first in [`LeadLagMonitor::check_health`]'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalHealth {
    /// R² above the warning floor and not decaying fast
    Ok,
    /// R² below the warning floor, or decaying faster than the warning rate
    Warning(String),
    /// R² below the critical floor
    Critical(String),
}

impl SignalHealth {
    /// "ok", "warning" or "critical".
    #[must_use]
    pub fn level(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning(_) => "warning",
            Self::Critical(_) => "critical",
        }
    }

    /// The reason ("" when Ok).
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::Ok => "",
            Self::Warning(m) | Self::Critical(m) => m,
        }
    }
}

/// Configuration of [`LeadLagMonitor`]; defaults are the seed's.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfig {
    /// warn below this R², default 0.15
    pub min_r2_warning: f64,
    /// critical below this R², default 0.10
    pub min_r2_critical: f64,
    /// warn when R² decays faster than this fraction per day, default 0.10
    pub decay_rate_warning: f64,
    /// window of the decay slope (ns), default 24 h
    pub decay_window_ns: i64,
    /// keep a recorded point only this long after the previous kept one (ns), default 60 s
    pub record_interval_ns: i64,
    /// points kept, default 4096 (2.8 days at one a minute)
    pub history_capacity: usize,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            min_r2_warning: 0.15,
            min_r2_critical: 0.10,
            decay_rate_warning: 0.10,
            decay_window_ns: 86_400_000_000_000,
            record_interval_ns: 60_000_000_000,
            history_capacity: 4096,
        }
    }
}

/// Tracks R² over time and reports [`SignalHealth`].
#[derive(Debug, Clone)]
pub struct LeadLagMonitor {
    cfg: MonitorConfig,
    r2_history: RingBuffer<(i64, f64)>,
}

fn check_r2(r2: f64) -> Result<f64> {
    if r2.is_finite() {
        Ok(r2)
    } else {
        Err(CoreError::InvalidInput(format!("R² must be finite, got {r2}")))
    }
}

impl LeadLagMonitor {
    /// A monitor with an empty history.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for non-finite thresholds, a critical floor above the warning
    /// floor, a non-positive window or interval below 0, or a capacity below 3.
    pub fn new(cfg: MonitorConfig) -> Result<Self> {
        let t = [cfg.min_r2_warning, cfg.min_r2_critical, cfg.decay_rate_warning];
        if t.iter().any(|v| !v.is_finite()) || cfg.min_r2_critical > cfg.min_r2_warning {
            return Err(CoreError::InvalidInput(format!(
                "thresholds must be finite with min_r2_critical <= min_r2_warning, got critical {} warning {} decay {}",
                cfg.min_r2_critical, cfg.min_r2_warning, cfg.decay_rate_warning
            )));
        }
        if cfg.decay_window_ns <= 0 || cfg.record_interval_ns < 0 || cfg.history_capacity < 3 {
            return Err(CoreError::InvalidInput(
                "decay_window_ns must be > 0, record_interval_ns >= 0 and history_capacity >= 3".into(),
            ));
        }
        Ok(Self { r2_history: RingBuffer::new(cfg.history_capacity), cfg })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &MonitorConfig {
        &self.cfg
    }

    /// Record R² at `ts_ns`. Returns whether the point was kept (points closer than
    /// `record_interval_ns` to the last kept one are skipped).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-finite R² or a timestamp before the last kept one.
    pub fn record(&mut self, ts_ns: i64, r2: f64) -> Result<bool> {
        check_r2(r2)?;
        if let Some(&(last, _)) = self.r2_history.latest() {
            if ts_ns < last {
                return Err(CoreError::InvalidInput(format!(
                    "R² history timestamp going backwards: {ts_ns} ns < previous {last} ns"
                )));
            }
            if ts_ns.saturating_sub(last) < self.cfg.record_interval_ns {
                return Ok(false);
            }
        }
        self.r2_history.push((ts_ns, r2));
        Ok(true)
    }

    /// The recorded (ts ns, R²) points, oldest first.
    #[must_use]
    pub fn history(&self) -> &RingBuffer<(i64, f64)> {
        &self.r2_history
    }

    /// Relative decay of R² per day over the last window (see the module docs); `None` until the
    /// history covers a full window with 3 points in it, or when the fitted start is <= 0.
    #[must_use]
    pub fn decay_rate(&self) -> Option<f64> {
        let &(now, _) = self.r2_history.latest()?;
        let w = self.cfg.decay_window_ns;
        self.r2_history.get_at_age(w)?;
        let start = now.saturating_sub(w);
        // OLS of r2 on time (days relative to now)
        let (mut n, mut st, mut sr, mut stt, mut str_) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(t, r) in self.r2_history.iter().filter(|(t, _)| *t >= start) {
            let d = (t - now) as f64 / NS_PER_DAY;
            n += 1.0;
            st += d;
            sr += r;
            stt += d * d;
            str_ += d * r;
        }
        let var = stt - st * st / n;
        if n < 3.0 || var <= 0.0 {
            return None;
        }
        let slope = (str_ - st * sr / n) / var; // R² per day
        let fitted_start = sr / n + slope * ((-w as f64 / NS_PER_DAY) - st / n);
        (fitted_start > 0.0).then(|| -slope / fitted_start)
    }

    /// Health for the current R²: Critical below the critical floor, else Warning below the
    /// warning floor, else Warning when [`LeadLagMonitor::decay_rate`] exceeds the warning rate,
    /// else Ok.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-finite R².
    pub fn check_health(&self, current_r2: f64) -> Result<SignalHealth> {
        check_r2(current_r2)?;
        let c = &self.cfg;
        if current_r2 < c.min_r2_critical {
            return Ok(SignalHealth::Critical(format!(
                "Lead-lag R² {current_r2:.3} below critical threshold {:.3}",
                c.min_r2_critical
            )));
        }
        if current_r2 < c.min_r2_warning {
            return Ok(SignalHealth::Warning(format!(
                "Lead-lag R² {current_r2:.3} below warning threshold {:.3}",
                c.min_r2_warning
            )));
        }
        if let Some(rate) = self.decay_rate() {
            if rate > c.decay_rate_warning {
                return Ok(SignalHealth::Warning(format!("Lead-lag R² decaying at {:.1}% per day", rate * 100.0)));
            }
        }
        Ok(SignalHealth::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    #[test]
    fn healthy_to_warning_to_critical() {
        let m = LeadLagMonitor::new(MonitorConfig::default()).unwrap();
        assert_eq!(m.check_health(0.30).unwrap(), SignalHealth::Ok);
        assert_eq!(m.check_health(0.15).unwrap(), SignalHealth::Ok);
        let w = m.check_health(0.12).unwrap();
        assert_eq!(w, SignalHealth::Warning("Lead-lag R² 0.120 below warning threshold 0.150".into()));
        assert_eq!(w.level(), "warning");
        let c = m.check_health(0.05).unwrap();
        assert_eq!(c, SignalHealth::Critical("Lead-lag R² 0.050 below critical threshold 0.100".into()));
        assert_eq!(c.level(), "critical");
        assert_eq!(m.check_health(f64::NAN).unwrap_err().to_string(), "R² must be finite, got NaN");
    }

    #[test]
    fn decay_over_a_day() {
        let mut m = LeadLagMonitor::new(MonitorConfig::default()).unwrap();
        // flat at 0.40 for a day, then a linear fall to 0.30 over the next day
        for h in 0..=48 {
            let r2 = if h <= 24 { 0.40 } else { 0.40 - 0.1 * (h - 24) as f64 / 24.0 };
            assert!(m.record(h * HOUR, r2).unwrap());
            if h == 23 {
                assert_eq!(m.decay_rate(), None); // less than a day of history
            }
            if h == 24 {
                assert!(m.decay_rate().unwrap().abs() < 1e-12);
            }
        }
        // slope −0.1 per day from 0.40: 25 % per day
        assert!((m.decay_rate().unwrap() - 0.25).abs() < 1e-9, "{:?}", m.decay_rate());
        assert_eq!(
            m.check_health(0.30).unwrap(),
            SignalHealth::Warning("Lead-lag R² decaying at 25.0% per day".into())
        );
        // the floors come first
        assert_eq!(m.check_health(0.05).unwrap().level(), "critical");
        // a slower decline (5 % per day) is Ok
        let mut slow = LeadLagMonitor::new(MonitorConfig::default()).unwrap();
        for h in 0..=24 {
            slow.record(h * HOUR, 0.40 - 0.02 * h as f64 / 24.0).unwrap();
        }
        assert!((slow.decay_rate().unwrap() - 0.05).abs() < 1e-9);
        assert_eq!(slow.check_health(0.38).unwrap(), SignalHealth::Ok);
    }

    #[test]
    fn recording_rules() {
        let mut m = LeadLagMonitor::new(MonitorConfig::default()).unwrap();
        assert!(m.record(0, 0.3).unwrap());
        assert!(!m.record(59_000_000_000, 0.3).unwrap()); // within the record interval
        assert!(m.record(60_000_000_000, 0.3).unwrap());
        assert_eq!(m.history().len(), 2);
        assert!(m.record(1, 0.3).is_err());
        assert!(m.record(HOUR, f64::INFINITY).is_err());
        let bad = MonitorConfig { min_r2_critical: 0.2, ..MonitorConfig::default() };
        assert!(LeadLagMonitor::new(bad).is_err());
    }
}
