//! PnL attribution, the equity curve, markouts and the realised outcomes of the records.
//!
//! Definitions (fill of side `s`, size `x`, price `p` at `t`; `m(·)` the quoted mid as the strategy
//! saw it, as of a time; `h` the attribution horizon; `T` the end of data):
//!
//! ```text
//! spread capture     s·x·(m(t) − p)
//! adverse selection  s·x·(m(min(t + h, T)) − m(t))
//! inventory          s·x·(m(T) − m(min(t + h, T)))
//! fees               −fee            (rebates positive)
//! funding            payments received (paid negative)
//! total              spread capture + adverse selection + inventory + fees + funding
//! ```
//!
//! The three price components are kept as exact integers: with scaled sizes `x` (10⁸) and twice
//! the scaled mid `m2 = bid + ask` (10⁸), every term is an `i128` in units of 1/(2·10¹⁶) quote
//! currency. The curve walks the fills, their horizon ends ("maturities"), funding payments, the
//! equity grid and UTC midnights in time order; between two consecutive times the mark change
//! `Δm2` is credited to adverse selection for the size still within its horizon and to inventory
//! for the rest. Each component is converted to `f64` once per snapshot and `total` (and each
//! equity point's `pnl`) is their sum in the order above, so components add up to the total by
//! construction; per day, each component is the exact integer difference of its snapshots.

use super::records::{CycleRow, DayRow, EquityRow, FillContext, FillRow, SideOutcome};
use super::stream::BboSlices;
use super::BacktestParams;
use crate::exchange::{Fill, FundingPayment};

const BPS: f64 = 1e4;
const DAY_NS: i64 = 86_400_000_000_000;
/// Markout horizons of the fill records, ns: 100 ms, 1 s, 10 s, 60 s.
pub const MARKOUT_HORIZONS_NS: [i64; 4] = [100_000_000, 1_000_000_000, 10_000_000_000, 60_000_000_000];

/// The quoted mid as the strategy saw it: `m2 = bid + ask` (scaled) from each complete BBO row.
#[derive(Debug, Clone, Default)]
pub struct MidSeries {
    t: Vec<i64>,
    m2: Vec<i64>,
}

impl MidSeries {
    /// From the quoted BBO (rows with both sides).
    #[must_use]
    pub fn from_bbo(b: &BboSlices<'_>) -> Self {
        let mut s = Self::default();
        for i in 0..b.len() {
            if b.complete(i) {
                s.t.push(b.ts_local[i]);
                s.m2.push(b.bid_px[i].saturating_add(b.ask_px[i]));
            }
        }
        s
    }

    /// `m2` as of `t` (the last row at or before it).
    #[must_use]
    pub fn at(&self, t: i64) -> Option<i64> {
        let k = self.t.partition_point(|&x| x <= t);
        k.checked_sub(1).map(|k| self.m2[k])
    }
}

/// Cumulative components at one time (integers in 1/(2·10¹⁶) quote units; fees and funding f64).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub spread: i128,
    pub adverse: i128,
    pub inventory: i128,
    pub fees: f64,
    pub funding: f64,
    pub position: i64,
    pub fills: u64,
    pub volume: i64,
}

/// Value units per quote-currency unit of the integer components (size 10⁸ × twice the price 10⁸).
pub(crate) fn value_unit(units: (f64, f64)) -> f64 {
    2.0 * units.0 * units.1
}

impl Totals {
    /// The components in quote currency: spread capture, adverse selection, inventory, fees, funding,
    /// and their sum in that order.
    #[must_use]
    pub fn components(&self, units: (f64, f64)) -> [f64; 6] {
        let v = value_unit(units);
        let (s, a, i) = (self.spread as f64 / v, self.adverse as f64 / v, self.inventory as f64 / v);
        [s, a, i, self.fees, self.funding, s + a + i + self.fees + self.funding]
    }
}

/// What [`attribute`] returns.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    pub equity: Vec<EquityRow>,
    pub days: Vec<DayRow>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    /// a fill (index)
    Fill(usize),
    /// a fill's horizon ends
    Mature(usize),
    /// a funding payment (index)
    Funding(usize),
    /// an equity point (1) and/or a day boundary (2)
    Snap(u8),
}

