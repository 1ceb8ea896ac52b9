//! The venue's side of the simulator: the replayed book, request arrival, fills against trades and
//! book crossings, and funding settlement. The rules are in the parent module's docs.

use std::ops::Bound::{Excluded, Included, Unbounded};

use super::fees::notional;
use super::funding::{payment, FundingPayment};
use super::{ExchangeSim, Fill, FillKind, NoticeKind, OrderState, Reason, Side, Status};
use crate::book::{L2Book, Side as BookSide};
use crate::units::MISSING_I64;

/// The replayed L2 book of the quoted venue (scaled prices and sizes): the crate's sorted-array
/// [`L2Book`] (O(1) best price, updates near the top without moving the deep levels).
#[derive(Debug, Clone, Default)]
pub(super) struct Book(L2Book);

fn book_side(s: Side) -> BookSide {
    match s {
        Side::Buy => BookSide::Bid,
        Side::Sell => BookSide::Ask,
    }
}

impl Book {
    /// Set a level (0 deletes); returns the previous size (0 if absent).
    #[inline]
    fn set(&mut self, s: Side, px: i64, qty: i64) -> i64 {
        self.0.replace(book_side(s), px, qty)
    }

    fn qty(&self, s: Side, px: i64) -> i64 {
        self.0.queue_at(book_side(s), px)
    }

    /// The best level of side `s` as `(px, qty)`.
    #[inline]
    pub(super) fn best(&self, s: Side) -> Option<(i64, i64)> {
        self.0.side(book_side(s)).best().map(|l| (l.px, l.qty))
    }

    pub(super) fn best_bid(&self) -> Option<(i64, i64)> {
        self.best(Side::Buy)
    }

    pub(super) fn best_ask(&self) -> Option<(i64, i64)> {
        self.best(Side::Sell)
    }

    pub(super) fn clear(&mut self, s: Option<Side>) {
        match s {
            Some(s) => self.0.clear_side(book_side(s)),
            None => self.0.clear(),
        }
    }

    /// Integer mid (floor) when both sides exist.
    fn mid(&self) -> Option<i64> {
        let (b, a) = (self.best_bid()?.0, self.best_ask()?.0);
        Some(((i128::from(b) + i128::from(a)) / 2) as i64)
    }

    /// Levels of side `s` a taker order with limit `limit` reaches, best first: asks at or below it
    /// for a buy taker (`s` = the resting side).
    fn through(&self, s: Side, limit: i64) -> Vec<(i64, i64)> {
        let reach = |px: i64| match s {
            Side::Sell => px <= limit,
            Side::Buy => px >= limit,
        };
        self.0.side(book_side(s)).iter().take_while(|l| reach(l.px)).map(|l| (l.px, l.qty)).collect()
    }
}

impl ExchangeSim {
    /// A new order reaches the venue at exchange time `t`.
    pub(super) fn arrive_new(&mut self, t: i64, id: u64) {
        let Some(o) = self.live.get(&id) else { return };
        let (side, px, post_only) = (o.side, o.px, o.post_only);
        let crosses = match side {
            Side::Buy => self.book.best_ask().is_some_and(|(a, _)| px >= a),
            Side::Sell => self.book.best_bid().is_some_and(|(b, _)| px <= b),
        };
        if crosses && post_only {
            self.counters.post_only_rejects += 1;
            self.venue_event(t, id, OrderState::Rejected, Reason::PostOnlyCross);
            self.finish(id);
            return;
        }
        self.venue_event(t, id, OrderState::Accepted, Reason::None);
        if crosses {
            self.take(t, id, side, px);
            return;
        }
        let join = self.cfg.queue.join(self.book.qty(side, px));
        if let Some(o) = self.live.get_mut(&id) {
            o.queue = join;
        }
        self.levels.entry((side.sign(), px)).or_default().push(id);
        self.refresh_own_best();
        self.set_status(id, Status::Open);
    }

    /// A cancel of order `id` reaches the venue at `t`.
    pub(super) fn arrive_cancel(&mut self, t: i64, id: u64) {
        if self.order_status(id) == Some(Status::Open) {
            self.venue_event(t, id, OrderState::Canceled, Reason::None);
            self.finish(id);
        } else {
            self.counters.cancel_rejects += 1;
            self.venue_event(t, id, OrderState::CancelRejected, Reason::NotOpen);
        }
    }

