//! Hand-built markets: fills, latency, the attribution identity, stale data, bad input, determinism.

use super::attribution::{attribute, MidSeries};
use super::columns::{cycle_table, fill_table};
use super::records::{STATUS_QUOTED, STATUS_STALE_QUOTED};
use super::table::Column;
use super::*;
use crate::exchange::{Fill, FillKind};
use crate::quote::QuoteParams;

const E8: i64 = 100_000_000;

fn px(x: f64) -> i64 {
    (x * 1e8).round() as i64
}

/// Owned columns of one BBO table.
#[derive(Default, Clone)]
struct Bbo {
    tl: Vec<i64>,
    te: Vec<i64>,
    bp: Vec<i64>,
    bq: Vec<i64>,
    ap: Vec<i64>,
    aq: Vec<i64>,
}

impl Bbo {
    /// A row at local time `ms` (exchange time 5 ms earlier).
    fn row(&mut self, ms: i64, bid: f64, ask: f64) {
        self.tl.push(ms * MS);
        self.te.push(ms * MS - 5 * MS);
        self.bp.push(px(bid));
        self.bq.push(E8);
        self.ap.push(px(ask));
        self.aq.push(E8);
    }
    fn slices(&self) -> BboSlices<'_> {
        BboSlices {
            ts_local: &self.tl,
            ts_exchange: &self.te,
            bid_px: &self.bp,
            bid_qty: &self.bq,
            ask_px: &self.ap,
            ask_qty: &self.aq,
        }
    }
}

#[derive(Default, Clone)]
struct Trades {
    tl: Vec<i64>,
    te: Vec<i64>,
    p: Vec<i64>,
    q: Vec<i64>,
    a: Vec<i8>,
}

impl Trades {
    /// A trade at exchange time `ms` (seen 5 ms later).
    fn row(&mut self, ms: i64, price: f64, qty: f64, aggressor: i8) {
        self.tl.push(ms * MS + 5 * MS);
        self.te.push(ms * MS);
        self.p.push(px(price));
        self.q.push(px(qty));
        self.a.push(aggressor);
    }
    fn slices(&self) -> TradeSlices<'_> {
        TradeSlices { ts_local: &self.tl, ts_exchange: &self.te, px: &self.p, qty: &self.q, aggressor: &self.a }
    }
}

/// Quotes at exactly ±10 bps of the mid: fixed quiet regime, floor 10 bps, everything else off.
fn quote_params() -> QuoteParams {
    let mut q = QuoteParams::default();
    q.components.uncertainty = false;
    q.components.maker_fee = false;
    q.components.glft_vol_term = false;
    q.components.inventory_skew = false;
    q.components.microprice = false;
    q.components.adverse_selection = false;
    q.components.size_limits = false;
    q.regimes.quiet.spread_floor_bps = 10.0;
    q.order_size = 1.0;
    q
}

fn params(entry_ms: i64, response_ms: i64) -> BacktestParams {
    BacktestParams {
        tick: 0.01,
        intensity_a: 1.0,
        intensity_k_per_tick: 1.0,
        leadlag: false,
        vol_step_ns: 100 * MS,
        vol_window: 2,
        exchange: ExchangeParams {
            entry_ns: entry_ms * MS,
            response_ns: response_ms * MS,
            maker_fee_bps: 1.0,
            ..ExchangeParams::default()
        },
        ..BacktestParams::default()
    }
}

/// Quoted mid 100.00 until 1 s, 100.10 until 1.5 s, then 100.05; BBO every 100 ms to 2 s. A sell
/// through 99.85 at 30 ms (before our bid arrives at entry latency) and at 80 ms.
fn market() -> (Bbo, Bbo, Trades) {
    let (mut q, mut l) = (Bbo::default(), Bbo::default());
    for k in 0..=20 {
        let ms = k * 100;
        let m = if ms < 1000 {
            100.0
        } else if ms < 1500 {
            100.10
        } else {
            100.05
        };
        q.row(ms, m - 0.01, m + 0.01);
        l.row(ms, 99.0, 99.1);
    }
    let mut t = Trades::default();
    t.row(30, 99.85, 5.0, -1);
    t.row(80, 99.85, 5.0, -1);
    (q, l, t)
}

