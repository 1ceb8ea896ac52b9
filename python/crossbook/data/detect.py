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
        return Detected("tardis_csv")
    for header, kind in _BINANCE_HEADERS.items():
        if text.startswith(header):
            return Detected("binance_csv", kind)
    kind = _headerless_binance_kind(text.split(","))
    if kind:
        return Detected("binance_csv", kind)
    raise _core.UnknownFormatError(
        f"{source}: unknown format; first line starts {first[:80]!r}. Supported: Binance/Hyperliquid "
        "websocket captures (`<local_ts> <json>`), Hyperliquid archive l2Book, Tardis CSV, "
        "data.binance.vision CSV (bookTicker, aggTrades, trades, metrics, fundingRate)"
    )


def _headerless_binance_kind(cells: list[str]) -> str | None:
    """Shape rules for data.binance.vision CSVs without a header row."""
    n = len(cells)
    if n == 7 and _INT.match(cells[0]) and _BOOL.match(cells[6]) and _INT.match(cells[3]):
        return "aggTrades"  # id, price, qty, first_id, last_id, time, is_buyer_maker
    if n == 8 and _INT.match(cells[0]) and _BOOL.match(cells[6]) and _BOOL.match(cells[7]):
        return "aggTrades"  # spot: ..., is_buyer_maker, is_best_match
    if n == 7 and _INT.match(cells[0]) and all(_NUM.match(c) for c in cells[1:5]) and _INT.match(cells[5]):
        return "bookTicker"  # update_id, bid, bid_qty, ask, ask_qty, transaction_time, event_time
    if n in (6, 7) and _INT.match(cells[0]) and _BOOL.match(cells[5]):
        return "trades"  # id, price, qty, quote_qty, time, is_buyer_maker[, is_best_match]
    if n == 3 and _INT.match(cells[0]) and _INT.match(cells[1]) and _NUM.match(cells[2]):
        return "fundingRate"
    return None
