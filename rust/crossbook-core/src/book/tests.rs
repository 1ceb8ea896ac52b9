//! Hand-built cases for the sequence rules, top of book and grid sampling.

use super::*;
use crate::error::CoreError;
use crate::units::MISSING_I64 as NA;

/// Column buffers of a hand-built book table.
#[derive(Default)]
struct T {
    group: Vec<u32>,
    ts_local: Vec<i64>,
    ts_exchange: Vec<i64>,
    side: Vec<i8>,
    px: Vec<i64>,
    qty: Vec<i64>,
    snap: Vec<bool>,
    sf: Vec<i64>,
    sl: Vec<i64>,
    sp: Vec<i64>,
}

impl T {
    /// One message; no levels → one sequence-only row (side 0).
    fn msg(&mut self, g: u32, ts: i64, snap: bool, ids: (i64, i64, i64), levels: &[(i8, i64, i64)]) -> &mut Self {
        let levels: Vec<(i8, i64, i64)> = if levels.is_empty() { vec![(0, 0, 0)] } else { levels.to_vec() };
        for (side, px, qty) in levels {
            self.group.push(g);
            self.ts_local.push(ts);
            self.ts_exchange.push(ts - 1);
            self.side.push(side);
            self.px.push(px);
            self.qty.push(qty);
            self.snap.push(snap);
            self.sf.push(ids.0);
            self.sl.push(ids.1);
            self.sp.push(ids.2);
        }
        self
    }

    fn rows(&self) -> BookRows<'_> {
        BookRows {
            group: &self.group,
            ts_local: &self.ts_local,
            ts_exchange: &self.ts_exchange,
            side: &self.side,
            px: &self.px,
            qty: &self.qty,
            is_snapshot: &self.snap,
            seq_first: &self.sf,
            seq_last: &self.sl,
            seq_prev: &self.sp,
        }
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("SYM{i} (venue)")).collect()
}

fn snap_book() -> Vec<(i8, i64, i64)> {
    vec![(1, 100, 5), (1, 99, 6), (-1, 101, 7), (-1, 102, 8)]
}

#[test]
fn futures_buffered_bridge_and_pu_chain() {
    let mut t = T::default();
    t.msg(0, 10, false, (1, 5, 0), &[(1, 100, 1)]) // stale: u < L
        .msg(0, 20, false, (6, 10, 5), &[(1, 100, 9)]) // bridges L = 8
        .msg(0, 30, true, (8, 8, NA), &snap_book())
        .msg(0, 40, false, (11, 12, 10), &[(-1, 101, 0)]) // pu chain
        .msg(0, 50, false, (13, 15, 12), &[]); // sequence-only
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap();
    assert_eq!(tob.seq, vec![8, 10, 12, 15]);
    // the bridging update was received before the snapshot: it takes the snapshot's time
    assert_eq!(tob.ts_local, vec![30, 30, 40, 50]);
    assert_eq!(tob.ts_exchange, vec![29, 19, 39, 49]);
    assert_eq!(tob.bid_px, vec![100, 100, 100, 100]);
    assert_eq!(tob.bid_qty, vec![5, 9, 9, 9]);
    assert_eq!(tob.ask_px, vec![101, 101, 102, 102]);
    assert_eq!(tob.ask_qty, vec![7, 7, 8, 8]);
    let s = stats[0];
    assert_eq!((s.messages, s.applied, s.snapshots, s.dropped, s.gaps, s.crossed), (5, 4, 1, 1, 0, 0));
    assert_eq!(s.level_rows, 4 + 1 + 1);
    assert_eq!(s.rule, Rule::PrevId);
}

#[test]
fn futures_first_update_may_end_at_snapshot_id() {
    // U <= L <= u with u == L is a valid bridge (futures drop only u < L)
    let mut t = T::default();
    t.msg(0, 1, true, (8, 8, NA), &snap_book()).msg(0, 2, false, (5, 8, 4), &[(1, 100, 3)]).msg(
        0,
        3,
        false,
        (9, 9, 8),
        &[],
    );
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap();
    assert_eq!(tob.seq, vec![8, 8, 9]);
    assert_eq!(stats[0].dropped, 0);
}

