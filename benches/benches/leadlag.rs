//! Streaming lead-lag estimator: re-estimation cost and per-tick cost.
//!
//! `reestimate_*`: one re-estimation (fits of every lag, all / up / down moves, from the running
//! sums) with a full 10k-sample window. `full_pass_*`: the exact recomputation of those sums from
//! the 10k rows, done once per window turnover. `tick_*`: feeding the whole stream tick by tick;
//! criterion's throughput gives the cost per tick (re-estimation included or not).
//!
//! Data: a synthetic leader (ticks every 20 ms on average, exponential gaps, moving at half of them)
//! and a follower copying it 150 ms later with noise (ticks every 30 ms on average), long enough to
//! fill a 10 000-sample window of 100 ms returns (1 400 s, about 117k ticks in all).
//! Targets (issue #3): re-estimation with 61 lags over a 10k-sample window < 1 ms; per tick < 200 ns.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crossbook_core::leadlag::rows::RowRing;
use crossbook_core::leadlag::streaming::{LeadLagConfig, LeadLagEstimator};

/// One tick of the merged stream: (is_leader, ts ns, price).
type Tick = (bool, i64, f64);

struct Rng(u64);
impl Rng {
    /// Uniform in (0, 1) (xorshift64*).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn exp_ns(&mut self, mean_ms: f64) -> i64 {
        1 + (-self.next().ln() * mean_ms * 1e6) as i64
    }
}

fn stream(seconds: f64) -> Vec<Tick> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (t0, end) = (1_700_000_000_000_000_000i64, (seconds * 1e9) as i64);
    let (mut lt, mut lx) = (vec![], vec![]);
    let (mut t, mut x) = (t0, 0.0f64);
    while t < t0 + end {
        t += rng.exp_ns(20.0);
        if rng.next() < 0.5 {
            x += (rng.next() - 0.5) * 3e-4;
        }
        lt.push(t);
        lx.push(x);
    }
    let mut out: Vec<Tick> = lt.iter().zip(&lx).map(|(&t, &x)| (true, t, 60_000.0 * x.exp())).collect();
    let lag = 150_000_000;
    let mut t = t0;
    while t < t0 + end {
        t += rng.exp_ns(30.0);
        let i = lt.partition_point(|&s| s <= t - lag);
        let xl = if i == 0 { 0.0 } else { lx[i - 1] };
        out.push((false, t, 60_000.0 * (0.9 * xl + (rng.next() - 0.5) * 1e-4).exp()));
    }
    out.sort_by_key(|&(is_leader, t, _)| (t, !is_leader));
    out
}

fn feed(e: &mut LeadLagEstimator, ticks: &[Tick]) {
    for &(is_leader, t, p) in ticks {
        let r = if is_leader { e.on_leader_price(p, t) } else { e.on_follower_price(p, t) };
        black_box(r).ok();
    }
}

fn config(fine: bool, interval_ms: i64) -> LeadLagConfig {
    let base = if fine { LeadLagConfig::fine() } else { LeadLagConfig::default() };
    LeadLagConfig { estimation_interval_ms: interval_ms, ..base }
}

fn bench(c: &mut Criterion) {
    let ticks = stream(1_400.0);
    let never = i64::MAX / 2_000_000;

    let mut g = c.benchmark_group("leadlag_streaming");
    g.sample_size(30);
    for (name, fine) in [("reestimate_61lags_10k", true), ("reestimate_11lags_10k", false)] {
        let mut e = LeadLagEstimator::new(config(fine, never)).ok();
        if let Some(e) = e.as_mut() {
            feed(e, &ticks);
            assert_eq!(e.window_len(), 10_000, "window not full");
            g.bench_function(name, |b| b.iter(|| black_box(e.estimate())));
        }
    }

    // the exact pass that re-synchronises the running sums once per window turnover
    for (name, k) in [("full_pass_61lags_10k", 61usize), ("full_pass_11lags_10k", 11)] {
        let mut rng = Rng(7);
        let mut rows = RowRing::new(k, 10_000);
        let prev = vec![0.0; k];
        for _ in 0..10_000 {
            let cur: Vec<f64> = (0..k).map(|_| rng.next() - 0.5).collect();
            rows.push(rng.next() - 0.5, &cur, &prev);
        }
        g.bench_function(name, |b| {
            b.iter(|| {
                rows.resync();
                black_box(rows.moments())
            })
        });
    }

    g.throughput(Throughput::Elements(ticks.len() as u64));
    for (name, fine, interval) in [
        ("tick_61lags_no_reestimation", true, never),
        ("tick_61lags_reestimate_every_1s", true, 1_000),
        ("tick_11lags_reestimate_every_1s", false, 1_000),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || LeadLagEstimator::new(config(fine, interval)).ok(),
                |mut e| {
                    if let Some(e) = e.as_mut() {
                        feed(e, &ticks);
                    }
                    e
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
