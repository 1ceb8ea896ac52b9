//! The seed's `TradeFeatures` (heatmap seed §3.4), computed causally for every trade of one venue.
//!
//! Causality: for the trade at row i, the trade stream is read up to and including row i (rows are in
//! message order, so earlier rows of the same millisecond are earlier messages); every other stream
//! (own quotes, the reference venue's quotes, tickers, liquidation prints) only up to timestamps
//! **strictly before** the trade's. Nothing after the trade is read.
//!
//! Directional features are multiplied by the trade's sign s (+1 buy, −1 sell; an unknown aggressor
//! takes the side of the price against the prevailing mid), so that "with the trade" is positive for
//! buys and sells alike — a linear classifier could not learn the symmetric effect otherwise.
//!
//! | feature | definition |
//! |---|---|
//! | size_zscore | (ln q − mean)/std of ln q over the previous `size_window` trades (0 with < 2) |
//! | size_quantile | share of the previous `size_window` sizes below q (ties half; 0.5 with none) |
//! | time_since_last_trade_ms | since the previous trade, ms (first trade: `time_since_cap_ms`, and capped there) |
//! | trades_in_last_1s / 10s | previous trades within 1 s / 10 s |
//! | is_aggressor | the aggressor side is known |
//! | crossed_spread_bps | s·(px − mid)/mid, bps, mid of the own quote in force |
//! | signed_volume_imbalance_1s / 10s | s·Σ s_j q_j / Σ q_j over the trades of the last 1 s / 10 s, this one included |
//! | funding_rate | latest funding rate, bps |
//! | trade_aligns_with_funding | s·funding > 0 (trading with the crowded side) |
//! | binance_price_change_100ms | s·(reference mid change over the last 100 ms), bps |
//! | binance_hl_spread_at_trade | s·((ref mid − own mid)/own mid − its 60 s EWMA), bps: the basis removed |
//! | book_imbalance_at_trade | s·(bid qty − ask qty)/(bid qty + ask qty) at the own touch |
//! | depth_consumed_pct | q / touch size on the side it hits × 100 (capped at 10 000) |
//! | oi_change_1m_before | open-interest change over the last minute, % |
//! | near_liquidation_price | a liquidation print on this venue within the last second |

use crate::error::{CoreError, Result};

/// Names of the feature columns, in [`TradeFeatures::to_row`] order.
pub const FEATURE_NAMES: [&str; 17] = [
    "size_zscore",
    "size_quantile",
    "time_since_last_trade_ms",
    "trades_in_last_1s",
    "trades_in_last_10s",
    "is_aggressor",
    "crossed_spread_bps",
    "signed_volume_imbalance_1s",
    "signed_volume_imbalance_10s",
    "funding_rate",
    "trade_aligns_with_funding",
    "binance_price_change_100ms",
    "binance_hl_spread_at_trade",
    "book_imbalance_at_trade",
    "depth_consumed_pct",
    "oi_change_1m_before",
    "near_liquidation_price",
];

/// The seed's feature vector of one trade (see the module table for definitions and units).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TradeFeatures {
    pub size_zscore: f64,
    pub size_quantile: f64,
    pub time_since_last_trade_ms: f64,
    pub trades_in_last_1s: u32,
    pub trades_in_last_10s: u32,
    pub is_aggressor: bool,
    pub crossed_spread_bps: f64,
    pub signed_volume_imbalance_1s: f64,
    pub signed_volume_imbalance_10s: f64,
    pub funding_rate: f64,
    pub trade_aligns_with_funding: bool,
    pub binance_price_change_100ms: f64,
    pub binance_hl_spread_at_trade: f64,
    pub book_imbalance_at_trade: f64,
    pub depth_consumed_pct: f64,
    pub oi_change_1m_before: f64,
    pub near_liquidation_price: bool,
}

