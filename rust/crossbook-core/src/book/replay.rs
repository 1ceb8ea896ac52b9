//! Drivers: run the sync rules of every `(venue, symbol)` group over a book table.

use super::l2::{L2Book, Level};
use super::sync::{Applied, BookRows, BookSink, OnGap, SyncBook, SyncStats};
use crate::error::{CoreError, Result};
use crate::units::MISSING_I64;

/// Run the sequence rules over `rows` (all groups, input order), feeding `sinks[group]`.
///
/// `names[g]` names group `g` in errors. Returns the final per-group state.
///
/// # Errors
/// [`CoreError::InvalidInput`] for inconsistent columns; [`CoreError::SequenceGap`] under
/// [`OnGap::Raise`].
pub fn run<S: BookSink>(
    rows: &BookRows<'_>,
    names: &[String],
    on_gap: OnGap,
    sinks: &mut [S],
) -> Result<Vec<SyncBook>> {
    rows.validate(names.len())?;
    if sinks.len() != names.len() {
        return Err(CoreError::InvalidInput(format!("{} sinks for {} groups", sinks.len(), names.len())));
    }
    let mut books: Vec<SyncBook> = names.iter().map(|n| SyncBook::new(n.clone(), on_gap)).collect();
    let mut last_ts: Vec<Option<i64>> = vec![None; names.len()];
    for m in rows.messages() {
        let g = rows.group[m.start] as usize;
        last_ts[g] = Some(rows.ts_local[m.start]);
        books[g].on_message(rows, m, &mut sinks[g])?;
    }
    for ((book, sink), ts) in books.iter_mut().zip(sinks.iter_mut()).zip(last_ts) {
        if let Some(ts) = ts {
            book.finish(ts, sink);
        }
    }
    Ok(books)
}

/// Best bid and ask after each applied message, all groups concatenated in group order.
/// Absent sides (an empty book side) are [`MISSING_I64`]; `seq` is the last applied update id,
/// or [`MISSING_I64`] for venues without ids.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TopOfBook {
    pub group: Vec<u32>,
    /// effective receive time, ns UTC (replayed updates take the snapshot's time)
    pub ts_local: Vec<i64>,
    /// exchange time of the message, ns UTC
    pub ts_exchange: Vec<i64>,
    pub seq: Vec<i64>,
    pub bid_px: Vec<i64>,
    pub bid_qty: Vec<i64>,
    pub ask_px: Vec<i64>,
    pub ask_qty: Vec<i64>,
}

impl TopOfBook {
    fn append(&mut self, mut o: TopOfBook) {
        self.group.append(&mut o.group);
        self.ts_local.append(&mut o.ts_local);
        self.ts_exchange.append(&mut o.ts_exchange);
        self.seq.append(&mut o.seq);
        self.bid_px.append(&mut o.bid_px);
        self.bid_qty.append(&mut o.bid_qty);
        self.ask_px.append(&mut o.ask_px);
        self.ask_qty.append(&mut o.ask_qty);
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ts_local.len()
    }

    /// True without rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ts_local.is_empty()
    }
}

struct TobSink {
    group: u32,
    out: TopOfBook,
}

impl BookSink for TobSink {
    fn applied(&mut self, a: &Applied, book: &L2Book) {
        let none = Level { px: MISSING_I64, qty: MISSING_I64 };
        let bid = book.best_bid().unwrap_or(none);
        let ask = book.best_ask().unwrap_or(none);
        let o = &mut self.out;
        o.group.push(self.group);
        o.ts_local.push(a.ts_local);
        o.ts_exchange.push(a.ts_exchange);
        o.seq.push(a.seq);
        o.bid_px.push(bid.px);
        o.bid_qty.push(bid.qty);
        o.ask_px.push(ask.px);
        o.ask_qty.push(ask.qty);
    }
}

/// Rebuild every group's book and record the top of book after each applied message.
///
/// # Errors
/// As [`run`].
pub fn top_of_book(rows: &BookRows<'_>, names: &[String], on_gap: OnGap) -> Result<(TopOfBook, Vec<SyncStats>)> {
    let mut sinks: Vec<TobSink> =
        (0..names.len()).map(|g| TobSink { group: g as u32, out: TopOfBook::default() }).collect();
    let books = run(rows, names, on_gap, &mut sinks)?;
    let mut out = TopOfBook::default();
    for s in sinks {
        out.append(s.out);
    }
    Ok((out, books.iter().map(SyncBook::stats).collect()))
}

/// The book of group `group` as of `until_ns`: every message of that group received at or before
/// `until_ns` processed. Returns the book, its counters, and whether it is a synced state.
///
/// # Errors
/// As [`run`]; [`CoreError::InvalidInput`] when `group` is out of range.
pub fn book_at(
    rows: &BookRows<'_>,
    names: &[String],
    group: u32,
    on_gap: OnGap,
    until_ns: i64,
) -> Result<(L2Book, SyncStats, bool)> {
    rows.validate(names.len())?;
    let name = names
        .get(group as usize)
        .ok_or_else(|| CoreError::InvalidInput(format!("group {group} out of range ({} groups)", names.len())))?;
    let mut book = SyncBook::new(name.clone(), on_gap);
    let mut sink = ();
    let mut last = None;
    for m in rows.messages().filter(|m| rows.group[m.start] == group) {
        let ts = rows.ts_local[m.start];
        if ts > until_ns {
            break;
        }
        last = Some(ts);
        book.on_message(rows, m, &mut sink)?;
    }
    if let Some(ts) = last {
        book.finish(ts, &mut sink);
    }
    let synced = book.is_synced();
    Ok((book.book().clone(), book.stats(), synced))
}

impl BookSink for () {}
