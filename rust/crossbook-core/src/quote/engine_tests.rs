use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::quote::config::Components;
use crate::quote::params::Regime;
use crate::quote::records::{QuoteSet, CLAMP_ASK, CLAMP_BID};

const S: i64 = 1_000_000_000;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// A BTC-like book: tick 0.1, one-tick spread, σ = 1 bp/√s, κ = 1/bp, A = 1/s, 10 % informed flow.
fn inputs() -> QuoteInputs {
    QuoteInputs {
        t_ns: 0,
        mid: 60_000.05,
        microprice: 60_000.06,
        ll_microprice: 60_000.08,
        ll_skew_bps: 1.0,
        best_bid: 60_000.0,
        best_ask: 60_000.1,
        tick: 0.1,
        inventory: 0.05,
        regime_probs: [1.0, 0.0, 0.0, 0.0],
        sigma2_per_s: 1e-8,
        kappa: 1.0,
        a: 1.0,
        informed_fraction: 0.1,
        kappa_cv: 0.0,
        cascade: false,
    }
}

/// Defaults without the warm-up (the multiplier is 1 for a one-hot regime and κ CV 0).
fn params() -> QuoteParams {
    QuoteParams { warmup_s: 0.0, ..QuoteParams::default() }
}

fn engine(p: QuoteParams) -> EnhancedQuoteEngine {
    EnhancedQuoteEngine::new(p).unwrap()
}

fn one(p: QuoteParams, inp: QuoteInputs) -> QuoteRecord {
    engine(p).generate_quotes(&inp)
}

#[test]
fn full_cycle_by_hand() {
    // floor off so the GLFT half-spread shows: quiet γ = 0.3; κ = 1 × (1 − 10 % · 0.01/pct) × 1 = 0.9
    let mut p = params();
    p.components.spread_floor = false;
    let r = one(p, inputs());
    assert!(r.quoted(), "{:?}", r.skip_reason());
    assert_eq!(r.gamma, 0.3);
    assert!(close(r.as_kappa_adjustment, 0.9, 1e-15));
    assert!(close(r.kappa, 0.9, 1e-15));
    assert!(close(r.c1_bps, 0.958_940_241_505_936_4, 1e-12)); // ln(1 + 1/3)/0.3
    let c2 = 0.725_774_738_602_423; // sqrt(0.3/1.8 · (4/3)^4)
    assert!(close(r.vol_term_bps, 0.5 * c2, 1e-12));
    assert!(close(r.glft_half_spread_bps, 3.321_827_610_807_148, 1e-12)); // c1 + σc2/2 + 2 bps fee
    assert_eq!(r.uncertainty_mult, 1.0);
    assert!(close(r.half_spread_bps, r.glft_half_spread_bps, 1e-15));
    // q = 0.05 / 0.1 = half a lot → skew σ c2 / 2; directional skew 1 bp
    assert!(close(r.inventory_skew_bps, 0.5 * c2, 1e-12));
    assert_eq!(r.directional_skew_bps, 1.0);
    assert!(close(r.bid_depth_bps, 2.684_714_980_108_359_4, 1e-12));
    assert!(close(r.ask_depth_bps, 3.958_940_241_505_936_3, 1e-12));
    assert!(close(r.spread_bps, 2.0 * r.half_spread_bps, 1e-12));
    // centre = lead-lag micro-price; the bid rounds down (59 983.9717 → 59 983.9), the ask up
    assert_eq!(r.centre_px, 60_000.08);
    assert!(close(r.bid_px, 59_983.9, 1e-9), "{}", r.bid_px);
    assert!(close(r.ask_px, 60_023.9, 1e-9), "{}", r.ask_px);
    assert!(close(r.reservation_px, 60_000.08 * (1.0 - (0.5 * c2 - 1.0) / 1e4), 1e-9));
    assert!(close(r.quoted_spread_bps, 40.0 / 60_000.08 * 1e4, 1e-9));
    // sizes: the bid adds to a long → 0.1 · (1 − 0.05/1.0); the ask reduces it → full size
    assert!(close(r.bid_size, 0.095, 1e-15));
    assert_eq!(r.ask_size, 0.1);
    assert_eq!((r.regime, r.defensive, r.clamped, r.cycle), (0, 0, 0, 0));
    let qs: QuoteSet = r.quote_set().unwrap();
    assert_eq!((qs.bid_price, qs.ask_size, qs.regime, qs.gamma_used), (r.bid_px, 0.1, Regime::Quiet, 0.3));
}

