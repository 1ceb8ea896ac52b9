//! Streaming lead-lag estimator (seeds/lead-lag-skill.md `LeadLagEstimator`).
//!
//! Model: `follower_return(t) = a + β · leader_return(t − lag) + ε`, positive lag = the leader leads.
//!
//! - **Follower returns.** A follower tick at least `return_window_ms` after the previous sample
//!   point makes a sample: the log return over (previous sample time, this tick's time]. Ticks in
//!   between are skipped, as in the seed.
//! - **Leader returns at a lag.** For a follower sample over (s₀, s₁] and a candidate lag L, the
//!   regressor is the leader's log return over the same window shifted back by L:
//!   `X(s₁ − L) − X(s₀ − L)`, where `X(t)` is the leader's log price **as of** t (the last leader
//!   price at or before t — what a live observer knew; no interpolation, which would smear the
//!   steps of the leader's path and bias the lag, the Epps effect).
//! - **When.** A sample needs the leader up to `s₁ − min lag` (a negative lag looks at the leader
//!   *after* the follower), so it is completed once a tick of either stream is later than that.
//!   Feed both streams merged in time order ([`LeadLagEstimator::update`] merges arrays for you).
//! - **Storage.** Leader: a ring of (ts, log price) keeping only price changes (`leader_capacity`
//!   points; it must cover the lag span, max lag − min lag, plus the wait for completion).
//!   Completed samples: a ring of `window_samples` rows holding y and the leader return at every
//!   candidate lag, with running per-lag regression sums for all samples and for up and down
//!   leader moves (added on push, subtracted on eviction, recomputed exactly once per window
//!   turnover; see [`super::rows`]).
//! - **Re-estimation** (when a completed sample is more than `estimation_interval_ms` after the last
//!   estimation, once `min_samples` rows are held): OLS per lag from the running sums, O(lags); the
//!   best-R² lag of all moves, of up moves and of down moves is each smoothed in with α (0.1).
//!   A tick costs O(1), plus O(lags + leader ticks within the lag span) when it completes a sample.
//!
//! Differences from the seed, on purpose: the seed stores returns and then reads them back as
//! prices, and regresses on the leader's return *interpolated* at t − lag whatever its window;
//! here the leader's return is taken over exactly the follower's window shifted by the lag (as-of
//! prices, log returns), which is what makes a 10 ms grid resolvable. `min_samples` counts rows in
//! the window (the seed counts every return ever seen). β's standard error uses the residuals of
//! the fitted line with intercept (the seed mixes a centred β with an uncentred residual). The
//! seed's never-updated `lag_estimate_std` is the exponentially weighted spread of the best lags.

//! Bad input: a NaN, infinite or non-positive price, or a timestamp earlier than the previous one
//! of the same stream, is rejected with [`CoreError::InvalidInput`] and leaves the state unchanged.
//! A repeated timestamp is allowed (leader: replaces the price; follower: too close to make a
//! sample).

use std::collections::VecDeque;

use super::lagfit::{best_fit, Direction, LagEstimate, LagFit};
use super::rows::RowRing;
pub(crate) use super::stream_config::{check_time, log_price};
pub use super::stream_config::{fine_lags_ms, CurrentEstimate, EstimateRecord, LeadLagConfig, SEED_LAGS_MS};
use crate::error::{CoreError, Result};
use crate::ring::RingBuffer;

const NS_PER_MS: i64 = 1_000_000;

#[derive(Debug, Clone, Copy)]
struct Pending {
    ts: i64,
    /// follower log return over (previous sample, ts]; NaN for an anchor (no return yet)
    y: f64,
}

