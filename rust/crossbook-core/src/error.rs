//! The one error type of the core. Every variant that comes from a file names the 1-based line.

use thiserror::Error;

/// Errors raised by the core. The binding maps each variant to a Python exception class
/// (see `rust/crossbook-py/src/errors.rs`).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    /// A line that is not valid for its format (bad JSON, wrong column count, missing field).
    #[error("line {line}: malformed {what}: {msg}")]
    Malformed { line: u64, what: &'static str, msg: String },

    /// A well-formed message whose type this reader does not know.
    #[error("line {line}: unknown message type {kind:?}")]
    UnknownMessage { line: u64, kind: String },

    /// A field whose value is not acceptable: NaN text, a negative size, an unparsable number.
    #[error("line {line}: field {field:?}: {reason} (got {text:?})")]
    InvalidValue { line: u64, field: String, text: String, reason: &'static str },

    /// The file's receive clock went backwards.
    #[error("line {line}: timestamp going backwards ({ts_ns} ns < previous {prev_ns} ns)")]
    TimestampBackwards { line: u64, prev_ns: i64, ts_ns: i64 },

    /// A compressed stream ended early (a recorder killed mid-write, a partial download).
    #[error("truncated {container} stream after line {line}: {msg}")]
    Truncated { container: &'static str, line: u64, msg: String },

    /// An order-book update does not chain to the previous one. `prev` is the message's own
    /// previous-id field (Binance futures `pu`), [`crate::units::MISSING_I64`] where the venue has none.
    #[error(
        "sequence gap in {symbol} at update {index}: expected {rule}, got first={first}{} \
         (last applied update id {last})",
        fmt_prev(*prev)
    )]
    SequenceGap { symbol: String, index: u64, rule: &'static str, first: i64, prev: i64, last: i64 },

    /// Arguments that cannot be used (empty arrays, mismatched lengths, unknown option).
    #[error("{0}")]
    InvalidInput(String),
}

impl CoreError {
    /// The 1-based line in the source file, when the error comes from one.
    #[must_use]
    pub fn line(&self) -> Option<u64> {
        match self {
            Self::Malformed { line, .. }
            | Self::UnknownMessage { line, .. }
            | Self::InvalidValue { line, .. }
            | Self::TimestampBackwards { line, .. }
            | Self::Truncated { line, .. } => Some(*line),
            Self::SequenceGap { .. } | Self::InvalidInput(_) => None,
        }
    }

    /// A short machine-readable kind, used for counted skips.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::UnknownMessage { .. } => "unknown_message",
            Self::InvalidValue { .. } => "invalid_value",
            Self::TimestampBackwards { .. } => "timestamp_backwards",
            Self::Truncated { .. } => "truncated",
            Self::SequenceGap { .. } => "sequence_gap",
            Self::InvalidInput(_) => "invalid_input",
        }
    }
}

fn fmt_prev(prev: i64) -> String {
    if prev == crate::units::MISSING_I64 {
        String::new()
    } else {
        format!(" prev={prev}")
    }
}

pub type Result<T> = std::result::Result<T, CoreError>;
