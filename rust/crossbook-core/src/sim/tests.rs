//! Whole-run tests of the simulator: determinism, the diff-depth chain, book vs bbo agreement,
//! clocks, labels.

use std::collections::BTreeMap;

use super::output::{FOLLOWER, LEADER};
use super::*;
use crate::units::MISSING_I64;

fn run(minutes: f64, seed: u64) -> SimOutput {
    let cfg = SimConfig { minutes, seed, ..SimConfig::default() };
    simulate(&cfg).unwrap()
}

#[test]
fn same_seed_same_output_other_seed_other_output() {
    let a = run(1.0, 11);
    let b = run(1.0, 11);
    let c = run(1.0, 12);
    assert!(a.tables.bbo == b.tables.bbo, "bbo differs");
    assert!(a.tables.book == b.tables.book, "book differs");
    assert!(a.tables.trade == b.tables.trade, "trade differs");
    // NaN != NaN: compare the float columns bit for bit
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let (ka, kb) = (&a.tables.ticker, &b.tables.ticker);
    assert!(ka.mark_px == kb.mark_px && ka.open_interest == kb.open_interest && ka.ts_local == kb.ts_local);
    assert!(bits(&ka.funding_rate) == bits(&kb.funding_rate));
    assert!(bits(&ka.predicted_funding_rate) == bits(&kb.predicted_funding_rate));
    assert!(a.tables.liquidation == b.tables.liquidation, "liquidation differs");
    assert!(a.labels == b.labels && a.truth == b.truth && a.book_events == b.book_events);
    assert!(a.tables.bbo != c.tables.bbo);
}

#[test]
fn changing_the_lag_keeps_the_leader_price_path() {
    // (arbitrage hedges take leader touch size, which changes how far a liquidation sweeps, so
    // this holds without liquidations)
    let mids = |lag: f64| {
        let mut cfg = SimConfig { minutes: 1.0, lag_ms: lag, regime_step_s: 1.0, ..SimConfig::default() };
        for r in
            [&mut cfg.regimes.quiet, &mut cfg.regimes.trending, &mut cfg.regimes.volatile, &mut cfg.regimes.cascade]
        {
            r.liquidation_hz = 0.0;
        }
        let out = simulate(&cfg).unwrap();
        let b = &out.tables.bbo;
        let mut v: Vec<(i64, i64)> =
            (0..b.symbol.len()).filter(|&i| b.symbol[i] == LEADER).map(|i| (b.ts_exchange[i], b.bid_px[i])).collect();
        v.dedup_by_key(|x| x.1);
        v
    };
    assert!(mids(50.0) == mids(500.0));
}

#[test]
fn invalid_configs_are_rejected_with_the_field_name() {
    for (cfg, needle) in [
        (SimConfig { minutes: 0.0, ..SimConfig::default() }, "minutes"),
        (SimConfig { lag_ms: -1.0, ..SimConfig::default() }, "lag_ms"),
        (SimConfig { beta: 0.0, ..SimConfig::default() }, "beta"),
        (SimConfig { lag_ms_up: Some(100.0), lag_ms: 200.0, lag_by_regime: None, ..SimConfig::default() }, ""),
    ] {
        let r = simulate(&cfg);
        if needle.is_empty() {
            assert!(r.is_ok());
        } else {
            let msg = r.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.starts_with(needle), "{msg}");
        }
    }
    let mut cfg = SimConfig { lag_ms: 100.0, lag_ms_down: Some(0.0), ..SimConfig::default() };
    cfg.lag_by_regime = Some(BTreeMap::from([("cascade".to_owned(), 50.0)]));
    let msg = simulate(&cfg).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("resolved lag of cascade moves"), "{msg}");
    let msg = SimConfig::from_json(r#"{"lag_ms": 10, "bogus": 1}"#).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("unknown field `bogus`"), "{msg}");
}

