//! data.binance.vision CSVs (plain bytes; the Python reader unwraps the `.zip`) → tables.
//!
//! The data type comes in `opts.kind` (the file content does not say it when the header row is
//! absent). A header row is optional: the first line is a header when its first cell is the type's
//! first column name, or (for types whose first column is a number) not a number. With a header,
//! columns are found by name; without one, by their documented position.
//!
//! | kind | columns | table |
//! |---|---|---|
//! | `bookTicker` | `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time` | `bbo`: `seq` = update_id, `ts_exchange` = transaction_time, `ts_local` = event_time |
//! | `aggTrades` | `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]` | `trade`: trade_id = agg_trade_id |
//! | `trades` | `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` | `trade` |
//! | `metrics` | `create_time,symbol,sum_open_interest,...` | `ticker.open_interest` only |
//! | `fundingRate` | `calc_time,funding_interval_hours,last_funding_rate` | `ticker.funding_rate` only |
//! | `depth` | `symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu` | `book` |
//!
//! Choices, since these archives carry no receive time:
//! - `bookTicker`: `event_time` (when Binance pushed the event) stands in for `ts_local`, and
//!   `transaction_time` (the matching-engine time) is `ts_exchange`;
//! - every other type has one time column, used for both `ts_exchange` and `ts_local`;
//! - `aggTrades` / `trades`: `is_buyer_maker = true` means the seller was the taker → aggressor -1;
//! - `metrics`: only `sum_open_interest` has a place in the data model; `sum_open_interest_value`
//!   and the four long/short ratio columns are dropped; `create_time` is UTC text
//!   `YYYY-MM-DD HH:MM:SS`;
//! - `fundingRate`: `calc_time` is the funding event itself, so `next_funding_ts` stays MISSING and
//!   `funding_interval_hours` is dropped;
//! - `depth`: side `b`/`a` → +1/-1, update_type `snap` → is_snapshot, `pu = -1` → MISSING.
//!
//! Epoch timestamps are converted by magnitude (futures archives use ms; spot archives switched to
//! µs on 2025-01-01). Rows are kept in file order; the clock is not checked for monotonicity (the
//! archives are ordered by id, and several rows share one time). Symbol: the file's `symbol`
//! column where there is one, else `opts.symbol` (the Python reader takes it from the file name),
//! else [`CoreError::InvalidInput`]. Venue: `opts.venue`, else `binance-futures`.

use super::common;
use super::csv::{self, Cells};
use super::lines::for_each_line;
use super::Options;
use crate::error::{CoreError, Result};
use crate::tables::Tables;
use crate::units::{self, MISSING_I64};

/// The data.binance.vision data types this reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BookTicker,
    AggTrades,
    Trades,
    Metrics,
    FundingRate,
    Depth,
}

impl Kind {
    /// Parse the kind name used in the archive paths (`bookTicker`, `aggTrades`, ...).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an unknown or absent name.
    pub fn from_name(name: Option<&str>) -> Result<Self> {
        Ok(match name {
            Some("bookTicker") => Self::BookTicker,
            Some("aggTrades") => Self::AggTrades,
            Some("trades") => Self::Trades,
            Some("metrics") => Self::Metrics,
            Some("fundingRate") => Self::FundingRate,
            Some("depth") => Self::Depth,
            other => {
                return Err(CoreError::InvalidInput(format!(
                    "binance_csv needs kind= one of bookTicker, aggTrades, trades, metrics, fundingRate, \
                     depth; got {other:?}"
                )))
            }
        })
    }

    /// Documented column names, in order (the positions of a headerless file).
    #[must_use]
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::BookTicker => &[
                "update_id",
                "best_bid_price",
                "best_bid_qty",
                "best_ask_price",
                "best_ask_qty",
                "transaction_time",
                "event_time",
            ],
            Self::AggTrades => &[
                "agg_trade_id",
                "price",
                "quantity",
                "first_trade_id",
                "last_trade_id",
                "transact_time",
                "is_buyer_maker",
            ],
            Self::Trades => &["id", "price", "qty", "quote_qty", "time", "is_buyer_maker"],
            Self::Metrics => &["create_time", "symbol", "sum_open_interest"],
            Self::FundingRate => &["calc_time", "funding_interval_hours", "last_funding_rate"],
            Self::Depth => &[
                "symbol",
                "timestamp",
                "first_update_id",
                "last_update_id",
                "side",
                "update_type",
                "price",
                "qty",
                "pu",
            ],
        }
    }

    /// Column counts a headerless row may have.
    fn allowed_counts(self) -> &'static [usize] {
        match self {
            Self::BookTicker => &[7],
            Self::AggTrades => &[7, 8],
            Self::Trades => &[6, 7],
            Self::Metrics => &[8],
            Self::FundingRate => &[3],
            Self::Depth => &[9],
        }
    }

    fn has_symbol_column(self) -> bool {
        matches!(self, Self::Metrics | Self::Depth)
    }

    fn what(self) -> &'static str {
        match self {
            Self::BookTicker => "bookTicker CSV row",
            Self::AggTrades => "aggTrades CSV row",
            Self::Trades => "trades CSV row",
            Self::Metrics => "metrics CSV row",
            Self::FundingRate => "fundingRate CSV row",
            Self::Depth => "depth CSV row",
        }
    }
}

