//! Tardis.dev normalized CSV (docs.tardis.dev "downloadable CSV files") → tables.
//!
//! Every file starts with `exchange,symbol,timestamp,local_timestamp,...`; the data type is read
//! from the remaining header columns (see [`Layout`]):
//! - `incremental_book_L2` (`is_snapshot,side,price,amount`) → `book`, one row per CSV row, kept as
//!   is (side bid/ask → +1/-1; sequence columns MISSING — Tardis has none; the book engine applies
//!   the Tardis rules: rows sharing a `local_timestamp` are one message, a snapshot row after
//!   non-snapshot rows clears the book);
//! - `book_snapshot_N` (any N: `asks[i].price,asks[i].amount,bids[i].price,bids[i].amount`) →
//!   `book`: each CSV row is one full snapshot message, `is_snapshot = true`, one row per non-empty
//!   level (a book thinner than N leaves trailing cells empty); a row with no level at all gives one
//!   row with side 0, px 0, qty 0 (the data model's level-less message row), so an emptied book
//!   is not lost;
//! - `quotes` → `bbo` (empty cells → MISSING; `seq` MISSING);
//! - `trades` (`id,side,price,amount`) → `trade` (side buy/sell/unknown → +1/-1/0; non-numeric ids
//!   such as BitMEX UUIDs hashed by [`crate::tables::hash_id`]);
//! - `liquidations` (same columns as trades, so only selectable with `kind = "liquidations"`; the
//!   Python reader sets it from a Tardis file name containing `liquidations`) → `liquidation`
//!   (side buy/sell → +1/-1);
//! - `derivative_ticker` → `ticker` (`funding_timestamp` → `next_funding_ts`, `funding_rate`,
//!   `predicted_funding_rate`, `open_interest`, `index_price`, `mark_price`; `last_price` is not part
//!   of the data model and is dropped; empty cells → MISSING / NaN).
//!
//! Timestamps: Tardis writes µs, but each value's unit is detected from its magnitude so the same
//! reader takes other vendors' ms or ns exports. An empty `timestamp` falls back to
//! `local_timestamp`. `local_timestamp` must never go backwards ([`CoreError::TimestampBackwards`]).
//! Venue is the `exchange` cell as given (`binance-futures`, `deribit`, `bitmex`, ...), symbol as
//! given; `opts.venue` / `opts.symbol` override both. [`Tables::venues`] holds one entry per symbol
//! index, so a file mixing exchanges keeps each symbol's venue. Amounts stay in the venue's unit
//! (contracts for BitMEX, Deribit, Huobi swaps).

use super::common::{self, Monotonic};
use super::csv::{self, Cells};
use super::lines::for_each_line;
use super::Options;
use crate::error::{CoreError, Result};
use crate::tables::Tables;
use crate::units::MISSING_I64;

/// Where a data type's fields sit in a row (column indices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    IncrementalL2 {
        is_snapshot: usize,
        side: usize,
        price: usize,
        amount: usize,
    },
    /// one entry per level, in header order
    Snapshot {
        levels: Vec<SnapLevel>,
    },
    Quotes {
        ask_amount: usize,
        ask_price: usize,
        bid_price: usize,
        bid_amount: usize,
    },
    Trades {
        id: usize,
        side: usize,
        price: usize,
        amount: usize,
    },
    Liquidations {
        side: usize,
        price: usize,
        amount: usize,
    },
    DerivativeTicker {
        funding_timestamp: Option<usize>,
        funding_rate: Option<usize>,
        predicted_funding_rate: Option<usize>,
        open_interest: Option<usize>,
        index_price: Option<usize>,
        mark_price: Option<usize>,
    },
}

const KEYS: [&str; 4] = ["exchange", "symbol", "timestamp", "local_timestamp"];