fn data<'a>(q: &'a Bbo, l: &'a Bbo, t: &'a Trades) -> MarketData<'a> {
    MarketData { quoted_bbo: q.slices(), quoted_trade: t.slices(), leader_bbo: l.slices(), ..MarketData::default() }
}

#[test]
fn a_trade_through_our_bid_fills_it_after_the_entry_latency() {
    let (q, l, t) = market();
    let out = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap();
    // the first cycle (BBO at 0 ms) quotes 99.90 / 100.10
    let c0 = &out.cycles[0];
    assert_eq!((c0.t_ns, c0.status), (0, STATUS_QUOTED));
    assert_eq!(((c0.q.bid_px / 0.01).round(), (c0.q.ask_px / 0.01).round()), (9990.0, 10010.0));
    // the 30 ms print came before the order reached the venue (50 ms); the 80 ms one fills it
    assert_eq!(out.fills.len(), 1, "{:?}", out.fills);
    let f = &out.fills[0];
    assert_eq!((f.ts_exchange, f.ts_local, f.side, f.price, f.size), (80 * MS, 90 * MS, 1, 99.90, 1.0));
    assert_eq!(f.quote_cycle_id, 0);
    assert!((f.fee - 99.90 * 1e-4).abs() < 1e-15);
    assert_eq!(f.mid_at_fill, 100.0);
    // the strategy learns of it at 90 ms: the 100 ms cycle knows the inventory, the 0 ms one not
    let at = |ms: i64| out.cycles.iter().find(|c| c.t_ns == ms * MS).unwrap();
    assert_eq!(at(0).q.inputs.inventory, 0.0);
    assert_eq!(at(100).q.inputs.inventory, 1.0);
}

#[test]
fn the_strategy_only_knows_what_poll_returned() {
    let (q, l, t) = market();
    // response latency 50 ms: the fill at 80 ms reaches us at 130 ms
    let out = run(&data(&q, &l, &t), &params(50, 50), quote_params()).unwrap();
    assert_eq!(out.fills[0].ts_local, 130 * MS);
    let at = |ms: i64| out.cycles.iter().find(|c| c.t_ns == ms * MS).unwrap();
    assert_eq!(at(100).q.inputs.inventory, 0.0);
    assert_eq!(at(200).q.inputs.inventory, 1.0);
}

#[test]
fn attribution_matches_the_hand_computation_and_sums_exactly() {
    let (q, l, t) = market();
    let out = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap();
    let a = out.summary.attribution;
    // spread 100.00 − 99.90; adverse over 1 s: m(1.08 s) − m(0.08 s) = 100.10 − 100.00;
    // inventory: m(2 s) − m(1.08 s) = 100.05 − 100.10; fee 1 bp of 99.90
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
    assert!(close(a.spread_capture, 0.10), "{a:?}");
    assert!(close(a.adverse_selection, 0.10), "{a:?}");
    assert!(close(a.inventory, -0.05), "{a:?}");
    assert!(close(a.fees, -0.00999), "{a:?}");
    assert_eq!(a.funding, 0.0);
    assert_eq!(a.total, a.spread_capture + a.adverse_selection + a.inventory + a.fees + a.funding);
    assert!(close(a.total, 0.14001));
    assert!(a.identity_error.abs() < 1e-9, "{a:?}");
    assert_eq!(out.summary.pnl, a.total);
    // the equity curve ends on the total, each point sums its components
    let last = out.equity.last().unwrap();
    assert_eq!((last.ts, last.pnl, last.inventory), (2_000 * MS, a.total, 1.0));
    for e in &out.equity {
        assert_eq!(e.pnl, e.spread_capture + e.adverse_selection + e.inventory_pnl + e.fees + e.funding);
    }
    assert_eq!(out.days.len(), 1);
    assert_eq!(out.days[0].total, a.total);
    // the fill's markouts: 100 ms → 100.00, 1 s → 100.10 (bps of the mid at the fill)
    let f = &out.fills[0];
    assert!(close(f.markout_bps[0], 10.0) && close(f.markout_bps[1], 20.0), "{:?}", f.markout_bps);
    assert!(f.markout_bps[2].is_nan() && f.pnl_10s.is_nan());
    assert_eq!(f.adverse_selection, Some(false));
}

