//! All-points k-th nearest-neighbour distances in 2-D under the max-norm (Chebyshev): the joint-space
//! search of the KSG mutual-information estimator.
//!
//! The points are cut into *strips* of equal count along x, each in ascending y (both orders come from
//! the marginal sorts the estimator needs anyway, so building is O(n)). A query scans its own strip outward
//! in y from its own position while |Δy| is below the current k-th distance, then the neighbouring strips
//! in order of their x gap (entering each by a binary search on y), and stops on each side at the first
//! strip whose x gap is not below the k-th distance. Every skipped point is provably at least as far as
//! the current k-th distance (floating-point differences are monotone in their operands), so the result is
//! exact, ties and duplicates included.
//!
//! With strips about 1.4·sqrt(k·n) points wide, a query visits about three strips and computes a few
//! distances per strip: O(n log n) in all, and several times cheaper per query than a k-d tree (no tree
//! walk, contiguous memory). Strips are independent, so they are built and queried in parallel.

use rayon::prelude::*;

/// The strips: per point (y, x) in strip-major, y-ascending order, its ranks in the sorted marginals,
/// and each strip's x range.
#[derive(Debug)]
pub struct Strips {
    width: usize,
    pts: Vec<[f64; 2]>,
    /// rank of each point's x in `x_order` and of its y in `y_order` (positions in the sorted marginals)
    rank_x: Vec<u32>,
    rank_y: Vec<u32>,
    x_lo: Vec<f64>,
    x_hi: Vec<f64>,
}

/// Strip width (points) for n points and k neighbours: 1.4·sqrt(k·n), at least 16 (tuned at n = 1e5).
#[must_use]
pub fn strip_width(n: usize, k: usize) -> usize {
    let w = 1.4 * ((k * n) as f64).sqrt();
    (w as usize).max(16).min(n.max(1))
}

/// The k smallest distances seen so far, ascending, padded with +inf; `worst` is the k-th (+inf until k
/// are held).
#[derive(Debug)]
struct KBest {
    d: Vec<f64>,
    worst: f64,
}

impl KBest {
    fn new(k: usize) -> Self {
        Self { d: vec![f64::INFINITY; k.max(1)], worst: f64::INFINITY }
    }

    fn clear(&mut self) {
        self.d.fill(f64::INFINITY);
        self.worst = f64::INFINITY;
    }

    /// Insert `v` (the caller has checked `v < worst`): the k-th value drops out.
    #[inline]
    fn insert(&mut self, v: f64) {
        let d = &mut self.d[..];
        let mut i = d.len() - 1;
        while i > 0 && d[i - 1] > v {
            d[i] = d[i - 1];
            i -= 1;
        }
        d[i] = v;
        self.worst = d[d.len() - 1];
    }
}

