//! Walls and spoofs on the leader book (heatmap seed: "disappearing walls", "spoofing detection").
//!
//! - A wall is a large order 20–400 ticks from the touch that lives an exponential time. When the
//!   touch comes within 5 ticks it is pulled with `wall_pull_prob` (an information event) or
//!   stands, and is then filled if the price trades through it, or expires.
//! - A spoof is a large order 3–25 ticks from the touch that flickers on and off (150–1500 ms on,
//!   80–600 ms off, 3–12 cycles) and is pulled as soon as the touch comes within 2 ticks.
//!
//! Every on-book interval of either is recorded as a [`BookEvent`] with how it ended.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::book::{LeaderBook, Spoof, Wall};
use super::config::SimConfig;
use super::output::BookEvent;
use super::price::next_poisson;

/// Wall and spoof schedules.
pub struct Overlays {
    next_wall_ms: i64,
    next_spoof_ms: i64,
    wall_hz: f64,
    spoof_hz: f64,
    wall_lots: f64,
    spoof_lots: f64,
    wall_life_ms: f64,
    pull_prob: f64,
    range: i64,
}

fn event(
    book: &LeaderBook,
    kind: &'static str,
    side: i8,
    tick: i64,
    lots: i64,
    span: (i64, i64),
    why: &'static str,
) -> BookEvent {
    BookEvent {
        kind,
        side,
        px: tick * book.tick_scaled,
        qty: lots * book.lot_scaled,
        start_ns: span.0,
        end_ns: span.1,
        end_reason: why,
    }
}

/// Ticks from the touch to a level on `side` (negative once the touch has crossed it).
fn distance(book: &LeaderBook, side: i8, tick: i64) -> i64 {
    if side > 0 {
        book.best_bid - tick
    } else {
        tick - book.best_ask()
    }
}

impl Overlays {
    #[must_use]
    pub fn new(cfg: &SimConfig, book: &mut LeaderBook) -> Self {
        let wall_hz = cfg.walls_per_min / 60.0;
        let spoof_hz = cfg.spoofs_per_min / 60.0;
        Self {
            next_wall_ms: next_poisson(book.rng(), 0, wall_hz),
            next_spoof_ms: next_poisson(book.rng(), 0, spoof_hz),
            wall_hz,
            spoof_hz,
            wall_lots: cfg.wall_qty / cfg.leader_lot,
            spoof_lots: cfg.spoof_qty / cfg.leader_lot,
            wall_life_ms: cfg.wall_life_s * 1000.0,
            pull_prob: cfg.wall_pull_prob,
            range: i64::from(cfg.leader_book_ticks),
        }
    }

    fn size(book: &mut LeaderBook, mean: f64) -> i64 {
        let z: f64 = StandardNormal.sample(book.rng());
        (mean * (0.5 * z - 0.125).exp()).round().max(1.0) as i64
    }

