//! The replay stream: the input tables of both instruments, checked, and turned into
//!
//! - the **local stream** the strategy sees: every event of both venues in `ts_local` order
//!   ([`LocalStream`]); at equal times the quoted venue's book, then its BBO, trades and ticker, then
//!   the leader's BBO;
//! - the **venue stream** the exchange simulator matches on: the quoted venue's synced book messages,
//!   trades, tickers and (optionally) its BBO as touch updates, in exchange-time order
//!   ([`VenueStream`], merged lazily). Exchange times are shifted per table by
//!   `max(0, max(ts_exchange − ts_local))` (see the module docs of [`super`]) and made non-decreasing
//!   within each table (a venue's clock
//!   does not go back); the tables are then merged by time, trades before book rows at equal times
//!   (a depth update reflects the trades before it).
//!
//! Book rows go through the sequence rules of [`crate::book::SyncBook`] (gaps resync at the next
//! snapshot); only applied messages reach the strategy's book and the venue.

use crate::book::{Applied, BookRows, BookSink, L2Book, Msg, OnGap, SyncBook, SyncStats};
use crate::error::{CoreError, Result};
use crate::units::MISSING_I64;

/// Borrowed columns of a `bbo` table of one instrument (scaled prices and sizes).
#[derive(Debug, Clone, Copy, Default)]
pub struct BboSlices<'a> {
    pub ts_local: &'a [i64],
    pub ts_exchange: &'a [i64],
    pub bid_px: &'a [i64],
    pub bid_qty: &'a [i64],
    pub ask_px: &'a [i64],
    pub ask_qty: &'a [i64],
}

/// Borrowed columns of a `trade` table of one instrument.
#[derive(Debug, Clone, Copy, Default)]
pub struct TradeSlices<'a> {
    pub ts_local: &'a [i64],
    pub ts_exchange: &'a [i64],
    pub px: &'a [i64],
    pub qty: &'a [i64],
    /// +1 buy, −1 sell, 0 unknown
    pub aggressor: &'a [i8],
}

/// Borrowed columns of a `ticker` table of one instrument ([`MISSING_I64`] / NaN = absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct TickerSlices<'a> {
    pub ts_local: &'a [i64],
    pub ts_exchange: &'a [i64],
    pub mark_px: &'a [i64],
    /// fraction per funding interval
    pub funding_rate: &'a [f64],
    pub next_funding_ts: &'a [i64],
    pub open_interest: &'a [i64],
}

/// Everything the runner replays. Each table is sorted by `ts_local` (as the readers and the
/// store deliver it); `quoted_book` rows all belong to the quoted instrument (group 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct MarketData<'a> {
    pub quoted_bbo: BboSlices<'a>,
    pub quoted_trade: TradeSlices<'a>,
    pub quoted_book: Option<BookRows<'a>>,
    pub quoted_ticker: TickerSlices<'a>,
    pub leader_bbo: BboSlices<'a>,
}

fn bad(msg: String) -> CoreError {
    CoreError::InvalidInput(msg)
}

fn same_len(table: &str, n: usize, cols: &[(&str, usize)]) -> Result<()> {
    for (name, len) in cols {
        if *len != n {
            return Err(bad(format!("{table}: column {name} has {len} rows, ts_local has {n}")));
        }
    }
    Ok(())
}

/// Largest scaled price, size or |timestamp| accepted: sums of two and a minute added stay in range.
pub(crate) const MAX_VALUE: i64 = 1 << 61;

fn sorted(table: &str, t: &[i64]) -> Result<()> {
    if let Some(&x) = t.iter().find(|x| x.unsigned_abs() > MAX_VALUE as u64) {
        return Err(bad(format!("{table}: ts_local {x} ns is out of range (|t| <= 2^61 ns)")));
    }
    match t.windows(2).position(|w| w[1] < w[0]) {
        Some(k) => Err(bad(format!(
            "{table}: rows must be sorted by ts_local; row {} ({} ns) is before row {k} ({} ns)",
            k + 1,
            t[k + 1],
            t[k]
        ))),
        None => Ok(()),
    }
}

