"""Bad CSV / Parquet input: each case gives a typed exception naming the file and the exact line.

Messages have the shape ``<path>: line N: ...`` (``<path>: truncated gzip stream after line N: ...``);
the exceptions also carry ``.path``, ``.line`` and ``.kind``.
"""

from __future__ import annotations

import gzip
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crossbook
from crossbook.data import readers

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "nautilus-tardis-binance-fixtures"

QUOTES_HEADER = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
TRADES_HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
GOOD_QUOTE = "huobi-dm-swap,BTC-USD,1588291201099000,1588291201234268,5494,8629.3,8629.2,806\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_wrong_column_count(tmp_path: Path) -> None:
    p = _write(tmp_path, "q.csv", QUOTES_HEADER + GOOD_QUOTE + GOOD_QUOTE.rsplit(",", 1)[0] + "\n")
    with pytest.raises(crossbook.MalformedLineError) as ei:
        readers.read(p)
    assert str(ei.value) == f"{p}: line 3: malformed Tardis CSV row: expected 8 columns, got 7"
    assert (ei.value.path, ei.value.line, ei.value.kind) == (str(p), 3, "malformed")


def test_wrong_column_count_binance_csv(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "BTCUSDT-aggTrades-2024-01-01.csv",
        "100,50000.5,0.010,200,201,1687392000123,true\n101,50000.5,0.010,200,201,1687392000124,true,x,y\n",
    )
    with pytest.raises(
        crossbook.MalformedLineError, match=rf"^{re.escape(str(p))}: line 2: .*expected 7 columns, got 9"
    ):
        readers.read(p)


