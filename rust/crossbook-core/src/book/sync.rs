//! Sequence rules: turning book-table rows into a synced [`L2Book`], message by message.
//!
//! A *message* is a maximal run of consecutive rows of one group with equal
//! `(ts_local, is_snapshot, seq_first, seq_last)`. Rows with `side == 0` carry no level (a depth
//! update with empty bid and ask lists) but still advance the update-id chain.
//!
//! The rule is chosen from the data, never from the venue name:
//! - `seq_prev` present (Binance USDT-M / COIN-M `pu`): after a snapshot with `lastUpdateId` L,
//!   drop updates with `u < L`; the first applied must have `U ≤ L ≤ u` (or `pu == L`, an exact
//!   chain: futures ids are not consecutive, so `U` may exceed `L` when the update right after
//!   the snapshot is the first one captured); each later one must have `pu ==` the previous `u`.
//! - `seq_first`/`seq_last` present, `seq_prev` absent (Binance spot): drop `u ≤ L`; the first
//!   applied must have `U ≤ L+1 ≤ u`; each later one `U ==` previous `u + 1`.
//! - no ids (Hyperliquid snapshots, Tardis `incremental_book_L2`): every snapshot message replaces
//!   the book; updates before the first snapshot are dropped.
//!
//! Updates with ids that arrive while the book is not synced are buffered; a snapshot loads and
//! then replays the buffer by the rules above (real Binance captures hold the REST snapshot a few
//! lines in, after the updates that bridge it). Replayed messages take the snapshot's receive
//! time when it is later than theirs. Updates whose `u` is at or below the last applied id are
//! dropped as stale. On a gap, [`OnGap::Raise`] returns [`CoreError::SequenceGap`];
//! [`OnGap::Resync`] counts it, marks the book unsynced and buffers until the next snapshot.

use super::l2::{L2Book, Level, Side};
use crate::error::{CoreError, Result};
use crate::units::MISSING_I64;

/// What to do when an update does not chain to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnGap {
    /// Stop with [`CoreError::SequenceGap`].
    Raise,
    /// Count the gap, wait for the next snapshot, resync from it.
    Resync,
}

impl OnGap {
    /// Parse `"raise"` / `"resync"`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for any other text.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "raise" => Ok(Self::Raise),
            "resync" => Ok(Self::Resync),
            other => Err(CoreError::InvalidInput(format!("on_gap must be 'raise' or 'resync', got {other:?}"))),
        }
    }
}

/// Borrowed columns of a book table (see `python/crossbook/data/schema.py`), plus a dense group
/// id per row (one group per `(venue, symbol)`). Absent ids are [`MISSING_I64`].
#[derive(Debug, Clone, Copy)]
pub struct BookRows<'a> {
    pub group: &'a [u32],
    /// receive time, ns UTC
    pub ts_local: &'a [i64],
    /// exchange time, ns UTC
    pub ts_exchange: &'a [i64],
    /// +1 bid, -1 ask, 0 sequence-only row
    pub side: &'a [i8],
    pub px: &'a [i64],
    pub qty: &'a [i64],
    pub is_snapshot: &'a [bool],
    pub seq_first: &'a [i64],
    pub seq_last: &'a [i64],
    pub seq_prev: &'a [i64],
}

impl BookRows<'_> {
    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ts_local.len()
    }

    /// True when there is no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ts_local.is_empty()
    }

    /// Check that every column has the same length and group ids are below `n_groups`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the offending column.
    pub fn validate(&self, n_groups: usize) -> Result<()> {
        let n = self.len();
        let lens = [
            ("group", self.group.len()),
            ("ts_exchange", self.ts_exchange.len()),
            ("side", self.side.len()),
            ("px", self.px.len()),
            ("qty", self.qty.len()),
            ("is_snapshot", self.is_snapshot.len()),
            ("seq_first", self.seq_first.len()),
            ("seq_last", self.seq_last.len()),
            ("seq_prev", self.seq_prev.len()),
        ];
        for (name, len) in lens {
            if len != n {
                return Err(CoreError::InvalidInput(format!("book column {name} has {len} rows, ts_local has {n}")));
            }
        }
        if let Some(&g) = self.group.iter().find(|&&g| g as usize >= n_groups) {
            return Err(CoreError::InvalidInput(format!("group id {g} out of range ({n_groups} groups)")));
        }
        Ok(())
    }

    /// Iterate the messages (row ranges) in input order.
    pub fn messages(&self) -> impl Iterator<Item = Msg> + '_ {
        let n = self.len();
        let mut start = 0usize;
        std::iter::from_fn(move || {
            if start >= n {
                return None;
            }
            let s = start;
            let mut e = s + 1;
            while e < n
                && self.group[e] == self.group[s]
                && self.ts_local[e] == self.ts_local[s]
                && self.is_snapshot[e] == self.is_snapshot[s]
                && self.seq_first[e] == self.seq_first[s]
                && self.seq_last[e] == self.seq_last[s]
            {
                e += 1;
            }
            start = e;
            Some(Msg { start: s, end: e })
        })
    }
}

