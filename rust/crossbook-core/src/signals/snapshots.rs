//! Book snapshots given in long format (one row per level), as the `book` table or a grid sample of
//! the book lays them out: grouped into sorted level slices for the snapshot signals
//! ([`super::imbalance`], [`super::depth`]).

use super::{check_lengths, check_px, check_qty, Level};
use crate::error::{CoreError, Result};

/// One snapshot: its key (usually `ts_local`, ns) and both sides sorted best first, empty levels dropped.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub key: i64,
    /// bids, price descending
    pub bids: &'a [Level],
    /// asks, price ascending
    pub asks: &'a [Level],
}

/// Call `f` for each snapshot of long-format rows `(key, side, px, qty)`.
///
/// A snapshot is a run of consecutive rows with the same key (keys must be non-decreasing). `side` is
/// +1 bid, −1 ask; rows with side 0 (sequence-only rows of the book table) are skipped, as are levels of
/// size 0. Rows within a snapshot may come in any order; a price may appear only once per side.
///
/// # Errors
/// [`CoreError::InvalidInput`] for length mismatches, decreasing keys, a side other than −1/0/+1, a
/// non-positive or non-finite price, a negative or NaN size, or a duplicate price within a snapshot.
pub fn for_each_snapshot(
    key: &[i64],
    side: &[i8],
    px: &[f64],
    qty: &[f64],
    mut f: impl FnMut(Snapshot<'_>),
) -> Result<()> {
    check_lengths(&["key", "side", "px", "qty"], &[key.len(), side.len(), px.len(), qty.len()])?;
    let mut bids: Vec<Level> = Vec::new();
    let mut asks: Vec<Level> = Vec::new();
    let mut start = 0;
    while start < key.len() {
        let k = key[start];
        let mut end = start;
        bids.clear();
        asks.clear();
        while end < key.len() && key[end] == k {
            let i = end;
            end += 1;
            if side[i] == 0 {
                continue;
            }
            check_px("px", i, px[i])?;
            check_qty("qty", i, qty[i])?;
            let level = Level::new(px[i], qty[i]);
            match side[i] {
                1 => bids.push(level),
                -1 => asks.push(level),
                s => return Err(CoreError::InvalidInput(format!("side at index {i} must be +1, -1 or 0 (got {s})"))),
            }
        }
        if end < key.len() && key[end] < k {
            return Err(CoreError::InvalidInput(format!(
                "key must be non-decreasing; index {end} ({}) is before the previous ({k})",
                key[end]
            )));
        }
        bids.sort_unstable_by(|a, b| b.px.total_cmp(&a.px));
        asks.sort_unstable_by(|a, b| a.px.total_cmp(&b.px));
        for (name, levels) in [("bid", &bids), ("ask", &asks)] {
            if let Some(w) = levels.windows(2).find(|w| w[0].px == w[1].px) {
                return Err(CoreError::InvalidInput(format!("duplicate {name} price {} in snapshot {k}", w[0].px)));
            }
        }
        bids.retain(|l| l.qty > 0.0);
        asks.retain(|l| l.qty > 0.0);
        f(Snapshot { key: k, bids: &bids, asks: &asks });
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_sorts_and_skips() {
        let key = [1, 1, 1, 1, 2, 2, 3];
        let side = [-1, 1, 1, 0, 1, -1, -1];
        let px = [11.0, 9.0, 10.0, 0.0, 10.0, 12.0, 13.0];
        let qty = [1.0, 2.0, 3.0, 0.0, 0.0, 5.0, 6.0];
        let mut seen = Vec::new();
        for_each_snapshot(&key, &side, &px, &qty, |s| {
            seen.push((s.key, s.bids.to_vec(), s.asks.to_vec()));
        })
        .unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].1, vec![Level::new(10.0, 3.0), Level::new(9.0, 2.0)]);
        assert_eq!(seen[0].2, vec![Level::new(11.0, 1.0)]);
        assert!(seen[1].1.is_empty()); // zero-size bid dropped
        assert_eq!(seen[2].2, vec![Level::new(13.0, 6.0)]);
    }

    #[test]
    fn rejects_bad_rows() {
        let e = for_each_snapshot(&[2, 1], &[1, 1], &[1.0, 2.0], &[1.0, 1.0], |_| {}).unwrap_err();
        assert_eq!(e.to_string(), "key must be non-decreasing; index 1 (1) is before the previous (2)");
        let e = for_each_snapshot(&[1, 1], &[1, 1], &[1.0, 1.0], &[1.0, 1.0], |_| {}).unwrap_err();
        assert_eq!(e.to_string(), "duplicate bid price 1 in snapshot 1");
        let e = for_each_snapshot(&[1], &[2], &[1.0], &[1.0], |_| {}).unwrap_err();
        assert_eq!(e.to_string(), "side at index 0 must be +1, -1 or 0 (got 2)");
        assert!(for_each_snapshot(&[1], &[1], &[1.0], &[f64::NAN], |_| {}).is_err());
        assert!(for_each_snapshot(&[1], &[1], &[1.0], &[1.0, 2.0], |_| {}).is_err());
    }
}
