"""Bad capture files give typed errors naming the file and the line (or, with ``errors="skip"``, a
counted skip). Every file is written by the test itself; the truncated gzip is a real capture cut
in half."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import polars as pl
import pytest

import crossbook
from crossbook.data.readers import read

TICKER = (
    '{ts} {{"stream":"btcusdt@bookTicker","data":{{"e":"bookTicker","u":{u},"s":"BTCUSDT",'
    '"b":"61800.20","B":"{bq}","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}}}}'
)
T0 = 1723161255088169167


def ticker(i: int, *, ts: int | None = None, bq: str = "2.507") -> str:
    return TICKER.format(ts=T0 + 1000 * i if ts is None else ts, u=5123107839020 + i, bq=bq)


def write(tmp_path: Path, lines: list[str], name: str = "capture.txt") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def assert_names(err: pytest.ExceptionInfo, path: Path, line: int) -> None:
    msg = str(err.value)
    assert str(path) in msg
    assert re.search(rf"\bline {line}\b", msg), msg
    assert err.value.path == str(path)
    assert err.value.line == line


def test_truncated_gzip_keeps_complete_lines(real_file, tmp_path: Path) -> None:
    src = real_file("binance-spot-usdm-coinm-20240808", "spot", "btcusdt_20240808.gz")
    raw = src.read_bytes()
    cut = tmp_path / "cut.gz"
    cut.write_bytes(raw[: len(raw) // 2])
    # what zlib can recover from the first half: the complete lines are those ending in "\n"
    recovered = zlib.decompressobj(wbits=31).decompress(cut.read_bytes())
    complete = recovered.count(b"\n")
    assert 1000 < complete < 41249

    with pytest.raises(crossbook.TruncatedFileError) as err:
        read(cut)
    assert_names(err, cut, complete)
    assert "truncated gzip stream after line" in str(err.value)

    t = read(cut, errors="skip")
    assert [(p, line, kind) for p, line, kind, _ in t.skipped] == [(str(cut), complete, "truncated")]
    # the kept rows are exactly those of the complete lines, read from a plain file
    plain = tmp_path / "prefix.txt"
    plain.write_bytes(recovered[: recovered.rfind(b"\n") + 1])
    whole = read(plain)
    for table in ("bbo", "book", "trade"):
        assert t[table].height > 0
        assert t[table].equals(whole[table]), table


def test_truncated_gzip_mid_line_of_small_file(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(ticker(i) for i in range(3000)) + "\n").encode())
    p = tmp_path / "small.gz"
    p.write_bytes(data[:-40])  # loses the trailer and the end of the deflate stream
    with pytest.raises(crossbook.TruncatedFileError) as err:
        read(p)
    line = err.value.line
    assert 0 < line < 3000
    assert_names(err, p, line)


def test_malformed_json_line(tmp_path: Path) -> None:
    p = write(tmp_path, [ticker(0), ticker(1), "", f'{T0 + 5000} {{"stream":"btcusdt@bookTicker","data":{{"e":'])
    with pytest.raises(crossbook.MalformedLineError) as err:
        read(p)
    assert_names(err, p, 4)  # the blank line counts
    assert "malformed Binance message" in str(err.value)
    t = read(p, errors="skip")
    assert t["bbo"].height == 2
    assert [(line, kind) for _, line, kind, _ in t.skipped] == [(4, "malformed")]


def test_line_without_timestamp_prefix(tmp_path: Path) -> None:
    p = write(tmp_path, [ticker(0), '{"e":"bookTicker"}'])
    with pytest.raises(crossbook.MalformedLineError) as err:
        read(p)
    assert_names(err, p, 2)


def test_unknown_message_type(tmp_path: Path) -> None:
    kline = f'{T0 + 1500} {{"stream":"btcusdt@kline_1m","data":{{"e":"kline","E":1723161256313,"s":"BTCUSDT"}}}}'
    p = write(tmp_path, [ticker(0), ticker(1), kline, ticker(2), kline.replace(str(T0 + 1500), str(T0 + 2500))])
    with pytest.raises(crossbook.UnknownMessageError) as err:
        read(p)
    assert_names(err, p, 3)
    assert '"kline"' in str(err.value)
    t = read(p, errors="skip")
    assert t["bbo"].height == 3
    assert [(line, kind) for _, line, kind, _ in t.skipped] == [
        (3, "unknown_message"),
        (5, "unknown_message"),
    ]
    assert all(path == str(p) for path, *_ in t.skipped)


def test_subscription_ack_is_not_an_error(tmp_path: Path) -> None:
    p = write(tmp_path, [f'{T0 - 1} {{"result":null,"id":1}}', ticker(0)])
    t = read(p)
    assert t["bbo"].height == 1 and t.skipped == []


def test_timestamp_going_backwards(tmp_path: Path) -> None:
    p = write(tmp_path, [ticker(0), ticker(1), ticker(2, ts=T0 + 500), ticker(3)])
    with pytest.raises(crossbook.TimestampOrderError) as err:
        read(p)
    assert_names(err, p, 3)
    assert f"{T0 + 500} ns < previous {T0 + 1000} ns" in str(err.value)
    t = read(p, errors="skip")
    assert t["bbo"]["ts_local"].to_list() == [T0, T0 + 1000, T0 + 3000]


def test_negative_size(tmp_path: Path) -> None:
    p = write(tmp_path, [ticker(0), ticker(1, bq="-2.507")])
    with pytest.raises(crossbook.InvalidValueError) as err:
        read(p)
    assert_names(err, p, 2)
    assert 'field "B": negative size (got "-2.507")' in str(err.value)


def test_negative_depth_level_drops_the_whole_message(tmp_path: Path) -> None:
    depth = (
        f'{T0 + 500} {{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":1,"u":2,'
        '"pu":0,"b":[["61800.2","1.0"],["61800.1","-0.5"]],"a":[]}'
    )
    p = write(tmp_path, [ticker(0), depth])
    with pytest.raises(crossbook.InvalidValueError) as err:
        read(p)
    assert_names(err, p, 2)
    assert 'field "b"' in str(err.value)
    t = read(p, errors="skip")
    assert t["book"].height == 0  # not half a message


def test_nan_text(tmp_path: Path) -> None:
    p = write(tmp_path, [ticker(0), ticker(1).replace('"a":"61800.30"', '"a":"NaN"')])
    with pytest.raises(crossbook.InvalidValueError) as err:
        read(p)
    assert_names(err, p, 2)
    assert 'field "a": NaN or infinite value (got "NaN")' in str(err.value)


def test_hyperliquid_bad_lines(tmp_path: Path) -> None:
    book = (
        '{ts} {{"channel":"l2Book","data":{{"coin":"BTC","levels":[[{{"n":5,"px":"105055.0","sz":"{sz}"}}],'
        '[{{"n":13,"px":"105056.0","sz":"6.34472"}}]],"time":1737918843542}}}}'
    )
    good = book.format(ts=1737918843893903000, sz="3.03622")
    p = write(tmp_path, [good, '1737918843893903001 {"channel":"candle","data":{}}'], "hl.txt")
    with pytest.raises(crossbook.UnknownMessageError) as err:
        read(p)
    assert_names(err, p, 2)
    p = write(tmp_path, [good, book.format(ts=1737918843893903001, sz="NaN")], "hl2.txt")
    with pytest.raises(crossbook.InvalidValueError) as err:
        read(p)
    assert_names(err, p, 2)
    assert read(p, errors="skip")["book"].height == 2


def test_unknown_format(tmp_path: Path) -> None:
    p = write(tmp_path, ["hello,world", "1,2"], "mystery.csv")
    with pytest.raises(crossbook.UnknownFormatError) as err:
        read(p)
    assert str(p) in str(err.value)
    assert "unknown format" in str(err.value)


@pytest.mark.parametrize("content", [b"", gzip.compress(b"")], ids=["plain", "gzip"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "empty.gz"
    p.write_bytes(content)
    with pytest.raises(crossbook.UnknownFormatError) as err:
        read(p)
    assert str(p) in str(err.value)
    assert "empty file" in str(err.value)


def test_errors_are_parse_errors(tmp_path: Path) -> None:
    """Every capture error above is a ParseError and a CrossbookError (one except clause catches all)."""
    p = write(tmp_path, [ticker(0), ticker(1, bq="-1")])
    with pytest.raises(crossbook.ParseError):
        read(p)
    with pytest.raises(crossbook.CrossbookError):
        read(p)
    assert read(p, errors="skip")["bbo"].select(pl.len()).item() == 1