#[test]
fn futures_gap_raises_with_ids() {
    let mut t = T::default();
    t.msg(0, 1, true, (8, 8, NA), &snap_book()).msg(0, 2, false, (7, 9, 6), &[(1, 100, 1)]).msg(
        0,
        3,
        false,
        (12, 14, 11),
        &[(1, 100, 2), (1, 98, 1)],
    );
    let err = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap_err();
    assert_eq!(
        err,
        CoreError::SequenceGap {
            symbol: "SYM0 (venue)".into(),
            index: 5,
            rule: "pu == previous u",
            first: 12,
            prev: 11,
            last: 9
        }
    );
    assert_eq!(
        err.to_string(),
        "sequence gap in SYM0 (venue) at update 5: expected pu == previous u, got first=12 prev=11 \
         (last applied update id 9)"
    );
}

#[test]
fn futures_first_update_not_bridging_is_a_gap() {
    let mut t = T::default();
    t.msg(0, 1, false, (10, 12, 9), &[(1, 100, 1)]).msg(0, 2, true, (8, 8, NA), &snap_book());
    let err = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap_err();
    assert!(matches!(
        err,
        CoreError::SequenceGap {
            index: 0,
            first: 10,
            last: 8,
            rule: "U <= lastUpdateId <= u (first update after the snapshot)",
            ..
        }
    ));
}

#[test]
fn spot_rules_drop_at_or_below_snapshot_id_then_consecutive() {
    let mut t = T::default();
    t.msg(0, 1, false, (5, 10, NA), &[(1, 100, 1)]) // u <= L: dropped
        .msg(0, 2, false, (11, 14, NA), &[(1, 100, 2)]) // U <= L+1 <= u
        .msg(0, 3, true, (10, 10, NA), &snap_book())
        .msg(0, 4, false, (15, 20, NA), &[(-1, 101, 3)])
        .msg(0, 5, false, (18, 20, NA), &[(-1, 101, 99)]) // stale duplicate: dropped
        .msg(0, 6, false, (21, 21, NA), &[(1, 100, 4)]);
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap();
    assert_eq!(tob.seq, vec![10, 14, 20, 21]);
    assert_eq!(tob.ts_local, vec![3, 3, 4, 6]);
    assert_eq!(tob.bid_qty, vec![5, 2, 2, 4]);
    assert_eq!(tob.ask_qty, vec![7, 7, 3, 3]);
    assert_eq!((stats[0].dropped, stats[0].rule), (2, Rule::Consecutive));

    let mut g = T::default();
    g.msg(0, 1, true, (10, 10, NA), &snap_book()).msg(0, 2, false, (11, 12, NA), &[]).msg(
        0,
        3,
        false,
        (14, 15, NA),
        &[],
    );
    let err = top_of_book(&g.rows(), &names(1), OnGap::Raise).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sequence gap in SYM0 (venue) at update 5: expected U == previous u + 1, got first=14 \
         (last applied update id 12)"
    );
}

#[test]
fn resync_counts_gap_and_resumes_at_next_snapshot() {
    let mut t = T::default();
    t.msg(0, 1, true, (10, 10, NA), &snap_book())
        .msg(0, 2, false, (9, 11, 10), &[(1, 100, 1)])
        .msg(0, 3, false, (15, 16, 14), &[(1, 100, 2)]) // gap (pu 14 != 11)
        .msg(0, 4, false, (17, 18, 16), &[(1, 100, 3)]) // unsynced: buffered
        .msg(0, 5, false, (19, 20, 18), &[(1, 100, 4)]) // buffered, bridges the snapshot below
        .msg(0, 6, true, (19, 19, NA), &[(1, 100, 50), (-1, 101, 60)])
        .msg(0, 7, false, (21, 22, 20), &[(-1, 101, 61)]);
    assert!(top_of_book(&t.rows(), &names(1), OnGap::Raise).is_err());
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Resync).unwrap();
    assert_eq!(tob.seq, vec![10, 11, 19, 20, 22]);
    assert_eq!(tob.ts_local, vec![1, 2, 6, 6, 7]);
    assert_eq!(tob.bid_qty, vec![5, 1, 50, 4, 4]);
    assert_eq!(tob.ask_qty, vec![7, 7, 60, 60, 61]);
    let s = stats[0];
    // the gap update and the next are dropped at replay (u < 19); the third bridges
    assert_eq!((s.gaps, s.dropped, s.applied, s.snapshots, s.messages), (1, 2, 5, 2, 7));
}

