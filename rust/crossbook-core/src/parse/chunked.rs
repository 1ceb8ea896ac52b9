//! Running a line reader over a file: in parallel over chunks of lines when the bytes are plain,
//! with decompression on a second thread when they are gzip or lz4 (see [`super::blocks`]).
//!
//! Results are identical to a sequential pass: chunks are cut at line ends, numbered from the
//! line count of the chunks before them, and appended in file order. Whenever the parallel pass
//! could differ from the sequential one — a chunk stopped at an error under
//! [`OnError::Raise`], or the receive clock goes backwards across a chunk boundary — the file is
//! read again sequentially, so the first error and every skip are exactly those of one pass.

use rayon::prelude::*;

use super::blocks::for_each_line_pipelined;
use super::common::Monotonic;
use super::lines::{for_each_line, Decoded};
use super::OnError;
use crate::error::Result;
use crate::tables::Tables;

/// Plain inputs smaller than this (bytes) are read sequentially.
const PARALLEL_MIN_BYTES: usize = 2 << 20;
/// Target chunk size (bytes) of the parallel pass.
const CHUNK_BYTES: usize = 1 << 20;
/// Compressed inputs smaller than this (bytes) are decoded on the parsing thread.
const PIPELINE_MIN_BYTES: usize = 256 << 10;

/// A reader that consumes lines in order and can be appended to another one.
pub trait LineReader: Send + Sized {
    /// Handle one non-empty line (1-based number, no line end).
    ///
    /// # Errors
    /// The line's error; the caller applies the [`OnError`] policy.
    fn line(&mut self, no: u64, line: &[u8]) -> Result<()>;
    /// The tables filled so far.
    fn tables(&mut self) -> &mut Tables;
    /// The receive-clock state (first and last accepted `ts_local`).
    fn clock(&self) -> &Clock;
    /// Append `next`, read from the lines right after this reader's lines.
    fn append(&mut self, next: Self);
}

/// A file's receive clock: [`Monotonic`] plus the first and last accepted timestamps (ns), which
/// let chunk boundaries be checked after a parallel pass.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clock {
    mono: Monotonic,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl Clock {
    /// Accept `ts` (ns) at `line` if not before the previous accepted timestamp.
    ///
    /// # Errors
    /// [`crate::CoreError::TimestampBackwards`].
    pub fn check(&mut self, ts: i64, line: u64) -> Result<()> {
        self.mono.check(ts, line)?;
        if self.first.is_none() {
            self.first = Some(ts);
        }
        self.last = Some(ts);
        Ok(())
    }

    /// Fold in the clock of the chunk that follows.
    pub fn append(&mut self, next: &Clock) {
        if next.last.is_some() {
            self.mono = next.mono;
            self.last = next.last;
        }
        if self.first.is_none() {
            self.first = next.first;
        }
    }
}

/// Read every line of `data` (plain, gzip or lz4) with readers made by `make`; sets
/// [`Tables::lines`].
///
/// # Errors
/// Under [`OnError::Raise`] the first bad line's error (or a truncated stream, always).
pub fn run<R, F>(data: &[u8], on_error: OnError, make: F) -> Result<R>
where
    R: LineReader,
    F: Fn() -> R + Sync,
{
    let kind = Decoded::detect(data);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if kind == Decoded::Plain && data.len() >= PARALLEL_MIN_BYTES && rayon::current_num_threads() > 1 {
        if let Some(r) = run_parallel(data, on_error, &make) {
            return Ok(r);
        }
    }
    let pipelined = kind != Decoded::Plain && data.len() >= PIPELINE_MIN_BYTES && cores > 1;
    run_sequential(data, on_error, make(), pipelined)
}

fn run_sequential<R: LineReader>(data: &[u8], on_error: OnError, mut r: R, pipelined: bool) -> Result<R> {
    let each = |no: u64, line: &[u8]| {
        let res = r.line(no, line);
        on_error.handle(r.tables(), res)
    };
    let n =
        if pipelined { for_each_line_pipelined(data, Decoded::detect(data), each) } else { for_each_line(data, each) };
    // under skip, a truncated stream is one counted skip after the last complete line
    let n = match n {
        Ok(n) => n,
        Err(e @ crate::CoreError::Truncated { .. }) if on_error == OnError::Skip => {
            let line = e.line().unwrap_or(0);
            on_error.handle(r.tables(), Err(e))?;
            line
        }
        Err(e) => return Err(e),
    };
    r.tables().lines = n;
    Ok(r)
}

/// The parallel pass; `None` when its result might differ from a sequential pass.
fn run_parallel<R, F>(data: &[u8], on_error: OnError, make: &F) -> Option<R>
where
    R: LineReader,
    F: Fn() -> R + Sync,
{
    let chunks = split_lines(data, CHUNK_BYTES);
    let newlines: Vec<u64> = chunks.par_iter().map(|c| memchr::memchr_iter(b'\n', c).count() as u64).collect();
    let mut offsets = Vec::with_capacity(chunks.len());
    let mut total = 0u64;
    for n in &newlines {
        offsets.push(total);
        total += n;
    }
    if data.last().is_some_and(|&b| b != b'\n') {
        total += 1; // an unterminated last line
    }
    let results: Vec<Option<R>> = chunks
        .par_iter()
        .zip(offsets.par_iter())
        .map(|(chunk, &offset)| {
            let mut r = make();
            for_each_line(chunk, |no, line| {
                let res = r.line(no + offset, line);
                on_error.handle(r.tables(), res)
            })
            .ok()
            .map(|_| r)
        })
        .collect();
    let mut it = results.into_iter();
    let mut acc = it.next()??;
    for r in it {
        let r = r?;
        if let (Some(prev), Some(first)) = (acc.clock().last, r.clock().first) {
            if first < prev {
                return None;
            }
        }
        acc.append(r);
    }
    acc.tables().lines = total;
    Some(acc)
}

