//! Units: timestamps (i64 ns UTC) and exact scaled-integer prices and sizes.
//!
//! Every price and size is parsed from its decimal text straight into an `i64` holding
//! `value × 10^exp` — no float round-trip on the way in. The exponent is per instrument
//! (see `python/crossbook/data/instruments.py`); every instrument we know uses
//! [`PX_EXP`] = [`QTY_EXP`] = 8, which represents every price and size Binance, Hyperliquid
//! and Tardis publish exactly (they print at most 8 decimals) and leaves room for prices up to
//! 9.2e10 and sizes up to 9.2e10.

/// Default decimal exponent of prices: an integer price `p` means `p / 10^8`.
pub const PX_EXP: u32 = 8;
/// Default decimal exponent of sizes (base units, or contracts for COIN-M).
pub const QTY_EXP: u32 = 8;
/// Sentinel for "absent" in integer columns; the binding turns it into a null.
pub const MISSING_I64: i64 = i64::MIN;

const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// `10^exp` as i64 (exp ≤ 18).
#[must_use]
pub fn pow10(exp: u32) -> i64 {
    POW10[exp.min(18) as usize]
}

/// Why a decimal text could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    Empty,
    NotANumber,
    Invalid,
    Overflow,
}

impl DecimalError {
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::Empty => "empty number",
            Self::NotANumber => "NaN or infinite value",
            Self::Invalid => "not a decimal number",
            Self::Overflow => "number too large for the instrument scale",
        }
    }
}

/// Parse decimal text (`"61800.20"`, `"-0.5"`, `"1e-05"`, `"3.5E+2"`) into `value × 10^exp`.
///
/// Digits beyond `exp` decimals are rounded half-away-from-zero (no venue we read prints more
/// than 8 decimals for prices or sizes, so with the default exponent this never rounds).
///
/// # Errors
/// [`DecimalError`] for empty text, `NaN`/`inf`, anything that is not a decimal number, or overflow.
pub fn parse_scaled(text: &[u8], exp: u32) -> Result<i64, DecimalError> {
    let mut s = text;
    while let [b' ' | b'"', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'"' | b'\r'] = s {
        s = rest;
    }
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let neg = s[0] == b'-';
    if neg || s[0] == b'+' {
        s = &s[1..];
    }
    if s.is_empty() {
        return Err(DecimalError::Invalid);
    }
    if matches!(s[0], b'n' | b'N' | b'i' | b'I') {
        return Err(DecimalError::NotANumber);
    }
    // mantissa digits as an integer plus the decimal exponent that applies to it
    let mut mant: i128 = 0;
    let mut digits = 0usize;
    let mut frac_digits: i32 = 0;
    let mut seen_dot = false;
    let mut i = 0usize;
    while i < s.len() {
        let c = s[i];
        match c {
            b'0'..=b'9' => {
                if digits < 36 {
                    mant = mant * 10 + i128::from(c - b'0');
                    if mant != 0 {
                        digits += 1;
                    }
                    if seen_dot {
                        frac_digits += 1;
                    }
                } else if !seen_dot {
                    return Err(DecimalError::Overflow);
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return Err(DecimalError::Invalid),
        }
        i += 1;
    }
    if i == 0 || (i == 1 && seen_dot) {
        return Err(DecimalError::Invalid);
    }
    let mut e10: i32 = 0;
    if i < s.len() {
        // exponent part
        let ex = &s[i + 1..];
        let (eneg, ex) = match ex.first() {
            Some(b'-') => (true, &ex[1..]),
            Some(b'+') => (false, &ex[1..]),
            _ => (false, ex),
        };
        if ex.is_empty() || ex.len() > 4 {
            return Err(DecimalError::Invalid);
        }
        for &c in ex {
            if !c.is_ascii_digit() {
                return Err(DecimalError::Invalid);
            }
            e10 = e10 * 10 + i32::from(c - b'0');
        }
        if eneg {
            e10 = -e10;
        }
    }
    // value = mant × 10^(e10 - frac_digits); want value × 10^exp
    let shift = e10 - frac_digits + i32::try_from(exp).map_err(|_| DecimalError::Overflow)?;
    let scaled: i128 = if shift >= 0 {
        if shift > 30 {
            if mant == 0 {
                0
            } else {
                return Err(DecimalError::Overflow);
            }
        } else {
            mant.checked_mul(10i128.pow(shift.unsigned_abs())).ok_or(DecimalError::Overflow)?
        }
    } else if shift < -36 {
        0
    } else {
        let d = 10i128.pow(shift.unsigned_abs());
        (mant + d / 2) / d
    };
    let v = i64::try_from(scaled).map_err(|_| DecimalError::Overflow)?;
    Ok(if neg { -v } else { v })
}

/// Parse decimal text as f64 (rates such as funding, which are not prices or sizes).
///
/// # Errors
/// As [`parse_scaled`]; NaN and infinities are rejected.
pub fn parse_f64(text: &[u8]) -> Result<f64, DecimalError> {
    let t = std::str::from_utf8(text).map_err(|_| DecimalError::Invalid)?.trim().trim_matches('"');
    if t.is_empty() {
        return Err(DecimalError::Empty);
    }
    let v: f64 = t.parse().map_err(|_| DecimalError::Invalid)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(DecimalError::NotANumber)
    }
}

/// Unit of an integer epoch timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl TsUnit {
    /// Detect the unit of an epoch timestamp from its magnitude (valid for dates 1973–2286).
    #[must_use]
    pub fn detect(v: i64) -> TsUnit {
        let a = v.unsigned_abs();
        if a >= 100_000_000_000_000_000 {
            TsUnit::Nanos
        } else if a >= 100_000_000_000_000 {
            TsUnit::Micros
        } else if a >= 100_000_000_000 {
            TsUnit::Millis
        } else {
            TsUnit::Seconds
        }
    }

    /// Nanoseconds per one unit.
    #[must_use]
    pub fn ns_per_unit(self) -> i64 {
        match self {
            TsUnit::Seconds => 1_000_000_000,
            TsUnit::Millis => 1_000_000,
            TsUnit::Micros => 1_000,
            TsUnit::Nanos => 1,
        }
    }

    /// Convert a value in this unit to ns.
    #[must_use]
    pub fn to_ns(self, v: i64) -> i64 {
        v.saturating_mul(self.ns_per_unit())
    }
}

