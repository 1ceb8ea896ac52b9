//! L2 book: level updates applied per second (issue #2 target: ≥ 20 M/s on one core).
//!
//! - `book/set/synthetic`: `L2Book::set` over a synthetic stream shaped like a Binance futures
//!   `depth@0ms` feed (books of ~3000 levels per side; 40 % of updates within a few ticks of the
//!   top, the rest anywhere in the book; ~40 % deletes; the mid walks and crossed levels are
//!   deleted), against a `BTreeMap` book on the same stream.
//! - `book/top_of_book/synthetic`: the full rebuild (message cutting, `pu` chain checks, top of
//!   book after each message) on the same stream cut into 40-level messages.
//! - `book/top_of_book/real_usdm_btcusdt`: the rebuild of the shared USDT-M BTCUSDT capture
//!   (445 k level rows), when the file is present and the Binance reader can decode it.
//!
//! Throughput is in level rows (elements). Run: `cargo bench -p crossbook-benches --bench book`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crossbook_core::book::{top_of_book, BookRows, L2Book, Level, OnGap, Side};
use crossbook_core::parse::{self, Format, Options};
use crossbook_core::units::MISSING_I64;

/// xorshift64*: a dependency-free deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const TICK: i64 = 10_000_000; // 0.1 in units of 1e-8
const LEVELS: i64 = 3_000;

struct Stream {
    snapshot_bids: Vec<Level>,
    snapshot_asks: Vec<Level>,
    updates: Vec<(i8, i64, i64)>,
}

/// A synthetic depth stream of `n` level updates.
fn synthetic(n: usize, seed: u64) -> Stream {
    let mut rng = Rng(seed | 1);
    let mut mid = 60_000 * 100_000_000i64; // 60 000.0, on the tick grid
    let qty = |r: &mut Rng| (1 + r.below(5_000) as i64) * 1_000_000;
    let snapshot_bids = (1..=LEVELS).map(|k| Level { px: mid - k * TICK, qty: qty(&mut rng) }).collect();
    let snapshot_asks = (1..=LEVELS).map(|k| Level { px: mid + k * TICK, qty: qty(&mut rng) }).collect();
    let mut updates = Vec::with_capacity(n + 64);
    while updates.len() < n {
        if rng.chance(0.005) {
            // the mid moves one tick: the level it crosses is deleted on the far side
            let up = rng.chance(0.5);
            mid += if up { TICK } else { -TICK };
            if up {
                updates.push((-1, mid, 0));
            } else {
                updates.push((1, mid, 0));
            }
            continue;
        }
        let side: i8 = if rng.chance(0.5) { 1 } else { -1 };
        let depth = if rng.chance(0.4) { rng.below(8) as i64 } else { rng.below(LEVELS as u64) as i64 };
        let px = if side == 1 { mid - (1 + depth) * TICK } else { mid + (1 + depth) * TICK };
        let q = if rng.chance(0.4) { 0 } else { qty(&mut rng) };
        updates.push((side, px, q));
    }
    Stream { snapshot_bids, snapshot_asks, updates }
}