#[inline]
fn max2(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

impl Strips {
    /// Cut the points into strips of `width` along `x_order` (the indices of the points in ascending x),
    /// each strip in ascending y: the points are dealt into their strips in `y_order` (the indices in
    /// ascending y), so no strip needs sorting. All slices have the same length.
    #[must_use]
    pub fn build(x: &[f64], y: &[f64], x_order: &[u32], y_order: &[u32], width: usize) -> Self {
        let n = x.len();
        let width = width.max(1);
        let mut xr = vec![0u32; n];
        for (r, &i) in x_order.iter().enumerate() {
            xr[i as usize] = r as u32;
        }
        let mut fill: Vec<usize> = (0..n.div_ceil(width)).map(|s| s * width).collect();
        let mut pts = vec![[0.0; 2]; n];
        let mut rank_x = vec![0u32; n];
        let mut rank_y = vec![0u32; n];
        for (ry, &i) in y_order.iter().enumerate() {
            let i = i as usize;
            let s = xr[i] as usize / width;
            let at = fill[s];
            pts[at] = [y[i], x[i]];
            rank_x[at] = xr[i];
            rank_y[at] = ry as u32;
            fill[s] += 1;
        }
        let (x_lo, x_hi) = x_order
            .chunks(width)
            .map(|c| {
                let first = c.first().map_or(0.0, |&i| x[i as usize]);
                let last = c.last().map_or(0.0, |&i| x[i as usize]);
                (first, last)
            })
            .unzip();
        Self { width, pts, rank_x, rank_y, x_lo, x_hi }
    }

    /// Ranks in the sorted x and y marginals of the point at each position (strip-major order).
    #[must_use]
    pub fn ranks(&self) -> (&[u32], &[u32]) {
        (&self.rank_x, &self.rank_y)
    }

    /// Coordinates (x, y) of the point at position `pos`.
    #[cfg(test)]
    fn coords(&self, pos: usize) -> (f64, f64) {
        (self.pts[pos][1], self.pts[pos][0])
    }

    fn strip(&self, s: usize) -> &[[f64; 2]] {
        let lo = s * self.width;
        &self.pts[lo..(lo + self.width).min(self.pts.len())]
    }

    /// For every position, the max-norm distance from its point to the k-th nearest *other* point
    /// (duplicates count as neighbours at distance 0). Needs `1 <= k < n`.
    #[must_use]
    pub fn kth_distances(&self, k: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.pts.len()];
        let n_strips = self.x_lo.len();
        out.par_chunks_mut(self.width).enumerate().for_each(|(s, out)| {
            let mut best = KBest::new(k);
            // the queries of a strip come in ascending y, so each other strip is entered at a position
            // that only moves forward: one cursor per strip, advanced by galloping
            let mut cursors = vec![0usize; n_strips];
            for (p, slot) in out.iter_mut().enumerate() {
                *slot = self.query(s, p, &mut best, &mut cursors);
            }
        });
        out
    }

    fn query(&self, s: usize, p: usize, best: &mut KBest, cursors: &mut [usize]) -> f64 {
        best.clear();
        let own = self.strip(s);
        let [qy, qx] = own[p];
        scan_up(&own[p + 1..], qx, qy, best);
        scan_down(&own[..p], qx, qy, best);
        let n_strips = self.x_lo.len();
        let (mut left, mut right) = (s, s);
        let (mut go_left, mut go_right) = (s > 0, s + 1 < n_strips);
        while go_left || go_right {
            if go_right {
                if self.x_lo[right + 1] - qx < best.worst {
                    right += 1;
                    self.visit(right, qx, qy, best, &mut cursors[right]);
                    go_right = right + 1 < n_strips;
                } else {
                    go_right = false;
                }
            }
            if go_left {
                if qx - self.x_hi[left - 1] < best.worst {
                    left -= 1;
                    self.visit(left, qx, qy, best, &mut cursors[left]);
                    go_left = left > 0;
                } else {
                    go_left = false;
                }
            }
        }
        best.worst
    }

    fn visit(&self, s: usize, qx: f64, qy: f64, best: &mut KBest, cursor: &mut usize) {
        let st = self.strip(s);
        let at = advance(st, *cursor, qy);
        *cursor = at;
        scan_up(&st[at..], qx, qy, best);
        scan_down(&st[..at], qx, qy, best);
    }
}

/// The first position at or after `from` whose y is not below `qy` (all before `from` are below it):
/// gallop, then bisect.
#[inline]
fn advance(st: &[[f64; 2]], from: usize, qy: f64) -> usize {
    let (mut lo, mut step) = (from, 1);
    // invariant: every position before lo is below qy
    let mut hi = loop {
        let c = lo + step;
        if c > st.len() {
            break st.len();
        }
        if st[c - 1][0] < qy {
            lo = c;
            step *= 2;
        } else {
            break c - 1;
        }
    };
    // the answer is in lo..=hi
    while lo < hi {
        let m = lo + (hi - lo) / 2;
        if st[m][0] < qy {
            lo = m + 1;
        } else {
            hi = m;
        }
    }
    lo
}

