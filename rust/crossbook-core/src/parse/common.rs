//! Helpers shared by the readers: the `<local_ts> <payload>` prefix, the monotonic receive clock,
//! and price / size / rate fields with typed errors naming the field.

use crate::error::{CoreError, Result};
use crate::units::{self, DecimalError, PX_EXP, QTY_EXP};

/// Split `<local_ts> <payload>` and return (ts in ns, payload). The unit of the prefix (s, ms, µs,
/// ns) is detected from its magnitude.
///
/// # Errors
/// [`CoreError::Malformed`] when the line does not start with an integer and a space.
pub fn ts_prefix(line: &[u8], line_no: u64) -> Result<(i64, &[u8])> {
    let sp = memchr::memchr(b' ', line).ok_or_else(|| CoreError::Malformed {
        line: line_no,
        what: "capture line",
        msg: "expected `<local_timestamp> <json>`".into(),
    })?;
    let mut v: i64 = 0;
    let digits = &line[..sp];
    if digits.is_empty() || digits.len() > 19 {
        return Err(CoreError::Malformed {
            line: line_no,
            what: "capture line",
            msg: "local timestamp is not an integer".into(),
        });
    }
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(CoreError::Malformed {
                line: line_no,
                what: "capture line",
                msg: format!("local timestamp {:?} is not an integer", String::from_utf8_lossy(digits)),
            });
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Ok((units::epoch_to_ns(v), &line[sp + 1..]))
}

/// Checks that a file's receive clock never goes backwards.
#[derive(Debug, Default, Clone, Copy)]
pub struct Monotonic {
    last: Option<i64>,
}

impl Monotonic {
    /// Accept `ts` if it is not before the previous accepted one.
    ///
    /// # Errors
    /// [`CoreError::TimestampBackwards`].
    pub fn check(&mut self, ts: i64, line: u64) -> Result<()> {
        if let Some(prev) = self.last {
            if ts < prev {
                return Err(CoreError::TimestampBackwards { line, prev_ns: prev, ts_ns: ts });
            }
        }
        self.last = Some(ts);
        Ok(())
    }
}

fn invalid(line: u64, field: &str, text: &[u8], e: DecimalError) -> CoreError {
    CoreError::InvalidValue {
        line,
        field: field.to_owned(),
        text: String::from_utf8_lossy(text).into_owned(),
        reason: e.reason(),
    }
}

/// A price: decimal text → scaled i64; must be finite and > 0.
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
pub fn price(text: &[u8], field: &str, line: u64) -> Result<i64> {
    let v = units::parse_scaled(text, PX_EXP).map_err(|e| invalid(line, field, text, e))?;
    if v <= 0 {
        return Err(CoreError::InvalidValue {
            line,
            field: field.to_owned(),
            text: String::from_utf8_lossy(text).into_owned(),
            reason: "price must be positive",
        });
    }
    Ok(v)
}

/// A size: decimal text → scaled i64; must be finite and ≥ 0 (0 deletes a book level).
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
pub fn size(text: &[u8], field: &str, line: u64) -> Result<i64> {
    let v = units::parse_scaled(text, QTY_EXP).map_err(|e| invalid(line, field, text, e))?;
    if v < 0 {
        return Err(CoreError::InvalidValue {
            line,
            field: field.to_owned(),
            text: String::from_utf8_lossy(text).into_owned(),
            reason: "negative size",
        });
    }
    Ok(v)
}

/// A rate (funding): decimal text → f64, finite.
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
pub fn rate(text: &[u8], field: &str, line: u64) -> Result<f64> {
    units::parse_f64(text).map_err(|e| invalid(line, field, text, e))
}

/// A price or size that may be absent (empty text → [`units::MISSING_I64`]).
///
/// # Errors
/// As [`price`].
pub fn opt_price(text: &[u8], field: &str, line: u64) -> Result<i64> {
    if text.is_empty() {
        Ok(units::MISSING_I64)
    } else {
        price(text, field, line)
    }
}

/// A rate that may be absent (empty text → NaN).
///
/// # Errors
/// As [`rate`].
pub fn opt_rate(text: &[u8], field: &str, line: u64) -> Result<f64> {
    if text.is_empty() {
        Ok(f64::NAN)
    } else {
        rate(text, field, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_units() {
        let (ts, rest) = ts_prefix(b"1723161255088169167 {\"a\":1}", 1).unwrap_or((0, b""));
        assert_eq!(ts, 1_723_161_255_088_169_167);
        assert_eq!(rest, b"{\"a\":1}");
        let (ts, _) = ts_prefix(b"1723161255088169 {}", 1).unwrap_or((0, b""));
        assert_eq!(ts, 1_723_161_255_088_169_000);
        assert!(matches!(ts_prefix(b"{\"a\":1}", 7), Err(CoreError::Malformed { line: 7, .. })));
    }

    #[test]
    fn typed_value_errors() {
        assert!(matches!(size(b"-1.0", "q", 3), Err(CoreError::InvalidValue { line: 3, reason: "negative size", .. })));
        assert!(matches!(price(b"NaN", "p", 4), Err(CoreError::InvalidValue { line: 4, .. })));
        let mut m = Monotonic::default();
        assert!(m.check(10, 1).is_ok());
        assert!(matches!(m.check(9, 2), Err(CoreError::TimestampBackwards { line: 2, prev_ns: 10, ts_ns: 9 })));
    }
}