/// The attribution of a run: equity points every `equity_interval_ns` from `t_start` (and at
/// `t_end`), per-UTC-day rows, final totals.
#[must_use]
pub fn attribute(
    fills: &[Fill],
    payments: &[FundingPayment],
    mids: &MidSeries,
    p: &BacktestParams,
    t_start: i64,
    t_end: i64,
    units: (f64, f64),
) -> Attribution {
    let h = p.adverse_horizon_ns;
    let mut ev: Vec<(i64, Ev)> = Vec::with_capacity(2 * fills.len() + 64);
    for (i, f) in fills.iter().enumerate() {
        ev.push((f.ts_exchange, Ev::Fill(i)));
        let m = f.ts_exchange.saturating_add(h);
        if m <= t_end {
            ev.push((m, Ev::Mature(i)));
        }
    }
    for (k, f) in payments.iter().enumerate() {
        ev.push((f.ts_exchange, Ev::Funding(k)));
    }
    let iv = p.equity_interval_ns;
    let mut g = t_start.div_euclid(iv) * iv;
    if g < t_start {
        g += iv;
    }
    while g < t_end {
        ev.push((g, Ev::Snap(1)));
        g += iv;
    }
    ev.push((t_end, Ev::Snap(1)));
    let mut d = (t_start.div_euclid(DAY_NS) + 1) * DAY_NS;
    while d <= t_end {
        ev.push((d, Ev::Snap(2)));
        d += DAY_NS;
    }
    // at equal times: fills, then maturities, funding, snapshots
    ev.sort();
    let mut tot = Totals::default();
    let (mut young, mut mature) = (0i128, 0i128);
    let mut last_m2: Option<i64> = None;
    let mut equity = Vec::new();
    let mut day_marks: Vec<(i64, Totals)> = vec![(t_start.div_euclid(DAY_NS) * DAY_NS, Totals::default())];
    let mut last_snap_t = i64::MIN;
    for (t, e) in ev {
        let m2 = mids.at(t);
        if let (Some(a), Some(b)) = (last_m2, m2) {
            let dm = i128::from(b - a);
            tot.adverse += young * dm;
            tot.inventory += mature * dm;
        }
        if m2.is_some() {
            last_m2 = m2;
        }
        match e {
            Ev::Fill(i) => {
                let f = &fills[i];
                let sx = i128::from(f.side) * i128::from(f.qty);
                let mark = m2.unwrap_or(f.px.saturating_mul(2));
                tot.spread += sx * (i128::from(mark) - 2 * i128::from(f.px));
                young += sx;
                tot.fees -= f.fee;
                tot.position += i64::from(f.side) * f.qty;
                tot.fills += 1;
                tot.volume += f.qty;
            }
            Ev::Mature(i) => {
                let f = &fills[i];
                let sx = i128::from(f.side) * i128::from(f.qty);
                young -= sx;
                mature += sx;
            }
            Ev::Funding(k) => tot.funding += payments[k].payment,
            Ev::Snap(kind) => {
                if kind == 2 {
                    day_marks.push((t, tot));
                }
                if kind == 1 && t != last_snap_t {
                    last_snap_t = t;
                    let c = tot.components(units);
                    equity.push(EquityRow {
                        ts: t,
                        pnl: c[5],
                        inventory: tot.position as f64 / units.1,
                        mid: m2.map_or(f64::NAN, |m| m as f64 / units.0 / 2.0),
                        spread_capture: c[0],
                        adverse_selection: c[1],
                        inventory_pnl: c[2],
                        fees: c[3],
                        funding: c[4],
                    });
                }
            }
        }
    }
    day_marks.push((t_end, tot));
    let v = value_unit(units);
    let days = day_marks
        .windows(2)
        .filter(|w| w[1].0 > w[0].0 || w[1].1 != w[0].1)
        .map(|w| {
            let (a, b) = (&w[0].1, &w[1].1);
            let s = (b.spread - a.spread) as f64 / v;
            let ad = (b.adverse - a.adverse) as f64 / v;
            let inv = (b.inventory - a.inventory) as f64 / v;
            let fees = b.fees - a.fees;
            let fun = b.funding - a.funding;
            DayRow {
                day_start_ns: w[0].0.div_euclid(DAY_NS) * DAY_NS,
                total: s + ad + inv + fees + fun,
                spread_capture: s,
                adverse_selection: ad,
                inventory: inv,
                fees,
                funding: fun,
                fills: b.fills - a.fills,
                volume: (b.volume - a.volume) as f64 / units.1,
            }
        })
        .collect();
    Attribution { equity, days, totals: tot }
}

