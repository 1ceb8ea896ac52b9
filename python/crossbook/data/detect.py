"""Format detection from the first lines of a file's (decompressed) content.

Never from the file name. Each rule looks at the shape of the first non-empty lines:
``<integer> {json}`` captures (Binance or Hyperliquid by their JSON keys), Hyperliquid archive
``{"time":..,"raw":..}`` lines, Tardis CSV headers, and data.binance.vision CSVs by header or, for
headerless files, by the shape of the first row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crossbook import _core

_CAPTURE = re.compile(rb"^\d{10,19} [\[{]")
_NUM = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_INT = re.compile(r"^\d+$")
_BOOL = re.compile(r"^(true|false|True|False)$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

# data.binance.vision headers → kind
_BINANCE_HEADERS = {
    "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty": "bookTicker",
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker": "aggTrades",
    "id,price,qty,quote_qty,time,is_buyer_maker": "trades",
    "create_time,symbol,sum_open_interest": "metrics",
    "calc_time,funding_interval_hours,last_funding_rate": "fundingRate",
    "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu": "depth",
}


@dataclass(frozen=True)
class Detected:
    format: str
    kind: str | None = None

    def describe(self) -> str:
        return f"{self.format}:{self.kind}" if self.kind else self.format


def detect(lines: list[bytes], source: str) -> Detected:
    """Detect the format of a file from its first lines; raise UnknownFormatError naming the file."""
    if not lines:
        raise _core.UnknownFormatError(f"{source}: empty file (no lines to detect a format from)")
    first = lines[0].lstrip(b"\xef\xbb\xbf")
    if _CAPTURE.match(first):
        payload = first.split(b" ", 1)[1]
        if b'"channel"' in payload:
            return Detected("hyperliquid_ws")
        return Detected("binance_ws")
    if first.startswith(b"{") and b'"raw"' in first and b'"time"' in first:
        return Detected("hyperliquid_archive")
    text = first.decode("utf-8", errors="replace").strip()
    if text.startswith("exchange,symbol,timestamp,local_timestamp"):
        return Detected("tardis_csv", _tardis_kind(text.split(","), source))
    for header, kind in _BINANCE_HEADERS.items():
        if text.startswith(header):
            return Detected("binance_csv", kind)
    kind = _headerless_binance_kind(text.split(","))
    if kind:
        return Detected("binance_csv", kind)
    raise _core.UnknownFormatError(
        f"{source}: unknown format; first line starts {first[:80]!r}. Supported: Binance/Hyperliquid "
        "websocket captures (`<local_ts> <json>`), Hyperliquid archive l2Book, Tardis CSV, "
        "data.binance.vision CSV (bookTicker, aggTrades, trades, metrics, fundingRate, depth)"
    )


def _tardis_kind(cols: list[str], source: str) -> str:
    """Tardis data type from the header columns (mirrors ``Layout::from_header`` in tardis.rs).

    ``liquidations`` has the same columns as ``trades``; the reader tells them apart by file name.
    """
    rest = {c.strip() for c in cols[4:]}
    if {"is_snapshot", "side", "price", "amount"} <= rest:
        return "incremental_book_L2"
    levels = [c for c in rest if c.startswith(("asks[", "bids["))]
    if levels:
        return f"book_snapshot_{len({c.split(']')[0][5:] for c in levels})}"
    if {"ask_amount", "ask_price", "bid_price", "bid_amount"} <= rest:
        return "quotes"
    if {"id", "side", "price", "amount"} <= rest:
        return "trades"
    if rest & {"funding_rate", "open_interest", "index_price", "mark_price"}:
        return "derivative_ticker"
    raise _core.UnknownFormatError(
        f"{source}: Tardis CSV header with unknown data type (columns after local_timestamp: "
        f"{','.join(cols[4:])}). Supported: incremental_book_L2, book_snapshot_N, quotes, trades, "
        "liquidations, derivative_ticker"
    )


def _headerless_binance_kind(cells: list[str]) -> str | None:
    """Shape rules for data.binance.vision CSVs without a header row."""
    n = len(cells)
    if n == 7 and _INT.match(cells[0]) and _BOOL.match(cells[6]) and _INT.match(cells[3]) and _INT.match(cells[5]):
        return "aggTrades"  # id, price, qty, first_id, last_id, time, is_buyer_maker
    if n == 8 and _INT.match(cells[0]) and _BOOL.match(cells[6]) and _BOOL.match(cells[7]):
        return "aggTrades"  # spot: ..., is_buyer_maker, is_best_match
    if n == 7 and _INT.match(cells[0]) and all(_NUM.match(c) for c in cells[1:5]) and _INT.match(cells[5]):
        return "bookTicker"  # update_id, bid, bid_qty, ask, ask_qty, transaction_time, event_time
    if n in (6, 7) and _INT.match(cells[0]) and _BOOL.match(cells[5]):
        return "trades"  # id, price, qty, quote_qty, time, is_buyer_maker[, is_best_match]
    if n == 3 and _INT.match(cells[0]) and _INT.match(cells[1]) and _NUM.match(cells[2]):
        return "fundingRate"
    if n == 9 and cells[4] in ("a", "b") and cells[5] in ("snap", "set") and _INT.match(cells[1]):
        return "depth"  # symbol, timestamp, first_update_id, last_update_id, side, update_type, px, qty, pu
    if n == 8 and _DATETIME.match(cells[0]) and _NUM.match(cells[2]):
        return "metrics"  # create_time, symbol, sum_open_interest, ...
    return None
