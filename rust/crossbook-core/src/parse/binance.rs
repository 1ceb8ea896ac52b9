//! Binance spot / USDT-M / COIN-M websocket captures: `<local_ts> <json>` lines.
//!
//! The JSON is a combined-stream wrapper `{"stream":..,"data":{..}}` or the bare message.
//! Messages: `bookTicker` (futures with `e`/`E`/`T`, COIN-M with `ps`, spot with only
//! `u,s,b,B,a,A`), `depthUpdate` (futures with `pu`, spot without), `trade`, `aggTrade`,
//! `markPriceUpdate`, `forceOrder`, and the REST depth snapshot written as a bare
//! `{"lastUpdateId":..,"bids":[..],"asks":[..]}` line. Subscription acks (`{"result":null,"id":1}`)
//! are ignored. Exchange times (`E`, `T`, ms — or µs, detected by magnitude) become ns.
//!
//! The venue is one per file, from its content (see [`Evidence`]); `Options::venue` overrides it.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::chunked::{self, append_tables, Clock, LineReader};
use super::common;
use super::jsonmsg::{from_line, price, required, size, Level, OneOrMany, Val};
use super::Options;
use crate::error::{CoreError, Result};
use crate::tables::Tables;
use crate::units::{epoch_to_ns, MISSING_I64};

const WHAT: &str = "Binance message";
/// Placeholder symbol index of snapshot rows whose symbol is known only at the end of the file.
const UNRESOLVED: u32 = u32::MAX;

/// One Binance message: the union of the fields of every type we read (serde skips the rest).
/// Field names are Binance's single letters; see docs/exchange-formats.md § 1.1–1.2.
#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(borrow)]
    stream: Option<&'a str>,
    #[serde(borrow)]
    data: Option<OneOrMany<Msg<'a>>>,
    /// event type
    #[serde(borrow)]
    e: Option<&'a str>,
    /// event time (ms)
    #[serde(rename = "E")]
    event_time: Option<i64>,
    /// transaction / trade time (ms); next funding time in `markPriceUpdate`
    #[serde(rename = "T")]
    time: Option<i64>,
    #[serde(borrow)]
    s: Option<&'a str>,
    /// COIN-M pair (`BTCUSD`)
    #[serde(borrow)]
    ps: Option<&'a str>,
    #[serde(rename = "U")]
    first_id: Option<i64>,
    u: Option<i64>,
    pu: Option<i64>,
    /// bid price (bookTicker) or bid levels (depthUpdate)
    #[serde(borrow)]
    b: Option<Val<'a>>,
    #[serde(rename = "B", borrow)]
    bid_qty: Option<&'a str>,
    /// ask price (bookTicker), ask levels (depthUpdate) or aggregate trade id (aggTrade)
    #[serde(borrow)]
    a: Option<Val<'a>>,
    #[serde(rename = "A", borrow)]
    ask_qty: Option<&'a str>,
    /// trade id
    t: Option<i64>,
    /// trade price, or mark price in `markPriceUpdate`
    #[serde(borrow)]
    p: Option<&'a str>,
    #[serde(borrow)]
    q: Option<&'a str>,
    /// buyer is the maker
    m: Option<bool>,
    /// spot-only "best match" flag (evidence of spot)
    #[serde(rename = "M")]
    best_match: Option<IgnoredAny>,
    /// index price
    #[serde(borrow)]
    i: Option<&'a str>,
    /// funding rate
    #[serde(borrow)]
    r: Option<&'a str>,
    #[serde(borrow)]
    o: Option<Order<'a>>,
    #[serde(rename = "lastUpdateId")]
    last_update_id: Option<i64>,
    #[serde(borrow)]
    bids: Option<Vec<Level<'a>>>,
    #[serde(borrow)]
    asks: Option<Vec<Level<'a>>>,
    /// symbol of a COIN-M REST snapshot
    #[serde(borrow)]
    symbol: Option<&'a str>,
    id: Option<IgnoredAny>,
}