impl TradeFeatures {
    /// The features as numbers, in [`FEATURE_NAMES`] order (booleans as 0/1).
    #[must_use]
    pub fn to_row(&self) -> [f64; 17] {
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        [
            self.size_zscore,
            self.size_quantile,
            self.time_since_last_trade_ms,
            f64::from(self.trades_in_last_1s),
            f64::from(self.trades_in_last_10s),
            b(self.is_aggressor),
            self.crossed_spread_bps,
            self.signed_volume_imbalance_1s,
            self.signed_volume_imbalance_10s,
            self.funding_rate,
            b(self.trade_aligns_with_funding),
            self.binance_price_change_100ms,
            self.binance_hl_spread_at_trade,
            self.book_imbalance_at_trade,
            self.depth_consumed_pct,
            self.oi_change_1m_before,
            b(self.near_liquidation_price),
        ]
    }
}

/// Trades of one venue and symbol, in message order.
#[derive(Debug, Clone, Copy)]
pub struct Trades<'a> {
    /// receive time, ns (non-decreasing)
    pub t_ns: &'a [i64],
    /// price
    pub px: &'a [f64],
    /// size (> 0)
    pub qty: &'a [f64],
    /// +1 buy, −1 sell, 0 unknown
    pub aggressor: &'a [i8],
}

/// Top-of-book rows (bbo), non-decreasing times.
#[derive(Debug, Clone, Copy)]
pub struct Quotes<'a> {
    pub t_ns: &'a [i64],
    pub bid: &'a [f64],
    pub bid_qty: &'a [f64],
    pub ask: &'a [f64],
    pub ask_qty: &'a [f64],
}

impl Quotes<'_> {
    /// Mid of row k, or None for a one-sided or crossed-invalid row.
    #[must_use]
    pub fn mid(&self, k: usize) -> Option<f64> {
        let (b, a) = (self.bid[k], self.ask[k]);
        (b.is_finite() && a.is_finite() && b > 0.0 && a > 0.0).then_some(0.5 * (b + a))
    }
}

/// Ticker rows: funding rate (fraction per period) and open interest; NaN where absent.
#[derive(Debug, Clone, Copy)]
pub struct Ticker<'a> {
    pub t_ns: &'a [i64],
    pub funding: &'a [f64],
    pub oi: &'a [f64],
}

/// Everything the features and labels read.
#[derive(Debug, Clone, Copy)]
pub struct FeatureInputs<'a> {
    pub trades: Trades<'a>,
    /// the venue's own quotes
    pub own: Quotes<'a>,
    /// the other venue's quotes (the seed's "binance" reference), if any
    pub reference: Option<Quotes<'a>>,
    pub ticker: Option<Ticker<'a>>,
    /// times of this venue's liquidation prints, ns
    pub liquidations: &'a [i64],
}

/// Windows of the features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureConfig {
    /// previous trades for the size statistics
    pub size_window: usize,
    /// look-back of the reference price change, ms (seed: 100)
    pub ref_change_ms: f64,
    /// time constant of the cross-venue basis EWMA, s
    pub basis_ewma_s: f64,
    /// look-back of the OI change, s (seed: 60)
    pub oi_window_s: f64,
    /// how recent a liquidation print counts, ms
    pub liq_window_ms: f64,
    /// cap of time_since_last_trade_ms (and its value for the first trade)
    pub time_since_cap_ms: f64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            size_window: 500,
            ref_change_ms: 100.0,
            basis_ewma_s: 60.0,
            oi_window_s: 60.0,
            liq_window_ms: 1_000.0,
            time_since_cap_ms: 60_000.0,
        }
    }
}

fn sorted(name: &str, t: &[i64]) -> Result<()> {
    match t.windows(2).position(|w| w[1] < w[0]) {
        Some(k) => Err(CoreError::InvalidInput(format!("{name}: times must be non-decreasing (row {})", k + 1))),
        None => Ok(()),
    }
}

