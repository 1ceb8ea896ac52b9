//! The E- and M-steps of [`super::hmm_fit`]: scaled forward–backward (log space when it under- or
//! overflows), posteriors γ and summed ξ, and the re-estimation with variance floors, zero-mean features
//! and the re-initialisation of empty states.

// The recursions index several K×K and n×K arrays with the same (t, i, j); iterators would hide that.
#![allow(clippy::needless_range_loop)]

use super::hmm_fit::{Data, Params};
use super::hmm_forward::{Emission, KahanSum};

/// Buffers of one restart: emissions, scales, forward/backward variables, posteriors, ξ sums.
pub(super) struct Workspace {
    k: usize,
    /// ln b_j(x_t), n×K
    lb: Vec<f64>,
    /// exp(ln b − max_j ln b), n×K
    b: Vec<f64>,
    /// per-step shift max_j ln b_j(x_t)
    m: Vec<f64>,
    c: Vec<f64>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    /// posteriors γ, n×K
    gamma: Vec<f64>,
    /// Σ_t ξ_t, K×K
    xi: Vec<f64>,
}

const TINY: f64 = 1e-290;
const HUGE: f64 = 1e280;

fn lse(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = v.clone().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.map(|a| (a - m).exp()).sum::<f64>().ln()
}

impl Workspace {
    pub(super) fn new(n: usize, k: usize) -> Self {
        let z = || vec![0.0; n * k];
        Self {
            k,
            lb: z(),
            b: z(),
            m: vec![0.0; n],
            c: vec![0.0; n],
            alpha: z(),
            beta: z(),
            gamma: z(),
            xi: vec![0.0; k * k],
        }
    }

    /// Fill γ and Σξ for `p`; returns (log-likelihood, whether log space was needed).
    pub(super) fn estep(&mut self, data: &Data<'_>, p: &Params) -> (f64, bool) {
        let k = self.k;
        let em = Emission::from_parts(data.d, &p.means, &p.vars);
        for t in 0..data.n {
            let lb = &mut self.lb[t * k..(t + 1) * k];
            em.log_density(data.row(t), lb);
            let m = lb.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            self.m[t] = m;
            for (b, l) in self.b[t * k..(t + 1) * k].iter_mut().zip(lb.iter()) {
                *b = (l - m).exp();
            }
        }
        match self.scaled(p) {
            Some(ll) => (ll, false),
            None => (self.log_space(p), true),
        }
    }

    fn scaled(&mut self, p: &Params) -> Option<f64> {
        let (k, n) = (self.k, self.m.len());
        let a = &p.trans;
        let mut ll = KahanSum::default();
        let mut pred = vec![0.0; k];
        for t in 0..n {
            if t == 0 {
                pred.copy_from_slice(&p.start);
            } else {
                pred.iter_mut().for_each(|v| *v = 0.0);
                for i in 0..k {
                    let ai = self.alpha[(t - 1) * k + i];
                    for j in 0..k {
                        pred[j] += ai * a[i * k + j];
                    }
                }
            }
            let row = &mut self.alpha[t * k..(t + 1) * k];
            let mut c = 0.0;
            for j in 0..k {
                row[j] = pred[j] * self.b[t * k + j];
                c += row[j];
            }
            if !(c > TINY && c.is_finite()) {
                return None;
            }
            row.iter_mut().for_each(|v| *v /= c);
            self.c[t] = c;
            ll.add(self.m[t]);
            ll.add(c.ln());
        }
        self.xi.iter_mut().for_each(|v| *v = 0.0);
        self.beta[(n - 1) * k..].iter_mut().for_each(|v| *v = 1.0);
        let mut tmp = vec![0.0; k];
        for t in (0..n - 1).rev() {
            for j in 0..k {
                tmp[j] = self.b[(t + 1) * k + j] * self.beta[(t + 1) * k + j] / self.c[t + 1];
            }
            for i in 0..k {
                let mut s = 0.0;
                let ai = self.alpha[t * k + i];
                for j in 0..k {
                    let w = a[i * k + j] * tmp[j];
                    s += w;
                    self.xi[i * k + j] += ai * w;
                }
                if !(s.is_finite() && s < HUGE) {
                    return None;
                }
                self.beta[t * k + i] = s;
            }
        }
        for t in 0..n {
            let g = &mut self.gamma[t * k..(t + 1) * k];
            let mut s = 0.0;
            for i in 0..k {
                g[i] = self.alpha[t * k + i] * self.beta[t * k + i];
                s += g[i];
            }
            if !(s > 0.0 && s.is_finite()) {
                return None;
            }
            g.iter_mut().for_each(|v| *v /= s);
        }
        Some(ll.value())
    }