/// Points above the query in y (ascending), while their y distance can still beat the k-th distance.
#[inline]
fn scan_up(pts: &[[f64; 2]], qx: f64, qy: f64, best: &mut KBest) {
    for &[y, x] in pts {
        let dy = y - qy;
        if dy >= best.worst {
            return;
        }
        let d = max2((x - qx).abs(), dy);
        if d < best.worst {
            best.insert(d);
        }
    }
}

/// Points below the query in y (scanned descending from the query), likewise.
#[inline]
fn scan_down(pts: &[[f64; 2]], qx: f64, qy: f64, best: &mut KBest) {
    for &[y, x] in pts.iter().rev() {
        let dy = qy - y;
        if dy >= best.worst {
            return;
        }
        let d = max2((x - qx).abs(), dy);
        if d < best.worst {
            best.insert(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(x: &[f64], y: &[f64], i: usize, k: usize) -> f64 {
        let mut d: Vec<f64> =
            (0..x.len()).filter(|&j| j != i).map(|j| (x[j] - x[i]).abs().max((y[j] - y[i]).abs())).collect();
        d.sort_by(f64::total_cmp);
        d[k - 1]
    }

    fn order(x: &[f64]) -> Vec<u32> {
        let mut o: Vec<u32> = (0..x.len() as u32).collect();
        o.sort_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]));
        o
    }

    #[test]
    fn kth_distances_match_brute_force_with_ties_and_duplicates() {
        // a lattice with duplicates and ties in both coordinates, plus a spread of irregular points
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..300u32 {
            let a = f64::from(i % 7) * 0.5;
            let b = f64::from((i * 13) % 11) * 0.25;
            x.push(if i % 5 == 0 { a } else { a + f64::from(i).sin() * 0.1 });
            y.push(b);
        }
        for width in [1usize, 5, 16, 64, 300] {
            let ox = order(&x);
            let t = Strips::build(&x, &y, &ox, &order(&y), width);
            let idx: Vec<u32> = t.ranks().0.iter().map(|&r| ox[r as usize]).collect();
            for k in [1usize, 3, 10, 40] {
                let got = t.kth_distances(k);
                for (pos, &i) in idx.iter().enumerate() {
                    assert_eq!(got[pos], brute(&x, &y, i as usize, k), "width={width} k={k} i={i}");
                }
            }
        }
    }

    #[test]
    fn large_input_matches_brute_force_on_a_sample() {
        let n = 40_000u32;
        let x: Vec<f64> = (0..n).map(|i| (f64::from(i) * 0.618_033_988_7).fract()).collect();
        let y: Vec<f64> = (0..n).map(|i| (f64::from(i) * 0.414_213_562_3).fract().powi(3)).collect();
        let ox = order(&x);
        let t = Strips::build(&x, &y, &ox, &order(&y), strip_width(x.len(), 3));
        let got = t.kth_distances(3);
        for (pos, &r) in t.ranks().0.iter().enumerate().step_by(997) {
            let i = ox[r as usize];
            assert_eq!(got[pos], brute(&x, &y, i as usize, 3), "i={i}");
        }
    }

    #[test]
    fn every_point_is_stored_once() {
        let x: Vec<f64> = (0..1000).map(|i| f64::from(i).cos()).collect();
        let y: Vec<f64> = (0..1000).map(|i| f64::from(i * 7).sin()).collect();
        let (ox, oy) = (order(&x), order(&y));
        let t = Strips::build(&x, &y, &ox, &oy, 37);
        let (rx, ry) = t.ranks();
        let mut seen: Vec<u32> = rx.iter().map(|&r| ox[r as usize]).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..1000).collect::<Vec<u32>>());
        for p in 0..1000 {
            let i = ox[rx[p] as usize];
            assert_eq!(oy[ry[p] as usize], i);
            assert_eq!(t.coords(p), (x[i as usize], y[i as usize]));
        }
        assert_eq!(strip_width(100_000, 3), 766);
        assert_eq!(strip_width(10, 3), 10);
    }
}
