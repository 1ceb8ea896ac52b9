//! Order management as the strategy sees it: what it knows of its orders and inventory comes only
//! from the exchange simulator's notices (acks, fills, cancels, rejections after the response
//! latency). One working order per side; when the target moves by at least `requote_ticks` ticks
//! (or the size changes by more than `size_tolerance`), the working order is canceled and a new one
//! sent at once (cancel/replace); orders being canceled stay counted against
//! `max_orders_per_side` until the venue confirms they are gone.

use crate::error::Result;
use crate::exchange::{ExchangeSim, Notice, NoticeKind, OrderState, Side};

/// What the strategy believes about one of its orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// sent, no answer yet
    InFlight,
    /// acknowledged and resting
    Open,
    /// a cancel was sent
    CancelPending,
}

#[derive(Debug, Clone, Copy)]
struct MyOrder {
    id: u64,
    side: Side,
    px: i64,
    leaves: i64,
    state: Known,
}

/// Counters of the order manager.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OrderCounters {
    pub submitted: u64,
    pub cancels: u64,
    /// cancels sent again after the venue answered `cancel_rejected` to an order still alive
    pub recancels: u64,
    pub rejected_seen: u64,
    /// requotes held back by `max_orders_per_side`
    pub throttled: u64,
    /// sides not quoted because the size rounded to zero
    pub zero_size_sides: u64,
}

/// The strategy's orders and inventory.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    live: Vec<MyOrder>,
    /// working order per side (0 bid, 1 ask)
    working: [Option<u64>; 2],
    /// inventory known from polled fills, scaled
    pub inventory: i64,
    pub counters: OrderCounters,
}

fn idx(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

/// The target of one side: price and size, scaled.
pub(crate) type Target = Option<(i64, i64)>;

/// Requote rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// price move that triggers a replace, scaled
    pub requote_px: i64,
    pub size_tolerance: f64,
    pub max_per_side: usize,
    pub post_only: bool,
}

impl Orders {
    /// Apply notices from [`ExchangeSim::poll`].
    pub(crate) fn on_notices(&mut self, sim: &mut ExchangeSim, notices: &[Notice], t: i64) -> Result<()> {
        for n in notices {
            match n.kind {
                NoticeKind::Order => {
                    let Some(ev) = sim.order_events().get(n.index).copied() else { continue };
                    let Some(k) = self.live.iter().position(|o| o.id == ev.order_id) else { continue };
                    match ev.state {
                        OrderState::Accepted => {
                            if self.live[k].state == Known::InFlight {
                                self.live[k].state = Known::Open;
                            }
                        }
                        OrderState::PartiallyFilled => self.live[k].leaves = ev.leaves,
                        OrderState::Rejected | OrderState::Filled | OrderState::Canceled | OrderState::Expired => {
                            if ev.state == OrderState::Rejected {
                                self.counters.rejected_seen += 1;
                            }
                            let o = self.live.remove(k);
                            let w = &mut self.working[idx(o.side)];
                            if *w == Some(o.id) {
                                *w = None;
                            }
                        }
                        OrderState::CancelRejected => {
                            // the cancel reached the venue before the order (or raced a fill whose
                            // notice is still on its way): ask again while we believe it alive
                            if self.live[k].state == Known::CancelPending {
                                sim.cancel(t, ev.order_id)?;
                                self.counters.recancels += 1;
                            }
                        }
                        OrderState::Submitted | OrderState::CancelRequested => {}
                    }
                }
                NoticeKind::Fill => {
                    let Some(f) = sim.fills().get(n.index).copied() else { continue };
                    self.inventory += i64::from(f.side) * f.qty;
                    if let Some(o) = self.live.iter_mut().find(|o| o.id == f.order_id) {
                        o.leaves = f.leaves;
                    }
                }
                NoticeKind::Funding => {}
            }
        }
        Ok(())
    }

    fn alive(&self, side: Side) -> usize {
        self.live.iter().filter(|o| o.side == side).count()
    }

    fn cancel(&mut self, sim: &mut ExchangeSim, t: i64, id: u64) -> Result<()> {
        if let Some(o) = self.live.iter_mut().find(|o| o.id == id) {
            if o.state != Known::CancelPending {
                o.state = Known::CancelPending;
                sim.cancel(t, id)?;
                self.counters.cancels += 1;
            }
        }
        let w = &mut self.working;
        for s in w.iter_mut() {
            if *s == Some(id) {
                *s = None;
            }
        }
        Ok(())
    }

    /// Cancel every order.
    pub(crate) fn cancel_all(&mut self, sim: &mut ExchangeSim, t: i64) -> Result<()> {
        let ids: Vec<u64> = self.live.iter().filter(|o| o.state != Known::CancelPending).map(|o| o.id).collect();
        for id in ids {
            self.cancel(sim, t, id)?;
        }
        Ok(())
    }

    /// Bring one side to its target at local time `t`; returns the id of a new order, if sent.
    pub(crate) fn manage(
        &mut self,
        sim: &mut ExchangeSim,
        t: i64,
        side: Side,
        target: Target,
        rules: Rules,
        client_id: i64,
    ) -> Result<Option<u64>> {
        let working = self.working[idx(side)].and_then(|id| self.live.iter().find(|o| o.id == id).copied());
        match (target, working) {
            (None, None) => Ok(None),
            (None, Some(o)) => {
                self.cancel(sim, t, o.id)?;
                Ok(None)
            }
            (Some((px, qty)), w) => {
                if let Some(o) = w {
                    let moved = o.px.abs_diff(px) >= rules.requote_px.unsigned_abs().max(1);
                    let resized = (o.leaves - qty).unsigned_abs() as f64 > rules.size_tolerance * qty as f64;
                    if !moved && !resized {
                        return Ok(None);
                    }
                    self.cancel(sim, t, o.id)?;
                }
                if self.alive(side) >= rules.max_per_side {
                    self.counters.throttled += 1;
                    return Ok(None);
                }
                let id = sim.submit(t, client_id, side, px, qty, rules.post_only)?;
                self.counters.submitted += 1;
                self.live.push(MyOrder { id, side, px, leaves: qty, state: Known::InFlight });
                self.working[idx(side)] = Some(id);
                Ok(Some(id))
            }
        }
    }

    /// The working order of a side, if any: (id, price).
    pub(crate) fn working(&self, side: Side) -> Option<(u64, i64)> {
        let id = self.working[idx(side)]?;
        self.live.iter().find(|o| o.id == id).map(|o| (o.id, o.px))
    }
}
