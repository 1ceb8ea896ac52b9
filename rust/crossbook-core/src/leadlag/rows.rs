//! The regression window of the streaming estimator: a ring of samples, each a follower return y
//! and the leader return x_k at every candidate lag k, with running regression sums per lag.
//!
//! The sums are updated on every push (add the new row, subtract the evicted one), so a
//! re-estimation reads them in O(lags) instead of passing over the window. To keep rounding from
//! accumulating, they are recomputed exactly from the rows after every `cap` pushes (one full
//! turnover of the window), which costs one pass amortised over `cap` samples.

use super::lagfit::Moments;

/// Number of per-lag running sums (see [`Acc`]).
const N_SUMS: usize = 12;

/// Per-lag running sums, structure of arrays (`N_SUMS` blocks of `k`):
/// all moves Σx, Σx², Σxy; up moves Σx⁺, Σx⁺², Σx⁺y, n⁺, Σy·1⁺, Σy²·1⁺; down moves n⁻, Σy·1⁻,
/// Σy²·1⁻ (down moves' x sums are all − up, since x = 0 adds nothing to them).
#[derive(Debug, Clone)]
struct Acc {
    k: usize,
    v: Vec<f64>,
    n: f64,
    sy: f64,
    syy: f64,
}

impl Acc {
    fn new(k: usize) -> Self {
        Self { k, v: vec![0.0; N_SUMS * k], n: 0.0, sy: 0.0, syy: 0.0 }
    }

    fn clear(&mut self) {
        self.v.fill(0.0);
        (self.n, self.sy, self.syy) = (0.0, 0.0, 0.0);
    }

    /// Add one row with weight `w` (+1 to add, −1 to remove).
    fn add(&mut self, row: &[f64], y: f64, w: f64) {
        let k = self.k;
        let (wy, wyy) = (w * y, w * y * y);
        self.n += w;
        self.sy += wy;
        self.syy += wyy;
        let (row, v) = (&row[..k], &mut self.v[..N_SUMS * k]);
        let (a_sx, v) = v.split_at_mut(k);
        let (a_sxx, v) = v.split_at_mut(k);
        let (a_sxy, v) = v.split_at_mut(k);
        let (u_sx, v) = v.split_at_mut(k);
        let (u_sxx, v) = v.split_at_mut(k);
        let (u_sxy, v) = v.split_at_mut(k);
        let (u_n, v) = v.split_at_mut(k);
        let (u_sy, v) = v.split_at_mut(k);
        let (u_syy, v) = v.split_at_mut(k);
        let (d_n, v) = v.split_at_mut(k);
        let (d_sy, d_syy) = v.split_at_mut(k);
        let d_syy = &mut d_syy[..k];
        for j in 0..k {
            let x = row[j];
            let wx = w * x;
            let xp = x.max(0.0);
            let wxp = w * xp;
            let up = f64::from(u8::from(x > 0.0));
            let dn = f64::from(u8::from(x < 0.0));
            a_sx[j] += wx;
            a_sxx[j] += wx * x;
            a_sxy[j] += wx * y;
            u_sx[j] += wxp;
            u_sxx[j] += wxp * xp;
            u_sxy[j] += wxp * y;
            u_n[j] += up * w;
            u_sy[j] += up * wy;
            u_syy[j] += up * wyy;
            d_n[j] += dn * w;
            d_sy[j] += dn * wy;
            d_syy[j] += dn * wyy;
        }
    }

    fn sum(&self, block: usize, j: usize) -> f64 {
        self.v.get(block * self.k + j).copied().unwrap_or(0.0)
    }
}

/// Ring of `cap` rows of `k` leader returns plus one follower return.
#[derive(Debug, Clone)]
pub struct RowRing {
    k: usize,
    cap: usize,
    /// row-major `cap × k` leader returns
    x: Vec<f64>,
    y: Vec<f64>,
    /// next slot to write
    head: usize,
    len: usize,
    acc: Acc,
    /// pushes since the sums were last recomputed exactly
    since_resync: usize,
}

impl RowRing {
    /// Room for `cap` rows of `k` lags (memory grows with the rows held, up to
    /// `cap · (k + 1) · 8` bytes). The caller checks that `cap · k` fits in memory terms.
    #[must_use]
    pub fn new(k: usize, cap: usize) -> Self {
        let cap = cap.max(1);
        Self { k, cap, x: Vec::new(), y: Vec::new(), head: 0, len: 0, acc: Acc::new(k), since_resync: 0 }
    }

    /// Rows held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no row is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append a row with x_k = `cur[k] − prev[k]`, overwriting the oldest when full; the running
    /// sums follow. O(k), plus an exact recomputation O(cap · k) once every `cap` pushes.
    pub fn push(&mut self, y: f64, cur: &[f64], prev: &[f64]) {
        let k = self.k;
        let slot = self.head * k..(self.head + 1) * k;
        if self.len == self.cap {
            self.acc.add(&self.x[slot.clone()], self.y[self.head], -1.0);
        } else {
            // still filling: head == len, the slot is new
            self.x.resize((self.head + 1) * k, 0.0);
            self.y.push(0.0);
        }
        let row = &mut self.x[slot.clone()];
        for ((o, c), p) in row.iter_mut().zip(cur).zip(prev) {
            *o = c - p;
        }
        self.y[self.head] = y;
        self.acc.add(&self.x[slot], y, 1.0);
        self.head = if self.head + 1 == self.cap { 0 } else { self.head + 1 };
        self.len = (self.len + 1).min(self.cap);
        self.since_resync += 1;
        if self.since_resync >= self.cap {
            self.resync();
        }
    }

