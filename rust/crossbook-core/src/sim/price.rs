//! Latent efficient price with a 4-state Markov-switching regime.
//!
//! The log price moves on a 1 ms grid: drift (sign drawn per segment) + Gaussian diffusion + Poisson
//! jumps, each with per-regime parameters. Regime segments last an exponential time whose mean
//! matches the discrete chain `transition` stepped every `regime_step_s`
//! (mean dwell = step / (1 − P_ii)); the next regime is drawn from the row's off-diagonal
//! weights, so the long-run time shares are the chain's stationary distribution.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::config::{Regime, RegimeSet, SimConfig};

/// bp → log units.
pub const BP: f64 = 1e-4;

/// One regime segment, in ms since the start (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub regime: Regime,
    pub start_ms: i64,
    pub end_ms: i64,
    /// drift direction of the segment: +1 up, -1 down
    pub dir: i8,
}

/// What happened in one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// the regime changed at this step
    pub regime_changed: bool,
    /// a jump (log units) happened at this step, or 0
    pub jump: f64,
}

/// Next event time (ms) of a Poisson process of `rate_hz` after `t_ms` (`i64::MAX` when rate is 0).
pub fn next_poisson(rng: &mut ChaCha8Rng, t_ms: i64, rate_hz: f64) -> i64 {
    if rate_hz <= 0.0 {
        return i64::MAX;
    }
    let e: f64 = Exp1.sample(rng);
    let dt = (e / rate_hz * 1000.0).ceil().max(1.0);
    if dt > 1e15 {
        i64::MAX
    } else {
        t_ms + dt as i64
    }
}

/// Latent log price and regime path.
pub struct LatentPrice {
    rng: ChaCha8Rng,
    /// latent log price (natural log of the price in quote currency)
    pub log_px: f64,
    pub regime: Regime,
    /// drift direction of the current segment
    pub dir: i8,
    seg_start_ms: i64,
    seg_end_ms: i64,
    next_jump_ms: i64,
    step_ms: f64,
    transition: [[f64; 4]; 4],
    vol_scale: f64,
    /// closed segments, in time order
    pub segments: Vec<Segment>,
}

impl LatentPrice {
    /// Start at `cfg.price` in `cfg.initial_regime`.
    #[must_use]
    pub fn new(cfg: &SimConfig, rng: ChaCha8Rng) -> Self {
        let mut p = Self {
            rng,
            log_px: cfg.price.ln(),
            regime: cfg.initial_regime,
            dir: 1,
            seg_start_ms: 0,
            seg_end_ms: 0,
            next_jump_ms: i64::MAX,
            step_ms: cfg.regime_step_s * 1000.0,
            transition: cfg.transition,
            vol_scale: cfg.vol_scale,
            segments: Vec::new(),
        };
        p.enter(cfg.initial_regime, 0, &cfg.regimes);
        p
    }

    fn enter(&mut self, r: Regime, t_ms: i64, regimes: &RegimeSet) {
        self.regime = r;
        self.seg_start_ms = t_ms;
        let params = regimes.get(r);
        self.dir = if self.rng.random::<f64>() < params.down_prob { -1 } else { 1 };
        let stay = self.transition[r.index()][r.index()];
        self.seg_end_ms = if stay >= 1.0 {
            i64::MAX
        } else {
            let mean_ms = self.step_ms / (1.0 - stay);
            let e: f64 = Exp1.sample(&mut self.rng);
            let d = (e * mean_ms).ceil().max(1.0);
            if d > 1e15 {
                i64::MAX
            } else {
                t_ms + d as i64
            }
        };
        self.next_jump_ms = next_poisson(&mut self.rng, t_ms, params.jump_hz);
    }

    fn next_regime(&mut self) -> Regime {
        let row = self.transition[self.regime.index()];
        let total: f64 = row.iter().enumerate().filter(|(j, _)| *j != self.regime.index()).map(|(_, p)| p).sum();
        if total <= 0.0 {
            return self.regime;
        }
        let mut u = self.rng.random::<f64>() * total;
        for (j, p) in row.iter().enumerate() {
            if j == self.regime.index() {
                continue;
            }
            if u < *p {
                return Regime::from_index(j);
            }
            u -= p;
        }
        // rounding left u just above the last weight: take the last positive one
        let last = row.iter().enumerate().rfind(|(j, p)| *j != self.regime.index() && **p > 0.0);
        last.map_or(self.regime, |(j, _)| Regime::from_index(j))
    }

