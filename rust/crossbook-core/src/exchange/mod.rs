//! Exchange simulator for our own orders on the quoted venue: the backtester's fill engine.
//!
//! The replayed market (book level updates and trades of one venue and symbol) drives a venue that
//! also holds our orders. The simulator is event-driven, deterministic (same calls → bit-identical
//! records) and works in the units of [`crate::units`]: prices and sizes are scaled `i64`, times
//! `i64` ns UTC.
//!
//! # Two clocks
//! Every market event has an exchange time (`ts_exchange`, when the venue matched it) and a local
//! time (`ts_local`, when our recorder saw it; feed latency = `ts_local − ts_exchange`). The venue
//! side of the simulator runs on the exchange clock; our decisions happen on the local clock
//! (see [`latency`] for entry / response latency):
//! - an order or cancel decided at local time `d` reaches the venue at `d + entry(d)`;
//! - everything the venue does at exchange time `e` (ack, rejection, fill, cancel, funding) reaches
//!   us at `e + response(e)`, the `ts_local` of its record; [`ExchangeSim::poll`] hands records to
//!   the strategy in that order.
//!
//! # Driving it (the caller's contract)
//! - Feed market events in non-decreasing `ts_exchange` order ([`ExchangeSim::on_book_level`],
//!   [`ExchangeSim::on_book_clear`], [`ExchangeSim::on_trade`], [`ExchangeSim::on_ticker`]); an
//!   event older than the venue clock is an [`CoreError::InvalidInput`].
//! - Before the strategy acts at local time `L`, feed every market event with `ts_exchange ≤ L`
//!   (and no later one); then [`ExchangeSim::submit`] / [`ExchangeSim::cancel`] at `L`. A request
//!   that would reach the venue before its clock is an [`CoreError::InvalidInput`] (it would have to
//!   be matched in the past).
//! - Pending requests are applied when the clock passes their arrival time: a market event at `T`
//!   first applies requests arriving strictly before `T`; [`ExchangeSim::advance_to`]`(t)` applies
//!   those arriving at or before `t`. **Ties**: a market event stamped at the same ns as a request's
//!   arrival is applied first (the conservative choice with millisecond venue stamps: a trade in the
//!   same millisecond as our arrival does not fill us).
//!
//! # Matching (see [`queue`] for queue position), following hftbacktest's `PartialFillExchange`
//! (<https://hftbacktest.readthedocs.io/en/latest/order_fill.html>)
//! - On arrival a post-only order that would cross the best opposite price (buy `px ≥ best ask`,
//!   sell `px ≤ best bid`) is **rejected** and counted. A non-post-only crossing order takes the
//!   visible opposite levels up to its limit as a taker, each level at its own price; the unfilled
//!   remainder is dropped (`expired`, counted) — hftbacktest instead fills it at the limit price,
//!   which the replayed book cannot justify. A non-crossing order rests and joins the queue behind
//!   the visible size at its price.
//! - A trade whose aggressor hits our side **at our price** consumes the size ahead of us first; the
//!   rest fills us (partial fills allowed). Several of our orders at one level are swept in arrival
//!   order: the print's size left after filling an earlier order of ours is what reaches the next.
//! - A trade **through** our price (sell aggressor below our bid, buy aggressor above our ask) fills
//!   the whole remaining order at our price: the venue's price-time priority would have hit us first.
//! - The book **crossing** our price (best ask ≤ our bid, best bid ≥ our ask, after an update of the
//!   opposite side) fills the whole order at our price, as a maker: our order was resting, the
//!   liquidity that now crosses it would have traded against it.
//! - A trade with unknown aggressor (0) is attributed from the book: `px ≥ best ask` → buyer,
//!   `px ≤ best bid` → seller; inside the spread it is ignored and counted.
//! - Our fills never change the replayed book (no market impact), as in every replay backtester.
//!
//! # Errors
//! Zero / negative sizes, non-positive prices, NaN (through [`to_scaled`]), a side other than ±1, an
//! unknown order id on cancel, time going backwards: [`CoreError::InvalidInput`], the simulator left
//! unchanged. Business rejections (post-only cross, cancel of an order that is no longer open, taker
//! remainder, funding with no price or rate, unattributable trades) are records plus
//! [`Counters`]. Nothing panics.

pub mod fees;
pub mod funding;
pub mod latency;
mod matching;
pub mod order;
pub mod queue;
mod records;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

