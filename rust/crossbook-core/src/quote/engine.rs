//! `EnhancedQuoteEngine`: the quote cycle of seed § 3.7 (`generate_quotes`), step by step.
//!
//! | seed step | here |
//! |---|---|
//! | 1. update all models | outside: the models' outputs arrive in [`QuoteInputs`] |
//! | 2. log predictions | every cycle returns a [`QuoteRecord`] (also for skipped cycles) |
//! | 3. regime-blended parameters | [`RegimeTable::blend`] (or the most likely row when blending is off) |
//! | 4. cascade check → defensive quotes | the cascade flag switches the defensive adjustments of steps 9 and 12 on |
//! | 5. lead-lag adjusted micro-price | the quote centre: `ll_microprice` input (else micro-price, else mid) |
//! | 6. fill-intensity κ | `kappa` input floored at `kappa_floor` (the seed floors inside `intensity_to_kappa`) |
//! | 7. adverse-selection adjustment | κ × max(1 − informed% · discount, 0.3) × regime κ multiplier |
//! | 8. GLFT half-spread | c₁ = (1/γ)·ln(1 + γ/κ) [+ σc₂/2, Guéant] + maker fee [+ informed premium] |
//! | 9. floor and uncertainty premium | max(half, floor) × uncertainty multiplier; defensive: max(·, 50 bps) × widen |
//! | 10. inventory skew | q·σ·c₂ with q in lots (Guéant 2017 eqs. 4.6–4.7, see [`super::glft`]) |
//! | 11. directional skew | `ll_skew_bps` input, clamped to ±`max_directional_skew_bps` |
//! | 12. final quotes | depths h ± skews around the centre; sizes from the inventory limit; tick rounding; never cross |
//!
//! Where the seed is a sketch we do what a market maker would, and say so:
//! - **Defensive quotes** (seed: `generate_defensive_quotes`, undefined): the normal quotes, with the
//!   half-spread at least `defensive_floor_bps` (the cascade row's floor) times `defensive_widen`,
//!   sizes × `defensive_size_mult`, and with inventory only the side that reduces it
//!   (`defensive_reduce_only`).
//! - **Uncertainty multiplier** (seed: `compute_uncertainty_multiplier`, undefined):
//!   `1 + warm-up + kappa_cv_weight·min(κ CV, 1) + entropy_weight·H(regime probs)/ln 4`, at most
//!   `max_uncertainty_mult`; the warm-up term starts at `warmup_mult − 1` at the first valid cycle and
//!   falls linearly to 0 over `warmup_s`.
//! - **Sizes** (seed: `compute_bid_size(max_inventory)`): with Q the blended limit, the side that adds
//!   to |q| quotes `order_size·(1 − |q|/Q)` (never past Q) and nothing at or beyond Q; the other side
//!   quotes `order_size`, capped so that a fill cannot pass the opposite limit. Sizes round down to
//!   `lot_size`.
//! - **Rounding and never cross**: the bid rounds down and the ask up to the tick grid (away from the
//!   centre), then bid <= best ask − tick and ask >= best bid + tick, so both are post-only safe; the
//!   half-spread is at least half a tick, so bid < ask always.
//! - **Bad inputs**: a cycle whose used inputs are NaN/infinite or out of range, a crossed book, a
//!   price off the tick grid or a clock going backwards is skipped, counted, and recorded with the
//!   reason; inputs of switched-off components are not used and not checked. No NaN quote is emitted.

use super::config::QuoteParams;
use super::glft::{self, Glft};
use super::params::{most_likely, normalise_probs, normalised_entropy, N_REGIMES};
use super::records::{Field, QuoteInputs, QuoteRecord, SkipReason, CLAMP_ASK, CLAMP_BID, N_SKIP};
use crate::error::Result;

/// bps per unit of relative price
const BPS: f64 = 1e4;
/// tolerance (in ticks) for prices computed in floating point to sit on the grid
const GRID_EPS: f64 = 1e-6;

type Skip = (SkipReason, Field);

#[inline]
fn finite(v: f64, field: Field) -> std::result::Result<f64, Skip> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err((SkipReason::NonFinite, field))
    }
}

#[inline]
fn check(ok: bool, field: Field) -> std::result::Result<(), Skip> {
    if ok {
        Ok(())
    } else {
        Err((SkipReason::OutOfRange, field))
    }
}