#[test]
fn attribution_of_hand_made_fills_with_funding() {
    let mut b = Bbo::default();
    b.row(0, 99.0, 101.0); // 100
    b.row(1_000, 100.0, 102.0); // 101
    b.row(3_000, 98.0, 100.0); // 99
    let mids = MidSeries::from_bbo(&b.slices());
    let fill = |ms: i64, side: i8, price: f64, qty: f64, fee: f64| Fill {
        ts_exchange: ms * MS,
        ts_local: ms * MS,
        order_id: 0,
        client_id: 0,
        px: px(price),
        qty: px(qty),
        fee,
        queue_ahead: 0,
        leaves: 0,
        side,
        maker: true,
        kind: FillKind::Queue,
    };
    let fills = [fill(500, 1, 99.5, 2.0, 0.02), fill(2_500, -1, 101.5, 1.0, -0.01)];
    let pay = crate::exchange::FundingPayment {
        ts_exchange: 2_000 * MS,
        ts_local: 2_000 * MS,
        position: 2 * E8,
        mark_px: px(101.0),
        rate: 1e-4,
        payment: -0.0202,
    };
    let p = BacktestParams { tick: 1.0, ..BacktestParams::default() };
    let att = attribute(&fills, &[pay], &mids, &p, 0, 4_000 * MS, (1e8, 1e8));
    let c = att.totals.components((1e8, 1e8));
    // buy 2 @ 99.5 at 0.5 s (mid 100): spread +1.0, adverse 2·(101 − 100) = 2, inventory 2·(99 − 101) = −4
    // sell 1 @ 101.5 at 2.5 s (mid 101): spread +0.5, adverse −(m(3.5 s) − 101) = +2, inventory 0
    assert_eq!(c[0], 1.5);
    assert_eq!(c[1], 4.0);
    assert_eq!(c[2], -4.0);
    assert!((c[3] - (-0.01)).abs() < 1e-15);
    assert_eq!(c[4], -0.0202);
    // cash + q·m(T): −199 + 101.5 − 0.01 − 0.0202 + 1·99
    let mtm = -2.0 * 99.5 + 101.5 - 0.02 + 0.01 - 0.0202 + 99.0;
    assert!((c[5] - mtm).abs() < 1e-12, "{c:?} vs {mtm}");
    assert_eq!(att.totals.position, E8);
    assert_eq!(att.equity.len(), 5); // 0, 1, 2, 3 s and the end at 4 s
    assert_eq!(att.equity[2].funding, -0.0202);
}

#[test]
fn the_book_crossing_our_bid_fills_it_only_when_the_bbo_reaches_the_venue() {
    let (mut q, l, _) = market();
    // at 500 ms the quoted market drops through our 99.90 bid (ask 99.85) with no trade
    q = {
        let mut n = Bbo::default();
        for k in 0..q.tl.len() {
            let ms = q.tl[k] / MS;
            if ms == 500 {
                n.row(ms, 99.84, 99.85);
            } else if ms < 1000 {
                n.row(ms, 99.99, 100.01);
            } else {
                n.row(ms, q.bp[k] as f64 / 1e8, q.ap[k] as f64 / 1e8);
            }
        }
        n
    };
    let none = Trades::default();
    let out = run(&data(&q, &l, &none), &params(50, 10), quote_params()).unwrap();
    // our bid is crossed at 495 ms (exchange time of the 500 ms row); the requoted ask (99.95) is
    // crossed when the market comes back at 595 ms
    let got: Vec<(i64, i8, f64)> = out.fills.iter().map(|f| (f.ts_exchange / MS, f.side, f.price)).collect();
    assert_eq!(got, [(495, 1, 99.90), (595, -1, 99.95)]);
    assert!(out.fills.iter().all(|f| f.kind == 2 && f.maker)); // book_cross
    let p =
        BacktestParams { exchange: ExchangeParams { match_bbo: false, ..params(50, 10).exchange }, ..params(50, 10) };
    let out = run(&data(&q, &l, &none), &p, quote_params()).unwrap();
    assert!(out.fills.is_empty());
}

