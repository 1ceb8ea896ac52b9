//! The k smallest of a stream of max-norm distances: the bookkeeping of a k-nearest-neighbour search.
//!
//! [`Lanes`] keeps them without branches, for a k fixed at compile time: a sorted list per SIMD lane
//! updated by a min/max insertion network (each new distance is carried down the list: the smaller of
//! slot and carry stays, the larger moves on), two lanes side by side in one register, and two such
//! networks taking alternate pairs of points so that two dependency chains run at once. [`Sorted`] is
//! the plain insertion into a sorted list, for any k, used where few points are offered.

use super::grid::Pt;

/// The k smallest distances offered so far (k fixed per search).
pub trait Best {
    fn clear(&mut self);
    /// The current k-th smallest distance (+inf until k were offered).
    fn worst(&self) -> f64;
    /// How many distances are kept (k).
    fn k(&self) -> usize;
    /// Start afresh with the points (xs[i], ys[i]) at their max-norm distance from (qx, qy) (`xs.len()`
    /// even) and return the k-th smallest.
    fn search(&mut self, xs: &[f64], ys: &[f64], qx: f64, qy: f64) -> f64;
    /// Offer the points (x, y) of `pts`.
    fn offer(&mut self, pts: &[Pt], qx: f64, qy: f64);
}

#[inline(always)]
pub fn min2(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

#[inline(always)]
pub fn max2(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

#[inline(always)]
pub fn dist(x: f64, y: f64, qx: f64, qy: f64) -> f64 {
    max2((x - qx).abs(), (y - qy).abs())
}

/// The K smallest distances without branches: two independent lanes (even and odd offers, so the two
/// run side by side in one SIMD register), each a sorted list kept by a min/max insertion network; the
/// K-th smallest of both is read off the two lists at the end.
#[derive(Debug)]
pub struct Lanes<const K: usize> {
    b: [[f64; 2]; K],
}

impl<const K: usize> Lanes<K> {
    #[inline]
    #[must_use]
    pub fn new() -> Self {
        Self { b: [[f64::INFINITY; 2]; K] }
    }

    #[inline(always)]
    fn push(&mut self, d: [f64; 2]) {
        let mut carry = d;
        for slot in &mut self.b {
            for l in 0..2 {
                let lo = min2(slot[l], carry[l]);
                carry[l] = max2(slot[l], carry[l]);
                slot[l] = lo;
            }
        }
    }
}

impl<const K: usize> Best for Lanes<K> {
    #[inline]
    fn k(&self) -> usize {
        K
    }

    #[inline]
    fn clear(&mut self) {
        self.b = [[f64::INFINITY; 2]; K];
    }

    /// The K-th smallest of the union of the two sorted lanes a, b: min over i of max(a_i, b_{K−i})
    /// (1-based, a_0 = b_0 = −inf).
    #[inline]
    fn worst(&self) -> f64 {
        let mut w = min2(self.b[K - 1][0], self.b[K - 1][1]);
        for i in 1..K {
            w = min2(w, max2(self.b[i - 1][0], self.b[K - 1 - i][1]));
        }
        w
    }

    // plain index loops: iterator adapters are not always inlined in builds split into many codegen
    // units without LTO
    #[inline]
    fn search(&mut self, xs: &[f64], ys: &[f64], qx: f64, qy: f64) -> f64 {
        // two networks (local, so they stay in registers) take alternate pairs: each insertion waits
        // on the previous one through the min/max latency, and two chains run side by side; the second
        // is then inserted into the first
        let mut a = Self::new();
        let mut b = Self::new();
        let n = xs.len().min(ys.len()) & !1;
        let (xs, ys) = (&xs[..n], &ys[..n]);
        let mut i = 0;
        while i + 4 <= n {
            a.push([dist(xs[i], ys[i], qx, qy), dist(xs[i + 1], ys[i + 1], qx, qy)]);
            b.push([dist(xs[i + 2], ys[i + 2], qx, qy), dist(xs[i + 3], ys[i + 3], qx, qy)]);
            i += 4;
        }
        if i < n {
            a.push([dist(xs[i], ys[i], qx, qy), dist(xs[i + 1], ys[i + 1], qx, qy)]);
        }
        for d in b.b {
            a.push(d);
        }
        self.b = a.b;
        a.worst()
    }

    #[inline]
    fn offer(&mut self, pts: &[Pt], qx: f64, qy: f64) {
        let mut i = 0;
        while i + 1 < pts.len() {
            let (a, b) = (pts[i], pts[i + 1]);
            self.push([dist(a.x, a.y, qx, qy), dist(b.x, b.y, qx, qy)]);
            i += 2;
        }
        if i < pts.len() {
            self.push([dist(pts[i].x, pts[i].y, qx, qy), f64::INFINITY]);
        }
    }
}

/// The k smallest distances, ascending, padded with +inf, kept by insertion (any k).
#[derive(Debug)]
pub struct Sorted {
    d: Vec<f64>,
}

impl Sorted {
    /// Empty, for k distances.
    #[must_use]
    pub fn new(k: usize) -> Self {
        Self { d: vec![f64::INFINITY; k.max(1)] }
    }

    /// Offer one distance.
    #[inline]
    pub fn insert(&mut self, v: f64) {
        let d = &mut self.d[..];
        if v >= d[d.len() - 1] {
            return;
        }
        let mut i = d.len() - 1;
        while i > 0 && d[i - 1] > v {
            d[i] = d[i - 1];
            i -= 1;
        }
        d[i] = v;
    }
}

impl Best for Sorted {
    #[inline]
    fn k(&self) -> usize {
        self.d.len()
    }

    #[inline]
    fn clear(&mut self) {
        self.d.fill(f64::INFINITY);
    }

    #[inline]
    fn worst(&self) -> f64 {
        self.d[self.d.len() - 1]
    }

    #[inline]
    fn search(&mut self, xs: &[f64], ys: &[f64], qx: f64, qy: f64) -> f64 {
        self.clear();
        for (&x, &y) in xs.iter().zip(ys) {
            self.insert(dist(x, y, qx, qy));
        }
        self.worst()
    }

    #[inline]
    fn offer(&mut self, pts: &[Pt], qx: f64, qy: f64) {
        for p in pts {
            self.insert(dist(p.x, p.y, qx, qy));
        }
    }
}
