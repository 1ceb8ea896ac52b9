//! Exchange formats → columns of the normalized data model.
//!
//! Each reader takes the raw bytes of one file (gzip and lz4 frames are unwrapped here, by
//! content) and returns [`Tables`]. Errors name the 1-based line; under [`OnError::Skip`] a bad
//! line is counted in [`Tables::skipped`] instead and parsing goes on.

pub mod binance;
pub mod binance_csv;
pub mod blocks;
pub mod chunked;
pub mod common;
pub mod csv;
pub mod hyperliquid;
pub mod jsonmsg;
pub mod lines;
pub mod tardis;

pub use lines::{decompress, for_each_line, head, Decoded};

use crate::error::{CoreError, Result};
use crate::tables::{Skip, Tables};

/// What a reader does with a bad line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop at the first bad line with its error.
    Raise,
    /// Count the line in `Tables::skipped` and go on.
    Skip,
}

impl OnError {
    /// Parse `"raise"` / `"skip"`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for any other text.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "raise" => Ok(Self::Raise),
            "skip" => Ok(Self::Skip),
            other => Err(CoreError::InvalidInput(format!("errors must be 'raise' or 'skip', got {other:?}"))),
        }
    }

    /// Apply the policy to a per-line result: `Ok` passes, an error either propagates or is recorded.
    ///
    /// # Errors
    /// The line's error under [`OnError::Raise`].
    pub fn handle(self, tables: &mut Tables, r: Result<()>) -> Result<()> {
        match r {
            Ok(()) => Ok(()),
            Err(e) if self == Self::Skip && !matches!(e, CoreError::InvalidInput(_)) => {
                tables.skipped.push(Skip { line: e.line().unwrap_or(0), kind: e.kind(), message: e.to_string() });
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Source formats the core can parse; Python's detector picks one from the file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `<local_ts> <json>` lines of Binance spot / USDT-M / COIN-M websocket messages
    BinanceWs,
    /// `<local_ts> <json>` lines of Hyperliquid websocket messages
    HyperliquidWs,
    /// Hyperliquid S3 archive `{"time":..,"ver_num":..,"raw":{..}}` lines (usually lz4)
    HyperliquidArchive,
    /// Tardis.dev normalized CSV (any data type, detected from the header)
    TardisCsv,
    /// data.binance.vision CSV (kind given separately, header optional)
    BinanceCsv,
}

impl Format {
    /// Parse the format name used by the Python detector.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an unknown name.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "binance_ws" => Self::BinanceWs,
            "hyperliquid_ws" => Self::HyperliquidWs,
            "hyperliquid_archive" => Self::HyperliquidArchive,
            "tardis_csv" => Self::TardisCsv,
            "binance_csv" => Self::BinanceCsv,
            other => return Err(CoreError::InvalidInput(format!("unknown format {other:?}"))),
        })
    }
}

/// Options of one parse call.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub on_error: OnError,
    /// data type where the format does not carry it in-band (Binance public CSVs)
    pub kind: Option<&'a str>,
    /// venue id that overrides what the content says
    pub venue: Option<&'a str>,
    /// symbol that overrides (or supplies, for CSVs without one) the content's symbol
    pub symbol: Option<&'a str>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self { on_error: OnError::Raise, kind: None, venue: None, symbol: None }
    }
}

/// Parse one file's bytes (plain, gzip or lz4) in `format`.
///
/// # Errors
/// The first bad line under [`OnError::Raise`]; [`CoreError::InvalidInput`] for bad options.
pub fn parse(data: &[u8], format: Format, opts: &Options<'_>) -> Result<Tables> {
    match format {
        Format::BinanceWs => binance::parse(data, opts),
        Format::HyperliquidWs | Format::HyperliquidArchive => hyperliquid::parse(data, format, opts),
        Format::TardisCsv => tardis::parse(data, opts),
        Format::BinanceCsv => binance_csv::parse(data, opts),
    }
}
