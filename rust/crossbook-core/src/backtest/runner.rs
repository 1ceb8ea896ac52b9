//! The backtest loop (see the module docs of [`super`]): replay, signals, lead-lag, quote cycles,
//! order management, records.

use std::collections::{BTreeMap, VecDeque};

use super::context::{apply_message, book_context, wall_context, BandSums, LevelTracker, WallParams};
use super::orders::Orders;
use super::records::{
    CycleRow, DayRow, EquityRow, FillContext, FillRow, STATUS_NAMES, TRIGGER_BBO, TRIGGER_LEADER, TRIGGER_TIMER,
};
use super::stream::{applied_messages, BookMsg, LocalStream, MarketData, Source, VenueEvent, VenueKind, VenueStream};
use super::{attribution, metrics, BacktestParams, Summary, MS};
use crate::book::{L2Book, Side as BookSide, SyncStats};
use crate::error::{CoreError, Result};
use crate::exchange::{to_scaled, ExchangeSim};
use crate::leadlag::streaming::LeadLagEstimator;
use crate::quote::{EnhancedQuoteEngine, QuoteParams};
use crate::ring::RingBuffer;
use crate::signals::flow::TradeWindow;
use crate::signals::volatility::BipowerVol;
use crate::units::{MISSING_I64, PX_EXP, QTY_EXP};

const BPS: f64 = 1e4;

/// Everything a run produces.
#[derive(Debug, Clone)]
pub struct BacktestOutput {
    pub cycles: Vec<CycleRow>,
    /// top book levels per cycle (`book_levels` `[px, qty]` pairs of bids, then of asks)
    pub book_levels: Vec<f64>,
    pub fills: Vec<FillRow>,
    pub equity: Vec<EquityRow>,
    pub days: Vec<DayRow>,
    pub summary: Summary,
}

/// The quoted touch as the strategy last saw it (scaled).
#[derive(Debug, Clone, Copy)]
pub(super) struct Touch {
    pub(super) bid: i64,
    pub(super) ask: i64,
    pub(super) bid_qty: i64,
    pub(super) ask_qty: i64,
}

/// Counters of the loop.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunCounts {
    pub events: [u64; 5],
    pub venue_events: u64,
    pub cycles_before_data: u64,
    pub by_status: [u64; STATUS_NAMES.len()],
    pub engine_skips: BTreeMap<String, u64>,
    pub clamped_bid: u64,
    pub clamped_ask: u64,
    pub leadlag_errors: u64,
    pub bbo_incomplete: u64,
    /// applied book messages after which the strategy's book was crossed
    pub book_crossed: u64,
}

pub(super) struct Runner<'a, 'p> {
    pub(super) p: &'p BacktestParams,
    pub(super) data: &'p MarketData<'a>,
    pub(super) maker_fee_bps: f64,
    pub(super) max_skew_bps: f64,
    pub(super) msgs: &'p [BookMsg],
    pub(super) engine: EnhancedQuoteEngine,
    pub(super) sim: ExchangeSim,
    pub(super) venue: VenueStream<'p>,
    pub(super) book: L2Book,
    pub(super) tracker: LevelTracker,
    pub(super) bands: BandSums,
    pub(super) touch: Option<Touch>,
    pub(super) seen_touch: bool,
    pub(super) q_last_t: i64,
    pub(super) leader_mid: f64,
    pub(super) leader_last_t: Option<i64>,
    pub(super) leader_hist: RingBuffer<(i64, f64)>,
    pub(super) leader_at_cycle: f64,
    pub(super) est: LeadLagEstimator,
    pub(super) vol: BipowerVol,
    pub(super) rv1m: BipowerVol,
    pub(super) tw1: TradeWindow,
    pub(super) tw10: TradeWindow,
    pub(super) funding_rate: f64,
    pub(super) next_funding_ts: i64,
    pub(super) oi: f64,
    pub(super) oi_hist: VecDeque<(i64, f64)>,
    pub(super) orders: Orders,
    pub(super) order_cycle: Vec<u64>,
    pub(super) cycles: Vec<CycleRow>,
    /// top book levels of every cycle: `[bid px, qty]·n` then `[ask px, qty]·n`, decoded
    pub(super) levels: Vec<f64>,
    pub(super) fill_ctx: Vec<FillContext>,
    pub(super) wp_hist: VecDeque<(i64, f64)>,
    pub(super) nonflat_since: Option<i64>,
    pub(super) counts: RunCounts,
    pub(super) units: (f64, f64),
    pub(super) tick_scaled: i64,
}

