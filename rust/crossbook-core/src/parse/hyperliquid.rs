//! Hyperliquid websocket captures (`<local_ts> <json>` lines) and S3 archive `l2Book` files
//! (`{"time":"<ISO-8601 ns>","ver_num":1,"raw":{"channel":"l2Book","data":{..}}}` lines, usually lz4).
//!
//! Channels: `l2Book` (a full snapshot each push: every level row has `is_snapshot = true`, no
//! sequence ids), `trades` (a list; side `B` = buyer took, `A` = seller took), `bbo` (a null side
//! is MISSING), `activeAssetCtx` (→ ticker: mark, oracle, funding, open interest; no index price,
//! no exchange time so `ts_exchange = ts_local`). `subscriptionResponse`, `pong` and `error`
//! replies are control messages and are ignored. Exchange `time` is ms → ns. Venue `hyperliquid`,
//! symbol = `coin`; JSON key order does not matter.

use serde::Deserialize;

use super::chunked::{self, append_tables, Clock, LineReader};
use super::common;
use super::jsonmsg::{from_line, price, required, size, OneOrMany};
use super::{Format, Options};
use crate::error::{CoreError, Result};
use crate::tables::Tables;
use crate::units::{epoch_to_ns, parse_iso8601_ns, MISSING_I64};

const WHAT: &str = "Hyperliquid message";
const WHAT_ARCHIVE: &str = "Hyperliquid archive line";

/// `{"channel":..,"data":..}`.
#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(borrow)]
    channel: Option<&'a str>,
    #[serde(borrow)]
    data: Option<OneOrMany<Data<'a>>>,
}

/// An archive line: local receive time as ISO-8601 text plus the websocket message.
#[derive(Deserialize)]
struct ArchiveLine<'a> {
    #[serde(borrow)]
    time: Option<&'a str>,
    #[serde(borrow)]
    raw: Option<Msg<'a>>,
}

/// The union of the `data` objects of every channel we read (and of one trade).
#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    coin: Option<&'a str>,
    /// exchange time, ms
    time: Option<i64>,
    /// l2Book: `[bids, asks]`
    #[serde(borrow)]
    levels: Option<Vec<Vec<Level<'a>>>>,
    /// bbo: `[bid or null, ask or null]`
    #[serde(borrow)]
    bbo: Option<Vec<Option<Level<'a>>>>,
    #[serde(borrow)]
    ctx: Option<Ctx<'a>>,
    // trade fields
    #[serde(borrow)]
    side: Option<&'a str>,
    #[serde(borrow)]
    px: Option<&'a str>,
    #[serde(borrow)]
    sz: Option<&'a str>,
    tid: Option<i64>,
}

#[derive(Deserialize)]
struct Level<'a> {
    #[serde(borrow)]
    px: &'a str,
    #[serde(borrow)]
    sz: &'a str,
}

/// `activeAssetCtx` perp context (decimal strings).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ctx<'a> {
    #[serde(borrow)]
    funding: Option<&'a str>,
    #[serde(borrow)]
    open_interest: Option<&'a str>,
    #[serde(borrow)]
    mark_px: Option<&'a str>,
    #[serde(borrow)]
    oracle_px: Option<&'a str>,
}

struct Reader<'o> {
    t: Tables,
    clock: Clock,
    archive: bool,
    opts: &'o Options<'o>,
    scratch: Vec<(i8, i64, i64)>,
}

impl<'o> Reader<'o> {
    fn symbol(&mut self, coin: Option<&str>, no: u64) -> Result<u32> {
        let s = match self.opts.symbol {
            Some(s) => s,
            None => required(coin, "coin", WHAT, no)?,
        };
        Ok(self.t.intern(s))
    }

