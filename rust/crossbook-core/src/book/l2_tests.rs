//! Unit tests of the book sides (`l2.rs`): ordering, free slots, snapshots, queries.

use super::*;

fn lv(px: i64, qty: i64) -> Level {
    Level { px, qty }
}

#[test]
fn set_insert_update_delete_keep_order() {
    let mut b = L2Book::new();
    for (px, q) in [(100, 1), (102, 2), (101, 3), (90, 4)] {
        assert!(b.set(Side::Bid, px, q));
    }
    for (px, q) in [(105, 1), (103, 2), (110, 3)] {
        b.set(Side::Ask, px, q);
    }
    assert_eq!(b.best_bid(), Some(lv(102, 2)));
    assert_eq!(b.best_ask(), Some(lv(103, 2)));
    let bids: Vec<_> = b.top(Side::Bid, 10).map(|l| l.px).collect();
    assert_eq!(bids, vec![102, 101, 100, 90]);
    let asks: Vec<_> = b.top(Side::Ask, 2).map(|l| l.px).collect();
    assert_eq!(asks, vec![103, 105]);
    // update in place, unchanged size, delete, delete absent
    assert!(b.set(Side::Bid, 101, 7));
    assert!(!b.set(Side::Bid, 101, 7));
    assert!(b.set(Side::Bid, 102, 0));
    assert!(!b.set(Side::Bid, 999, 0));
    assert_eq!(b.best_bid(), Some(lv(101, 7)));
    assert_eq!(b.len(), (3, 3));
    assert_eq!(b.queue_at(Side::Bid, 100), 1);
    assert_eq!(b.queue_at(Side::Bid, 99), 0);
    assert_eq!(b.queue_at(Side::Ask, 110), 3);
}

#[test]
fn deep_levels_use_binary_search_path() {
    let mut b = L2Book::new();
    for i in 0..100 {
        b.set(Side::Ask, 1000 + 2 * i, i + 1);
    }
    // deep insert, deep delete, deep update (beyond the 8-level tail scan)
    b.set(Side::Ask, 1151, 42);
    b.set(Side::Ask, 1100, 0);
    b.set(Side::Ask, 1190, 5);
    let px: Vec<i64> = b.side(Side::Ask).iter().map(|l| l.px).collect();
    let mut sorted = px.clone();
    sorted.sort_unstable();
    assert_eq!(px, sorted);
    assert_eq!(b.queue_at(Side::Ask, 1151), 42);
    assert_eq!(b.queue_at(Side::Ask, 1100), 0);
    assert_eq!(b.queue_at(Side::Ask, 1190), 5);
    assert_eq!(b.len().1, 100);
    assert_eq!(b.best_ask(), Some(lv(1000, 1)));
}