impl Layout {
    /// The data type from the header's column names; `kind = "liquidations"` picks liquidations
    /// for the trades-shaped header (the two share their columns).
    ///
    /// # Errors
    /// A message listing the columns when they match no Tardis data type.
    pub fn from_header(names: &[String], kind: Option<&str>) -> std::result::Result<Self, String> {
        if names.len() < 4 || names[..4] != KEYS {
            return Err(format!("expected the columns to start with {}", KEYS.join(",")));
        }
        let col = |n: &str| names.iter().position(|c| c == n);
        let all = |ns: [&str; 4]| -> Option<[usize; 4]> { Some([col(ns[0])?, col(ns[1])?, col(ns[2])?, col(ns[3])?]) };
        if let Some([is_snapshot, side, price, amount]) = all(["is_snapshot", "side", "price", "amount"]) {
            return Ok(Self::IncrementalL2 { is_snapshot, side, price, amount });
        }
        if names.iter().any(|n| n.starts_with("asks[") || n.starts_with("bids[")) {
            return snapshot_levels(names).map(|levels| Self::Snapshot { levels });
        }
        if let Some([ask_amount, ask_price, bid_price, bid_amount]) =
            all(["ask_amount", "ask_price", "bid_price", "bid_amount"])
        {
            return Ok(Self::Quotes { ask_amount, ask_price, bid_price, bid_amount });
        }
        if let Some([id, side, price, amount]) = all(["id", "side", "price", "amount"]) {
            return Ok(if kind == Some("liquidations") {
                Self::Liquidations { side, price, amount }
            } else {
                Self::Trades { id, side, price, amount }
            });
        }
        let t = Self::DerivativeTicker {
            funding_timestamp: col("funding_timestamp"),
            funding_rate: col("funding_rate"),
            predicted_funding_rate: col("predicted_funding_rate"),
            open_interest: col("open_interest"),
            index_price: col("index_price"),
            mark_price: col("mark_price"),
        };
        if let Self::DerivativeTicker { funding_rate, open_interest, index_price, mark_price, .. } = t {
            if funding_rate.or(open_interest).or(index_price).or(mark_price).is_some() {
                return Ok(t);
            }
        }
        Err(format!(
            "unknown data type (columns: {}); supported: incremental_book_L2, book_snapshot_N, quotes, \
             trades, liquidations, derivative_ticker",
            names[4..].join(",")
        ))
    }

    /// Tardis name of the data type.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::IncrementalL2 { .. } => "incremental_book_L2".into(),
            Self::Snapshot { levels } => {
                format!("book_snapshot_{}", levels.iter().map(|l| l.level + 1).max().unwrap_or(0))
            }
            Self::Quotes { .. } => "quotes".into(),
            Self::Trades { .. } => "trades".into(),
            Self::Liquidations { .. } => "liquidations".into(),
            Self::DerivativeTicker { .. } => "derivative_ticker".into(),
        }
    }
}

/// Columns of one level of a `book_snapshot_N` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapLevel {
    /// +1 bids, -1 asks
    pub side: i8,
    /// level index `i` of `asks[i]` / `bids[i]`
    pub level: usize,
    pub price: usize,
    pub amount: usize,
}

/// `asks[i].price` / `asks[i].amount` / `bids[i]...` columns → one [`SnapLevel`] per (side, i).
fn snapshot_levels(names: &[String]) -> std::result::Result<Vec<SnapLevel>, String> {
    const UNSET: usize = usize::MAX;
    let mut found: Vec<SnapLevel> = Vec::new();
    for (i, n) in names.iter().enumerate().skip(4) {
        let bad = || format!("bad book snapshot column {n:?}");
        let (side, rest) = if let Some(r) = n.strip_prefix("asks[") {
            (-1i8, r)
        } else if let Some(r) = n.strip_prefix("bids[") {
            (1i8, r)
        } else {
            return Err(bad());
        };
        let (idx, field) = rest.split_once("].").ok_or_else(bad)?;
        let level: usize = idx.parse().map_err(|_| bad())?;
        let slot = if let Some(p) = found.iter().position(|l| l.side == side && l.level == level) {
            p
        } else {
            found.push(SnapLevel { side, level, price: UNSET, amount: UNSET });
            found.len() - 1
        };
        match field {
            "price" => found[slot].price = i,
            "amount" => found[slot].amount = i,
            _ => return Err(bad()),
        }
    }
    if let Some(l) = found.iter().find(|l| l.price == UNSET || l.amount == UNSET) {
        return Err(format!("book snapshot level {} has no price or no amount column", l.field("*")));
    }
    Ok(found)
}

