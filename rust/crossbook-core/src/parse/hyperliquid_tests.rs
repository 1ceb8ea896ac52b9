use super::*;
use crate::parse::OnError;

fn ws(text: &str) -> Result<Tables> {
    parse(text.as_bytes(), Format::HyperliquidWs, &Options::default())
}

const BOOK: &str = r#"1737918843893903000 {"channel":"l2Book","data":{"coin":"BTC","levels":[[{"n":5,"px":"105055.0","sz":"3.03622"},{"n":1,"px":"105054.0","sz":"0.1428"}],[{"n":13,"px":"105056.0","sz":"6.34472"}]],"time":1737918843542}}"#;

#[test]
fn l2book_rows_are_snapshots_without_sequence() {
    let t = ws(BOOK).unwrap();
    assert_eq!(t.venues, vec!["hyperliquid"]);
    assert_eq!(t.symbols, vec!["BTC"]);
    let b = &t.book;
    assert_eq!(b.side, vec![1, 1, -1]);
    assert_eq!(b.px, vec![10_505_500_000_000, 10_505_400_000_000, 10_505_600_000_000]);
    assert_eq!(b.qty, vec![303_622_000, 14_280_000, 634_472_000]);
    assert_eq!(b.is_snapshot, vec![true; 3]);
    assert_eq!(b.seq_first, vec![MISSING_I64; 3]);
    assert_eq!(b.seq_prev, vec![MISSING_I64; 3]);
    assert_eq!(b.ts_exchange, vec![1_737_918_843_542_000_000; 3]);
    assert_eq!(b.ts_local, vec![1_737_918_843_893_903_000; 3]);
}

#[test]
fn trades_bbo_ctx_and_control_messages() {
    let text = [
        r#"1737918844167767000 {"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"trades","coin":"BTC"}}}"#,
        r#"1737918844167767001 {"channel":"trades","data":[{"coin":"BTC","hash":"0xde","px":"105056.0","side":"B","sz":"0.00219","tid":121451470284048,"time":1737918794873,"users":["0xa","0xb"]},{"coin":"BTC","side":"A","px":"105055","sz":"1","tid":7,"time":1737918794874}]}"#,
        r#"1737918844167767002 {"channel":"bbo","data":{"coin":"BTC","time":1754880820294,"bbo":[{"px":"121902.0","sz":"9.43303","n":32},null]}}"#,
        r#"1737918844167767003 {"channel":"activeAssetCtx","data":{"coin":"SOL","ctx":{"funding":"0.0000125","openInterest":"688.11","prevDayPx":"15.322","dayNtlVlm":"1169046.29406","premium":"0.00031774","oraclePx":"14.32","markPx":"14.3161","midPx":"14.314","impactPxs":["14.3047","14.3444"],"dayBaseVlm":"81000.0"}}}"#,
        r#"1737918844167767004 {"channel":"pong"}"#,
    ]
    .join("\n");
    let t = ws(&text).unwrap();
    assert_eq!(t.trade.aggressor, vec![1, -1]);
    assert_eq!(t.trade.trade_id, vec![121_451_470_284_048, 7]);
    assert_eq!(t.trade.px, vec![10_505_600_000_000, 10_505_500_000_000]);
    assert_eq!(t.trade.qty, vec![219_000, 100_000_000]);
    assert_eq!(t.trade.ts_exchange, vec![1_737_918_794_873_000_000, 1_737_918_794_874_000_000]);
    assert_eq!((t.bbo.bid_px[0], t.bbo.bid_qty[0]), (12_190_200_000_000, 943_303_000));
    assert_eq!((t.bbo.ask_px[0], t.bbo.ask_qty[0], t.bbo.seq[0]), (MISSING_I64, MISSING_I64, MISSING_I64));
    let k = &t.ticker;
    assert_eq!((k.mark_px[0], k.oracle_px[0], k.index_px[0]), (1_431_610_000, 1_432_000_000, MISSING_I64));
    assert!((k.funding_rate[0] - 0.000_012_5).abs() < 1e-18);
    assert_eq!(k.open_interest, vec![68_811_000_000]);
    assert_eq!(k.ts_exchange, k.ts_local);
    assert_eq!(t.symbols, vec!["BTC", "SOL"]);
    assert!(t.skipped.is_empty());
}

#[test]
fn archive_lines_use_iso_local_time() {
    let line = r#"{"time":"2024-01-01T12:00:01.138942031","ver_num":1,"raw":{"channel":"l2Book","data":{"coin":"BTC","time":1704110399915,"levels":[[{"px":"42727.0","sz":"0.02265","n":1}],[{"px":"42729.0","sz":"3.83257","n":2}]]}}}"#;
    let t = parse(line.as_bytes(), Format::HyperliquidArchive, &Options::default()).unwrap();
    assert_eq!(t.book.ts_local, vec![1_704_110_401_138_942_031; 2]);
    assert_eq!(t.book.ts_exchange, vec![1_704_110_399_915_000_000; 2]);
    assert_eq!(t.book.px, vec![4_272_700_000_000, 4_272_900_000_000]);
    let bad = line.replace("2024-01-01T12", "2024-01-01X12");
    let e = parse(bad.as_bytes(), Format::HyperliquidArchive, &Options::default()).err();
    assert!(matches!(e, Some(CoreError::InvalidValue { line: 1, ref field, .. }) if field == "time"));
}

#[test]
fn errors_and_skips() {
    let unknown = format!("{BOOK}\n1737918843893903001 {{\"channel\":\"candle\",\"data\":{{}}}}");
    assert_eq!(ws(&unknown).err(), Some(CoreError::UnknownMessage { line: 2, kind: "candle".into() }));
    let neg = BOOK.replace("\"sz\":\"0.1428\"", "\"sz\":\"-0.1428\"");
    assert!(matches!(ws(&neg), Err(CoreError::InvalidValue { line: 1, reason: "negative size", .. })));
    let back = format!("{BOOK}\n{}", BOOK.replace("1737918843893903000", "1737918843893902999"));
    assert!(matches!(ws(&back), Err(CoreError::TimestampBackwards { line: 2, .. })));
    let opts = Options { on_error: OnError::Skip, ..Options::default() };
    let t = parse(unknown.as_bytes(), Format::HyperliquidWs, &opts).unwrap();
    assert_eq!(t.book.px.len(), 3);
    assert_eq!(t.skipped.len(), 1);
    assert_eq!(t.lines, 2);
}