#[test]
fn regime_probabilities_blend_the_table() {
    let mut inp = inputs();
    inp.regime_probs = [2.0, 1.0, 0.0, 1.0]; // normalised to 0.5 / 0.25 / 0 / 0.25
    let r = one(params(), inp);
    assert_eq!(r.regime_probs, [0.5, 0.25, 0.0, 0.25]);
    assert!(close(r.gamma, 0.775, 1e-12));
    assert!(close(r.kappa_multiplier, 1.925, 1e-12));
    assert!(close(r.spread_floor_bps, 17.5, 1e-12));
    assert!(close(r.max_inventory, 0.65, 1e-12));
    assert!(close(r.kappa, 0.9 * 1.925, 1e-12));
    // blending off: the most likely regime's row
    let mut p = params();
    p.components.regime_blend = false;
    p.inventory_scale = 2.0;
    let r = one(p, inp);
    assert_eq!((r.gamma, r.kappa_multiplier, r.spread_floor_bps, r.max_inventory), (0.3, 1.0, 5.0, 2.0));
}

#[test]
fn floor_and_uncertainty_multiplier() {
    // defaults: GLFT half 3.32 bps < quiet floor 5 bps
    let mut e = engine(QuoteParams::default());
    let mut inp = inputs();
    let r0 = e.generate_quotes(&inp);
    assert_eq!(r0.uncertainty_mult, 2.0); // warm-up starts at warmup_mult
    assert!(close(r0.half_spread_bps, 10.0, 1e-12));
    inp.t_ns = 30 * S;
    let r = e.generate_quotes(&inp);
    assert!(close(r.uncertainty_mult, 1.5, 1e-12)); // half-way through 60 s
    inp.t_ns = 90 * S;
    let r = e.generate_quotes(&inp);
    assert_eq!(r.uncertainty_mult, 1.0);
    assert!(close(r.half_spread_bps, 5.0, 1e-12));
    // κ CV (capped at 1) and regime entropy add 0.5 each at full weight
    inp.kappa_cv = 4.0;
    assert!(close(e.generate_quotes(&inp).uncertainty_mult, 1.5, 1e-12));
    inp.regime_probs = [0.25; 4];
    let r = e.generate_quotes(&inp);
    assert!(close(r.uncertainty_mult, 2.0, 1e-12));
    assert!(close(r.half_spread_bps, 2.0 * r.glft_half_spread_bps.max(r.spread_floor_bps), 1e-9));
    // the cap
    let mut p = QuoteParams { max_uncertainty_mult: 1.2, ..QuoteParams::default() };
    p.kappa_cv_weight = 5.0;
    assert_eq!(one(p, inp).uncertainty_mult, 1.2);
    // a floor above everything else sets the half-spread
    let mut p = params();
    p.regimes.quiet.spread_floor_bps = 12.0;
    assert!(close(one(p, inputs()).half_spread_bps, 12.0, 1e-12));
}

#[test]
fn inventory_limits_zero_the_right_side() {
    let size = |q: f64, lot: f64| {
        let mut inp = inputs();
        inp.inventory = q;
        let r = one(QuoteParams { lot_size: lot, ..params() }, inp);
        assert!(r.quoted());
        (r.bid_size, r.ask_size)
    };
    assert_eq!(size(1.0, 0.0), (0.0, 0.1)); // long at the limit: no bid
    assert_eq!(size(1.3, 0.0), (0.0, 0.1)); // beyond it
    assert_eq!(size(-1.0, 0.0), (0.1, 0.0)); // short at the limit: no ask
    assert_eq!(size(0.0, 0.0), (0.1, 0.1));
    let (b, a) = size(0.5, 0.0);
    assert!(close(b, 0.05, 1e-15) && a == 0.1);
    let (b, a) = size(-0.97, 0.0); // the ask is capped by the room left (0.03) and shrunk (0.003)
    assert!(close(b, 0.1, 1e-15) && close(a, 0.003, 1e-12), "{b} {a}");
    assert_eq!(size(-0.97, 0.01), (0.1, 0.0)); // below one lot after rounding
    assert_eq!(size(0.95, 0.001).0, 0.005);
    // the blended limit moves with the regime: volatile's 0.3
    let mut inp = inputs();
    inp.inventory = 0.3;
    inp.regime_probs = [0.0, 0.0, 1.0, 0.0];
    let r = one(params(), inp);
    assert_eq!((r.bid_size, r.ask_size, r.max_inventory), (0.0, 0.1, 0.3));
    // switched off: always the order size
    let mut p = params();
    p.components.size_limits = false;
    let mut inp = inputs();
    inp.inventory = 5.0;
    let r = one(p, inp);
    assert_eq!((r.bid_size, r.ask_size), (0.1, 0.1));
}