/// Per-file state.
struct Reader<'o> {
    kind: Kind,
    /// column index of each of `kind.columns()` in this file
    idx: Vec<usize>,
    /// cells per row, once known (header length, or the first headerless row's)
    ncols: Option<usize>,
    cells: Cells,
    opts: &'o Options<'o>,
    /// symbol text of the previous row and its index
    last_symbol: Option<(Vec<u8>, u32)>,
}

/// Parse one data.binance.vision CSV (plain or gzip bytes) of type `opts.kind`.
///
/// # Errors
/// [`CoreError::InvalidInput`] for an unknown kind, or a symbol-less type without `opts.symbol`;
/// a header lacking a needed column ([`CoreError::Malformed`] on line 1, whatever the policy);
/// the first bad row under [`super::OnError::Raise`].
pub fn parse(data: &[u8], opts: &Options<'_>) -> Result<Tables> {
    let kind = Kind::from_name(opts.kind)?;
    if !kind.has_symbol_column() && opts.symbol.is_none() {
        return Err(CoreError::InvalidInput(format!(
            "Binance {} CSV has no symbol column: pass symbol= (or keep the archive file name, \
             e.g. BTCUSDT-{}-2024-01-01.csv)",
            opts.kind.unwrap_or(""),
            opts.kind.unwrap_or("")
        )));
    }
    let mut t = Tables::default();
    t.venues.push(opts.venue.unwrap_or("binance-futures").to_owned());
    let mut r = Reader {
        kind,
        idx: (0..kind.columns().len()).collect(),
        ncols: None,
        cells: Cells::default(),
        opts,
        last_symbol: None,
    };
    let mut first = true;
    let lines = for_each_line(data, |line_no, line| {
        if std::mem::take(&mut first) {
            let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
            r.cells.split(line);
            if r.is_header(line) {
                return r.header(line, line_no);
            }
            let res = r.row(&mut t, line_no, line);
            return opts.on_error.handle(&mut t, res);
        }
        let res = r.row(&mut t, line_no, line);
        opts.on_error.handle(&mut t, res)
    })?;
    t.lines = lines;
    Ok(t)
}

