//! Unit tests of the data.binance.vision CSV reader, on the documented example rows.

use super::*;
use crate::parse::OnError;

fn run(text: &str, kind: &str, symbol: Option<&str>) -> Result<Tables> {
    parse(text.as_bytes(), &Options { kind: Some(kind), symbol, ..Options::default() })
}

#[test]
fn book_ticker_with_and_without_header() {
    let row = "1,27077.3,19.35,27077.4,8.6,1684237787209,1684237787214\n";
    let header = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n";
    for text in [row.to_owned(), format!("{header}{row}")] {
        let t = run(&text, "bookTicker", Some("BTCUSDT")).unwrap();
        let b = &t.bbo;
        assert_eq!(b.seq, vec![1]);
        assert_eq!(b.bid_px, vec![2_707_730_000_000]);
        assert_eq!(b.bid_qty, vec![1_935_000_000]);
        assert_eq!(b.ask_px, vec![2_707_740_000_000]);
        assert_eq!(b.ask_qty, vec![860_000_000]);
        assert_eq!(b.ts_exchange, vec![1_684_237_787_209_000_000]);
        assert_eq!(b.ts_local, vec![1_684_237_787_214_000_000]);
        assert_eq!(t.symbols, vec!["BTCUSDT"]);
        assert_eq!(t.venues, vec!["binance-futures"]);
    }
}

#[test]
fn agg_trades_futures_and_spot_shapes() {
    let t = run(
        "100,50000.5,0.010,200,201,1687392000123,true\n101,50000.6,1,202,202,1687392000124,false\n",
        "aggTrades",
        Some("BTCUSDT"),
    )
    .unwrap();
    assert_eq!(t.trade.trade_id, vec![100, 101]);
    assert_eq!(t.trade.aggressor, vec![-1, 1]);
    assert_eq!(t.trade.px[0], 5_000_050_000_000);
    assert_eq!(t.trade.qty[0], 1_000_000);
    assert_eq!(t.trade.ts_local[0], 1_687_392_000_123_000_000);
    // spot: 8th is_best_match column, µs timestamps (2025+)
    let t = run("7,95000.1,0.5,9,9,1735689600123456,False,True\n", "aggTrades", Some("BTCUSDT")).unwrap();
    assert_eq!(t.trade.ts_exchange, vec![1_735_689_600_123_456_000]);
    assert_eq!(t.trade.aggressor, vec![1]);
}

#[test]
fn trades_metrics_funding() {
    let t = run("id,price,qty,quote_qty,time,is_buyer_maker\n5,100.5,2,201,1700000000000,true\n", "trades", Some("X"))
        .unwrap();
    assert_eq!((t.trade.trade_id[0], t.trade.px[0], t.trade.qty[0]), (5, 10_050_000_000, 200_000_000));
    let text = "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,\
        sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio\n\
        2025-10-07 00:00:00,BTCUSDT,100243.058,12494186585.40,0.69,1.82,0.56,1.15\n";
    let t = run(text, "metrics", None).unwrap();
    assert_eq!(t.symbols, vec!["BTCUSDT"]);
    assert_eq!(t.ticker.ts_local, vec![1_759_795_200_000_000_000]);
    assert_eq!(t.ticker.open_interest, vec![10_024_305_800_000]);
    assert!(t.ticker.funding_rate[0].is_nan());
    let t = run(
        "calc_time,funding_interval_hours,last_funding_rate\n1780272000001,8,0.00005703\n",
        "fundingRate",
        Some("BTCUSDT"),
    )
    .unwrap();
    assert_eq!(t.ticker.ts_exchange, vec![1_780_272_000_001_000_000]);
    assert!((t.ticker.funding_rate[0] - 0.000_057_03).abs() < 1e-15);
    assert_eq!(t.ticker.next_funding_ts, vec![MISSING_I64]);
}

#[test]
fn depth_rows() {
    let text = "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n\
        BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1\n\
        BTCUSDT,1667347199939,2098041693435,2098041696700,a,set,20472.80,0.000,2098041693400\n";
    let opts = Options { kind: Some("depth"), venue: Some("binance-delivery"), ..Options::default() };
    let t = parse(text.as_bytes(), &opts).unwrap();
    let b = &t.book;
    assert_eq!(b.side, vec![1, -1]);
    assert_eq!(b.is_snapshot, vec![true, false]);
    assert_eq!(b.seq_first, vec![2_098_021_528_332, 2_098_041_693_435]);
    assert_eq!(b.seq_last, vec![2_098_021_528_332, 2_098_041_696_700]);
    assert_eq!(b.seq_prev, vec![MISSING_I64, 2_098_041_693_400]);
    assert_eq!(b.qty, vec![177_000_000, 0]);
    assert_eq!(t.venues, vec!["binance-delivery"]);
    // headerless depth (first cell is a symbol, so only the name rule marks a header)
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(parse(body.as_bytes(), &opts).unwrap().book, t.book);
}

#[test]
fn options_and_errors() {
    assert!(matches!(run("1,2,3\n", "klines", Some("X")), Err(CoreError::InvalidInput(_))));
    assert!(matches!(run("1,8,0.1\n", "fundingRate", None), Err(CoreError::InvalidInput(_))));
    let text = "100,50000.5,0.010,200,201,1687392000123,true\n101,50000.5,0.010,200,201,1687392000123\n\
        102,NaN,0.010,200,201,1687392000123,true\n103,50000.5,-1,200,201,1687392000123,true\n\
        104,50000.5,1,200,201,1687392000123,maybe\n";
    let err = run(text, "aggTrades", Some("X")).unwrap_err();
    assert_eq!(
        err,
        CoreError::Malformed { line: 2, what: "aggTrades CSV row", msg: "expected 7 columns, got 6".into() }
    );
    let opts = Options { kind: Some("aggTrades"), symbol: Some("X"), on_error: OnError::Skip, venue: None };
    let t = parse(text.as_bytes(), &opts).unwrap();
    assert_eq!(t.trade.trade_id, vec![100]);
    let skipped: Vec<(u64, &str)> = t.skipped.iter().map(|s| (s.line, s.kind)).collect();
    assert_eq!(skipped, vec![(2, "malformed"), (3, "invalid_value"), (4, "invalid_value"), (5, "invalid_value")]);
    assert!(t.skipped[1].message.contains("\"price\""), "{}", t.skipped[1].message);
    let err = run("agg_trade_id,price\n1,2\n", "aggTrades", Some("X")).unwrap_err();
    assert!(matches!(err, CoreError::Malformed { line: 1, what: "Binance CSV header", .. }), "{err:?}");
}
