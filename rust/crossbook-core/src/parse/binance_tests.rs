use super::*;
use crate::parse::OnError;

fn run(text: &str) -> Result<Tables> {
    parse(text.as_bytes(), &Options::default())
}

fn skip(text: &str) -> Tables {
    parse(text.as_bytes(), &Options { on_error: OnError::Skip, ..Options::default() }).unwrap()
}

const FUT_TICKER: &str = r#"1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256314}}"#;
const SPOT_TICKER: &str = r#"1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;

#[test]
fn futures_book_ticker() {
    let t = run(FUT_TICKER).unwrap();
    assert_eq!(t.venues, vec!["binance-futures"]);
    assert_eq!(t.symbols, vec!["BTCUSDT"]);
    let b = &t.bbo;
    assert_eq!(b.ts_local, vec![1_723_161_255_088_169_167]);
    assert_eq!(b.ts_exchange, vec![1_723_161_256_313_000_000]); // T preferred over E
    assert_eq!((b.bid_px[0], b.bid_qty[0]), (6_180_020_000_000, 250_700_000));
    assert_eq!((b.ask_px[0], b.ask_qty[0]), (6_180_030_000_000, 251_000_000));
    assert_eq!(b.seq, vec![5_123_107_839_020]);
    assert_eq!(t.lines, 1);
}

#[test]
fn spot_book_ticker_uses_local_time() {
    let t = run(SPOT_TICKER).unwrap();
    assert_eq!(t.venues, vec!["binance"]);
    assert_eq!(t.bbo.ts_exchange, t.bbo.ts_local);
    assert_eq!(t.bbo.bid_px, vec![6_183_763_000_000]);
    assert_eq!(t.bbo.ask_qty, vec![154_698_000]);
}

#[test]
fn coinm_by_ps_or_symbol() {
    let line = r#"1723161256207640365 {"stream":"btcusd_perp@bookTicker","data":{"u":1007198632021,"e":"bookTicker","s":"BTCUSD_PERP","ps":"BTCUSD","b":"61804.7","B":"35","a":"61804.8","A":"1645","T":1723161257465,"E":1723161257476}}"#;
    let t = run(line).unwrap();
    assert_eq!(t.venues, vec!["binance-delivery"]);
    assert_eq!(t.bbo.ask_qty, vec![164_500_000_000]);
    let trade =
        r#"1 {"e":"trade","E":1,"T":1723161257465,"s":"ETHUSD_240927","t":7,"p":"2500","q":"3","X":"MARKET","m":true}"#;
    let t = run(&trade.replace("1 {", "1723161256207640365 {")).unwrap();
    assert_eq!(t.venues, vec!["binance-delivery"]);
    assert!(is_coinm_symbol("BTCUSD_PERP") && is_coinm_symbol("BTCUSD_240927"));
    assert!(!is_coinm_symbol("BTCUSDT") && !is_coinm_symbol("BTC_USDT"));
}

#[test]
fn depth_updates_futures_and_spot() {
    let fut = r#"1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":10,"u":12,"pu":9,"b":[["58710.20","0.014"],["61510.90","0.000"]],"a":[["61800.3","1.5"]]}}"#;
    let t = run(fut).unwrap();
    let k = &t.book;
    assert_eq!(k.side, vec![1, 1, -1]);
    assert_eq!(k.px, vec![5_871_020_000_000, 6_151_090_000_000, 6_180_030_000_000]);
    assert_eq!(k.qty, vec![1_400_000, 0, 150_000_000]);
    assert_eq!(k.ts_exchange, vec![1_723_161_256_299_000_000; 3]); // E for depth
    assert_eq!((k.seq_first[0], k.seq_last[0], k.seq_prev[0]), (10, 12, 9));
    assert_eq!(k.is_snapshot, vec![false; 3]);
    assert_eq!(t.venues, vec!["binance-futures"]);

    let spot =
        r#"1723161253937085768 {"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":157,"u":160,"b":[],"a":[]}"#;
    let t = run(spot).unwrap();
    assert_eq!(t.venues, vec!["binance"]);
    // an update without levels still gives one sequence-only row
    assert_eq!((t.book.side.clone(), t.book.px.clone(), t.book.qty.clone()), (vec![0], vec![0], vec![0]));
    assert_eq!((t.book.seq_first[0], t.book.seq_last[0], t.book.seq_prev[0]), (157, 160, MISSING_I64));
}