    /// Place, expire and toggle at ms `t_ms` (true time `t_ns`).
    pub fn step(&mut self, book: &mut LeaderBook, t_ms: i64, t_ns: i64, events: &mut Vec<BookEvent>) {
        if t_ms >= self.next_wall_ms {
            self.next_wall_ms = next_poisson(book.rng(), t_ms, self.wall_hz);
            let side: i8 = if book.rng().random::<bool>() { 1 } else { -1 };
            let k = book.rng().random_range(20..=400).min(self.range);
            let tick = if side > 0 { book.best_bid - k } else { book.best_ask() + k };
            let lots = Self::size(book, self.wall_lots);
            let life: f64 = Exp1.sample(book.rng());
            book.overlay(side, tick, lots, true);
            let expires_ms = t_ms + (life * self.wall_life_ms).max(1.0) as i64;
            book.walls.push(Wall { side, tick, lots, start_ns: t_ns, expires_ms, stands: false });
        }
        if t_ms >= self.next_spoof_ms {
            self.next_spoof_ms = next_poisson(book.rng(), t_ms, self.spoof_hz);
            let side: i8 = if book.rng().random::<bool>() { 1 } else { -1 };
            let k = book.rng().random_range(3..=25).min(self.range);
            let tick = if side > 0 { book.best_bid - k } else { book.best_ask() + k };
            let lots = Self::size(book, self.spoof_lots);
            let cycles_left = book.rng().random_range(3..=12);
            let next_toggle_ms = t_ms + book.rng().random_range(150..=1500);
            book.overlay(side, tick, lots, true);
            book.spoofs.push(Spoof { side, tick, lots, on: true, on_since_ns: t_ns, next_toggle_ms, cycles_left });
        }
        let mut i = 0;
        while i < book.walls.len() {
            if t_ms >= book.walls[i].expires_ms {
                let w = book.walls.swap_remove(i);
                book.overlay(w.side, w.tick, w.lots, false);
                events.push(event(book, "wall", w.side, w.tick, w.lots, (w.start_ns, t_ns), "expired"));
            } else {
                i += 1;
            }
        }
        let mut i = 0;
        while i < book.spoofs.len() {
            if t_ms < book.spoofs[i].next_toggle_ms {
                i += 1;
                continue;
            }
            let s = book.spoofs[i].clone();
            if s.on {
                book.overlay(s.side, s.tick, s.lots, false);
                events.push(event(book, "spoof", s.side, s.tick, s.lots, (s.on_since_ns, t_ns), "flicker"));
                let off = book.rng().random_range(80..=600);
                let sp = &mut book.spoofs[i];
                sp.on = false;
                sp.cycles_left = sp.cycles_left.saturating_sub(1);
                sp.next_toggle_ms = t_ms + off;
                if sp.cycles_left == 0 {
                    book.spoofs.swap_remove(i);
                    continue;
                }
            } else {
                let d = distance(book, s.side, s.tick);
                if !(3..=40).contains(&d) {
                    book.spoofs.swap_remove(i);
                    continue;
                }
                book.overlay(s.side, s.tick, s.lots, true);
                let on = book.rng().random_range(150..=1500);
                let sp = &mut book.spoofs[i];
                sp.on = true;
                sp.on_since_ns = t_ns;
                sp.next_toggle_ms = t_ms + on;
            }
            i += 1;
        }
    }

    /// Before the touch moves to best bid `new_bid`: spoofs that would be within 2 ticks of the new
    /// touch (or crossed) are pulled; walls that would be within 5 ticks decide once to be pulled
    /// (`wall_pull_prob`) or to stand (and be filled if crossed).
    pub fn before_move(&mut self, book: &mut LeaderBook, new_bid: i64, t_ns: i64, events: &mut Vec<BookEvent>) {
        let dist = |side: i8, tick: i64| {
            if side > 0 {
                new_bid - tick
            } else {
                tick - new_bid - 1
            }
        };
        let mut i = 0;
        while i < book.spoofs.len() {
            let s = book.spoofs[i].clone();
            if dist(s.side, s.tick) <= 2 {
                if s.on {
                    book.overlay(s.side, s.tick, s.lots, false);
                    events.push(event(book, "spoof", s.side, s.tick, s.lots, (s.on_since_ns, t_ns), "pulled"));
                }
                book.spoofs.swap_remove(i);
            } else {
                i += 1;
            }
        }
        let mut i = 0;
        while i < book.walls.len() {
            let w = book.walls[i].clone();
            if !w.stands && dist(w.side, w.tick) <= 5 {
                if book.rng().random::<f64>() < self.pull_prob {
                    book.overlay(w.side, w.tick, w.lots, false);
                    events.push(event(book, "wall", w.side, w.tick, w.lots, (w.start_ns, t_ns), "pulled"));
                    book.walls.swap_remove(i);
                    continue;
                }
                book.walls[i].stands = true;
            }
            i += 1;
        }
    }

    /// After the touch moved: record the walls it traded through.
    pub fn after_move(book: &LeaderBook, t_ns: i64, filled: &[Wall], events: &mut Vec<BookEvent>) {
        for w in filled {
            events.push(event(book, "wall", w.side, w.tick, w.lots, (w.start_ns, t_ns), "filled"));
        }
    }
}