/// Cut `data` into pieces of about `target` bytes, each ending just after a `\n` (the last may not).
fn split_lines(data: &[u8], target: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(data.len() / target + 1);
    let mut rest = data;
    while rest.len() > target {
        match memchr::memchr(b'\n', &rest[target..]) {
            Some(pos) => {
                let (a, b) = rest.split_at(target + pos + 1);
                out.push(a);
                rest = b;
            }
            None => break,
        }
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Append the rows of `src` to `dst`, re-indexing symbols into `dst`'s interned list. Symbol
/// indices at or above `src.symbols.len()` (e.g. the symbol of a snapshot not resolved yet)
/// are kept as they are.
pub fn append_tables(dst: &mut Tables, src: Tables) {
    let map: Vec<u32> = src.symbols.iter().map(|s| dst.intern(s)).collect();
    let map = &map;
    let remap = |v: Vec<u32>| v.into_iter().map(move |i| map.get(i as usize).copied().unwrap_or(i));
    let Tables { bbo, book, trade, ticker, liquidation, skipped, .. } = src;
    dst.bbo.symbol.extend(remap(bbo.symbol));
    dst.bbo.ts_exchange.extend(bbo.ts_exchange);
    dst.bbo.ts_local.extend(bbo.ts_local);
    dst.bbo.bid_px.extend(bbo.bid_px);
    dst.bbo.bid_qty.extend(bbo.bid_qty);
    dst.bbo.ask_px.extend(bbo.ask_px);
    dst.bbo.ask_qty.extend(bbo.ask_qty);
    dst.bbo.seq.extend(bbo.seq);
    dst.book.symbol.extend(remap(book.symbol));
    dst.book.ts_exchange.extend(book.ts_exchange);
    dst.book.ts_local.extend(book.ts_local);
    dst.book.side.extend(book.side);
    dst.book.px.extend(book.px);
    dst.book.qty.extend(book.qty);
    dst.book.is_snapshot.extend(book.is_snapshot);
    dst.book.seq_first.extend(book.seq_first);
    dst.book.seq_last.extend(book.seq_last);
    dst.book.seq_prev.extend(book.seq_prev);
    dst.trade.symbol.extend(remap(trade.symbol));
    dst.trade.ts_exchange.extend(trade.ts_exchange);
    dst.trade.ts_local.extend(trade.ts_local);
    dst.trade.px.extend(trade.px);
    dst.trade.qty.extend(trade.qty);
    dst.trade.aggressor.extend(trade.aggressor);
    dst.trade.trade_id.extend(trade.trade_id);
    dst.ticker.symbol.extend(remap(ticker.symbol));
    dst.ticker.ts_exchange.extend(ticker.ts_exchange);
    dst.ticker.ts_local.extend(ticker.ts_local);
    dst.ticker.mark_px.extend(ticker.mark_px);
    dst.ticker.index_px.extend(ticker.index_px);
    dst.ticker.oracle_px.extend(ticker.oracle_px);
    dst.ticker.funding_rate.extend(ticker.funding_rate);
    dst.ticker.predicted_funding_rate.extend(ticker.predicted_funding_rate);
    dst.ticker.next_funding_ts.extend(ticker.next_funding_ts);
    dst.ticker.open_interest.extend(ticker.open_interest);
    dst.liquidation.symbol.extend(remap(liquidation.symbol));
    dst.liquidation.ts_exchange.extend(liquidation.ts_exchange);
    dst.liquidation.ts_local.extend(liquidation.ts_local);
    dst.liquidation.side.extend(liquidation.side);
    dst.liquidation.px.extend(liquidation.px);
    dst.liquidation.qty.extend(liquidation.qty);
    dst.skipped.extend(skipped);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_byte_and_cuts_at_line_ends() {
        let data: Vec<u8> = (0..1000).flat_map(|i| format!("{i} line\n").into_bytes()).collect();
        let parts = split_lines(&data, 100);
        assert!(parts.len() > 10);
        assert_eq!(parts.concat(), data);
        assert!(parts.iter().all(|p| p.ends_with(b"\n")));
        let tail = split_lines(b"a\nbcd", 1);
        assert_eq!(tail, vec![&b"a\n"[..], &b"bcd"[..]]);
    }

    #[test]
    fn clock_append_keeps_the_latest_state() {
        let mut a = Clock::default();
        a.check(10, 1).unwrap();
        let mut b = Clock::default();
        b.check(20, 2).unwrap();
        a.append(&b);
        assert_eq!((a.first, a.last), (Some(10), Some(20)));
        assert!(a.check(15, 3).is_err());
        a.append(&Clock::default());
        assert_eq!(a.last, Some(20));
    }
}
