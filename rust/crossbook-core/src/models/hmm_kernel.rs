//! The batch forward pass: K×d-specialised kernels (chunks of vectorised emissions, then the recursion;
//! from 32 768 rows on, the emissions run on a second thread a few chunks ahead of the recursion) and the
//! general path for other sizes. Same operations
//! in the same order as the online [`Forward`] step, so both agree bit for bit.

// The kernels index K×K and K×d arrays with the same (i, j, c) on both sides; iterators would hide that.
#![allow(clippy::needless_range_loop)]

use std::sync::mpsc;

use super::hmm::GaussianHmm;
use super::hmm_forward::{advance, exp_le0, normalise, Emission, Forward, LogLik};

/// The batch forward pass over `x` (checked n×d); appends the n×K probabilities to `probs` when given;
/// returns ln L.
pub(crate) fn filter_batch(m: &GaussianHmm, em: &Emission, x: &[f64], probs: Option<&mut Vec<f64>>) -> f64 {
    macro_rules! fixed {
        ($(($k:literal, $d:literal)),*) => {
            match (m.k, m.d) {
                $(($k, $d) => return run_fixed::<$k, $d>(m, em, x, probs),)*
                _ => {}
            }
        };
    }
    fixed!(
        (2, 1),
        (2, 2),
        (2, 3),
        (2, 4),
        (2, 5),
        (2, 6),
        (3, 1),
        (3, 2),
        (3, 3),
        (3, 4),
        (3, 5),
        (3, 6),
        (4, 1),
        (4, 2),
        (4, 3),
        (4, 4),
        (4, 5),
        (4, 6),
        (5, 4),
        (6, 4)
    );
    let mut f = Forward::new(m.k);
    let mut probs = probs;
    for row in x.chunks_exact(m.d) {
        f.step(m, em, row);
        if let Some(p) = probs.as_deref_mut() {
            p.extend_from_slice(&f.probs);
        }
    }
    f.loglik()
}

/// Rows per chunk of the specialised kernel.
const CHUNK: usize = 8192;
/// From this many rows on, the emissions of the next chunk are computed on another thread while the
/// recursion runs over the current one.
const PIPELINE_MIN_ROWS: usize = 4 * CHUNK;

/// Model constants of the specialised kernel.
struct Fixed<const K: usize, const D: usize> {
    start: [f64; K],
    trans: [[f64; K]; K],
    mu: [[f64; D]; K],
    hi: [[f64; D]; K],
    cst: [f64; K],
}

/// Shifted densities of a chunk: `b[j·CHUNK + t] = exp(lb_j(x_t) − mx[t])`, `mx[t] = max_j lb_j(x_t)`.
struct ChunkBuf {
    b: Vec<f64>,
    mx: Vec<f64>,
}

impl ChunkBuf {
    fn new(k: usize) -> Self {
        Self { b: vec![0.0; k * CHUNK], mx: vec![0.0; CHUNK] }
    }
}

/// The recursion's state between chunks.
struct Rec<const K: usize> {
    alpha: [f64; K],
    sum: f64,
    ll: LogLik,
    first: bool,
}

impl<const K: usize, const D: usize> Fixed<K, D> {
    /// Emissions of a chunk of rows (≤ CHUNK): loops over time that vectorise; the same operations in the
    /// same order as [`Emission::log_density`] and [`shifted`].
    fn emissions(&self, xc: &[f64], buf: &mut ChunkBuf) {
        let n = xc.len() / D;
        for j in 0..K {
            let bj = &mut buf.b[j * CHUNK..j * CHUNK + n];
            for (row, out) in xc.chunks_exact(D).zip(bj.iter_mut()) {
                let mut q = 0.0;
                for c in 0..D {
                    let z = row[c] - self.mu[j][c];
                    q += z * z * self.hi[j][c];
                }
                *out = self.cst[j] - q;
            }
        }
        let mx = &mut buf.mx[..n];
        mx.iter_mut().for_each(|m| *m = f64::NEG_INFINITY);
        for j in 0..K {
            for (m, &l) in mx.iter_mut().zip(&buf.b[j * CHUNK..j * CHUNK + n]) {
                if l > *m {
                    *m = l;
                }
            }
        }
        for j in 0..K {
            for (o, &m) in buf.b[j * CHUNK..j * CHUNK + n].iter_mut().zip(mx.iter()) {
                *o = exp_le0(*o - m);
            }
        }
    }

