//! Forward-filled (last observation carried forward) time grids, kept sparse.
//!
//! On a grid of step g the forward-filled value at `g·k` is the last tick at or before it, so the
//! value only changes at grid points whose cell `(g·(k−1), g·k]` holds a tick. Storing just those
//! points describes the whole grid: an hour at 1 ms is 3.6 million grid points but only as many
//! stored points as there are ticks.

use super::hayashi_yoshida::Ticks;

/// Ceiling of `t / g` for `g > 0`: the index k of the grid cell `(g·(k−1), g·k]` holding `t`.
#[must_use]
pub fn ceil_div(t: i64, g: i64) -> i64 {
    let q = t.div_euclid(g);
    if t.rem_euclid(g) == 0 {
        q
    } else {
        q + 1
    }
}

/// Forward-fill onto the grid `k·grid_ns`: one point per grid cell `(g·(k−1), g·k]` that holds a
/// tick, at the cell's right edge `g·k`, with the last value in the cell. Between such points the
/// forward-filled grid is constant. `grid_ns` must be > 0.
#[must_use]
pub fn to_grid(ticks: &Ticks, grid_ns: i64) -> Ticks {
    let mut out = Ticks { t: Vec::with_capacity(ticks.t.len()), v: Vec::with_capacity(ticks.v.len()) };
    for (&t, &v) in ticks.t.iter().zip(&ticks.v) {
        let g = ceil_div(t, grid_ns).saturating_mul(grid_ns);
        if out.t.last() == Some(&g) {
            if let Some(last) = out.v.last_mut() {
                *last = v;
            }
        } else {
            out.t.push(g);
            out.v.push(v);
        }
    }
    out
}

/// One-step returns of a forward-filled series on the grid points `k_start + 1 ..= k_end`, stored
/// sparsely: `idx[q]` is the position `k − k_start − 1` (in `0..len`) of a grid point where the
/// value changed and `r[q]` the change; every other position holds a zero return.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseReturns {
    /// positions in `0..len`, increasing
    pub idx: Vec<usize>,
    /// returns at those positions
    pub r: Vec<f64>,
    /// number of grid returns (`k_end − k_start`)
    pub len: usize,
}

/// Grid returns of `ticks` (log prices) over `(k_start, k_end]` in grid steps of `grid_ns`.
/// Requires the first tick at or before `g·k_start` (so the value there is defined).
#[must_use]
pub fn grid_returns(ticks: &Ticks, grid_ns: i64, k_start: i64, k_end: i64) -> SparseReturns {
    let g = to_grid(ticks, grid_ns);
    let len = usize::try_from(k_end.saturating_sub(k_start)).unwrap_or(0);
    let mut out = SparseReturns { idx: Vec::new(), r: Vec::new(), len };
    for q in 1..g.t.len() {
        let k = g.t[q] / grid_ns;
        if k <= k_start {
            continue;
        }
        if k > k_end {
            break;
        }
        let d = g.v[q] - g.v[q - 1];
        if d != 0.0 {
            if let Ok(pos) = usize::try_from(k - k_start - 1) {
                out.idx.push(pos);
                out.r.push(d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_cells_and_returns() {
        assert_eq!((ceil_div(10, 10), ceil_div(11, 10), ceil_div(-5, 10)), (1, 2, 0));
        let ticks = Ticks { t: vec![3, 10, 14, 17, 41], v: vec![1.0, 2.0, 3.0, 4.0, 6.0] };
        let g = to_grid(&ticks, 10);
        assert_eq!(g.t, vec![10, 20, 50]);
        assert_eq!(g.v, vec![2.0, 4.0, 6.0]);
        // grid points 10..=50 (k 1..=5): returns at k = 2 (+2) and k = 5 (+2)
        let r = grid_returns(&ticks, 10, 1, 5);
        assert_eq!((r.idx, r.r, r.len), (vec![0, 3], vec![2.0, 2.0], 4));
        // a window ending before the last tick drops its return
        let r = grid_returns(&ticks, 10, 1, 4);
        assert_eq!((r.idx, r.len), (vec![0], 3));
    }
}
