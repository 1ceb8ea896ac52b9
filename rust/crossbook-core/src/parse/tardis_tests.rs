//! Unit tests of the Tardis CSV reader (hand-built rows; the real fixtures are read in pytest).

use super::*;
use crate::parse::OnError;

fn run(text: &str) -> Result<Tables> {
    parse(text.as_bytes(), &Options::default())
}

const QUOTES: &str = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n\
    binance-futures,BTCUSDT,1582329601096000,1582329603502092,0.84,9682,9681.92,0.67\r\n\
    binance-futures,BTCUSDT,1582329603401000,1582329603522418,,,9681.83,0.003\n";

#[test]
fn quotes_rows_and_missing_cells() {
    let t = run(QUOTES).unwrap();
    assert_eq!(t.symbols, vec!["BTCUSDT"]);
    assert_eq!(t.venues, vec!["binance-futures"]);
    assert_eq!(t.bbo.ts_exchange, vec![1_582_329_601_096_000_000, 1_582_329_603_401_000_000]);
    assert_eq!(t.bbo.ts_local[0], 1_582_329_603_502_092_000);
    assert_eq!(t.bbo.ask_px, vec![968_200_000_000, MISSING_I64]);
    assert_eq!(t.bbo.ask_qty, vec![84_000_000, MISSING_I64]);
    assert_eq!(t.bbo.bid_px, vec![968_192_000_000, 968_183_000_000]);
    assert_eq!(t.bbo.bid_qty, vec![67_000_000, 300_000]);
    assert_eq!(t.bbo.seq, vec![MISSING_I64, MISSING_I64]);
    assert_eq!(t.lines, 3);
}

#[test]
fn trades_sides_and_hashed_ids() {
    let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        bitmex,XBTUSD,1583020803145,1583020803307,ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf,sell,8531.5,2152\n\
        bitmex,XBTUSD,1583020803276,1583020803336,42,buy,8531.5,1\n\
        bitmex,XBTUSD,1583020803276,1583020803336,,unknown,8532,1\n";
    let t = run(text).unwrap();
    assert_eq!(t.trade.aggressor, vec![-1, 1, 0]);
    assert_eq!(t.trade.trade_id[0], crate::tables::hash_id(b"ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf"));
    assert_eq!(t.trade.trade_id[1..], [42, MISSING_I64]);
    // ms timestamps detected by magnitude
    assert_eq!(t.trade.ts_exchange[0], 1_583_020_803_145_000_000);
    assert_eq!(t.trade.qty[0], 215_200_000_000);
}

#[test]
fn liquidations_need_the_kind() {
    let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        binance-futures,BTCUSDT,1,1600000000000000,x1,sell,10000.5,0.25\n\
        binance-futures,BTCUSDT,1,1600000000000001,x2,buy,10001,1\n";
    let opts = Options { kind: Some("liquidations"), ..Options::default() };
    let t = parse(text.as_bytes(), &opts).unwrap();
    assert_eq!(t.trade.ts_local.len(), 0);
    assert_eq!(t.liquidation.side, vec![-1, 1]);
    assert_eq!(t.liquidation.px, vec![1_000_050_000_000, 1_000_100_000_000]);
    assert_eq!(t.liquidation.qty, vec![25_000_000, 100_000_000]);
}

#[test]
fn incremental_l2_rows_kept_as_is() {
    let text = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n\
        deribit,BTC-PERPETUAL,1585699200245000,1585699200355684,true,ask,6421.5,18640\n\
        deribit,BTC-PERPETUAL,1585699200245000,1585699200355684,true,bid,6421,10\n\
        deribit,BTC-PERPETUAL,1585699200400000,1585699200455684,false,bid,6421,0\n";
    let t = run(text).unwrap();
    let b = &t.book;
    assert_eq!(b.side, vec![-1, 1, 1]);
    assert_eq!(b.is_snapshot, vec![true, true, false]);
    assert_eq!(b.qty, vec![1_864_000_000_000, 1_000_000_000, 0]);
    assert_eq!(b.seq_first, vec![MISSING_I64; 3]);
    assert_eq!(b.seq_prev, vec![MISSING_I64; 3]);
}

#[test]
fn snapshot_rows_skip_empty_levels() {
    let text = "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,\
        asks[1].price,asks[1].amount,bids[1].price,bids[1].amount\n\
        binance-futures,BTCUSDT,1598918403696000,1598918403810979,11657.08,1.714,11657.07,10.896,11657.54,5.4,,\n";
    let t = run(text).unwrap();
    let b = &t.book;
    assert_eq!(b.side, vec![-1, 1, -1]);
    assert_eq!(b.px, vec![1_165_708_000_000, 1_165_707_000_000, 1_165_754_000_000]);
    assert_eq!(b.is_snapshot, vec![true; 3]);
    let empty = format!("{}\nbinance-futures,BTCUSDT,1,1598918403810979,,,,,,,,\n", text.lines().next().unwrap());
    let e = run(&empty).unwrap().book;
    assert_eq!((e.side, e.px, e.qty, e.is_snapshot), (vec![0], vec![0], vec![0], vec![true]));
    let names: Vec<String> = text.lines().next().unwrap().split(',').map(str::to_owned).collect();
    assert_eq!(Layout::from_header(&names, None).unwrap().name(), "book_snapshot_2");
}