/// Per-file state once the header is known.
struct Reader<'o> {
    layout: Layout,
    ncols: usize,
    cells: Cells,
    clock: Monotonic,
    opts: &'o Options<'o>,
    /// (exchange, symbol) of the previous row and its symbol index
    last_key: Option<(Vec<u8>, Vec<u8>, u32)>,
    /// one snapshot's levels (side, px, qty) before they are pushed
    levels: Vec<(i8, i64, i64)>,
}

/// Parse one Tardis CSV file (plain or gzip bytes).
///
/// # Errors
/// A header matching no data type ([`CoreError::Malformed`] on its line, whatever the policy); a
/// truncated stream; the first bad row under [`super::OnError::Raise`].
pub fn parse(data: &[u8], opts: &Options<'_>) -> Result<Tables> {
    let mut t = Tables::default();
    let mut reader: Option<Reader<'_>> = None;
    let lines = for_each_line(data, |line_no, line| match reader.as_mut() {
        None => {
            reader = Some(Reader::new(line, line_no, opts)?);
            Ok(())
        }
        Some(r) => {
            let res = r.row(&mut t, line_no, line);
            opts.on_error.handle(&mut t, res)
        }
    })?;
    t.lines = lines;
    Ok(t)
}

impl<'o> Reader<'o> {
    fn new(header: &[u8], line: u64, opts: &'o Options<'o>) -> Result<Self> {
        let header = header.strip_prefix(b"\xef\xbb\xbf").unwrap_or(header);
        let mut cells = Cells::default();
        cells.split(header);
        let names = cells.strings(header);
        let layout = Layout::from_header(&names, opts.kind).map_err(|msg| CoreError::Malformed {
            line,
            what: "Tardis CSV header",
            msg,
        })?;
        Ok(Self {
            layout,
            ncols: names.len(),
            cells,
            clock: Monotonic::default(),
            opts,
            last_key: None,
            levels: vec![],
        })
    }

