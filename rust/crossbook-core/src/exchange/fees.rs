//! Maker / taker fees on linear contracts (spot and USDT-margined perps).
//!
//! Like hftbacktest's `TradingValueFeeModel` with `CommonFees`
//! (<https://docs.rs/crate/hftbacktest/latest/source/src/backtest/models/fee.rs>: "Fee based on the
//! transaction value, with the rate depending on whether the order is a maker or taker"), a fill
//! pays `rate × notional`; a negative rate is a rebate. hftbacktest takes rates as fractions
//! (`maker_fee=-0.00005`); ours are in basis points (1 bp = 0.0001), so `maker_bps = -0.5` is that
//! same 0.5 bp rebate. Amounts are in the quote currency, positive = paid.
//!
//! Limitation: COIN-M inverse contracts (notional in the base coin, `qty × contract_size / px`) are
//! not modelled; their fills are charged as if linear. Spot and USDT-M fees are exact up to the one
//! f64 rounding of the notional.

use crate::error::{CoreError, Result};

/// Fee rates, bps of notional; negative = rebate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fees {
    pub maker_bps: f64,
    pub taker_bps: f64,
}

impl Default for Fees {
    fn default() -> Self {
        Self { maker_bps: 0.0, taker_bps: 0.0 }
    }
}

impl Fees {
    /// # Errors
    /// [`CoreError::InvalidInput`] for a NaN or infinite rate.
    pub fn validate(&self) -> Result<()> {
        if self.maker_bps.is_finite() && self.taker_bps.is_finite() {
            Ok(())
        } else {
            Err(CoreError::InvalidInput(format!(
                "fee rates must be finite bps (maker {}, taker {})",
                self.maker_bps, self.taker_bps
            )))
        }
    }

    /// Fee (quote currency, positive = paid) of a fill with notional `notional` (quote currency).
    #[must_use]
    pub fn fee(&self, notional: f64, maker: bool) -> f64 {
        let bps = if maker { self.maker_bps } else { self.taker_bps };
        notional * bps / 10_000.0
    }
}

/// Notional `px × qty` in quote currency from scaled integers: the product is exact in i128, then
/// one rounding to f64 and one division by `10^(px_exp + qty_exp)`.
#[must_use]
pub fn notional(px: i64, qty: i64, px_exp: u32, qty_exp: u32) -> f64 {
    let raw = i128::from(px) * i128::from(qty);
    raw as f64 / 10f64.powi((px_exp + qty_exp).min(300) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebate_and_fee_on_exact_notional() {
        // 2 BTC at 61 800.5: notional 123 601
        let n = notional(6_180_050_000_000, 200_000_000, 8, 8);
        assert_eq!(n, 123_601.0);
        let f = Fees { maker_bps: -1.0, taker_bps: 4.5 };
        assert_eq!(f.fee(n, true), -12.3601);
        assert_eq!(f.fee(n, false), 123_601.0 * 4.5 / 10_000.0);
        assert!(Fees { maker_bps: f64::NAN, taker_bps: 0.0 }.validate().is_err());
    }
}
