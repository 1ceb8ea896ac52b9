//! Column layout of the run records (names are the seed's field names in snake_case).

use super::records::{
    CycleRow, DayRow, EquityRow, FillRow, FIELD_NAMES, FILL_KIND_NAMES, REGIME_NAMES, SKIP_NAMES, STATUS_NAMES,
    TRIGGER_NAMES, WALL_POSITION_NAMES,
};
use super::table::{Column, Table};

fn side_prediction_columns(t: &mut Table, rows: &[CycleRow], bid: bool) {
    let s = |r: &CycleRow| if bid { r.bid } else { r.ask };
    macro_rules! col {
        ($bid:literal, $ask:literal, $f:ident) => {
            t.f64(if bid { $bid } else { $ask }, rows, |r| s(r).$f);
        };
    }
    col!("bid_depth_from_mid_bps", "ask_depth_from_mid_bps", depth_from_mid_bps);
    col!("bid_p_fill_100ms", "ask_p_fill_100ms", p_fill_100ms);
    col!("bid_p_fill_1s", "ask_p_fill_1s", p_fill_1s);
    col!("bid_p_fill_10s", "ask_p_fill_10s", p_fill_10s);
    col!("bid_p_adverse_given_fill", "ask_p_adverse_given_fill", p_adverse_given_fill);
    col!("bid_expected_pnl_given_fill", "ask_expected_pnl_given_fill", expected_pnl_given_fill);
    col!("bid_estimated_queue_position", "ask_estimated_queue_position", estimated_queue_position);
    col!("bid_estimated_queue_total", "ask_estimated_queue_total", estimated_queue_total);
}

fn side_outcome_columns(t: &mut Table, rows: &[CycleRow], bid: bool) {
    let o = |r: &CycleRow| if bid { r.bid_outcome } else { r.ask_outcome };
    let n = |b: &'static str, a: &'static str| if bid { b } else { a };
    t.opt_bool(n("bid_filled_100ms", "ask_filled_100ms"), rows, |r| o(r).filled_100ms);
    t.opt_bool(n("bid_filled_1s", "ask_filled_1s"), rows, |r| o(r).filled_1s);
    t.opt_bool(n("bid_filled_10s", "ask_filled_10s"), rows, |r| o(r).filled_10s);
    t.opt_bool(n("bid_adverse_realized", "ask_adverse_realized"), rows, |r| o(r).adverse);
}

