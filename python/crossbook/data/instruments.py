"""Instrument registry: tick, lot, price/size scale and contract multiplier per venue and symbol.

Prices and sizes are stored as int64 holding ``value * 10**px_exp`` (``qty_exp`` for sizes). Every
instrument uses exponent 8 today (exact for everything these venues print); the registry is where a
different scale would be declared. ``qty_unit`` says what a size counts: ``"base"`` (coins) or
``"contracts"`` (Binance COIN-M: one contract is ``multiplier`` units of the quote currency, USD).
Ticks and lots are the venues' published filters at the time of the shared captures; the scale does
not depend on them, so a later tick change never breaks parsing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

PX_EXP = 8
QTY_EXP = 8
PX_SCALE = 10**PX_EXP
QTY_SCALE = 10**QTY_EXP

VENUES = ("binance", "binance-futures", "binance-delivery", "hyperliquid")


@dataclass(frozen=True)
class Instrument:
    venue: str
    symbol: str
    tick: float
    lot: float
    px_exp: int = PX_EXP
    qty_exp: int = QTY_EXP
    multiplier: float = 1.0
    qty_unit: str = "base"
    kind: str = "perp"

    def notional(self, px: float, qty: float) -> float:
        """Quote-currency notional of ``qty`` at ``px`` (COIN-M: contracts × multiplier)."""
        if self.qty_unit == "contracts":
            return qty * self.multiplier
        return px * qty * self.multiplier


_KNOWN: dict[tuple[str, str], Instrument] = {
    (i.venue, i.symbol): i
    for i in [
        Instrument("binance", "BTCUSDT", tick=0.01, lot=0.00001, kind="spot"),
        Instrument("binance", "ETHUSDT", tick=0.01, lot=0.0001, kind="spot"),
        Instrument("binance-futures", "BTCUSDT", tick=0.1, lot=0.001),
        Instrument("binance-futures", "ETHUSDT", tick=0.01, lot=0.001),
        Instrument("binance-delivery", "BTCUSD_PERP", tick=0.1, lot=1, multiplier=100.0, qty_unit="contracts"),
        Instrument("binance-delivery", "ETHUSD_PERP", tick=0.01, lot=1, multiplier=10.0, qty_unit="contracts"),
        Instrument("hyperliquid", "BTC", tick=1.0, lot=0.00001),
        Instrument("hyperliquid", "ETH", tick=0.1, lot=0.0001),
    ]
}


def instrument(venue: str, symbol: str) -> Instrument:
    """The registry entry, or a generic one (exponent 8, tick/lot unknown = 0) for unknown symbols."""
    known = _KNOWN.get((venue, symbol))
    if known is not None:
        return known
    if venue == "binance-delivery" and symbol.endswith("_PERP"):
        mult = 100.0 if symbol.startswith("BTC") else 10.0
        return Instrument(venue, symbol, tick=0.0, lot=1, multiplier=mult, qty_unit="contracts")
    return Instrument(venue, symbol, tick=0.0, lot=0.0, kind="spot" if venue == "binance" else "perp")


def registry() -> pl.DataFrame:
    """The known instruments as a frame."""
    rows = [i.__dict__ for i in _KNOWN.values()]
    return pl.DataFrame(rows)


PRICE_COLUMNS = ("bid_px", "ask_px", "px", "mark_px", "index_px", "oracle_px")
SIZE_COLUMNS = ("bid_qty", "ask_qty", "qty", "open_interest")


def to_float(df: pl.DataFrame) -> pl.DataFrame:
    """Decode scaled-integer price and size columns to float64 (the analysis edge)."""
    exprs = []
    for c in df.columns:
        if c in PRICE_COLUMNS:
            exprs.append((pl.col(c).cast(pl.Float64) / PX_SCALE).alias(c))
        elif c in SIZE_COLUMNS:
            exprs.append((pl.col(c).cast(pl.Float64) / QTY_SCALE).alias(c))
    return df.with_columns(exprs) if exprs else df


def px_to_float(px: np.ndarray) -> np.ndarray:
    """Scaled-integer prices → float64."""
    return np.asarray(px, dtype=np.float64) / PX_SCALE