/// A price as a whole number of ticks, or `OffTick`.
#[inline]
fn on_grid(px: f64, tick: f64, field: Field) -> std::result::Result<f64, Skip> {
    let n = px / tick;
    let r = n.round();
    if (n - r).abs() <= GRID_EPS {
        Ok(r)
    } else {
        Err((SkipReason::OffTick, field))
    }
}

/// Size of the side whose fill moves inventory from `q_toward` to `q_toward + size` (bid: q, ask: −q).
#[inline]
fn side_size(q_toward: f64, order_size: f64, max_inv: f64) -> f64 {
    let room = max_inv - q_toward;
    if room <= 0.0 {
        return 0.0;
    }
    let base = if q_toward > 0.0 { order_size * (1.0 - q_toward / max_inv) } else { order_size };
    base.min(room).max(0.0)
}

#[inline]
fn round_lot(size: f64, lot: f64) -> f64 {
    if lot > 0.0 {
        (size / lot + 1e-9).floor() * lot
    } else {
        size
    }
}

/// The quote engine. Stateful only in its counters, the warm-up start and the last cycle time, so a
/// backtest that feeds the same inputs gets the same records.
#[derive(Debug, Clone)]
pub struct EnhancedQuoteEngine {
    params: QuoteParams,
    cycles: u64,
    counts: [u64; N_SKIP],
    last_t: Option<i64>,
    t0: Option<i64>,
}

