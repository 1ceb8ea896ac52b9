//! Output buffers of the simulator: the normalized [`Tables`] plus the truth columns that sit
//! beside them (trade labels aligned to trade rows, wall and spoof lifetimes), and the final merge
//! of both venues' rows into `ts_local` order.

use crate::tables::Tables;
use crate::units::MISSING_I64;

/// Symbol index of the leader venue in [`Tables::symbols`] / [`Tables::venues`].
pub const LEADER: u32 = 0;
/// Symbol index of the follower venue.
pub const FOLLOWER: u32 = 1;

/// True class of a trade (heatmap seed §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Label {
    Noise = 0,
    Informed = 1,
    Liquidation = 2,
    Arbitrage = 3,
}

impl Label {
    /// Names in code order.
    pub const NAMES: [&'static str; 4] = ["noise", "informed", "liquidation", "arbitrage"];
}

/// When a message happened and how each clock stamps it (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// true event time
    pub t: i64,
    /// venue exchange clock, truncated to ms (what the venue prints)
    pub ex: i64,
    /// our recorder's receive time
    pub local: i64,
}

/// Lifetime of a wall or spoof order on the leader book (truth for heatmap work).
#[derive(Debug, Clone, PartialEq)]
pub struct BookEvent {
    /// "wall" or "spoof"
    pub kind: &'static str,
    /// +1 bid, -1 ask
    pub side: i8,
    /// scaled price
    pub px: i64,
    /// scaled size added on top of the level's ordinary size
    pub qty: i64,
    /// true time it appeared, ns
    pub start_ns: i64,
    /// true time it left the book, ns
    pub end_ns: i64,
    /// "expired", "pulled" (price came near), "filled" (price traded through), "flicker" (spoof off
    /// phase), "end" (still there when the run ended)
    pub end_reason: &'static str,
}

macro_rules! permute_all {
    ($p:expr, $($col:expr),*) => {{
        if let Some(p) = &$p {
            $( $col = p.iter().map(|&i| $col[i]).collect(); )*
        }
    }};
}

/// Everything the simulator writes.
#[derive(Debug, Default)]
pub struct Out {
    pub tables: Tables,
    /// label of each trade row (aligned to `tables.trade`)
    pub labels: Vec<u8>,
    pub book_events: Vec<BookEvent>,
    /// Σ (ts_local − true time) and count over each venue's bbo rows, for the realized latency
    pub bbo_latency: [(f64, u64); 2],
}

impl Out {
    /// Empty tables with the two symbols interned (leader first).
    #[must_use]
    pub fn new(leader: (&str, &str), follower: (&str, &str)) -> Self {
        let mut tables = Tables::default();
        tables.intern(leader.1);
        tables.intern(follower.1);
        tables.venues = vec![leader.0.to_owned(), follower.0.to_owned()];
        Self { tables, ..Self::default() }
    }

    /// Append a bbo row.
    pub fn bbo(&mut self, sym: u32, s: Stamp, bid: (i64, i64), ask: (i64, i64), seq: i64) {
        let b = &mut self.tables.bbo;
        b.symbol.push(sym);
        b.ts_exchange.push(s.ex);
        b.ts_local.push(s.local);
        b.bid_px.push(bid.0);
        b.bid_qty.push(bid.1);
        b.ask_px.push(ask.0);
        b.ask_qty.push(ask.1);
        b.seq.push(seq);
        let acc = &mut self.bbo_latency[sym as usize & 1];
        acc.0 += (s.local - s.t) as f64;
        acc.1 += 1;
    }

    /// Append a book row; `seq` = (first, last, prev) update ids or MISSING.
    #[allow(clippy::too_many_arguments)]
    pub fn book(&mut self, sym: u32, s: Stamp, side: i8, px: i64, qty: i64, snap: bool, seq: (i64, i64, i64)) {
        let b = &mut self.tables.book;
        b.symbol.push(sym);
        b.ts_exchange.push(s.ex);
        b.ts_local.push(s.local);
        b.side.push(side);
        b.px.push(px);
        b.qty.push(qty);
        b.is_snapshot.push(snap);
        b.seq_first.push(seq.0);
        b.seq_last.push(seq.1);
        b.seq_prev.push(seq.2);
    }

    /// Append a trade row and its label.
    #[allow(clippy::too_many_arguments)]
    pub fn trade(&mut self, sym: u32, s: Stamp, px: i64, qty: i64, aggressor: i8, id: i64, label: Label) {
        let t = &mut self.tables.trade;
        t.symbol.push(sym);
        t.ts_exchange.push(s.ex);
        t.ts_local.push(s.local);
        t.px.push(px);
        t.qty.push(qty);
        t.aggressor.push(aggressor);
        t.trade_id.push(id);
        self.labels.push(label as u8);
    }

