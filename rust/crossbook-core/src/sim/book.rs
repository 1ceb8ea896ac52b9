//! The leader's L2 book: a depth profile around a one-tick spread, order churn, walls and
//! flickering spoofs, published as one REST-like snapshot and then Binance USDT-M diff messages
//! (`U` first update id, `u` last, `pu` = previous message's `u`).
//!
//! Prices are integer ticks and sizes integer lots inside; rows are scaled (1e8) on output.
//! Each level holds an ordinary size (`base`) plus a wall or spoof overlay (`extra`).

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::output::{BookEvent, Out, Stamp, LEADER, NONE};

/// A scaled (price, size) pair.
pub type Level = (i64, i64);

/// First update id of the run (Binance-like magnitude).
const FIRST_UPDATE_ID: i64 = 5_123_107_830_000;

#[derive(Debug, Clone, Copy, Default)]
struct Lvl {
    base: i64,
    extra: i64,
}

/// A large resting order (heatmap "wall").
#[derive(Debug, Clone)]
pub struct Wall {
    pub side: i8,
    pub tick: i64,
    pub lots: i64,
    pub start_ns: i64,
    pub expires_ms: i64,
    /// the touch already came near and the wall decided to stand
    pub stands: bool,
}

/// A flickering spoof order: on for a while, off for a while, a few cycles; pulled when the touch
/// comes within 2 ticks, never filled.
#[derive(Debug, Clone)]
pub struct Spoof {
    pub side: i8,
    pub tick: i64,
    pub lots: i64,
    pub on: bool,
    pub on_since_ns: i64,
    pub next_toggle_ms: i64,
    pub cycles_left: u32,
}

/// Leader book state.
pub struct LeaderBook {
    rng: ChaCha8Rng,
    bids: BTreeMap<i64, Lvl>,
    asks: BTreeMap<i64, Lvl>,
    /// best bid, ticks; the best ask is always `best_bid + 1`
    pub best_bid: i64,
    range: i64,
    touch_lots: f64,
    /// scaled price of one tick, scaled size of one lot
    pub tick_scaled: i64,
    pub lot_scaled: i64,
    /// last update id
    pub uid: i64,
    batch_first: Option<i64>,
    prev_u: i64,
    pending: BTreeSet<(i8, i64)>,
    last_bbo: (i64, i64, i64, i64),
    pub walls: Vec<Wall>,
    pub spoofs: Vec<Spoof>,
}

impl LeaderBook {
    /// A book around `mid` (quote currency) with the configured depth profile.
    #[must_use]
    pub fn new(mid: f64, tick: f64, lot: f64, range_ticks: u32, touch_qty: f64, rng: ChaCha8Rng) -> Self {
        let best_bid = (mid / tick - 0.5).round() as i64;
        let mut b = Self {
            rng,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            best_bid,
            range: i64::from(range_ticks),
            touch_lots: (touch_qty / lot).max(1.0),
            tick_scaled: (tick * 1e8).round() as i64,
            lot_scaled: (lot * 1e8).round() as i64,
            uid: FIRST_UPDATE_ID,
            batch_first: None,
            prev_u: FIRST_UPDATE_ID - 40,
            pending: BTreeSet::new(),
            last_bbo: (0, 0, 0, 0),
            walls: Vec::new(),
            spoofs: Vec::new(),
        };
        for k in 0..=b.range {
            b.fill(1, best_bid - k, k);
            b.fill(-1, best_bid + 1 + k, k);
        }
        b.pending.clear();
        b
    }

    /// Best ask, ticks.
    #[must_use]
    pub fn best_ask(&self) -> i64 {
        self.best_bid + 1
    }

    /// Mid price in ticks (a half-tick value).
    #[must_use]
    pub fn mid_ticks(&self) -> f64 {
        self.best_bid as f64 + 0.5
    }

