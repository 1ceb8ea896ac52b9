#![allow(clippy::unwrap_used)]
// temporary timing harness (not committed)
use crossbook_core::models::hmm::{GaussianHmm, SEED_TRANSMAT};
use crossbook_core::models::hmm_fit::sample;
use std::time::Instant;

fn prof() -> [u64; 3] {
    [0; 3]
}

fn main() {
    let means = vec![-1.0, 3.3, 0.0, 0.2, -0.2, 3.9, 0.0, 0.4, 0.9, 4.4, 0.0, 0.6, 1.7, 4.9, 0.0, 2.0];
    let variances = vec![0.05, 0.02, 0.01, 0.1, 0.06, 0.03, 0.02, 0.1, 0.1, 0.05, 0.01, 0.3, 0.2, 0.1, 0.005, 1.0];
    let m = GaussianHmm::new(vec![0.7, 0.1, 0.15, 0.05], SEED_TRANSMAT.concat(), means, variances).unwrap();
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1_000_000);
    let what = std::env::args().nth(2).unwrap_or("both".into());
    let (_, x) = sample(&m, n, 1);
    let mut best = [f64::INFINITY; 5];
    let mut lls = (0.0, 0.0);
    for _ in 0..20 {
        if what != "filter" {
            let p0 = prof();
            let t = Instant::now();
            lls.0 = m.loglik(&x).unwrap();
            best[0] = best[0].min(t.elapsed().as_secs_f64() * 1e3);
            let p1 = prof();
            let _ = (p0, p1);
        }
        {
            let t = Instant::now();
            let v = vec![0.0f64; n * 4];
            best[2] = best[2].min(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(&v);
        }
        if what != "loglik" {
            let t = Instant::now();
            let (_p, ll) = m.filter(&x).unwrap();
            best[1] = best[1].min(t.elapsed().as_secs_f64() * 1e3);
            lls.1 = ll;
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap();
    println!(
        "best: loglik {:.2} ms filter {:.2} ms | calloc {:.2} - {:.2} {:.2} | ll {} {} | load {}",
        best[0],
        best[1],
        best[2],
        best[3],
        best[4],
        lls.0,
        lls.1,
        load.trim()
    );
}