    /// Recompute the running sums exactly from the rows held (one pass, O(len · k)).
    pub fn resync(&mut self) {
        self.acc.clear();
        let rows = self.x[..self.len * self.k].chunks_exact(self.k.max(1));
        for (row, &y) in rows.zip(&self.y[..self.len]) {
            self.acc.add(row, y, 1.0);
        }
        self.since_resync = 0;
    }

    /// Per-lag regression sums for all samples, up moves (x > 0) and down moves (x < 0), in that
    /// order, from the running sums: O(k).
    #[must_use]
    pub fn moments(&self) -> [Vec<Moments>; 3] {
        let a = &self.acc;
        let n = self.len as f64;
        let mut out: [Vec<Moments>; 3] =
            [Vec::with_capacity(self.k), Vec::with_capacity(self.k), Vec::with_capacity(self.k)];
        for j in 0..self.k {
            let s = |b: usize| a.sum(b, j);
            out[0].push(Moments { n, sx: s(0), sxx: s(1), sxy: s(2), sy: a.sy, syy: a.syy });
            out[1].push(Moments { n: s(6).round(), sx: s(3), sxx: s(4), sxy: s(5), sy: s(7), syy: s(8) });
            out[2].push(Moments {
                n: s(9).round(),
                sx: s(0) - s(3),
                sxx: s(1) - s(4),
                sxy: s(2) - s(5),
                sy: s(10),
                syy: s(11),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_overwrites_and_splits_by_sign() {
        let mut r = RowRing::new(2, 3);
        assert!(r.is_empty());
        // rows: x = cur − prev
        r.push(9.0, &[100.0, 100.0], &[0.0, 0.0]); // overwritten below
        r.push(1.0, &[1.0, -2.0], &[0.0, 0.0]);
        r.push(2.0, &[0.0, 3.0], &[0.0, 0.0]);
        r.push(-1.0, &[-1.0, 0.5], &[0.0, 0.0]);
        assert_eq!(r.len(), 3);
        let running = r.moments();
        r.resync();
        let [all, up, down] = r.moments();
        // lag 0: x = (1, 0, -1), y = (1, 2, -1)
        assert_eq!(all[0].n, 3.0);
        assert_eq!((all[0].sx, all[0].sxx, all[0].sxy), (0.0, 2.0, 2.0));
        assert_eq!((all[0].sy, all[0].syy), (2.0, 6.0));
        assert_eq!((up[0].n, up[0].sx, up[0].sxy, up[0].sy, up[0].syy), (1.0, 1.0, 1.0, 1.0, 1.0));
        assert_eq!((down[0].n, down[0].sx, down[0].sxx, down[0].sxy), (1.0, -1.0, 1.0, 1.0));
        assert_eq!((down[0].sy, down[0].syy), (-1.0, 1.0));
        // lag 1: x = (-2, 3, 0.5)
        assert_eq!((up[1].n, up[1].sx, up[1].sxy), (2.0, 3.5, 5.5));
        assert_eq!((down[1].n, down[1].sx, down[1].sxy), (1.0, -2.0, -2.0));
        // running sums (with the evicted row subtracted) match the exact pass
        for (rd, ed) in running.iter().zip([&all, &up, &down]) {
            for (a, b) in rd.iter().zip(ed.iter()) {
                for (u, v) in [(a.n, b.n), (a.sx, b.sx), (a.sxx, b.sxx), (a.sxy, b.sxy), (a.sy, b.sy), (a.syy, b.syy)] {
                    assert!((u - v).abs() < 1e-9, "{a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn resync_matches_running_sums() {
        // 11 lags, 150 rows through a ring of 100: one resync at 100 pushes, then 50 add/evict
        let mut r = RowRing::new(11, 100);
        let mut v = 0.123_f64;
        let mut next = || {
            v = (v * 997.0 + 0.31).fract();
            v - 0.5
        };
        let prev = vec![0.0; 11];
        for _ in 0..150 {
            let cur: Vec<f64> = (0..11).map(|_| next()).collect();
            let y = next();
            r.push(y, &cur, &prev);
        }
        assert_eq!(r.since_resync, 50);
        let running = r.moments();
        r.resync();
        for (rd, ed) in running.iter().zip(r.moments().iter()) {
            for (a, b) in rd.iter().zip(ed) {
                for (u, w) in [(a.n, b.n), (a.sx, b.sx), (a.sxx, b.sxx), (a.sxy, b.sxy), (a.sy, b.sy), (a.syy, b.syy)] {
                    assert!((u - w).abs() < 1e-9, "{a:?} vs {b:?}");
                }
            }
        }
        assert!(running[1][3].n > 20.0 && running[2][10].n > 20.0);
    }
}