/// Streaming lead-lag estimator; see the module docs.
#[derive(Debug, Clone)]
pub struct LeadLagEstimator {
    cfg: LeadLagConfig,
    /// sorted candidate lags (ns)
    lags_ns: Vec<i64>,
    /// minimum span of a follower return (ns)
    window_ns: i64,
    /// re-estimation interval (ns)
    interval_ns: i64,
    leader: RingBuffer<(i64, f64)>,
    last_leader_ts: Option<i64>,
    /// (ts, log price) of the last follower sample point; `None` = the next tick anchors
    anchor: Option<(i64, f64)>,
    last_follower_ts: Option<i64>,
    /// latest timestamp of either stream (ns)
    now: i64,
    pending: VecDeque<Pending>,
    /// leader log prices at s − lag for the previous sample point s; `prev_ok` = all known
    prev: Vec<f64>,
    prev_ok: bool,
    cur: Vec<f64>,
    rows: RowRing,
    sample_count: u64,
    dropped: u64,
    last_estimation_ts: Option<i64>,
    est: [LagEstimate; 3],
    curves: [Vec<Option<LagFit>>; 3],
    record: Option<Vec<EstimateRecord>>,
}

impl LeadLagEstimator {
    /// A new estimator.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an empty lag grid, a non-positive return window, α outside
    /// (0, 1] or non-finite priors.
    pub fn new(cfg: LeadLagConfig) -> Result<Self> {
        cfg.validate()?;
        let mut lags = cfg.lags_ms.clone();
        lags.sort_unstable();
        lags.dedup();
        let cfg = LeadLagConfig { lags_ms: lags.clone(), ..cfg };
        let k = lags.len();
        let prior =
            LagEstimate::prior(cfg.initial_lag_ms, cfg.initial_lag_std_ms, cfg.initial_beta, cfg.initial_beta_std);
        Ok(Self {
            lags_ns: lags.iter().map(|l| l * NS_PER_MS).collect(),
            window_ns: cfg.return_window_ms.saturating_mul(NS_PER_MS),
            interval_ns: cfg.estimation_interval_ms.saturating_mul(NS_PER_MS),
            leader: RingBuffer::new(cfg.leader_capacity),
            last_leader_ts: None,
            anchor: None,
            last_follower_ts: None,
            now: i64::MIN,
            pending: VecDeque::new(),
            prev: vec![f64::NAN; k],
            prev_ok: false,
            cur: vec![f64::NAN; k],
            rows: RowRing::new(k, cfg.window_samples),
            sample_count: 0,
            dropped: 0,
            last_estimation_ts: None,
            est: [prior.clone(), prior.clone(), prior],
            curves: [vec![None; k], vec![None; k], vec![None; k]],
            record: None,
            cfg,
        })
    }

    /// The configuration in use (lags sorted and de-duplicated).
    #[must_use]
    pub fn config(&self) -> &LeadLagConfig {
        &self.cfg
    }

    /// A leader price (any positive price; its log is used) at `ts_ns`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a bad price or a timestamp going backwards.
    pub fn on_leader_price(&mut self, price: f64, ts_ns: i64) -> Result<()> {
        let lp = log_price("leader", price)?;
        check_time("leader", self.last_leader_ts, ts_ns)?;
        self.last_leader_ts = Some(ts_ns);
        match self.leader.latest_mut() {
            Some(last) if last.0 == ts_ns => last.1 = lp,
            Some(last) if last.1 == lp => {} // unchanged price: the as-of path is the same
            _ => {
                self.leader.push((ts_ns, lp));
            }
        }
        self.advance(ts_ns);
        Ok(())
    }

    /// A follower price at `ts_ns`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a bad price or a timestamp going backwards.
    pub fn on_follower_price(&mut self, price: f64, ts_ns: i64) -> Result<()> {
        let lp = log_price("follower", price)?;
        check_time("follower", self.last_follower_ts, ts_ns)?;
        self.last_follower_ts = Some(ts_ns);
        match self.anchor {
            None => {
                self.anchor = Some((ts_ns, lp));
                self.pending.push_back(Pending { ts: ts_ns, y: f64::NAN });
            }
            Some((t0, p0)) => {
                if ts_ns.saturating_sub(t0) >= self.window_ns {
                    self.anchor = Some((ts_ns, lp));
                    self.sample_count += 1;
                    self.pending.push_back(Pending { ts: ts_ns, y: lp - p0 });
                }
            }
        }
        self.advance(ts_ns);
        Ok(())
    }

