//! Regime HMM (crossbook_core::models): the batch forward pass per observation (K = 4, d = 4, the
//! specialised kernel, and K = 7 through the general path), the online filter's update, and one Baum–Welch
//! fit. Observations are drawn from a fixed four-regime model.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbook_core::models::hmm::{GaussianHmm, OnlineFilter, SEED_TRANSMAT};
use crossbook_core::models::hmm_fit::{fit, sample, FitConfig};

const N: usize = 100_000;

fn regime_model() -> GaussianHmm {
    let means = vec![
        -1.0, 3.3, 0.0, 0.2, //
        -0.2, 3.9, 0.0, 0.4, //
        0.9, 4.4, 0.0, 0.6, //
        1.7, 4.9, 0.0, 2.0,
    ];
    let variances = vec![
        0.05, 0.02, 0.01, 0.1, //
        0.06, 0.03, 0.02, 0.1, //
        0.1, 0.05, 0.01, 0.3, //
        0.2, 0.1, 0.005, 1.0,
    ];
    match GaussianHmm::new(vec![0.7, 0.1, 0.15, 0.05], SEED_TRANSMAT.concat(), means, variances) {
        Ok(m) => m,
        Err(e) => panic!("benchmark model: {e}"),
    }
}

/// A 7-state model (no specialised kernel): the regime model's states plus three in between.
fn seven_states() -> GaussianHmm {
    let k = 7;
    let trans: Vec<f64> = (0..k * k).map(|i| if i / k == i % k { 0.94 } else { 0.01 }).collect();
    let means: Vec<f64> = (0..k * 3).map(|i| (i / 3) as f64 * 0.5 + (i % 3) as f64).collect();
    match GaussianHmm::new(vec![1.0 / k as f64; k], trans, means, vec![0.3; k * 3]) {
        Ok(m) => m,
        Err(e) => panic!("benchmark model: {e}"),
    }
}

fn bench_forward(c: &mut Criterion) {
    let m = regime_model();
    let (_, x) = sample(&m, N, 1);
    let m7 = seven_states();
    let (_, x7) = sample(&m7, N, 2);
    let mut g = c.benchmark_group("hmm_forward");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("loglik_k4_d4", |b| b.iter(|| m.loglik(black_box(&x))));
    g.bench_function("filter_k4_d4", |b| b.iter(|| m.filter(black_box(&x))));
    g.bench_function("loglik_k7_d3_general", |b| b.iter(|| m7.loglik(black_box(&x7))));
    g.bench_function("online_update_k4_d4", |b| {
        b.iter(|| {
            let mut f = OnlineFilter::new(m.clone());
            for row in x.chunks_exact(4) {
                let _ = black_box(f.update(black_box(row)));
            }
            f.loglik()
        })
    });
    g.finish();
}

fn bench_fit(c: &mut Criterion) {
    let m = regime_model();
    let (_, x) = sample(&m, 10_000, 3);
    let cfg = FitConfig { n_iter: 20, tol: 0.0, n_restarts: 1, ..FitConfig::default() };
    let mut g = c.benchmark_group("hmm_fit");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10_000 * 20));
    g.bench_function("baum_welch_10k_obs_20_iter", |b| b.iter(|| fit(black_box(&x), 4, &cfg)));
    g.finish();
}

criterion_group!(benches, bench_forward, bench_fit);
criterion_main!(benches);