    fn side_map(&mut self, side: i8) -> &mut BTreeMap<i64, Lvl> {
        if side > 0 {
            &mut self.bids
        } else {
            &mut self.asks
        }
    }

    /// Displayed size (lots) at a level, 0 when absent.
    #[must_use]
    pub fn lots_at(&self, side: i8, tick: i64) -> i64 {
        let m = if side > 0 { &self.bids } else { &self.asks };
        m.get(&tick).map_or(0, |l| l.base + l.extra)
    }

    /// Ordinary size at depth `k` ticks from the touch: mean grows like √k, lognormal noise.
    pub fn profile_lots(&mut self, k: i64) -> i64 {
        let z: f64 = StandardNormal.sample(&mut self.rng);
        let mean = self.touch_lots * (1.0 + 0.3 * (k as f64).sqrt());
        (mean * (0.8 * z - 0.32).exp()).round().max(1.0) as i64
    }

    /// Create a level at depth `k` with the profile's occupancy (always at the touch).
    fn fill(&mut self, side: i8, tick: i64, k: i64) {
        let occupancy = 0.35 + 0.6 * (-(k as f64) / 40.0).exp();
        if k == 0 || self.rng.random::<f64>() < occupancy {
            let base = self.profile_lots(k);
            let extra = self.side_map(side).get(&tick).map_or(0, |l| l.extra);
            self.set(side, tick, Lvl { base, extra });
        }
    }

    fn set(&mut self, side: i8, tick: i64, l: Lvl) {
        let m = self.side_map(side);
        if l.base + l.extra > 0 {
            m.insert(tick, l);
        } else {
            m.remove(&tick);
        }
        self.pending.insert((side, tick));
    }

    fn remove(&mut self, side: i8, tick: i64) -> Option<Lvl> {
        let l = self.side_map(side).remove(&tick);
        if l.is_some() {
            self.pending.insert((side, tick));
        }
        l
    }

    /// Start one book event that changes `n` levels: update ids advance by `n` plus ids used by
    /// events this stream does not show (other order types, other books).
    pub fn event(&mut self, n: usize) {
        let skip: f64 = Exp1.sample(&mut self.rng);
        self.uid += n.max(1) as i64 + (skip * 30.0) as i64;
        if self.batch_first.is_none() {
            self.batch_first = Some(self.uid);
        }
    }

    /// Levels strictly between the current touch and a new best bid `new_bid` that a move to it
    /// crosses (asks for an up-move, bids for a down-move), nearest first: `(side, tick, lots)`.
    #[must_use]
    pub fn crossed(&self, new_bid: i64) -> Vec<(i8, i64, i64)> {
        if new_bid > self.best_bid {
            self.asks.range(self.best_ask()..new_bid + 1).map(|(&t, l)| (-1, t, l.base + l.extra)).collect()
        } else if new_bid < self.best_bid {
            self.bids.range(new_bid + 1..=self.best_bid).rev().map(|(&t, l)| (1, t, l.base + l.extra)).collect()
        } else {
            Vec::new()
        }
    }

