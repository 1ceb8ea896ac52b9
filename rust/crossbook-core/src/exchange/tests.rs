//! Scenario tests of the simulator (hand-built books and prints, exact expected records).

use super::*;

const U: i64 = 100_000_000; // 1.0 in scaled units
const MS: i64 = 1_000_000;

fn px(x: i64) -> i64 {
    x * U
}

fn sim(cfg: SimConfig) -> ExchangeSim {
    ExchangeSim::new(cfg).unwrap()
}

/// Book 99 bid (10) / 101 ask (10) at t = 0.
fn seeded(cfg: SimConfig) -> ExchangeSim {
    let mut s = sim(cfg);
    s.on_book_level(0, 0, 1, px(99), 10 * U).unwrap();
    s.on_book_level(0, 0, -1, px(101), 10 * U).unwrap();
    s
}

#[test]
fn risk_averse_queue_then_partial_then_full_fill() {
    let mut s = seeded(SimConfig::default());
    let id = s.submit(1, 7, Side::Buy, px(99), 2 * U, true).unwrap();
    s.advance_to(1);
    assert_eq!(s.queue_ahead(id), Some(10 * U));
    s.on_book_level(2, 2, 1, px(99), 6 * U).unwrap(); // cancels: risk-averse only caps at the level
    assert_eq!(s.queue_ahead(id), Some(6 * U));
    s.on_book_level(3, 3, 1, px(99), 9 * U).unwrap(); // joins behind
    s.on_trade(4, 4, px(99), 4 * U, -1).unwrap();
    assert_eq!(s.queue_ahead(id), Some(2 * U));
    assert!(s.fills().is_empty());
    s.on_trade(5, 5, px(99), 3 * U, -1).unwrap(); // 2 ahead, then 1 of ours
    assert_eq!(s.fills().len(), 1);
    assert_eq!((s.fills()[0].qty, s.fills()[0].leaves, s.fills()[0].kind), (U, U, FillKind::Queue));
    s.on_trade(6, 6, px(99), 5 * U, 1).unwrap(); // buyer aggressor: does not touch bids
    assert_eq!(s.fills().len(), 1);
    s.on_trade(7, 7, px(99), 5 * U, -1).unwrap();
    assert_eq!(s.fills().len(), 2);
    assert_eq!(s.fills()[1].qty, U);
    assert_eq!(s.position(), 2 * U);
    assert_eq!(s.cash(), -198.0);
    assert_eq!(s.order_status(id), Some(Status::Done));
    let states: Vec<_> = s.order_events().iter().map(|e| e.state).collect();
    assert_eq!(states, [OrderState::Submitted, OrderState::Accepted, OrderState::PartiallyFilled, OrderState::Filled]);
}

#[test]
fn two_of_our_orders_share_a_print_fifo() {
    let mut s = seeded(SimConfig::default());
    let a = s.submit(1, 0, Side::Buy, px(99), 2 * U, true).unwrap();
    s.advance_to(1);
    s.on_book_level(2, 2, 1, px(99), 13 * U).unwrap(); // 3 join behind a
    let b = s.submit(3, 0, Side::Buy, px(99), 2 * U, true).unwrap();
    s.advance_to(3);
    assert_eq!(s.queue_ahead(b), Some(13 * U));
    // print of 14: 10 others, a's 2 (filled), then 2 more others ahead of b
    s.on_trade(4, 4, px(99), 14 * U, -1).unwrap();
    assert_eq!(s.order_status(a), Some(Status::Done));
    assert_eq!(s.queue_ahead(b), Some(U));
    s.on_trade(5, 5, px(99), 2 * U, -1).unwrap();
    assert_eq!(s.leaves(b), Some(U));
}

#[test]
fn trade_through_and_book_cross_fill_in_full() {
    let mut s = seeded(SimConfig::default());
    let bid = s.submit(1, 0, Side::Buy, px(99), 3 * U, true).unwrap();
    let ask = s.submit(1, 0, Side::Sell, px(101), 3 * U, true).unwrap();
    s.advance_to(1);
    s.on_trade(2, 2, px(98), U / 10, -1).unwrap();
    let f = s.fills()[0];
    assert_eq!((f.order_id, f.px, f.qty, f.kind, f.queue_ahead), (bid, px(99), 3 * U, FillKind::TradeThrough, 10 * U));
    s.on_book_level(3, 3, 1, px(101), U).unwrap(); // a bid at our ask price crosses us
    let f = s.fills()[1];
    assert_eq!((f.order_id, f.px, f.qty, f.kind, f.maker), (ask, px(101), 3 * U, FillKind::BookCross, true));
    assert_eq!(s.position(), 0);
}

#[test]
fn post_only_rejects_and_taker_sweeps() {
    let fees = Fees { maker_bps: -1.0, taker_bps: 5.0 };
    let mut s = seeded(SimConfig { fees, ..SimConfig::default() });
    s.on_book_level(0, 0, -1, px(102), 10 * U).unwrap();
    let r = s.submit(1, 0, Side::Buy, px(101), U, true).unwrap();
    let t = s.submit(1, 0, Side::Buy, px(102), 15 * U, false).unwrap();
    s.advance_to(1);
    assert_eq!(s.counters().post_only_rejects, 1);
    assert_eq!(s.order_status(r), Some(Status::Done));
    let takes: Vec<_> = s.fills().iter().map(|f| (f.order_id, f.px, f.qty, f.maker)).collect();
    assert_eq!(takes, [(t, px(101), 10 * U, false), (t, px(102), 5 * U, false)]);
    assert_eq!(s.fees_paid(), (1010.0 + 510.0) * 5.0 / 10_000.0);
    assert_eq!(s.counters().taker_remainders, 0);
}