impl BboSlices<'_> {
    pub(crate) fn len(&self) -> usize {
        self.ts_local.len()
    }

    /// Same lengths, sorted, and no negative size or non-positive price ([`MISSING_I64`] marks an
    /// empty side and is allowed).
    pub(crate) fn check(&self, table: &str) -> Result<()> {
        let n = self.len();
        same_len(
            table,
            n,
            &[
                ("ts_exchange", self.ts_exchange.len()),
                ("bid_px", self.bid_px.len()),
                ("bid_qty", self.bid_qty.len()),
                ("ask_px", self.ask_px.len()),
                ("ask_qty", self.ask_qty.len()),
            ],
        )?;
        sorted(table, self.ts_local)?;
        for i in 0..n {
            for (name, px, qty) in [("bid", self.bid_px[i], self.bid_qty[i]), ("ask", self.ask_px[i], self.ask_qty[i])]
            {
                if px == MISSING_I64 {
                    continue;
                }
                if px <= 0 || px > MAX_VALUE || (qty != MISSING_I64 && !(0..=MAX_VALUE).contains(&qty)) {
                    return Err(bad(format!(
                        "{table}: row {i}: {name} price must be > 0 and size >= 0 (px {px}, qty {qty})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Both sides present.
    pub(crate) fn complete(&self, i: usize) -> bool {
        self.bid_px[i] != MISSING_I64 && self.ask_px[i] != MISSING_I64
    }
}

impl TradeSlices<'_> {
    pub(crate) fn len(&self) -> usize {
        self.ts_local.len()
    }

    pub(crate) fn check(&self, table: &str) -> Result<()> {
        let n = self.len();
        same_len(
            table,
            n,
            &[
                ("ts_exchange", self.ts_exchange.len()),
                ("px", self.px.len()),
                ("qty", self.qty.len()),
                ("aggressor", self.aggressor.len()),
            ],
        )?;
        sorted(table, self.ts_local)?;
        for i in 0..n {
            let ok = |v: i64| v > 0 && v <= MAX_VALUE;
            if !ok(self.px[i]) || !ok(self.qty[i]) || !(-1..=1).contains(&self.aggressor[i]) {
                return Err(bad(format!(
                    "{table}: row {i}: price and size must be > 0 and aggressor in {{-1, 0, 1}} (px {}, qty {}, \
                     aggressor {})",
                    self.px[i], self.qty[i], self.aggressor[i]
                )));
            }
        }
        Ok(())
    }
}

impl TickerSlices<'_> {
    pub(crate) fn len(&self) -> usize {
        self.ts_local.len()
    }

    pub(crate) fn check(&self, table: &str) -> Result<()> {
        let n = self.len();
        same_len(
            table,
            n,
            &[
                ("ts_exchange", self.ts_exchange.len()),
                ("mark_px", self.mark_px.len()),
                ("funding_rate", self.funding_rate.len()),
                ("next_funding_ts", self.next_funding_ts.len()),
                ("open_interest", self.open_interest.len()),
            ],
        )?;
        sorted(table, self.ts_local)?;
        for i in 0..n {
            let m = self.mark_px[i];
            if (m != MISSING_I64 && !(1..=MAX_VALUE).contains(&m)) || self.funding_rate[i].is_infinite() {
                return Err(bad(format!(
                    "{table}: row {i}: mark price must be > 0 and the funding rate finite (mark {m}, rate {})",
                    self.funding_rate[i]
                )));
            }
        }
        Ok(())
    }
}

/// Clock shift of a table: `max(0, max(ts_exchange − ts_local))`, ns.
pub(crate) fn clock_shift(ts_local: &[i64], ts_exchange: &[i64]) -> i64 {
    ts_local.iter().zip(ts_exchange).map(|(&l, &e)| e.saturating_sub(l)).max().unwrap_or(0).max(0)
}

/// One applied book message, in application order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BookMsg {
    pub start: usize,
    pub end: usize,
    /// effective receive time (a buffered update replayed after a snapshot takes its time)
    pub ts_local: i64,
    pub ts_exchange: i64,
    pub snapshot: bool,
}

struct Collect<'m> {
    ends: &'m [usize],
    out: Vec<BookMsg>,
}

impl BookSink for Collect<'_> {
    fn applied(&mut self, a: &Applied, _book: &L2Book) {
        let end = self.ends.get(a.row).copied().unwrap_or(a.row + 1);
        self.out.push(BookMsg {
            start: a.row,
            end,
            ts_local: a.ts_local,
            ts_exchange: a.ts_exchange,
            snapshot: a.is_snapshot,
        });
    }
}

/// The applied messages of the quoted book (sequence rules, gaps resync), and the sync counters.
pub(crate) fn applied_messages(rows: &BookRows<'_>) -> Result<(Vec<BookMsg>, SyncStats)> {
    rows.validate(1)?;
    sorted("quoted book", rows.ts_local)?;
    for i in 0..rows.len() {
        let (px, qty) = (rows.px[i], rows.qty[i]);
        let bad_level = px <= 0 || px > MAX_VALUE || !(0..=MAX_VALUE).contains(&qty);
        if rows.side[i] != 0 && (bad_level || !(-1..=1).contains(&rows.side[i])) {
            return Err(bad(format!(
                "quoted book: row {i}: side must be -1/0/+1, price > 0 and size >= 0 (side {}, px {}, qty {})",
                rows.side[i], rows.px[i], rows.qty[i]
            )));
        }
    }
    let msgs: Vec<Msg> = rows.messages().collect();
    let mut ends = vec![0usize; rows.len()];
    for m in &msgs {
        ends[m.start] = m.end;
    }
    // the runner rebuilds the book from the applied messages (and counts crossed states there)
    let mut sync = SyncBook::sequence_only("quoted book", OnGap::Resync);
    let mut sink = Collect { ends: &ends, out: Vec::with_capacity(msgs.len()) };
    for &m in &msgs {
        sync.on_message(rows, m, &mut sink)?;
    }
    let last = rows.ts_local.last().copied().unwrap_or(0);
    sync.finish(last, &mut sink);
    let mut out = sink.out;
    // replayed messages take the snapshot's time; keep the stream non-decreasing regardless
    let mut t = i64::MIN;
    for m in &mut out {
        t = t.max(m.ts_local);
        m.ts_local = t;
    }
    Ok((out, sync.stats()))
}

/// A source of the local stream, in tie-break order at equal `ts_local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    QuotedBook = 0,
    QuotedBbo = 1,
    QuotedTrade = 2,
    QuotedTicker = 3,
    LeaderBbo = 4,
}

