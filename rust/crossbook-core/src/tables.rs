//! Column buffers of the normalized data model (DESIGN.md § Data model).
//!
//! One struct per table; every row has `symbol` (an index into [`Tables::symbols`]), `ts_exchange`
//! and `ts_local` (ns UTC). Prices and sizes are scaled integers (see [`crate::units`]).
//! Absent integers are [`crate::units::MISSING_I64`], absent floats `NaN`; the binding turns both
//! into nulls. When a venue gives no exchange time, `ts_exchange == ts_local` (the Tardis convention).

use std::collections::HashMap;

/// Best bid and offer updates.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BboCols {
    pub symbol: Vec<u32>,
    pub ts_exchange: Vec<i64>,
    pub ts_local: Vec<i64>,
    pub bid_px: Vec<i64>,
    pub bid_qty: Vec<i64>,
    pub ask_px: Vec<i64>,
    pub ask_qty: Vec<i64>,
    /// venue update id (Binance `u`), or MISSING
    pub seq: Vec<i64>,
}

/// Order-book level rows: one row per (message, level). Sizes are absolute; 0 deletes the level.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BookCols {
    pub symbol: Vec<u32>,
    pub ts_exchange: Vec<i64>,
    pub ts_local: Vec<i64>,
    /// +1 bid, -1 ask
    pub side: Vec<i8>,
    pub px: Vec<i64>,
    pub qty: Vec<i64>,
    /// true for rows of a full snapshot (REST depth, Hyperliquid l2Book, Tardis snapshot rows)
    pub is_snapshot: Vec<bool>,
    /// first update id of the message (Binance `U`; snapshot: lastUpdateId), or MISSING
    pub seq_first: Vec<i64>,
    /// last update id of the message (Binance `u`; snapshot: lastUpdateId), or MISSING
    pub seq_last: Vec<i64>,
    /// previous message's last id (Binance futures `pu`), or MISSING (spot, snapshots)
    pub seq_prev: Vec<i64>,
}

/// Trade prints.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TradeCols {
    pub symbol: Vec<u32>,
    pub ts_exchange: Vec<i64>,
    pub ts_local: Vec<i64>,
    pub px: Vec<i64>,
    pub qty: Vec<i64>,
    /// +1 buyer was the taker, -1 seller was the taker, 0 unknown
    pub aggressor: Vec<i8>,
    /// numeric venue id; non-numeric ids are hashed to a stable 63-bit value (see [`hash_id`])
    pub trade_id: Vec<i64>,
}

/// Derivative state: mark / index / oracle, funding, open interest.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TickerCols {
    pub symbol: Vec<u32>,
    pub ts_exchange: Vec<i64>,
    pub ts_local: Vec<i64>,
    pub mark_px: Vec<i64>,
    pub index_px: Vec<i64>,
    pub oracle_px: Vec<i64>,
    /// per funding interval, as a fraction (0.0001 = 1 bp)
    pub funding_rate: Vec<f64>,
    pub predicted_funding_rate: Vec<f64>,
    /// ns UTC of the next funding event, or MISSING
    pub next_funding_ts: Vec<i64>,
    /// scaled size (base units or contracts), or MISSING
    pub open_interest: Vec<i64>,
}

/// Liquidation orders (Binance `forceOrder`, Tardis `liquidations`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LiquidationCols {
    pub symbol: Vec<u32>,
    pub ts_exchange: Vec<i64>,
    pub ts_local: Vec<i64>,
    /// side of the liquidation order: -1 sell (a long was liquidated), +1 buy (a short was)
    pub side: Vec<i8>,
    pub px: Vec<i64>,
    pub qty: Vec<i64>,
}

/// A line skipped under the `skip` error policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub line: u64,
    pub kind: &'static str,
    pub message: String,
}

/// All tables parsed from one source, plus what was skipped.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tables {
    pub bbo: BboCols,
    pub book: BookCols,
    pub trade: TradeCols,
    pub ticker: TickerCols,
    pub liquidation: LiquidationCols,
    /// interned symbols; `symbol` columns index into this
    pub symbols: Vec<String>,
    /// venue id (Tardis naming: `binance`, `binance-futures`, `binance-delivery`, `hyperliquid`, ...),
    /// one per symbol index when a source mixes venues, else one entry
    pub venues: Vec<String>,
    /// lines skipped under the `skip` policy, with their reason
    pub skipped: Vec<Skip>,
    /// number of source lines read (including headers and skipped lines)
    pub lines: u64,
    symbol_index: HashMap<String, u32>,
}

impl Tables {
    /// Index of `symbol`, interning it on first sight.
    pub fn intern(&mut self, symbol: &str) -> u32 {
        if let Some(&i) = self.symbol_index.get(symbol) {
            return i;
        }
        let i = u32::try_from(self.symbols.len()).unwrap_or(u32::MAX);
        self.symbols.push(symbol.to_owned());
        self.symbol_index.insert(symbol.to_owned(), i);
        i
    }

    /// Total rows over all tables.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.bbo.ts_local.len()
            + self.book.ts_local.len()
            + self.trade.ts_local.len()
            + self.ticker.ts_local.len()
            + self.liquidation.ts_local.len()
    }
}

/// Stable 63-bit FNV-1a hash of a non-numeric id, so trade ids stay `i64`.
#[must_use]
pub fn hash_id(text: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::try_from(h >> 1).unwrap_or(i64::MAX)
}
