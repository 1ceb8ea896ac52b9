//! Quote-cycle latency of `EnhancedQuoteEngine::generate_quotes` (target: p99 under 2 µs), and the
//! cost of the A/k calibration.
//!
//! Criterion reports the mean time per cycle over a stream of varied inputs (all components on,
//! regimes changing, some cascades and some NaN inputs that skip). Before that, every cycle of the
//! stream is timed on its own with `Instant` to print p50 / p99 / p99.9 / max; the timer's own cost
//! (two `Instant::now()` calls, measured the same way) is printed beside them and not subtracted.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};
use crossbook_core::quote::calibrate::{fit_intensity, IntensityGrid};
use crossbook_core::quote::{run, EnhancedQuoteEngine, QuoteInputs, QuoteParams};

const N: usize = 10_000;

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

/// A random-walk BTC-like market every 100 ms with changing regimes, skews and inventory; 1 % of the
/// cycles carry a NaN input (skipped), 5 % a cascade flag.
fn stream() -> Vec<QuoteInputs> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut bid_t = 600_000.0f64; // ticks of 0.1
    (0..N)
        .map(|k| {
            bid_t += ((r.unit() - 0.5) * 6.0).round();
            let spread_t = 1.0 + (r.unit() * 3.0).floor();
            let (bid, ask) = (bid_t * 0.1, (bid_t + spread_t) * 0.1);
            let mid = 0.5 * (bid + ask);
            let micro = mid + (r.unit() - 0.5) * 0.1;
            let p: [f64; 4] = [r.unit() + 2.0, r.unit(), r.unit(), r.unit() * 0.2];
            QuoteInputs {
                t_ns: k as i64 * 100_000_000,
                mid,
                microprice: micro,
                ll_microprice: micro * (1.0 + (r.unit() - 0.5) * 2e-4),
                ll_skew_bps: if r.unit() < 0.01 { f64::NAN } else { (r.unit() - 0.5) * 8.0 },
                best_bid: bid,
                best_ask: ask,
                tick: 0.1,
                inventory: (r.unit() - 0.5) * 2.4,
                regime_probs: p,
                sigma2_per_s: 1e-8 * (0.5 + r.unit()),
                kappa: 0.5 + r.unit() * 3.0,
                a: 0.5 + r.unit(),
                informed_fraction: r.unit() * 0.3,
                kappa_cv: r.unit(),
                cascade: r.unit() < 0.05,
            }
        })
        .collect()
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Time each cycle on its own; print percentiles (ns).
fn percentiles() {
    let inputs = stream();
    let mut engine = EnhancedQuoteEngine::new(QuoteParams::default()).unwrap_or_else(|e| panic!("{e}"));
    // warm caches and branch predictors
    black_box(run(&mut engine, &inputs));
    let rounds = 20;
    let mut lat = Vec::with_capacity(N * rounds);
    let mut overhead = Vec::with_capacity(N * rounds);
    for _ in 0..rounds {
        engine.reset();
        for inp in &inputs {
            let t0 = Instant::now();
            let rec = engine.generate_quotes(black_box(inp));
            let t1 = Instant::now();
            black_box(rec);
            lat.push((t1 - t0).as_nanos() as u64);
            let t0 = Instant::now();
            let t1 = Instant::now();
            overhead.push((t1 - t0).as_nanos() as u64);
        }
    }
    lat.sort_unstable();
    overhead.sort_unstable();
    let skipped = engine.counts()[1..].iter().sum::<u64>();
    println!(
        "quote cycle latency over {} cycles ({} skipped per round): p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns \
         (timer pair alone: p50 {} ns, p99 {} ns)",
        lat.len(),
        skipped,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        lat[lat.len() - 1],
        percentile(&overhead, 0.5),
        percentile(&overhead, 0.99),
    );
}

fn bench_cycle(c: &mut Criterion) {
    let inputs = stream();
    let mut g = c.benchmark_group("quote");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("generate_quotes", |b| {
        let mut engine = EnhancedQuoteEngine::new(QuoteParams::default()).unwrap_or_else(|e| panic!("{e}"));
        b.iter(|| {
            for inp in &inputs {
                // the whole record is consumed, so no step can be optimised away
                black_box(engine.generate_quotes(black_box(inp)));
            }
        });
    });
    g.finish();
}

fn bench_calibration(c: &mut Criterion) {
    // 100 000 arrival depths on the half-tick grid, geometric in depth
    let mut r = Rng(42);
    let depths: Vec<f64> = (0..100_000).map(|_| 0.5 * (1.0 + (-(1.0 - r.unit()).ln() / 0.2).floor())).collect();
    let mut g = c.benchmark_group("quote_calibration");
    g.throughput(Throughput::Elements(depths.len() as u64));
    g.bench_function("fit_intensity_100k", |b| {
        b.iter(|| black_box(fit_intensity(black_box(&depths), 3600.0, &IntensityGrid::default())))
    });
    g.finish();
}

criterion_group!(benches, bench_cycle, bench_calibration);

fn main() {
    percentiles();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