#[test]
fn stale_quoted_data_stops_quoting_and_is_counted() {
    let (q, mut l, t) = market();
    // the quoted BBO stops at 2 s; the leader goes on to 4 s
    for k in 21..=40 {
        l.row(k * 100, 99.0, 99.1);
    }
    let p = BacktestParams { stale_quoted_ns: 500 * MS, ..params(50, 10) };
    let out = run(&data(&q, &l, &t), &p, quote_params()).unwrap();
    let stale = out.cycles.iter().filter(|c| c.status == STATUS_STALE_QUOTED).count();
    // timer cycles at 2.6 … 3.9 s see a BBO older than 500 ms (the run ends at the last event, 4.0 s)
    assert_eq!(stale, 14);
    assert_eq!(out.summary.cycles.by_status["stale_quoted"], 14);
    assert!(out.cycles.iter().filter(|c| c.status == STATUS_STALE_QUOTED).all(|c| c.q.bid_size == 0.0));
}

#[test]
fn nan_model_outputs_skip_the_cycle_and_are_counted() {
    let (q, l, t) = market();
    let mut qp = quote_params();
    qp.components.glft_vol_term = true; // needs σ², NaN until the 60-return window is full
    let p = BacktestParams { vol_step_ns: 1_000 * MS, vol_window: 60, ..params(50, 10) };
    let out = run(&data(&q, &l, &t), &p, qp).unwrap();
    assert!(out.fills.is_empty());
    let n = out.cycles.len() as u64;
    assert_eq!(out.summary.cycles.engine_skips["non_finite:sigma2_per_s"], n);
    assert_eq!(out.summary.cycles.quoted, 0);
}

