//! The quote engine: GLFT quotes with regime-blended parameters, lead-lag centre and skew, defensive
//! mode and inventory limits (seed `heatmap-overlay-and-model-infrastructure.md` § 3.7
//! `EnhancedQuoteEngine.generate_quotes`, § 3.5 regime table; seed `lead-lag-skill.md` for the
//! adjusted micro-price and directional skew, which arrive as inputs).
//!
//! - [`glft`]: Guéant (2017) closed forms for the half-spread and the inventory skew;
//! - [`calibrate`]: A and k of λ(δ) = A·exp(−kδ) from trade-arrival depths (and the half-tick pitfall);
//! - [`params`]: the regime table and its probability blend;
//! - [`config`]: every constant of the cycle and the component switches;
//! - [`engine`]: [`EnhancedQuoteEngine`], one cycle per call;
//! - [`records`]: the cycle's inputs ([`QuoteInputs`]) and output ([`QuoteRecord`], [`QuoteSet`]).
//!
//! Units: prices in quote currency, sizes and inventory in base units, depths/spreads/skews in bps of
//! the quote centre, κ per bp, A per second, σ² per second (log returns), times in ns.

pub mod calibrate;
pub mod config;
pub mod engine;
pub mod glft;
pub mod params;
pub mod records;

pub use config::{Components, QuoteParams};
pub use engine::{run, EnhancedQuoteEngine};
pub use params::{Regime, RegimeParams, RegimeTable, N_REGIMES, REGIME_NAMES};
pub use records::{Field, QuoteInputs, QuoteRecord, QuoteSet, SkipReason, N_SKIP};