#[test]
fn snapshot_takes_the_file_symbol() {
    let text = [
        r#"1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63","3.5"]],"asks":[["61837.64","1"],["61838","2"]]}"#,
        SPOT_TICKER.replace("1723161254087891268", "1723161254206652068").as_str(),
    ]
    .join("\n");
    let t = run(&text).unwrap();
    assert_eq!(t.symbols, vec!["BTCUSDT"]);
    assert_eq!(t.book.symbol, vec![0, 0, 0]);
    assert_eq!(t.book.is_snapshot, vec![true; 3]);
    assert_eq!(t.book.seq_first, vec![50_093_239_218; 3]);
    assert_eq!(t.book.seq_last, vec![50_093_239_218; 3]);
    assert_eq!(t.book.seq_prev, vec![MISSING_I64; 3]);
    assert_eq!(t.book.ts_exchange, t.book.ts_local);
    assert_eq!(t.venues, vec!["binance"]);

    let only = r#"1723161254206652067 {"lastUpdateId":5,"E":1723161255000,"bids":[],"asks":[]}"#;
    match run(only) {
        Err(CoreError::Malformed { line: 1, msg, .. }) => {
            assert!(msg.contains("pass symbol="), "{msg}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    let opts = Options { symbol: Some("ETHUSDT"), ..Options::default() };
    let t = parse(only.as_bytes(), &opts).unwrap();
    assert_eq!(t.symbols, vec!["ETHUSDT"]);
    assert_eq!(t.book.ts_exchange, vec![1_723_161_255_000_000_000]);
    assert_eq!(t.venues, vec!["binance-futures"]);
}

#[test]
fn trades_aggtrades_mark_price_and_liquidations() {
    let text = [
        r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#,
        r#"1723161255088176368 {"e":"aggTrade","E":1672515782136,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782135,"m":true}"#,
        r#"1723161255088176369 {"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}"#,
        r#"1723161255088176370 {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9911.5","X":"FILLED","l":"0.014","z":"0.012","T":1568014460890}}"#,
        r#"1723161255088176371 {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"BUY","q":"0.014","p":"9910","ap":"0.00","z":"0","T":1568014460891}}"#,
        r#"1723161255088176372 {"result":null,"id":1}"#,
    ]
    .join("\n");
    let t = run(&text).unwrap();
    let tr = &t.trade;
    assert_eq!(tr.trade_id, vec![5_266_583_935, 5_933_014]);
    assert_eq!(tr.aggressor, vec![1, -1]);
    assert_eq!(tr.px, vec![6_180_030_000_000, 100_000]);
    assert_eq!(tr.qty, vec![600_000, 10_000_000_000]);
    assert_eq!(tr.ts_exchange, vec![1_723_161_256_321_000_000, 1_672_515_782_135_000_000]);
    let tk = &t.ticker;
    assert_eq!(tk.mark_px, vec![1_179_415_000_000]);
    assert_eq!(tk.index_px, vec![1_178_462_659_091]);
    assert_eq!(tk.oracle_px, vec![MISSING_I64]);
    assert!((tk.funding_rate[0] - 0.000_381_67).abs() < 1e-15);
    assert!(tk.predicted_funding_rate[0].is_nan());
    assert_eq!(tk.next_funding_ts, vec![1_562_306_400_000_000_000]);
    assert_eq!(tk.ts_exchange, vec![1_562_305_380_000_000_000]);
    let lq = &t.liquidation;
    assert_eq!(lq.side, vec![-1, 1]);
    assert_eq!(lq.px, vec![991_150_000_000, 991_000_000_000]); // ap, else p
    assert_eq!(lq.qty, vec![1_200_000, 1_400_000]); // z, else q
    assert_eq!(lq.ts_exchange, vec![1_568_014_460_890_000_000, 1_568_014_460_891_000_000]);
    assert_eq!(t.venues, vec!["binance-futures"]);
    assert_eq!(t.lines, 6);
    assert!(t.skipped.is_empty());
}

#[test]
fn errors_name_the_line() {
    let bad_json = format!("{FUT_TICKER}\n\n1723161255088169168 {{\"e\":\"trade\",");
    assert!(matches!(run(&bad_json), Err(CoreError::Malformed { line: 3, .. })));
    let unknown = format!("{FUT_TICKER}\n1723161255088169168 {{\"e\":\"kline\",\"s\":\"BTCUSDT\"}}");
    assert_eq!(run(&unknown).err(), Some(CoreError::UnknownMessage { line: 2, kind: "kline".into() }));
    let back = format!("{FUT_TICKER}\n{}", FUT_TICKER.replace("1723161255088169167", "1723161255088169166"));
    assert!(matches!(run(&back), Err(CoreError::TimestampBackwards { line: 2, .. })));
    let neg = FUT_TICKER.replace("\"B\":\"2.507\"", "\"B\":\"-2.507\"");
    match run(&neg) {
        Err(CoreError::InvalidValue { line: 1, field, reason, .. }) => {
            assert_eq!((field.as_str(), reason), ("B", "negative size"));
        }
        other => panic!("{other:?}"),
    }
    let nan = FUT_TICKER.replace("\"a\":\"61800.30\"", "\"a\":\"NaN\"");
    assert!(matches!(run(&nan), Err(CoreError::InvalidValue { line: 1, ref field, .. }) if field == "a"));
    let missing = FUT_TICKER.replace("\"s\":\"BTCUSDT\",", "");
    assert!(matches!(run(&missing), Err(CoreError::Malformed { line: 1, ref msg, .. }) if msg.contains("\"s\"")));
}

#[test]
fn skip_policy_counts_and_keeps_going() {
    let text = format!(
        "{FUT_TICKER}\n1723161255088169168 {{\"e\":\"kline\"}}\nnot a line\n{}",
        FUT_TICKER.replace("1723161255088169167", "1723161255088169169").replace("\"B\":\"2.507\"", "\"B\":\"-1\"")
    );
    let t = skip(&text);
    assert_eq!(t.bbo.ts_local.len(), 1);
    let kinds: Vec<_> = t.skipped.iter().map(|s| (s.line, s.kind)).collect();
    assert_eq!(kinds, vec![(2, "unknown_message"), (3, "malformed"), (4, "invalid_value")]);
}

#[test]
fn parallel_pass_equals_sequential_pass() {
    // ~3 MB of lines: large enough for the chunked parallel pass
    let mut text = String::new();
    for i in 0..12_000u64 {
        let ts = 1_723_161_255_000_000_000 + i * 1000;
        text.push_str(&FUT_TICKER.replace("1723161255088169167", &ts.to_string()));
        text.push('\n');
        let depth = format!(
            r#"{} {{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":{i},"u":{i},"pu":{},"b":[["1.5","{i}"]],"a":[]}}"#,
            ts + 1,
            i.saturating_sub(1)
        );
        text.push_str(&depth);
        text.push('\n');
    }
    assert!(text.len() > chunked_min());
    let par = run(&text).unwrap();
    let opts = Options::default();
    let mut r = Reader::new(&opts);
    crate::parse::for_each_line(text.as_bytes(), |no, l| r.line(no, l)).unwrap();
    r.t.lines = 24_000;
    let seq = r.finish().unwrap();
    assert_eq!(par, seq);
    assert_eq!(par.book.qty.len(), 12_000);
    assert_eq!(par.symbols, vec!["BTCUSDT", "ETHUSDT"]);

    // a clock going backwards across a chunk boundary is found as in one pass
    let lines: Vec<&str> = text.lines().collect();
    let mid = lines.len() / 2;
    let mut bad: Vec<String> = lines.iter().map(|s| (*s).to_owned()).collect();
    bad[mid] = bad[mid].replacen("17231612", "17231611", 1);
    let bad = bad.join("\n");
    assert_eq!(run(&bad).err().and_then(|e| e.line()), Some(mid as u64 + 1));
}

fn chunked_min() -> usize {
    2 << 20
}

#[test]
fn array_payloads_and_delivery_mark_price() {
    let line = r#"1723161255088169167 {"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate","E":1723161256000,"s":"BTCUSD_240927","p":"62000.1","P":"62000","i":"61990.5","r":"","T":0},{"e":"markPriceUpdate","E":1723161256000,"s":"BTCUSD_PERP","p":"61800.2","i":"61790.5","r":"-0.0001","T":1723190400000}]}"#;
    let t = run(line).unwrap();
    assert_eq!(t.symbols, vec!["BTCUSD_240927", "BTCUSD_PERP"]);
    assert_eq!(t.ticker.symbol, vec![0, 1]);
    assert_eq!(t.ticker.mark_px, vec![6_200_010_000_000, 6_180_020_000_000]);
    assert!(t.ticker.funding_rate[0].is_nan()); // delivery contract: no funding
    assert!((t.ticker.funding_rate[1] + 0.0001).abs() < 1e-15);
    assert_eq!(t.ticker.next_funding_ts, vec![MISSING_I64, 1_723_190_400_000_000_000]);
    assert_eq!(t.venues, vec!["binance-delivery"]);
}