#[test]
fn resync_without_later_snapshot_drops_the_rest() {
    let mut t = T::default();
    t.msg(0, 1, true, (10, 10, NA), &snap_book()).msg(0, 2, false, (12, 13, 12), &[(1, 100, 1)]).msg(
        0,
        3,
        false,
        (14, 15, 13),
        &[(1, 100, 1)],
    );
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Resync).unwrap();
    assert_eq!(tob.len(), 1);
    assert_eq!((stats[0].gaps, stats[0].dropped), (1, 2));
}

#[test]
fn no_ids_snapshots_replace_and_early_updates_are_skipped() {
    // Tardis incremental_book_L2: updates before the first snapshot are skipped, a snapshot after
    // updates clears the book; Hyperliquid: each snapshot replaces the book.
    let mut t = T::default();
    t.msg(0, 1, false, (NA, NA, NA), &[(1, 50, 1)])
        .msg(0, 2, true, (NA, NA, NA), &snap_book())
        .msg(0, 3, false, (NA, NA, NA), &[(1, 100, 0), (1, 100, 0), (-1, 100, 2)])
        .msg(0, 4, true, (NA, NA, NA), &[(1, 90, 1), (-1, 95, 1)])
        .msg(0, 5, true, (NA, NA, NA), &[(-1, 96, 3)]);
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap();
    assert_eq!(tob.seq, vec![NA; 4]);
    assert_eq!(tob.bid_px, vec![100, 99, 90, NA]);
    assert_eq!(tob.ask_px, vec![101, 100, 95, 96]);
    assert_eq!(tob.ask_qty, vec![7, 2, 1, 3]);
    let s = stats[0];
    assert_eq!((s.messages, s.applied, s.dropped, s.snapshots, s.rule), (5, 4, 1, 3, Rule::NoIds));
}

#[test]
fn crossed_books_are_counted_not_fatal() {
    let mut t = T::default();
    t.msg(0, 1, true, (NA, NA, NA), &snap_book()).msg(0, 2, false, (NA, NA, NA), &[(1, 101, 1)]).msg(
        0,
        3,
        false,
        (NA, NA, NA),
        &[(-1, 101, 0)],
    );
    let (tob, stats) = top_of_book(&t.rows(), &names(1), OnGap::Raise).unwrap();
    assert_eq!(tob.len(), 3);
    assert_eq!(stats[0].crossed, 1);
}

#[test]
fn groups_interleaved_rows_out_grouped() {
    let mut t = T::default();
    t.msg(1, 1, true, (NA, NA, NA), &[(1, 10, 1)])
        .msg(0, 2, true, (5, 5, NA), &[(1, 20, 1)])
        .msg(1, 3, false, (NA, NA, NA), &[(1, 11, 1)])
        .msg(0, 4, false, (6, 6, 5), &[(1, 21, 1)]);
    let (tob, _) = top_of_book(&t.rows(), &names(2), OnGap::Raise).unwrap();
    assert_eq!(tob.group, vec![0, 0, 1, 1]);
    assert_eq!(tob.bid_px, vec![20, 21, 10, 11]);
    assert_eq!(tob.ts_local, vec![2, 4, 1, 3]);
}