/// Run a backtest.
///
/// # Errors
/// [`CoreError::InvalidInput`] for an invalid configuration, unsorted or bad input rows (negative
/// sizes, non-positive prices; the error names the table and row), or a quoted instrument without
/// BBO rows.
pub fn run(data: &MarketData<'_>, params: &BacktestParams, quote: QuoteParams) -> Result<BacktestOutput> {
    params.validate()?;
    data.quoted_bbo.check("quoted bbo")?;
    data.leader_bbo.check("leader bbo")?;
    data.quoted_trade.check("quoted trade")?;
    data.quoted_ticker.check("quoted ticker")?;
    if data.quoted_bbo.len() == 0 {
        return Err(CoreError::InvalidInput(
            "the quoted instrument has no bbo rows (and no book to derive them)".into(),
        ));
    }
    let (msgs, mut sync) = match &data.quoted_book {
        Some(rows) => applied_messages(rows)?,
        None => (Vec::new(), SyncStats::default()),
    };
    let mut quote = quote;
    if !params.leadlag {
        quote.components.leadlag_center = false;
        quote.components.leadlag_skew = false;
    }
    let units = (10f64.powi(PX_EXP as i32), 10f64.powi(QTY_EXP as i32));
    let mut r = Runner {
        p: params,
        data,
        maker_fee_bps: params.exchange.maker_fee_bps,
        max_skew_bps: quote.max_directional_skew_bps,
        engine: EnhancedQuoteEngine::new(quote)?,
        sim: ExchangeSim::new(params.exchange.sim_config()?)?,
        venue: VenueStream::new(data, &msgs, params.exchange.match_bbo),
        book: L2Book::new(),
        tracker: LevelTracker::new(params.flicker_window_ns),
        bands: BandSums::default(),
        touch: None,
        seen_touch: false,
        q_last_t: i64::MIN,
        leader_mid: f64::NAN,
        leader_last_t: None,
        leader_hist: RingBuffer::new(1 << 16),
        leader_at_cycle: f64::NAN,
        est: LeadLagEstimator::new(params.leadlag_estimator.config()?)?,
        vol: BipowerVol::new(params.vol_step_ns, params.vol_window)?,
        rv1m: BipowerVol::new(1_000 * MS, 60)?,
        tw1: TradeWindow::new(1_000 * MS)?,
        tw10: TradeWindow::new(10_000 * MS)?,
        funding_rate: f64::NAN,
        next_funding_ts: MISSING_I64,
        oi: f64::NAN,
        oi_hist: VecDeque::new(),
        orders: Orders::default(),
        order_cycle: Vec::new(),
        cycles: Vec::with_capacity(capacity_hint(data, params)),
        levels: Vec::with_capacity(capacity_hint(data, params) * 4 * params.book_levels),
        fill_ctx: Vec::new(),
        wp_hist: VecDeque::new(),
        nonflat_since: None,
        counts: RunCounts::default(),
        units,
        tick_scaled: to_scaled(params.tick, PX_EXP, "tick")?,
        msgs: &msgs,
    };
    let book_times: Vec<i64> = r.msgs.iter().map(|m| m.ts_local).collect();
    let stream = LocalStream::new(data, &book_times);
    let t_start = stream.peek_time().unwrap_or(0);
    let mut next_timer = t_start.div_euclid(params.cycle_ns) * params.cycle_ns;
    if next_timer < t_start {
        next_timer += params.cycle_ns;
    }
    let mut t_end = t_start;
    for (src, i, t) in stream {
        while next_timer < t {
            r.step(next_timer, TRIGGER_TIMER)?;
            next_timer += params.cycle_ns;
        }
        r.feed_venue(t)?;
        if let Some(trigger) = r.on_event(src, i, t)? {
            r.step(t, trigger)?;
        }
        t_end = t;
    }
    r.finish(t_end)?;
    let mids = attribution::MidSeries::from_bbo(&data.quoted_bbo);
    let fills =
        attribution::enrich_fills(r.sim.fills(), &r.fill_ctx, &r.cycles, &r.order_cycle, &mids, params, t_end, units);
    attribution::cycle_outcomes(&mut r.cycles, &fills, &mids, params.adverse_horizon_ns, t_end, units.0);
    let att = attribution::attribute(r.sim.fills(), r.sim.funding_payments(), &mids, params, t_start, t_end, units);
    let mtm = r.sim.cash()
        + r.sim.position() as f64 / units.1 * mids.at(t_end).map_or(f64::NAN, |m| m as f64 / units.0 / 2.0);
    sync.crossed = r.counts.book_crossed;
    let summary = metrics::summarize(&metrics::SummaryInput {
        params,
        fills: &fills,
        equity: &att.equity,
        totals: &att.totals,
        mtm,
        sim: &r.sim,
        orders: &r.orders.counters,
        counts: &r.counts,
        sync: &sync,
        shifts: r.venue.shifts,
        estimator: &r.est,
        t_start,
        end: t_end,
    });
    Ok(BacktestOutput { cycles: r.cycles, book_levels: r.levels, fills, equity: att.equity, days: att.days, summary })
}