    /// Move the touch to best bid `new_bid`: crossed levels go, the other side fills in behind,
    /// far levels beyond the depth range are trimmed (walls excepted). Returns walls traded through.
    pub fn shift(&mut self, new_bid: i64) -> Vec<Wall> {
        let old_bid = self.best_bid;
        if new_bid == old_bid {
            return Vec::new();
        }
        let before = self.pending.len();
        let (old_ask, new_ask, r) = (old_bid + 1, new_bid + 1, self.range);
        if new_bid > old_bid {
            let crossed: Vec<i64> = self.asks.range(old_ask..new_ask).map(|(&t, _)| t).collect();
            for t in crossed {
                self.remove(-1, t);
            }
            for t in (old_bid + 1).max(new_bid - r)..=new_bid {
                self.fill(1, t, new_bid - t);
            }
            for t in (old_ask + r + 1).max(new_ask)..=new_ask + r {
                self.fill(-1, t, t - new_ask);
            }
            if !self.asks.contains_key(&new_ask) {
                self.fill(-1, new_ask, 0);
            }
            let far: Vec<i64> = self.bids.range(..new_bid - r).filter(|(_, l)| l.extra == 0).map(|(&t, _)| t).collect();
            for t in far {
                self.remove(1, t);
            }
        } else {
            let crossed: Vec<i64> = self.bids.range(new_bid + 1..=old_bid).map(|(&t, _)| t).collect();
            for t in crossed {
                self.remove(1, t);
            }
            for t in new_ask..=(old_ask - 1).min(new_ask + r) {
                self.fill(-1, t, t - new_ask);
            }
            for t in new_bid - r..=(old_bid - r - 1).min(new_bid) {
                self.fill(1, t, new_bid - t);
            }
            if !self.bids.contains_key(&new_bid) {
                self.fill(1, new_bid, 0);
            }
            let far: Vec<i64> =
                self.asks.range(new_ask + r + 1..).filter(|(_, l)| l.extra == 0).map(|(&t, _)| t).collect();
            for t in far {
                self.remove(-1, t);
            }
        }
        self.best_bid = new_bid;
        self.event(self.pending.len().saturating_sub(before));
        let mut filled = Vec::new();
        self.walls.retain(|w| {
            let gone = (w.side < 0 && w.tick <= new_bid) || (w.side > 0 && w.tick > new_bid);
            if gone {
                filled.push(w.clone());
            }
            !gone
        });
        filled
    }

    /// A random order event near the touch (size change, new level, or cancel of a deeper level).
    pub fn churn(&mut self) {
        let side: i8 = if self.rng.random::<bool>() { 1 } else { -1 };
        let e: f64 = Exp1.sample(&mut self.rng);
        let k = ((e * 6.0) as i64).min(self.range);
        let tick = if side > 0 { self.best_bid - k } else { self.best_ask() + k };
        let m = if side > 0 { &self.bids } else { &self.asks };
        let cur = m.get(&tick).copied();
        self.event(1);
        match cur {
            Some(l) if k > 0 && self.rng.random::<f64>() < 0.2 => {
                self.set(side, tick, Lvl { base: 0, extra: l.extra });
            }
            Some(l) => {
                let z: f64 = StandardNormal.sample(&mut self.rng);
                let base = ((l.base.max(1) as f64) * (0.35 * z).exp()).round().max(1.0) as i64;
                self.set(side, tick, Lvl { base, extra: l.extra });
            }
            None => {
                let base = self.profile_lots(k);
                self.set(side, tick, Lvl { base, extra: 0 });
            }
        }
    }

    /// An aggressive order of `lots` against the touch (`aggressor` +1 buys the ask); the touch
    /// keeps at least one lot. Returns (tick, lots filled); lots may be 0.
    pub fn take_touch(&mut self, aggressor: i8, lots: i64) -> (i64, i64) {
        let (side, tick) = if aggressor > 0 { (-1, self.best_ask()) } else { (1, self.best_bid) };
        let l = self.side_map(side).get(&tick).copied().unwrap_or_default();
        let fill = lots.min(l.base - 1).max(0);
        if fill > 0 {
            self.event(1);
            self.set(side, tick, Lvl { base: l.base - fill, extra: l.extra });
        }
        (tick, fill)
    }

    /// Add (`on`) or remove an overlay of `lots` at a level.
    pub fn overlay(&mut self, side: i8, tick: i64, lots: i64, on: bool) {
        let cur = self.side_map(side).get(&tick).copied();
        self.event(1);
        let l = match (cur, on) {
            (Some(l), true) => Lvl { base: l.base, extra: l.extra + lots },
            (None, true) => Lvl { base: 0, extra: lots },
            (Some(l), false) => Lvl { base: l.base, extra: (l.extra - lots).max(0) },
            (None, false) => return,
        };
        self.set(side, tick, l);
    }