/// One message: rows `start..end` of a [`BookRows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg {
    pub start: usize,
    pub end: usize,
}

/// The sequence rule seen in a group's updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rule {
    /// no update seen yet
    #[default]
    Unknown,
    /// `pu` chaining (Binance futures)
    PrevId,
    /// `U == previous u + 1` (Binance spot)
    Consecutive,
    /// no ids: snapshots replace the book
    NoIds,
}

impl Rule {
    /// Short name used in statistics.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Rule::Unknown => "unknown",
            Rule::PrevId => "pu",
            Rule::Consecutive => "U=u+1",
            Rule::NoIds => "none",
        }
    }
}

/// Counters of one group's rebuild.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// messages seen (snapshots and updates)
    pub messages: u64,
    /// messages applied to the book (each yields one top-of-book row)
    pub applied: u64,
    /// snapshot messages loaded
    pub snapshots: u64,
    /// updates never applied: stale (`u` at or before the last applied id), received before any
    /// snapshot and not bridged by one, or left buffered at the end after a gap
    pub dropped: u64,
    /// sequence gaps (only non-zero under [`OnGap::Resync`])
    pub gaps: u64,
    /// applied messages after which the best bid was at or above the best ask
    pub crossed: u64,
    /// level rows applied (side ±1 rows of applied messages, snapshots included)
    pub level_rows: u64,
    /// the rule seen in the updates
    pub rule: Rule,
}

/// What a sink learns after each applied message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// first row of the message in the input
    pub row: usize,
    /// effective receive time, ns: the message's, or the snapshot's for buffered updates replayed
    pub ts_local: i64,
    /// exchange time of the message, ns
    pub ts_exchange: i64,
    /// last update id applied (`u`, or the snapshot's `lastUpdateId`), or [`MISSING_I64`]
    pub seq: i64,
    pub is_snapshot: bool,
}

/// Receives the book as it is rebuilt.
pub trait BookSink {
    /// Called before the book changes at effective time `ts_local` (ns); `valid` says whether the
    /// current book is a synced state (false before the first snapshot and after a gap).
    fn advance(&mut self, _ts_local: i64, _book: &L2Book, _valid: bool) {}
    /// Called after each applied message.
    fn applied(&mut self, _a: &Applied, _book: &L2Book) {}
    /// Called once at the end with the last message time of the group.
    fn finish(&mut self, _last_ts_local: i64, _book: &L2Book, _valid: bool) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// no valid book: updates with ids are buffered
    Unsynced,
    /// snapshot loaded; the next update must bridge its id
    AwaitFirst,
    /// chained
    Synced,
}

/// The sequence-rule state machine of one group, owning its book.
#[derive(Debug, Clone)]
pub struct SyncBook {
    book: L2Book,
    /// false: sequence rules only, the book stays empty (see [`Self::sequence_only`])
    track_book: bool,
    name: String,
    on_gap: OnGap,
    state: State,
    /// last applied update id, or MISSING
    last: i64,
    /// receive time of the last snapshot (ns), the floor of replayed messages' times
    snap_ts: i64,
    buffer: Vec<Msg>,
    stats: SyncStats,
}