/// The fill records: price, markouts, adverse selection, context, and the placing cycle's model state.
#[allow(clippy::too_many_arguments)]
#[must_use]
pub fn enrich_fills(
    fills: &[Fill],
    ctx: &[FillContext],
    cycles: &[CycleRow],
    order_cycle: &[u64],
    mids: &MidSeries,
    p: &BacktestParams,
    t_end: i64,
    units: (f64, f64),
) -> Vec<FillRow> {
    let (pu, qu) = units;
    let v = value_unit(units);
    fills
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let t = f.ts_exchange;
            let s = f64::from(f.side);
            let p2 = f.px.saturating_mul(2);
            let m2 = mids.at(t).unwrap_or(p2);
            let sx = i128::from(f.side) * i128::from(f.qty);
            let later = |h: i64| if t.saturating_add(h) <= t_end { mids.at(t.saturating_add(h)) } else { None };
            let mk = |h: i64| later(h).map_or(f64::NAN, |m| s * (m - p2) as f64 / m2 as f64 * BPS);
            let pnl = |h: i64| later(h).map_or(f64::NAN, |m| (sx * i128::from(m - p2)) as f64 / v);
            let adv = later(p.adverse_horizon_ns).map(|m| f.side as i64 * (m - m2));
            let cyc = order_cycle
                .get(usize::try_from(f.order_id).unwrap_or(usize::MAX))
                .and_then(|&c| cycles.get(usize::try_from(c).unwrap_or(usize::MAX)));
            let (pred, q) = match cyc {
                Some(c) => (if f.side > 0 { c.bid } else { c.ask }, Some(&c.q)),
                None => (super::records::SidePrediction::NONE, None),
            };
            FillRow {
                ts_exchange: t,
                ts_local: f.ts_local,
                order_id: f.order_id,
                quote_cycle_id: cyc.map_or(u64::MAX, |c| c.cycle),
                side: f.side,
                price: f.px as f64 / pu,
                size: f.qty as f64 / qu,
                fee: f.fee,
                maker: f.maker,
                kind: f.kind as u8,
                queue_ahead: f.queue_ahead as f64 / qu,
                mid_at_fill: m2 as f64 / pu / 2.0,
                spread_capture: (sx * i128::from(m2 - p2)) as f64 / v,
                spread_capture_bps: s * (m2 - p2) as f64 / m2 as f64 * BPS,
                markout_bps: MARKOUT_HORIZONS_NS.map(mk),
                pnl_1s: pnl(MARKOUT_HORIZONS_NS[1]),
                pnl_10s: pnl(MARKOUT_HORIZONS_NS[2]),
                pnl_60s: pnl(MARKOUT_HORIZONS_NS[3]),
                adverse_selection: adv.map(|a| a < 0),
                adverse_move_bps: adv.map_or(f64::NAN, |a| -(a as f64) / m2 as f64 * BPS),
                ctx: ctx.get(i).copied().unwrap_or(FillContext {
                    book: super::records::BookContext::NONE,
                    wall: super::records::WallContext::NONE,
                    binance_mid: f64::NAN,
                    binance_delta_100ms: f64::NAN,
                    lead_lag_estimate_ms: f64::NAN,
                }),
                regime_probs: q.map_or([f64::NAN; 4], |q| q.regime_probs),
                regime: q.map_or(0, |q| q.regime),
                fill_prob_prediction: pred.p_fill_1s,
                adverse_prob_prediction: pred.p_adverse_given_fill,
                kappa_estimate: q.map_or(f64::NAN, |q| q.kappa),
                gamma_used: q.map_or(f64::NAN, |q| q.gamma),
            }
        })
        .collect()
}

/// Fill in the outcome columns of the prediction records.
pub fn cycle_outcomes(
    cycles: &mut [CycleRow],
    fills: &[FillRow],
    mids: &MidSeries,
    h_adv: i64,
    t_end: i64,
    px_unit: f64,
) {
    let mut order: Vec<usize> = (0..fills.len()).collect();
    order.sort_by_key(|&i| (fills[i].ts_exchange, i));
    let by_side = |side: i8| -> Vec<usize> { order.iter().copied().filter(|&i| fills[i].side == side).collect() };
    let (buys, sells) = (by_side(1), by_side(-1));
    let times = |ix: &[usize]| -> Vec<i64> { ix.iter().map(|&i| fills[i].ts_exchange).collect() };
    let (tb, ts) = (times(&buys), times(&sells));
    let all_t: Vec<i64> = order.iter().map(|&i| fills[i].ts_exchange).collect();
    let outcome = |idx: &[usize], tt: &[i64], t: i64| -> SideOutcome {
        let first_after = tt.partition_point(|&x| x <= t);
        let filled = |h: i64| {
            let hit = tt.get(first_after).is_some_and(|&x| x <= t.saturating_add(h));
            if hit || t.saturating_add(h) <= t_end {
                Some(hit)
            } else {
                None
            }
        };
        let adverse = match tt.get(first_after) {
            Some(&x) if x <= t.saturating_add(h_adv) => fills[idx[first_after]].adverse_selection,
            _ => None,
        };
        SideOutcome {
            filled_100ms: filled(100_000_000),
            filled_1s: filled(1_000_000_000),
            filled_10s: filled(10_000_000_000),
            adverse,
        }
    };
    for c in cycles.iter_mut() {
        let t = c.t_ns;
        let later = |h: i64| if t.saturating_add(h) <= t_end { mids.at(t.saturating_add(h)) } else { None };
        let px = |h: i64| later(h).map_or(f64::NAN, |m| m as f64 / px_unit / 2.0);
        c.price_1s_later = px(1_000_000_000);
        c.price_10s_later = px(10_000_000_000);
        c.price_60s_later = px(60_000_000_000);
        c.mid_up_1s = match (mids.at(t), later(1_000_000_000)) {
            (Some(a), Some(b)) => Some(b > a),
            _ => None,
        };
        c.bid_outcome = outcome(&buys, &tb, t);
        c.ask_outcome = outcome(&sells, &ts, t);
        let lo = all_t.partition_point(|&x| x <= t);
        let hi = all_t.partition_point(|&x| x <= t.saturating_add(h_adv));
        let (mut num, mut den) = (0.0, 0.0);
        for &i in &order[lo..hi] {
            let f = &fills[i];
            if f.adverse_move_bps.is_finite() {
                num += f.adverse_move_bps * f.size;
                den += f.size;
            }
        }
        c.adverse_selection_realized_bps = if den > 0.0 { num / den } else { f64::NAN };
    }
}
