//! serde helpers shared by the JSON-lines readers (Binance and Hyperliquid captures).
//!
//! Messages are deserialized into borrowed structs: every string field is a `&str` slice of the
//! input line (prices and sizes stay decimal text until [`super::common::price`] /
//! [`super::common::size`] turn them into scaled integers), so a line costs one pass of
//! serde_json's parser and no string allocation.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::common;
use crate::error::CoreError;
use crate::units::{pow10, PX_EXP, QTY_EXP};

/// One `[price, qty]` level as sent by Binance (both decimal strings).
pub type Level<'a> = [&'a str; 2];

/// A field whose JSON type depends on the message: Binance reuses `b` / `a` for a price string
/// (bookTicker), an array of levels (depthUpdate) and, for `a`, an integer id (aggTrade).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Str(&'a str),
    Levels(Vec<Level<'a>>),
    Int(i64),
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Val<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, an integer or an array of [price, qty] pairs")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Val::Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Val::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v).map(Val::Int).map_err(|_| E::custom("integer too large"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(16));
                while let Some(level) = seq.next_element::<Level<'a>>()? {
                    out.push(level);
                }
                Ok(Val::Levels(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A value that is either one object or an array of them (Binance `!markPrice@arr`-style
/// payloads, the combined-stream `data` field, Hyperliquid `trades`).
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(Box<T>),
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or an array of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|v| OneOrMany::One(Box::new(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T> OneOrMany<T> {
    /// The items, one or many, in order.
    pub fn items(&self) -> &[T] {
        match self {
            Self::One(v) => std::slice::from_ref(v.as_ref()),
            Self::Many(v) => v,
        }
    }
}

/// Parse one JSON payload into `T`, mapping serde errors to [`CoreError::Malformed`] at `line`.
///
/// # Errors
/// [`CoreError::Malformed`] naming `what` (for example "Binance message") and serde's reason.
pub fn from_line<'a, T: Deserialize<'a>>(payload: &'a [u8], line: u64, what: &'static str) -> Result<T, CoreError> {
    serde_json::from_slice(payload).map_err(|e| CoreError::Malformed { line, what, msg: e.to_string() })
}

/// A required field, or [`CoreError::Malformed`] saying which one is missing.
///
/// # Errors
/// [`CoreError::Malformed`] when `v` is `None`.
pub fn required<T>(v: Option<T>, field: &str, what: &'static str, line: u64) -> Result<T, CoreError> {
    v.ok_or_else(|| CoreError::Malformed { line, what, msg: format!("missing field {field:?}") })
}

/// `value × 10^exp` of plain decimal text (`61800.20`: digits and at most one dot, no sign or
/// exponent, at most 18 digits and at most `exp` decimals), or `None` for anything else — the
/// exact general parser ([`crate::units::parse_scaled`]) then decides. This is the hot path of
/// the JSON readers: every price and size Binance and Hyperliquid send has this shape.
#[must_use]
pub fn fast_scaled(text: &[u8], exp: u32) -> Option<i64> {
    let mut v: u64 = 0;
    let mut digits = 0u32;
    let mut frac: Option<u32> = None;
    for &c in text {
        match c {
            b'0'..=b'9' => {
                v = v * 10 + u64::from(c - b'0');
                digits += 1;
                if digits > 18 {
                    return None;
                }
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    let frac = frac.unwrap_or(0);
    if digits == 0 || frac > exp {
        return None;
    }
    let scaled = v.checked_mul(u64::try_from(pow10(exp - frac)).ok()?)?;
    i64::try_from(scaled).ok()
}

/// A price (> 0) with the [`fast_scaled`] fast path; errors as [`common::price`].
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
#[inline]
pub fn price(text: &str, field: &str, line: u64) -> Result<i64, CoreError> {
    match fast_scaled(text.as_bytes(), PX_EXP) {
        Some(v) if v > 0 => Ok(v),
        _ => common::price(text.as_bytes(), field, line),
    }
}

/// A size (≥ 0) with the [`fast_scaled`] fast path; errors as [`common::size`].
///
/// # Errors
/// [`CoreError::InvalidValue`] naming `field`.
#[inline]
pub fn size(text: &str, field: &str, line: u64) -> Result<i64, CoreError> {
    match fast_scaled(text.as_bytes(), QTY_EXP) {
        Some(v) => Ok(v),
        None => common::size(text.as_bytes(), field, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct M<'a> {
        #[serde(borrow)]
        b: Option<Val<'a>>,
        #[serde(borrow)]
        d: Option<OneOrMany<M<'a>>>,
    }

    #[test]
    fn val_takes_three_shapes() {
        let m: M = from_line(br#"{"b":"1.5"}"#, 1, "t").unwrap();
        assert_eq!(m.b, Some(Val::Str("1.5")));
        let m: M = from_line(br#"{"b":[["1.5","2"],["1.4","0"]]}"#, 1, "t").unwrap();
        assert_eq!(m.b, Some(Val::Levels(vec![["1.5", "2"], ["1.4", "0"]])));
        let m: M = from_line(br#"{"b":12}"#, 1, "t").unwrap();
        assert_eq!(m.b, Some(Val::Int(12)));
    }

    #[test]
    fn fast_decimal_path_agrees_with_the_exact_parser() {
        for t in ["61800.20", "0.00000001", "105055.0", "1645", "0", ".5", "5.", "123456789.12345678", "0.000"] {
            assert_eq!(fast_scaled(t.as_bytes(), 8), crate::units::parse_scaled(t.as_bytes(), 8).ok(), "{t}");
        }
        // shapes left to the exact parser
        for t in ["", ".", "-1", "1e5", "NaN", "1.2.3", "0.000000015", "1234567890123456789", " 1"] {
            assert_eq!(fast_scaled(t.as_bytes(), 8), None, "{t}");
        }
        assert_eq!(price("0.000000015", "p", 1), Ok(2));
        assert!(matches!(price("0", "p", 2), Err(CoreError::InvalidValue { line: 2, .. })));
        assert!(matches!(size("-1", "q", 3), Err(CoreError::InvalidValue { line: 3, .. })));
        assert_eq!(size("0", "q", 3), Ok(0));
    }

    #[test]
    fn one_or_many_and_errors() {
        let m: M = from_line(br#"{"d":[{"b":"1"},{"b":"2"}]}"#, 1, "t").unwrap();
        assert_eq!(m.d.map(|d| d.items().len()), Some(2));
        let m: M = from_line(br#"{"d":{"b":"1"}}"#, 1, "t").unwrap();
        assert_eq!(m.d.map(|d| d.items().len()), Some(1));
        let e = from_line::<M>(br#"{"b":"1""#, 9, "t").err();
        assert!(matches!(e, Some(CoreError::Malformed { line: 9, what: "t", .. })));
    }
}
