//! Hawkes fill intensity: the exponential-kernel MLE at a fixed decay (what `tick`'s `HawkesExpKern`
//! fits; see benches/bench_hawkes.py for the peer comparison) and with the decay fitted, the O(N)
//! log-likelihood pass, the O(1) online intensity update, and the softmax trade classifier's fit.
//!
//! Data: our Ogata simulator (μ = 0.5/s, branching 0.6, β = 3/s), about 100 000 events.

use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use crossbook_core::models::hawkes::{fit_hawkes_exp, HawkesExp, HawkesIntensity};
use crossbook_core::models::hawkes_sim::simulate_hawkes_exp;
use crossbook_core::models::softmax::{SoftmaxClassifier, SoftmaxOptions};

fn events(n: usize) -> (Vec<f64>, f64) {
    let p = HawkesExp { mu: 0.5, branching: 0.6, beta: 3.0 };
    let horizon = n as f64 / 1.25;
    (simulate_hawkes_exp(&p, horizon, 1).unwrap_or_default(), horizon)
}

fn bench_fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("hawkes_fit");
    g.sample_size(10);
    for n in [10_000usize, 100_000] {
        let (t, h) = events(n);
        g.throughput(Throughput::Elements(t.len() as u64));
        g.bench_with_input(BenchmarkId::new("fixed_beta", n), &t, |b, t| {
            b.iter(|| fit_hawkes_exp(black_box(t), h, Some(3.0)))
        });
        g.bench_with_input(BenchmarkId::new("full", n), &t, |b, t| b.iter(|| fit_hawkes_exp(black_box(t), h, None)));
        let p = HawkesExp { mu: 0.5, branching: 0.6, beta: 3.0 };
        g.bench_with_input(BenchmarkId::new("loglik", n), &t, |b, t| b.iter(|| p.loglik(black_box(t), h)));
    }
    g.finish();
}

fn bench_online(c: &mut Criterion) {
    let (t, _) = events(100_000);
    let p = HawkesExp { mu: 0.5, branching: 0.6, beta: 3.0 };
    let mut g = c.benchmark_group("hawkes_online");
    g.throughput(Throughput::Elements(t.len() as u64));
    g.bench_function("update_100k", |b| {
        b.iter(|| {
            let mut h = HawkesIntensity::new(p);
            let mut s = 0.0;
            for &x in &t {
                s += h.update(x).unwrap_or(0.0);
            }
            s
        });
    });
    g.finish();
}

fn bench_softmax(c: &mut Criterion) {
    // 20 000 rows, 17 features, 4 classes from a fixed linear rule with noise
    let (n, d) = (20_000usize, 17usize);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut unit = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let x: Vec<f64> = (0..n * d).map(|_| unit() - 0.5).collect();
    let y: Vec<usize> = (0..n).map(|i| ((x[i * d] + x[i * d + 1] + 0.3 * unit() + 1.0) * 2.0) as usize % 4).collect();
    let mut g = c.benchmark_group("softmax_fit");
    g.sample_size(10);
    g.bench_function("20k_x_17_4_classes", |b| {
        b.iter(|| SoftmaxClassifier::fit(black_box(&x), d, &y, 4, &SoftmaxOptions::default()));
    });
    g.finish();
}

criterion_group!(benches, bench_fit, bench_online, bench_softmax);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
