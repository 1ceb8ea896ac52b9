//! Per-update cost of the streaming signals (crossbook_core::signals). Each benchmark feeds a batch
//! of pre-generated events and reports time per event (Throughput::Elements).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbook_core::signals::depth::{depth_within, DEPTH_BPS};
use crossbook_core::signals::flow::{TradeRateEwma, TradeWindow};
use crossbook_core::signals::imbalance::{Obi, ObiParams};
use crossbook_core::signals::microprice::{weighted_mid, MicropriceModel};
use crossbook_core::signals::volatility::BipowerVol;
use crossbook_core::signals::Level;

const N: usize = 10_000;
const MS: i64 = 1_000_000;

/// Small deterministic generator (no extra dependency): xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Times with exponential-ish gaps of mean `mean_ns`, and a random-walk mid.
fn events(mean_ns: f64) -> (Vec<i64>, Vec<f64>, Vec<f64>, Vec<i8>) {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut t, mut mid, mut qty, mut side) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut now, mut m) = (1_700_000_000_000_000_000i64, 60_000.0f64);
    for _ in 0..N {
        now += (-(1.0 - r.unit()).ln() * mean_ns) as i64;
        m += (r.unit() - 0.5) * 0.2;
        t.push(now);
        mid.push(m);
        qty.push(r.unit() * 2.0);
        side.push(if r.unit() < 0.5 { 1 } else { -1 });
    }
    (t, mid, qty, side)
}

fn book(mid: f64, tick: f64, levels: usize) -> (Vec<Level>, Vec<Level>) {
    let bids = (0..levels).map(|k| Level::new(mid - tick * (0.5 + 2.0 * k as f64), 1.0 + k as f64)).collect();
    let asks = (0..levels).map(|k| Level::new(mid + tick * (0.5 + 2.0 * k as f64), 2.0 + k as f64)).collect();
    (bids, asks)
}

fn bench_price(c: &mut Criterion) {
    let mut g = c.benchmark_group("microprice");
    g.throughput(Throughput::Elements(N as u64));
    let (_, mid, qty, _) = events(1e6);
    g.bench_function("weighted_mid", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for k in 0..N {
                acc += weighted_mid(mid[k] - 0.05, qty[k], mid[k] + 0.05, qty[N - 1 - k]);
            }
            black_box(acc)
        });
    });
    let table: Vec<f64> = (0..20).map(|k| (k % 10) as f64 / 10.0 - 0.45).collect();
    let model = MicropriceModel::from_table(0.1, 10, 2, table).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("micro_price_lookup", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for k in 0..N {
                acc += model.micro_price(mid[k] - 0.05, qty[k], mid[k] + 0.05, qty[N - 1 - k]);
            }
            black_box(acc)
        });
    });
    g.finish();
}

fn bench_vol(c: &mut Criterion) {
    let mut g = c.benchmark_group("volatility");
    g.throughput(Throughput::Elements(N as u64));
    // BBO updates every ~30 ms on a 100 ms grid, window of 300 returns (30 s)
    let (t, mid, _, _) = events(30e6);
    let span = t[N - 1] - t[0] + 100 * MS;
    let mut v = BipowerVol::new(100 * MS, 300).unwrap_or_else(|e| panic!("{e}"));
    let mut offset = 0;
    g.bench_function("bipower_update", |b| {
        b.iter(|| {
            for k in 0..N {
                let _ = v.update(t[k] + offset, mid[k]);
            }
            offset += span;
            black_box(v.bv())
        });
    });
    g.finish();
}

fn bench_flow(c: &mut Criterion) {
    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(N as u64));
    // a trade every ~5 ms: ~200 trades in the 1 s window, ~2 000 in the 10 s window
    let (t, _, qty, side) = events(5e6);
    let span = t[N - 1] - t[0] + 1_000 * MS;
    for (name, window) in [("trade_window_1s_update", 1_000 * MS), ("trade_window_10s_update", 10_000 * MS)] {
        let mut w = TradeWindow::new(window).unwrap_or_else(|e| panic!("{e}"));
        let mut offset = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for k in 0..N {
                    let _ = w.update(t[k] + offset, qty[k], side[k]);
                    acc += w.imbalance();
                }
                offset += span;
                black_box(acc)
            });
        });
    }
    let mut r = TradeRateEwma::new(10_000 * MS).unwrap_or_else(|e| panic!("{e}"));
    let mut offset = 0;
    g.bench_function("trade_rate_ewma_update", |b| {
        b.iter(|| {
            for &tk in &t {
                let _ = r.update(tk + offset);
            }
            offset += span;
            black_box(r.value())
        });
    });
    g.finish();
}

fn bench_book(c: &mut Criterion) {
    let mut g = c.benchmark_group("book");
    g.throughput(Throughput::Elements(1));
    // 20 levels a side, 0.2 USDT apart around 60 000 (4 USDT deep): all inside the bands, so every level
    // is visited (one exp per level for the OIB)
    let (bids, asks) = book(60_000.0, 0.1, 20);
    let obi = Obi::new(ObiParams::TIER1).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("obi_20_levels", |b| b.iter(|| black_box(obi.compute(black_box(&bids), black_box(&asks)))));
    g.bench_function("depth_1_5_10bps_20_levels", |b| {
        b.iter(|| black_box(depth_within(black_box(&bids), black_box(&asks), &DEPTH_BPS)))
    });
    g.finish();
}

criterion_group!(benches, bench_price, bench_vol, bench_flow, bench_book);
criterion_main!(benches);