    /// Scaled best bid/ask and update id when the top of book changed since the last call.
    pub fn bbo_if_changed(&mut self) -> Option<(Level, Level, i64)> {
        let (b, a) = (self.best_bid, self.best_ask());
        let now = (b, self.lots_at(1, b), a, self.lots_at(-1, a));
        if now == self.last_bbo {
            return None;
        }
        self.last_bbo = now;
        let (ts, ls) = (self.tick_scaled, self.lot_scaled);
        Some(((now.0 * ts, now.1 * ls), (now.2 * ts, now.3 * ls), self.uid))
    }

    /// Write the REST snapshot (`lastUpdateId` in seq_first and seq_last, no `pu`), up to
    /// `max_levels` per side. The first diff message then straddles it (`U ≤ lastUpdateId ≤ u`),
    /// as on Binance, restating the touch levels.
    pub fn snapshot(&mut self, out: &mut Out, s: Stamp, max_levels: usize) {
        let id = self.uid;
        let (ts, ls) = (self.tick_scaled, self.lot_scaled);
        for (&t, l) in self.bids.iter().rev().take(max_levels) {
            out.book(LEADER, s, 1, t * ts, (l.base + l.extra) * ls, true, (id, id, NONE));
        }
        for (&t, l) in self.asks.iter().take(max_levels) {
            out.book(LEADER, s, -1, t * ts, (l.base + l.extra) * ls, true, (id, id, NONE));
        }
        let back = self.rng.random_range(1..20);
        self.batch_first = Some(id - back);
        self.prev_u = id - back - 1 - self.rng.random_range(0..30);
        self.pending.clear();
        self.pending.insert((1, self.best_bid));
        self.pending.insert((-1, self.best_ask()));
    }

    /// Publish the pending diff (if any update id was used since the last one). `rpi_only` adds an
    /// update that touched only liquidity the depth stream excludes, so a message may carry no
    /// level: it is written as one sequence-only row (side 0, px 0, qty 0).
    pub fn flush(&mut self, out: &mut Out, s: Stamp, rpi_only: bool) {
        if rpi_only {
            self.event(0);
        }
        let Some(first) = self.batch_first.take() else {
            return;
        };
        let seq = (first, self.uid, self.prev_u);
        let (ts, ls) = (self.tick_scaled, self.lot_scaled);
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            out.book(LEADER, s, 0, 0, 0, false, seq);
        }
        for &(_, t) in pending.iter().filter(|(side, _)| *side > 0).rev() {
            out.book(LEADER, s, 1, t * ts, self.lots_at(1, t) * ls, false, seq);
        }
        for &(_, t) in pending.iter().filter(|(side, _)| *side < 0) {
            out.book(LEADER, s, -1, t * ts, self.lots_at(-1, t) * ls, false, seq);
        }
        self.prev_u = self.uid;
    }

    /// Record the end of every wall and spoof still on the book.
    pub fn close_overlays(&mut self, end_ns: i64, events: &mut Vec<BookEvent>) {
        let (ts, ls) = (self.tick_scaled, self.lot_scaled);
        for w in self.walls.drain(..) {
            events.push(BookEvent {
                kind: "wall",
                side: w.side,
                px: w.tick * ts,
                qty: w.lots * ls,
                start_ns: w.start_ns,
                end_ns,
                end_reason: "end",
            });
        }
        for s in self.spoofs.drain(..).filter(|s| s.on) {
            events.push(BookEvent {
                kind: "spoof",
                side: s.side,
                px: s.tick * ts,
                qty: s.lots * ls,
                start_ns: s.on_since_ns,
                end_ns,
                end_reason: "end",
            });
        }
    }

    /// Random draws for the overlay module (walls and spoofs share the book's stream).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Displayed levels per side (bids, asks), for tests and counts.
    #[must_use]
    pub fn depth(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }
}
