//! All-points k-th nearest-neighbour distances in 2-D under the max-norm (Chebyshev): the joint-space
//! search of the KSG mutual-information estimator.
//!
//! **Rank grid.** The points are bucketed into a grid whose columns hold equal numbers of points in x
//! order and whose rows hold equal numbers in y order — a uniform grid on the empirical copula (the ranks),
//! so its cells hold a few points each whatever the marginals (heavy tails, clusters), and building it
//! needs only the marginal ranks the estimator computes anyway: a column's size and place are known, so
//! one pass in y order deals the points into their columns (a counting sort, Knuth, TAOCP vol. 3 § 5.2),
//! O(n). Cells are stored column by column, each column in ascending y, so any run of consecutive cells
//! of one column is one contiguous slice.
//!
//! **Search.** A query starts from the 3 × 3 block of cells around its own (gathered once per cell, the
//! query itself left out) and keeps the k smallest distances ([`super::kbest`]). The searched region is
//! a box of whole columns × rows; each of its four sides has a *gap*, the distance from the query to the
//! nearest value beyond that side (from the extreme values of the next column or row). Every point
//! outside the box is at least the smallest gap away (floating-point differences are monotone in their
//! operands, so this holds for the computed distances, ties included), so while the smallest gap is
//! below the current k-th distance the box grows on that side, and the search is exact. Cells of about
//! k/2 points make the first block enough for nearly every query: O(k) distances per query, O(n·k) in
//! all, in contiguous memory (the queries run cell by cell, so neighbouring queries share their cells in
//! cache). Columns are independent, so the queries run in parallel.
//!
//! **Misfit cells.** The cells are square in ranks, not in values: where one marginal is far denser than
//! the other at a point (heavy tails: x far out, y central), the neighbourhood spans many thin cells.
//! When the box keeps growing, a query whose strip |x − x_q| < current k-th distance (or the same in y)
//! holds clearly fewer points than the box would is finished by a scan of that strip along the sorted
//! marginal instead, outward from its own rank — exact by the same monotonicity.
//!
//! Cf. Bentley, Stanat & Williams (1977), "The complexity of finding fixed-radius near neighbors" (cell
//! methods), and Kraskov, Stögbauer & Grassberger (2004) on box-assisted neighbour search for this
//! estimator.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::kbest::{max2, min2, Best, Lanes, Sorted};
use super::scratch;
use super::sort::inverse;

/// Points per cell per neighbour: cells of about `CELL_PER_K · (k + 1)` points (tuned at n = 1e5, k = 3).
const CELL_PER_K: f64 = 0.5;

/// Box growth steps after which [`Grid::extend`] weighs a one-dimensional scan instead.
const PLAN_AFTER: usize = 3;

/// The grid: per point (x, y) in cell order, its ranks in the sorted marginals, and the cell layout.
#[derive(Debug)]
pub struct Grid<'a> {
    cols: usize,
    rows: usize,
    /// first position of cell (c, r) at `start[c · rows + r]`; one extra entry (n) at the end
    start: Vec<u32>,
    pts: Vec<Pt>,
    /// smallest and largest x of each column, y of each row
    col_lo: Vec<f64>,
    col_hi: Vec<f64>,
    row_lo: Vec<f64>,
    row_hi: Vec<f64>,
    /// points per column and per row (the last ones may hold fewer)
    col_w: usize,
    row_h: usize,
    /// the marginals the grid was built from, for the one-dimensional scans
    x_sorted: &'a [f64],
    x_order: &'a [u32],
    y_sorted: &'a [f64],
    y_order: &'a [u32],
    /// rank of each point's x, by original index; the same for y, made on first need
    xr: &'a [u32],
    yr: OnceLock<Vec<u32>>,
}

/// A point with its ranks in the sorted marginals (its positions in `x_order` and `y_order`); one
/// record, so dealing the points into their cells writes one stream per column.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pt {
    pub x: f64,
    pub y: f64,
    pub rank_x: u32,
    pub rank_y: u32,
}