/// Columns of the prediction log.
#[must_use]
pub fn cycle_table(rows: &[CycleRow], book_levels: &[f64], levels: usize) -> Table {
    let mut t = Table::default();
    t.i64("timestamp_ns", rows, |r| r.t_ns);
    t.u64("quote_cycle_id", rows, |r| r.cycle);
    t.cat("trigger", &TRIGGER_NAMES, rows, |r| r.trigger);
    t.cat("status", &STATUS_NAMES, rows, |r| r.status);
    // market state
    let w = 2 * levels;
    for (name, side) in [("bid_levels", 0), ("ask_levels", 1)] {
        let mut v = Vec::with_capacity(rows.len() * w);
        for k in 0..rows.len() {
            let at = (2 * k + side) * w;
            match book_levels.get(at..at + w) {
                Some(s) => v.extend_from_slice(s),
                None => v.resize(v.len() + w, f64::NAN),
            }
        }
        t.columns.push((name, Column::F64Matrix(v, w)));
    }
    t.f64("mid", rows, |r| r.q.inputs.mid);
    t.f64("best_bid", rows, |r| r.q.inputs.best_bid);
    t.f64("best_ask", rows, |r| r.q.inputs.best_ask);
    t.f64("microprice", rows, |r| r.q.inputs.microprice);
    t.f64("microprice_std", rows, |_| f64::NAN);
    t.f64("kappa_book", rows, |r| r.q.inputs.kappa);
    t.f64("kappa_robust", rows, |_| f64::NAN);
    t.f64("kappa_own", rows, |_| f64::NAN);
    t.f64("kappa_final", rows, |r| r.q.kappa);
    t.f64("a", rows, |r| r.q.inputs.a);
    t.f64("sigma_bipower", rows, |r| r.sigma_bipower);
    t.f64("sigma_realized_1m", rows, |r| r.sigma_realized_1m);
    t.f64("gamma_base", rows, |r| r.q.gamma);
    t.f64("gamma_effective", rows, |r| r.q.gamma);
    t.f64("funding_rate", rows, |r| r.funding_rate);
    t.f64("time_to_funding_settlement_s", rows, |r| r.time_to_funding_settlement_s);
    t.f64("open_interest", rows, |r| r.open_interest);
    t.f64("open_interest_delta_1m", rows, |r| r.open_interest_delta_1m);
    t.f64("binance_mid", rows, |r| r.binance_mid);
    t.f64("binance_hl_spread", rows, |r| r.binance_hl_spread);
    t.f64("binance_delta_100ms", rows, |r| r.binance_delta_100ms);
    t.f64("inventory", rows, |r| r.q.inputs.inventory);
    t.f64("inventory_age_s", rows, |r| r.inventory_age_s);
    t.f64("trade_imbalance_1s", rows, |r| r.trade_imbalance_1s);
    t.f64("trade_imbalance_10s", rows, |r| r.trade_imbalance_10s);
    t.f64("trade_rate_1s", rows, |r| r.trade_rate_1s);
    t.f64("bid_depth_band", rows, |r| r.bid_depth_band);
    t.f64("ask_depth_band", rows, |r| r.ask_depth_band);
    // lead-lag
    t.f64("leader_return_bps", rows, |r| r.leader_return_bps);
    t.f64("predicted_move_bps", rows, |r| r.predicted_move_bps);
    t.f64("leadlag_lag_ms", rows, |r| r.leadlag_lag_ms);
    t.f64("leadlag_beta", rows, |r| r.leadlag_beta);
    t.f64("leadlag_r_squared", rows, |r| r.leadlag_r_squared);
    t.f64("ll_microprice", rows, |r| r.q.inputs.ll_microprice);
    t.f64("ll_skew_bps", rows, |r| r.q.inputs.ll_skew_bps);
    // the quote record
    t.f64("bid_price", rows, |r| r.q.bid_px);
    t.f64("ask_price", rows, |r| r.q.ask_px);
    t.f64("bid_size", rows, |r| r.q.bid_size);
    t.f64("ask_size", rows, |r| r.q.ask_size);
    t.f64("centre_px", rows, |r| r.q.centre_px);
    t.f64("reservation_px", rows, |r| r.q.reservation_px);
    t.f64("bid_depth_bps", rows, |r| r.q.bid_depth_bps);
    t.f64("ask_depth_bps", rows, |r| r.q.ask_depth_bps);
    t.f64("half_spread_bps", rows, |r| r.q.half_spread_bps);
    t.f64("glft_half_spread_bps", rows, |r| r.q.glft_half_spread_bps);
    t.f64("c1_bps", rows, |r| r.q.c1_bps);
    t.f64("vol_term_bps", rows, |r| r.q.vol_term_bps);
    t.f64("inventory_skew_bps", rows, |r| r.q.inventory_skew_bps);
    t.f64("directional_skew_bps", rows, |r| r.q.directional_skew_bps);
    t.f64("spread_bps", rows, |r| r.q.spread_bps);
    t.f64("quoted_spread_bps", rows, |r| r.q.quoted_spread_bps);
    t.f64("kappa", rows, |r| r.q.kappa);
    t.f64("gamma", rows, |r| r.q.gamma);
    t.f64("kappa_multiplier", rows, |r| r.q.kappa_multiplier);
    t.f64("spread_floor_bps", rows, |r| r.q.spread_floor_bps);
    t.f64("max_inventory", rows, |r| r.q.max_inventory);
    t.f64("as_kappa_adjustment", rows, |r| r.q.as_kappa_adjustment);
    t.f64("uncertainty_mult", rows, |r| r.q.uncertainty_mult);
    t.f64("sigma_bps", rows, |r| r.q.sigma_bps);
    t.f64("sigma2_per_s", rows, |r| r.q.inputs.sigma2_per_s);
    for (k, name) in ["p_quiet", "p_trending", "p_volatile", "p_cascade"].into_iter().enumerate() {
        t.f64(name, rows, |r| if r.q.quoted() { r.q.regime_probs[k] } else { r.q.inputs.regime_probs[k] });
    }
    t.cat("regime", &REGIME_NAMES, rows, |r| r.q.regime);
    t.cat("skip_reason", &SKIP_NAMES, rows, |r| r.q.skip);
    t.cat("skip_input", &FIELD_NAMES, rows, |r| r.q.skip_field);
    t.bool("defensive", rows, |r| r.q.defensive != 0);
    t.i8("clamped", rows, |r| r.q.clamped as i8);
    // predictions
    side_prediction_columns(&mut t, rows, true);
    side_prediction_columns(&mut t, rows, false);
    t.f64("expected_fill_rate_1s", rows, |r| r.expected_fill_rate_1s);
    t.f64("expected_fill_rate_10s", rows, |r| r.expected_fill_rate_10s);
    t.f64("expected_adverse_selection_bps", rows, |r| r.expected_adverse_selection_bps);
    t.f64("p_mid_up_1s", rows, |r| r.p_mid_up_1s);
    // outcomes
    t.f64("price_1s_later", rows, |r| r.price_1s_later);
    t.f64("price_10s_later", rows, |r| r.price_10s_later);
    t.f64("price_60s_later", rows, |r| r.price_60s_later);
    side_outcome_columns(&mut t, rows, true);
    side_outcome_columns(&mut t, rows, false);
    t.f64("adverse_selection_realized_bps", rows, |r| r.adverse_selection_realized_bps);
    t.opt_bool("mid_up_1s", rows, |r| r.mid_up_1s);
    t
}