#[test]
fn entry_latency_hides_earlier_trades_and_cancel_latency_lets_fills_through() {
    let lat = LatencyModel::Constant { entry_ns: 5 * MS, response_ns: 2 * MS };
    let mut s = seeded(SimConfig { latency: lat, ..SimConfig::default() });
    s.on_book_level(0, 0, 1, px(99), 0).unwrap(); // our level empty: we would be first
    let id = s.submit(0, 0, Side::Buy, px(99), U, true).unwrap();
    s.on_trade(4 * MS, 4 * MS, px(99), U, -1).unwrap(); // before arrival at 5 ms
    assert!(s.fills().is_empty());
    s.on_trade(5 * MS, 5 * MS, px(99), U / 2, -1).unwrap(); // same ns as arrival: market first
    assert!(s.fills().is_empty());
    s.cancel(6 * MS, id).unwrap(); // lands at 11 ms
    s.on_trade(8 * MS, 8 * MS, px(99), U, -1).unwrap();
    s.advance_to(20 * MS);
    assert_eq!(s.fills().len(), 1);
    assert_eq!((s.fills()[0].ts_exchange, s.fills()[0].ts_local), (8 * MS, 10 * MS));
    assert_eq!(s.counters().cancel_rejects, 1);
    let last = s.order_events().last().copied().unwrap();
    assert_eq!((last.state, last.ts_exchange, last.ts_local), (OrderState::CancelRejected, 11 * MS, 13 * MS));
    let seen: Vec<_> = s.poll(9 * MS).iter().map(|n| n.kind).collect();
    assert_eq!(seen, [NoticeKind::Order, NoticeKind::Order, NoticeKind::Order]); // submitted, accepted, cancel sent
    let later = s.poll(i64::MAX);
    assert_eq!(later.len(), 3); // fill, filled, cancel rejected
    assert_eq!(later[0].ts_local, 10 * MS);
}

#[test]
fn funding_sign_and_size_at_settlement() {
    let h8 = funding::EIGHT_HOURS_NS;
    let mut s = seeded(SimConfig { funding: FundingSchedule::every_8h(), ..SimConfig::default() });
    s.on_ticker(1, 1, 5_000_000_000_000, 0.0001).unwrap(); // mark 50 000, +1 bp
    let id = s.submit(1, 0, Side::Buy, px(102), 2 * U, false).unwrap(); // takes 2 at 101
    s.advance_to(1);
    assert_eq!(s.position(), 2 * U);
    assert!(s.order_status(id) == Some(Status::Done));
    s.on_trade(h8, h8, px(101), U, 1).unwrap(); // settlement at 8 h happens before this event
    assert_eq!(s.funding_payments().len(), 1);
    let p = s.funding_payments()[0];
    assert_eq!((p.ts_exchange, p.position, p.mark_px, p.payment), (h8, 2 * U, 5_000_000_000_000, -10.0));
    assert_eq!(s.funding_received(), -10.0);
}

#[test]
fn bad_inputs_are_typed_errors_and_leave_state_alone() {
    let mut s = seeded(SimConfig::default());
    for r in [
        s.submit(1, 0, Side::Buy, 0, U, true).map(|_| ()),
        s.submit(1, 0, Side::Buy, px(99), 0, true).map(|_| ()),
        s.submit(1, 0, Side::Buy, px(99), -U, true).map(|_| ()),
        s.cancel(1, 42),
        s.on_book_level(1, 1, 2, px(99), U),
        s.on_trade(1, 1, px(99), 0, -1),
    ] {
        assert!(matches!(r, Err(CoreError::InvalidInput(_))), "{r:?}");
    }
    assert!(to_scaled(f64::NAN, 8, "price").is_err());
    assert_eq!(to_scaled(0.1, 8, "qty").unwrap(), 10_000_000);
    s.on_book_level(10, 10, 1, px(99), U).unwrap();
    let e = s.on_book_level(9, 9, 1, px(99), U).unwrap_err();
    assert!(e.to_string().contains("before the venue clock"), "{e}");
    assert!(s.submit(5, 0, Side::Buy, px(99), U, true).is_err()); // would arrive in the past
    assert!(s.order_events().is_empty());
}

#[test]
fn same_inputs_give_identical_records() {
    let run = || {
        let cfg = SimConfig { queue: QueueModel::LogProb, ..SimConfig::default() };
        let mut s = seeded(cfg);
        for i in 0..200i64 {
            let t = i * MS;
            s.on_book_level(t, t + 1, 1, px(99), (10 + (i * 7) % 13) * U).unwrap();
            if i % 5 == 0 {
                s.submit(t, i, Side::Buy, px(99), U, true).unwrap();
            }
            if i % 3 == 0 {
                s.on_trade(t, t, px(99), (i % 4 + 1) * U, -1).unwrap();
            }
        }
        s.advance_to(i64::MAX);
        (s.fills().to_vec(), s.order_events().to_vec(), s.cash().to_bits())
    };
    let (a, b) = (run(), run());
    assert!(!a.0.is_empty());
    assert_eq!(a, b);
}
