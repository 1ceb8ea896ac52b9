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
    /// where the last deep update landed: the next search starts there (see [`Self::find`])
    hint: usize,
}

/// Position of `key` in the ascending `keys` (`Ok` found, `Err` insertion point), searched from
/// `hint` outwards by doubling steps, then by bisection within the bracket.
#[inline]
fn gallop(keys: &[i64], key: i64, hint: usize) -> Result<usize, usize> {
    let n = keys.len();
    if n == 0 {
        return Err(0);
    }
    let h = hint.min(n - 1);
    // [lo, hi): keys[lo − 1] < key (or lo = 0) and keys[hi − 1] >= key (or hi = n)
    let (lo, hi) = if keys[h] < key {
        let (mut prev, mut step) = (h, 1);
        loop {
            let probe = h + step;
            if probe >= n {
                break (prev + 1, n);
            }
            if keys[probe] >= key {
                break (prev + 1, probe + 1);
            }
            prev = probe;
            step *= 2;
        }
    } else {
        let (mut prev, mut step) = (h, 1);
        loop {
            if step > h {
                break (0, prev + 1);
            }
            let probe = h - step;
            if keys[probe] < key {
                break (probe + 1, prev + 1);
            }
            prev = probe;
            step *= 2;
        }
    };
    match keys[lo..hi].binary_search(&key) {
        Ok(i) => Ok(lo + i),
        Err(i) => Err(lo + i),
    }
}

impl BookSide {
    /// An empty side.
    #[must_use]
    pub fn new(side: Side) -> Self {
        Self { side, keys: Vec::new(), qtys: Vec::new(), live: 0, hint: 0 }
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
    /// eight keys are scanned first. Deeper keys are searched from `hint` outwards by doubling steps
    /// (galloping), then by bisection within the bracket found: a venue's diff message lists its
    /// levels in price order, so consecutive deep updates land near each other and cost
    /// O(log distance) instead of O(log depth) (Bentley & Yao 1976, "An almost optimal algorithm
    /// for unbounded searching").
    #[inline]
    fn find(&self, key: i64, hint: usize) -> Result<usize, usize> {
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
        gallop(&self.keys[..tail], key, hint)
    }

    /// Set the absolute size at `px`; `qty == 0` deletes the level (deleting an absent level is
    /// a no-op, as the venues specify). Returns true if the side changed.
    #[inline]
    pub fn set(&mut self, px: i64, qty: i64) -> bool {
        self.replace(px, qty) != qty
    }

    /// [`Self::set`], returning the size the level had before (0 when absent).
    #[inline]
    pub fn replace(&mut self, px: i64, qty: i64) -> i64 {
        let key = self.key(px);
        let found = self.find(key, self.hint);
        self.hint = match found {
            Ok(i) | Err(i) => i,
        };
        match found {
            Ok(i) => {
                let old = self.qtys[i];
                if old == qty {
                    return old;
                }
                self.qtys[i] = qty;
                if old == 0 {
                    self.live += 1;
                } else if qty == 0 {
                    self.live -= 1;
                    self.after_delete(i);
                }
                old
            }
            Err(_) if qty == 0 => 0,
            Err(i) => {
                self.insert(i, key, qty);
                0
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

    /// Exact `(Σ qty, Σ px·qty)` of the levels from `outer` (inclusive) towards the best price up to
    /// `inner` (exclusive; `None` = through the best): bids with `outer <= px < inner`, asks with
    /// `inner < px <= outer`. Two binary searches, then a straight pass over contiguous arrays
    /// (free slots hold 0 and add nothing). Sizes and prices are below 2^61 (the readers' and the
    /// backtest's checks), so the 128-bit sums of any realistic book are exact.
    #[must_use]
    pub fn sums_in(&self, outer: i64, inner: Option<i64>) -> (i128, i128) {
        let lo = self.keys.partition_point(|&k| k < self.key(outer));
        let hi = inner.map_or(self.keys.len(), |p| self.keys.partition_point(|&k| k < self.key(p)));
        if lo >= hi {
            return (0, 0);
        }
        let (mut q, mut kq) = ([0i128; 2], [0i128; 2]);
        let (kc, qc) = (self.keys[lo..hi].chunks_exact(2), self.qtys[lo..hi].chunks_exact(2));
        let (kr, qr) = (kc.remainder(), qc.remainder());
        for (k2, q2) in kc.zip(qc) {
            for j in 0..2 {
                q[j] = q[j].wrapping_add(i128::from(q2[j]));
                kq[j] = kq[j].wrapping_add(i128::from(k2[j]).wrapping_mul(i128::from(q2[j])));
            }
        }
        for (&k, &qty) in kr.iter().zip(qr) {
            q[0] = q[0].wrapping_add(i128::from(qty));
            kq[0] = kq[0].wrapping_add(i128::from(k).wrapping_mul(i128::from(qty)));
        }
        let (q, kq) = (q[0].wrapping_add(q[1]), kq[0].wrapping_add(kq[1]));
        match self.side {
            Side::Bid => (q, kq),
            Side::Ask => (q, kq.wrapping_neg()),
        }
    }

    /// The resting size at `px` (0 when there is no level there; free slots hold 0).
    #[must_use]
    pub fn qty_at(&self, px: i64) -> i64 {
        match self.find(self.key(px), self.hint) {
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

    /// Remove every level of one side.
    pub fn clear_side(&mut self, side: Side) {
        match side {
            Side::Bid => self.bids.clear(),
            Side::Ask => self.asks.clear(),
        }
    }

    /// Set the absolute size at `px` on `side` (0 deletes). Returns true if the book changed.
    #[inline]
    pub fn set(&mut self, side: Side, px: i64, qty: i64) -> bool {
        match side {
            Side::Bid => self.bids.set(px, qty),
            Side::Ask => self.asks.set(px, qty),
        }
    }

    /// [`Self::set`], returning the level's previous size (0 when absent).
    #[inline]
    pub fn replace(&mut self, side: Side, px: i64, qty: i64) -> i64 {
        match side {
            Side::Bid => self.bids.replace(px, qty),
            Side::Ask => self.asks.replace(px, qty),
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
#[path = "l2_tests.rs"]
mod tests;
