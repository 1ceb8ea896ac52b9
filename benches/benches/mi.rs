//! KSG mutual information (crossbook_core::stats::knn_mi): one estimate at 10⁴ and 10⁵ pairs of a
//! correlated Gaussian pair (ρ = 0.6, k = 3), and at 10⁵ for heavy tails (Cauchy-like ratios) and a
//! lattice (heavy ties). Run with `RAYON_NUM_THREADS=1` for the single-threaded figure; the scikit-learn
//! comparison is `benches/bench_mi.py`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbook_core::stats::knn_mi::ksg_mi;

/// Standard normal pairs by Box–Muller on a 64-bit xorshift (deterministic).
fn normals(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.max(1);
    let mut uniform = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n).map(|_| (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos()).collect()
}

fn data(kind: &str, n: usize) -> (Vec<f64>, Vec<f64>) {
    let (a, b, c) = (normals(n, 1), normals(n, 2), normals(n, 3));
    let y: Vec<f64> = a.iter().zip(&b).map(|(a, b)| 0.6 * a + 0.8 * b).collect();
    match kind {
        "cauchy" => (a.iter().zip(&c).map(|(a, c)| a / c).collect(), y.iter().zip(&b).map(|(y, b)| y / b).collect()),
        "lattice" => (a.iter().map(|v| (v * 10.0).round()).collect(), y.iter().map(|v| (v * 10.0).round()).collect()),
        _ => (a, y),
    }
}

fn bench_ksg(c: &mut Criterion) {
    let mut g = c.benchmark_group("ksg_mi");
    for (kind, n) in [("gauss", 10_000), ("gauss", 100_000), ("cauchy", 100_000), ("lattice", 100_000)] {
        let (x, y) = data(kind, n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{kind}_{n}"), |bch| {
            bch.iter(|| ksg_mi(black_box(&x), black_box(&y), 3, true, false).map(|e| e.mi_nats));
        });
    }
    g.finish();
}

criterion_group!(benches, bench_ksg);
criterion_main!(benches);
