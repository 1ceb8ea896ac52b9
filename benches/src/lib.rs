//! Criterion benchmarks of crossbook-core live in `benches/benches/`.