#[test]
fn bad_rows_are_typed_errors_naming_the_row() {
    let (mut q, l, t) = market();
    q.bq[3] = -5;
    let e = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap_err().to_string();
    assert_eq!(e, "quoted bbo: row 3: bid price must be > 0 and size >= 0 (px 9999000000, qty -5)");
    let (mut q, l, t) = market();
    q.tl.swap(4, 5);
    let e = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap_err().to_string();
    assert!(e.starts_with("quoted bbo: rows must be sorted by ts_local; row 5"), "{e}");
    let (q, l, mut t) = market();
    t.q[1] = 0;
    let e = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap_err().to_string();
    assert!(e.starts_with("quoted trade: row 1: price and size must be > 0"), "{e}");
    let e = BacktestParams::from_json(r#"{"tick": 0.01, "cycle_nss": 5}"#).unwrap_err().to_string();
    assert!(e.contains("unknown field `cycle_nss`"), "{e}");
}

#[test]
fn a_spread_multiplier_widens_the_quote() {
    let (q, l, t) = market();
    let p = BacktestParams { spread_mult: 2.0, ..params(50, 10) };
    let out = run(&data(&q, &l, &t), &p, quote_params()).unwrap();
    assert_eq!((out.cycles[0].q.bid_px, out.cycles[0].q.ask_px), (99.80, 100.20));
    assert!(out.fills.is_empty()); // 99.85 prints do not reach 99.80
}

fn bits(c: &Column) -> Vec<u64> {
    match c {
        Column::F64(v) | Column::F64Matrix(v, _) => v.iter().map(|x| x.to_bits()).collect(),
        Column::I64(v) => v.iter().map(|&x| x as u64).collect(),
        Column::U64(v) => v.clone(),
        Column::I8(v) | Column::OptBool(v) => v.iter().map(|&x| x as u64).collect(),
        Column::Bool(v) => v.iter().map(|&x| u64::from(x)).collect(),
        Column::Cat(v, _) => v.iter().map(|&x| u64::from(x)).collect(),
    }
}

#[test]
fn runs_are_bit_identical() {
    let (q, l, t) = market();
    let a = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap();
    let b = run(&data(&q, &l, &t), &params(50, 10), quote_params()).unwrap();
    for (x, y) in [
        (cycle_table(&a.cycles, &a.book_levels, 5), cycle_table(&b.cycles, &b.book_levels, 5)),
        (fill_table(&a.fills), fill_table(&b.fills)),
    ] {
        assert_eq!(x.columns.len(), y.columns.len());
        for ((n1, c1), (n2, c2)) in x.columns.iter().zip(&y.columns) {
            assert_eq!((n1, bits(c1)), (n2, bits(c2)));
        }
    }
    assert_eq!(serde_json::to_string(&a.summary).unwrap(), serde_json::to_string(&b.summary).unwrap());
}

#[test]
fn attribution_splits_at_utc_midnight() {
    const DAY_MS: i64 = 86_400_000;
    let mut b = Bbo::default();
    let t0 = DAY_MS - 2_000; // ms, 2 s before midnight
    b.row(t0, 99.0, 101.0); // 100
    b.row(t0 + 1_500, 101.0, 103.0); // 102, before midnight
    b.row(t0 + 2_500, 103.0, 105.0); // 104, after midnight
    let mids = MidSeries::from_bbo(&b.slices());
    let f = Fill {
        ts_exchange: (t0 + 1_000) * MS,
        ts_local: (t0 + 1_000) * MS,
        order_id: 0,
        client_id: 0,
        px: px(99.0),
        qty: E8,
        fee: 0.0,
        queue_ahead: 0,
        leaves: 0,
        side: 1,
        maker: true,
        kind: FillKind::Queue,
    };
    let p = BacktestParams { tick: 1.0, adverse_horizon_ns: 2_000 * MS, ..BacktestParams::default() };
    let att = attribute(&[f], &[], &mids, &p, t0 * MS, (t0 + 4_000) * MS, (1e8, 1e8));
    // spread 100 − 99 = 1 on day 1; adverse m(t + 2 s) − m(t) = 104 − 100 = 4, split 2 / 2 at midnight
    assert_eq!(att.days.len(), 2);
    let (d1, d2) = (&att.days[0], &att.days[1]);
    assert_eq!((d1.day_start_ns, d2.day_start_ns), (0, DAY_MS * MS));
    assert_eq!((d1.spread_capture, d1.adverse_selection, d1.inventory), (1.0, 2.0, 0.0));
    assert_eq!((d2.spread_capture, d2.adverse_selection, d2.inventory), (0.0, 2.0, 0.0));
    assert_eq!((d1.fills, d2.fills), (1, 0));
    for d in &att.days {
        assert_eq!(d.total, d.spread_capture + d.adverse_selection + d.inventory + d.fees + d.funding);
    }
    assert_eq!(att.totals.components((1e8, 1e8))[5], 5.0);
}

#[test]
fn running_band_sums_equal_a_fresh_walk_under_random_updates_and_moving_limits() {
    use super::context::{band_price_and_depth, BandSums};
    use crate::book::{L2Book, Side as BookSide};
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut book = L2Book::new();
    let mut bands = BandSums::default();
    for i in 0..200 {
        book.set(BookSide::Bid, 10_000 - i, 1 + i % 7);
        book.set(BookSide::Ask, 10_001 + i, 1 + i % 5);
    }
    for step in 0..20_000 {
        let (s, px) = if rng.random_bool(0.5) {
            (BookSide::Bid, 9_800 + rng.random_range(0..260))
        } else {
            (BookSide::Ask, 9_941 + rng.random_range(0..260))
        };
        // keep the book uncrossed: a bid at or above the best ask (or the reverse) is skipped
        let crosses = match s {
            BookSide::Bid => book.best_ask().is_some_and(|a| px >= a.px),
            BookSide::Ask => book.best_bid().is_some_and(|b| px <= b.px),
        };
        if !crosses {
            let qty = if rng.random_bool(0.3) { 0 } else { rng.random_range(1..50) };
            let prev = book.replace(s, px, qty);
            bands.on_level(s, px, prev, qty);
        }
        if step % 7 == 0 {
            let bps = rng.random_range(1.0..40.0);
            let (wp, depth) = band_price_and_depth(&book, &mut bands, bps);
            let (wp0, depth0) = band_price_and_depth(&book, &mut BandSums::default(), bps);
            assert_eq!(depth, depth0, "step {step}");
            assert_eq!(depth, book.depth_within_bps(bps), "step {step}");
            assert!(wp == wp0 || (wp.is_nan() && wp0.is_nan()), "step {step}: {wp} vs {wp0}");
            // the size-weighted price from a plain walk of the band
            let mid = book.mid().unwrap_or(f64::NAN);
            let band = mid * bps / 1e4;
            let (mut pq, mut q) = (0.0, 0.0);
            for side in [BookSide::Bid, BookSide::Ask] {
                for l in book.side(side).iter().filter(|l| (l.px as f64 - mid).abs() <= band) {
                    pq += l.px as f64 * l.qty as f64;
                    q += l.qty as f64;
                }
            }
            let walk = if q > 0.0 { pq / q } else { f64::NAN };
            assert!((wp - walk).abs() <= 1e-9 * walk.abs() || (wp.is_nan() && walk.is_nan()), "step {step}");
        }
    }
}

#[test]
fn the_venue_stream_merges_by_exchange_time_with_the_documented_ties() {
    use super::stream::{BboSlices, BookMsg, TickerSlices, TradeSlices, VenueKind, VenueStream};
    use crate::book::BookRows;
    use crate::units::MISSING_I64;
    // book: a snapshot at 10 (bid, sequence-only row, ask) and a diff at 15 (one ask)
    let (bt, bs, bp, bq) = ([10i64, 10, 10, 15], [1i8, 0, -1, -1], [99i64, 0, 101, 102], [5i64, 0, 6, 7]);
    let snap = [true, true, true, false];
    let none = [MISSING_I64; 4];
    let rows = BookRows {
        group: &[0; 4],
        ts_local: &bt,
        ts_exchange: &bt,
        side: &bs,
        px: &bp,
        qty: &bq,
        is_snapshot: &snap,
        seq_first: &none,
        seq_last: &none,
        seq_prev: &none,
    };
    let msgs = [
        BookMsg { start: 0, end: 3, ts_local: 10, ts_exchange: 10, snapshot: true },
        BookMsg { start: 3, end: 4, ts_local: 15, ts_exchange: 15, snapshot: false },
    ];
    let (tt, tp, tq, ta) = ([5i64, 10], [100i64, 100], [1i64, 2], [1i8, -1]);
    let (kt, km, kr) = ([10i64], [MISSING_I64], [0.0001]);
    let (qt, qb, qa) = ([10i64, 20], [99i64, 98], [101i64, MISSING_I64]);
    let data = MarketData {
        quoted_bbo: BboSlices {
            ts_local: &qt,
            ts_exchange: &qt,
            bid_px: &qb,
            bid_qty: &[3, 4],
            ask_px: &qa,
            ask_qty: &[5, 6],
        },
        quoted_trade: TradeSlices { ts_local: &tt, ts_exchange: &tt, px: &tp, qty: &tq, aggressor: &ta },
        quoted_book: Some(rows),
        quoted_ticker: TickerSlices {
            ts_local: &kt,
            ts_exchange: &kt,
            mark_px: &km,
            funding_rate: &kr,
            next_funding_ts: &km,
            open_interest: &km,
        },
        leader_bbo: BboSlices::default(),
    };
    let mut vs = VenueStream::new(&data, &msgs, true);
    let mut got = Vec::new();
    while let Some(e) = vs.next_until(i64::MAX) {
        got.push((e.t, e.kind, e.side, e.px));
    }
    use VenueKind::{Clear, Level, Ticker, Touch, Trade};
    let want = vec![
        (5, Trade, 1, 100),
        (10, Trade, -1, 100),
        (10, Ticker, 0, MISSING_I64),
        (10, Clear, 0, 0),
        (10, Level, 1, 99),
        (10, Level, -1, 101),
        (10, Touch, 1, 99),
        (10, Touch, -1, 101),
        (15, Level, -1, 102),
        // the ask of the 20 ms BBO row is missing: only its bid touches
        (20, Touch, 1, 98),
    ];
    assert_eq!(got, want);
    // next_until stops at the limit and resumes where it stopped
    let mut vs = VenueStream::new(&data, &msgs, false);
    assert_eq!(vs.next_until(4), None);
    assert_eq!(vs.next_until(5).map(|e| e.t), Some(5));
    assert_eq!(vs.next_until(5), None);
    assert_eq!(std::iter::from_fn(|| vs.next_until(12)).count(), 5);
}