pub use fees::Fees;
pub use funding::{FundingPayment, FundingSchedule};
pub use latency::{LatencyModel, LatencySeries};
pub use order::{Order, OrderEvent, OrderState, Reason, Side, Status};
pub use queue::QueueModel;
pub use records::{Counters, Fill, FillKind, Notice, NoticeKind};

use crate::error::{CoreError, Result};
use crate::units::{MISSING_I64, PX_EXP, QTY_EXP};
use funding::FundingClock;
use matching::Book;

/// Everything that configures a simulated venue.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub queue: QueueModel,
    pub latency: LatencyModel,
    pub fees: Fees,
    pub funding: FundingSchedule,
    /// Decimal exponent of prices (default [`PX_EXP`]).
    pub px_exp: u32,
    /// Decimal exponent of sizes (default [`QTY_EXP`]).
    pub qty_exp: u32,
}

impl Default for SimConfig {
    /// Risk-averse queue, zero latency, zero fees, no funding, 8-decimal prices and sizes.
    fn default() -> Self {
        Self {
            queue: QueueModel::RiskAverse,
            latency: LatencyModel::Constant { entry_ns: 0, response_ns: 0 },
            fees: Fees::default(),
            funding: FundingSchedule::None,
            px_exp: PX_EXP,
            qty_exp: QTY_EXP,
        }
    }
}

/// What the simulator keeps of every order, live or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    status: Status,
    client_id: i64,
    side: i8,
    px: i64,
    qty: i64,
    /// Size open when the order finished (kept current only once it is done).
    leaves: i64,
}

/// A request on its way to the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    New(u64),
    Cancel(u64),
}

/// The simulated venue holding our orders. See the module docs for the rules.
#[derive(Debug, Clone)]
pub struct ExchangeSim {
    cfg: SimConfig,
    /// `10^qty_exp` as f64 (the log queue model works in instrument units).
    unit: f64,
    book: Book,
    /// Orders in flight or resting, by id.
    live: BTreeMap<u64, Order>,
    /// Every order ever submitted, indexed by id.
    meta: Vec<Meta>,
    /// Resting order ids per (side sign, price), in arrival order.
    levels: BTreeMap<(i8, i64), Vec<u64>>,
    /// best price of `levels` per side (buys, sells): the crossing check on every book update
    own_best: [Option<i64>; 2],
    /// `(side sign, px)` keys of `levels`, for the per-update check
    own_keys: Vec<(i8, i64)>,
    /// no request or settlement is due before this exchange time (ns): `drain` returns at once
    due: i64,
    /// Requests in flight, by (arrival ns, sequence).
    pending: BTreeMap<(i64, u64), Action>,
    seq: u64,
    /// Venue clock: exchange time processed so far (ns; `i64::MIN` before anything).
    clock: i64,
    /// Latest feed latency seen (ns).
    feed_latency: i64,
    mark_px: i64,
    funding_rate: f64,
    funding: FundingClock,
    position: i64,
    cash: f64,
    fees_paid: f64,
    funding_received: f64,
    fills: Vec<Fill>,
    events: Vec<OrderEvent>,
    payments: Vec<FundingPayment>,
    counters: Counters,
    notices: BinaryHeap<Reverse<(i64, u64, NoticeKind, usize)>>,
}

/// A finite decimal `x` as a scaled integer `round(x · 10^exp)`, for prices and sizes that come
/// from float models or Python. `what` names the value in the error.
///
/// # Errors
/// [`CoreError::InvalidInput`] for NaN, infinities, and values outside the i64 range once scaled.
pub fn to_scaled(x: f64, exp: u32, what: &str) -> Result<i64> {
    if !x.is_finite() {
        return Err(CoreError::InvalidInput(format!("{what} must be a finite number, got {x}")));
    }
    let v = (x * 10f64.powi(exp.min(300) as i32)).round();
    if v.abs() >= 9.2e18 {
        return Err(CoreError::InvalidInput(format!("{what} {x} is too large for 10^-{exp} units")));
    }
    Ok(v as i64)
}