fn bench_set(c: &mut Criterion) {
    let s = synthetic(1_000_000, 42);
    let mut g = c.benchmark_group("book/set");
    g.throughput(Throughput::Elements(s.updates.len() as u64));
    g.sample_size(10);
    g.bench_function("synthetic/sorted_vec", |b| {
        b.iter_batched(
            || {
                let mut book = L2Book::new();
                book.apply_snapshot(&s.snapshot_bids, &s.snapshot_asks);
                book
            },
            |mut book| {
                for &(side, px, qty) in &s.updates {
                    let side = if side == 1 { Side::Bid } else { Side::Ask };
                    book.set(side, px, qty);
                }
                black_box(book.best_bid())
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("synthetic/btreemap", |b| {
        b.iter_batched(
            || {
                let bids: BTreeMap<i64, i64> = s.snapshot_bids.iter().map(|l| (l.px, l.qty)).collect();
                let asks: BTreeMap<i64, i64> = s.snapshot_asks.iter().map(|l| (l.px, l.qty)).collect();
                (bids, asks)
            },
            |(mut bids, mut asks)| {
                for &(side, px, qty) in &s.updates {
                    let m = if side == 1 { &mut bids } else { &mut asks };
                    if qty == 0 {
                        m.remove(&px);
                    } else {
                        m.insert(px, qty);
                    }
                }
                black_box((bids.last_key_value().map(|(&p, &q)| (p, q)), asks.first_key_value().map(|(&p, &q)| (p, q))))
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

/// Owned book-table columns.
#[derive(Default)]
struct Cols {
    group: Vec<u32>,
    ts_local: Vec<i64>,
    ts_exchange: Vec<i64>,
    side: Vec<i8>,
    px: Vec<i64>,
    qty: Vec<i64>,
    is_snapshot: Vec<bool>,
    seq_first: Vec<i64>,
    seq_last: Vec<i64>,
    seq_prev: Vec<i64>,
}

impl Cols {
    fn push(&mut self, ts: i64, side: i8, px: i64, qty: i64, snap: bool, ids: (i64, i64, i64)) {
        self.group.push(0);
        self.ts_local.push(ts);
        self.ts_exchange.push(ts);
        self.side.push(side);
        self.px.push(px);
        self.qty.push(qty);
        self.is_snapshot.push(snap);
        self.seq_first.push(ids.0);
        self.seq_last.push(ids.1);
        self.seq_prev.push(ids.2);
    }

    fn rows(&self) -> BookRows<'_> {
        BookRows {
            group: &self.group,
            ts_local: &self.ts_local,
            ts_exchange: &self.ts_exchange,
            side: &self.side,
            px: &self.px,
            qty: &self.qty,
            is_snapshot: &self.is_snapshot,
            seq_first: &self.seq_first,
            seq_last: &self.seq_last,
            seq_prev: &self.seq_prev,
        }
    }
}

/// The synthetic stream as a futures book table: a snapshot, then 40-level messages chained by `pu`.
fn synthetic_table(s: &Stream) -> Cols {
    let mut c = Cols::default();
    let l = 1_000i64;
    for lv in &s.snapshot_bids {
        c.push(0, 1, lv.px, lv.qty, true, (l, l, MISSING_I64));
    }
    for lv in &s.snapshot_asks {
        c.push(0, -1, lv.px, lv.qty, true, (l, l, MISSING_I64));
    }
    let mut last = l;
    for (k, chunk) in s.updates.chunks(40).enumerate() {
        let (first, u) = (last + 1, last + 50);
        for &(side, px, qty) in chunk {
            c.push(1 + k as i64, side, px, qty, false, (first, u, last));
        }
        last = u;
    }
    c
}

fn bench_top_of_book(c: &mut Criterion) {
    let s = synthetic(1_000_000, 7);
    let t = synthetic_table(&s);
    let names = vec!["SYNTH (binance-futures)".to_string()];
    let mut g = c.benchmark_group("book/top_of_book");
    g.sample_size(10);
    g.throughput(Throughput::Elements(t.px.len() as u64));
    g.bench_function("synthetic", |b| {
        b.iter(|| black_box(top_of_book(&t.rows(), &names, OnGap::Raise).map(|r| r.0.len())))
    });

    // the shared real capture, decoded by the core's Binance reader (skipped if either is missing)
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/real/binance-spot-usdm-coinm-20240808/usdm/btcusdt_20240808.gz"
    );
    let Ok(bytes) = std::fs::read(path) else {
        eprintln!("book/top_of_book/real_usdm_btcusdt: skipped, {path} is absent");
        return g.finish();
    };
    let tables = match parse::parse(&bytes, Format::BinanceWs, &Options::default()) {
        Ok(t) if !t.book.px.is_empty() => t,
        Ok(_) => {
            eprintln!("book/top_of_book/real_usdm_btcusdt: skipped, no book rows decoded");
            return g.finish();
        }
        Err(e) => {
            eprintln!("book/top_of_book/real_usdm_btcusdt: skipped, the reader failed: {e}");
            return g.finish();
        }
    };
    let b = &tables.book;
    let rows = BookRows {
        group: &b.symbol,
        ts_local: &b.ts_local,
        ts_exchange: &b.ts_exchange,
        side: &b.side,
        px: &b.px,
        qty: &b.qty,
        is_snapshot: &b.is_snapshot,
        seq_first: &b.seq_first,
        seq_last: &b.seq_last,
        seq_prev: &b.seq_prev,
    };
    let names: Vec<String> = tables.symbols.clone();
    g.throughput(Throughput::Elements(b.px.len() as u64));
    g.bench_function("real_usdm_btcusdt", |bch| {
        bch.iter(|| black_box(top_of_book(&rows, &names, OnGap::Raise).map(|r| r.0.len())))
    });
    g.finish();
}

criterion_group!(benches, bench_set, bench_top_of_book);
criterion_main!(benches);