/// Columns (= rows) of the grid for n points and k neighbours: cells of about `CELL_PER_K · (k + 1)`
/// points, at least one.
#[must_use]
pub fn grid_side(n: usize, k: usize) -> usize {
    let per_cell = CELL_PER_K * (k + 1) as f64;
    ((n as f64 / per_cell).sqrt() as usize).clamp(1, n.max(1))
}

impl<'a> Grid<'a> {
    /// Bucket the points into a `side` × `side` rank grid. `x_sorted`/`x_order` are x's values in
    /// ascending order and their indices, `x_rank` the inverse of `x_order` (each point's x rank),
    /// likewise `y_sorted`/`y_order`; all slices have the same length.
    ///
    /// A column is a run of x ranks, so its size and place are known in advance: the points are dealt
    /// into their columns in ascending y (one pass), and each column's row starts are then read off its
    /// y ranks (a second, sequential pass).
    #[inline(never)]
    #[must_use]
    pub fn build(
        x_sorted: &'a [f64],
        x_order: &'a [u32],
        x_rank: &'a [u32],
        y_sorted: &'a [f64],
        y_order: &'a [u32],
        side: usize,
    ) -> Self {
        let xr = x_rank;
        let n = x_sorted.len();
        let side = side.clamp(1, n.max(1));
        let (col_w, row_h) = (n.div_ceil(side), n.div_ceil(side));
        let (cols, rows) = (n.div_ceil(col_w), n.div_ceil(row_h));
        let mut fill: Vec<usize> = (0..cols).map(|c| c * col_w).collect();
        // the deal below writes every point
        let mut pts = scratch::PTS.take(n);
        let column = Divisor::new(col_w);
        for ry in 0..n {
            let rx = xr[y_order[ry] as usize];
            let slot = &mut fill[column.of(rx)];
            let at = *slot;
            *slot += 1;
            pts[at] = Pt { x: x_sorted[rx as usize], y: y_sorted[ry], rank_x: rx, rank_y: ry as u32 };
        }
        // cell (c, r) starts at the first point of column c whose y rank is ≥ r · row height
        // every entry is written below
        let mut start = scratch::U32.take(cols * rows + 1);
        for c in 0..cols {
            let (lo, hi) = (c * col_w, ((c + 1) * col_w).min(n));
            let mut r = 0;
            for (p, pt) in (lo..hi).zip(&pts[lo..hi]) {
                let ry = pt.rank_y as usize;
                while r < rows && r * row_h <= ry {
                    start[c * rows + r] = p as u32;
                    r += 1;
                }
            }
            while r < rows {
                start[c * rows + r] = hi as u32;
                r += 1;
            }
        }
        start[cols * rows] = n as u32;
        let bounds =
            |s: &[f64], w: usize| -> (Vec<f64>, Vec<f64>) { s.chunks(w).map(|c| (c[0], c[c.len() - 1])).unzip() };
        let (col_lo, col_hi) = bounds(x_sorted, col_w);
        let (row_lo, row_hi) = bounds(y_sorted, row_h);
        debug_assert_eq!((col_lo.len(), row_lo.len()), (cols, rows));
        Self {
            cols,
            rows,
            start,
            pts,
            col_lo,
            col_hi,
            row_lo,
            row_hi,
            col_w,
            row_h,
            x_sorted,
            x_order,
            y_sorted,
            y_order,
            xr,
            yr: OnceLock::new(),
        }
    }

    /// The points in cell order.
    #[must_use]
    pub fn points(&self) -> &[Pt] {
        &self.pts
    }

    /// Points of column `c`, rows `r0..=r1`.
    #[inline]
    fn run(&self, c: usize, r0: usize, r1: usize) -> &[Pt] {
        &self.pts[self.start[c * self.rows + r0] as usize..self.start[c * self.rows + r1 + 1] as usize]
    }