/// The `o` object of a `forceOrder` event.
#[derive(Deserialize)]
struct Order<'a> {
    #[serde(borrow)]
    s: Option<&'a str>,
    #[serde(rename = "S", borrow)]
    side: Option<&'a str>,
    #[serde(borrow)]
    p: Option<&'a str>,
    #[serde(borrow)]
    ap: Option<&'a str>,
    #[serde(borrow)]
    q: Option<&'a str>,
    #[serde(borrow)]
    z: Option<&'a str>,
    #[serde(rename = "T")]
    time: Option<i64>,
}

/// What a file's messages say about its market. Decided at the end: COIN-M evidence wins (a `ps`
/// field, a symbol ending `_PERP` or `_YYMMDD`), then spot evidence (bookTicker without `e`,
/// depthUpdate without `pu`, trades with `M`, a snapshot without `E`/`T`); otherwise USDT-M.
#[derive(Debug, Default, Clone, Copy)]
struct Evidence {
    spot: bool,
    coinm: bool,
}

impl Evidence {
    fn venue(self) -> &'static str {
        if self.coinm {
            "binance-delivery"
        } else if self.spot {
            "binance"
        } else {
            "binance-futures"
        }
    }

    fn symbol(&mut self, s: &str) {
        if !self.coinm && is_coinm_symbol(s) {
            self.coinm = true;
        }
    }
}

/// `BTCUSD_PERP` or a dated delivery contract `BTCUSD_240927`.
fn is_coinm_symbol(s: &str) -> bool {
    match s.rsplit_once('_') {
        Some((_, tail)) => tail == "PERP" || (tail.len() == 6 && tail.bytes().all(|c| c.is_ascii_digit())),
        None => false,
    }
}

struct Reader<'o> {
    t: Tables,
    clock: Clock,
    ev: Evidence,
    opts: &'o Options<'o>,
    /// last interned symbol, to skip the hash lookup on repeats
    last_symbol: Option<(String, u32)>,
    /// line of the first snapshot without a symbol
    unresolved_line: Option<u64>,
    scratch: Vec<(i8, i64, i64)>,
}

impl<'o> Reader<'o> {
    fn new(opts: &'o Options<'o>) -> Self {
        Self {
            t: Tables::default(),
            clock: Clock::default(),
            ev: Evidence::default(),
            opts,
            last_symbol: None,
            unresolved_line: None,
            scratch: Vec::new(),
        }
    }

    fn symbol(&mut self, s: &str) -> u32 {
        self.ev.symbol(s);
        let s = self.opts.symbol.unwrap_or(s);
        if let Some((last, i)) = &self.last_symbol {
            if last == s {
                return *i;
            }
        }
        let i = self.t.intern(s);
        self.last_symbol = Some((s.to_owned(), i));
        i
    }

    fn message(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        if let Some(data) = &m.data {
            for inner in data.items() {
                self.message(no, ts, inner)?;
            }
            return Ok(());
        }
        match m.e {
            Some("bookTicker") => self.book_ticker(no, ts, m),
            Some("depthUpdate") => self.depth(no, ts, m),
            Some("trade" | "aggTrade") => self.trade(no, ts, m),
            Some("markPriceUpdate") => self.mark_price(no, ts, m),
            Some("forceOrder") => self.force_order(no, ts, m),
            Some(other) => Err(CoreError::UnknownMessage { line: no, kind: other.to_owned() }),
            None if m.last_update_id.is_some() => self.snapshot(no, ts, m),
            None if m.u.is_some() && matches!(m.b, Some(Val::Str(_))) => {
                self.ev.spot = true;
                self.book_ticker(no, ts, m)
            }
            None if m.id.is_some() => Ok(()), // subscription ack or error reply
            None => Err(CoreError::UnknownMessage {
                line: no,
                kind: m.stream.map_or_else(|| "message without an event type".to_owned(), str::to_owned),
            }),
        }
    }