impl ExchangeSim {
    /// A venue with an empty book and no orders.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] when a model parameter is unusable (see each model's `validate`)
    /// or an exponent exceeds 18.
    pub fn new(cfg: SimConfig) -> Result<Self> {
        cfg.queue.validate()?;
        cfg.latency.validate()?;
        cfg.fees.validate()?;
        cfg.funding.validate()?;
        if cfg.px_exp > 18 || cfg.qty_exp > 18 {
            return Err(CoreError::InvalidInput(format!(
                "px_exp and qty_exp must be <= 18 (got {}, {})",
                cfg.px_exp, cfg.qty_exp
            )));
        }
        Ok(Self {
            unit: 10f64.powi(cfg.qty_exp as i32),
            funding: FundingClock::new(cfg.funding.clone()),
            cfg,
            book: Book::default(),
            live: BTreeMap::new(),
            meta: Vec::new(),
            levels: BTreeMap::new(),
            own_best: [None, None],
            own_keys: Vec::new(),
            due: i64::MIN,
            pending: BTreeMap::new(),
            seq: 0,
            clock: i64::MIN,
            feed_latency: 0,
            mark_px: MISSING_I64,
            funding_rate: f64::NAN,
            position: 0,
            cash: 0.0,
            fees_paid: 0.0,
            funding_received: 0.0,
            fills: Vec::new(),
            events: Vec::new(),
            payments: Vec::new(),
            counters: Counters::default(),
            notices: BinaryHeap::new(),
        })
    }

    // ---- market events (exchange clock) ------------------------------------------------------

    /// A book level of the quoted venue now holds `qty` (absolute, scaled; 0 deletes) at `px`.
    /// `side`: +1 bid, −1 ask; 0 is the data model's sequence-only row and only moves the clock.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for time going backwards, a side not in {−1, 0, +1}, `px ≤ 0`
    /// or `qty < 0`.
    pub fn on_book_level(&mut self, ts_exchange: i64, ts_local: i64, side: i8, px: i64, qty: i64) -> Result<()> {
        let s = match side {
            0 => None,
            _ => Some(Side::from_sign(side).ok_or_else(|| bad(format!("book side must be +1, -1 or 0, got {side}")))?),
        };
        if s.is_some() && (px <= 0 || qty < 0) {
            return Err(bad(format!(
                "book level at {ts_exchange} ns: px must be > 0 and qty >= 0 (px {px}, qty {qty})"
            )));
        }
        self.begin_market(ts_exchange, ts_local)?;
        if let Some(s) = s {
            self.apply_level(ts_exchange, s, px, qty);
        }
        Ok(())
    }

    /// Empty one side (`+1` / `−1`) or both (`0`) of the replayed book, before a snapshot. Queue
    /// positions are kept (as hftbacktest does): the snapshot rows that follow update them like any
    /// level change.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for time going backwards or a side not in {−1, 0, +1}.
    pub fn on_book_clear(&mut self, ts_exchange: i64, ts_local: i64, side: i8) -> Result<()> {
        let s = match side {
            0 => None,
            _ => Some(Side::from_sign(side).ok_or_else(|| bad(format!("clear side must be +1, -1 or 0, got {side}")))?),
        };
        self.begin_market(ts_exchange, ts_local)?;
        self.book.clear(s);
        Ok(())
    }

    /// A trade print: `px`, `qty` (scaled), `aggressor` +1 buyer took, −1 seller took, 0 unknown.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for time going backwards, `px ≤ 0`, `qty ≤ 0` or an aggressor not
    /// in {−1, 0, +1}.
    pub fn on_trade(&mut self, ts_exchange: i64, ts_local: i64, px: i64, qty: i64, aggressor: i8) -> Result<()> {
        if px <= 0 || qty <= 0 || !(-1..=1).contains(&aggressor) {
            return Err(bad(format!(
                "trade at {ts_exchange} ns: px and qty must be > 0 and aggressor in {{-1, 0, 1}} \
                 (px {px}, qty {qty}, aggressor {aggressor})"
            )));
        }
        self.begin_market(ts_exchange, ts_local)?;
        self.apply_trade(ts_exchange, px, qty, aggressor);
        Ok(())
    }

    /// Mark price (scaled; [`MISSING_I64`] = unchanged) and funding rate of the interval (fraction;
    /// NaN = unchanged), used at the next funding settlement.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for time going backwards or a non-positive mark.
    pub fn on_ticker(&mut self, ts_exchange: i64, ts_local: i64, mark_px: i64, funding_rate: f64) -> Result<()> {
        if mark_px != MISSING_I64 && mark_px <= 0 {
            return Err(bad(format!("ticker at {ts_exchange} ns: mark price must be > 0, got {mark_px}")));
        }
        if funding_rate.is_infinite() {
            return Err(bad(format!("ticker at {ts_exchange} ns: funding rate must be finite or NaN")));
        }
        self.begin_market(ts_exchange, ts_local)?;
        if mark_px != MISSING_I64 {
            self.mark_px = mark_px;
        }
        if funding_rate.is_finite() {
            self.funding_rate = funding_rate;
        }
        Ok(())
    }

