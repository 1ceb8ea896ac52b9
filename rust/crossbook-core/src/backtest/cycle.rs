//! One quote cycle: market inputs, lead-lag signal, stale-data guards, the engine, order
//! management, predictions and the cycle record.

use super::context::{band_price_and_depth, push_levels};
use super::orders::{Rules, Target};
use super::predict::{p_positive, rescale, Model};
use super::records::{
    CycleRow, SideOutcome, SidePrediction, FIELD_NAMES, SKIP_NAMES, STATUS_ENGINE_SKIP, STATUS_LEADLAG_INVALID,
    STATUS_QUOTED, STATUS_STALE_LEADER, STATUS_STALE_QUOTED,
};
use super::runner::Runner;
use super::MS;
use crate::book::Side as BookSide;
use crate::error::Result;
use crate::exchange::{to_scaled, Side};
use crate::leadlag::skew::{compute_lead_lag_skew_bps, predict_remaining_move};
use crate::quote::{QuoteInputs, QuoteRecord};
use crate::signals::microprice::weighted_mid;
use crate::units::{MISSING_I64, QTY_EXP};

const BPS: f64 = 1e4;

impl Runner<'_, '_> {
    /// Seconds to the next funding settlement at `t`.
    fn time_to_funding(&self, t: i64) -> f64 {
        if self.next_funding_ts != MISSING_I64 {
            return self.next_funding_ts.saturating_sub(t) as f64 * 1e-9;
        }
        let iv = self.p.exchange.funding_interval_ns;
        if iv > 0 {
            let off = self.p.exchange.funding_offset_ns;
            let next = (t - off).div_euclid(iv) * iv + off + iv;
            return (next - t) as f64 * 1e-9;
        }
        f64::NAN
    }

    fn oi_delta_1m(&mut self, t: i64) -> f64 {
        let cut = t.saturating_sub(60_000 * MS);
        while self.oi_hist.len() >= 2 && self.oi_hist[1].0 <= cut {
            self.oi_hist.pop_front();
        }
        match self.oi_hist.front() {
            Some(&(ts, v)) if ts <= cut => self.oi - v,
            _ => f64::NAN,
        }
    }