#[test]
fn grid_samples_state_as_of_each_time() {
    let mut t = T::default();
    t.msg(0, 5, false, (1, 2, 0), &[(1, 100, 1)]) // buffered, stale at the snapshot
        .msg(0, 12, true, (3, 3, NA), &snap_book()) // first synced time: grid starts at 20
        .msg(0, 20, false, (4, 4, 3), &[(1, 100, 9)]) // at t=20: included in the sample at 20
        .msg(0, 35, false, (5, 5, 4), &[(-1, 101, 0)])
        .msg(0, 60, false, (6, 6, 5), &[(1, 99, 0)]);
    let (g, _) = sample_grid(&t.rows(), &names(1), OnGap::Raise, 10, 2).unwrap();
    let ts_levels: Vec<(i64, i8, u16, i64, i64)> =
        (0..g.len()).map(|i| (g.ts[i], g.side[i], g.level[i], g.px[i], g.qty[i])).collect();
    let mut want = Vec::new();
    for ts in [20, 30] {
        want.extend([(ts, 1, 0, 100, 9), (ts, 1, 1, 99, 6), (ts, -1, 0, 101, 7), (ts, -1, 1, 102, 8)]);
    }
    for ts in [40, 50] {
        want.extend([(ts, 1, 0, 100, 9), (ts, 1, 1, 99, 6), (ts, -1, 0, 102, 8)]);
    }
    want.extend([(60, 1, 0, 100, 9), (60, -1, 0, 102, 8)]);
    assert_eq!(ts_levels, want);
    assert!(sample_grid(&t.rows(), &names(1), OnGap::Raise, 0, 2).is_err());
}

#[test]
fn grid_skips_unsynced_stretch_after_gap() {
    let mut t = T::default();
    t.msg(0, 0, true, (10, 10, NA), &[(1, 100, 1)])
        .msg(0, 15, false, (12, 12, 11), &[(1, 100, 2)]) // gap at 15: samples 0 and 10 kept
        .msg(0, 32, true, (20, 20, NA), &[(1, 100, 3)])
        .msg(0, 41, false, (21, 21, 20), &[]);
    let (g, stats) = sample_grid(&t.rows(), &names(1), OnGap::Resync, 10, 5).unwrap();
    assert_eq!(g.ts, vec![0, 10, 40]);
    assert_eq!(g.qty, vec![1, 1, 3]);
    assert_eq!(stats[0].gaps, 1);
}

#[test]
fn book_at_processes_messages_up_to_time() {
    let mut t = T::default();
    t.msg(0, 1, false, (9, 9, 8), &[(1, 100, 2)]).msg(0, 2, true, (8, 8, NA), &snap_book()).msg(
        0,
        3,
        false,
        (10, 10, 9),
        &[(-1, 101, 1)],
    );
    let (_, _, synced) = book_at(&t.rows(), &names(1), 0, OnGap::Raise, 1).unwrap();
    assert!(!synced);
    let (b, s, synced) = book_at(&t.rows(), &names(1), 0, OnGap::Raise, 2).unwrap();
    assert!(synced);
    assert_eq!(b.best_bid(), Some(Level { px: 100, qty: 2 }));
    assert_eq!(b.best_ask(), Some(Level { px: 101, qty: 7 }));
    assert_eq!(s.applied, 2);
    let (b, _, _) = book_at(&t.rows(), &names(1), 0, OnGap::Raise, 99).unwrap();
    assert_eq!(b.best_ask(), Some(Level { px: 101, qty: 1 }));
    assert!(book_at(&t.rows(), &names(1), 3, OnGap::Raise, 99).is_err());
}

#[test]
fn invalid_inputs_are_errors() {
    let mut t = T::default();
    t.msg(2, 1, true, (NA, NA, NA), &[(1, 1, 1)]);
    assert!(matches!(top_of_book(&t.rows(), &names(1), OnGap::Raise), Err(CoreError::InvalidInput(_))));
    let mut rows = t.rows();
    rows.px = &[];
    assert!(matches!(top_of_book(&rows, &names(3), OnGap::Raise), Err(CoreError::InvalidInput(_))));
    assert!(OnGap::from_name("skip").is_err());
    assert_eq!(OnGap::from_name("resync").unwrap(), OnGap::Resync);
}
