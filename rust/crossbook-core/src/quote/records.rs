//! The inputs of one quote cycle, the record every cycle emits, and why a cycle was skipped.

use super::params::{Regime, N_REGIMES};

/// The market data of one cycle (the seed's `MarketData` as the engine sees it). Prices in quote
/// currency, sizes in base units. Models run outside the engine and hand their outputs in here, so a
/// backtest can feed recorded or simulated values.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuoteInputs {
    /// cycle time, ns (non-decreasing across cycles)
    pub t_ns: i64,
    /// (best bid + best ask) / 2
    pub mid: f64,
    /// Stoikov micro-price ([`crate::signals::microprice`]); the weighted mid will do
    pub microprice: f64,
    /// lead-lag adjusted micro-price (lead-lag seed `compute_adjusted_microprice`); pass the
    /// micro-price when there is no lead-lag signal
    pub ll_microprice: f64,
    /// lead-lag directional skew, bps; > 0 expects the price to rise (bid tighter, ask wider)
    pub ll_skew_bps: f64,
    /// best bid on the quoted venue
    pub best_bid: f64,
    /// best ask on the quoted venue
    pub best_ask: f64,
    /// price tick
    pub tick: f64,
    /// our inventory, base units (> 0 long)
    pub inventory: f64,
    /// P(quiet, trending, volatile, cascade); normalised by the engine
    pub regime_probs: [f64; N_REGIMES],
    /// variance of log returns per second (bipower, [`crate::signals::volatility::BipowerVol::per_second`])
    pub sigma2_per_s: f64,
    /// fill-intensity decay κ, per bp (before the floor and multipliers); see
    /// [`super::calibrate::IntensityFit::kappa_per_bp`]
    pub kappa: f64,
    /// fill intensity at zero depth A, fills per second
    pub a: f64,
    /// informed share of recent flow in [0, 1] (seed `informed_intensity`)
    pub informed_fraction: f64,
    /// coefficient of variation of the κ estimate (σ/μ), >= 0
    pub kappa_cv: f64,
    /// a liquidation cascade is under way
    pub cascade: bool,
}

/// The input a skip is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Field {
    None = 0,
    Time,
    Mid,
    Microprice,
    LlMicroprice,
    LlSkew,
    BestBid,
    BestAsk,
    Tick,
    Inventory,
    RegimeProbs,
    Sigma2,
    Kappa,
    A,
    InformedFraction,
    KappaCv,
    Output,
}

impl Field {
    /// All fields by code.
    pub const ALL: [Field; 17] = [
        Self::None,
        Self::Time,
        Self::Mid,
        Self::Microprice,
        Self::LlMicroprice,
        Self::LlSkew,
        Self::BestBid,
        Self::BestAsk,
        Self::Tick,
        Self::Inventory,
        Self::RegimeProbs,
        Self::Sigma2,
        Self::Kappa,
        Self::A,
        Self::InformedFraction,
        Self::KappaCv,
        Self::Output,
    ];

    /// The input's name (as in [`QuoteInputs`]; `output` for the computed quote).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Time => "t_ns",
            Self::Mid => "mid",
            Self::Microprice => "microprice",
            Self::LlMicroprice => "ll_microprice",
            Self::LlSkew => "ll_skew_bps",
            Self::BestBid => "best_bid",
            Self::BestAsk => "best_ask",
            Self::Tick => "tick",
            Self::Inventory => "inventory",
            Self::RegimeProbs => "regime_probs",
            Self::Sigma2 => "sigma2_per_s",
            Self::Kappa => "kappa",
            Self::A => "a",
            Self::InformedFraction => "informed_fraction",
            Self::KappaCv => "kappa_cv",
            Self::Output => "output",
        }
    }
}

/// Why a cycle produced no quote. Codes are stable (they are stored in records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SkipReason {
    /// quoted
    None = 0,
    /// an input the enabled components use is NaN or infinite
    NonFinite = 1,
    /// an input is out of its range (a price <= 0, a probability outside [0, 1], A <= 0, …)
    OutOfRange = 2,
    /// best bid >= best ask: no side can be placed safely
    CrossedBook = 3,
    /// best bid or ask is not on the tick grid (wrong tick)
    OffTick = 4,
    /// the cycle time is before the previous cycle's
    TimeBackwards = 5,
    /// the computed quote is not a finite positive price (never emitted)
    BadOutput = 6,
}

/// Number of skip reasons including `None`.
pub const N_SKIP: usize = 7;

impl SkipReason {
    /// All reasons by code.
    pub const ALL: [SkipReason; N_SKIP] = [
        Self::None,
        Self::NonFinite,
        Self::OutOfRange,
        Self::CrossedBook,
        Self::OffTick,
        Self::TimeBackwards,
        Self::BadOutput,
    ];

    /// snake_case name (`""` for `None`)
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "",
            Self::NonFinite => "non_finite",
            Self::OutOfRange => "out_of_range",
            Self::CrossedBook => "crossed_book",
            Self::OffTick => "off_tick",
            Self::TimeBackwards => "time_backwards",
            Self::BadOutput => "bad_output",
        }
    }
}

/// The seed's `QuoteSet`: what goes to the exchange.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuoteSet {
    pub bid_price: f64,
    pub ask_price: f64,
    /// 0: no bid
    pub bid_size: f64,
    /// 0: no ask
    pub ask_size: f64,
    pub regime: Regime,
    pub kappa_used: f64,
    pub gamma_used: f64,
    pub spread_bps: f64,
}

/// Bit of [`QuoteRecord::clamped`]: the bid was pulled below the best ask (post-only safety).
pub const CLAMP_BID: u8 = 1;
/// Bit of [`QuoteRecord::clamped`]: the ask was pushed above the best bid.
pub const CLAMP_ASK: u8 = 2;