/// Number of sources.
pub(crate) const N_SOURCES: usize = 5;

/// A k-way merge of the sources by `ts_local`.
pub(crate) struct LocalStream<'a> {
    times: [&'a [i64]; N_SOURCES],
    pos: [usize; N_SOURCES],
}

const SOURCES: [Source; N_SOURCES] =
    [Source::QuotedBook, Source::QuotedBbo, Source::QuotedTrade, Source::QuotedTicker, Source::LeaderBbo];

impl<'a> LocalStream<'a> {
    /// `book_times` = the effective times of the applied book messages.
    pub(crate) fn new(data: &MarketData<'a>, book_times: &'a [i64]) -> Self {
        Self {
            times: [
                book_times,
                data.quoted_bbo.ts_local,
                data.quoted_trade.ts_local,
                data.quoted_ticker.ts_local,
                data.leader_bbo.ts_local,
            ],
            pos: [0; N_SOURCES],
        }
    }

    /// Time of the next event, if any.
    pub(crate) fn peek_time(&self) -> Option<i64> {
        (0..N_SOURCES).filter_map(|s| self.times[s].get(self.pos[s]).copied()).min()
    }
}

impl Iterator for LocalStream<'_> {
    /// (source, row index in that source, ts_local)
    type Item = (Source, usize, i64);

    fn next(&mut self) -> Option<Self::Item> {
        let mut best: Option<(i64, usize)> = None;
        for s in 0..N_SOURCES {
            if let Some(&t) = self.times[s].get(self.pos[s]) {
                if best.is_none_or(|(bt, _)| t < bt) {
                    best = Some((t, s));
                }
            }
        }
        let (t, s) = best?;
        let i = self.pos[s];
        self.pos[s] += 1;
        Some((SOURCES[s], i, t))
    }
}