    /// Start the follower's returns afresh: the next follower tick is a new anchor, so no return
    /// spans the time before it (used when a regime's estimator resumes after a pause).
    pub fn reset_follower(&mut self) {
        self.anchor = None;
    }

    /// Feed arrays of ticks (each stream sorted by time), merged by time with the leader first at
    /// equal times. Returns nothing; see [`LeadLagEstimator::set_record`] for a rolling record.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for mismatched lengths or the first bad tick (with its index);
    /// ticks before it have been applied.
    pub fn update(
        &mut self,
        leader_ts: &[i64],
        leader_px: &[f64],
        follower_ts: &[i64],
        follower_px: &[f64],
    ) -> Result<()> {
        if leader_ts.len() != leader_px.len() || follower_ts.len() != follower_px.len() {
            return Err(CoreError::InvalidInput(format!(
                "lengths differ: leader {} ts / {} prices, follower {} ts / {} prices",
                leader_ts.len(),
                leader_px.len(),
                follower_ts.len(),
                follower_px.len()
            )));
        }
        let (mut i, mut j) = (0, 0);
        while i < leader_ts.len() || j < follower_ts.len() {
            let take_leader = j >= follower_ts.len() || (i < leader_ts.len() && leader_ts[i] <= follower_ts[j]);
            let r = if take_leader {
                i += 1;
                self.on_leader_price(leader_px[i - 1], leader_ts[i - 1])
            } else {
                j += 1;
                self.on_follower_price(follower_px[j - 1], follower_ts[j - 1])
            };
            r.map_err(|e| {
                let (which, k) = if take_leader { ("leader", i - 1) } else { ("follower", j - 1) };
                CoreError::InvalidInput(format!("{which} tick {k}: {e}"))
            })?;
        }
        Ok(())
    }

    /// Complete every pending sample whose last needed leader time is before `ts`.
    fn advance(&mut self, ts: i64) {
        self.now = self.now.max(ts);
        let lead = self.lags_ns.first().copied().unwrap_or(0);
        while let Some(&p) = self.pending.front() {
            if p.ts.saturating_sub(lead) >= self.now {
                break;
            }
            self.pending.pop_front();
            self.complete(p);
        }
    }

    fn complete(&mut self, p: Pending) {
        let ok = self.leader_at_lags(p.ts);
        if !p.y.is_nan() {
            if ok && self.prev_ok {
                self.rows.push(p.y, &self.cur, &self.prev);
                if self.last_estimation_ts.is_none_or(|t| p.ts.saturating_sub(t) > self.interval_ns) {
                    self.estimate_at(p.ts);
                }
            } else {
                self.dropped += 1;
            }
        }
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.prev_ok = ok;
    }

    /// Fill `cur[k]` with the leader log price as of `s − lag_k`; false if any is unknown.
    fn leader_at_lags(&mut self, s: i64) -> bool {
        let Some(&first) = self.lags_ns.first() else {
            return false;
        };
        // targets decrease with k; walk the leader ring backwards from the first (latest) target
        let mut idx = self.leader.index_as_of(s.saturating_sub(first));
        let mut ok = true;
        for (k, &lag) in self.lags_ns.iter().enumerate() {
            let target = s.saturating_sub(lag);
            while let Some(i) = idx {
                match self.leader.get(i) {
                    Some(&(t, _)) if t > target => idx = i.checked_sub(1),
                    _ => break,
                }
            }
            match idx.and_then(|i| self.leader.get(i)) {
                Some(&(_, v)) => self.cur[k] = v,
                None => {
                    self.cur[k] = f64::NAN;
                    ok = false;
                }
            }
        }
        ok
    }

    /// Re-estimate now from the rows held (ignores the interval). Returns false, changing nothing
    /// but the estimation time, when fewer than `min_samples` rows are held.
    pub fn estimate(&mut self) -> bool {
        let ts = self.last_follower_ts.unwrap_or(0);
        self.estimate_at(ts)
    }