/// Columns of the enriched fills.
#[must_use]
pub fn fill_table(rows: &[FillRow]) -> Table {
    let mut t = Table::default();
    t.i64("timestamp_us", rows, |r| r.ts_exchange.div_euclid(1_000));
    t.i64("ts_exchange", rows, |r| r.ts_exchange);
    t.i64("ts_local", rows, |r| r.ts_local);
    t.u64("order_id", rows, |r| r.order_id);
    t.u64("quote_cycle_id", rows, |r| r.quote_cycle_id);
    t.i8("side", rows, |r| r.side);
    t.f64("price", rows, |r| r.price);
    t.f64("size", rows, |r| r.size);
    t.f64("fee", rows, |r| r.fee);
    t.bool("maker", rows, |r| r.maker);
    t.cat("kind", &FILL_KIND_NAMES, rows, |r| r.kind);
    t.f64("queue_ahead", rows, |r| r.queue_ahead);
    t.f64("mid_at_fill", rows, |r| r.mid_at_fill);
    t.f64("spread_capture", rows, |r| r.spread_capture);
    t.f64("spread_capture_bps", rows, |r| r.spread_capture_bps);
    for (k, name) in
        ["markout_100ms_bps", "markout_1s_bps", "markout_10s_bps", "markout_60s_bps"].into_iter().enumerate()
    {
        t.f64(name, rows, |r| r.markout_bps[k]);
    }
    t.f64("pnl_1s", rows, |r| r.pnl_1s);
    t.f64("pnl_10s", rows, |r| r.pnl_10s);
    t.f64("pnl_60s", rows, |r| r.pnl_60s);
    t.opt_bool("adverse_selection", rows, |r| r.adverse_selection);
    t.f64("adverse_move_bps", rows, |r| r.adverse_move_bps);
    // book context
    t.f64("mid_price", rows, |r| r.ctx.book.mid_price);
    t.f64("spread_bps", rows, |r| r.ctx.book.spread_bps);
    t.f64("bid_depth_10bps", rows, |r| r.ctx.book.bid_depth_10bps);
    t.f64("ask_depth_10bps", rows, |r| r.ctx.book.ask_depth_10bps);
    t.f64("liquidity_asymmetry", rows, |r| r.ctx.book.liquidity_asymmetry);
    t.f64("band_density", rows, |r| r.ctx.book.band_density);
    t.f64("migration_velocity", rows, |r| r.ctx.book.migration_velocity);
    // wall context
    t.f64("nearest_wall_distance_bps", rows, |r| r.ctx.wall.nearest_wall_distance_bps);
    t.f64("nearest_wall_size", rows, |r| r.ctx.wall.nearest_wall_size);
    t.cat("position_relative_to_wall", &WALL_POSITION_NAMES, rows, |r| r.ctx.wall.position_relative_to_wall);
    t.f64("wall_age_ms", rows, |r| r.ctx.wall.wall_age_ms);
    t.f64("wall_flicker_rate", rows, |r| r.ctx.wall.wall_flicker_rate);
    // regime state
    t.cat("regime", &REGIME_NAMES, rows, |r| r.regime);
    for (k, name) in ["p_quiet", "p_trending", "p_volatile", "p_cascade"].into_iter().enumerate() {
        t.f64(name, rows, |r| r.regime_probs[k]);
    }
    // cross-exchange
    t.f64("binance_mid", rows, |r| r.ctx.binance_mid);
    t.f64("binance_delta_100ms", rows, |r| r.ctx.binance_delta_100ms);
    t.f64("lead_lag_estimate_ms", rows, |r| r.ctx.lead_lag_estimate_ms);
    // model state
    t.f64("fill_prob_prediction", rows, |r| r.fill_prob_prediction);
    t.f64("adverse_prob_prediction", rows, |r| r.adverse_prob_prediction);
    t.f64("kappa_estimate", rows, |r| r.kappa_estimate);
    t.f64("gamma_used", rows, |r| r.gamma_used);
    t
}

/// Columns of the equity curve.
#[must_use]
pub fn equity_table(rows: &[EquityRow]) -> Table {
    let mut t = Table::default();
    t.i64("ts", rows, |r| r.ts);
    t.f64("pnl", rows, |r| r.pnl);
    t.f64("inventory", rows, |r| r.inventory);
    t.f64("mid", rows, |r| r.mid);
    t.f64("spread_capture", rows, |r| r.spread_capture);
    t.f64("adverse_selection", rows, |r| r.adverse_selection);
    t.f64("inventory_pnl", rows, |r| r.inventory_pnl);
    t.f64("fees", rows, |r| r.fees);
    t.f64("funding", rows, |r| r.funding);
    t
}

/// Columns of the per-day attribution.
#[must_use]
pub fn day_table(rows: &[DayRow]) -> Table {
    let mut t = Table::default();
    t.i64("day_start_ns", rows, |r| r.day_start_ns);
    t.f64("total", rows, |r| r.total);
    t.f64("spread_capture", rows, |r| r.spread_capture);
    t.f64("adverse_selection", rows, |r| r.adverse_selection);
    t.f64("inventory", rows, |r| r.inventory);
    t.f64("fees", rows, |r| r.fees);
    t.f64("funding", rows, |r| r.funding);
    t.u64("fills", rows, |r| r.fills);
    t.f64("volume", rows, |r| r.volume);
    t
}
