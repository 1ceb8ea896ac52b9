//! Multi-venue market simulator with known ground truth (issue #2 item 7).
//!
//! A latent efficient price with Markov-switching regimes ([`price`]) drives a leader venue
//! (`binance-futures` / `BTCUSDT`: fast quotes, deep L2 book with walls and spoofs, diff depth with
//! `U`/`u`/`pu`, trades, mark/index/funding/OI) and a follower venue (`hyperliquid` / `BTC`:
//! block-timed quotes and 20-level snapshots) whose mid follows the leader's with a known lag per
//! regime and direction and a transmission β ([`follower`], [`venue::LagLine`]). Each venue has its
//! own exchange clock and feed latency ([`venue::Feed`]). Output: the normalized [`Tables`] plus
//! the truth ([`truth::Truth`]), trade labels aligned to trade rows, regime segments and
//! wall/spoof lifetimes.
//!
//! Time advances on a 1 ms grid of true time; everything is deterministic by `seed` (independent
//! ChaCha8 streams per component, so e.g. changing the lag leaves the leader's price path as is).

pub mod book;
pub mod config;
pub mod flow;
pub mod follower;
pub mod output;
pub mod overlay;
pub mod price;
pub mod ticker;
pub mod truth;
pub mod validate;
pub mod venue;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

pub use config::{Regime, RegimeParams, RegimeSet, SimConfig};
pub use output::{BookEvent, Label};
pub use price::Segment;
pub use truth::Truth;

use crate::error::Result;
use crate::tables::Tables;
use book::LeaderBook;
use flow::Flow;
use follower::Follower;
use output::{Out, Stamp, FOLLOWER, LEADER, NONE};
use overlay::Overlays;
use price::{next_poisson, LatentPrice, BP};
use ticker::Tickers;
use venue::{Feed, LagLine};

/// Venue and symbol of the leader and the follower.
pub const LEADER_ID: (&str, &str) = ("binance-futures", "BTCUSDT");
pub const FOLLOWER_ID: (&str, &str) = ("hyperliquid", "BTC");

/// Everything one run produces.
#[derive(Debug)]
pub struct SimOutput {
    /// the normalized tables, rows in `ts_local` order; symbol 0 = leader, 1 = follower
    pub tables: Tables,
    /// [`Label`] code of each trade row
    pub labels: Vec<u8>,
    /// regime segments, ms since the start
    pub segments: Vec<Segment>,
    /// wall and spoof lifetimes on the leader book
    pub book_events: Vec<BookEvent>,
    pub truth: Truth,
}

impl SimOutput {
    /// Total rows over all tables (the "events" of the benchmark).
    #[must_use]
    pub fn events(&self) -> usize {
        self.tables.rows()
    }
}

fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(id);
    r
}

/// Leader-side timers (Poisson clocks, re-drawn when the regime changes).
struct Timers {
    refresh: i64,
    trade: i64,
    liquidation: i64,
    gap: i64,
    gap_end: i64,
    churn: i64,
    flush: i64,
    refresh_due: bool,
}

/// State shared by the per-ms handlers.
struct Sim<'a> {
    cfg: &'a SimConfig,
    rng: ChaCha8Rng,
    price: LatentPrice,
    book: LeaderBook,
    overlays: Overlays,
    flow: Flow,
    lfeed: Feed,
    ffeed: Feed,
    follower: Follower,
    lag: LagLine,
    tickers: Tickers,
    out: Out,
    timers: Timers,
    /// (aggressor, leader lots) of arbitrage hedges waiting for the leader
    hedges: Vec<(i8, i64)>,
    leader_tick: f64,
}