    /// Apply every request arriving at or before `ts_exchange` and every funding settlement due by
    /// then; the caller promises that all market events stamped `≤ ts_exchange` were fed.
    pub fn advance_to(&mut self, ts_exchange: i64) {
        self.drain(ts_exchange, true);
        self.clock = self.clock.max(ts_exchange);
    }

    // ---- our requests (local clock) ----------------------------------------------------------

    /// Send a limit order at local time `ts_local`; returns its id (sequential from 0). `px`, `qty`
    /// scaled; `post_only` orders that would cross on arrival are rejected instead of taking.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for `px ≤ 0`, `qty ≤ 0`, or an arrival time before the venue clock.
    pub fn submit(
        &mut self,
        ts_local: i64,
        client_id: i64,
        side: Side,
        px: i64,
        qty: i64,
        post_only: bool,
    ) -> Result<u64> {
        if px <= 0 {
            return Err(bad(format!("order price must be > 0, got {px}")));
        }
        if qty <= 0 {
            return Err(bad(format!("order size must be > 0, got {qty}")));
        }
        let arrival = self.arrival(ts_local)?;
        let id = self.meta.len() as u64;
        let order = Order { id, client_id, side, px, qty, leaves: qty, post_only, queue: self.cfg.queue.join(0) };
        self.live.insert(id, order);
        self.meta.push(Meta { status: Status::InFlight, client_id, side: side.sign(), px, qty, leaves: qty });
        self.push_pending(arrival, Action::New(id));
        self.local_event(arrival, ts_local, id, OrderState::Submitted);
        Ok(id)
    }

    /// Send a cancel of order `order_id` at local time `ts_local`. If the order is no longer open
    /// when the cancel arrives, the venue answers `cancel_rejected` (counted).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an id never returned by [`Self::submit`], or an arrival time
    /// before the venue clock.
    pub fn cancel(&mut self, ts_local: i64, order_id: u64) -> Result<()> {
        if order_id >= self.meta.len() as u64 {
            return Err(bad(format!("cancel of unknown order id {order_id}")));
        }
        let arrival = self.arrival(ts_local)?;
        self.push_pending(arrival, Action::Cancel(order_id));
        self.local_event(arrival, ts_local, order_id, OrderState::CancelRequested);
        Ok(())
    }

    /// Records that reach the strategy at or before local time `ts_local` and were not polled yet,
    /// in `ts_local` order (ties in the order the venue produced them).
    pub fn poll(&mut self, ts_local: i64) -> Vec<Notice> {
        let mut out = Vec::new();
        while let Some(Reverse((t, _, kind, index))) = self.notices.peek().copied() {
            if t > ts_local {
                break;
            }
            self.notices.pop();
            out.push(Notice { ts_local: t, kind, index });
        }
        out
    }

    // ---- state and records -------------------------------------------------------------------