/// Expected number of cycles: the timer over the span plus the quoted BBO rows.
fn capacity_hint(data: &MarketData<'_>, p: &BacktestParams) -> usize {
    let t = data.quoted_bbo.ts_local;
    let span = match (t.first(), t.last()) {
        (Some(a), Some(b)) => usize::try_from((b - a) / p.cycle_ns).unwrap_or(0),
        _ => 0,
    };
    (span + t.len()).min(1 << 24)
}

impl Runner<'_, '_> {
    /// Feed the venue every event with (shifted) exchange time `<= t`.
    pub(super) fn feed_venue(&mut self, t: i64) -> Result<()> {
        while let Some(e) = self.venue.next_until(t) {
            self.counts.venue_events += 1;
            match e.kind {
                VenueKind::Level => self.sim.on_book_level(e.t, e.ts_local, e.side, e.px, e.qty)?,
                VenueKind::Clear => self.sim.on_book_clear(e.t, e.ts_local, 0)?,
                VenueKind::Trade => self.sim.on_trade(e.t, e.ts_local, e.px, e.qty, e.side)?,
                VenueKind::Ticker => self.sim.on_ticker(e.t, e.ts_local, e.px, e.rate)?,
                VenueKind::Touch => self.touch_venue(&e)?,
            }
        }
        self.capture_fills(t);
        Ok(())
    }

    /// A BBO touch on the venue: drop stale levels of the other side at or through it and better
    /// levels of its own side (read from the venue's own book), then set it.
    fn touch_venue(&mut self, e: &VenueEvent) -> Result<()> {
        let Some(s) = BookSide::from_i8(e.side) else { return Ok(()) };
        let bid = s == BookSide::Bid;
        let best = |sim: &ExchangeSim, bids: bool| if bids { sim.best_bid() } else { sim.best_ask() };
        while let Some((px, _)) = best(&self.sim, !bid) {
            let crossing = if bid { px <= e.px } else { px >= e.px };
            if !crossing {
                break;
            }
            self.sim.on_book_level(e.t, e.ts_local, -e.side, px, 0)?;
        }
        while let Some((px, _)) = best(&self.sim, bid) {
            let better = if bid { px > e.px } else { px < e.px };
            if !better {
                break;
            }
            self.sim.on_book_level(e.t, e.ts_local, e.side, px, 0)?;
        }
        self.sim.on_book_level(e.t, e.ts_local, e.side, e.px, e.qty)
    }

    /// Context of every fill the venue produced since the last call, from the book as of `t`.
    pub(super) fn capture_fills(&mut self, t: i64) {
        while let Some(f) = self.sim.fills().get(self.fill_ctx.len()).copied() {
            let past =
                self.wp_hist.iter().rev().find(|(ts, _)| *ts <= t.saturating_sub(1_000 * MS)).map_or(f64::NAN, |x| x.1);
            let book = if self.data.quoted_book.is_some() {
                book_context(&self.book, self.p.context_band_bps, self.tick_scaled, self.units, past)
            } else {
                super::records::BookContext::NONE
            };
            let w = WallParams { k: self.p.wall_k, band_bps: self.p.wall_band_bps, levels: self.p.wall_levels };
            let wall = wall_context(&self.book, &self.tracker, f.side, f.px, t, w, self.units);
            let lead = self.est.current();
            self.fill_ctx.push(FillContext {
                book,
                wall,
                binance_mid: self.leader_mid,
                binance_delta_100ms: self.leader_move(t, 100 * MS).map_or(f64::NAN, |r| r * BPS),
                lead_lag_estimate_ms: lead.lag_ms,
            });
        }
    }