/// Convert an epoch timestamp of unknown unit to ns by magnitude.
#[must_use]
pub fn epoch_to_ns(v: i64) -> i64 {
    TsUnit::detect(v).to_ns(v)
}

/// Parse an ISO-8601 UTC timestamp `YYYY-MM-DD[T ]HH:MM:SS[.fffffffff][Z]` into ns.
///
/// # Errors
/// [`DecimalError::Invalid`] when the text is not in that shape.
pub fn parse_iso8601_ns(text: &[u8]) -> Result<i64, DecimalError> {
    let t = text;
    if t.len() < 19 {
        return Err(DecimalError::Invalid);
    }
    let num = |a: usize, b: usize| -> Result<i64, DecimalError> {
        let mut v = 0i64;
        for &c in &t[a..b] {
            if !c.is_ascii_digit() {
                return Err(DecimalError::Invalid);
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Ok(v)
    };
    if t[4] != b'-' || t[7] != b'-' || !(t[10] == b'T' || t[10] == b' ') || t[13] != b':' || t[16] != b':' {
        return Err(DecimalError::Invalid);
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, s) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(DecimalError::Invalid);
    }
    let mut frac_ns = 0i64;
    let mut i = 19;
    if i < t.len() && t[i] == b'.' {
        i += 1;
        let mut scale = 100_000_000i64;
        while i < t.len() && t[i].is_ascii_digit() {
            frac_ns += i64::from(t[i] - b'0') * scale;
            scale /= 10;
            i += 1;
        }
    }
    if i < t.len() && !(t[i] == b'Z' || t[i] == b'z') {
        return Err(DecimalError::Invalid);
    }
    let days = days_from_civil(y, mo, d);
    Ok((days * 86_400 + h * 3600 + mi * 60 + s) * 1_000_000_000 + frac_ns)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
#[must_use]
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_parsing_is_exact() {
        assert_eq!(parse_scaled(b"61800.20", 8), Ok(6_180_020_000_000));
        assert_eq!(parse_scaled(b"61837.63000000", 8), Ok(6_183_763_000_000));
        assert_eq!(parse_scaled(b"0.00000001", 8), Ok(1));
        assert_eq!(parse_scaled(b"1645", 0), Ok(1645));
        assert_eq!(parse_scaled(b"-2.5", 1), Ok(-25));
        assert_eq!(parse_scaled(b"\"25.35190000\"", 8), Ok(2_535_190_000));
        assert_eq!(parse_scaled(b"1e-05", 8), Ok(1000));
        assert_eq!(parse_scaled(b"3.5E+2", 2), Ok(35000));
        assert_eq!(parse_scaled(b"0.000000015", 8), Ok(2)); // rounds half away from zero
        assert_eq!(parse_scaled(b"105055.0", 8), Ok(10_505_500_000_000));
    }

    #[test]
    fn scaled_parsing_rejects_bad_text() {
        assert_eq!(parse_scaled(b"NaN", 8), Err(DecimalError::NotANumber));
        assert_eq!(parse_scaled(b"inf", 8), Err(DecimalError::NotANumber));
        assert_eq!(parse_scaled(b"", 8), Err(DecimalError::Empty));
        assert_eq!(parse_scaled(b"1.2.3", 8), Err(DecimalError::Invalid));
        assert_eq!(parse_scaled(b"12a", 8), Err(DecimalError::Invalid));
        assert_eq!(parse_scaled(b".", 8), Err(DecimalError::Invalid));
        assert_eq!(parse_scaled(b"99999999999999999999", 8), Err(DecimalError::Overflow));
    }

    #[test]
    fn timestamp_units_by_magnitude() {
        assert_eq!(epoch_to_ns(1_723_161_255_088_169_167), 1_723_161_255_088_169_167);
        assert_eq!(epoch_to_ns(1_723_161_255_088_169), 1_723_161_255_088_169_000);
        assert_eq!(epoch_to_ns(1_723_161_255_088), 1_723_161_255_088_000_000);
        assert_eq!(epoch_to_ns(1_723_161_255), 1_723_161_255_000_000_000);
    }

    #[test]
    fn iso8601() {
        // 2024-01-01T12:00:01.138942031 UTC
        assert_eq!(parse_iso8601_ns(b"2024-01-01T12:00:01.138942031"), Ok(1_704_110_401_138_942_031));
        assert_eq!(parse_iso8601_ns(b"2025-10-07 00:00:00"), Ok(1_759_795_200_000_000_000));
        assert!(parse_iso8601_ns(b"2025-13-07 00:00:00").is_err());
    }
}