/// Replay the leader's snapshot + diffs; check the `U`/`u`/`pu` chain and that the top of book
/// after every message equals the bbo row with the greatest update id ≤ `u`.
#[test]
fn leader_diffs_chain_and_rebuild_the_bbo() {
    let out = run(3.0, 5);
    let b = &out.tables.book;
    let rows: Vec<usize> = (0..b.symbol.len()).filter(|&i| b.symbol[i] == LEADER).collect();
    let snap: Vec<usize> = rows.iter().copied().filter(|&i| b.is_snapshot[i]).collect();
    assert!(snap.len() > 500, "snapshot levels: {}", snap.len());
    assert!(snap.iter().all(|&i| i < rows[snap.len()]), "the snapshot comes first");
    let last_id = b.seq_last[snap[0]];
    assert!(snap.iter().all(|&i| b.seq_first[i] == last_id && b.seq_prev[i] == MISSING_I64));
    let mut bids: BTreeMap<i64, i64> = BTreeMap::new();
    let mut asks: BTreeMap<i64, i64> = BTreeMap::new();
    for &i in &snap {
        let m = if b.side[i] > 0 { &mut bids } else { &mut asks };
        m.insert(b.px[i], b.qty[i]);
    }
    // leader bbo by update id
    let q = &out.tables.bbo;
    let bbo: BTreeMap<i64, (i64, i64, i64, i64)> = (0..q.symbol.len())
        .filter(|&i| q.symbol[i] == LEADER)
        .map(|i| (q.seq[i], (q.bid_px[i], q.bid_qty[i], q.ask_px[i], q.ask_qty[i])))
        .collect();
    let diffs = &rows[snap.len()..];
    let (mut prev_u, mut messages, mut empty, mut agree) = (None::<i64>, 0, 0, 0);
    let mut k = 0;
    while k < diffs.len() {
        let i = diffs[k];
        let (first, last, pu) = (b.seq_first[i], b.seq_last[i], b.seq_prev[i]);
        assert!(first <= last);
        match prev_u {
            None => assert!(first <= last_id && last >= last_id, "first diff straddles the snapshot"),
            Some(u) => {
                assert_eq!(pu, u, "pu chains to the previous u");
                assert!(first > u);
            }
        }
        while k < diffs.len() && b.seq_last[diffs[k]] == last {
            let j = diffs[k];
            assert!(!b.is_snapshot[j]);
            if b.side[j] == 0 {
                empty += 1;
            } else {
                let m = if b.side[j] > 0 { &mut bids } else { &mut asks };
                if b.qty[j] == 0 {
                    m.remove(&b.px[j]);
                } else {
                    m.insert(b.px[j], b.qty[j]);
                }
            }
            k += 1;
        }
        let top = (
            bids.iter().next_back().map(|(p, q)| (*p, *q)).unwrap(),
            asks.iter().next().map(|(p, q)| (*p, *q)).unwrap(),
        );
        let (_, want) = bbo.range(..=last).next_back().unwrap();
        assert!(top.0 .0 < top.1 .0, "book not crossed");
        if (top.0 .0, top.0 .1, top.1 .0, top.1 .1) == *want {
            agree += 1;
        }
        messages += 1;
        prev_u = Some(last);
    }
    assert!(messages > 2000, "{messages} diff messages");
    assert_eq!(agree, messages, "top of book equals the bbo at every update id");
    // the rare sequence-only messages exist in a few minutes only by chance; they must be single rows
    assert!(empty < messages / 20);
}

