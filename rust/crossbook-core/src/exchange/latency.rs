//! Order latency models: how long our requests take to reach the venue (entry latency) and how long
//! the venue's responses — acks, fills, cancels, rejections — take to reach us (response latency).
//!
//! hftbacktest's latency documentation (<https://hftbacktest.readthedocs.io/en/latest/latency_models.html>)
//! distinguishes three latencies, and so do we:
//! - **feed latency**: "the latency between the time the exchange sends the feed events such as
//!   order book change or trade and the time it is received by the local", carried by the data as
//!   `ts_local − ts_exchange`; the venue matches at `ts_exchange`, the strategy sees at `ts_local`;
//! - **order entry latency**: "between the time you send an order request and the time it is
//!   received by the exchange" — an order decided at local time `t` reaches the venue at
//!   `t + entry(t)`; a cancel likewise;
//! - **order response latency**: "between the time the exchange processes an order request and the
//!   time the order response is received by the local. The response to your order fill is also
//!   affected by this type of latency" — an event at exchange time `e` reaches us at
//!   `e + response(e)`.
//!
//! All latencies are i64 nanoseconds and never negative (unlike hftbacktest, a negative latency is
//! not used as a rejection signal here: it is an input error).

use crate::error::{CoreError, Result};

/// A recorded latency series: at request time `ts[i]` (ns), an entry latency `entry[i]` and a
/// response latency `response[i]` (ns). Values between rows are linearly interpolated in time;
/// before the first row the first row's values hold, after the last row the last row's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencySeries {
    ts: Vec<i64>,
    entry: Vec<i64>,
    response: Vec<i64>,
}

impl LatencySeries {
    /// Build a series; `ts` strictly increasing, all latencies ≥ 0, same lengths, at least one row.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the first offending row.
    pub fn new(ts: Vec<i64>, entry: Vec<i64>, response: Vec<i64>) -> Result<Self> {
        if ts.is_empty() || ts.len() != entry.len() || ts.len() != response.len() {
            return Err(CoreError::InvalidInput(format!(
                "latency series needs equal, non-zero lengths (ts {}, entry {}, response {})",
                ts.len(),
                entry.len(),
                response.len()
            )));
        }
        for i in 0..ts.len() {
            if i > 0 && ts[i] <= ts[i - 1] {
                return Err(CoreError::InvalidInput(format!(
                    "latency series ts must be strictly increasing (row {i}: {} after {})",
                    ts[i],
                    ts[i - 1]
                )));
            }
            if entry[i] < 0 || response[i] < 0 {
                return Err(CoreError::InvalidInput(format!(
                    "latency series row {i}: latencies must be >= 0 (entry {}, response {})",
                    entry[i], response[i]
                )));
            }
        }
        Ok(Self { ts, entry, response })
    }

    /// Entry latency at time `t`, ns.
    #[must_use]
    pub fn entry_at(&self, t: i64) -> i64 {
        interp(&self.ts, &self.entry, t)
    }

    /// Response latency at time `t`, ns.
    #[must_use]
    pub fn response_at(&self, t: i64) -> i64 {
        interp(&self.ts, &self.response, t)
    }
}

/// Linear interpolation `y1 + (y2 − y1)·(t − t1)/(t2 − t1)` in exact integers (i128), the division
/// truncated toward zero (hftbacktest's `IntpOrderLatency` truncates its float result likewise);
/// clamped to the end values outside the series.
fn interp(xs: &[i64], ys: &[i64], t: i64) -> i64 {
    let i = xs.partition_point(|&x| x <= t); // first row after t
    if i == 0 {
        return ys[0];
    }
    if i >= xs.len() {
        return ys[xs.len() - 1];
    }
    let (x1, x2, y1, y2) = (i128::from(xs[i - 1]), i128::from(xs[i]), i128::from(ys[i - 1]), i128::from(ys[i]));
    let v = y1 + (y2 - y1) * (i128::from(t) - x1) / (x2 - x1);
    // between two values in i64 range, so always representable
    i64::try_from(v).unwrap_or(ys[i - 1])
}