    fn book_ticker(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let s = required(m.s, "s", WHAT, no)?;
        if m.ps.is_some() {
            self.ev.coinm = true;
        }
        let (bid_px, bid_qty) = bbo_side(m.b.as_ref(), m.bid_qty, "b", "B", no)?;
        let (ask_px, ask_qty) = bbo_side(m.a.as_ref(), m.ask_qty, "a", "A", no)?;
        let seq = m.u.unwrap_or(MISSING_I64);
        let ts_ex = m.time.or(m.event_time).map_or(ts, epoch_to_ns);
        let sym = self.symbol(s);
        let c = &mut self.t.bbo;
        c.symbol.push(sym);
        c.ts_exchange.push(ts_ex);
        c.ts_local.push(ts);
        c.bid_px.push(bid_px);
        c.bid_qty.push(bid_qty);
        c.ask_px.push(ask_px);
        c.ask_qty.push(ask_qty);
        c.seq.push(seq);
        Ok(())
    }

    fn depth(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let s = required(m.s, "s", WHAT, no)?;
        let first = required(m.first_id, "U", WHAT, no)?;
        let last = required(m.u, "u", WHAT, no)?;
        if m.pu.is_none() {
            self.ev.spot = true;
        }
        if m.ps.is_some() {
            self.ev.coinm = true;
        }
        let bids = levels(m.b.as_ref(), "b", no)?;
        let asks = levels(m.a.as_ref(), "a", no)?;
        self.fill_levels(bids, asks, no)?;
        let ts_ex = m.event_time.or(m.time).map_or(ts, epoch_to_ns);
        let sym = self.symbol(s);
        self.push_levels(sym, ts_ex, ts, false, (first, last, m.pu.unwrap_or(MISSING_I64)));
        Ok(())
    }

    fn snapshot(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let id = required(m.last_update_id, "lastUpdateId", WHAT, no)?;
        let bids = required(m.bids.as_deref(), "bids", WHAT, no)?;
        let asks = required(m.asks.as_deref(), "asks", WHAT, no)?;
        if m.event_time.is_none() && m.time.is_none() {
            self.ev.spot = true;
        }
        self.fill_levels(bids, asks, no)?;
        let ts_ex = m.event_time.or(m.time).map_or(ts, epoch_to_ns);
        let sym = match (m.symbol, self.opts.symbol) {
            (Some(s), _) => self.symbol(s),
            (None, Some(s)) => self.symbol(s),
            (None, None) => {
                self.unresolved_line.get_or_insert(no);
                UNRESOLVED
            }
        };
        self.push_levels(sym, ts_ex, ts, true, (id, id, MISSING_I64));
        Ok(())
    }

    /// Parse both sides into `scratch` (so a bad level drops the whole message).
    fn fill_levels(&mut self, bids: &[Level<'_>], asks: &[Level<'_>], no: u64) -> Result<()> {
        self.scratch.clear();
        for (side, lv, name) in [(1i8, bids, "b"), (-1i8, asks, "a")] {
            for [px, qty] in lv {
                self.scratch.push((side, price(px, name, no)?, size(qty, name, no)?));
            }
        }
        Ok(())
    }

    /// Push the rows in `scratch` (or one sequence-only row when it is empty).
    fn push_levels(&mut self, sym: u32, ts_ex: i64, ts: i64, snap: bool, (first, last, prev): (i64, i64, i64)) {
        if self.scratch.is_empty() {
            self.scratch.push((0, 0, 0));
        }
        let c = &mut self.t.book;
        for &(side, px, qty) in &self.scratch {
            c.symbol.push(sym);
            c.ts_exchange.push(ts_ex);
            c.ts_local.push(ts);
            c.side.push(side);
            c.px.push(px);
            c.qty.push(qty);
            c.is_snapshot.push(snap);
            c.seq_first.push(first);
            c.seq_last.push(last);
            c.seq_prev.push(prev);
        }
    }