#[test]
fn cascade_flag_gives_defensive_quotes() {
    let mut inp = inputs();
    inp.cascade = true;
    inp.inventory = 0.3;
    let normal = one(params(), QuoteInputs { cascade: false, ..inp });
    let r = one(params(), inp);
    assert_eq!(r.defensive, 1);
    assert!(close(r.half_spread_bps, 75.0, 1e-12)); // max(5, 50) × 1.5
    assert!(r.bid_px < normal.bid_px && r.ask_px > normal.ask_px);
    assert_eq!(r.bid_size, 0.0); // long: only the reducing side
    assert!(close(r.ask_size, 0.05, 1e-15)); // 0.1 × 0.5
                                             // flat: both sides, half size
    inp.inventory = 0.0;
    let r = one(params(), inp);
    assert_eq!((r.bid_size, r.ask_size), (0.05, 0.05));
    // short: only the bid
    inp.inventory = -0.2;
    let r = one(params(), inp);
    assert_eq!(r.ask_size, 0.0);
    assert!(r.bid_size > 0.0);
    // switched off: the flag is ignored
    let mut p = params();
    p.components.defensive = false;
    let r = one(p, inp);
    let plain = one(p, QuoteInputs { cascade: false, ..inp });
    assert_eq!(format!("{r:?}").replace("cascade: true", "cascade: false"), format!("{plain:?}"));
}

#[test]
fn never_crosses_a_tight_book() {
    // a centre far above the book (the lead-lag micro-price expects a jump) would put the bid above the
    // best ask: it is pulled to best ask − tick
    let mut inp = inputs();
    inp.ll_microprice = 60_040.0;
    let r = one(params(), inp);
    assert_eq!(r.clamped, CLAMP_BID);
    assert!(close(r.bid_px, 60_000.0, 1e-9));
    assert!(r.ask_px > inp.best_bid);
    inp.ll_microprice = 59_960.0;
    let r = one(params(), inp);
    assert_eq!(r.clamped, CLAMP_ASK);
    assert!(close(r.ask_px, 60_000.1, 1e-9));
    // random books, centres, skews and inventories: always bid < best ask, ask > best bid, bid < ask,
    // on the grid, finite
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut e = engine(QuoteParams { maker_fee_bps: -1.0, ..params() });
    for _ in 0..5_000 {
        let mut inp = inputs();
        let tick = [0.01, 0.1, 0.5][rng.random_range(0..3)];
        let bid_t = rng.random_range(1_000.0f64..200_000.0).round();
        inp.tick = tick;
        inp.best_bid = bid_t * tick;
        inp.best_ask = (bid_t + rng.random_range(1..4) as f64) * tick;
        inp.ll_microprice = inp.best_bid * (1.0 + rng.random_range(-0.002..0.002));
        inp.ll_skew_bps = rng.random_range(-20.0..20.0);
        inp.inventory = rng.random_range(-2.0..2.0);
        inp.kappa = rng.random_range(0.0..50.0);
        inp.sigma2_per_s = rng.random_range(0.0..1e-6);
        let r = e.generate_quotes(&inp);
        assert!(r.quoted(), "{:?}", r.skip_reason());
        assert!(r.bid_px < inp.best_ask - 0.5 * tick && r.ask_px > inp.best_bid + 0.5 * tick, "{r:?}");
        assert!(r.bid_px < r.ask_px && r.bid_px > 0.0);
        for px in [r.bid_px, r.ask_px] {
            assert!(close(px / tick, (px / tick).round(), 1e-6));
        }
    }
    assert_eq!(e.counts()[0], 5_000);
}