def test_nan_price_names_the_field(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.csv", TRADES_HEADER + "bitmex,XBTUSD,1583020803145000,1583020803307160,1,sell,NaN,2152\n")
    with pytest.raises(crossbook.InvalidValueError) as ei:
        readers.read(p)
    assert str(ei.value) == f'{p}: line 2: field "price": NaN or infinite value (got "NaN")'
    assert ei.value.line == 2


def test_nan_in_binance_book_ticker(tmp_path: Path) -> None:
    good = "1,27077.3,19.35,27077.4,8.6,1684237787209,1684237787214\n"
    p = _write(tmp_path, "BTCUSDT-bookTicker-2024-01-01.csv", good + good.replace("27077.4", "nan"))
    with pytest.raises(crossbook.InvalidValueError, match=rf'^{re.escape(str(p))}: line 2: field "best_ask_price"'):
        readers.read(p)


def test_negative_amount(tmp_path: Path) -> None:
    p = _write(tmp_path, "q.csv", QUOTES_HEADER + GOOD_QUOTE + GOOD_QUOTE.replace(",806", ",-806"))
    with pytest.raises(crossbook.InvalidValueError) as ei:
        readers.read(p)
    assert str(ei.value) == f'{p}: line 3: field "bid_amount": negative size (got "-806")'


def test_local_timestamp_going_backwards(tmp_path: Path) -> None:
    back = GOOD_QUOTE.replace("1588291201234268", "1588291201234267")
    p = _write(tmp_path, "q.csv", QUOTES_HEADER + GOOD_QUOTE + GOOD_QUOTE + back)
    with pytest.raises(crossbook.TimestampOrderError) as ei:
        readers.read(p)
    assert str(ei.value) == (
        f"{p}: line 4: timestamp going backwards (1588291201234267000 ns < previous 1588291201234268000 ns)"
    )
    assert ei.value.line == 4


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"real data folder {FIXTURES} is absent")
@pytest.mark.parametrize("errors", ["raise", "skip"])
def test_truncated_gzip_csv(tmp_path: Path, errors: str) -> None:
    z = gzip.compress((FIXTURES / "test_kit" / "tardis_quotes.csv").read_bytes())
    cut = z[: len(z) // 2]
    p = tmp_path / "tardis_quotes.csv.gz"
    p.write_bytes(cut)
    # complete lines before the cut, counted independently with zlib
    complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    assert 100 < complete < 10_000
    with pytest.raises(crossbook.TruncatedFileError) as ei:
        readers.read(p, errors=errors)  # type: ignore[arg-type]
    assert ei.value.line == complete
    assert str(ei.value).startswith(f"{p}: truncated gzip stream after line {complete}: ")


def test_unknown_csv_header(tmp_path: Path) -> None:
    p = _write(tmp_path, "x.csv", "time,bid,ask\n1,2,3\n")
    with pytest.raises(crossbook.UnknownFormatError, match=rf"^{re.escape(str(p))}: unknown format"):
        readers.read(p)
    q = _write(tmp_path, "y.csv", "exchange,symbol,timestamp,local_timestamp,foo,bar\nx,y,1,1,2,3\n")
    with pytest.raises(crossbook.UnknownFormatError) as ei:
        readers.read(q)
    assert str(ei.value).startswith(
        f"{q}: Tardis CSV header with unknown data type (columns after local_timestamp: foo,bar)"
    )


def test_binance_header_without_needed_column(tmp_path: Path) -> None:
    # a known header prefix, but a needed column is missing: named on line 1
    p = _write(
        tmp_path,
        "BTCUSDT-fundingRate-2025-10.csv",
        "calc_time,funding_interval_hours,last_funding_rate_x\n1780272000001,8,0.1\n",
    )
    with pytest.raises(crossbook.MalformedLineError) as ei:
        readers.read(p)
    assert str(ei.value) == (
        f"{p}: line 1: malformed Binance CSV header: no column last_funding_rate "
        "(columns: calc_time,funding_interval_hours,last_funding_rate_x)"
    )


def test_binance_csv_without_symbol_asks_for_it(tmp_path: Path) -> None:
    p = _write(tmp_path, "funding.csv", "1780272000001,8,0.00005703\n")
    with pytest.raises(crossbook.InvalidInputError, match="pass symbol="):
        readers.read(p)
    assert readers.read(p, symbol="BTCUSDT")["ticker"]["symbol"].to_list() == ["BTCUSDT"]


def test_skip_counts_bad_lines(tmp_path: Path) -> None:
    lines = [
        GOOD_QUOTE,  # line 2
        GOOD_QUOTE.rsplit(",", 1)[0] + "\n",  # 3: 7 columns
        GOOD_QUOTE.replace("8629.3", "NaN"),  # 4: NaN ask_price
        GOOD_QUOTE.replace(",806", ",-1"),  # 5: negative bid_amount
        GOOD_QUOTE.replace("1588291201234268", "1588291201000000"),  # 6: clock backwards
        GOOD_QUOTE.replace("1588291201234268", "1588291201300000"),  # 7: fine
    ]
    p = _write(tmp_path, "q.csv", QUOTES_HEADER + "".join(lines))
    t = readers.read(p, errors="skip")
    assert t.counts()["bbo"] == 2
    assert [(s[0], s[1], s[2]) for s in t.skipped] == [
        (str(p), 3, "malformed"),
        (str(p), 4, "invalid_value"),
        (str(p), 5, "invalid_value"),
        (str(p), 6, "timestamp_backwards"),
    ]
    assert all(s[3].startswith(f"line {s[1]}: ") for s in t.skipped)
    assert "Tables(bbo=2, skipped=4)" == repr(t)


def test_skip_in_zipped_binance_csv(tmp_path: Path) -> None:
    zp = tmp_path / "BTCUSDT-aggTrades-2024-01-01.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.writestr(
            "BTCUSDT-aggTrades-2024-01-01.csv",
            "100,50000.5,0.010,200,201,1687392000123,true\n101,50000.5,-0.010,200,201,1687392000124,true\n"
            "102,50000.5,0.010,200,201,1687392000125,maybe\n103,50000.5,0.5,200,201,1687392000126,false\n",
        )
    t = readers.read(zp, errors="skip")
    assert t["trade"]["trade_id"].to_list() == [100, 103]
    src = f"{zp}!BTCUSDT-aggTrades-2024-01-01.csv"
    assert [(s[0], s[1], s[2]) for s in t.skipped] == [(src, 2, "invalid_value"), (src, 3, "invalid_value")]
    assert 'field "quantity": negative size' in t.skipped[0][3]
    assert 'field "is_buyer_maker": expected true or false' in t.skipped[1][3]


def test_unknown_parquet_schema(tmp_path: Path) -> None:
    p = tmp_path / "other.parquet"
    pq.write_table(pa.table({"ts": [1, 2], "value": [1.0, 2.0]}), p)
    with pytest.raises(crossbook.UnknownFormatError) as ei:
        readers.read(p)
    assert str(ei.value).startswith(f"{p}: unknown Parquet schema; columns: ts, value.")


def test_parquet_nan_price(tmp_path: Path) -> None:
    p = tmp_path / "btcusdt-trades.parquet"
    ts = pa.array(np.array([1, 2], dtype="datetime64[ms]"), type=pa.timestamp("ms", tz="UTC"))
    table = pa.table(
        {
            "timestamp": ts,
            "trade_id": [1, 2],
            "price": [1.5, float("nan")],
            "quantity": [1.0, 1.0],
            "buyer_maker": [True, False],
        }
    )
    pq.write_table(table, p)
    with pytest.raises(crossbook.InvalidValueError, match=rf"^{re.escape(str(p))}: row 2: field 'price': NaN"):
        readers.read(p)
