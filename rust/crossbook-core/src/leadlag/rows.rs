//! The regression window of the streaming estimator: a ring of samples, each a follower return y
//! and the leader return x_k at every candidate lag k, stored row-major for one sequential pass.

use super::lagfit::Moments;

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
}

impl RowRing {
    /// Room for `cap` rows of `k` lags (memory `cap · (k + 1) · 8` bytes, allocated up front).
    #[must_use]
    pub fn new(k: usize, cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            k,
            cap,
            x: vec![0.0; cap * k],
            y: vec![0.0; cap],
            head: 0,
            len: 0,
        }
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

    /// Append a row with x_k = `cur[k] − prev[k]`, overwriting the oldest when full.
    pub fn push(&mut self, y: f64, cur: &[f64], prev: &[f64]) {
        let row = &mut self.x[self.head * self.k..(self.head + 1) * self.k];
        for ((o, c), p) in row.iter_mut().zip(cur).zip(prev) {
            *o = c - p;
        }
        self.y[self.head] = y;
        self.head = if self.head + 1 == self.cap {
            0
        } else {
            self.head + 1
        };
        self.len = (self.len + 1).min(self.cap);
    }

    /// Per-lag regression sums for all samples, up moves (x > 0) and down moves (x < 0), in that
    /// order. One pass over the rows; the order of rows does not matter.
    #[must_use]
    pub fn moments(&self) -> [Vec<Moments>; 3] {
        let k = self.k;
        // all moves: x sums; up moves: x⁺ sums and masked y sums; down: masked y sums
        let (mut a_sx, mut a_sxx, mut a_sxy) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let (mut u_sx, mut u_sxx, mut u_sxy) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let (mut u_n, mut u_sy, mut u_syy) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let (mut d_n, mut d_sy, mut d_syy) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let (mut sy, mut syy) = (0.0, 0.0);
        let rows = self.x[..self.len * k].chunks_exact(k.max(1));
        for (row, &y) in rows.zip(&self.y[..self.len]) {
            let yy = y * y;
            sy += y;
            syy += yy;
            for j in 0..row.len().min(k) {
                let x = row[j];
                let xp = x.max(0.0);
                let up = f64::from(u8::from(x > 0.0));
                let dn = f64::from(u8::from(x < 0.0));
                a_sx[j] += x;
                a_sxx[j] += x * x;
                a_sxy[j] += x * y;
                u_sx[j] += xp;
                u_sxx[j] += xp * xp;
                u_sxy[j] += xp * y;
                u_n[j] += up;
                u_sy[j] += up * y;
                u_syy[j] += up * yy;
                d_n[j] += dn;
                d_sy[j] += dn * y;
                d_syy[j] += dn * yy;
            }
        }
        let n = self.len as f64;
        let mut out: [Vec<Moments>; 3] = [
            Vec::with_capacity(k),
            Vec::with_capacity(k),
            Vec::with_capacity(k),
        ];
        for j in 0..k {
            out[0].push(Moments {
                n,
                sx: a_sx[j],
                sxx: a_sxx[j],
                sxy: a_sxy[j],
                sy,
                syy,
            });
            out[1].push(Moments {
                n: u_n[j],
                sx: u_sx[j],
                sxx: u_sxx[j],
                sxy: u_sxy[j],
                sy: u_sy[j],
                syy: u_syy[j],
            });
            // x < 0 part of the sums: all − x⁺ part (x = 0 adds nothing to x sums)
            out[2].push(Moments {
                n: d_n[j],
                sx: a_sx[j] - u_sx[j],
                sxx: a_sxx[j] - u_sxx[j],
                sxy: a_sxy[j] - u_sxy[j],
                sy: d_sy[j],
                syy: d_syy[j],
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
        let [all, up, down] = r.moments();
        // lag 0: x = (1, 0, -1), y = (1, 2, -1)
        assert_eq!(all[0].n, 3.0);
        assert_eq!((all[0].sx, all[0].sxx, all[0].sxy), (0.0, 2.0, 2.0));
        assert_eq!((all[0].sy, all[0].syy), (2.0, 6.0));
        assert_eq!(
            (up[0].n, up[0].sx, up[0].sxy, up[0].sy, up[0].syy),
            (1.0, 1.0, 1.0, 1.0, 1.0)
        );
        assert_eq!(
            (down[0].n, down[0].sx, down[0].sxx, down[0].sxy),
            (1.0, -1.0, 1.0, 1.0)
        );
        assert_eq!((down[0].sy, down[0].syy), (-1.0, 1.0));
        // lag 1: x = (-2, 3, 0.5)
        assert_eq!((up[1].n, up[1].sx, up[1].sxy), (2.0, 3.5, 5.5));
        assert_eq!((down[1].n, down[1].sx, down[1].sxy), (1.0, -2.0, -2.0));
    }
}