/// Check lengths, order and values of the inputs.
///
/// # Errors
/// [`CoreError::InvalidInput`] naming the stream and row.
pub fn check_inputs(inp: &FeatureInputs<'_>) -> Result<()> {
    let t = &inp.trades;
    let n = t.t_ns.len();
    if t.px.len() != n || t.qty.len() != n || t.aggressor.len() != n {
        return Err(CoreError::InvalidInput("trades: time, price, size and aggressor lengths differ".into()));
    }
    sorted("trades", t.t_ns)?;
    if let Some(i) = (0..n).find(|&i| !(t.px[i].is_finite() && t.px[i] > 0.0 && t.qty[i].is_finite() && t.qty[i] > 0.0))
    {
        return Err(CoreError::InvalidInput(format!("trade {i}: price and size must be finite and > 0")));
    }
    for (name, q) in
        std::iter::once(("own quotes", &inp.own)).chain(inp.reference.as_ref().map(|r| ("reference quotes", r)))
    {
        let m = q.t_ns.len();
        if q.bid.len() != m || q.ask.len() != m || q.bid_qty.len() != m || q.ask_qty.len() != m {
            return Err(CoreError::InvalidInput(format!("{name}: column lengths differ")));
        }
        sorted(name, q.t_ns)?;
    }
    if let Some(tk) = &inp.ticker {
        if tk.funding.len() != tk.t_ns.len() || tk.oi.len() != tk.t_ns.len() {
            return Err(CoreError::InvalidInput("ticker: column lengths differ".into()));
        }
        sorted("ticker", tk.t_ns)?;
    }
    sorted("liquidations", inp.liquidations)
}

/// Trade sign: the aggressor, or the side of the price against the mid when unknown (+1 at the mid).
pub(crate) fn sign(aggr: i8, px: f64, mid: Option<f64>) -> f64 {
    match aggr {
        a if a > 0 => 1.0,
        a if a < 0 => -1.0,
        _ => mid.map_or(1.0, |m| if px < m { -1.0 } else { 1.0 }),
    }
}

/// Index of the last row with time < t, moving `k` (the count of such rows) forward.
fn advance(times: &[i64], k: &mut usize, t: i64) -> Option<usize> {
    while *k < times.len() && times[*k] < t {
        *k += 1;
    }
    k.checked_sub(1)
}