enum Verdict {
    Apply,
    Drop,
    Gap(&'static str),
}

impl SyncBook {
    /// A new unsynced book; `name` identifies the group in errors (e.g. `"BTCUSDT (binance)"`).
    #[must_use]
    pub fn new(name: impl Into<String>, on_gap: OnGap) -> Self {
        Self {
            book: L2Book::new(),
            track_book: true,
            name: name.into(),
            on_gap,
            state: State::Unsynced,
            last: MISSING_I64,
            snap_ts: i64::MIN,
            buffer: Vec::new(),
            stats: SyncStats::default(),
        }
    }

    /// The sequence rules without the book: which messages apply, when, and the counters, for a
    /// caller that rebuilds the book itself (the backtest replays the applied messages into the
    /// strategy's book later). The sink sees an empty book and `crossed` stays 0.
    #[must_use]
    pub fn sequence_only(name: impl Into<String>, on_gap: OnGap) -> Self {
        Self { track_book: false, ..Self::new(name, on_gap) }
    }

    /// The book as rebuilt so far.
    #[must_use]
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// The counters so far (buffered updates are counted as dropped only by [`Self::finish`]).
    #[must_use]
    pub fn stats(&self) -> SyncStats {
        self.stats
    }

    /// True when the book is a synced state.
    #[must_use]
    pub fn is_synced(&self) -> bool {
        self.state != State::Unsynced
    }

    /// Process one message.
    ///
    /// # Errors
    /// [`CoreError::SequenceGap`] under [`OnGap::Raise`]; `index` is the message's first row.
    pub fn on_message<S: BookSink>(&mut self, rows: &BookRows<'_>, m: Msg, sink: &mut S) -> Result<()> {
        self.stats.messages += 1;
        let i = m.start;
        if rows.is_snapshot[i] {
            return self.on_snapshot(rows, m, sink);
        }
        let has_ids = rows.seq_last[i] != MISSING_I64;
        self.stats.rule = match (has_ids, rows.seq_prev[i] != MISSING_I64) {
            (false, _) => Rule::NoIds,
            (true, true) => Rule::PrevId,
            (true, false) => Rule::Consecutive,
        };
        match self.state {
            State::Unsynced if has_ids => {
                self.buffer.push(m);
                Ok(())
            }
            State::Unsynced => {
                self.stats.dropped += 1;
                Ok(())
            }
            _ => {
                let ts = rows.ts_local[i].max(self.snap_ts);
                self.on_update(rows, m, ts, sink)
            }
        }
    }

    /// End of input: updates still buffered are dropped; the sink sees the last message time.
    pub fn finish<S: BookSink>(&mut self, last_ts_local: i64, sink: &mut S) {
        self.stats.dropped += self.buffer.len() as u64;
        self.buffer.clear();
        sink.finish(last_ts_local, &self.book, self.is_synced());
    }

    fn on_snapshot<S: BookSink>(&mut self, rows: &BookRows<'_>, m: Msg, sink: &mut S) -> Result<()> {
        let i = m.start;
        let ts = rows.ts_local[i];
        sink.advance(ts, &self.book, self.is_synced());
        self.load_snapshot(rows, m);
        self.stats.snapshots += 1;
        self.snap_ts = ts;
        self.last = rows.seq_last[i];
        self.state = if self.last == MISSING_I64 { State::Synced } else { State::AwaitFirst };
        self.emit(rows, m, ts, sink);
        let buffered = std::mem::take(&mut self.buffer);
        for (k, &b) in buffered.iter().enumerate() {
            if self.state == State::Unsynced {
                // a replayed update did not bridge: keep the rest for the next snapshot
                self.buffer.extend_from_slice(&buffered[k..]);
                break;
            }
            let bts = rows.ts_local[b.start].max(ts);
            self.on_update(rows, b, bts, sink)?;
        }
        Ok(())
    }

    fn on_update<S: BookSink>(&mut self, rows: &BookRows<'_>, m: Msg, ts: i64, sink: &mut S) -> Result<()> {
        match self.verdict(rows, m) {
            Verdict::Apply => {
                sink.advance(ts, &self.book, true);
                self.apply_levels(rows, m);
                let u = rows.seq_last[m.start];
                if u != MISSING_I64 {
                    self.last = u;
                }
                self.state = State::Synced;
                self.emit(rows, m, ts, sink);
                Ok(())
            }
            Verdict::Drop => {
                self.stats.dropped += 1;
                Ok(())
            }
            Verdict::Gap(rule) => self.gap(rows, m, ts, rule, sink),
        }
    }

