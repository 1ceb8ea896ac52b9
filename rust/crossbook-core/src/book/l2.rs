//! The L2 book: integer price levels per side, queries on top of it.
//!
//! Prices and sizes are the scaled integers of [`crate::units`] (`value × 10^8` by default).
//! Each side is a pair of parallel sorted `Vec`s whose **best level is the last element**, so the
//! frequent updates near the top touch (insert, delete, shift) only the tail of the arrays; a
//! lookup is a binary search. Deletes below the top leave free slots that nearby inserts reuse
//! (see [`BookSide`]). Measured against a `BTreeMap` in `benches/benches/book.rs`.

/// Book side: bids (buyers) or asks (sellers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Bid,
    Ask,
}

impl Side {
    /// `+1` → bid, `-1` → ask, anything else (the sequence-only `0` rows) → `None`.
    #[must_use]
    pub fn from_i8(v: i8) -> Option<Side> {
        match v {
            1 => Some(Side::Bid),
            -1 => Some(Side::Ask),
            _ => None,
        }
    }

    /// `+1` for bids, `-1` for asks (the `side` column of the book table).
    #[must_use]
    pub fn sign(self) -> i8 {
        match self {
            Side::Bid => 1,
            Side::Ask => -1,
        }
    }
}

/// One price level: scaled price and scaled resting size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub px: i64,
    pub qty: i64,
}

/// Free slots left above a level inserted by shifting the whole tail (see [`BookSide::insert`]).
const SPARE: usize = 7;

/// How far (in array slots) an insert looks for a free slot before shifting the whole tail.
const GAP_WINDOW: usize = 32;

/// One side of the book, best level last.
///
/// Levels are kept under a sort key that grows towards the best price: `px` for bids, `-px` for
/// asks, so both sides share one code path (ascending keys, best = last).
///
/// Deleting a level below the top leaves a *free slot* (its key stays, its size becomes 0) instead
/// of shifting every level above it; a later insert nearby reuses the slot and shifts only the few
/// levels in between. An insert with no free slot within [`GAP_WINDOW`] shifts the tail and leaves
/// [`SPARE`] free slots above the new level (keys `key+1..`, strictly between it and the next
/// level, so they are prices no venue quotes on its tick grid; they read as size 0 like any absent
/// price). Binance futures diff streams touch the whole 1000–5000-level book (a third of the
/// updates insert or delete hundreds of levels below the top), so this keeps those updates from
/// moving kilobytes each: on the shared USDT-M capture 95 % of inserts reuse a slot. Free slots are
/// compacted when they outnumber the live levels; the last slot is always a live level, so the best
/// price stays O(1).
#[derive(Debug, Clone)]
pub struct BookSide {
    side: Side,
    keys: Vec<i64>,
    /// 0 marks a free slot
    qtys: Vec<i64>,
    /// number of live levels (`keys.len()` minus free slots)
    live: usize,
}

impl BookSide {
    /// An empty side.
    #[must_use]
    pub fn new(side: Side) -> Self {
        Self { side, keys: Vec::new(), qtys: Vec::new(), live: 0 }
    }

    #[inline]
    fn key(&self, px: i64) -> i64 {
        match self.side {
            Side::Bid => px,
            Side::Ask => px.wrapping_neg(),
        }
    }

    /// Which side this is.
    #[must_use]
    pub fn side(&self) -> Side {
        self.side
    }

