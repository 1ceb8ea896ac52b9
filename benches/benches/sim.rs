//! Simulator throughput: events (rows over all tables) per second for a 30-minute run.
//!
//! `cargo bench -p crossbook-benches --bench sim`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbook_core::sim::{simulate, SimConfig};

fn bench_sim(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim");
    g.sample_size(10);
    for minutes in [5.0, 30.0] {
        let cfg = SimConfig { minutes, ..SimConfig::default() };
        let events = simulate(&cfg).map(|o| o.events()).unwrap_or(0);
        g.throughput(Throughput::Elements(events as u64));
        g.bench_function(format!("simulate_{minutes}min_events"), |b| {
            b.iter(|| simulate(black_box(&cfg)).map(|o| o.events()).unwrap_or(0))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_sim);
criterion_main!(benches);