impl Reader<'_> {
    /// True when the (already split) first line is a header row.
    fn is_header(&self, line: &[u8]) -> bool {
        let first = self.cells.get(line, 0).trim_ascii();
        if first.eq_ignore_ascii_case(self.kind.columns()[0].as_bytes()) {
            return true;
        }
        self.kind != Kind::Depth && !first.first().is_some_and(u8::is_ascii_digit)
    }

    /// Map the needed columns by name.
    fn header(&mut self, line: &[u8], line_no: u64) -> Result<()> {
        let names = self.cells.strings(line);
        let mut missing = vec![];
        for (k, want) in self.kind.columns().iter().enumerate() {
            match names.iter().position(|n| n.eq_ignore_ascii_case(want)) {
                Some(i) => self.idx[k] = i,
                None => missing.push(*want),
            }
        }
        if !missing.is_empty() {
            return Err(CoreError::Malformed {
                line: line_no,
                what: "Binance CSV header",
                msg: format!("no column {} (columns: {})", missing.join(", "), names.join(",")),
            });
        }
        self.ncols = Some(names.len());
        Ok(())
    }

    fn cell<'l>(&self, line: &'l [u8], k: usize) -> &'l [u8] {
        self.cells.get(line, self.idx[k])
    }

    fn row(&mut self, t: &mut Tables, line_no: u64, line: &[u8]) -> Result<()> {
        self.cells.split(line);
        let n = self.cells.len();
        let want = match self.ncols {
            Some(w) => w,
            None => {
                let allowed = self.kind.allowed_counts();
                if !allowed.contains(&n) {
                    return Err(csv::column_count(line_no, self.kind.what(), allowed[0], n));
                }
                self.ncols = Some(n);
                n
            }
        };
        if n != want {
            return Err(csv::column_count(line_no, self.kind.what(), want, n));
        }
        let names = self.kind.columns();
        let int = |k: usize| csv::int(self.cell(line, k), names[k], line_no);
        let ts = |k: usize| csv::epoch_ns(self.cell(line, k), names[k], line_no);
        let px = |k: usize| common::price(self.cell(line, k), names[k], line_no);
        let qty = |k: usize| common::size(self.cell(line, k), names[k], line_no);
        match self.kind {
            Kind::BookTicker => {
                let (seq, bid_px, bid_qty, ask_px, ask_qty) = (int(0)?, px(1)?, qty(2)?, px(3)?, qty(4)?);
                let (ts_exchange, ts_local) = (ts(5)?, ts(6)?);
                let b = &mut t.bbo;
                b.symbol.push(0);
                b.ts_exchange.push(ts_exchange);
                b.ts_local.push(ts_local);
                b.bid_px.push(bid_px);
                b.bid_qty.push(bid_qty);
                b.ask_px.push(ask_px);
                b.ask_qty.push(ask_qty);
                b.seq.push(seq);
                self.symbol_of_file(t);
            }
            Kind::AggTrades | Kind::Trades => {
                let (id, p, q) = (int(0)?, px(1)?, qty(2)?);
                let (tk, mk) = if self.kind == Kind::AggTrades { (5, 6) } else { (4, 5) };
                let time = ts(tk)?;
                let maker = csv::boolean(self.cell(line, mk), names[mk], line_no)?;
                let tr = &mut t.trade;
                tr.symbol.push(0);
                tr.ts_exchange.push(time);
                tr.ts_local.push(time);
                tr.px.push(p);
                tr.qty.push(q);
                tr.aggressor.push(if maker { -1 } else { 1 });
                tr.trade_id.push(id);
                self.symbol_of_file(t);
            }
            Kind::Metrics => {
                let text = self.cell(line, 0);
                let time = units::parse_iso8601_ns(text.trim_ascii()).map_err(|e| CoreError::InvalidValue {
                    line: line_no,
                    field: names[0].into(),
                    text: String::from_utf8_lossy(text).into_owned(),
                    reason: if e == units::DecimalError::Invalid { "expected YYYY-MM-DD HH:MM:SS" } else { e.reason() },
                })?;
                let oi = csv::opt_size(self.cell(line, 2), names[2], line_no)?;
                let sym = self.symbol_of_row(t, line, line_no, 1)?;
                push_ticker(t, sym, time, f64::NAN, oi);
            }
            Kind::FundingRate => {
                let time = ts(0)?;
                let rate = common::rate(self.cell(line, 2), names[2], line_no)?;
                self.symbol_of_file(t);
                push_ticker(t, 0, time, rate, MISSING_I64);
            }
            Kind::Depth => {
                let time = ts(1)?;
                let (first, last) = (int(2)?, int(3)?);
                let side = match self.cell(line, 4).trim_ascii() {
                    b"b" | b"B" | b"bid" => 1,
                    b"a" | b"A" | b"ask" => -1,
                    s => return Err(invalid(line_no, names[4], s, "expected b or a")),
                };
                let snap = match self.cell(line, 5).trim_ascii() {
                    b"snap" => true,
                    b"set" => false,
                    s => return Err(invalid(line_no, names[5], s, "expected snap or set")),
                };
                let (p, q) = (px(6)?, qty(7)?);
                let pu = match int(8)? {
                    -1 => MISSING_I64,
                    v => v,
                };
                let sym = self.symbol_of_row(t, line, line_no, 0)?;
                let b = &mut t.book;
                b.symbol.push(sym);
                b.ts_exchange.push(time);
                b.ts_local.push(time);
                b.side.push(side);
                b.px.push(p);
                b.qty.push(q);
                b.is_snapshot.push(snap);
                b.seq_first.push(first);
                b.seq_last.push(last);
                b.seq_prev.push(pu);
            }
        }
        Ok(())
    }

    /// The one symbol of a file without a symbol column (index 0), interned on first use.
    fn symbol_of_file(&self, t: &mut Tables) {
        if t.symbols.is_empty() {
            t.intern(self.opts.symbol.unwrap_or(""));
        }
    }

    /// The symbol index of a row with a symbol column (`opts.symbol` fills empty cells).
    fn symbol_of_row(&mut self, t: &mut Tables, line: &[u8], line_no: u64, k: usize) -> Result<u32> {
        let text = self.cell(line, k).trim_ascii();
        if let Some((s, i)) = &self.last_symbol {
            if s == text {
                return Ok(*i);
            }
        }
        let name = match (text, self.opts.symbol) {
            (b"", Some(s)) => s.to_owned(),
            (b"", None) => return Err(invalid(line_no, "symbol", text, "empty symbol; pass symbol=")),
            (s, _) => String::from_utf8_lossy(s).into_owned(),
        };
        let i = t.intern(&name);
        self.last_symbol = Some((text.to_vec(), i));
        Ok(i)
    }
}

fn invalid(line: u64, field: &str, text: &[u8], reason: &'static str) -> CoreError {
    CoreError::InvalidValue { line, field: field.to_owned(), text: String::from_utf8_lossy(text).into_owned(), reason }
}

fn push_ticker(t: &mut Tables, sym: u32, time: i64, funding_rate: f64, open_interest: i64) {
    let k = &mut t.ticker;
    k.symbol.push(sym);
    k.ts_exchange.push(time);
    k.ts_local.push(time);
    k.mark_px.push(MISSING_I64);
    k.index_px.push(MISSING_I64);
    k.oracle_px.push(MISSING_I64);
    k.funding_rate.push(funding_rate);
    k.predicted_funding_rate.push(f64::NAN);
    k.next_funding_ts.push(MISSING_I64);
    k.open_interest.push(open_interest);
}

#[cfg(test)]
#[path = "binance_csv_tests.rs"]
mod tests;