    fn message(&mut self, no: u64, ts: i64, m: &Msg<'_>) -> Result<()> {
        let channel = required(m.channel, "channel", WHAT, no)?;
        if matches!(channel, "subscriptionResponse" | "pong" | "error") {
            return Ok(());
        }
        let data = required(m.data.as_ref(), "data", WHAT, no)?;
        match (channel, data) {
            ("l2Book", OneOrMany::One(d)) => self.l2book(no, ts, d),
            ("bbo", OneOrMany::One(d)) => self.bbo(no, ts, d),
            ("activeAssetCtx", OneOrMany::One(d)) => self.ctx(no, ts, d),
            ("trades", OneOrMany::Many(list)) => self.trades(no, ts, list),
            ("l2Book" | "bbo" | "activeAssetCtx" | "trades", _) => Err(CoreError::Malformed {
                line: no,
                what: WHAT,
                msg: format!("{channel} data has the wrong shape (object vs list)"),
            }),
            (other, _) => Err(CoreError::UnknownMessage { line: no, kind: other.to_owned() }),
        }
    }

    fn l2book(&mut self, no: u64, ts: i64, d: &Data<'_>) -> Result<()> {
        let levels = required(d.levels.as_deref(), "levels", WHAT, no)?;
        let [bids, asks] = levels else {
            return Err(CoreError::Malformed { line: no, what: WHAT, msg: "levels must be [bids, asks]".into() });
        };
        self.scratch.clear();
        for (side, list) in [(1i8, bids), (-1i8, asks)] {
            for lv in list {
                self.scratch.push((side, price(lv.px, "px", no)?, size(lv.sz, "sz", no)?));
            }
        }
        if self.scratch.is_empty() {
            self.scratch.push((0, 0, 0)); // an empty book still clears the previous one
        }
        let ts_ex = d.time.map_or(ts, epoch_to_ns);
        let sym = self.symbol(d.coin, no)?;
        let c = &mut self.t.book;
        for &(side, px, qty) in &self.scratch {
            c.symbol.push(sym);
            c.ts_exchange.push(ts_ex);
            c.ts_local.push(ts);
            c.side.push(side);
            c.px.push(px);
            c.qty.push(qty);
            c.is_snapshot.push(true);
            c.seq_first.push(MISSING_I64);
            c.seq_last.push(MISSING_I64);
            c.seq_prev.push(MISSING_I64);
        }
        Ok(())
    }

    fn trades(&mut self, no: u64, ts: i64, list: &[Data<'_>]) -> Result<()> {
        self.scratch.clear();
        for d in list {
            let side = match required(d.side, "side", WHAT, no)? {
                "B" => 1i8,
                "A" => -1i8,
                other => {
                    return Err(CoreError::InvalidValue {
                        line: no,
                        field: "side".into(),
                        text: other.to_owned(),
                        reason: "side must be B or A",
                    })
                }
            };
            let px = price(required(d.px, "px", WHAT, no)?, "px", no)?;
            let qty = size(required(d.sz, "sz", WHAT, no)?, "sz", no)?;
            required(d.tid, "tid", WHAT, no)?;
            required(d.coin, "coin", WHAT, no)?;
            self.scratch.push((side, px, qty));
        }
        let rows = std::mem::take(&mut self.scratch);
        for (d, &(side, px, qty)) in list.iter().zip(&rows) {
            let sym = self.symbol(d.coin, no)?;
            let c = &mut self.t.trade;
            c.symbol.push(sym);
            c.ts_exchange.push(d.time.map_or(ts, epoch_to_ns));
            c.ts_local.push(ts);
            c.px.push(px);
            c.qty.push(qty);
            c.aggressor.push(side);
            c.trade_id.push(d.tid.unwrap_or(MISSING_I64));
        }
        self.scratch = rows;
        Ok(())
    }

    fn bbo(&mut self, no: u64, ts: i64, d: &Data<'_>) -> Result<()> {
        let bbo = required(d.bbo.as_deref(), "bbo", WHAT, no)?;
        let [bid, ask] = bbo else {
            return Err(CoreError::Malformed { line: no, what: WHAT, msg: "bbo must be [bid, ask]".into() });
        };
        let side = |lv: &Option<Level<'_>>| -> Result<(i64, i64)> {
            match lv {
                Some(l) => Ok((price(l.px, "px", no)?, size(l.sz, "sz", no)?)),
                None => Ok((MISSING_I64, MISSING_I64)),
            }
        };
        let (bid_px, bid_qty) = side(bid)?;
        let (ask_px, ask_qty) = side(ask)?;
        let ts_ex = d.time.map_or(ts, epoch_to_ns);
        let sym = self.symbol(d.coin, no)?;
        let c = &mut self.t.bbo;
        c.symbol.push(sym);
        c.ts_exchange.push(ts_ex);
        c.ts_local.push(ts);
        c.bid_px.push(bid_px);
        c.bid_qty.push(bid_qty);
        c.ask_px.push(ask_px);
        c.ask_qty.push(ask_qty);
        c.seq.push(MISSING_I64);
        Ok(())
    }