    /// Crossing order `id` takes visible opposite liquidity up to `limit`; the remainder expires.
    fn take(&mut self, t: i64, id: u64, side: Side, limit: i64) {
        let levels = self.book.through(side.opposite(), limit);
        for (lpx, lqty) in levels {
            let Some(leaves) = self.live.get(&id).map(|o| o.leaves) else { return };
            self.fill(t, id, lpx, leaves.min(lqty), false, FillKind::Taker, 0);
        }
        if self.live.contains_key(&id) {
            self.counters.taker_remainders += 1;
            self.venue_event(t, id, OrderState::Expired, Reason::TakerRemainder);
            self.finish(id);
        }
    }

    /// A book level changed at `t`: queue updates at that level, then crossing of our opposite orders.
    /// Without resting orders (most of a replay) this is just the book update.
    ///
    /// Our resting orders never cross the book (a crossing is filled when it happens), so only a
    /// level that appears or grows at or through our best opposite price can cross: the book's new
    /// best on that side is then this level, and every order of ours at or through it fills.
    pub(super) fn apply_level(&mut self, t: i64, side: Side, px: i64, qty: i64) {
        let prev = self.book.set(side, px, qty);
        if self.levels.is_empty() {
            return;
        }
        if self.own_keys.contains(&(side.sign(), px)) {
            if let Some(ids) = self.levels.get(&(side.sign(), px)) {
                let model = self.cfg.queue;
                for id in ids {
                    if let Some(o) = self.live.get_mut(id) {
                        model.on_depth(&mut o.queue, t, prev, qty, self.unit);
                    }
                }
            }
        }
        if qty <= prev {
            return;
        }
        match side {
            Side::Sell => {
                if self.own_best(Side::Buy).is_some_and(|b| b >= px) {
                    let ids = self.ids_in(1, Included(px), Unbounded, true);
                    self.fill_all(t, &ids, FillKind::BookCross);
                }
            }
            Side::Buy => {
                if self.own_best(Side::Sell).is_some_and(|a| a <= px) {
                    let ids = self.ids_in(-1, Unbounded, Included(px), false);
                    self.fill_all(t, &ids, FillKind::BookCross);
                }
            }
        }
    }

    /// The best price among our resting orders of side `s` (highest buy / lowest sell).
    #[inline]
    fn own_best(&self, s: Side) -> Option<i64> {
        match s {
            Side::Buy => self.own_best[0],
            Side::Sell => self.own_best[1],
        }
    }

    /// Recompute [`Self::own_best`]'s cache after `levels` gained or lost a price.
    fn refresh_own_best(&mut self) {
        let side = |sign: i8| self.levels.range((sign, i64::MIN)..=(sign, i64::MAX));
        self.own_best = [side(1).next_back().map(|((_, px), _)| *px), side(-1).next().map(|((_, px), _)| *px)];
        self.own_keys.clear();
        self.own_keys.extend(self.levels.keys().copied());
    }

    /// A trade print at `t`.
    pub(super) fn apply_trade(&mut self, t: i64, px: i64, qty: i64, aggressor: i8) {
        let aggressor = match aggressor {
            0 if self.book.best_ask().is_some_and(|(a, _)| px >= a) => 1,
            0 if self.book.best_bid().is_some_and(|(b, _)| px <= b) => -1,
            0 => {
                self.counters.trades_unattributed += 1;
                return;
            }
            a => a,
        };
        // a seller taking hits the bids (our buys); a buyer taking lifts the asks (our sells)
        let hit = if aggressor < 0 { Side::Buy } else { Side::Sell };
        let through = match hit {
            Side::Buy => self.ids_in(1, Excluded(px), Unbounded, true),
            Side::Sell => self.ids_in(-1, Unbounded, Excluded(px), false),
        };
        self.fill_all(t, &through, FillKind::TradeThrough);
        let Some(ids) = self.levels.get(&(hit.sign(), px)).cloned() else { return };
        let mut ours_before = 0i64;
        for id in ids {
            let Some(o) = self.live.get_mut(&id) else { continue };
            let avail = (qty - ours_before).max(0);
            let eaten = o.queue.ahead.min(avail);
            o.queue.ahead -= eaten;
            self.cfg.queue.on_trade(&mut o.queue, qty);
            let f = (avail - eaten).min(o.leaves);
            let ahead = o.queue.ahead;
            if f > 0 {
                self.fill(t, id, px, f, true, FillKind::Queue, ahead);
                ours_before += f;
            }
        }
    }