    /// For every point, by its x rank, the max-norm distance to its k-th nearest *other* point
    /// (duplicates count as neighbours at distance 0). Needs `1 <= k < n`.
    #[must_use]
    pub fn kth_distances(&self, k: usize) -> Vec<f64> {
        macro_rules! lanes {
            ($($m:literal)*) => {
                match k {
                    $($m => self.all_queries(Lanes::<$m>::new),)*
                    m => self.all_queries(|| Sorted::new(m)),
                }
            };
        }
        lanes!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    fn all_queries<B: Best>(&self, new_best: impl Fn() -> B + Sync) -> Vec<f64> {
        // every point's entry is written
        let mut out = scratch::F64.take(self.pts.len());
        // split the output at column starts: columns are searched in parallel
        let mut pieces = Vec::with_capacity(self.cols);
        let mut rest = &mut out[..];
        for c in 0..self.cols {
            let len = (self.start[(c + 1) * self.rows] - self.start[c * self.rows]) as usize;
            let (head, tail) = rest.split_at_mut(len);
            pieces.push((c, head));
            rest = tail;
        }
        let k = new_best().k();
        pieces.into_par_iter().for_each_init(
            || (new_best(), Sorted::new(k), Vec::new(), Vec::new()),
            |(best, spare, xs, ys), (c, out)| self.column(c, out, best, spare, xs, ys),
        );
        out
    }

    /// The queries of column `c`, cell by cell; `out` is the column's slice of the output.
    #[inline(never)]
    fn column<B: Best>(
        &self,
        c: usize,
        out: &mut [f64],
        best: &mut B,
        spare: &mut Sorted,
        xs: &mut Vec<f64>,
        ys: &mut Vec<f64>,
    ) {
        let base = self.start[c * self.rows] as usize;
        for r in 0..self.rows {
            let (lo, hi) = (self.start[c * self.rows + r] as usize, self.start[c * self.rows + r + 1] as usize);
            if lo == hi {
                continue;
            }
            // the 3 x 3 block around the cell, gathered once for all its queries (columns of
            // struct-of-arrays, padded to an even length with points at infinity)
            let (c0, c1) = (c.saturating_sub(1), (c + 1).min(self.cols - 1));
            let (r0, r1) = (r.saturating_sub(1), (r + 1).min(self.rows - 1));
            let mut runs = [(0, 0); 3];
            let mut len = 0;
            for (run, cc) in runs.iter_mut().zip(c0..=c1) {
                *run = (self.start[cc * self.rows + r0] as usize, self.start[cc * self.rows + r1 + 1] as usize);
                len += run.1 - run.0;
            }
            let even = len + (len & 1);
            if xs.len() < even {
                xs.resize(even, 0.0);
                ys.resize(even, 0.0);
            }
            let (xs, ys) = (&mut xs[..even], &mut ys[..even]);
            let mut at = 0;
            let mut own = 0;
            for (&(a, b), cc) in runs.iter().zip(c0..=c1) {
                if cc == c {
                    own = at;
                }
                let run = &self.pts[a..b];
                let (x, y) = (&mut xs[at..at + run.len()], &mut ys[at..at + run.len()]);
                for j in 0..run.len() {
                    (x[j], y[j]) = (run[j].x, run[j].y);
                }
                at += run.len();
            }
            if len < even {
                (xs[len], ys[len]) = (f64::INFINITY, f64::INFINITY);
            }
            let ys = &*ys;
            // the nearest values beyond each side of the block (infinitely far when it is at the edge)
            let left = if c0 > 0 { self.col_hi[c0 - 1] } else { f64::NEG_INFINITY };
            let right = if c1 + 1 < self.cols { self.col_lo[c1 + 1] } else { f64::INFINITY };
            let down = if r0 > 0 { self.row_hi[r0 - 1] } else { f64::NEG_INFINITY };
            let up = if r1 + 1 < self.rows { self.row_lo[r1 + 1] } else { f64::INFINITY };
            // where the cell's own points sit in the block
            let own = own + lo - self.start[c * self.rows + r0] as usize;
            for p in lo..hi {
                let q = self.pts[p];
                let Pt { x: qx, y: qy, .. } = q;
                // the query itself is not a neighbour: out of the block while it is searched
                xs[own + p - lo] = f64::INFINITY;
                let worst = best.search(xs, ys, qx, qy);
                xs[own + p - lo] = qx;
                let gap = min2(min2(qx - left, right - qx), min2(qy - down, up - qy));
                out[q.rank_x as usize - base] =
                    if gap >= worst { worst } else { self.extend(best, spare, q, [c0, c1, r0, r1]) };
            }
        }
    }

    /// Finish a query whose first block did not settle it: grow the searched box `[c0, c1, r0, r1]`
    /// (columns and rows, inclusive) side by side while the nearest point beyond a side could be closer
    /// than the current k-th distance, or, when the box would hold many more points than the strip of
    /// the query's x (or y) within that distance, search that strip instead (see [`Grid::scan`]).
    #[inline(never)]
    fn extend(&self, best: &mut impl Best, spare: &mut Sorted, q: Pt, bx: [usize; 4]) -> f64 {
        let Pt { x: qx, y: qy, .. } = q;
        let [mut c0, mut c1, mut r0, mut r1] = bx;
        let mut steps = 0;
        loop {
            let worst = best.worst();
            let left = if c0 > 0 { qx - self.col_hi[c0 - 1] } else { f64::INFINITY };
            let right = if c1 + 1 < self.cols { self.col_lo[c1 + 1] - qx } else { f64::INFINITY };
            let down = if r0 > 0 { qy - self.row_hi[r0 - 1] } else { f64::INFINITY };
            let up = if r1 + 1 < self.rows { self.row_lo[r1 + 1] - qy } else { f64::INFINITY };
            let gap = left.min(right).min(down).min(up);
            if gap >= worst {
                return worst;
            }
            // most queries here need a step or two; those that need more are where the cells' shape
            // does not fit the neighbourhood's
            steps += 1;
            if steps == PLAN_AFTER && worst.is_finite() {
                if let Some(axis) = self.strip_is_cheaper(q, worst, [c0, c1, r0, r1]) {
                    return self.scan(q, axis, worst, spare);
                }
            }
            if gap == left {
                c0 -= 1;
                best.offer(self.run(c0, r0, r1), qx, qy);
            } else if gap == right {
                c1 += 1;
                best.offer(self.run(c1, r0, r1), qx, qy);
            } else if gap == down {
                r0 -= 1;
                for cc in c0..=c1 {
                    best.offer(self.run(cc, r0, r0), qx, qy);
                }
            } else {
                r1 += 1;
                for cc in c0..=c1 {
                    best.offer(self.run(cc, r1, r1), qx, qy);
                }
            }
        }
    }

    /// Whether a one-dimensional scan (0: along x, 1: along y) would visit fewer points than growing
    /// the box until its gaps reach `bound`. Estimates: the box holds (columns × rows within `bound`)
    /// average cells; the x strip holds 2·bound × the points per unit x of the query's column, at most
    /// those columns' points (likewise y). The copula grid's cells are square in ranks, not in values:
    /// where one marginal is much denser than the other (heavy tails) the box needs many thin cells.
    fn strip_is_cheaper(&self, q: Pt, bound: f64, bx: [usize; 4]) -> Option<usize> {
        const CAP: usize = 16;
        let [c0, c1, r0, r1] = bx;
        let (mut cl, mut cr, mut rd, mut ru) = (c0, c1, r0, r1);
        while cl > 0 && c1 - cl < CAP && q.x - self.col_hi[cl - 1] < bound {
            cl -= 1;
        }
        while cr + 1 < self.cols && cr - c0 < CAP && self.col_lo[cr + 1] - q.x < bound {
            cr += 1;
        }
        while rd > 0 && r1 - rd < CAP && q.y - self.row_hi[rd - 1] < bound {
            rd -= 1;
        }
        while ru + 1 < self.rows && ru - r0 < CAP && self.row_lo[ru + 1] - q.y < bound {
            ru += 1;
        }
        let (ncols, nrows) = ((cr - cl + 1) as f64, (ru - rd + 1) as f64);
        let per_cell = self.pts.len() as f64 / (self.cols * self.rows) as f64;
        let boxed = ncols * nrows * per_cell;
        let strip = |w: usize, lo: f64, hi: f64, span: f64| {
            let density = w as f64 / (hi - lo);
            (2.0 * bound * density).min(span * w as f64)
        };
        let c = q.rank_x as usize / self.col_w;
        let r = q.rank_y as usize / self.row_h;
        let along_x = strip(self.col_w, self.col_lo[c], self.col_hi[c], ncols);
        let along_y = strip(self.row_h, self.row_lo[r], self.row_hi[r], nrows);
        // a scan is worth its start-up only when clearly cheaper
        if along_x.min(along_y) * 2.0 >= boxed {
            None
        } else if along_x <= along_y {
            Some(0)
        } else {
            Some(1)
        }
    }

    /// The k-th distance of `q` by a scan of the points in order of one coordinate (axis 0: x, 1: y),
    /// outward from the query's own rank, each direction stopping at the first point whose difference
    /// in that coordinate exceeds `bound` (an upper bound on the answer) or reaches the current k-th
    /// distance. Every point not scanned is at least that far away (monotone differences), so the
    /// answer is exact.
    fn scan(&self, q: Pt, axis: usize, bound: f64, best: &mut Sorted) -> f64 {
        // the other coordinate of the point of a given rank, through the inverse order of the other axis
        let (rank, qa, qb, along, order, other, inverse) = if axis == 0 {
            let yr = self.yr.get_or_init(|| inverse(self.y_order));
            (q.rank_x, q.x, q.y, self.x_sorted, self.x_order, self.y_sorted, &yr[..])
        } else {
            (q.rank_y, q.y, q.x, self.y_sorted, self.y_order, self.x_sorted, self.xr)
        };
        let b_of = |r: usize| other[inverse[order[r] as usize] as usize];
        best.clear();
        let at = rank as usize;
        for (r, &a) in along.iter().enumerate().skip(at + 1) {
            let da = a - qa;
            if da > bound || da >= best.worst() {
                break;
            }
            best.insert(max2(da, (b_of(r) - qb).abs()));
        }
        for (r, &a) in along[..at].iter().enumerate().rev() {
            let da = qa - a;
            if da > bound || da >= best.worst() {
                break;
            }
            best.insert(max2(da, (b_of(r) - qb).abs()));
        }
        best.worst()
    }
}

impl Drop for Grid<'_> {
    fn drop(&mut self) {
        scratch::PTS.give(std::mem::take(&mut self.pts));
        scratch::U32.give(std::mem::take(&mut self.start));
        if let Some(yr) = self.yr.take() {
            scratch::U32.give(yr);
        }
    }
}