#[test]
fn follower_snapshots_match_its_bbo_and_have_twenty_levels() {
    let out = run(2.0, 3);
    let b = &out.tables.book;
    let q = &out.tables.bbo;
    let fb: Vec<usize> = (0..q.symbol.len()).filter(|&i| q.symbol[i] == FOLLOWER).collect();
    let mut by_time: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for i in (0..b.symbol.len()).filter(|&i| b.symbol[i] == FOLLOWER) {
        assert!(b.is_snapshot[i] && b.seq_first[i] == MISSING_I64 && b.seq_last[i] == MISSING_I64);
        by_time.entry(b.ts_exchange[i]).or_default().push(i);
    }
    let n = by_time.len();
    assert!((200..=260).contains(&n), "{n} snapshots in 120 s at ≥ 500 ms");
    for (ts, rows) in &by_time {
        let bids = rows.iter().filter(|&&i| b.side[i] > 0).count();
        assert_eq!(bids, 20);
        assert_eq!(rows.len(), 40);
        let best_bid = rows.iter().filter(|&&i| b.side[i] > 0).map(|&i| b.px[i]).max().unwrap();
        let best_ask = rows.iter().filter(|&&i| b.side[i] < 0).map(|&i| b.px[i]).min().unwrap();
        let last = fb.iter().rev().find(|&&i| q.ts_exchange[i] <= *ts).unwrap();
        assert_eq!((q.bid_px[*last], q.ask_px[*last]), (best_bid, best_ask));
    }
}

#[test]
fn clocks_latencies_and_bursts() {
    let out = run(2.0, 9);
    let t = &out.tables;
    let monotonic = |s: &[u32], l: &[i64]| {
        for sym in [LEADER, FOLLOWER] {
            let v: Vec<i64> = (0..s.len()).filter(|&i| s[i] == sym).map(|i| l[i]).collect();
            assert!(!v.is_empty() && v.windows(2).all(|w| w[0] <= w[1]), "ts_local monotonic per venue");
        }
    };
    monotonic(&t.bbo.symbol, &t.bbo.ts_local);
    monotonic(&t.book.symbol, &t.book.ts_local);
    monotonic(&t.trade.symbol, &t.trade.ts_local);
    monotonic(&t.ticker.symbol, &t.ticker.ts_local);
    // exchange times are whole ms; several trades share one
    assert!(t.trade.ts_exchange.iter().all(|x| x % 1_000_000 == 0));
    let mut same = 0;
    for w in t.trade.ts_exchange.windows(2) {
        same += usize::from(w[0] == w[1]);
    }
    assert!(same > 100, "bursts: {same}");
    // follower ticker has no exchange time
    let k = &t.ticker;
    assert!((0..k.symbol.len()).filter(|&i| k.symbol[i] == FOLLOWER).all(|i| k.ts_exchange[i] == k.ts_local[i]));
    let tr = &out.truth;
    assert_eq!(tr.lag_ms_exchange, 150.0 - 20.0);
    let f = &tr.feed_latency_ms["follower"];
    let l = &tr.feed_latency_ms["leader"];
    assert!((f.realized - 40.0).abs() < 2.0 && (l.realized - 5.0).abs() < 0.5, "{f:?} {l:?}");
    assert!((tr.lag_ms_local - (150.0 + f.realized - l.realized)).abs() < 1e-9);
}

#[test]
fn labels_cover_all_classes_and_align_with_trades() {
    let cfg = SimConfig { minutes: 3.0, seed: 4, regime_step_s: 1.0, ..SimConfig::default() };
    let out = simulate(&cfg).unwrap();
    assert_eq!(out.labels.len(), out.tables.trade.ts_local.len());
    for (name, n) in &out.truth.label_counts {
        assert!(*n > 0, "no {name} trades");
    }
    assert!(!out.tables.liquidation.ts_local.is_empty());
    let segs = &out.segments;
    assert_eq!(segs.first().map(|s| s.start_ms), Some(0));
    assert_eq!(segs.last().map(|s| s.end_ms), Some(180_000));
    let share: f64 = out.truth.regime_share.values().sum();
    assert!((share - 1.0).abs() < 1e-9);
    assert!(out.book_events.iter().any(|e| e.kind == "spoof") && out.book_events.iter().any(|e| e.kind == "wall"));
}