#[test]
fn bad_inputs_skip_the_cycle_with_a_reason() {
    let mut e = engine(params());
    let cases: Vec<(QuoteInputs, SkipReason, Field)> = vec![
        (QuoteInputs { ll_microprice: f64::NAN, ..inputs() }, SkipReason::NonFinite, Field::LlMicroprice),
        (QuoteInputs { best_bid: f64::INFINITY, ..inputs() }, SkipReason::NonFinite, Field::BestBid),
        (QuoteInputs { sigma2_per_s: f64::NAN, ..inputs() }, SkipReason::NonFinite, Field::Sigma2),
        (QuoteInputs { kappa: f64::NAN, ..inputs() }, SkipReason::NonFinite, Field::Kappa),
        (QuoteInputs { inventory: f64::NAN, ..inputs() }, SkipReason::NonFinite, Field::Inventory),
        (QuoteInputs { ll_skew_bps: f64::NAN, ..inputs() }, SkipReason::NonFinite, Field::LlSkew),
        (
            QuoteInputs { regime_probs: [f64::NAN, 1.0, 0.0, 0.0], ..inputs() },
            SkipReason::NonFinite,
            Field::RegimeProbs,
        ),
        (QuoteInputs { regime_probs: [0.0; 4], ..inputs() }, SkipReason::OutOfRange, Field::RegimeProbs),
        (QuoteInputs { a: 0.0, ..inputs() }, SkipReason::OutOfRange, Field::A),
        (QuoteInputs { informed_fraction: 1.5, ..inputs() }, SkipReason::OutOfRange, Field::InformedFraction),
        (QuoteInputs { tick: 0.0, ..inputs() }, SkipReason::OutOfRange, Field::Tick),
        (QuoteInputs { best_bid: 60_000.1, ..inputs() }, SkipReason::CrossedBook, Field::BestBid),
        (QuoteInputs { best_bid: 60_000.03, ..inputs() }, SkipReason::OffTick, Field::BestBid),
    ];
    for (k, (inp, reason, field)) in cases.iter().enumerate() {
        let r = e.generate_quotes(inp);
        assert_eq!((r.skip_reason(), r.skip, r.skip_field), (*reason, *reason as u8, *field as u8), "case {k}");
        assert!(r.bid_px.is_nan() && r.ask_px.is_nan() && r.bid_size == 0.0 && r.ask_size == 0.0);
        assert!(r.quote_set().is_none());
        assert_eq!(r.cycle, k as u64);
    }
    // the clock: a cycle before the previous one is skipped and does not move the clock
    let ok = e.generate_quotes(&QuoteInputs { t_ns: 10, ..inputs() });
    assert!(ok.quoted());
    let back = e.generate_quotes(&QuoteInputs { t_ns: 5, ..inputs() });
    assert_eq!((back.skip_reason(), back.skip_field), (SkipReason::TimeBackwards, Field::Time as u8));
    assert!(e.generate_quotes(&QuoteInputs { t_ns: 10, ..inputs() }).quoted());
    let c = e.counts();
    assert_eq!(c, &[2, 7, 4, 1, 1, 1, 0]);
    assert_eq!(e.cycles(), 16);
    // inputs of switched-off components are not used, so NaN there does not skip
    let mut p = params();
    p.components.leadlag_center = false;
    p.components.leadlag_skew = false;
    p.components.adverse_selection = false;
    let inp = QuoteInputs { ll_microprice: f64::NAN, ll_skew_bps: f64::NAN, informed_fraction: f64::NAN, ..inputs() };
    let r = one(p, inp);
    assert!(r.quoted());
    assert_eq!(r.centre_px, 60_000.06);
    e.reset();
    assert_eq!((e.cycles(), e.counts()[1]), (0, 0));
}

/// Field-by-field differences between two records (Debug text of each named output).
fn differs(a: &QuoteRecord, b: &QuoteRecord) -> Vec<&'static str> {
    let pairs: [(&str, f64, f64); 22] = [
        ("bid_px", a.bid_px, b.bid_px),
        ("ask_px", a.ask_px, b.ask_px),
        ("bid_size", a.bid_size, b.bid_size),
        ("ask_size", a.ask_size, b.ask_size),
        ("centre_px", a.centre_px, b.centre_px),
        ("reservation_px", a.reservation_px, b.reservation_px),
        ("half_spread_bps", a.half_spread_bps, b.half_spread_bps),
        ("glft_half_spread_bps", a.glft_half_spread_bps, b.glft_half_spread_bps),
        ("c1_bps", a.c1_bps, b.c1_bps),
        ("vol_term_bps", a.vol_term_bps, b.vol_term_bps),
        ("inventory_skew_bps", a.inventory_skew_bps, b.inventory_skew_bps),
        ("directional_skew_bps", a.directional_skew_bps, b.directional_skew_bps),
        ("kappa", a.kappa, b.kappa),
        ("gamma", a.gamma, b.gamma),
        ("kappa_multiplier", a.kappa_multiplier, b.kappa_multiplier),
        ("spread_floor_bps", a.spread_floor_bps, b.spread_floor_bps),
        ("max_inventory", a.max_inventory, b.max_inventory),
        ("as_kappa_adjustment", a.as_kappa_adjustment, b.as_kappa_adjustment),
        ("as_spread_premium_bps", a.as_spread_premium_bps, b.as_spread_premium_bps),
        ("uncertainty_mult", a.uncertainty_mult, b.uncertainty_mult),
        ("bid_depth_bps", a.bid_depth_bps, b.bid_depth_bps),
        ("ask_depth_bps", a.ask_depth_bps, b.ask_depth_bps),
    ];
    pairs.iter().filter(|(_, x, y)| x.to_bits() != y.to_bits()).map(|(n, _, _)| *n).collect()
}