/// Which order-latency model the simulator uses.
#[derive(Debug, Clone, PartialEq)]
pub enum LatencyModel {
    /// hftbacktest `ConstantLatency`: fixed entry and response latencies, ns.
    Constant { entry_ns: i64, response_ns: i64 },
    /// hftbacktest `IntpOrderLatency`: interpolated from recorded latencies. Entry latency is read at
    /// the request (decision) time, response latency at the exchange time of the event; both on the
    /// series' single time axis (hftbacktest reads response latency on the recorded exchange-time
    /// axis `req_ts + entry`, which differs only where latency itself jumps within one entry delay).
    Interpolated(LatencySeries),
    /// hftbacktest `BackwardFeedLatency`: latencies from the latest feed latency `f` (ns) the venue
    /// side has seen: `entry = entry_mul·f + entry_offset_ns`, `response = response_mul·f +
    /// response_offset_ns`, rounded to ns, floored at 0.
    FeedScaled { entry_mul: f64, entry_offset_ns: i64, response_mul: f64, response_offset_ns: i64 },
}

impl LatencyModel {
    /// Reject parameters that cannot be used.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for negative constant latencies or non-finite / negative
    /// multipliers.
    pub fn validate(&self) -> Result<()> {
        match *self {
            LatencyModel::Constant { entry_ns, response_ns } if entry_ns < 0 || response_ns < 0 => {
                Err(CoreError::InvalidInput(format!(
                    "constant latency must be >= 0 ns (entry {entry_ns}, response {response_ns})"
                )))
            }
            LatencyModel::FeedScaled { entry_mul, response_mul, entry_offset_ns, response_offset_ns }
                if !(entry_mul.is_finite() && entry_mul >= 0.0 && response_mul.is_finite() && response_mul >= 0.0)
                    || entry_offset_ns < 0
                    || response_offset_ns < 0 =>
            {
                Err(CoreError::InvalidInput(format!(
                    "feed-scaled latency needs finite multipliers >= 0 and offsets >= 0 (entry {entry_mul}·f + \
                     {entry_offset_ns}, response {response_mul}·f + {response_offset_ns})"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Entry latency (ns) of a request sent at local time `t`; `feed_ns` = latest feed latency.
    #[must_use]
    pub fn entry(&self, t: i64, feed_ns: i64) -> i64 {
        match self {
            LatencyModel::Constant { entry_ns, .. } => *entry_ns,
            LatencyModel::Interpolated(s) => s.entry_at(t),
            LatencyModel::FeedScaled { entry_mul, entry_offset_ns, .. } => {
                scaled(*entry_mul, feed_ns, *entry_offset_ns)
            }
        }
    }

    /// Response latency (ns) of an event at exchange time `t`; `feed_ns` = latest feed latency.
    #[must_use]
    pub fn response(&self, t: i64, feed_ns: i64) -> i64 {
        match self {
            LatencyModel::Constant { response_ns, .. } => *response_ns,
            LatencyModel::Interpolated(s) => s.response_at(t),
            LatencyModel::FeedScaled { response_mul, response_offset_ns, .. } => {
                scaled(*response_mul, feed_ns, *response_offset_ns)
            }
        }
    }
}

fn scaled(mul: f64, feed_ns: i64, offset: i64) -> i64 {
    let v = (mul * feed_ns.max(0) as f64).round();
    // float → int `as` saturates; the sum saturates too
    (v as i64).saturating_add(offset).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_linearly_and_clamps_at_the_ends() {
        let s = LatencySeries::new(vec![1_000, 2_000, 4_000], vec![100, 300, 300], vec![50, 50, 150]).unwrap();
        assert_eq!(s.entry_at(0), 100);
        assert_eq!(s.entry_at(1_000), 100);
        assert_eq!(s.entry_at(1_500), 200);
        assert_eq!(s.entry_at(1_999), 299); // 100 + 200·999/1000 = 299.8, truncated
        assert_eq!(s.response_at(3_000), 100);
        assert_eq!(s.response_at(9_000), 150);
    }

    #[test]
    fn bad_series_are_typed_errors() {
        assert!(LatencySeries::new(vec![], vec![], vec![]).is_err());
        assert!(LatencySeries::new(vec![1, 1], vec![0, 0], vec![0, 0]).is_err());
        assert!(LatencySeries::new(vec![1, 2], vec![0, -1], vec![0, 0]).is_err());
        assert!(LatencySeries::new(vec![1, 2], vec![0], vec![0, 0]).is_err());
    }

    #[test]
    fn feed_scaled_follows_the_feed() {
        let m =
            LatencyModel::FeedScaled { entry_mul: 4.0, entry_offset_ns: 10, response_mul: 3.0, response_offset_ns: 0 };
        assert_eq!(m.entry(0, 1_000), 4_010);
        assert_eq!(m.response(0, 1_000), 3_000);
        assert_eq!(m.entry(0, -5), 10); // a negative feed latency (clock skew) counts as 0
        assert!(LatencyModel::Constant { entry_ns: -1, response_ns: 0 }.validate().is_err());
    }
}
