//! A fixed-capacity ring buffer: the newest `capacity` items, oldest first.
//!
//! Generic storage plus time-series helpers for `(timestamp_ns, value)` rings: as-of lookup
//! ([`RingBuffer::as_of`]), linear interpolation ([`RingBuffer::interpolate_at`]), the value a given
//! age before the newest sample ([`RingBuffer::get_at_age`]) and the percentile rank of a value
//! ([`RingBuffer::percentile_rank`]). Time-series helpers assume the timestamps are non-decreasing
//! (the owners of the rings check that on push); lookups are binary searches, O(log n).

use std::collections::VecDeque;

/// The newest `capacity` items pushed, oldest first. Pushing into a full ring drops the oldest.
#[derive(Debug, Clone, PartialEq)]
pub struct RingBuffer<T> {
    buf: VecDeque<T>,
    cap: usize,
}

impl<T> RingBuffer<T> {
    /// An empty ring holding at most `capacity` items (a capacity of 0 is raised to 1). Memory
    /// grows with the items held, so a large capacity costs nothing until it is used.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let cap = capacity.max(1);
        Self { buf: VecDeque::with_capacity(cap.min(1024)), cap }
    }

    /// Append `item`; when full, the oldest item is dropped and returned.
    pub fn push(&mut self, item: T) -> Option<T> {
        let dropped = if self.buf.len() == self.cap { self.buf.pop_front() } else { None };
        self.buf.push_back(item);
        dropped
    }

    /// The newest item.
    #[must_use]
    pub fn latest(&self) -> Option<&T> {
        self.buf.back()
    }

    /// The newest item, mutable (to amend the last sample in place).
    pub fn latest_mut(&mut self) -> Option<&mut T> {
        self.buf.back_mut()
    }

    /// The oldest item still held.
    #[must_use]
    pub fn oldest(&self) -> Option<&T> {
        self.buf.front()
    }

    /// The `i`-th oldest item (0 = oldest).
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&T> {
        self.buf.get(i)
    }

    /// Items from oldest to newest.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.buf.iter()
    }

    /// Number of items held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Maximum number of items held.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Drop every item (the capacity is kept).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Number of leading items for which `pred` holds (`pred` must be true then false along the ring).
    pub fn partition_point(&self, pred: impl FnMut(&T) -> bool) -> usize {
        self.buf.partition_point(pred)
    }
}

/// Percentile rank of `value` among `values`: (count below + half the count equal) / n, in [0, 1].
fn rank_of<'a>(values: impl ExactSizeIterator<Item = &'a f64>, value: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 || value.is_nan() {
        return None;
    }
    let (mut below, mut equal) = (0usize, 0usize);
    for &v in values {
        if v < value {
            below += 1;
        } else if v == value {
            equal += 1;
        }
    }
    Some((below as f64 + 0.5 * equal as f64) / n as f64)
}

impl RingBuffer<f64> {
    /// Percentile rank of `value` among the held values: (count below + ½·count equal) / n, in
    /// [0, 1]. `None` when empty or `value` is NaN. O(n).
    #[must_use]
    pub fn percentile_rank(&self, value: f64) -> Option<f64> {
        rank_of(self.buf.iter(), value)
    }
}

impl RingBuffer<(i64, f64)> {
    /// Index of the newest sample with timestamp `<= ts_ns`, or `None` if every held sample is later.
    #[must_use]
    pub fn index_as_of(&self, ts_ns: i64) -> Option<usize> {
        self.buf.partition_point(|&(t, _)| t <= ts_ns).checked_sub(1)
    }

    /// As-of value at `ts_ns`: the value of the newest sample with timestamp `<= ts_ns`.
    ///
    /// `None` when `ts_ns` is before the oldest held sample (the value then is unknown: never seen,
    /// or already dropped from the ring).
    #[must_use]
    pub fn as_of(&self, ts_ns: i64) -> Option<f64> {
        self.index_as_of(ts_ns).and_then(|i| self.buf.get(i)).map(|&(_, v)| v)
    }