impl EnhancedQuoteEngine {
    /// An engine with validated parameters.
    ///
    /// # Errors
    /// [`crate::CoreError::InvalidInput`] naming the first bad parameter.
    pub fn new(params: QuoteParams) -> Result<Self> {
        params.validate()?;
        Ok(Self { params, cycles: 0, counts: [0; N_SKIP], last_t: None, t0: None })
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &QuoteParams {
        &self.params
    }

    /// Cycles run (quoted and skipped).
    #[must_use]
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Cycles per [`SkipReason`] code; index 0 counts the quoted cycles.
    #[must_use]
    pub fn counts(&self) -> &[u64; N_SKIP] {
        &self.counts
    }

    /// Forget the counters, the warm-up start and the clock.
    pub fn reset(&mut self) {
        *self = Self { params: self.params, cycles: 0, counts: [0; N_SKIP], last_t: None, t0: None };
    }

    /// One quote cycle (seed `generate_quotes`). Never panics and never returns a NaN quote: a cycle
    /// that cannot quote returns a record with `skip != 0`.
    pub fn generate_quotes(&mut self, inp: &QuoteInputs) -> QuoteRecord {
        let mut rec = QuoteRecord::empty(self.cycles, *inp);
        self.cycles += 1;
        match self.cycle(inp, &mut rec) {
            Ok(()) => self.counts[0] += 1,
            Err((reason, field)) => {
                rec.skip = reason as u8;
                rec.skip_field = field as u8;
                (rec.bid_px, rec.ask_px, rec.bid_size, rec.ask_size) = (f64::NAN, f64::NAN, 0.0, 0.0);
                self.counts[reason as usize] += 1;
            }
        }
        rec
    }

    /// The uncertainty multiplier (see the module docs).
    fn uncertainty(&self, t_ns: i64, kappa_cv: f64, probs: &[f64; N_REGIMES]) -> f64 {
        let p = &self.params;
        let elapsed_s = self.t0.map_or(0.0, |t0| (t_ns - t0) as f64 * 1e-9);
        let warm = if p.warmup_s > 0.0 { (p.warmup_mult - 1.0) * (1.0 - elapsed_s / p.warmup_s).max(0.0) } else { 0.0 };
        let m = 1.0 + warm + p.kappa_cv_weight * kappa_cv.min(1.0) + p.entropy_weight * normalised_entropy(probs);
        m.min(p.max_uncertainty_mult)
    }

    #[allow(clippy::too_many_lines)] // the seed's twelve steps, in order, read best in one place
    fn cycle(&mut self, inp: &QuoteInputs, rec: &mut QuoteRecord) -> std::result::Result<(), Skip> {
        let p = self.params;
        let c = p.components;

        // ---- inputs: the clock, the book, then what the enabled components use
        if self.last_t.is_some_and(|t| inp.t_ns < t) {
            return Err((SkipReason::TimeBackwards, Field::Time));
        }
        self.last_t = Some(inp.t_ns);
        let tick = finite(inp.tick, Field::Tick)?;
        check(tick > 0.0, Field::Tick)?;
        let best_bid = finite(inp.best_bid, Field::BestBid)?;
        let best_ask = finite(inp.best_ask, Field::BestAsk)?;
        check(best_bid > 0.0, Field::BestBid)?;
        check(best_ask > 0.0, Field::BestAsk)?;
        if best_bid >= best_ask {
            return Err((SkipReason::CrossedBook, Field::BestBid));
        }
        let bid_ticks_book = on_grid(best_bid, tick, Field::BestBid)?;
        let ask_ticks_book = on_grid(best_ask, tick, Field::BestAsk)?;
        let q = finite(inp.inventory, Field::Inventory)?;
        for v in inp.regime_probs {
            finite(v, Field::RegimeProbs)?;
        }
        let probs = normalise_probs(&inp.regime_probs).ok_or((SkipReason::OutOfRange, Field::RegimeProbs))?;
        let kappa_in = finite(inp.kappa, Field::Kappa)?;
        let need_glft = c.inventory_skew || c.glft_vol_term;
        if need_glft {
            check(finite(inp.sigma2_per_s, Field::Sigma2)? >= 0.0, Field::Sigma2)?;
            check(finite(inp.a, Field::A)? > 0.0, Field::A)?;
        }
        if c.adverse_selection {
            check(
                (0.0..=1.0).contains(&finite(inp.informed_fraction, Field::InformedFraction)?),
                Field::InformedFraction,
            )?;
        }
        if c.uncertainty {
            check(finite(inp.kappa_cv, Field::KappaCv)? >= 0.0, Field::KappaCv)?;
        }
        let ll_skew = if c.leadlag_skew { finite(inp.ll_skew_bps, Field::LlSkew)? } else { 0.0 };
        // step 5 (inputs): the quote centre
        let (centre, centre_field) = if c.leadlag_center {
            (inp.ll_microprice, Field::LlMicroprice)
        } else if c.microprice {
            (inp.microprice, Field::Microprice)
        } else {
            (inp.mid, Field::Mid)
        };
        check(finite(centre, centre_field)? > 0.0, centre_field)?;
        self.t0.get_or_insert(inp.t_ns);
        rec.regime_probs = probs;
        rec.regime = most_likely(&probs) as u8;
        rec.centre_px = centre;

        // ---- step 3: regime-blended parameters
        let regime = if c.regime_blend { p.regimes.blend(&probs) } else { p.regimes.get(most_likely(&probs)) };
        let gamma = regime.gamma;
        rec.gamma = gamma;
        rec.kappa_multiplier = regime.kappa_multiplier;
        rec.spread_floor_bps = regime.spread_floor_bps;
        let max_inv = regime.max_inventory * p.inventory_scale;
        rec.max_inventory = max_inv;

        // ---- step 4: liquidation cascade → defensive quotes
        let defensive = c.defensive && inp.cascade;
        rec.defensive = u8::from(defensive);

        // ---- steps 6–7: κ from the fill-intensity input, floored, adjusted for adverse selection and regime
        let kappa_floored = kappa_in.max(p.kappa_floor);
        let informed_pct = inp.informed_fraction * 100.0;
        let as_adj = if c.adverse_selection {
            (1.0 - informed_pct * p.as_kappa_discount_per_pct).max(p.as_kappa_min)
        } else {
            1.0
        };
        let kappa = kappa_floored * as_adj * regime.kappa_multiplier;
        rec.kappa_floored = kappa_floored;
        rec.as_kappa_adjustment = as_adj;
        rec.kappa = kappa;

        // ---- step 8: GLFT half-spread + maker fee
        let sigma_bps = inp.sigma2_per_s.sqrt() * BPS;
        rec.sigma_bps = sigma_bps;
        let coeffs = if need_glft { Some(Glft::new(gamma, kappa, inp.a, sigma_bps)) } else { None };
        let c1 = coeffs.map_or_else(|| glft::c1(gamma, kappa), |g| g.c1);
        let vol_term = match coeffs {
            Some(g) if c.glft_vol_term => g.vol_term,
            _ => 0.0,
        };
        let fee = if c.maker_fee { p.maker_fee_bps } else { 0.0 };
        let premium = if c.adverse_selection { informed_pct * p.as_spread_premium_bps_per_pct } else { 0.0 };
        let glft_half = c1 + vol_term + fee + premium;
        rec.c1_bps = c1;
        rec.vol_term_bps = vol_term;
        rec.as_spread_premium_bps = premium;
        rec.glft_half_spread_bps = glft_half;

        // ---- step 9: floor and uncertainty premium (and the defensive widening)
        let mut half = if c.spread_floor { glft_half.max(regime.spread_floor_bps) } else { glft_half };
        let unc = if c.uncertainty { self.uncertainty(inp.t_ns, inp.kappa_cv, &probs) } else { 1.0 };
        half *= unc;
        if defensive {
            half = half.max(p.defensive_floor_bps) * p.defensive_widen;
        }
        half = half.max(0.5 * tick / centre * BPS);
        rec.uncertainty_mult = unc;
        rec.half_spread_bps = half;

        // ---- step 10: inventory skew (q in lots of order_size)
        let inv_skew = match coeffs {
            Some(g) if c.inventory_skew => q / p.order_size * g.skew_per_lot,
            _ => 0.0,
        };
        rec.inventory_skew_bps = inv_skew;

        // ---- step 11: lead-lag directional skew
        let dir = ll_skew.clamp(-p.max_directional_skew_bps, p.max_directional_skew_bps);
        rec.directional_skew_bps = dir;

        // ---- step 12: quotes
        let bid_depth = half + inv_skew - dir;
        let ask_depth = half - inv_skew + dir;
        rec.bid_depth_bps = bid_depth;
        rec.ask_depth_bps = ask_depth;
        rec.spread_bps = bid_depth + ask_depth;
        rec.reservation_px = centre * (1.0 - (inv_skew - dir) / BPS);
        let bid_raw = centre * (1.0 - bid_depth / BPS);
        let ask_raw = centre * (1.0 + ask_depth / BPS);
        let mut bid_t = (bid_raw / tick + GRID_EPS).floor();
        let mut ask_t = (ask_raw / tick - GRID_EPS).ceil();
        if bid_t > ask_ticks_book - 1.0 {
            bid_t = ask_ticks_book - 1.0;
            rec.clamped |= CLAMP_BID;
        }
        if ask_t < bid_ticks_book + 1.0 {
            ask_t = bid_ticks_book + 1.0;
            rec.clamped |= CLAMP_ASK;
        }
        if !(bid_t.is_finite() && ask_t.is_finite() && bid_t >= 1.0 && bid_t < ask_t) {
            return Err((SkipReason::BadOutput, Field::Output));
        }
        rec.bid_px = bid_t * tick;
        rec.ask_px = ask_t * tick;
        rec.quoted_spread_bps = (rec.ask_px - rec.bid_px) / centre * BPS;

        // sizes from the inventory limit
        let (mut bid_size, mut ask_size) = if c.size_limits {
            (side_size(q, p.order_size, max_inv), side_size(-q, p.order_size, max_inv))
        } else {
            (p.order_size, p.order_size)
        };
        if defensive {
            bid_size *= p.defensive_size_mult;
            ask_size *= p.defensive_size_mult;
            if p.defensive_reduce_only {
                if q > 0.0 {
                    bid_size = 0.0;
                } else if q < 0.0 {
                    ask_size = 0.0;
                }
            }
        }
        rec.bid_size = round_lot(bid_size, p.lot_size);
        rec.ask_size = round_lot(ask_size, p.lot_size);
        if !(rec.bid_px.is_finite() && rec.ask_px.is_finite() && rec.bid_size >= 0.0 && rec.ask_size >= 0.0) {
            return Err((SkipReason::BadOutput, Field::Output));
        }
        Ok(())
    }
}

/// Run the engine over a sequence of cycles.
pub fn run(engine: &mut EnhancedQuoteEngine, inputs: &[QuoteInputs]) -> Vec<QuoteRecord> {
    inputs.iter().map(|inp| engine.generate_quotes(inp)).collect()
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