/// Division of u32 values by a fixed divisor by a multiply and a shift (Lemire, Kaser & Kurz 2019,
/// "Faster remainder by direct computation"): exact for every u32 numerator, and several times faster
/// than a hardware division.
#[derive(Debug, Clone, Copy)]
struct Divisor {
    /// ⌊(2⁶⁴ − 1) / d⌋ + 1, or 0 for d = 1 (then the quotient is the numerator)
    m: u64,
}

impl Divisor {
    fn new(d: usize) -> Self {
        let d = u64::try_from(d.max(1)).unwrap_or(u64::MAX);
        Self { m: if d == 1 { 0 } else { u64::MAX / d + 1 } }
    }

    #[inline]
    fn of(self, a: u32) -> usize {
        if self.m == 0 {
            a as usize
        } else {
            ((u128::from(self.m) * u128::from(a)) >> 64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::sort::sort_scaled;

    fn argsort(v: &[f64]) -> (Vec<f64>, Vec<u32>) {
        let s = sort_scaled(v, 1.0);
        (s.values, s.order)
    }

    fn brute(x: &[f64], y: &[f64], i: usize, k: usize) -> f64 {
        let mut d: Vec<f64> =
            (0..x.len()).filter(|&j| j != i).map(|j| (x[j] - x[i]).abs().max((y[j] - y[i]).abs())).collect();
        d.sort_by(f64::total_cmp);
        d[k - 1]
    }

    /// The marginals of x and y (sorted values and orders).
    fn marginals(x: &[f64], y: &[f64]) -> [(Vec<f64>, Vec<u32>); 2] {
        [argsort(x), argsort(y)]
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
        for side in [1usize, 2, 5, 16, 64, 300] {
            let [(sx, ox), (sy, oy)] = marginals(&x, &y);
            let rx = inverse(&ox);
            let t = Grid::build(&sx, &ox, &rx, &sy, &oy, side);
            for k in [1usize, 3, 10, 40] {
                let got = t.kth_distances(k);
                for (rank, &i) in ox.iter().enumerate() {
                    assert_eq!(got[rank], brute(&x, &y, i as usize, k), "side={side} k={k} i={i}");
                }
            }
        }
    }

    #[test]
    fn heavy_tails_match_brute_force_on_a_sample() {
        // Cauchy-like: ratios of quasi-random normals-ish, spanning many orders of magnitude
        let n = 20_000u32;
        let u = |i: u32, a: f64| (f64::from(i) * a).fract();
        let x: Vec<f64> = (0..n).map(|i| (std::f64::consts::PI * (u(i, 0.618_033_988_7) - 0.5)).tan()).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| (std::f64::consts::PI * (u(i, 0.414_213_562_3) - 0.5)).tan() + 0.5 * x[i as usize])
            .collect();
        let [(sx, ox), (sy, oy)] = marginals(&x, &y);
        let rx = inverse(&ox);
        let t = Grid::build(&sx, &ox, &rx, &sy, &oy, grid_side(x.len(), 3));
        let got = t.kth_distances(3);
        let mut scans = 0;
        for (rank, &i) in ox.iter().enumerate().step_by(97) {
            let want = brute(&x, &y, i as usize, 3);
            assert_eq!(got[rank], want, "i={i}");
            // the one-dimensional scans directly, along either axis, from any upper bound
            let q = *t.points().iter().find(|p| p.rank_x as usize == rank).expect("every rank is stored");
            let mut best = Sorted::new(3);
            for axis in [0, 1] {
                for bound in [want, 1.5 * want, 1e3 * want] {
                    assert_eq!(t.scan(q, axis, bound, &mut best), want, "i={i} axis={axis} bound={bound}");
                }
            }
            // where the copula cells misfit (heavy tails), a scan is chosen
            let (c, r) = (q.rank_x as usize / t.col_w, q.rank_y as usize / t.row_h);
            let bx = [c.saturating_sub(1), (c + 1).min(t.cols - 1), r.saturating_sub(1), (r + 1).min(t.rows - 1)];
            scans += usize::from(t.strip_is_cheaper(q, 2.0 * want, bx).is_some());
        }
        assert!(scans > 5, "{scans}");
    }

    #[test]
    fn every_point_is_stored_once() {
        let x: Vec<f64> = (0..1000).map(|i| f64::from(i).cos()).collect();
        let y: Vec<f64> = (0..1000).map(|i| f64::from(i * 7).sin()).collect();
        let [(sx, ox), (sy, oy)] = marginals(&x, &y);
        let rx = inverse(&ox);
        let t = Grid::build(&sx, &ox, &rx, &sy, &oy, 37);
        let mut seen: Vec<u32> = t.points().iter().map(|p| ox[p.rank_x as usize]).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..1000).collect::<Vec<u32>>());
        for p in t.points() {
            let i = ox[p.rank_x as usize];
            assert_eq!(oy[p.rank_y as usize], i);
            assert_eq!((p.x, p.y), (x[i as usize], y[i as usize]));
        }
        // cells: each column in ascending y, its cells in row order
        for c in 0..t.cols {
            for r in 0..t.rows {
                for p in t.run(c, r, r) {
                    assert_eq!(p.rank_x as usize / 28, c);
                    assert_eq!(p.rank_y as usize / 28, r);
                }
            }
            assert!(t.run(c, 0, t.rows - 1).windows(2).all(|w| w[0].y <= w[1].y));
        }
        assert_eq!(grid_side(100_000, 3), 223);
        for d in [1usize, 2, 3, 7, 223, 447, 65_537, 1 << 31] {
            let div = Divisor::new(d);
            for a in [0u32, 1, 2, 6, 7, 8, 446, 447, 448, 99_999, 1 << 31, u32::MAX - 1, u32::MAX] {
                assert_eq!(div.of(a), a as usize / d, "{a} / {d}");
            }
        }
        assert_eq!(grid_side(2, 1), 1);
    }
}