    fn estimate_at(&mut self, ts: i64) -> bool {
        self.last_estimation_ts = Some(ts);
        if self.rows.len() < self.cfg.min_samples {
            return false;
        }
        let moments = self.rows.moments();
        for d in Direction::ALL {
            let curve = &mut self.curves[d.index()];
            for (k, m) in moments[d.index()].iter().enumerate() {
                curve[k] = m.fit(self.cfg.lags_ms[k], self.cfg.min_pairs);
            }
            if let Some(best) = best_fit(curve) {
                self.est[d.index()].update(best, self.cfg.alpha);
            }
        }
        if let Some(rec) = self.record.as_mut() {
            rec.push(EstimateRecord { ts_ns: ts, n_samples: self.rows.len(), estimates: self.est.clone() });
        }
        true
    }

    /// Keep a record of every re-estimation (true) or stop and drop it (false).
    pub fn set_record(&mut self, on: bool) {
        self.record = if on { Some(self.record.take().unwrap_or_default()) } else { None };
    }

    /// Take the re-estimations recorded since the last call.
    pub fn take_records(&mut self) -> Vec<EstimateRecord> {
        self.record.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Smoothed estimate for a direction.
    #[must_use]
    pub fn estimate_for(&self, d: Direction) -> &LagEstimate {
        &self.est[d.index()]
    }

    /// Per-lag fits of the latest re-estimation for a direction (`None` where a lag had too few
    /// pairs or no variation), in the order of [`LeadLagConfig::lags_ms`].
    #[must_use]
    pub fn curve(&self, d: Direction) -> &[Option<LagFit>] {
        &self.curves[d.index()]
    }

    /// (lag ms, β, R²) of all moves, the seed's `get_current_estimate`.
    #[must_use]
    pub fn current(&self) -> CurrentEstimate {
        (&self.est[0]).into()
    }

    /// The estimate for a leader move of this sign: up or down moves once that direction has been
    /// estimated at least once, else all moves.
    #[must_use]
    pub fn current_for_move(&self, leader_return: f64) -> CurrentEstimate {
        let d = if leader_return > 0.0 {
            Direction::Up
        } else if leader_return < 0.0 {
            Direction::Down
        } else {
            Direction::All
        };
        let e = &self.est[d.index()];
        if e.n_estimates > 0 {
            e.into()
        } else {
            self.current()
        }
    }

    /// Smoothed lag (ms), all moves.
    #[must_use]
    pub fn lag_estimate_ms(&self) -> f64 {
        self.est[0].lag_ms
    }
    /// Exponentially weighted spread of the best lags (ms), all moves.
    #[must_use]
    pub fn lag_estimate_std(&self) -> f64 {
        self.est[0].lag_std_ms
    }
    /// Smoothed β, all moves.
    #[must_use]
    pub fn beta_estimate(&self) -> f64 {
        self.est[0].beta
    }
    /// Smoothed standard error of β, all moves.
    #[must_use]
    pub fn beta_estimate_std(&self) -> f64 {
        self.est[0].beta_std
    }
    /// Smoothed best R², all moves.
    #[must_use]
    pub fn r_squared(&self) -> f64 {
        self.est[0].r_squared
    }
    /// Follower returns formed so far (the seed's `sample_count`).
    #[must_use]
    pub fn sample_count(&self) -> u64 {
        self.sample_count
    }
    /// Rows in the regression window.
    #[must_use]
    pub fn window_len(&self) -> usize {
        self.rows.len()
    }
    /// Follower returns dropped because the leader was unknown at some lag (no leader tick yet,
    /// or older than the leader ring).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
    /// Samples waiting for later ticks.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
    /// Time of the last estimation attempt (ns).
    #[must_use]
    pub fn last_estimation_ts(&self) -> Option<i64> {
        self.last_estimation_ts
    }
}

#[cfg(test)]
#[path = "streaming_tests.rs"]
pub(crate) mod tests;