    /// Number of price levels.
    #[must_use]
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when the side holds no level.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Remove every level.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.qtys.clear();
        self.live = 0;
    }

    /// Position of `key`: `Ok(i)` if a slot (live or free) holds it, `Err(i)` where it would be
    /// inserted.
    ///
    /// Most updates land within a few levels of the top (the end of the arrays), so the last
    /// eight keys are scanned first; deeper keys are binary-searched.
    #[inline]
    fn find(&self, key: i64) -> Result<usize, usize> {
        let n = self.keys.len();
        let tail = n.saturating_sub(8);
        if n > 0 && key >= self.keys[tail] {
            let mut i = n;
            while i > tail {
                let k = self.keys[i - 1];
                if k == key {
                    return Ok(i - 1);
                }
                if k < key {
                    return Err(i);
                }
                i -= 1;
            }
            return Err(tail);
        }
        self.keys[..tail].binary_search(&key)
    }

    /// Set the absolute size at `px`; `qty == 0` deletes the level (deleting an absent level is
    /// a no-op, as the venues specify). Returns true if the side changed.
    #[inline]
    pub fn set(&mut self, px: i64, qty: i64) -> bool {
        let key = self.key(px);
        match self.find(key) {
            Ok(i) => {
                let old = self.qtys[i];
                if old == qty {
                    return false;
                }
                self.qtys[i] = qty;
                if old == 0 {
                    self.live += 1;
                } else if qty == 0 {
                    self.live -= 1;
                    self.after_delete(i);
                }
                true
            }
            Err(_) if qty == 0 => false,
            Err(i) => {
                self.insert(i, key, qty);
                true
            }
        }
    }

    /// Keep the last slot live; compact when free slots outnumber the live levels.
    fn after_delete(&mut self, i: usize) {
        if i + 1 == self.keys.len() {
            while self.qtys.last() == Some(&0) {
                self.keys.pop();
                self.qtys.pop();
            }
        }
        let free = self.keys.len() - self.live;
        if free > 16 && free > self.live {
            let mut w = 0;
            for r in 0..self.keys.len() {
                if self.qtys[r] != 0 {
                    self.keys[w] = self.keys[r];
                    self.qtys[w] = self.qtys[r];
                    w += 1;
                }
            }
            self.keys.truncate(w);
            self.qtys.truncate(w);
        }
    }

    /// Insert a new live level at sorted position `i`, reusing a nearby free slot if any.
    fn insert(&mut self, i: usize, key: i64, qty: i64) {
        self.live += 1;
        let n = self.keys.len();
        // a free slot above (j >= i): shift i..j up by one
        if let Some(j) = (i..n.min(i + GAP_WINDOW)).find(|&j| self.qtys[j] == 0) {
            self.keys.copy_within(i..j, i + 1);
            self.qtys.copy_within(i..j, i + 1);
            self.keys[i] = key;
            self.qtys[i] = qty;
            return;
        }
        // a free slot below (j < i): shift j+1..i down by one
        if let Some(j) = (i.saturating_sub(GAP_WINDOW)..i).rev().find(|&j| self.qtys[j] == 0) {
            self.keys.copy_within(j + 1..i, j);
            self.qtys.copy_within(j + 1..i, j);
            self.keys[i - 1] = key;
            self.qtys[i - 1] = qty;
            return;
        }
        // the tail moves anyway: move it SPARE slots further and leave free slots right above the
        // new level (keys key+1.., strictly between it and the next level, so order holds)
        let room = if i < n { self.keys[i].saturating_sub(key).saturating_sub(1) } else { 0 };
        let spare = if i < n { (SPARE as i64).min(room).max(0) } else { 0 };
        self.keys.splice(i..i, (0..=spare).map(|k| key + k));
        self.qtys.splice(i..i, (0..=spare).map(|k| if k == 0 { qty } else { 0 }));
    }

    /// Replace the contents with `levels` (any order; zero sizes are skipped; for a repeated price
    /// the last one wins).
    pub fn load(&mut self, levels: impl IntoIterator<Item = Level>) {
        self.clear();
        let mut pairs: Vec<(i64, i64)> =
            levels.into_iter().filter(|l| l.qty != 0).map(|l| (self.key(l.px), l.qty)).collect();
        // venues publish best-first (keys descending): reversing is then enough
        if pairs.windows(2).all(|w| w[0].0 > w[1].0) {
            pairs.reverse();
        } else if !pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            // stable sort keeps input order among equal keys; keep the last of each run
            pairs.sort_by_key(|p| p.0);
            let mut dedup: Vec<(i64, i64)> = Vec::with_capacity(pairs.len());
            for p in pairs {
                match dedup.last_mut() {
                    Some(last) if last.0 == p.0 => *last = p,
                    _ => dedup.push(p),
                }
            }
            pairs = dedup;
        }
        self.keys.extend(pairs.iter().map(|p| p.0));
        self.qtys.extend(pairs.iter().map(|p| p.1));
        self.live = pairs.len();
    }

    /// The best level (highest bid / lowest ask).
    #[must_use]
    pub fn best(&self) -> Option<Level> {
        let n = self.keys.len();
        if n == 0 {
            return None;
        }
        Some(Level { px: self.key(self.keys[n - 1]), qty: self.qtys[n - 1] })
    }

    /// Levels from the best outwards.
    pub fn iter(&self) -> impl Iterator<Item = Level> + '_ {
        self.keys
            .iter()
            .rev()
            .zip(self.qtys.iter().rev())
            .filter(|(_, &q)| q != 0)
            .map(|(&k, &q)| Level { px: self.key(k), qty: q })
    }

    /// The resting size at `px` (0 when there is no level there; free slots hold 0).
    #[must_use]
    pub fn qty_at(&self, px: i64) -> i64 {
        match self.find(self.key(px)) {
            Ok(i) => self.qtys[i],
            Err(_) => 0,
        }
    }
}