    /// Resting ids on side `sign` with price in (`lo`, `hi`), best price first, arrival order within.
    fn ids_in(&self, sign: i8, lo: std::ops::Bound<i64>, hi: std::ops::Bound<i64>, descending: bool) -> Vec<u64> {
        let key = |b: std::ops::Bound<i64>, open: i64| match b {
            Included(p) => Included((sign, p)),
            Excluded(p) => Excluded((sign, p)),
            Unbounded => Included((sign, open)),
        };
        let range = self.levels.range((key(lo, i64::MIN), key(hi, i64::MAX)));
        if descending {
            range.rev().flat_map(|(_, v)| v.iter().copied()).collect()
        } else {
            range.flat_map(|(_, v)| v.iter().copied()).collect()
        }
    }

    /// Fill every listed order completely at its own price as a maker.
    fn fill_all(&mut self, t: i64, ids: &[u64], kind: FillKind) {
        for &id in ids {
            let Some((px, leaves, ahead)) = self.live.get(&id).map(|o| (o.px, o.leaves, o.queue.ahead)) else {
                continue;
            };
            self.fill(t, id, px, leaves, true, kind, ahead);
        }
    }

    /// Fill `qty` of order `id` at `px`: position, cash, fee, records; finishes a filled order.
    #[allow(clippy::too_many_arguments)]
    fn fill(&mut self, t: i64, id: u64, px: i64, qty: i64, maker: bool, kind: FillKind, ahead: i64) {
        if qty <= 0 {
            return;
        }
        let Some(o) = self.live.get_mut(&id) else { return };
        o.leaves -= qty;
        let (side, leaves, client_id) = (o.side, o.leaves, o.client_id);
        let value = notional(px, qty, self.cfg.px_exp, self.cfg.qty_exp);
        let fee = self.cfg.fees.fee(value, maker);
        match side {
            Side::Buy => {
                self.position = self.position.saturating_add(qty);
                self.cash -= value;
            }
            Side::Sell => {
                self.position = self.position.saturating_sub(qty);
                self.cash += value;
            }
        }
        self.cash -= fee;
        self.fees_paid += fee;
        let ts_local = self.response_ts(t);
        let index = self.fills.len();
        self.fills.push(Fill {
            ts_exchange: t,
            ts_local,
            order_id: id,
            client_id,
            px,
            qty,
            fee,
            queue_ahead: ahead,
            leaves,
            side: side.sign(),
            maker,
            kind,
        });
        self.notice(ts_local, NoticeKind::Fill, index);
        if leaves > 0 {
            self.venue_event(t, id, OrderState::PartiallyFilled, Reason::None);
        } else {
            self.venue_event(t, id, OrderState::Filled, Reason::None);
            self.finish(id);
        }
    }

    /// Remove order `id` from the venue; it is done.
    fn finish(&mut self, id: u64) {
        if let Some(o) = self.live.remove(&id) {
            let key = (o.side.sign(), o.px);
            if let Some(v) = self.levels.get_mut(&key) {
                v.retain(|&x| x != id);
                if v.is_empty() {
                    self.levels.remove(&key);
                    self.refresh_own_best();
                }
            }
            if let Some(m) = usize::try_from(id).ok().and_then(|i| self.meta.get_mut(i)) {
                m.leaves = o.leaves;
            }
        }
        self.set_status(id, Status::Done);
    }

    fn set_status(&mut self, id: u64, s: Status) {
        if let Some(m) = usize::try_from(id).ok().and_then(|i| self.meta.get_mut(i)) {
            m.status = s;
        }
    }

    /// Funding settlement at `f` on the position held before `f`.
    pub(super) fn settle_funding(&mut self, f: i64) {
        if self.position == 0 {
            return;
        }
        let mark = if self.mark_px != MISSING_I64 { Some(self.mark_px) } else { self.book.mid() };
        let (Some(mark), true) = (mark, self.funding_rate.is_finite()) else {
            self.counters.funding_skipped += 1;
            return;
        };
        let amount = payment(self.position, mark, self.funding_rate, self.cfg.px_exp, self.cfg.qty_exp);
        self.cash += amount;
        self.funding_received += amount;
        let ts_local = self.response_ts(f);
        let index = self.payments.len();
        self.payments.push(FundingPayment {
            ts_exchange: f,
            ts_local,
            position: self.position,
            mark_px: mark,
            rate: self.funding_rate,
            payment: amount,
        });
        self.notice(ts_local, NoticeKind::Funding, index);
    }
}