    /// Advance by one ms to `t_ms` (switch regime first if the segment ended).
    pub fn step(&mut self, t_ms: i64, regimes: &RegimeSet) -> Step {
        let mut changed = false;
        if t_ms >= self.seg_end_ms {
            let next = self.next_regime();
            self.close_segment(t_ms);
            self.enter(next, t_ms, regimes);
            changed = true;
        }
        let p = regimes.get(self.regime);
        let z: f64 = StandardNormal.sample(&mut self.rng);
        let sigma = p.vol_bps * self.vol_scale * BP * 1e-3f64.sqrt();
        let mu = p.drift_bps * f64::from(self.dir) * BP * 1e-3;
        self.log_px += mu + sigma * z;
        let mut jump = 0.0;
        if t_ms >= self.next_jump_ms {
            let size: f64 = Exp1.sample(&mut self.rng);
            let sign = if p.drift_bps > 0.0 && self.rng.random::<f64>() < 0.7 {
                f64::from(self.dir)
            } else if self.rng.random::<bool>() {
                1.0
            } else {
                -1.0
            };
            jump = sign * size * p.jump_bps * BP;
            self.log_px += jump;
            self.next_jump_ms = next_poisson(&mut self.rng, t_ms, p.jump_hz);
        }
        Step { regime_changed: changed, jump }
    }

    /// Move the latent price by `dlog` (the impact of a liquidation sweep).
    pub fn nudge(&mut self, dlog: f64) {
        self.log_px += dlog;
    }

    fn close_segment(&mut self, t_ms: i64) {
        if t_ms > self.seg_start_ms {
            self.segments.push(Segment {
                regime: self.regime,
                start_ms: self.seg_start_ms,
                end_ms: t_ms,
                dir: self.dir,
            });
        }
    }

    /// Close the running segment at the end of the simulation and return all segments.
    pub fn finish(&mut self, end_ms: i64) -> Vec<Segment> {
        self.close_segment(end_ms);
        self.seg_start_ms = end_ms;
        std::mem::take(&mut self.segments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn regime_time_shares_follow_the_stationary_distribution() {
        let cfg = SimConfig { regime_step_s: 0.5, ..SimConfig::default() };
        let mut p = LatentPrice::new(&cfg, ChaCha8Rng::seed_from_u64(3));
        let n = 4_000_000;
        for t in 0..n {
            p.step(t, &cfg.regimes);
        }
        let segs = p.finish(n);
        let mut share = [0f64; 4];
        for s in &segs {
            share[s.regime.index()] += (s.end_ms - s.start_ms) as f64 / n as f64;
        }
        // stationary distribution of the default matrix (pi P = pi), computed by power iteration
        let mut pi = [0.25f64; 4];
        for _ in 0..10_000 {
            let mut next = [0f64; 4];
            for (i, pi_i) in pi.iter().enumerate() {
                for (j, nj) in next.iter_mut().enumerate() {
                    *nj += pi_i * cfg.transition[i][j];
                }
            }
            pi = next;
        }
        for i in 0..4 {
            assert!((share[i] - pi[i]).abs() < 0.05, "regime {i}: share {} vs stationary {}", share[i], pi[i]);
        }
        // segments tile the run
        assert_eq!(segs[0].start_ms, 0);
        assert!(segs.windows(2).all(|w| w[0].end_ms == w[1].start_ms && w[0].regime != w[1].regime));
        assert_eq!(segs.last().map(|s| s.end_ms), Some(n));
    }

    #[test]
    fn quiet_volatility_matches_the_config() {
        let mut cfg = SimConfig::default();
        cfg.transition[0] = [1.0, 0.0, 0.0, 0.0];
        cfg.regimes.quiet.jump_hz = 0.0;
        let mut p = LatentPrice::new(&cfg, ChaCha8Rng::seed_from_u64(5));
        let mut last = p.log_px;
        let mut sum2 = 0.0;
        let secs = 2000;
        for t in 0..secs * 1000 {
            p.step(t, &cfg.regimes);
            if t % 1000 == 999 {
                sum2 += (p.log_px - last).powi(2);
                last = p.log_px;
            }
        }
        let vol_bps = (sum2 / secs as f64).sqrt() / BP;
        assert!((vol_bps - 0.8).abs() < 0.05, "vol {vol_bps} bp/√s");
    }
}