/// An L2 order book: bids and asks of one instrument.
#[derive(Debug, Clone)]
pub struct L2Book {
    bids: BookSide,
    asks: BookSide,
}

impl Default for L2Book {
    fn default() -> Self {
        Self::new()
    }
}

impl L2Book {
    /// An empty book.
    #[must_use]
    pub fn new() -> Self {
        Self { bids: BookSide::new(Side::Bid), asks: BookSide::new(Side::Ask) }
    }

    /// One side.
    #[must_use]
    pub fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    /// Remove every level of both sides.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Set the absolute size at `px` on `side` (0 deletes). Returns true if the book changed.
    #[inline]
    pub fn set(&mut self, side: Side, px: i64, qty: i64) -> bool {
        match side {
            Side::Bid => self.bids.set(px, qty),
            Side::Ask => self.asks.set(px, qty),
        }
    }

    /// Replace both sides with a full snapshot.
    pub fn apply_snapshot(&mut self, bids: &[Level], asks: &[Level]) {
        self.bids.load(bids.iter().copied());
        self.asks.load(asks.iter().copied());
    }

    /// Highest bid.
    #[must_use]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    /// Lowest ask.
    #[must_use]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    /// `best_bid + best_ask` (twice the mid, exact), when both sides have a level.
    #[must_use]
    pub fn mid_x2(&self) -> Option<i64> {
        Some(self.best_bid()?.px.saturating_add(self.best_ask()?.px))
    }

    /// Mid price in scaled units (may end in .5).
    #[must_use]
    pub fn mid(&self) -> Option<f64> {
        self.mid_x2().map(|m| m as f64 / 2.0)
    }

    /// `best_ask - best_bid` in scaled units (negative when crossed).
    #[must_use]
    pub fn spread(&self) -> Option<i64> {
        Some(self.best_ask()?.px.saturating_sub(self.best_bid()?.px))
    }

    /// True when the best bid is at or above the best ask.
    #[must_use]
    pub fn is_crossed(&self) -> bool {
        matches!(self.spread(), Some(s) if s <= 0)
    }

    /// Up to `n` levels of `side`, best first.
    pub fn top(&self, side: Side, n: usize) -> impl Iterator<Item = Level> + '_ {
        self.side(side).iter().take(n)
    }

    /// Total size resting within `bps` basis points of the mid: bids with
    /// `px >= mid × (1 − bps/10⁴)` and asks with `px <= mid × (1 + bps/10⁴)` (bounds inclusive).
    /// Returns `(bid_qty, ask_qty)` in scaled size units, or `None` without both sides.
    #[must_use]
    pub fn depth_within_bps(&self, bps: f64) -> Option<(i64, i64)> {
        let mid = self.mid()?;
        let lo = mid * (1.0 - bps / 1e4);
        let hi = mid * (1.0 + bps / 1e4);
        let bid = self.bids.iter().take_while(|l| l.px as f64 >= lo).fold(0i64, |a, l| a.saturating_add(l.qty));
        let ask = self.asks.iter().take_while(|l| l.px as f64 <= hi).fold(0i64, |a, l| a.saturating_add(l.qty));
        Some((bid, ask))
    }

    /// Resting size at `px` on `side` (0 when absent): the queue a new order there would join.
    #[must_use]
    pub fn queue_at(&self, side: Side, px: i64) -> i64 {
        self.side(side).qty_at(px)
    }

    /// Number of levels `(bids, asks)`.
    #[must_use]
    pub fn len(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// True when both sides are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

#[cfg(test)]
mod tests {
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
}