/// What a venue event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VenueKind {
    /// a book level: side, px, qty (0 deletes)
    Level,
    /// empty both sides (before a snapshot)
    Clear,
    /// a trade: side = aggressor
    Trade,
    /// the BBO's best level of one side: set it and delete every better level on that side (the
    /// runner does this against its mirror of the venue book)
    Touch,
    /// mark price (px, [`MISSING_I64`] = unchanged) and funding rate (`rate`, NaN = unchanged)
    Ticker,
}

/// One event for the exchange simulator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct VenueEvent {
    /// exchange time after the clock shift, ns
    pub t: i64,
    pub ts_local: i64,
    pub kind: VenueKind,
    pub side: i8,
    pub px: i64,
    pub qty: i64,
    pub rate: f64,
}

/// Clock shifts applied to the quoted venue's exchange times, ns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockShifts {
    pub book: i64,
    pub bbo: i64,
    pub trade: i64,
    pub ticker: i64,
}

/// Non-decreasing shifted exchange times of one table.
fn venue_times(ts_local: &[i64], ts_exchange: &[i64], shift: i64) -> Vec<i64> {
    let mut t = i64::MIN;
    ts_exchange
        .iter()
        .zip(ts_local)
        .map(|(&e, &l)| {
            // a missing exchange time (never in the readers' output) falls back to the local one
            let e = if e == MISSING_I64 { l } else { e };
            t = t.max(e.saturating_sub(shift));
            t
        })
        .collect()
}

/// Venue-stream sources, in tie-break order at equal exchange time: trades, tickers, book, BBO.
const V_TRADE: usize = 0;
const V_TICKER: usize = 1;
const V_BOOK: usize = 2;
const V_BBO: usize = 3;

/// The venue stream of the quoted instrument (see the module docs): a lazy merge of its tables by
/// shifted exchange time (ties: trades, tickers, book, BBO; table order within a table), so no
/// event array is built or sorted. A book message yields its clear (snapshots) and then its level
/// rows; a BBO row yields its bid then its ask touch.
pub(crate) struct VenueStream<'a> {
    data: MarketData<'a>,
    book: &'a [BookMsg],
    /// shifted, non-decreasing exchange times per source (book: per message)
    times: [Vec<i64>; 4],
    /// next row (message for the book) per source
    pos: [usize; 4],
    /// within the current book message: next row, or `None` before its clear
    book_row: Option<usize>,
    /// within the current BBO row: 0 = bid next, 1 = ask next
    bbo_side: u8,
    /// the clock shifts used
    pub(crate) shifts: ClockShifts,
}

impl<'a> VenueStream<'a> {
    pub(crate) fn new(data: &MarketData<'a>, book: &'a [BookMsg], match_bbo: bool) -> Self {
        let mut shifts = ClockShifts::default();
        let tr = &data.quoted_trade;
        shifts.trade = clock_shift(tr.ts_local, tr.ts_exchange);
        let tk = &data.quoted_ticker;
        shifts.ticker = clock_shift(tk.ts_local, tk.ts_exchange);
        let book_t = if data.quoted_book.is_some() {
            let loc: Vec<i64> = book.iter().map(|m| m.ts_local).collect();
            let exch: Vec<i64> = book.iter().map(|m| m.ts_exchange).collect();
            shifts.book = clock_shift(&loc, &exch);
            venue_times(&loc, &exch, shifts.book)
        } else {
            Vec::new()
        };
        let bbo_t = if match_bbo {
            let b = &data.quoted_bbo;
            shifts.bbo = clock_shift(b.ts_local, b.ts_exchange);
            venue_times(b.ts_local, b.ts_exchange, shifts.bbo)
        } else {
            Vec::new()
        };
        let times = [
            venue_times(tr.ts_local, tr.ts_exchange, shifts.trade),
            venue_times(tk.ts_local, tk.ts_exchange, shifts.ticker),
            book_t,
            bbo_t,
        ];
        Self { data: *data, book, times, pos: [0; 4], book_row: None, bbo_side: 0, shifts }
    }