    fn trade(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let s = required(m.s, "s", WHAT, no)?;
        let id = if m.e == Some("aggTrade") {
            match m.a {
                Some(Val::Int(a)) => a,
                _ => return Err(malformed(no, "aggTrade field \"a\" must be an integer id")),
            }
        } else {
            required(m.t, "t", WHAT, no)?
        };
        if m.best_match.is_some() {
            self.ev.spot = true;
        }
        let px = price(required(m.p, "p", WHAT, no)?, "p", no)?;
        let qty = size(required(m.q, "q", WHAT, no)?, "q", no)?;
        let buyer_maker = required(m.m, "m", WHAT, no)?;
        let ts_ex = m.time.or(m.event_time).map_or(ts, epoch_to_ns);
        let sym = self.symbol(s);
        let c = &mut self.t.trade;
        c.symbol.push(sym);
        c.ts_exchange.push(ts_ex);
        c.ts_local.push(ts);
        c.px.push(px);
        c.qty.push(qty);
        c.aggressor.push(if buyer_maker { -1 } else { 1 });
        c.trade_id.push(id);
        Ok(())
    }

    fn mark_price(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let s = required(m.s, "s", WHAT, no)?;
        let mark = price(required(m.p, "p", WHAT, no)?, "p", no)?;
        let index = common::opt_price(m.i.unwrap_or("").as_bytes(), "i", no)?;
        let funding = common::opt_rate(m.r.unwrap_or("").as_bytes(), "r", no)?;
        // delivery contracts send T = 0 (no funding)
        let next = m.time.filter(|&t| t > 0).map_or(MISSING_I64, epoch_to_ns);
        let ts_ex = m.event_time.map_or(ts, epoch_to_ns);
        let sym = self.symbol(s);
        let c = &mut self.t.ticker;
        c.symbol.push(sym);
        c.ts_exchange.push(ts_ex);
        c.ts_local.push(ts);
        c.mark_px.push(mark);
        c.index_px.push(index);
        c.oracle_px.push(MISSING_I64);
        c.funding_rate.push(funding);
        c.predicted_funding_rate.push(f64::NAN);
        c.next_funding_ts.push(next);
        c.open_interest.push(MISSING_I64);
        Ok(())
    }

    fn force_order(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let o = required(m.o.as_ref(), "o", WHAT, no)?;
        let s = required(o.s, "o.s", WHAT, no)?;
        let side = match required(o.side, "o.S", WHAT, no)? {
            "BUY" => 1i8,
            "SELL" => -1i8,
            other => {
                return Err(CoreError::InvalidValue {
                    line: no,
                    field: "o.S".into(),
                    text: other.to_owned(),
                    reason: "side must be BUY or SELL",
                })
            }
        };
        // an average price of 0 means not filled yet: fall back to the order price
        let px = match o.ap.map(|ap| nonzero_price(ap, "o.ap", no)).transpose()?.flatten() {
            Some(ap) => ap,
            None => price(required(o.p, "o.p", WHAT, no)?, "o.p", no)?,
        };
        let filled = match o.z {
            Some(z) => size(z, "o.z", no)?,
            None => 0,
        };
        let qty = if filled > 0 { filled } else { size(required(o.q, "o.q", WHAT, no)?, "o.q", no)? };
        let ts_ex = o.time.or(m.event_time).map_or(ts, epoch_to_ns);
        let sym = self.symbol(s);
        let c = &mut self.t.liquidation;
        c.symbol.push(sym);
        c.ts_exchange.push(ts_ex);
        c.ts_local.push(ts);
        c.side.push(side);
        c.px.push(px);
        c.qty.push(qty);
        Ok(())
    }

