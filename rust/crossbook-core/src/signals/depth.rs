//! Depth near the touch: resting size within x bps of mid, per side, from one book snapshot.
//!
//! With `m` the mid of the best bid and ask, the bid depth at x bps is Σ size over bids with
//! `p ≥ m·(1 − x·1e-4)` and the ask depth Σ size over asks with `p ≤ m·(1 + x·1e-4)` (bands inclusive,
//! the same band rule as [`super::imbalance`]). Sizes are in the table's units (base units or contracts,
//! decoded); cumulative, so depth at 10 bps includes depth at 1 bps. Cost: O(levels inside the widest
//! band). Default bands: [`DEPTH_BPS`] = 1, 5, 10 bps.

use super::{book_mid, Level};
use crate::error::{CoreError, Result};

/// The default bands (bps).
pub const DEPTH_BPS: [f64; 3] = [1.0, 5.0, 10.0];

/// Bid and ask depth within each of `bands_bps` of mid; NaN everywhere when a side is empty or the book
/// is crossed. Sides sorted best first; bands must be finite and >= 0 (see [`check_bands`]).
#[inline]
#[must_use]
pub fn depth_within<const N: usize>(bids: &[Level], asks: &[Level], bands_bps: &[f64; N]) -> ([f64; N], [f64; N]) {
    let mut bid = [0.0; N];
    let mut ask = [0.0; N];
    depth_into(bids, asks, bands_bps, &mut bid, &mut ask);
    (bid, ask)
}

/// [`depth_within`] for a run-time number of bands, written into `bid_out` / `ask_out` (same length
/// as `bands_bps`; extra entries are left alone).
#[inline]
pub fn depth_into(bids: &[Level], asks: &[Level], bands_bps: &[f64], bid_out: &mut [f64], ask_out: &mut [f64]) {
    let m = book_mid(bids, asks);
    let n = bands_bps.len().min(bid_out.len()).min(ask_out.len());
    if m.is_nan() {
        bid_out[..n].fill(f64::NAN);
        ask_out[..n].fill(f64::NAN);
        return;
    }
    let widest = bands_bps[..n].iter().fold(0.0f64, |a, &b| a.max(b)) * 1e-4;
    side(
        bids.iter().take_while(|l| l.px >= m * (1.0 - widest)),
        &bands_bps[..n],
        |b| m * (1.0 - b * 1e-4),
        |p, e| p >= e,
        &mut bid_out[..n],
    );
    side(
        asks.iter().take_while(|l| l.px <= m * (1.0 + widest)),
        &bands_bps[..n],
        |b| m * (1.0 + b * 1e-4),
        |p, e| p <= e,
        &mut ask_out[..n],
    );
}

#[inline]
fn side<'a>(
    levels: impl Iterator<Item = &'a Level>,
    bands: &[f64],
    edge: impl Fn(f64) -> f64,
    inside: impl Fn(f64, f64) -> bool,
    out: &mut [f64],
) {
    out.fill(0.0);
    for l in levels {
        for (o, &b) in out.iter_mut().zip(bands) {
            if inside(l.px, edge(b)) {
                *o += l.qty;
            }
        }
    }
}

/// Bands must be finite and non-negative.
///
/// # Errors
/// [`CoreError::InvalidInput`] naming the bad band.
pub fn check_bands(bands_bps: &[f64]) -> Result<()> {
    match bands_bps.iter().find(|b| !(b.is_finite() && **b >= 0.0)) {
        Some(b) => Err(CoreError::InvalidInput(format!("depth bands must be finite and >= 0 bps (got {b})"))),
        None => Ok(()),
    }
}

/// Depth per snapshot of long-format rows (see [`super::for_each_snapshot`]): `(keys, bid, ask)` with
/// `bid`/`ask` row-major `[snapshot][band]`.
///
/// # Errors
/// Bad bands, or as [`super::for_each_snapshot`].
pub fn depth_snapshots(
    key: &[i64],
    side: &[i8],
    px: &[f64],
    qty: &[f64],
    bands_bps: &[f64],
) -> Result<(Vec<i64>, Vec<f64>, Vec<f64>)> {
    check_bands(bands_bps)?;
    let nb = bands_bps.len();
    let (mut keys, mut bid, mut ask) = (Vec::new(), Vec::new(), Vec::new());
    super::for_each_snapshot(key, side, px, qty, |s| {
        keys.push(s.key);
        let at = bid.len();
        bid.resize(at + nb, 0.0);
        ask.resize(at + nb, 0.0);
        depth_into(s.bids, s.asks, bands_bps, &mut bid[at..], &mut ask[at..]);
    })?;
    Ok((keys, bid, ask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(v: &[(f64, f64)]) -> Vec<Level> {
        v.iter().map(|&(p, q)| Level::new(p, q)).collect()
    }

    #[test]
    fn hand_computed_case() {
        // mid = 1000: 1 bps = 0.1, 5 bps = 0.5, 10 bps = 1.0 away
        let bids = lv(&[(999.95, 1.0), (999.7, 2.0), (999.3, 4.0), (998.9, 8.0)]);
        let asks = lv(&[(1000.05, 0.5), (1000.2, 0.0), (1000.45, 3.0), (1000.8, 5.0), (1001.5, 9.0)]);
        let (b, a) = depth_within(&bids, &asks, &DEPTH_BPS);
        assert_eq!(b, [1.0, 3.0, 7.0]);
        assert_eq!(a, [0.5, 3.5, 8.5]);
    }

    #[test]
    fn empty_side_is_nan_and_bands_are_checked() {
        let (b, a) = depth_within(&lv(&[(1.0, 1.0)]), &[], &DEPTH_BPS);
        assert!(b.iter().chain(&a).all(|x| x.is_nan()));
        assert!(check_bands(&[1.0, -1.0]).is_err());
        assert!(check_bands(&[f64::NAN]).is_err());
    }

    #[test]
    fn snapshots_in_long_format() {
        let (k, b, a) = depth_snapshots(
            &[1, 1, 1, 2],
            &[1, -1, -1, 1],
            &[99.995, 100.005, 100.2, 50.0],
            &[1.0, 2.0, 3.0, 1.0],
            &[1.0, 50.0],
        )
        .unwrap();
        assert_eq!(k, vec![1, 2]);
        assert_eq!(b[..2], [1.0, 1.0]);
        assert_eq!(a[..2], [2.0, 5.0]);
        assert!(b[2].is_nan() && a[3].is_nan());
        assert!(depth_snapshots(&[1], &[1], &[1.0], &[1.0], &[-5.0]).is_err());
    }
}