#[test]
fn random_updates_match_a_btreemap_model() {
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut b = L2Book::new();
    let mut model: [BTreeMap<i64, i64>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for step in 0..200_000 {
        let side = if rng.random_bool(0.5) { Side::Bid } else { Side::Ask };
        // bids below 10 000, asks above; deep and near-top prices, many deletes
        // a tick grid of 10 (spare free slots fit between levels) and some off-grid prices
        let off: i64 = if rng.random_bool(0.3) { rng.random_range(0..8) } else { rng.random_range(0..3000) };
        let off = 10 * off + if rng.random_bool(0.05) { rng.random_range(1..10) } else { 0 };
        let px = match side {
            Side::Bid => 99_990 - off,
            Side::Ask => 100_010 + off,
        };
        let qty = if rng.random_bool(0.45) { 0 } else { rng.random_range(1..100) };
        let m = &mut model[usize::from(side == Side::Ask)];
        let before = m.get(&px).copied().unwrap_or(0);
        if qty == 0 {
            m.remove(&px);
        } else {
            m.insert(px, qty);
        }
        assert_eq!(b.set(side, px, qty), before != qty, "step {step}");
        if step % 5_000 == 0 || step == 199_999 {
            let bids: Vec<Level> = model[0].iter().rev().map(|(&px, &qty)| lv(px, qty)).collect();
            let asks: Vec<Level> = model[1].iter().map(|(&px, &qty)| lv(px, qty)).collect();
            assert_eq!(b.side(Side::Bid).iter().collect::<Vec<_>>(), bids);
            assert_eq!(b.side(Side::Ask).iter().collect::<Vec<_>>(), asks);
            assert_eq!(b.len(), (bids.len(), asks.len()));
            assert_eq!(b.best_bid(), bids.first().copied());
            assert_eq!(b.best_ask(), asks.first().copied());
            assert_eq!(b.queue_at(Side::Bid, 99_900), model[0].get(&99_900).copied().unwrap_or(0));
            assert_eq!(b.queue_at(Side::Ask, 100_101), model[1].get(&100_101).copied().unwrap_or(0));
        }
    }
}

#[test]
fn free_slots_are_reused_trimmed_and_compacted() {
    let mut s = BookSide::new(Side::Bid);
    s.load((0..100).map(|k| lv(1_000 + 10 * k, 1)));
    // deleting below the top leaves free slots; an insert next to one reuses it
    s.set(1_500, 0);
    assert_eq!((s.len(), s.keys.len()), (99, 100));
    s.set(1_505, 2);
    assert_eq!((s.len(), s.keys.len()), (100, 100));
    // an insert far from any free slot shifts the tail and leaves SPARE free slots above it
    s.set(1_001, 3);
    assert_eq!((s.len(), s.keys.len()), (101, 101 + SPARE));
    assert_eq!(s.qty_at(1_002), 0);
    assert!(s.keys.windows(2).all(|w| w[0] < w[1]));
    // deleting the best level trims free slots below it so the last slot stays live
    s.set(1_970, 0);
    s.set(1_980, 0);
    s.set(1_990, 0);
    assert_eq!(s.best(), Some(lv(1_960, 1)));
    assert_eq!(*s.qtys.last().unwrap(), 1);
    // free slots never outnumber live levels (beyond 16): they are compacted away
    for k in 0..90 {
        s.set(1_000 + 10 * k, 0);
        assert!(s.keys.len() - s.len() <= 16.max(s.len()), "after delete {k}");
    }
    assert_eq!(s.len(), 9);
    assert!(s.keys.len() < 9 + 17);
    let px: Vec<i64> = s.iter().map(|l| l.px).collect();
    assert_eq!(px.first(), Some(&1_960));
    assert_eq!(px.len(), s.len());
}

#[test]
fn snapshot_replaces_any_order_last_wins() {
    let mut b = L2Book::new();
    b.set(Side::Bid, 1, 1);
    b.apply_snapshot(&[lv(10, 1), lv(12, 2), lv(11, 3), lv(12, 4), lv(9, 0)], &[lv(13, 1), lv(14, 2)]);
    let bids: Vec<_> = b.top(Side::Bid, 10).collect();
    assert_eq!(bids, vec![lv(12, 4), lv(11, 3), lv(10, 1)]);
    assert_eq!(b.best_ask(), Some(lv(13, 1)));
    // best-first input (the venue order) is accepted as is
    b.apply_snapshot(&[lv(12, 1), lv(11, 1)], &[]);
    assert_eq!(b.len(), (2, 0));
    assert_eq!(b.best_ask(), None);
    assert_eq!(b.mid(), None);
}

#[test]
fn mid_spread_depth_crossed() {
    let mut b = L2Book::new();
    b.apply_snapshot(&[lv(9_990, 1), lv(9_980, 2), lv(9_900, 4)], &[lv(10_010, 3), lv(10_020, 5), lv(10_200, 7)]);
    assert_eq!(b.mid_x2(), Some(20_000));
    assert_eq!(b.mid(), Some(10_000.0));
    assert_eq!(b.spread(), Some(20));
    // 20 bps of 10 000 = 20: bids >= 9 980, asks <= 10 020
    assert_eq!(b.depth_within_bps(20.0), Some((3, 8)));
    assert_eq!(b.depth_within_bps(5.0), Some((0, 0)));
    assert_eq!(b.depth_within_bps(1e4), Some((7, 15)));
    assert!(!b.is_crossed());
    b.set(Side::Bid, 10_010, 1);
    assert!(b.is_crossed());
    assert_eq!(b.spread(), Some(0));
}

#[test]
fn sums_in_equals_a_walk_from_the_touch_with_free_slots_and_replace() {
    let mut b = L2Book::new();
    b.apply_snapshot(&[lv(9_990, 1), lv(9_980, 2), lv(9_900, 4)], &[lv(10_010, 3), lv(10_020, 5), lv(10_200, 7)]);
    // deletions below the top leave free slots; replace reports the size it overwrote
    assert_eq!(b.replace(Side::Bid, 9_980, 0), 2);
    assert_eq!(b.replace(Side::Bid, 9_985, 6), 0);
    assert_eq!(b.replace(Side::Ask, 10_020, 9), 5);
    assert_eq!(b.replace(Side::Ask, 10_030, 0), 0);
    let walk = |s: Side, ok: &dyn Fn(i64) -> bool| {
        b.side(s)
            .iter()
            .filter(|l| ok(l.px))
            .fold((0i128, 0i128), |(q, pq), l| (q + l.qty as i128, pq + (l.px * l.qty) as i128))
    };
    let bids = [9_800, 9_900, 9_901, 9_985, 9_990, 9_991, 10_500];
    for lo in bids {
        assert_eq!(b.side(Side::Bid).sums_in(lo, None), walk(Side::Bid, &|p| p >= lo), "bids from {lo}");
        for hi in bids {
            let want = walk(Side::Bid, &|p| p >= lo && p < hi);
            assert_eq!(b.side(Side::Bid).sums_in(lo, Some(hi)), want, "bids in [{lo}, {hi})");
        }
    }
    let asks = [9_000, 10_000, 10_010, 10_019, 10_020, 10_200, 11_000];
    for hi in asks {
        assert_eq!(b.side(Side::Ask).sums_in(hi, None), walk(Side::Ask, &|p| p <= hi), "asks to {hi}");
        for lo in asks {
            let want = walk(Side::Ask, &|p| p <= hi && p > lo);
            assert_eq!(b.side(Side::Ask).sums_in(hi, Some(lo)), want, "asks in ({lo}, {hi}]");
        }
    }
    // (1 × 9 990 + 6 × 9 985) and (3 × 10 010 + 9 × 10 020)
    assert_eq!(b.side(Side::Bid).sums_in(9_980, None), (7, 69_900));
    assert_eq!(b.side(Side::Ask).sums_in(10_100, None), (12, 120_210));
}

#[test]
fn gallop_equals_binary_search_from_any_hint() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for n in [0usize, 1, 2, 3, 7, 8, 9, 100, 1000] {
        let mut keys: Vec<i64> = (0..n).map(|_| rng.random_range(-5_000..5_000) * 3).collect();
        keys.sort_unstable();
        keys.dedup();
        for _ in 0..300 {
            let key = rng.random_range(-15_100..15_100);
            let hint = rng.random_range(0..n + 3);
            assert_eq!(super::gallop(&keys, key, hint), keys.binary_search(&key), "n {n} key {key} hint {hint}");
        }
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(super::gallop(&keys, k, 0), Ok(i));
            assert_eq!(super::gallop(&keys, k, keys.len()), Ok(i));
        }
    }
}