    #[must_use]
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }
    /// Venue clock, ns (`i64::MIN` before the first event).
    #[must_use]
    pub fn clock(&self) -> i64 {
        self.clock
    }
    /// Latest feed latency `ts_local − ts_exchange` seen, ns.
    #[must_use]
    pub fn feed_latency_ns(&self) -> i64 {
        self.feed_latency
    }
    /// Position, scaled (+ long), as the venue knows it.
    #[must_use]
    pub fn position(&self) -> i64 {
        self.position
    }
    /// Quote-currency balance change: sell notional − buy notional − fees + funding.
    #[must_use]
    pub fn cash(&self) -> f64 {
        self.cash
    }
    /// Total fees paid, quote currency (negative = net rebate).
    #[must_use]
    pub fn fees_paid(&self) -> f64 {
        self.fees_paid
    }
    /// Total funding received, quote currency (negative = paid).
    #[must_use]
    pub fn funding_received(&self) -> f64 {
        self.funding_received
    }
    #[must_use]
    pub fn counters(&self) -> Counters {
        self.counters
    }
    #[must_use]
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }
    #[must_use]
    pub fn order_events(&self) -> &[OrderEvent] {
        &self.events
    }
    #[must_use]
    pub fn funding_payments(&self) -> &[FundingPayment] {
        &self.payments
    }
    /// Venue-side status of an order, `None` for an unknown id.
    #[must_use]
    pub fn order_status(&self, order_id: u64) -> Option<Status> {
        usize::try_from(order_id).ok().and_then(|i| self.meta.get(i)).map(|m| m.status)
    }
    /// Size still open of a live order (in flight or resting), scaled.
    #[must_use]
    pub fn leaves(&self, order_id: u64) -> Option<i64> {
        self.live.get(&order_id).map(|o| o.leaves)
    }
    /// Estimated visible size ahead of a resting order, scaled; `None` unless it is resting.
    #[must_use]
    pub fn queue_ahead(&self, order_id: u64) -> Option<i64> {
        match self.order_status(order_id) {
            Some(Status::Open) => self.live.get(&order_id).map(|o| o.queue.ahead),
            _ => None,
        }
    }
    /// Ids of resting orders, ascending.
    #[must_use]
    pub fn open_orders(&self) -> Vec<u64> {
        self.live.keys().copied().filter(|&id| self.order_status(id) == Some(Status::Open)).collect()
    }
    /// Best bid (px, qty) of the replayed book, scaled.
    #[must_use]
    pub fn best_bid(&self) -> Option<(i64, i64)> {
        self.book.best_bid()
    }
    /// Best ask (px, qty) of the replayed book, scaled.
    #[must_use]
    pub fn best_ask(&self) -> Option<(i64, i64)> {
        self.book.best_ask()
    }

    // ---- internals ---------------------------------------------------------------------------

    /// Clock checks and pending work before a market event at `t`.
    fn begin_market(&mut self, t: i64, ts_local: i64) -> Result<()> {
        if t < self.clock {
            return Err(bad(format!(
                "market event at {t} ns is before the venue clock {} ns: feed events in ts_exchange order",
                self.clock
            )));
        }
        self.drain(t, false);
        self.clock = t;
        self.feed_latency = ts_local.saturating_sub(t);
        self.counters.market_events += 1;
        Ok(())
    }

    /// Arrival time at the venue of a request decided at local `d`.
    fn arrival(&self, d: i64) -> Result<i64> {
        let a = d.saturating_add(self.cfg.latency.entry(d, self.feed_latency));
        if a < self.clock {
            return Err(bad(format!(
                "request decided at {d} ns would reach the venue at {a} ns, before its clock {} ns: feed market \
                 events only up to the decision time",
                self.clock
            )));
        }
        Ok(a)
    }

    fn push_pending(&mut self, arrival: i64, action: Action) {
        self.pending.insert((arrival, self.seq), action);
        self.seq += 1;
        self.due = self.due.min(arrival);
    }

    /// Apply requests arriving before `t` (or at `t` when `inclusive`) and settlements due by `t`,
    /// in time order; a settlement goes before a request arriving at the same ns.
    fn drain(&mut self, t: i64, inclusive: bool) {
        if t < self.due {
            return;
        }
        loop {
            let next_req = self.pending.first_key_value().map(|(k, _)| k.0).filter(|&a| a < t || (inclusive && a == t));
            let next_fund = self.funding.next(t).filter(|&f| f <= t);
            let fund_first = match (next_req, next_fund) {
                (Some(a), Some(f)) => f <= a,
                (None, Some(_)) => true,
                _ => false,
            };
            match (next_req, next_fund) {
                (_, Some(f)) if fund_first => {
                    self.funding.advance();
                    self.clock = self.clock.max(f);
                    self.settle_funding(f);
                }
                (Some(a), _) => {
                    let Some((_, action)) = self.pending.pop_first() else { break };
                    self.clock = self.clock.max(a);
                    match action {
                        Action::New(id) => self.arrive_new(a, id),
                        Action::Cancel(id) => self.arrive_cancel(a, id),
                    }
                }
                _ => break,
            }
        }
        let next_req = self.pending.first_key_value().map_or(i64::MAX, |(k, _)| k.0);
        self.due = next_req.min(self.funding.next(t).unwrap_or(i64::MAX));
    }
}

fn bad(msg: String) -> CoreError {
    CoreError::InvalidInput(msg)
}

#[cfg(test)]
mod tests;
