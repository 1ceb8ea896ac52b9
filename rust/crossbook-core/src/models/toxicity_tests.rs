//! Hand-computed trade features and labels.

use super::toxicity::{label_trades, LabelConfig, INFORMED, LIQUIDATION, NOISE};
use super::toxicity_features::{trade_features, FeatureConfig, FeatureInputs, Quotes, Ticker, Trades};

const MS: i64 = 1_000_000;

fn run(ticker: Option<Ticker<'_>>, f: impl FnOnce(&FeatureInputs<'_>)) {
    let t = [1000 * MS, 1500 * MS, 1600 * MS, 12_000 * MS];
    let trades =
        Trades { t_ns: &t, px: &[100.0, 100.1, 99.9, 100.0], qty: &[1.0, 2.0, 1.0, 4.0], aggressor: &[1, 1, -1, 1] };
    let qt = [0, 1550 * MS, 11_000 * MS];
    let own = Quotes {
        t_ns: &qt,
        bid: &[99.95, 100.0, 100.5],
        bid_qty: &[3.0, 1.0, 1.0],
        ask: &[100.05, 100.2, 100.7],
        ask_qty: &[5.0, 1.0, 1.0],
    };
    let inp = FeatureInputs { trades, own, reference: None, ticker, liquidations: &[1400 * MS] };
    f(&inp);
}

#[test]
fn features_hand_computed() {
    run(None, |inp| {
        let f = trade_features(inp, &FeatureConfig::default()).unwrap();
        assert_eq!(f[0].time_since_last_trade_ms, 60_000.0);
        assert_eq!(f[0].size_quantile, 0.5);
        assert!(!f[0].near_liquidation_price);
        let b = f[1];
        assert!((b.crossed_spread_bps - 10.0).abs() < 1e-9);
        assert!((b.book_imbalance_at_trade + 0.25).abs() < 1e-12);
        assert!((b.depth_consumed_pct - 40.0).abs() < 1e-12);
        assert_eq!((b.trades_in_last_1s, b.trades_in_last_10s), (1, 1));
        assert_eq!(b.time_since_last_trade_ms, 500.0);
        assert_eq!(b.signed_volume_imbalance_1s, 1.0);
        assert_eq!(b.size_quantile, 1.0);
        assert!(b.near_liquidation_price); // print at 1.4 s, within the last second
        let c = f[2];
        assert!((c.crossed_spread_bps - 0.2 / 100.1 * 1e4).abs() < 1e-9);
        assert!((c.signed_volume_imbalance_1s + 0.5).abs() < 1e-12);
        assert!((c.depth_consumed_pct - 100.0).abs() < 1e-12);
        assert_eq!(c.book_imbalance_at_trade, 0.0);
        // z-score of ln 1 against ln 1, ln 2: mean ln2/2, std ln2/2 → −1
        assert!((c.size_zscore + 1.0).abs() < 1e-12);
        let d = f[3];
        assert_eq!((d.trades_in_last_1s, d.trades_in_last_10s), (0, 0));
        assert_eq!(d.time_since_last_trade_ms, 10_400.0);
        assert!(!d.near_liquidation_price);
        assert_eq!(d.to_row().len(), 17);
    });
}

#[test]
fn labels_follow_the_seed_rules() {
    run(None, |inp| {
        // buys before the mid rises 60 bps are informed; the sell and the last trade are noise
        let l = label_trades(inp, &LabelConfig::default()).unwrap();
        assert_eq!(l, vec![INFORMED, INFORMED, NOISE, NOISE]);
        // a 61 bps threshold turns them into noise
        let cfg = LabelConfig { informed_bps: 61.0, ..LabelConfig::default() };
        assert_eq!(label_trades(inp, &cfg).unwrap(), vec![NOISE; 4]);
    });
    // OI falls 1 % around the trades; funding constant: not extreme under the seed rule
    let tt = [-40_000 * MS, 31_000 * MS, 60_000 * MS];
    let ticker = Ticker { t_ns: &tt, funding: &[1e-4, 1e-4, 1e-4], oi: &[100.0, 99.0, 99.0] };
    run(Some(ticker), |inp| {
        assert_eq!(label_trades(inp, &LabelConfig::default()).unwrap()[0], INFORMED);
        let oi_only = LabelConfig { require_funding_extreme: false, ..LabelConfig::default() };
        let l = label_trades(inp, &oi_only).unwrap();
        // 1 s ± 30 s spans the −40 s and 31 s rows: −1 %; so does the 12 s trade's [−18 s, 42 s]
        assert_eq!(l, vec![LIQUIDATION, LIQUIDATION, LIQUIDATION, LIQUIDATION]);
    });
    // a rising funding rate: the one in force at the first trade is the highest of the 10 so far
    // (percentile rank 0.95 >= 0.9: extreme), and OI falls 1 %: the seed's rule fires
    let tt: Vec<i64> = (0..10).map(|k| (k - 9) * 4_000 * MS).chain([31_000 * MS]).collect();
    let fr: Vec<f64> = (0..11).map(|k| f64::from(k) * 1e-5).collect();
    let oi: Vec<f64> = (0..11).map(|k| if k < 10 { 100.0 } else { 99.0 }).collect();
    let ticker = Ticker { t_ns: &tt, funding: &fr, oi: &oi };
    run(Some(ticker), |inp| {
        let l = label_trades(inp, &LabelConfig::default()).unwrap();
        assert_eq!(l[0], LIQUIDATION, "{l:?}");
    });
}

#[test]
fn unsorted_trades_are_refused() {
    let t = [2 * MS, MS];
    let inp = FeatureInputs {
        trades: Trades { t_ns: &t, px: &[1.0, 1.0], qty: &[1.0, 1.0], aggressor: &[1, 1] },
        own: Quotes { t_ns: &[], bid: &[], bid_qty: &[], ask: &[], ask_qty: &[] },
        reference: None,
        ticker: None,
        liquidations: &[],
    };
    let e = trade_features(&inp, &FeatureConfig::default()).unwrap_err().to_string();
    assert!(e.contains("trades: times must be non-decreasing (row 1)"), "{e}");
}
