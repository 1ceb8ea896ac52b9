//! Sampling the rebuilt book onto a regular time grid: the input of the book heatmap.
//!
//! Grid times are multiples of the interval (so grids of different venues line up), from the
//! first one at or after the first synced message to the last message time of the group. The
//! state at grid time `t` is the book after every message with effective receive time `≤ t`.
//! Grid times while the book is not synced (before the first snapshot, after a gap until the
//! resync) produce no rows.

use super::l2::{L2Book, Side};
use super::replay::run;
use super::sync::{Applied, BookRows, BookSink, OnGap, SyncStats};
use crate::error::{CoreError, Result};

/// Long-format samples: one row per (grid time, side, level).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Grid {
    pub group: Vec<u32>,
    /// grid time, ns UTC
    pub ts: Vec<i64>,
    /// +1 bid, -1 ask
    pub side: Vec<i8>,
    /// 0 = best
    pub level: Vec<u16>,
    pub px: Vec<i64>,
    pub qty: Vec<i64>,
}

impl Grid {
    fn append(&mut self, mut o: Grid) {
        self.group.append(&mut o.group);
        self.ts.append(&mut o.ts);
        self.side.append(&mut o.side);
        self.level.append(&mut o.level);
        self.px.append(&mut o.px);
        self.qty.append(&mut o.qty);
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True without rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }
}

/// First multiple of `step` at or after `ts`.
fn ceil_to(ts: i64, step: i64) -> i64 {
    let r = ts.rem_euclid(step);
    if r == 0 {
        ts
    } else {
        ts - r + step
    }
}

struct GridSink {
    group: u32,
    step: i64,
    levels: usize,
    /// next grid time to emit, once the first message was applied
    next: Option<i64>,
    out: Grid,
}

impl GridSink {
    fn emit(&mut self, t: i64, book: &L2Book) {
        for side in [Side::Bid, Side::Ask] {
            for (k, l) in book.top(side, self.levels).enumerate() {
                self.out.group.push(self.group);
                self.out.ts.push(t);
                self.out.side.push(side.sign());
                self.out.level.push(u16::try_from(k).unwrap_or(u16::MAX));
                self.out.px.push(l.px);
                self.out.qty.push(l.qty);
            }
        }
    }

    /// Emit (when `valid`) or skip every grid time `< end` (`<= end` when `inclusive`).
    fn flush(&mut self, end: i64, inclusive: bool, book: &L2Book, valid: bool) {
        let Some(mut t) = self.next else { return };
        while t < end || (inclusive && t == end) {
            if valid {
                self.emit(t, book);
            }
            t = t.saturating_add(self.step);
            if t == i64::MAX {
                break;
            }
        }
        self.next = Some(t);
    }
}

impl BookSink for GridSink {
    fn advance(&mut self, ts_local: i64, book: &L2Book, valid: bool) {
        self.flush(ts_local, false, book, valid);
    }

    fn applied(&mut self, a: &Applied, _book: &L2Book) {
        if self.next.is_none() {
            self.next = Some(ceil_to(a.ts_local, self.step));
        }
    }

    fn finish(&mut self, last_ts_local: i64, book: &L2Book, valid: bool) {
        self.flush(last_ts_local, true, book, valid);
    }
}

/// Rebuild every group's book and sample up to `levels` levels per side every `interval_ns`.
///
/// # Errors
/// As [`run`]; [`CoreError::InvalidInput`] for a non-positive interval or zero levels.
pub fn sample_grid(
    rows: &BookRows<'_>,
    names: &[String],
    on_gap: OnGap,
    interval_ns: i64,
    levels: usize,
) -> Result<(Grid, Vec<SyncStats>)> {
    if interval_ns <= 0 {
        return Err(CoreError::InvalidInput(format!("interval must be positive, got {interval_ns} ns")));
    }
    if levels == 0 || levels > usize::from(u16::MAX) {
        return Err(CoreError::InvalidInput(format!("levels must be in 1..=65535, got {levels}")));
    }
    let mut sinks: Vec<GridSink> = (0..names.len())
        .map(|g| GridSink { group: g as u32, step: interval_ns, levels, next: None, out: Grid::default() })
        .collect();
    let books = run(rows, names, on_gap, &mut sinks)?;
    let mut out = Grid::default();
    for s in sinks {
        out.append(s.out);
    }
    Ok((out, books.iter().map(|b| b.stats()).collect()))
}