/// Run the simulator.
///
/// # Errors
/// [`crate::CoreError::InvalidInput`] when the config is invalid (see [`SimConfig::validate`]).
pub fn simulate(cfg: &SimConfig) -> Result<SimOutput> {
    cfg.validate()?;
    let mut book = LeaderBook::new(
        cfg.price,
        cfg.leader_tick,
        cfg.leader_lot,
        cfg.leader_book_ticks,
        cfg.leader_touch_qty,
        stream(cfg.seed, 2),
    );
    let overlays = Overlays::new(cfg, &mut book);
    let mid0 = book.mid_ticks() * cfg.leader_tick;
    let follower_offset = cfg.leader_clock_offset_ms + cfg.clock_offset_ms;
    let mut sim = Sim {
        cfg,
        rng: stream(cfg.seed, 8),
        price: LatentPrice::new(cfg, stream(cfg.seed, 1)),
        book,
        overlays,
        flow: Flow::new(
            (stream(cfg.seed, 3), stream(cfg.seed, 9)),
            cfg.leader_lot,
            cfg.leader_touch_qty,
            cfg.follower_tick,
            cfg.follower_lot,
        ),
        lfeed: Feed::new(
            cfg.leader_clock_offset_ms,
            cfg.leader_latency_ms,
            cfg.leader_latency_jitter_ms,
            stream(cfg.seed, 4),
        ),
        ffeed: Feed::new(follower_offset, cfg.follower_latency_ms, cfg.follower_latency_jitter_ms, stream(cfg.seed, 5)),
        follower: Follower::new(cfg, mid0, stream(cfg.seed, 6)),
        lag: LagLine::new(cfg.lag_table_ns()),
        tickers: Tickers::new(cfg, stream(cfg.seed, 7)),
        out: Out::new(LEADER_ID, FOLLOWER_ID),
        timers: Timers {
            refresh: 0,
            trade: 0,
            liquidation: 0,
            gap: 0,
            gap_end: 0,
            churn: 0,
            flush: 0,
            refresh_due: false,
        },
        hedges: Vec::new(),
        leader_tick: cfg.leader_tick,
    };
    sim.start();
    let steps = cfg.steps();
    for t_ms in 0..steps {
        sim.step(t_ms);
    }
    let end_ns = cfg.start_ns + steps * 1_000_000;
    sim.book.close_overlays(end_ns, &mut sim.out.book_events);
    let segments = sim.price.finish(steps);
    sim.out.sort_by_local_time();
    let mid_end = sim.book.mid_ticks() * cfg.leader_tick;
    let truth = truth::build(cfg, &sim.out, &segments, (mid0, mid_end), end_ns);
    Ok(SimOutput { tables: sim.out.tables, labels: sim.out.labels, segments, book_events: sim.out.book_events, truth })
}

