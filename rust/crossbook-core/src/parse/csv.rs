//! Minimal CSV helpers shared by the Tardis and data.binance.vision readers.
//!
//! Both vendors write plain comma-separated cells without quoting; we still accept a cell wrapped
//! in double quotes (a spreadsheet round-trip adds them) and return its inner text. A doubled
//! quote inside a quoted cell is left doubled (no numeric field ever holds one). Line ends
//! (`\n`, `\r\n`) are removed by [`super::lines::for_each_line`] before the split.

use crate::error::{CoreError, Result};
use crate::units::{self, MISSING_I64};

/// Byte ranges of the cells of one line, reused from line to line (no allocation per row).
#[derive(Debug, Default, Clone)]
pub struct Cells {
    ranges: Vec<(usize, usize)>,
}

impl Cells {
    /// Split `line` at commas, honouring double-quoted cells.
    pub fn split(&mut self, line: &[u8]) {
        self.ranges.clear();
        let n = line.len();
        let mut i = 0usize;
        loop {
            if i < n && line[i] == b'"' {
                // quoted cell: up to the closing quote ("" is an escaped quote)
                let start = i + 1;
                let mut j = start;
                while j < n {
                    if line[j] == b'"' {
                        if j + 1 < n && line[j + 1] == b'"' {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                self.ranges.push((start, j.min(n)));
                // skip anything between the closing quote and the next comma
                i = match memchr::memchr(b',', &line[j.min(n)..]) {
                    Some(p) => j + p + 1,
                    None => {
                        return;
                    }
                };
            } else {
                match memchr::memchr(b',', &line[i.min(n)..]) {
                    Some(p) => {
                        self.ranges.push((i, i + p));
                        i += p + 1;
                    }
                    None => {
                        self.ranges.push((i.min(n), n));
                        return;
                    }
                }
            }
        }
    }

    /// Number of cells of the last split line.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True when the last split line had no cells (never after a split: an empty line has one).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Cell `i` of `line` (the line passed to the last [`Cells::split`]); empty when out of range.
    #[must_use]
    pub fn get<'a>(&self, line: &'a [u8], i: usize) -> &'a [u8] {
        match self.ranges.get(i) {
            Some(&(a, b)) => line.get(a..b).unwrap_or(b""),
            None => b"",
        }
    }

    /// All cells of `line` as text (for headers).
    #[must_use]
    pub fn strings(&self, line: &[u8]) -> Vec<String> {
        (0..self.len()).map(|i| String::from_utf8_lossy(self.get(line, i)).trim().to_owned()).collect()
    }
}

/// The error for a row whose cell count differs from the header's.
#[must_use]
pub fn column_count(line: u64, what: &'static str, want: usize, got: usize) -> CoreError {
    CoreError::Malformed { line, what, msg: format!("expected {want} columns, got {got}") }
}

fn invalid(line: u64, field: &str, text: &[u8], reason: &'static str) -> CoreError {
    CoreError::InvalidValue { line, field: field.to_owned(), text: String::from_utf8_lossy(text).into_owned(), reason }
}

/// A signed decimal integer cell (ids, timestamps).
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field` for empty text, non-digits or overflow.
pub fn int(text: &[u8], field: &str, line: u64) -> Result<i64> {
    let t = text.trim_ascii();
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return Err(invalid(line, field, text, "empty integer"));
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(invalid(line, field, text, "not an integer"));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(c - b'0')))
            .ok_or_else(|| invalid(line, field, text, "integer too large"))?;
    }
    Ok(if neg { -v } else { v })
}

/// An epoch timestamp cell of unknown unit (s, ms, µs or ns, by magnitude) → ns.
///
/// # Errors
/// As [`int`]; a negative timestamp is rejected too.
pub fn epoch_ns(text: &[u8], field: &str, line: u64) -> Result<i64> {
    let v = int(text, field, line)?;
    if v < 0 {
        return Err(invalid(line, field, text, "negative timestamp"));
    }
    Ok(units::epoch_to_ns(v))
}

/// A timestamp cell that may be empty (→ [`MISSING_I64`]).
///
/// # Errors
/// As [`epoch_ns`].
pub fn opt_epoch_ns(text: &[u8], field: &str, line: u64) -> Result<i64> {
    if text.trim_ascii().is_empty() {
        Ok(MISSING_I64)
    } else {
        epoch_ns(text, field, line)
    }
}

/// A size cell that may be empty (→ [`MISSING_I64`]); otherwise as [`super::common::size`].
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
pub fn opt_size(text: &[u8], field: &str, line: u64) -> Result<i64> {
    if text.is_empty() {
        Ok(MISSING_I64)
    } else {
        super::common::size(text, field, line)
    }
}

/// A boolean cell: `true` / `false` in any letter case.
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
pub fn boolean(text: &[u8], field: &str, line: u64) -> Result<bool> {
    let t = text.trim_ascii();
    if t.eq_ignore_ascii_case(b"true") {
        Ok(true)
    } else if t.eq_ignore_ascii_case(b"false") {
        Ok(false)
    } else {
        Err(invalid(line, field, text, "expected true or false"))
    }
}

/// A trade id: a decimal integer as is, anything else (UUIDs, hex) hashed to a stable i64; empty
/// → [`MISSING_I64`].
#[must_use]
pub fn trade_id(text: &[u8]) -> i64 {
    let t = text.trim_ascii();
    if t.is_empty() {
        return MISSING_I64;
    }
    if t.len() <= 18 && t.iter().all(u8::is_ascii_digit) {
        // ≤ 18 digits always fits in i64
        return t.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
    }
    crate::tables::hash_id(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Vec<Vec<u8>> {
        let mut c = Cells::default();
        c.split(line);
        (0..c.len()).map(|i| c.get(line, i).to_vec()).collect()
    }

    #[test]
    fn splits_plain_and_quoted_cells() {
        assert_eq!(split(b"a,b,,c"), vec![b"a".to_vec(), b"b".to_vec(), b"".to_vec(), b"c".to_vec()]);
        assert_eq!(split(b"a,"), vec![b"a".to_vec(), b"".to_vec()]);
        assert_eq!(split(b""), vec![b"".to_vec()]);
        assert_eq!(split(b"\"x,y\",1"), vec![b"x,y".to_vec(), b"1".to_vec()]);
        assert_eq!(split(b"1,\"2\""), vec![b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(split(b"\"a\"\"b\",c"), vec![b"a\"\"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn integers_and_ids() {
        assert_eq!(int(b"-1", "pu", 1), Ok(-1));
        assert_eq!(int(b"2098021528332", "u", 1), Ok(2_098_021_528_332));
        assert!(matches!(int(b"12x", "u", 5), Err(CoreError::InvalidValue { line: 5, .. })));
        assert!(matches!(int(b"99999999999999999999", "u", 5), Err(CoreError::InvalidValue { .. })));
        assert_eq!(epoch_ns(b"1582329601096000", "t", 1), Ok(1_582_329_601_096_000_000));
        assert_eq!(opt_epoch_ns(b"", "t", 1), Ok(MISSING_I64));
        assert_eq!(trade_id(b"42377944"), 42_377_944);
        assert_eq!(trade_id(b""), MISSING_I64);
        let h = trade_id(b"ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf");
        assert!(h >= 0);
        assert_eq!(h, crate::tables::hash_id(b"ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf"));
        assert_eq!(boolean(b"True", "m", 1), Ok(true));
        assert!(boolean(b"yes", "m", 1).is_err());
    }
}