    /// Value at `ts_ns` by linear interpolation between the samples on either side.
    ///
    /// Exact at a sample time (the last of equal timestamps); `None` outside
    /// [oldest timestamp, newest timestamp].
    #[must_use]
    pub fn interpolate_at(&self, ts_ns: i64) -> Option<f64> {
        let i = self.index_as_of(ts_ns)?;
        let &(t0, v0) = self.buf.get(i)?;
        if t0 == ts_ns {
            return Some(v0);
        }
        let &(t1, v1) = self.buf.get(i + 1)?;
        // t0 < ts_ns < t1 here, so the span is positive
        let w = ts_ns.saturating_sub(t0) as f64 / t1.saturating_sub(t0) as f64;
        Some(v0 + w * (v1 - v0))
    }

    /// As-of value `age_ns` before the newest sample's timestamp. `None` when the ring does not
    /// reach that far back (or is empty, or `age_ns` is negative).
    #[must_use]
    pub fn get_at_age(&self, age_ns: i64) -> Option<f64> {
        if age_ns < 0 {
            return None;
        }
        let &(newest, _) = self.buf.back()?;
        self.as_of(newest.saturating_sub(age_ns))
    }

    /// Percentile rank of `value` among the held values (timestamps ignored), as
    /// [`RingBuffer::<f64>::percentile_rank`].
    #[must_use]
    pub fn percentile_rank(&self, value: f64) -> Option<f64> {
        rank_of(self.buf.iter().map(|(_, v)| v), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_drops_oldest_when_full() {
        let mut r = RingBuffer::new(3);
        assert!(r.is_empty());
        assert_eq!(r.latest(), None);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(r.latest(), Some(&4));
        assert_eq!(r.oldest(), Some(&2));
        assert_eq!(r.push(5), Some(2));
        assert_eq!(r.get(0), Some(&3));
        assert_eq!(RingBuffer::<u8>::new(0).capacity(), 1);
    }

    #[test]
    fn as_of_and_interpolation() {
        let mut r = RingBuffer::new(8);
        for &(t, v) in &[(10, 1.0), (20, 3.0), (20, 4.0), (40, 0.0)] {
            r.push((t, v));
        }
        assert_eq!(r.as_of(9), None);
        assert_eq!(r.as_of(10), Some(1.0));
        assert_eq!(r.as_of(19), Some(1.0));
        assert_eq!(r.as_of(20), Some(4.0)); // last of equal timestamps
        assert_eq!(r.as_of(1_000), Some(0.0));
        assert_eq!(r.interpolate_at(15), Some(2.0));
        assert_eq!(r.interpolate_at(30), Some(2.0)); // 4 → 0 over 20..40
        assert_eq!(r.interpolate_at(40), Some(0.0));
        assert_eq!(r.interpolate_at(41), None);
        assert_eq!(r.interpolate_at(5), None);
    }

    #[test]
    fn age_lookup_and_rank() {
        let mut r = RingBuffer::new(3);
        for t in 0..5 {
            r.push((t * 100, t as f64));
        }
        // held: (200,2) (300,3) (400,4)
        assert_eq!(r.get_at_age(0), Some(4.0));
        assert_eq!(r.get_at_age(150), Some(2.0));
        assert_eq!(r.get_at_age(201), None); // dropped from the ring
        assert_eq!(r.get_at_age(-1), None);
        assert_eq!(r.percentile_rank(3.0), Some(0.5));
        assert_eq!(r.percentile_rank(10.0), Some(1.0));
        assert_eq!(r.percentile_rank(f64::NAN), None);
        let mut f = RingBuffer::new(4);
        for v in [1.0, 2.0, 2.0, 5.0] {
            f.push(v);
        }
        assert_eq!(f.percentile_rank(2.0), Some(0.5));
        assert_eq!(f.percentile_rank(0.0), Some(0.0));
        assert_eq!(RingBuffer::<f64>::new(2).percentile_rank(1.0), None);
    }
}