    fn row(&mut self, t: &mut Tables, line_no: u64, line: &[u8]) -> Result<()> {
        self.cells.split(line);
        if self.cells.len() != self.ncols {
            return Err(csv::column_count(line_no, "Tardis CSV row", self.ncols, self.cells.len()));
        }
        let c = &self.cells;
        let ts_local = csv::epoch_ns(c.get(line, 3), "local_timestamp", line_no)?;
        let ts_exchange = match c.get(line, 2) {
            b"" => ts_local,
            s => csv::epoch_ns(s, "timestamp", line_no)?,
        };
        match &self.layout {
            Layout::IncrementalL2 { is_snapshot, side, price, amount } => {
                let snap = csv::boolean(c.get(line, *is_snapshot), "is_snapshot", line_no)?;
                let side = book_side(c.get(line, *side), line_no)?;
                let px = common::price(c.get(line, *price), "price", line_no)?;
                let qty = common::size(c.get(line, *amount), "amount", line_no)?;
                let sym = self.accept(t, line, line_no, ts_local)?;
                push_book(t, sym, ts_exchange, ts_local, side, px, qty, snap);
            }
            Layout::Snapshot { levels } => {
                self.levels.clear();
                for l in levels {
                    let (p, a) = (c.get(line, l.price), c.get(line, l.amount));
                    if p.is_empty() && a.is_empty() {
                        continue;
                    }
                    let px = common::price(p, &l.field("price"), line_no)?;
                    let qty = common::size(a, &l.field("amount"), line_no)?;
                    self.levels.push((l.side, px, qty));
                }
                if self.levels.is_empty() {
                    // an empty book is still a snapshot message: one level-less row (side 0) keeps it
                    self.levels.push((0, 0, 0));
                }
                let sym = self.accept(t, line, line_no, ts_local)?;
                for i in 0..self.levels.len() {
                    let (side, px, qty) = self.levels[i];
                    push_book(t, sym, ts_exchange, ts_local, side, px, qty, true);
                }
            }
            Layout::Quotes { ask_amount, ask_price, bid_price, bid_amount } => {
                let ask_qty = csv::opt_size(c.get(line, *ask_amount), "ask_amount", line_no)?;
                let ask_px = common::opt_price(c.get(line, *ask_price), "ask_price", line_no)?;
                let bid_px = common::opt_price(c.get(line, *bid_price), "bid_price", line_no)?;
                let bid_qty = csv::opt_size(c.get(line, *bid_amount), "bid_amount", line_no)?;
                let sym = self.accept(t, line, line_no, ts_local)?;
                let b = &mut t.bbo;
                b.symbol.push(sym);
                b.ts_exchange.push(ts_exchange);
                b.ts_local.push(ts_local);
                b.bid_px.push(bid_px);
                b.bid_qty.push(bid_qty);
                b.ask_px.push(ask_px);
                b.ask_qty.push(ask_qty);
                b.seq.push(MISSING_I64);
            }
            Layout::Trades { id, side, price, amount } => {
                let trade_id = csv::trade_id(c.get(line, *id));
                let aggressor = match c.get(line, *side) {
                    b"buy" => 1,
                    b"sell" => -1,
                    b"unknown" | b"" => 0,
                    s => return Err(bad_side(s, "expected buy, sell or unknown", line_no)),
                };
                let px = common::price(c.get(line, *price), "price", line_no)?;
                let qty = common::size(c.get(line, *amount), "amount", line_no)?;
                let sym = self.accept(t, line, line_no, ts_local)?;
                let tr = &mut t.trade;
                tr.symbol.push(sym);
                tr.ts_exchange.push(ts_exchange);
                tr.ts_local.push(ts_local);
                tr.px.push(px);
                tr.qty.push(qty);
                tr.aggressor.push(aggressor);
                tr.trade_id.push(trade_id);
            }
            Layout::Liquidations { side, price, amount } => {
                let side = match c.get(line, *side) {
                    b"buy" => 1,
                    b"sell" => -1,
                    s => return Err(bad_side(s, "expected buy or sell", line_no)),
                };
                let px = common::price(c.get(line, *price), "price", line_no)?;
                let qty = common::size(c.get(line, *amount), "amount", line_no)?;
                let sym = self.accept(t, line, line_no, ts_local)?;
                let l = &mut t.liquidation;
                l.symbol.push(sym);
                l.ts_exchange.push(ts_exchange);
                l.ts_local.push(ts_local);
                l.side.push(side);
                l.px.push(px);
                l.qty.push(qty);
            }
            Layout::DerivativeTicker {
                funding_timestamp,
                funding_rate,
                predicted_funding_rate,
                open_interest,
                index_price,
                mark_price,
            } => {
                let get = |i: &Option<usize>| i.map_or(&b""[..], |i| c.get(line, i));
                let next_funding_ts = csv::opt_epoch_ns(get(funding_timestamp), "funding_timestamp", line_no)?;
                let fr = common::opt_rate(get(funding_rate), "funding_rate", line_no)?;
                let pfr = common::opt_rate(get(predicted_funding_rate), "predicted_funding_rate", line_no)?;
                let oi = csv::opt_size(get(open_interest), "open_interest", line_no)?;
                let index_px = common::opt_price(get(index_price), "index_price", line_no)?;
                let mark_px = common::opt_price(get(mark_price), "mark_price", line_no)?;
                let sym = self.accept(t, line, line_no, ts_local)?;
                let k = &mut t.ticker;
                k.symbol.push(sym);
                k.ts_exchange.push(ts_exchange);
                k.ts_local.push(ts_local);
                k.mark_px.push(mark_px);
                k.index_px.push(index_px);
                k.oracle_px.push(MISSING_I64);
                k.funding_rate.push(fr);
                k.predicted_funding_rate.push(pfr);
                k.next_funding_ts.push(next_funding_ts);
                k.open_interest.push(oi);
            }
        }
        Ok(())
    }