    /// Append a liquidation row.
    pub fn liquidation(&mut self, sym: u32, s: Stamp, side: i8, px: i64, qty: i64) {
        let l = &mut self.tables.liquidation;
        l.symbol.push(sym);
        l.ts_exchange.push(s.ex);
        l.ts_local.push(s.local);
        l.side.push(side);
        l.px.push(px);
        l.qty.push(qty);
    }

    /// Append a ticker row (absent ints as [`MISSING_I64`], absent floats as NaN).
    #[allow(clippy::too_many_arguments)]
    pub fn ticker(
        &mut self,
        sym: u32,
        s: Stamp,
        mark: i64,
        index: i64,
        oracle: i64,
        funding: f64,
        next_funding: i64,
        oi: i64,
    ) {
        let t = &mut self.tables.ticker;
        t.symbol.push(sym);
        t.ts_exchange.push(s.ex);
        t.ts_local.push(s.local);
        t.mark_px.push(mark);
        t.index_px.push(index);
        t.oracle_px.push(oracle);
        t.funding_rate.push(funding);
        t.predicted_funding_rate.push(f64::NAN);
        t.next_funding_ts.push(next_funding);
        t.open_interest.push(oi);
    }

    /// Merge both venues' rows of every table into `ts_local` order (stable: each venue's own
    /// order, which is already `ts_local` order, is kept).
    pub fn sort_by_local_time(&mut self) {
        let t = &mut self.tables;
        let p = order(&t.bbo.ts_local);
        let b = &mut t.bbo;
        permute_all!(p, b.symbol, b.ts_exchange, b.ts_local, b.bid_px, b.bid_qty, b.ask_px, b.ask_qty, b.seq);
        let p = order(&t.book.ts_local);
        let b = &mut t.book;
        permute_all!(
            p,
            b.symbol,
            b.ts_exchange,
            b.ts_local,
            b.side,
            b.px,
            b.qty,
            b.is_snapshot,
            b.seq_first,
            b.seq_last,
            b.seq_prev
        );
        let p = order(&t.trade.ts_local);
        let b = &mut t.trade;
        permute_all!(p, b.symbol, b.ts_exchange, b.ts_local, b.px, b.qty, b.aggressor, b.trade_id, self.labels);
        let p = order(&t.ticker.ts_local);
        let b = &mut t.ticker;
        permute_all!(
            p,
            b.symbol,
            b.ts_exchange,
            b.ts_local,
            b.mark_px,
            b.index_px,
            b.oracle_px,
            b.funding_rate,
            b.predicted_funding_rate,
            b.next_funding_ts,
            b.open_interest
        );
        let p = order(&t.liquidation.ts_local);
        let b = &mut t.liquidation;
        permute_all!(p, b.symbol, b.ts_exchange, b.ts_local, b.side, b.px, b.qty);
    }
}

/// Stable order of `ts`, or None when it is already sorted.
fn order(ts: &[i64]) -> Option<Vec<usize>> {
    if ts.windows(2).all(|w| w[0] <= w[1]) {
        return None;
    }
    let mut idx: Vec<usize> = (0..ts.len()).collect();
    idx.sort_by_key(|&i| ts[i]);
    Some(idx)
}

/// A missing integer, for readability at call sites.
pub const NONE: i64 = MISSING_I64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_each_venue_in_order() {
        let mut o = Out::new(("binance-futures", "BTCUSDT"), ("hyperliquid", "BTC"));
        let st = |t: i64, l: i64| Stamp { t, ex: t, local: l };
        o.trade(LEADER, st(1, 5), 1, 1, 1, 10, Label::Noise);
        o.trade(LEADER, st(2, 9), 1, 1, 1, 11, Label::Informed);
        o.trade(FOLLOWER, st(1, 7), 1, 1, -1, 12, Label::Arbitrage);
        o.trade(FOLLOWER, st(3, 9), 1, 1, -1, 13, Label::Liquidation);
        o.sort_by_local_time();
        assert_eq!(o.tables.trade.trade_id, vec![10, 12, 11, 13]);
        assert_eq!(o.labels, vec![0, 3, 1, 2]);
        assert_eq!(o.tables.venues, vec!["binance-futures", "hyperliquid"]);
        assert_eq!(o.tables.symbols, vec!["BTCUSDT", "BTC"]);
    }
}