    /// As-of leader log move over `(t − lookback, t]`; None without leader history that far back.
    pub(super) fn leader_move(&self, t: i64, lookback_ns: i64) -> Option<f64> {
        Some(self.leader_hist.as_of(t)? - self.leader_hist.as_of(t.saturating_sub(lookback_ns))?)
    }

    pub(super) fn on_event(&mut self, src: Source, i: usize, t: i64) -> Result<Option<u8>> {
        self.counts.events[src as usize] += 1;
        let (px_unit, qty_unit) = self.units;
        match src {
            Source::QuotedBook => {
                if let (Some(rows), Some(m)) = (&self.data.quoted_book, self.msgs.get(i)) {
                    apply_message(&mut self.book, &mut self.tracker, &mut self.bands, rows, m, t);
                    self.counts.book_crossed += u64::from(self.book.is_crossed());
                }
                Ok(None)
            }
            Source::QuotedBbo => {
                let b = &self.data.quoted_bbo;
                self.q_last_t = t;
                if !b.complete(i) {
                    self.counts.bbo_incomplete += 1;
                    self.touch = None;
                    return Ok(None);
                }
                let qty = |q: i64| if q == MISSING_I64 { 0 } else { q };
                let (bid, ask) = (b.bid_px[i], b.ask_px[i]);
                let changed = self.touch.is_none_or(|x| x.bid != bid || x.ask != ask);
                self.touch = Some(Touch { bid, ask, bid_qty: qty(b.bid_qty[i]), ask_qty: qty(b.ask_qty[i]) });
                self.seen_touch = true;
                let mid = 0.5 * (bid as f64 + ask as f64) / px_unit;
                self.est.on_follower_price(mid, t)?;
                self.vol.update(t, mid)?;
                self.rv1m.update(t, mid)?;
                Ok((changed && self.p.requote_on_bbo).then_some(TRIGGER_BBO))
            }
            Source::QuotedTrade => {
                let tr = &self.data.quoted_trade;
                let q = tr.qty[i] as f64 / qty_unit;
                self.tw1.update(t, q, tr.aggressor[i])?;
                self.tw10.update(t, q, tr.aggressor[i])?;
                Ok(None)
            }
            Source::QuotedTicker => {
                let tk = &self.data.quoted_ticker;
                if tk.funding_rate[i].is_finite() {
                    self.funding_rate = tk.funding_rate[i];
                }
                if tk.next_funding_ts[i] != MISSING_I64 {
                    self.next_funding_ts = tk.next_funding_ts[i];
                }
                if tk.open_interest[i] != MISSING_I64 {
                    self.oi = tk.open_interest[i] as f64 / qty_unit;
                    self.oi_hist.push_back((t, self.oi));
                }
                Ok(None)
            }
            Source::LeaderBbo => {
                let b = &self.data.leader_bbo;
                if !b.complete(i) {
                    return Ok(None);
                }
                let mid = 0.5 * (b.bid_px[i] as f64 + b.ask_px[i] as f64) / px_unit;
                self.est.on_leader_price(mid, t)?;
                if mid != self.leader_mid {
                    self.leader_hist.push((t, mid.ln()));
                }
                self.leader_mid = mid;
                self.leader_last_t = Some(t);
                let trig = self.p.leader_trigger_bps;
                let moved = self.leader_at_cycle.is_finite() && (mid / self.leader_at_cycle).ln().abs() * BPS >= trig;
                Ok((trig > 0.0 && moved).then_some(TRIGGER_LEADER))
            }
        }
    }

    /// End of data: the venue gets its remaining events, requests due by `t_end` land.
    pub(super) fn finish(&mut self, t_end: i64) -> Result<()> {
        self.feed_venue(i64::MAX)?;
        self.sim.advance_to(t_end.max(self.sim.clock()));
        self.capture_fills(t_end);
        let notices = self.sim.poll(t_end);
        self.orders.on_notices(&mut self.sim, &notices, t_end)
    }
}