    fn verdict(&self, rows: &BookRows<'_>, m: Msg) -> Verdict {
        let i = m.start;
        let (first, u, pu) = (rows.seq_first[i], rows.seq_last[i], rows.seq_prev[i]);
        let last = self.last;
        if u == MISSING_I64 || last == MISSING_I64 {
            return Verdict::Apply;
        }
        // `U` may be absent in odd sources; treat it as `u` (a one-update message)
        let first = if first == MISSING_I64 { u } else { first };
        let futures = pu != MISSING_I64;
        match (self.state, futures) {
            (State::AwaitFirst, true) if u < last => Verdict::Drop,
            (State::AwaitFirst, true) if first <= last || pu == last => Verdict::Apply,
            (State::AwaitFirst, true) => Verdict::Gap("U <= lastUpdateId <= u (first update after the snapshot)"),
            (State::AwaitFirst, false) if u <= last => Verdict::Drop,
            (State::AwaitFirst, false) if first <= last.saturating_add(1) => Verdict::Apply,
            (State::AwaitFirst, false) => Verdict::Gap("U <= lastUpdateId + 1 <= u (first update after the snapshot)"),
            (_, true) if pu == last => Verdict::Apply,
            (_, true) if u <= last => Verdict::Drop,
            (_, true) => Verdict::Gap("pu == previous u"),
            (_, false) if first == last.saturating_add(1) => Verdict::Apply,
            (_, false) if u <= last => Verdict::Drop,
            (_, false) => Verdict::Gap("U == previous u + 1"),
        }
    }

    fn gap<S: BookSink>(
        &mut self,
        rows: &BookRows<'_>,
        m: Msg,
        ts: i64,
        rule: &'static str,
        sink: &mut S,
    ) -> Result<()> {
        let i = m.start;
        match self.on_gap {
            OnGap::Raise => Err(CoreError::SequenceGap {
                symbol: self.name.clone(),
                index: m.start as u64,
                rule,
                first: rows.seq_first[i],
                prev: rows.seq_prev[i],
                last: self.last,
            }),
            OnGap::Resync => {
                self.stats.gaps += 1;
                // the book was valid until this update arrived
                sink.advance(ts, &self.book, true);
                self.state = State::Unsynced;
                self.buffer.push(m);
                Ok(())
            }
        }
    }

    fn apply_levels(&mut self, rows: &BookRows<'_>, m: Msg) {
        let mut n = 0u64;
        for r in m.start..m.end {
            if let Some(side) = Side::from_i8(rows.side[r]) {
                if self.track_book {
                    self.book.set(side, rows.px[r], rows.qty[r]);
                }
                n += 1;
            }
        }
        self.stats.level_rows += n;
    }

    fn load_snapshot(&mut self, rows: &BookRows<'_>, m: Msg) {
        if !self.track_book {
            self.stats.level_rows += (m.start..m.end).filter(|&r| Side::from_i8(rows.side[r]).is_some()).count() as u64;
            return;
        }
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for r in m.start..m.end {
            let l = Level { px: rows.px[r], qty: rows.qty[r] };
            match Side::from_i8(rows.side[r]) {
                Some(Side::Bid) => bids.push(l),
                Some(Side::Ask) => asks.push(l),
                None => {}
            }
        }
        self.stats.level_rows += (bids.len() + asks.len()) as u64;
        self.book.apply_snapshot(&bids, &asks);
    }

    fn emit<S: BookSink>(&mut self, rows: &BookRows<'_>, m: Msg, ts: i64, sink: &mut S) {
        self.stats.applied += 1;
        if self.book.is_crossed() {
            self.stats.crossed += 1;
        }
        let i = m.start;
        let a = Applied {
            row: i,
            ts_local: ts,
            ts_exchange: rows.ts_exchange[i],
            seq: self.last,
            is_snapshot: rows.is_snapshot[i],
        };
        sink.applied(&a, &self.book);
    }
}