#[test]
fn each_switch_changes_only_what_it_should() {
    // a state where every component matters: premium on, uncertainty from κ CV, floor binding
    let base_p = QuoteParams { as_spread_premium_bps_per_pct: 0.1, ..params() };
    let inp = QuoteInputs { kappa_cv: 0.4, inventory: 0.5, ll_microprice: 60_000.38, ..inputs() };
    let base = one(base_p, inp);
    let off = |f: fn(&mut Components)| {
        let mut p = base_p;
        f(&mut p.components);
        differs(&base, &one(p, inp))
    };
    let quotes = ["bid_px", "ask_px", "half_spread_bps", "bid_depth_bps", "ask_depth_bps"];
    let with = |extra: &[&'static str]| {
        let mut v: Vec<&str> = extra.to_vec();
        v.extend(quotes);
        v.sort_unstable();
        v
    };
    let sorted = |mut v: Vec<&'static str>| {
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(off(|c| c.uncertainty = false)), with(&["uncertainty_mult"]));
    // with the floor binding, the fee and the volatility term only move the pre-floor half-spread
    assert_eq!(sorted(off(|c| c.maker_fee = false)), vec!["glft_half_spread_bps"]);
    assert_eq!(sorted(off(|c| c.glft_vol_term = false)), vec!["glft_half_spread_bps", "vol_term_bps"]);
    assert_eq!(sorted(off(|c| c.spread_floor = false)), with(&[]));
    assert_eq!(
        sorted(off(|c| c.adverse_selection = false)),
        with(&[
            "as_kappa_adjustment",
            "as_spread_premium_bps",
            "c1_bps",
            "glft_half_spread_bps",
            "inventory_skew_bps",
            "kappa",
            "reservation_px",
            "vol_term_bps"
        ])
        .into_iter()
        .filter(|n| *n != "half_spread_bps")
        .collect::<Vec<_>>()
    );
    assert_eq!(
        sorted(off(|c| c.inventory_skew = false)),
        sorted(vec!["bid_px", "ask_px", "bid_depth_bps", "ask_depth_bps", "inventory_skew_bps", "reservation_px"])
    );
    assert_eq!(
        sorted(off(|c| c.leadlag_skew = false)),
        sorted(vec!["bid_px", "ask_px", "bid_depth_bps", "ask_depth_bps", "directional_skew_bps", "reservation_px"])
    );
    assert_eq!(
        sorted(off(|c| c.leadlag_center = false)),
        sorted(vec!["bid_px", "ask_px", "centre_px", "reservation_px"])
    );
    assert_eq!(sorted(off(|c| c.size_limits = false)), vec!["bid_size"]);
    assert_eq!(off(|c| c.regime_blend = false), Vec::<&str>::new()); // one-hot: blend = the row
    assert_eq!(off(|c| c.defensive = false), Vec::<&str>::new()); // no cascade
                                                                  // the centre falls back to the micro-price, then to the mid
    let mut p = base_p;
    p.components.leadlag_center = false;
    assert_eq!(one(p, inp).centre_px, 60_000.06);
    p.components.microprice = false;
    assert_eq!(one(p, inp).centre_px, 60_000.05);
}

#[test]
fn same_inputs_same_records() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let stream: Vec<QuoteInputs> = (0..2_000)
        .map(|k| {
            let mut inp = inputs();
            inp.t_ns = k * 100_000_000;
            inp.inventory = rng.random_range(-1.5..1.5);
            inp.ll_skew_bps = rng.random_range(-8.0..8.0);
            inp.regime_probs = [rng.random(), rng.random(), rng.random(), rng.random()];
            inp.cascade = rng.random_range(0..20) == 0;
            inp.kappa = if rng.random_range(0..100) == 0 { f64::NAN } else { rng.random_range(0.1..5.0) };
            inp
        })
        .collect();
    let a = run(&mut engine(QuoteParams::default()), &stream);
    let b = run(&mut engine(QuoteParams::default()), &stream);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert!(a.iter().any(|r| !r.quoted()) && a.iter().any(|r| r.defensive == 1));
}