    /// Resolve snapshot symbols and set the venue (after every line has been read).
    fn finish(mut self) -> Result<Tables> {
        if let Some(line) = self.unresolved_line {
            let sym = match self.t.symbols.len() {
                1 => 0,
                0 => {
                    return Err(malformed(
                        line,
                        "depth snapshot without a symbol in a file with no other messages; pass symbol=",
                    ))
                }
                _ => {
                    return Err(malformed(
                        line,
                        "depth snapshot without a symbol in a file with several symbols; pass symbol=",
                    ))
                }
            };
            for s in &mut self.t.book.symbol {
                if *s == UNRESOLVED {
                    *s = sym;
                }
            }
        }
        let venue = self.opts.venue.unwrap_or_else(|| self.ev.venue());
        self.t.venues = vec![venue.to_owned()];
        Ok(self.t)
    }
}

fn malformed(line: u64, msg: &str) -> CoreError {
    CoreError::Malformed { line, what: WHAT, msg: msg.to_owned() }
}

fn levels<'v, 'a>(v: Option<&'v Val<'a>>, field: &str, no: u64) -> Result<&'v [Level<'a>]> {
    match v {
        Some(Val::Levels(l)) => Ok(l),
        Some(_) => Err(malformed(no, &format!("depthUpdate field {field:?} must be an array of levels"))),
        None => Err(malformed(no, &format!("missing field {field:?}"))),
    }
}

/// One side of a bookTicker: (price, qty). An empty side (price 0) gives a MISSING price.
fn bbo_side(px: Option<&Val<'_>>, qty: Option<&str>, pf: &str, qf: &str, no: u64) -> Result<(i64, i64)> {
    let px = match px {
        Some(Val::Str(p)) => p,
        Some(_) => return Err(malformed(no, &format!("bookTicker field {pf:?} must be a price string"))),
        None => return Err(malformed(no, &format!("missing field {pf:?}"))),
    };
    let qty = size(required(qty, qf, WHAT, no)?, qf, no)?;
    Ok((nonzero_price(px, pf, no)?.unwrap_or(MISSING_I64), qty))
}

/// A price where `0` means "none": `Ok(None)` for zero, else as [`price`].
fn nonzero_price(text: &str, field: &str, no: u64) -> Result<Option<i64>> {
    match super::jsonmsg::fast_scaled(text.as_bytes(), crate::units::PX_EXP) {
        Some(0) => Ok(None),
        Some(v) => Ok(Some(v)),
        None => match crate::units::parse_scaled(text.as_bytes(), crate::units::PX_EXP) {
            Ok(0) => Ok(None),
            _ => price(text, field, no).map(Some),
        },
    }
}

impl LineReader for Reader<'_> {
    fn line(&mut self, no: u64, line: &[u8]) -> Result<()> {
        let (ts, payload) = common::ts_prefix(line, no)?;
        self.clock.check(ts, no)?;
        let msg: Msg<'_> = from_line(payload, no, WHAT)?;
        self.message(no, ts, &msg)
    }

    fn tables(&mut self) -> &mut Tables {
        &mut self.t
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn append(&mut self, next: Self) {
        self.clock.append(&next.clock);
        self.ev.spot |= next.ev.spot;
        self.ev.coinm |= next.ev.coinm;
        if self.unresolved_line.is_none() {
            self.unresolved_line = next.unresolved_line;
        }
        self.last_symbol = None;
        append_tables(&mut self.t, next.t);
    }
}

/// Parse one Binance capture file (plain, gzip or lz4 bytes).
///
/// # Errors
/// Under [`super::OnError::Raise`], the first bad line: [`CoreError::Malformed`] (not JSON, missing
/// field), [`CoreError::UnknownMessage`] (an event type not listed above),
/// [`CoreError::InvalidValue`] (NaN, negative size), [`CoreError::TimestampBackwards`];
/// [`CoreError::Truncated`] for a cut compressed stream; [`CoreError::Malformed`] when a depth
/// snapshot's symbol cannot be known.
pub fn parse(data: &[u8], opts: &Options<'_>) -> Result<Tables> {
    chunked::run(data, opts.on_error, || Reader::new(opts))?.finish()
}

#[cfg(test)]
#[path = "binance_tests.rs"]
mod tests;