    /// After a row's fields parsed: check the receive clock, then resolve its symbol index
    /// (interning symbol and venue on first sight). Nothing is pushed before this succeeds.
    fn accept(&mut self, t: &mut Tables, line: &[u8], line_no: u64, ts_local: i64) -> Result<u32> {
        self.clock.check(ts_local, line_no)?;
        let exchange = self.cells.get(line, 0);
        let symbol = self.cells.get(line, 1);
        if let Some((e, s, i)) = &self.last_key {
            if e == exchange && s == symbol {
                return Ok(*i);
            }
        }
        let venue = match self.opts.venue {
            Some(v) => v.to_owned(),
            None if exchange.is_empty() => {
                return Err(CoreError::InvalidValue {
                    line: line_no,
                    field: "exchange".into(),
                    text: String::new(),
                    reason: "empty exchange",
                })
            }
            None => String::from_utf8_lossy(exchange).into_owned(),
        };
        let name = match self.opts.symbol {
            Some(s) => s.to_owned(),
            None if symbol.is_empty() => {
                return Err(CoreError::InvalidValue {
                    line: line_no,
                    field: "symbol".into(),
                    text: String::new(),
                    reason: "empty symbol",
                })
            }
            None => String::from_utf8_lossy(symbol).into_owned(),
        };
        let idx = t.intern(&name);
        match t.venues.get(idx as usize) {
            None => t.venues.push(venue),
            Some(v) if *v == venue => {}
            Some(v) => {
                return Err(CoreError::InvalidValue {
                    line: line_no,
                    field: "exchange".into(),
                    text: venue,
                    reason: if v.is_empty() { "empty exchange" } else { "symbol already seen under another exchange" },
                })
            }
        }
        self.last_key = Some((exchange.to_vec(), symbol.to_vec(), idx));
        Ok(idx)
    }
}

impl SnapLevel {
    /// The header name of one of this level's cells, for error messages (`asks[3].price`).
    fn field(&self, what: &str) -> String {
        format!("{}[{}].{what}", if self.side > 0 { "bids" } else { "asks" }, self.level)
    }
}

fn book_side(text: &[u8], line: u64) -> Result<i8> {
    match text {
        b"bid" => Ok(1),
        b"ask" => Ok(-1),
        s => Err(bad_side(s, "expected bid or ask", line)),
    }
}

fn bad_side(text: &[u8], reason: &'static str, line: u64) -> CoreError {
    CoreError::InvalidValue { line, field: "side".into(), text: String::from_utf8_lossy(text).into_owned(), reason }
}

#[allow(clippy::too_many_arguments)]
fn push_book(t: &mut Tables, sym: u32, ts_exchange: i64, ts_local: i64, side: i8, px: i64, qty: i64, snap: bool) {
    let b = &mut t.book;
    b.symbol.push(sym);
    b.ts_exchange.push(ts_exchange);
    b.ts_local.push(ts_local);
    b.side.push(side);
    b.px.push(px);
    b.qty.push(qty);
    b.is_snapshot.push(snap);
    b.seq_first.push(MISSING_I64);
    b.seq_last.push(MISSING_I64);
    b.seq_prev.push(MISSING_I64);
}

#[cfg(test)]
#[path = "tardis_tests.rs"]
mod tests;