    /// One quote cycle at local time `t`.
    #[allow(clippy::too_many_lines)] // the cycle reads best in one place
    pub(super) fn step(&mut self, t: i64, trigger: u8) -> Result<()> {
        self.feed_venue(t)?;
        self.sim.advance_to(t);
        self.capture_fills(t);
        let notices = self.sim.poll(t);
        self.orders.on_notices(&mut self.sim, &notices, t)?;
        if !self.seen_touch {
            self.counts.cycles_before_data += 1;
            return Ok(());
        }
        let (px_unit, qty_unit) = self.units;
        let p = self.p;
        if self.orders.inventory == 0 {
            self.nonflat_since = None;
        } else if self.nonflat_since.is_none() {
            self.nonflat_since = Some(t);
        }
        let mut depth = None;
        if self.data.quoted_book.is_some() {
            let (wp, d) = band_price_and_depth(&self.book, &mut self.bands, p.context_band_bps);
            depth = d;
            self.wp_hist.push_back((t, wp));
            while self.wp_hist.front().is_some_and(|x| x.0 < t.saturating_sub(2_000 * MS)) {
                self.wp_hist.pop_front();
            }
        }
        // ---- market inputs
        let (bid, ask, bq, aq) = match self.touch {
            Some(x) => (
                x.bid as f64 / px_unit,
                x.ask as f64 / px_unit,
                x.bid_qty as f64 / qty_unit,
                x.ask_qty as f64 / qty_unit,
            ),
            None => (f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        };
        let mid = 0.5 * (bid + ask);
        let wm = weighted_mid(bid, bq, ask, aq);
        let micro = if wm.is_finite() { wm } else { mid };
        let inventory = self.orders.inventory as f64 / qty_unit;
        let sigma2 = self.vol.per_second(self.vol.bv());
        // ---- lead-lag
        // the leader's as-of move over the last min(lag, max lookback) ms has not reached the quoted
        // venue yet (lag from the all-moves estimate; β and R² for that move's direction)
        let guess = self.est.current();
        let lookback = (guess.lag_ms.min(p.leadlag_estimator.max_lookback_ms) * MS as f64) as i64;
        let r_move = if guess.lag_ms > 0.0 { self.leader_move(t, lookback).unwrap_or(0.0) } else { 0.0 };
        let est = self.est.current_for_move(r_move);
        let mut status = STATUS_QUOTED;
        let (mut mu, mut skew) = (0.0, 0.0);
        if p.leadlag {
            match (
                predict_remaining_move(&est, r_move, 0.0),
                compute_lead_lag_skew_bps(&est, r_move, 0.0, self.max_skew_bps),
            ) {
                (Ok(m), Ok(s)) => (mu, skew) = (m, s),
                _ => {
                    self.counts.leadlag_errors += 1;
                    status = STATUS_LEADLAG_INVALID;
                }
            }
        }
        let inp = QuoteInputs {
            t_ns: t,
            mid,
            microprice: micro,
            ll_microprice: micro * (1.0 + mu),
            ll_skew_bps: skew,
            best_bid: bid,
            best_ask: ask,
            tick: p.tick,
            inventory,
            regime_probs: p.regime_probs,
            sigma2_per_s: sigma2,
            kappa: p.intensity_k_per_tick * mid * 1e-4 / p.tick,
            a: p.intensity_a,
            informed_fraction: 0.0,
            kappa_cv: 0.0,
            cascade: false,
        };
        let cycle = self.cycles.len() as u64;
        if t.saturating_sub(self.q_last_t) > p.stale_quoted_ns {
            status = STATUS_STALE_QUOTED;
        } else if p.leadlag && self.leader_last_t.is_none_or(|lt| t.saturating_sub(lt) > p.stale_leader_ns) {
            status = STATUS_STALE_LEADER;
        }
        let mut rec = QuoteRecord::empty(cycle, inp);
        if status == STATUS_QUOTED {
            rec = self.engine.generate_quotes(&inp);
            rec.cycle = cycle;
            rescale(&mut rec, p.spread_mult);
            if !rec.quoted() {
                status = STATUS_ENGINE_SKIP;
                let key = format!(
                    "{}:{}",
                    SKIP_NAMES[usize::from(rec.skip) % SKIP_NAMES.len()],
                    FIELD_NAMES[usize::from(rec.skip_field) % FIELD_NAMES.len()]
                );
                *self.counts.engine_skips.entry(key).or_insert(0) += 1;
            }
        }
        self.counts.by_status[usize::from(status)] += 1;
        self.leader_at_cycle = self.leader_mid;
        // ---- orders
        let (bt, at) = if status == STATUS_QUOTED {
            if rec.clamped & 1 != 0 {
                self.counts.clamped_bid += 1;
            }
            if rec.clamped & 2 != 0 {
                self.counts.clamped_ask += 1;
            }
            (self.target(rec.bid_px, rec.bid_size)?, self.target(rec.ask_px, rec.ask_size)?)
        } else {
            (None, None)
        };
        let rules = Rules {
            requote_px: (p.requote_ticks * self.tick_scaled as f64).round() as i64,
            size_tolerance: p.size_tolerance,
            max_per_side: p.max_orders_per_side,
            post_only: p.post_only,
        };
        if status != STATUS_QUOTED {
            self.orders.cancel_all(&mut self.sim, t)?;
        }
        for (side, target) in [(Side::Buy, bt), (Side::Sell, at)] {
            if let Some(id) = self.orders.manage(&mut self.sim, t, side, target, rules, cycle as i64)? {
                let k = usize::try_from(id).unwrap_or(usize::MAX);
                if k >= self.order_cycle.len() {
                    self.order_cycle.resize(k.saturating_add(1), u64::MAX);
                }
                if let Some(c) = self.order_cycle.get_mut(k) {
                    *c = cycle;
                }
            }
        }
        // ---- predictions
        let sigma_bps = sigma2.sqrt() * BPS;
        let model = Model {
            mid,
            tick: p.tick,
            a: p.intensity_a,
            k_per_tick: p.intensity_k_per_tick,
            mu_bps: mu * BPS,
            sigma_1s_bps: sigma_bps,
            maker_fee_bps: self.maker_fee_bps,
        };
        let bid_pred = self.side_prediction(&model, Side::Buy, rec.bid_px, rec.bid_size);
        let ask_pred = self.side_prediction(&model, Side::Sell, rec.ask_px, rec.ask_size);
        let (lb, la) = (
            if rec.bid_size > 0.0 { model.intensity(1.0, rec.bid_px) } else { 0.0 },
            if rec.ask_size > 0.0 { model.intensity(-1.0, rec.ask_px) } else { 0.0 },
        );
        let quoted = rec.quoted() && status == STATUS_QUOTED;
        let n = p.book_levels;
        if self.data.quoted_book.is_some() {
            push_levels(&self.book, BookSide::Bid, n, self.units, &mut self.levels);
            push_levels(&self.book, BookSide::Ask, n, self.units, &mut self.levels);
        } else {
            for (px, q) in [(bid, bq), (ask, aq)] {
                let end = self.levels.len() + 2 * n;
                self.levels.extend([px, q]);
                self.levels.resize(end, f64::NAN);
            }
        }
        self.tw1.advance(t)?;
        self.tw10.advance(t)?;
        let row = CycleRow {
            t_ns: t,
            cycle,
            trigger,
            status,
            q: rec,
            sigma_bipower: sigma_bps,
            sigma_realized_1m: self.rv1m.per_second(self.rv1m.rv()).sqrt() * BPS,
            funding_rate: self.funding_rate,
            time_to_funding_settlement_s: self.time_to_funding(t),
            open_interest: self.oi,
            open_interest_delta_1m: self.oi_delta_1m(t),
            binance_mid: self.leader_mid,
            binance_hl_spread: (mid - self.leader_mid) / self.leader_mid * BPS,
            binance_delta_100ms: self.leader_move(t, 100 * MS).map_or(f64::NAN, |x| x * BPS),
            leader_return_bps: r_move * BPS,
            predicted_move_bps: mu * BPS,
            leadlag_lag_ms: est.lag_ms,
            leadlag_beta: est.beta,
            leadlag_r_squared: est.r_squared,
            inventory_age_s: self.nonflat_since.map_or(0.0, |s| t.saturating_sub(s) as f64 * 1e-9),
            trade_imbalance_1s: self.tw1.imbalance(),
            trade_imbalance_10s: self.tw10.imbalance(),
            trade_rate_1s: self.tw1.rate_per_s(),
            bid_depth_band: depth.map_or(f64::NAN, |d| d.0 as f64 / qty_unit),
            ask_depth_band: depth.map_or(f64::NAN, |d| d.1 as f64 / qty_unit),
            bid: if quoted { bid_pred } else { SidePrediction::NONE },
            ask: if quoted { ask_pred } else { SidePrediction::NONE },
            expected_fill_rate_1s: if quoted { lb + la } else { f64::NAN },
            expected_fill_rate_10s: if quoted { 10.0 * (lb + la) } else { f64::NAN },
            expected_adverse_selection_bps: if quoted && lb + la > 0.0 {
                (lb - la) * (-mu * BPS) / (lb + la)
            } else {
                f64::NAN
            },
            p_mid_up_1s: p_positive(mu * BPS, sigma_bps),
            price_1s_later: f64::NAN,
            price_10s_later: f64::NAN,
            price_60s_later: f64::NAN,
            bid_outcome: SideOutcome::default(),
            ask_outcome: SideOutcome::default(),
            adverse_selection_realized_bps: f64::NAN,
            mid_up_1s: None,
        };
        self.cycles.push(row);
        Ok(())
    }

    /// A side's target (scaled price and size), or None when it should not be quoted.
    fn target(&mut self, px: f64, size: f64) -> Result<Target> {
        if !(size.is_finite() && size > 0.0 && px.is_finite() && px > 0.0) {
            self.orders.counters.zero_size_sides += 1;
            return Ok(None);
        }
        let qty = to_scaled(size, QTY_EXP, "order size")?;
        if qty <= 0 {
            self.orders.counters.zero_size_sides += 1;
            return Ok(None);
        }
        let px_scaled = (px / self.p.tick).round() as i64 * self.tick_scaled;
        Ok(Some((px_scaled, qty)))
    }

    fn side_prediction(&self, model: &Model, side: Side, px: f64, size: f64) -> SidePrediction {
        let s = f64::from(side.sign());
        let px_scaled = if px.is_finite() { (px / self.p.tick).round() as i64 * self.tick_scaled } else { 0 };
        let bs = if side == Side::Buy { BookSide::Bid } else { BookSide::Ask };
        let visible = if self.data.quoted_book.is_some() {
            self.book.queue_at(bs, px_scaled)
        } else {
            match self.touch {
                Some(x) if side == Side::Buy && x.bid == px_scaled => x.bid_qty,
                Some(x) if side == Side::Sell && x.ask == px_scaled => x.ask_qty,
                _ => 0,
            }
        } as f64
            / self.units.1;
        let ahead = match self.orders.working(side) {
            Some((id, wpx)) if wpx == px_scaled => {
                self.sim.queue_ahead(id).map_or(visible, |q| q as f64 / self.units.1)
            }
            _ => visible,
        };
        model.side(s, px, size, (ahead, visible))
    }
}
