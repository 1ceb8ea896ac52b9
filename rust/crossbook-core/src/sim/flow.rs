//! Trades and their true classes (heatmap seed §3.4: noise / informed / liquidation / arbitrage).
//!
//! - noise: random side, small lognormal size, at the touch; leaves the price alone;
//! - informed: sweeps the touch levels just before the leader mid moves in that direction (same ms);
//! - liquidation: bursts of same-side orders walking the leader book in a cascade (they move the
//!   price), plus a `liquidation` row; smaller bursts at the follower touch;
//! - arbitrage: on the follower at the stale touch while a leader move is still in flight, with the
//!   hedge on the leader (opposite side), both labelled arbitrage.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::book::LeaderBook;
use super::output::{Label, Out, Stamp, FOLLOWER, LEADER};

/// First leader trade id (Binance-like magnitude).
const FIRST_TRADE_ID: i64 = 5_266_583_935;
/// Odd multiplier: `n ↦ n·M mod 2^50` is a bijection, so follower ids look random but never repeat.
const TID_MULT: u64 = 0x2_9A3B_5C7D_1E2F;
const TID_MASK: u64 = (1 << 50) - 1;

/// Trade id generators and size draws.
pub struct Flow {
    rng: ChaCha8Rng,
    /// the follower's own stream, so follower activity never changes the leader's path
    frng: ChaCha8Rng,
    next_leader_id: i64,
    follower_count: u64,
    follower_tick_scaled: i64,
    follower_lot_scaled: i64,
    /// lot sizes, base units
    leader_lot: f64,
    follower_lot: f64,
    touch_lots: f64,
}

impl Flow {
    #[must_use]
    pub fn new(
        rngs: (ChaCha8Rng, ChaCha8Rng),
        leader_lot: f64,
        touch_qty: f64,
        follower_tick: f64,
        follower_lot: f64,
    ) -> Self {
        Self {
            rng: rngs.0,
            frng: rngs.1,
            next_leader_id: FIRST_TRADE_ID,
            follower_count: 1,
            follower_tick_scaled: (follower_tick * 1e8).round() as i64,
            follower_lot_scaled: (follower_lot * 1e8).round() as i64,
            leader_lot,
            follower_lot,
            touch_lots: touch_qty / leader_lot,
        }
    }

    /// Random draws for the driver's leader trade decisions.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Random draws for the follower's trade decisions.
    pub fn frng(&mut self) -> &mut ChaCha8Rng {
        &mut self.frng
    }

    fn size_from(rng: &mut ChaCha8Rng, median: f64, sigma: f64, lot: f64) -> i64 {
        let z: f64 = StandardNormal.sample(rng);
        (median * (sigma * z).exp() / lot).round().clamp(1.0, 1e9) as i64
    }

    /// Random side (+1 or -1) from the leader stream.
    pub fn side(&mut self) -> i8 {
        if self.rng.random::<bool>() {
            1
        } else {
            -1
        }
    }

    /// Random side (+1 or -1) from the follower stream.
    pub fn fside(&mut self) -> i8 {
        if self.frng.random::<bool>() {
            1
        } else {
            -1
        }
    }

    fn leader_id(&mut self) -> i64 {
        let id = self.next_leader_id;
        self.next_leader_id += 1;
        id
    }

    fn follower_id(&mut self) -> i64 {
        let id = self.follower_count.wrapping_mul(TID_MULT) & TID_MASK;
        self.follower_count += 1;
        // masked to 50 bits: always fits
        i64::try_from(id).unwrap_or(0)
    }

    /// Print a leader trade at `tick` (no book change).
    #[allow(clippy::too_many_arguments)] // one trade's fields, kept flat at the call sites
    pub fn print_leader(
        &mut self,
        out: &mut Out,
        s: Stamp,
        book: &LeaderBook,
        tick: i64,
        lots: i64,
        aggr: i8,
        label: Label,
    ) {
        if lots > 0 {
            let id = self.leader_id();
            out.trade(LEADER, s, tick * book.tick_scaled, lots * book.lot_scaled, aggr, id, label);
        }
    }

    /// An aggressive leader order of `lots` against the touch; prints what filled. Returns lots filled.
    pub fn hit_leader(
        &mut self,
        out: &mut Out,
        s: Stamp,
        book: &mut LeaderBook,
        aggr: i8,
        lots: i64,
        label: Label,
    ) -> i64 {
        let (tick, filled) = book.take_touch(aggr, lots);
        self.print_leader(out, s, book, tick, filled, aggr, label);
        filled
    }

    /// Leader noise trade size, lots (median 0.016, heavy tail: Binance BTCUSDT-like).
    pub fn leader_noise_lots(&mut self) -> i64 {
        Self::size_from(&mut self.rng, 0.016, 1.9, self.leader_lot)
    }

    /// Total size of a liquidation burst, leader lots (about two touch sizes, heavy tail).
    pub fn liquidation_lots(&mut self) -> i64 {
        Self::size_from(&mut self.rng, 2.0 * self.touch_lots * self.leader_lot, 0.8, self.leader_lot)
    }

    /// Walk the leader book with a liquidation order of `lots` (`aggr` −1 sells into bids): the
    /// fills `(tick, lots)` nearest first (at most 8 levels) and the best bid after the sweep.
    #[must_use]
    pub fn sweep_plan(book: &LeaderBook, aggr: i8, lots: i64) -> (Vec<(i64, i64)>, i64) {
        let far = if aggr < 0 { book.best_bid - 10_000 } else { book.best_bid + 10_000 };
        let levels = book.crossed(far);
        let mut left = lots;
        let mut fills = Vec::new();
        let mut new_bid = book.best_bid;
        for (_, tick, avail) in levels.into_iter().take(8) {
            let f = left.min(avail);
            fills.push((tick, f));
            left -= f;
            // the new touch: the partly filled level, or one tick past the last emptied one
            new_bid = if aggr < 0 {
                if f < avail {
                    tick
                } else {
                    tick - 1
                }
            } else if f < avail {
                tick - 1
            } else {
                tick
            };
            if left == 0 {
                break;
            }
        }
        (fills, new_bid)
    }

    /// Print a follower trade at follower tick `tick` of `lots` follower lots.
    pub fn print_follower(&mut self, out: &mut Out, s: Stamp, tick: i64, lots: i64, aggr: i8, label: Label) {
        let id = self.follower_id();
        out.trade(FOLLOWER, s, tick * self.follower_tick_scaled, lots * self.follower_lot_scaled, aggr, id, label);
    }

    /// Follower trade size in follower lots with `median` base units.
    pub fn follower_lots(&mut self, median: f64, sigma: f64) -> i64 {
        Self::size_from(&mut self.frng, median, sigma, self.follower_lot)
    }

    /// Follower lots → leader lots (same base units), at least one.
    #[must_use]
    pub fn to_leader_lots(&self, follower_lots: i64) -> i64 {
        ((follower_lots as f64 * self.follower_lot / self.leader_lot).round() as i64).max(1)
    }
}