#[test]
fn snapshot_error_names_the_level() {
    let text = "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount\n\
        binance-futures,BTCUSDT,1,1598918403810979,11657.08,1.714,11657.07,-3\n";
    match run(text) {
        Err(CoreError::InvalidValue { line: 2, field, reason: "negative size", .. }) => {
            assert_eq!(field, "bids[0].amount");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn derivative_ticker_fields() {
    let text = "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,\
        open_interest,last_price,index_price,mark_price\n\
        binance-futures,BTCUSDT,1600000000000000,1600000000100000,1600012800000000,0.0001,,1234.5,10000,10001.5,10002\n\
        binance-futures,BTCUSDT,1600000001000000,1600000001100000,,,,,,,\n";
    let t = run(text).unwrap();
    let k = &t.ticker;
    assert_eq!(k.next_funding_ts, vec![1_600_012_800_000_000_000, MISSING_I64]);
    assert!((k.funding_rate[0] - 0.0001).abs() < 1e-15);
    assert!(k.funding_rate[1].is_nan() && k.predicted_funding_rate[0].is_nan());
    assert_eq!(k.open_interest, vec![123_450_000_000, MISSING_I64]);
    assert_eq!(k.index_px, vec![1_000_150_000_000, MISSING_I64]);
    assert_eq!(k.mark_px, vec![1_000_200_000_000, MISSING_I64]);
    assert_eq!(k.oracle_px, vec![MISSING_I64; 2]);
}

#[test]
fn mixed_exchanges_keep_one_venue_per_symbol() {
    let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        binance-futures,BTCUSDT,1,1600000000000000,1,buy,1,1\n\
        bitmex,XBTUSD,1,1600000000000001,2,buy,1,1\n\
        binance-futures,BTCUSDT,1,1600000000000002,3,buy,1,1\n\
        deribit,BTCUSDT,1,1600000000000003,4,buy,1,1\n";
    let err = run(text).unwrap_err();
    assert!(matches!(&err, CoreError::InvalidValue { line: 5, field, .. } if field == "exchange"), "{err:?}");
    let ok: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
    let t = run(&ok).unwrap();
    assert_eq!(t.symbols, vec!["BTCUSDT", "XBTUSD"]);
    assert_eq!(t.venues, vec!["binance-futures", "bitmex"]);
    assert_eq!(t.trade.symbol, vec![0, 1, 0]);
}

#[test]
fn bad_rows_raise_or_skip() {
    let text = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n\
        huobi-dm-swap,BTC-USD,1588291201099000,1588291201234268,5494,8629.3,8629.2,806\n\
        huobi-dm-swap,BTC-USD,1588291201099000,1588291201234268,5494,8629.3,8629.2\n\
        huobi-dm-swap,BTC-USD,1588291201099000,1588291201234268,5494,NaN,8629.2,806\n\
        huobi-dm-swap,BTC-USD,1588291201099000,1588291201000000,5494,8629.3,8629.2,806\n\
        huobi-dm-swap,BTC-USD,1588291201099000,1588291201300000,5494,8629.3,8629.2,806\n";
    let err = run(text).unwrap_err();
    assert_eq!(err, CoreError::Malformed { line: 3, what: "Tardis CSV row", msg: "expected 8 columns, got 7".into() });
    let opts = Options { on_error: OnError::Skip, ..Options::default() };
    let t = parse(text.as_bytes(), &opts).unwrap();
    assert_eq!(t.bbo.ts_local.len(), 2);
    let kinds: Vec<(u64, &str)> = t.skipped.iter().map(|s| (s.line, s.kind)).collect();
    assert_eq!(kinds, vec![(3, "malformed"), (4, "invalid_value"), (5, "timestamp_backwards")]);
}

#[test]
fn unknown_header_is_malformed_on_line_one() {
    let err = run("exchange,symbol,timestamp,local_timestamp,foo,bar\nx,y,1,1,2,3\n").unwrap_err();
    assert!(matches!(err, CoreError::Malformed { line: 1, what: "Tardis CSV header", .. }), "{err:?}");
}

#[test]
fn symbol_and_venue_overrides() {
    let opts = Options { venue: Some("binance"), symbol: Some("ETHUSDT"), ..Options::default() };
    let t = parse(QUOTES.as_bytes(), &opts).unwrap();
    assert_eq!((t.symbols.clone(), t.venues.clone()), (vec!["ETHUSDT".to_owned()], vec!["binance".to_owned()]));
}