impl Sim<'_> {
    fn t_ns(&self, t_ms: i64) -> i64 {
        self.cfg.start_ns + t_ms * 1_000_000
    }

    /// t = 0: the leader REST snapshot and first bbo; timers.
    fn start(&mut self) {
        let s = self.lfeed.stamp(self.cfg.start_ns);
        self.book.snapshot(&mut self.out, s, 1000);
        self.leader_bbo(s);
        self.redraw(0);
        self.timers.churn = next_poisson(&mut self.rng, 0, self.cfg.leader_churn_hz);
        self.timers.flush = self.cfg.leader_depth_interval_ms.round() as i64;
    }

    /// Re-draw the regime-dependent Poisson clocks (memoryless, so this is exact).
    fn redraw(&mut self, t_ms: i64) {
        let p = self.cfg.regimes.get(self.price.regime);
        self.timers.refresh = next_poisson(&mut self.rng, t_ms, p.refresh_hz);
        self.timers.trade = next_poisson(&mut self.rng, t_ms, p.trade_hz);
        self.timers.liquidation = next_poisson(&mut self.rng, t_ms, p.liquidation_hz);
        self.timers.gap = next_poisson(&mut self.rng, t_ms.max(self.timers.gap_end), p.idle_gap_hz);
    }

    fn leader_bbo(&mut self, s: Stamp) {
        if let Some((bid, ask, seq)) = self.book.bbo_if_changed() {
            self.out.bbo(LEADER, s, bid, ask, seq);
        }
    }

    fn step(&mut self, t_ms: i64) {
        let t_ns = self.t_ns(t_ms);
        let st = self.price.step(t_ms, &self.cfg.regimes);
        if st.regime_changed {
            self.redraw(t_ms);
        }
        let p = self.cfg.regimes.get(self.price.regime).clone();
        if t_ms >= self.timers.gap {
            self.timers.gap_end = t_ms + self.rng.random_range(50..=100);
            self.timers.gap = next_poisson(&mut self.rng, self.timers.gap_end, p.idle_gap_hz);
        }
        if st.jump != 0.0 {
            self.timers.refresh_due = true;
        }
        if t_ms >= self.timers.refresh {
            self.timers.refresh_due = true;
            self.timers.refresh = next_poisson(&mut self.rng, t_ms, p.refresh_hz);
        }
        let churn_now = t_ms >= self.timers.churn;
        if churn_now {
            self.timers.churn = next_poisson(&mut self.rng, t_ms, self.cfg.leader_churn_hz);
        }
        let idle = t_ms < self.timers.gap_end;
        if !idle {
            self.leader_market(t_ms, t_ns, &p, churn_now);
        }
        if t_ms >= self.timers.flush {
            let jitter = self.rng.random_range(0.8..1.2);
            self.timers.flush = t_ms + (self.cfg.leader_depth_interval_ms * jitter).round().max(1.0) as i64;
            let rpi = !idle && self.rng.random::<f64>() < 0.005;
            let s = self.lfeed.stamp(t_ns);
            self.book.flush(&mut self.out, s, rpi);
        }
        if t_ms > 0 && t_ms % self.tickers.interval_ms == 0 {
            let s = self.lfeed.stamp(t_ns);
            let mid = self.book.mid_ticks() * self.leader_tick;
            self.tickers.leader(&mut self.out, s, self.price.log_px, mid, self.price.regime, self.price.dir);
        }
        if t_ms >= self.follower.next_block_ms {
            self.follower_block(t_ms, t_ns, &p);
        }
    }

    /// Leader market activity of one ms (not called inside idle gaps).
    fn leader_market(&mut self, t_ms: i64, t_ns: i64, p: &RegimeParams, churn_now: bool) {
        if t_ms >= self.timers.liquidation {
            self.timers.liquidation = next_poisson(&mut self.rng, t_ms, p.liquidation_hz);
            self.liquidation(t_ns, p);
        }
        if self.timers.refresh_due {
            self.timers.refresh_due = false;
            let target = (self.price.log_px.exp() / self.leader_tick - 0.5).round() as i64;
            if target != self.book.best_bid {
                let informed = self.flow.rng().random::<f64>() < p.informed_prob;
                self.move_leader(t_ns, target, informed);
            }
        }
        if t_ms >= self.timers.trade {
            self.timers.trade = next_poisson(&mut self.rng, t_ms, p.trade_hz);
            let s = self.lfeed.stamp(t_ns);
            let (side, lots) = (self.flow.side(), self.flow.leader_noise_lots());
            self.flow.hit_leader(&mut self.out, s, &mut self.book, side, lots, Label::Noise);
            self.leader_bbo(s);
        }
        if churn_now {
            let s = self.lfeed.stamp(t_ns);
            self.book.churn();
            self.leader_bbo(s);
        }
        for (side, lots) in std::mem::take(&mut self.hedges) {
            let s = self.lfeed.stamp(t_ns);
            self.flow.hit_leader(&mut self.out, s, &mut self.book, side, lots, Label::Arbitrage);
            self.leader_bbo(s);
        }
        self.overlays.step(&mut self.book, t_ms, t_ns, &mut self.out.book_events);
        let s = self.lfeed.stamp(t_ns);
        self.leader_bbo(s);
    }

    /// Move the leader touch to best bid `target`, informed traders sweeping first (or not).
    fn move_leader(&mut self, t_ns: i64, target: i64, informed: bool) {
        let s = self.lfeed.stamp(t_ns);
        let aggr: i8 = if target > self.book.best_bid { 1 } else { -1 };
        self.overlays.before_move(&mut self.book, target, t_ns, &mut self.out.book_events);
        let mut printed = Vec::new();
        if informed {
            for (_, tick, lots) in self.book.crossed(target).into_iter().take(4) {
                self.flow.print_leader(&mut self.out, s, &self.book, tick, lots, aggr, Label::Informed);
                printed.push(tick);
            }
        }
        self.shift(s, target, aggr, &printed, Label::Informed);
    }

    /// Shift the book, print walls traded through, record the leader mid move for the follower.
    fn shift(&mut self, s: Stamp, target: i64, aggr: i8, printed: &[i64], wall_label: Label) -> f64 {
        let old = self.book.mid_ticks();
        let filled = self.book.shift(target);
        for w in &filled {
            if !printed.contains(&w.tick) {
                self.flow.print_leader(&mut self.out, s, &self.book, w.tick, w.lots, aggr, wall_label);
            }
        }
        Overlays::after_move(&self.book, s.t, &filled, &mut self.out.book_events);
        let dlog = (self.book.mid_ticks() / old).ln();
        self.lag.push(s.t, self.price.regime, dlog);
        dlog
    }

    /// A liquidation burst walking the leader book; it moves the latent price with it.
    fn liquidation(&mut self, t_ns: i64, p: &RegimeParams) {
        let aggr = if p.drift_bps > 0.0 { self.price.dir } else { self.flow.side() };
        let lots = self.flow.liquidation_lots();
        // spoofs and walls near the swept range react first; then the sweep is planned for real
        let (_, target) = Flow::sweep_plan(&self.book, aggr, lots);
        self.overlays.before_move(&mut self.book, target, t_ns, &mut self.out.book_events);
        let (fills, target) = Flow::sweep_plan(&self.book, aggr, lots);
        self.overlays.before_move(&mut self.book, target, t_ns, &mut self.out.book_events);
        let s = self.lfeed.stamp(t_ns);
        let (mut total, mut notional) = (0i64, 0i128);
        for &(tick, f) in &fills {
            self.flow.print_leader(&mut self.out, s, &self.book, tick, f, aggr, Label::Liquidation);
            total += f;
            notional += i128::from(tick) * i128::from(f);
        }
        if total == 0 {
            return;
        }
        let avg_tick = i64::try_from(notional / i128::from(total)).unwrap_or(self.book.best_bid);
        let (ts, ls) = (self.book.tick_scaled, self.book.lot_scaled);
        self.out.liquidation(LEADER, s, aggr, avg_tick * ts, total * ls);
        self.tickers.liquidated[0] += total as f64 * self.cfg.leader_lot;
        let printed: Vec<i64> = fills.iter().map(|f| f.0).collect();
        let dlog = self.shift(s, target, aggr, &printed, Label::Liquidation);
        self.price.nudge(dlog);
        // the new touch may be a partly filled level
        if let Some(&(tick, f)) = fills.last() {
            let touch = if aggr < 0 { self.book.best_bid } else { self.book.best_ask() };
            if tick == touch {
                self.book.take_touch(aggr, f);
            }
        }
        self.leader_bbo(s);
    }

    /// One follower block: trades at the stale quotes, requote, bbo / snapshot / ticker rows.
    fn follower_block(&mut self, t_ms: i64, t_ns: i64, p: &RegimeParams) {
        let delivered = self.lag.deliver_until(t_ns);
        let s = self.ffeed.stamp(t_ns);
        if self.follower.bid != 0 {
            self.follower_trades(t_ms, s, p, delivered);
        }
        self.follower.requote(t_ms, delivered, p.follower_spread_ticks);
        if let Some((bid, ask)) = self.follower.bbo_if_changed() {
            self.out.bbo(FOLLOWER, s, bid, ask, NONE);
        }
        if self.follower.snapshot_due(t_ms) {
            self.follower.snapshot(&mut self.out, s, t_ms);
        }
        if t_ms >= self.tickers.next_follower_ms {
            let ctx = Stamp { ex: s.local, ..s };
            let mid = self.follower.mid();
            self.tickers.follower(&mut self.out, ctx, t_ms, self.price.log_px, mid, self.price.regime);
        }
        self.follower.schedule_next(t_ms);
    }

    fn follower_trades(&mut self, t_ms: i64, s: Stamp, p: &RegimeParams, delivered: f64) {
        let dt_s = (t_ms - self.follower.last_block_ms()) as f64 / 1000.0;
        let (bid, ask) = (self.follower.bid, self.follower.ask);
        let at = |side: i8| if side > 0 { ask } else { bid };
        // arbitrage: a leader move still in flight, picked off at the stale quote, hedged on the leader
        let pending_bps = self.cfg.beta * self.lag.pending() / BP;
        if pending_bps.abs() >= self.cfg.arb_threshold_bps && self.flow.frng().random::<f64>() < self.cfg.arb_prob {
            let side: i8 = if pending_bps > 0.0 { 1 } else { -1 };
            let n = self.flow.frng().random_range(1..=3);
            for _ in 0..n {
                let lots = self.flow.follower_lots(0.05, 0.8);
                self.flow.print_follower(&mut self.out, s, at(side), lots, side, Label::Arbitrage);
                let hedge = self.flow.to_leader_lots(lots);
                self.hedges.push((-side, hedge));
            }
        }
        let lambda = p.follower_trade_hz * dt_s;
        let n = if lambda > 0.0 { Poisson::new(lambda).map_or(0.0, |d| d.sample(self.flow.frng())) as u32 } else { 0 };
        let gap_bps = (self.price.log_px - self.follower.fair_log(delivered)) / BP;
        for _ in 0..n {
            let informed = self.flow.frng().random::<f64>() < p.informed_prob;
            let (side, label) = if informed {
                let side = if gap_bps.abs() > 0.3 {
                    if gap_bps > 0.0 {
                        1
                    } else {
                        -1
                    }
                } else if p.drift_bps > 0.0 {
                    self.price.dir
                } else {
                    self.flow.fside()
                };
                (side, Label::Informed)
            } else {
                (self.flow.fside(), Label::Noise)
            };
            let lots = self.flow.follower_lots(0.005, 1.6);
            self.flow.print_follower(&mut self.out, s, at(side), lots, side, label);
        }
        // liquidations on the follower: a burst walking its book, half the leader's rate
        if self.flow.frng().random::<f64>() < p.liquidation_hz * 0.5 * dt_s {
            let side = if p.drift_bps > 0.0 { self.price.dir } else { self.flow.fside() };
            let k = self.flow.frng().random_range(2..=6);
            let mut total = 0i64;
            for i in 0..k {
                let tick = if side > 0 { ask + i } else { bid - i };
                let lots = self.flow.follower_lots(0.05, 1.0);
                total += lots;
                self.flow.print_follower(&mut self.out, s, tick, lots, side, Label::Liquidation);
            }
            self.tickers.liquidated[1] += total as f64 * self.cfg.follower_lot;
        }
    }
}

#[cfg(test)]
mod tests;
