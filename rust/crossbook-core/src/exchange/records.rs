//! Records the simulator produces — fills, counters, notices to the strategy — and the helpers that
//! write order-state transitions.

use std::cmp::Reverse;

use super::{ExchangeSim, OrderEvent, OrderState, Reason};

/// How a fill happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum FillKind {
    /// A trade at our price reached us through the queue.
    Queue = 0,
    /// A trade printed through our price.
    TradeThrough = 1,
    /// The opposite best crossed our price.
    BookCross = 2,
    /// Our crossing order took visible liquidity.
    Taker = 3,
}

impl FillKind {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FillKind::Queue => "queue",
            FillKind::TradeThrough => "trade_through",
            FillKind::BookCross => "book_cross",
            FillKind::Taker => "taker",
        }
    }
}

/// One fill of one of our orders. `#[repr(C)]` so it can cross to numpy as is.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct Fill {
    /// Exchange time of the fill, ns.
    pub ts_exchange: i64,
    /// When we learn of it: `ts_exchange` + response latency, ns.
    pub ts_local: i64,
    pub order_id: u64,
    pub client_id: i64,
    /// Fill price, scaled (our limit for maker fills; the level price for taker fills).
    pub px: i64,
    /// Fill size, scaled.
    pub qty: i64,
    /// Fee in quote currency, positive = paid, negative = rebate.
    pub fee: f64,
    /// Visible size still estimated ahead of us at the fill, scaled (0 for queue fills; can be
    /// positive for trade-through and book-cross fills).
    pub queue_ahead: i64,
    /// Order size still open after the fill, scaled.
    pub leaves: i64,
    /// +1 buy, −1 sell.
    pub side: i8,
    pub maker: bool,
    pub kind: FillKind,
}

/// Counted events that are not errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Post-only orders rejected because they would have crossed.
    pub post_only_rejects: u64,
    /// Cancels that found no open order.
    pub cancel_rejects: u64,
    /// Crossing orders whose remainder was dropped after taking all visible liquidity.
    pub taker_remainders: u64,
    /// Trades with unknown aggressor inside the spread (not matched against us).
    pub trades_unattributed: u64,
    /// Funding settlements skipped for lack of a rate or a price while a position was open.
    pub funding_skipped: u64,
    /// Market events processed (book rows, clears, trades, tickers).
    pub market_events: u64,
}

/// Which record a [`Notice`] points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// [`ExchangeSim::order_events`]
    Order,
    /// [`ExchangeSim::fills`]
    Fill,
    /// [`ExchangeSim::funding_payments`]
    Funding,
}

/// A record becoming visible to the strategy at `ts_local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Notice {
    pub ts_local: i64,
    pub kind: NoticeKind,
    /// Index into the record list of `kind`.
    pub index: usize,
}

impl ExchangeSim {
    pub(super) fn response_ts(&self, t: i64) -> i64 {
        t.saturating_add(self.cfg.latency.response(t, self.feed_latency))
    }

    pub(super) fn notice(&mut self, ts_local: i64, kind: NoticeKind, index: usize) {
        self.notices.push(Reverse((ts_local, self.seq, kind, index)));
        self.seq += 1;
    }

    /// Record a request leaving us (`Submitted` / `CancelRequested`): visible at once locally.
    pub(super) fn local_event(&mut self, arrival: i64, ts_local: i64, id: u64, state: OrderState) {
        let (px, qty, leaves, side, client_id) = self.fields(id);
        let ev = OrderEvent {
            ts_exchange: arrival,
            ts_local,
            order_id: id,
            client_id,
            px,
            qty,
            leaves,
            side,
            state,
            reason: Reason::None,
        };
        self.push_event(ev);
    }

    /// Record a venue-side transition of order `id` at exchange time `t`.
    pub(super) fn venue_event(&mut self, t: i64, id: u64, state: OrderState, reason: Reason) {
        let (px, qty, leaves, side, client_id) = self.fields(id);
        let ev = OrderEvent {
            ts_exchange: t,
            ts_local: self.response_ts(t),
            order_id: id,
            client_id,
            px,
            qty,
            leaves,
            side,
            state,
            reason,
        };
        self.push_event(ev);
    }

    /// (px, qty, leaves, side sign, client id) of order `id`.
    pub(super) fn fields(&self, id: u64) -> (i64, i64, i64, i8, i64) {
        match self.live.get(&id) {
            Some(o) => (o.px, o.qty, o.leaves, o.side.sign(), o.client_id),
            None => usize::try_from(id)
                .ok()
                .and_then(|i| self.meta.get(i))
                .map_or((0, 0, 0, 0, 0), |m| (m.px, m.qty, m.leaves, m.side, m.client_id)),
        }
    }

    pub(super) fn push_event(&mut self, ev: OrderEvent) {
        let i = self.events.len();
        let t = ev.ts_local;
        self.events.push(ev);
        self.notice(t, NoticeKind::Order, i);
    }
}