    /// The next event with exchange time `<= t`, if any.
    pub(crate) fn next_until(&mut self, t: i64) -> Option<VenueEvent> {
        loop {
            let mut best: Option<(i64, usize)> = None;
            for (s, times) in self.times.iter().enumerate() {
                if let Some(&ts) = times.get(self.pos[s]) {
                    if best.is_none_or(|(bt, _)| ts < bt) {
                        best = Some((ts, s));
                    }
                }
            }
            let (ts, s) = best?;
            if ts > t {
                return None;
            }
            if let Some(e) = self.take(s, ts) {
                return Some(e);
            }
        }
    }

    /// The next event of source `s` (at time `ts`), advancing it; None when its current row
    /// yields nothing more (the row is then consumed).
    fn take(&mut self, s: usize, t: i64) -> Option<VenueEvent> {
        let i = self.pos[s];
        let base = VenueEvent { t, ts_local: 0, kind: VenueKind::Level, side: 0, px: 0, qty: 0, rate: f64::NAN };
        match s {
            V_TRADE => {
                let tr = &self.data.quoted_trade;
                self.pos[s] += 1;
                Some(VenueEvent {
                    ts_local: tr.ts_local[i],
                    kind: VenueKind::Trade,
                    side: tr.aggressor[i],
                    px: tr.px[i],
                    qty: tr.qty[i],
                    ..base
                })
            }
            V_TICKER => {
                let tk = &self.data.quoted_ticker;
                self.pos[s] += 1;
                Some(VenueEvent {
                    ts_local: tk.ts_local[i],
                    kind: VenueKind::Ticker,
                    px: tk.mark_px[i],
                    rate: tk.funding_rate[i],
                    ..base
                })
            }
            V_BOOK => {
                let m = self.book[i];
                let rows = self.data.quoted_book.as_ref()?;
                let base = VenueEvent { ts_local: m.ts_local, ..base };
                let mut r = match self.book_row {
                    Some(r) => r,
                    None => {
                        self.book_row = Some(m.start);
                        if m.snapshot {
                            return Some(VenueEvent { kind: VenueKind::Clear, ..base });
                        }
                        m.start
                    }
                };
                while r < m.end && rows.side[r] == 0 {
                    r += 1;
                }
                if r >= m.end {
                    self.pos[s] += 1;
                    self.book_row = None;
                    return None;
                }
                self.book_row = Some(r + 1);
                Some(VenueEvent { side: rows.side[r], px: rows.px[r], qty: rows.qty[r], ..base })
            }
            V_BBO => {
                let b = &self.data.quoted_bbo;
                while self.bbo_side < 2 {
                    let (side, px, qty) = if self.bbo_side == 0 {
                        (1i8, b.bid_px[i], b.bid_qty[i])
                    } else {
                        (-1i8, b.ask_px[i], b.ask_qty[i])
                    };
                    self.bbo_side += 1;
                    if px == MISSING_I64 || qty == MISSING_I64 || qty <= 0 {
                        continue;
                    }
                    return Some(VenueEvent { ts_local: b.ts_local[i], kind: VenueKind::Touch, side, px, qty, ..base });
                }
                self.pos[s] += 1;
                self.bbo_side = 0;
                None
            }
            _ => None,
        }
    }
}