    /// Forward–backward in log space: alpha/beta hold ln α, ln β.
    fn log_space(&mut self, p: &Params) -> f64 {
        let (k, n) = (self.k, self.m.len());
        let la: Vec<f64> = p.trans.iter().map(|v| v.ln()).collect();
        for j in 0..k {
            self.alpha[j] = p.start[j].ln() + self.lb[j];
        }
        for t in 1..n {
            for j in 0..k {
                let prev = &self.alpha[(t - 1) * k..t * k];
                let v = lse((0..k).map(|i| prev[i] + la[i * k + j]));
                self.alpha[t * k + j] = v + self.lb[t * k + j];
            }
        }
        let ll = lse(self.alpha[(n - 1) * k..].iter().copied());
        self.beta[(n - 1) * k..].iter_mut().for_each(|v| *v = 0.0);
        for t in (0..n - 1).rev() {
            for i in 0..k {
                let v = lse((0..k).map(|j| la[i * k + j] + self.lb[(t + 1) * k + j] + self.beta[(t + 1) * k + j]));
                self.beta[t * k + i] = v;
            }
        }
        self.xi.iter_mut().for_each(|v| *v = 0.0);
        for t in 0..n {
            let g = &mut self.gamma[t * k..(t + 1) * k];
            let lg: Vec<f64> = (0..k).map(|i| self.alpha[t * k + i] + self.beta[t * k + i]).collect();
            let z = lse(lg.iter().copied());
            let mut s = 0.0;
            for i in 0..k {
                g[i] = (lg[i] - z).exp();
                s += g[i];
            }
            g.iter_mut().for_each(|v| *v /= s);
            if t + 1 < n {
                for i in 0..k {
                    for j in 0..k {
                        let v = self.alpha[t * k + i]
                            + la[i * k + j]
                            + self.lb[(t + 1) * k + j]
                            + self.beta[(t + 1) * k + j]
                            - ll;
                        self.xi[i * k + j] += v.exp();
                    }
                }
            }
        }
        ll
    }

    /// Re-estimate `p` from γ and Σξ; returns the number of states re-initialised.
    pub(super) fn mstep(&self, data: &Data<'_>, p: &mut Params, trans0: &[f64], may_reinit: bool) -> usize {
        let (k, d, n) = (self.k, data.d, data.n);
        let occ: Vec<f64> = (0..k).map(|j| (0..n).map(|t| self.gamma[t * k + j]).sum()).collect();
        let s0: f64 = self.gamma[..k].iter().sum();
        for j in 0..k {
            p.start[j] = self.gamma[j] / s0;
        }
        for i in 0..k {
            let row = &self.xi[i * k..(i + 1) * k];
            let s: f64 = row.iter().sum();
            if s > 0.0 && s.is_finite() {
                for j in 0..k {
                    p.trans[i * k + j] = row[j] / s;
                }
            }
        }
        let min_occ = (1e-4 * n as f64).max(2.0);
        let mut reinit = 0;
        let mut used: Vec<usize> = Vec::new();
        for j in 0..k {
            if occ[j] < min_occ {
                if may_reinit && reinit < 4 * k {
                    let t = self.worst_explained(&used);
                    used.push(t);
                    p.means[j * d..(j + 1) * d].copy_from_slice(&data.centre(t));
                    p.vars[j * d..(j + 1) * d].copy_from_slice(&data.var_floored());
                    p.trans[j * k..(j + 1) * k].copy_from_slice(&trans0[j * k..(j + 1) * k]);
                    reinit += 1;
                }
                continue; // too little mass to re-estimate: keep the state's parameters
            }
            for c in 0..d {
                let mut m = 0.0;
                if !data.zero[c] {
                    for t in 0..n {
                        m += self.gamma[t * k + j] * data.x[t * d + c];
                    }
                    m /= occ[j];
                }
                let mut v = 0.0;
                for t in 0..n {
                    v += self.gamma[t * k + j] * (data.x[t * d + c] - m).powi(2);
                }
                p.means[j * d + c] = m;
                p.vars[j * d + c] = (v / occ[j]).max(data.floor[c]);
            }
        }
        reinit
    }

    /// The observation with the lowest best-state log density (not already used).
    fn worst_explained(&self, used: &[usize]) -> usize {
        let mut best = 0;
        let mut val = f64::INFINITY;
        for (t, &m) in self.m.iter().enumerate() {
            if m < val && !used.contains(&t) {
                val = m;
                best = t;
            }
        }
        best
    }
}