/// Features of every trade.
///
/// # Errors
/// As [`check_inputs`].
pub fn trade_features(inp: &FeatureInputs<'_>, cfg: &FeatureConfig) -> Result<Vec<TradeFeatures>> {
    check_inputs(inp)?;
    let tr = &inp.trades;
    let n = tr.t_ns.len();
    let ms = 1_000_000i64;
    let w1 = 1_000 * ms;
    let w10 = 10_000 * ms;
    let ref_lag = (cfg.ref_change_ms * 1e6).round() as i64;
    let oi_lag = (cfg.oi_window_s * 1e9).round() as i64;
    let liq_win = (cfg.liq_window_ms * 1e6).round() as i64;
    // prefix sums of volume and signed volume (signs need the mid: computed in the loop)
    let mut cum_v = vec![0.0; n + 1];
    let mut cum_sv = vec![0.0; n + 1];
    let ln_q: Vec<f64> = tr.qty.iter().map(|q| q.ln()).collect();
    let mut cum_l = vec![0.0; n + 1];
    let mut cum_l2 = vec![0.0; n + 1];
    let (mut k_own, mut k_ref, mut k_ref_lag, mut k_tk, mut k_tk_lag, mut k_liq) = (0, 0, 0, 0, 0, 0);
    let (mut s1, mut s10) = (0usize, 0usize);
    let mut basis: Option<(i64, f64)> = None;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = tr.t_ns[i];
        let (px, q) = (tr.px[i], tr.qty[i]);
        let own_k = advance(inp.own.t_ns, &mut k_own, t);
        let mid = own_k.and_then(|k| inp.own.mid(k));
        let s = sign(tr.aggressor[i], px, mid);
        cum_v[i + 1] = cum_v[i] + q;
        cum_sv[i + 1] = cum_sv[i] + s * q;
        cum_l[i + 1] = cum_l[i] + ln_q[i];
        cum_l2[i + 1] = cum_l2[i] + ln_q[i] * ln_q[i];
        while tr.t_ns[s1] <= t - w1 {
            s1 += 1;
        }
        while tr.t_ns[s10] <= t - w10 {
            s10 += 1;
        }
        let mut f = TradeFeatures::default();
        // size
        let lo = i.saturating_sub(cfg.size_window);
        let m = (i - lo) as f64;
        if i - lo >= 2 {
            let mean = (cum_l[i] - cum_l[lo]) / m;
            let var = ((cum_l2[i] - cum_l2[lo]) / m - mean * mean).max(0.0);
            f.size_zscore = if var > 1e-18 { (ln_q[i] - mean) / var.sqrt() } else { 0.0 };
        }
        f.size_quantile = if i > lo {
            let (below, eq) = tr.qty[lo..i]
                .iter()
                .fold((0usize, 0usize), |(b, e), &v| (b + usize::from(v < q), e + usize::from(v == q)));
            (below as f64 + 0.5 * eq as f64) / m
        } else {
            0.5
        };
        // timing
        f.time_since_last_trade_ms =
            if i > 0 { ((t - tr.t_ns[i - 1]) as f64 / 1e6).min(cfg.time_since_cap_ms) } else { cfg.time_since_cap_ms };
        f.trades_in_last_1s = u32::try_from(i - s1).unwrap_or(u32::MAX);
        f.trades_in_last_10s = u32::try_from(i - s10).unwrap_or(u32::MAX);
        // aggression and flow
        f.is_aggressor = tr.aggressor[i] != 0;
        if let Some(mid) = mid {
            f.crossed_spread_bps = s * (px - mid) / mid * 1e4;
        }
        let imb = |a: usize| {
            let v = cum_v[i + 1] - cum_v[a];
            if v > 0.0 {
                s * (cum_sv[i + 1] - cum_sv[a]) / v
            } else {
                0.0
            }
        };
        f.signed_volume_imbalance_1s = imb(s1);
        f.signed_volume_imbalance_10s = imb(s10);
        // book state
        if let Some(k) = own_k {
            let (bq, aq) = (inp.own.bid_qty[k], inp.own.ask_qty[k]);
            if bq.is_finite() && aq.is_finite() && bq + aq > 0.0 {
                f.book_imbalance_at_trade = s * (bq - aq) / (bq + aq);
            }
            let touch = if s > 0.0 { aq } else { bq };
            f.depth_consumed_pct = if touch.is_finite() && touch > 0.0 { (q / touch * 100.0).min(1e4) } else { 100.0 };
        }
        // cross-venue
        if let (Some(rq), Some(mid)) = (&inp.reference, mid) {
            let rk = advance(rq.t_ns, &mut k_ref, t);
            let rk_lag = advance(rq.t_ns, &mut k_ref_lag, t - ref_lag);
            let rmid = rk.and_then(|k| rq.mid(k));
            if let (Some(a), Some(b)) = (rmid, rk_lag.and_then(|k| rq.mid(k))) {
                f.binance_price_change_100ms = s * (a - b) / b * 1e4;
            }
            if let Some(r) = rmid {
                let raw = (r - mid) / mid * 1e4;
                let ewma = match basis {
                    Some((t0, v)) => {
                        let e = (-((t - t0) as f64) / (cfg.basis_ewma_s * 1e9)).exp();
                        e * v + (1.0 - e) * raw
                    }
                    None => raw,
                };
                f.binance_hl_spread_at_trade = s * (raw - basis.map_or(raw, |b| b.1));
                basis = Some((t, ewma));
            }
        }
        // funding and open interest
        if let Some(tk) = &inp.ticker {
            if let Some(k) = advance(tk.t_ns, &mut k_tk, t) {
                let fr = tk.funding[k];
                if fr.is_finite() {
                    f.funding_rate = fr * 1e4;
                    f.trade_aligns_with_funding = s * fr > 0.0;
                }
                let oi_now = tk.oi[k];
                if let Some(j) = advance(tk.t_ns, &mut k_tk_lag, t - oi_lag) {
                    let oi0 = tk.oi[j];
                    if oi0.is_finite() && oi0 > 0.0 && oi_now.is_finite() {
                        f.oi_change_1m_before = (oi_now - oi0) / oi0 * 100.0;
                    }
                }
            }
        }
        if let Some(k) = advance(inp.liquidations, &mut k_liq, t) {
            f.near_liquidation_price = t - inp.liquidations[k] <= liq_win;
        }
        out.push(f);
    }
    Ok(out)
}