    /// The recursion over a chunk whose emissions are in `buf`.
    fn recurse(&self, em: &Emission, xc: &[f64], buf: &ChunkBuf, st: &mut Rec<K>, mut probs: Option<&mut Vec<f64>>) {
        for (t, row) in xc.chunks_exact(D).enumerate() {
            let mut pred = [0.0; K];
            if st.first {
                pred = self.start;
                st.first = false;
            } else {
                let (mut even, mut odd) = ([0.0; K], [0.0; K]);
                for i in (0..K).step_by(2) {
                    let a = st.alpha[i];
                    for j in 0..K {
                        even[j] += a * self.trans[i][j];
                    }
                }
                for i in (1..K).step_by(2) {
                    let a = st.alpha[i];
                    for j in 0..K {
                        odd[j] += a * self.trans[i][j];
                    }
                }
                for j in 0..K {
                    pred[j] = even[j] + odd[j];
                }
            }
            let bt: [f64; K] = std::array::from_fn(|j| buf.b[j * CHUNK + t]);
            let lb = || {
                let mut v = vec![0.0; K];
                em.log_density(row, &mut v);
                v
            };
            st.sum = advance(&mut st.alpha, &pred, &bt, buf.mx[t], lb, &mut st.ll);
            if let Some(p) = probs.as_deref_mut() {
                let mut out = [0.0; K];
                normalise(&st.alpha, st.sum, &mut out);
                p.extend_from_slice(&out);
            }
        }
    }
}

/// [`filter_batch`] with K and d known at compile time (same operations, same order).
fn run_fixed<const K: usize, const D: usize>(
    m: &GaussianHmm,
    em: &Emission,
    x: &[f64],
    mut probs: Option<&mut Vec<f64>>,
) -> f64 {
    let f = Fixed::<K, D> {
        start: std::array::from_fn(|j| m.startprob[j]),
        trans: std::array::from_fn(|i| std::array::from_fn(|j| m.transmat[i * K + j])),
        mu: std::array::from_fn(|j| std::array::from_fn(|c| em.means[j * D + c])),
        hi: std::array::from_fn(|j| std::array::from_fn(|c| em.half_inv[j * D + c])),
        cst: std::array::from_fn(|j| em.cst[j]),
    };
    let mut st = Rec::<K> { alpha: [0.0; K], sum: 1.0, ll: LogLik::new(), first: true };
    if x.len() / D >= PIPELINE_MIN_ROWS {
        pipelined(&f, em, x, &mut st, probs);
    } else {
        let mut buf = ChunkBuf::new(K);
        for xc in x.chunks(CHUNK * D) {
            f.emissions(xc, &mut buf);
            f.recurse(em, xc, &buf, &mut st, probs.as_deref_mut());
        }
    }
    if st.first {
        0.0
    } else {
        st.ll.value(st.sum)
    }
}

/// The same loop with the emissions computed on a second (scoped) thread a few chunks ahead: buffers
/// travel producer → consumer on one bounded channel and back on another, so neither side waits unless
/// it is the faster one. Should the producer stop early (it cannot, short of a bug), the consumer computes
/// the missing emissions itself.
fn pipelined<const K: usize, const D: usize>(
    f: &Fixed<K, D>,
    em: &Emission,
    x: &[f64],
    st: &mut Rec<K>,
    mut probs: Option<&mut Vec<f64>>,
) {
    const BUFFERS: usize = 3;
    let (full_tx, full_rx) = mpsc::sync_channel::<ChunkBuf>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<ChunkBuf>(BUFFERS);
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(ChunkBuf::new(K));
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for xc in x.chunks(CHUNK * D) {
                let Ok(mut buf) = empty_rx.recv() else { return };
                f.emissions(xc, &mut buf);
                if full_tx.send(buf).is_err() {
                    return;
                }
            }
        });
        for xc in x.chunks(CHUNK * D) {
            let buf = full_rx.recv().unwrap_or_else(|_| {
                let mut b = ChunkBuf::new(K);
                f.emissions(xc, &mut b);
                b
            });
            f.recurse(em, xc, &buf, st, probs.as_deref_mut());
            let _ = empty_tx.send(buf);
        }
    });
}