/// One quote cycle: the quote, every intermediate of the seed's steps, and the inputs used. A skipped
/// cycle has `skip != 0`, NaN prices, zero sizes and NaN intermediates from the failing step on.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuoteRecord {
    /// index of the cycle since the engine was built (skipped cycles included)
    pub cycle: u64,
    /// bid price on the tick grid (NaN when skipped)
    pub bid_px: f64,
    /// ask price on the tick grid (NaN when skipped)
    pub ask_px: f64,
    /// bid size, base units (0: no bid)
    pub bid_size: f64,
    /// ask size, base units (0: no ask)
    pub ask_size: f64,
    /// quote centre: mid, micro-price or lead-lag adjusted micro-price
    pub centre_px: f64,
    /// centre moved by the skews: centre·(1 − (inventory skew − directional skew)/10⁴)
    pub reservation_px: f64,
    /// bid depth below the centre before rounding, bps
    pub bid_depth_bps: f64,
    /// ask depth above the centre before rounding, bps
    pub ask_depth_bps: f64,
    /// final half-spread (after floor, multipliers, defensive widening), bps
    pub half_spread_bps: f64,
    /// c₁ + volatility term + maker fee + informed premium (before the floor), bps
    pub glft_half_spread_bps: f64,
    /// c₁ = (1/γ)·ln(1 + γ/κ), bps
    pub c1_bps: f64,
    /// σ·c₂/2 (0 when switched off), bps
    pub vol_term_bps: f64,
    /// q·σ·c₂ (q in lots), bps
    pub inventory_skew_bps: f64,
    /// lead-lag directional skew used (clamped), bps
    pub directional_skew_bps: f64,
    /// bid depth + ask depth (seed `spread_bps`)
    pub spread_bps: f64,
    /// (ask − bid) / centre after rounding and clamping, bps
    pub quoted_spread_bps: f64,
    /// κ after floor, adverse-selection adjustment and regime multiplier, 1/bp (seed `kappa_used`)
    pub kappa: f64,
    /// κ input after the floor, 1/bp
    pub kappa_floored: f64,
    /// blended γ (seed `gamma_used`)
    pub gamma: f64,
    /// blended κ multiplier
    pub kappa_multiplier: f64,
    /// blended half-spread floor, bps
    pub spread_floor_bps: f64,
    /// blended inventory limit, base units
    pub max_inventory: f64,
    /// adverse-selection κ adjustment (1 when off)
    pub as_kappa_adjustment: f64,
    /// adverse-selection half-spread premium, bps
    pub as_spread_premium_bps: f64,
    /// uncertainty multiplier (1 when off)
    pub uncertainty_mult: f64,
    /// σ, bps per √s
    pub sigma_bps: f64,
    /// regime probabilities after normalisation
    pub regime_probs: [f64; N_REGIMES],
    /// the inputs of the cycle, as given
    pub inputs: QuoteInputs,
    /// most likely regime (index)
    pub regime: u8,
    /// [`SkipReason`] code (0: quoted)
    pub skip: u8,
    /// [`Field`] code of the input the skip is about
    pub skip_field: u8,
    /// 1: defensive quotes (cascade flag set and the component on)
    pub defensive: u8,
    /// [`CLAMP_BID`] | [`CLAMP_ASK`]: a side was moved to stay off the other side of the book
    pub clamped: u8,
}

impl QuoteRecord {
    /// A record with every output NaN and no sizes (the start of every cycle).
    #[must_use]
    pub fn empty(cycle: u64, inputs: QuoteInputs) -> Self {
        let nan = f64::NAN;
        Self {
            cycle,
            bid_px: nan,
            ask_px: nan,
            bid_size: 0.0,
            ask_size: 0.0,
            centre_px: nan,
            reservation_px: nan,
            bid_depth_bps: nan,
            ask_depth_bps: nan,
            half_spread_bps: nan,
            glft_half_spread_bps: nan,
            c1_bps: nan,
            vol_term_bps: nan,
            inventory_skew_bps: nan,
            directional_skew_bps: nan,
            spread_bps: nan,
            quoted_spread_bps: nan,
            kappa: nan,
            kappa_floored: nan,
            gamma: nan,
            kappa_multiplier: nan,
            spread_floor_bps: nan,
            max_inventory: nan,
            as_kappa_adjustment: nan,
            as_spread_premium_bps: nan,
            uncertainty_mult: nan,
            sigma_bps: nan,
            regime_probs: [nan; N_REGIMES],
            inputs,
            regime: 0,
            skip: 0,
            skip_field: 0,
            defensive: 0,
            clamped: 0,
        }
    }

    /// Whether the cycle produced a quote.
    #[must_use]
    pub fn quoted(&self) -> bool {
        self.skip == 0
    }

    /// The skip reason.
    #[must_use]
    pub fn skip_reason(&self) -> SkipReason {
        SkipReason::ALL.get(usize::from(self.skip)).copied().unwrap_or(SkipReason::BadOutput)
    }

    /// The quote to send, or `None` for a skipped cycle.
    #[must_use]
    pub fn quote_set(&self) -> Option<QuoteSet> {
        self.quoted().then(|| QuoteSet {
            bid_price: self.bid_px,
            ask_price: self.ask_px,
            bid_size: self.bid_size,
            ask_size: self.ask_size,
            regime: Regime::ALL[usize::from(self.regime) % N_REGIMES],
            kappa_used: self.kappa,
            gamma_used: self.gamma,
            spread_bps: self.spread_bps,
        })
    }
}