    fn ctx(&mut self, no: u64, ts: i64, d: &Data<'_>) -> Result<()> {
        let ctx = required(d.ctx.as_ref(), "ctx", WHAT, no)?;
        let mark = common::opt_price(ctx.mark_px.unwrap_or("").as_bytes(), "markPx", no)?;
        let oracle = common::opt_price(ctx.oracle_px.unwrap_or("").as_bytes(), "oraclePx", no)?;
        let funding = common::opt_rate(ctx.funding.unwrap_or("").as_bytes(), "funding", no)?;
        let oi = match ctx.open_interest {
            Some(v) => size(v, "openInterest", no)?,
            None => MISSING_I64,
        };
        let sym = self.symbol(d.coin, no)?;
        let c = &mut self.t.ticker;
        c.symbol.push(sym);
        c.ts_exchange.push(d.time.map_or(ts, epoch_to_ns));
        c.ts_local.push(ts);
        c.mark_px.push(mark);
        c.index_px.push(MISSING_I64);
        c.oracle_px.push(oracle);
        c.funding_rate.push(funding);
        c.predicted_funding_rate.push(f64::NAN);
        c.next_funding_ts.push(MISSING_I64);
        c.open_interest.push(oi);
        Ok(())
    }
}

impl LineReader for Reader<'_> {
    fn line(&mut self, no: u64, line: &[u8]) -> Result<()> {
        if self.archive {
            let a: ArchiveLine<'_> = from_line(line, no, WHAT_ARCHIVE)?;
            let time = required(a.time, "time", WHAT_ARCHIVE, no)?;
            let ts = parse_iso8601_ns(time.as_bytes()).map_err(|e| CoreError::InvalidValue {
                line: no,
                field: "time".into(),
                text: time.to_owned(),
                reason: e.reason(),
            })?;
            self.clock.check(ts, no)?;
            let raw = required(a.raw.as_ref(), "raw", WHAT_ARCHIVE, no)?;
            self.message(no, ts, raw)
        } else {
            let (ts, payload) = common::ts_prefix(line, no)?;
            self.clock.check(ts, no)?;
            let m: Msg<'_> = from_line(payload, no, WHAT)?;
            self.message(no, ts, &m)
        }
    }

    fn tables(&mut self) -> &mut Tables {
        &mut self.t
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn append(&mut self, next: Self) {
        self.clock.append(&next.clock);
        append_tables(&mut self.t, next.t);
    }
}

/// Parse one Hyperliquid file: a websocket capture ([`Format::HyperliquidWs`]) or an archive
/// `l2Book` file ([`Format::HyperliquidArchive`]); plain, gzip or lz4 bytes.
///
/// # Errors
/// Under [`super::OnError::Raise`], the first bad line: [`CoreError::Malformed`],
/// [`CoreError::UnknownMessage`] (an unknown channel), [`CoreError::InvalidValue`],
/// [`CoreError::TimestampBackwards`]; [`CoreError::Truncated`] for a cut compressed stream;
/// [`CoreError::InvalidInput`] for a format that is not Hyperliquid's.
pub fn parse(data: &[u8], format: Format, opts: &Options<'_>) -> Result<Tables> {
    let archive = match format {
        Format::HyperliquidWs => false,
        Format::HyperliquidArchive => true,
        other => return Err(CoreError::InvalidInput(format!("{other:?} is not a Hyperliquid format"))),
    };
    let make = || Reader { t: Tables::default(), clock: Clock::default(), archive, opts, scratch: Vec::new() };
    let mut t = chunked::run(data, opts.on_error, make)?.t;
    t.venues = vec![opts.venue.unwrap_or("hyperliquid").to_owned()];
    Ok(t)
}

#[cfg(test)]
#[path = "hyperliquid_tests.rs"]
mod tests;
