//! Our orders on the simulated venue: sides, life-cycle states and the state-transition record.

use super::queue::QueuePos;

/// Side of one of our orders: a buy rests on the bid (+1), a sell on the ask (−1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// `+1` → Buy, `−1` → Sell, anything else → `None`.
    #[must_use]
    pub fn from_sign(v: i8) -> Option<Side> {
        match v {
            1 => Some(Side::Buy),
            -1 => Some(Side::Sell),
            _ => None,
        }
    }

    /// The other side.
    #[must_use]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// `+1` for Buy, `−1` for Sell (the book-table convention: +1 bid, −1 ask).
    #[must_use]
    pub fn sign(self) -> i8 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// One state transition of an order, as recorded in [`OrderEvent::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum OrderState {
    /// We sent the order (local clock); `ts_exchange` of the record is when it will reach the venue.
    Submitted = 0,
    /// The venue accepted the order (it rests, or it is about to take liquidity).
    Accepted = 1,
    /// The venue refused the order (post-only that would have crossed); see [`Reason`].
    Rejected = 2,
    /// A fill left part of the order open.
    PartiallyFilled = 3,
    /// A fill completed the order.
    Filled = 4,
    /// We sent a cancel (local clock); `ts_exchange` is when it will reach the venue.
    CancelRequested = 5,
    /// The venue removed the order on our cancel.
    Canceled = 6,
    /// The cancel reached the venue when the order was not open (already filled, canceled, rejected,
    /// or not yet arrived); counted in [`super::Counters::cancel_rejects`].
    CancelRejected = 7,
    /// The unfilled remainder of a liquidity-taking order was dropped (see [`Reason::TakerRemainder`]).
    Expired = 8,
}

impl OrderState {
    /// Every state, in code order.
    pub const ALL: [OrderState; 9] = [
        OrderState::Submitted,
        OrderState::Accepted,
        OrderState::Rejected,
        OrderState::PartiallyFilled,
        OrderState::Filled,
        OrderState::CancelRequested,
        OrderState::Canceled,
        OrderState::CancelRejected,
        OrderState::Expired,
    ];

    /// Lower-case name used in Python frames.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            OrderState::Submitted => "submitted",
            OrderState::Accepted => "accepted",
            OrderState::Rejected => "rejected",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::Filled => "filled",
            OrderState::CancelRequested => "cancel_requested",
            OrderState::Canceled => "canceled",
            OrderState::CancelRejected => "cancel_rejected",
            OrderState::Expired => "expired",
        }
    }
}

/// Why a transition happened, when it needs a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Reason {
    None = 0,
    /// A post-only order would have crossed the best opposite price when it reached the venue.
    PostOnlyCross = 1,
    /// A cancel found no open order.
    NotOpen = 2,
    /// A crossing (non-post-only) order took all visible liquidity up to its limit; the rest was
    /// dropped instead of resting in a book the replay cannot change (IOC-like).
    TakerRemainder = 3,
}

impl Reason {
    /// Lower-case name used in Python frames ("" for none).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Reason::None => "",
            Reason::PostOnlyCross => "post_only_cross",
            Reason::NotOpen => "not_open",
            Reason::TakerRemainder => "taker_remainder",
        }
    }
}

/// Where an order is in its life, as the venue sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Sent, not yet at the venue.
    InFlight,
    /// Resting in the venue's book.
    Open,
    /// Filled, canceled, rejected or expired.
    Done,
}

/// One of our orders while it is alive (in flight or resting).
#[derive(Debug, Clone)]
pub struct Order {
    /// Simulator-assigned id, sequential from 0 in submission order.
    pub id: u64,
    /// The caller's tag, carried into every record.
    pub client_id: i64,
    pub side: Side,
    /// Limit price, scaled integer (see `units`).
    pub px: i64,
    /// Original size, scaled integer.
    pub qty: i64,
    /// Size still open, scaled integer.
    pub leaves: i64,
    pub post_only: bool,
    /// Queue-position state while the order rests.
    pub queue: QueuePos,
}

/// One order state transition (the order log). `#[repr(C)]` so it can cross to numpy as is.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct OrderEvent {
    /// Exchange time of the transition, ns (for `Submitted` / `CancelRequested`: when the request
    /// will reach the venue).
    pub ts_exchange: i64,
    /// When we learn of it on the local clock, ns (for `Submitted` / `CancelRequested`: the decision
    /// time; otherwise `ts_exchange` + response latency).
    pub ts_local: i64,
    pub order_id: u64,
    pub client_id: i64,
    /// Limit price, scaled.
    pub px: i64,
    /// Original order size, scaled.
    pub qty: i64,
    /// Size still open after the transition, scaled.
    pub leaves: i64,
    /// +1 buy, −1 sell.
    pub side: i8,
    pub state: OrderState,
    pub reason: Reason,
}
