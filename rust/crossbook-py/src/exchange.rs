//! The exchange simulator for our own orders (crossbook.exchange).
//!
//! Prices and sizes come in as Python floats in instrument units (converted once, by the core's
//! `to_scaled`, so NaN or infinities raise `InvalidInputError`); scalar getters answer in the same
//! units; record arrays keep the data model's scaled `int64` (÷ 10^exp to decode).

use crossbook_core::exchange::{
    to_scaled, ExchangeSim, Fees, FundingSchedule, LatencyModel, LatencySeries, NoticeKind, OrderState, QueueModel,
    Side, SimConfig, Status,
};
use crossbook_core::units::MISSING_I64;
use crossbook_core::CoreError;
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::CoreErr;

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

fn queue_model(name: &str, power_n: f64, recent_ns: i64) -> PyResult<QueueModel> {
    Ok(match name {
        "risk_averse" => QueueModel::RiskAverse,
        "power" => QueueModel::PowerProb { n: power_n },
        "log" => QueueModel::LogProb,
        "power2" => QueueModel::PowerProb2 { n: power_n },
        "power3" => QueueModel::PowerProb3 { n: power_n },
        "log2" => QueueModel::LogProb2,
        "inferred" => QueueModel::Inferred { recent_ns },
        _ => {
            return Err(invalid(format!(
                "queue must be risk_averse, power, log, power2, power3, log2 or inferred, got {name:?}"
            )))
        }
    })
}

/// The simulated venue (see `crossbook_core::exchange` for every rule).
#[pyclass(name = "ExchangeSim", module = "crossbook._core")]
pub struct PyExchangeSim {
    inner: ExchangeSim,
    px_unit: f64,
    qty_unit: f64,
}

impl PyExchangeSim {
    fn px(&self, x: f64, what: &str) -> PyResult<i64> {
        Ok(to_scaled(x, self.inner.config().px_exp, what).map_err(CoreErr)?)
    }
    fn qty(&self, x: f64, what: &str) -> PyResult<i64> {
        Ok(to_scaled(x, self.inner.config().qty_exp, what).map_err(CoreErr)?)
    }
}

#[pymethods]
impl PyExchangeSim {
    /// queue: "risk_averse" | "power" / "power2" / "power3" (use power_n) | "log" / "log2" |
    /// "inferred" (uses recent_ns).
    /// latency: "constant" (entry_ns, response_ns) | "interpolated" (latency_ts, latency_entry,
    /// latency_response) | "feed" (entry = feed_entry_mul·feed + entry_ns, response likewise).
    /// Funding: every funding_interval_ns from funding_offset_ns, or at funding_times; none by default.
    #[new]
    #[pyo3(signature = (
        *, queue="risk_averse", power_n=2.0, recent_ns=1_000_000_000, latency="constant", entry_ns=0,
        response_ns=0, latency_ts=None, latency_entry=None, latency_response=None, feed_entry_mul=1.0,
        feed_response_mul=1.0, maker_fee_bps=0.0, taker_fee_bps=0.0, funding_interval_ns=None,
        funding_offset_ns=0, funding_times=None, px_exp=8, qty_exp=8
    ))]
    fn new(
        queue: &str,
        power_n: f64,
        recent_ns: i64,
        latency: &str,
        entry_ns: i64,
        response_ns: i64,
        latency_ts: Option<Vec<i64>>,
        latency_entry: Option<Vec<i64>>,
        latency_response: Option<Vec<i64>>,
        feed_entry_mul: f64,
        feed_response_mul: f64,
        maker_fee_bps: f64,
        taker_fee_bps: f64,
        funding_interval_ns: Option<i64>,
        funding_offset_ns: i64,
        funding_times: Option<Vec<i64>>,
        px_exp: u32,
        qty_exp: u32,
    ) -> PyResult<Self> {
        let latency = match latency {
            "constant" => LatencyModel::Constant { entry_ns, response_ns },
            "interpolated" => match (latency_ts, latency_entry, latency_response) {
                (Some(t), Some(e), Some(r)) => {
                    LatencyModel::Interpolated(LatencySeries::new(t, e, r).map_err(CoreErr)?)
                }
                _ => {
                    return Err(invalid(
                        "latency=\"interpolated\" needs latency_ts, latency_entry and latency_response".into(),
                    ))
                }
            },
            "feed" => LatencyModel::FeedScaled {
                entry_mul: feed_entry_mul,
                entry_offset_ns: entry_ns,
                response_mul: feed_response_mul,
                response_offset_ns: response_ns,
            },
            other => return Err(invalid(format!("latency must be constant, interpolated or feed, got {other:?}"))),
        };
        let funding = match (funding_interval_ns, funding_times) {
            (Some(_), Some(_)) => return Err(invalid("give funding_interval_ns or funding_times, not both".into())),
            (Some(interval_ns), None) => FundingSchedule::Every { interval_ns, offset_ns: funding_offset_ns },
            (None, Some(ts)) => FundingSchedule::Times(ts),
            (None, None) => FundingSchedule::None,
        };
        let cfg = SimConfig {
            queue: queue_model(queue, power_n, recent_ns)?,
            latency,
            fees: Fees { maker_bps: maker_fee_bps, taker_bps: taker_fee_bps },
            funding,
            px_exp,
            qty_exp,
        };
        let inner = ExchangeSim::new(cfg).map_err(CoreErr)?;
        Ok(Self { inner, px_unit: 10f64.powi(px_exp as i32), qty_unit: 10f64.powi(qty_exp as i32) })
    }

    /// Book level `side` (+1 bid, −1 ask, 0 sequence-only) now holds `qty` at `px` (0 deletes).
    fn on_book_level(&mut self, ts_exchange: i64, ts_local: i64, side: i8, px: f64, qty: f64) -> PyResult<()> {
        let (p, q) = (self.px(px, "book price")?, self.qty(qty, "book size")?);
        Ok(self.inner.on_book_level(ts_exchange, ts_local, side, p, q).map_err(CoreErr)?)
    }

    /// Empty one side (+1 / −1) or both (0) of the book before a snapshot.
    #[pyo3(signature = (ts_exchange, ts_local, side=0))]
    fn on_book_clear(&mut self, ts_exchange: i64, ts_local: i64, side: i8) -> PyResult<()> {
        Ok(self.inner.on_book_clear(ts_exchange, ts_local, side).map_err(CoreErr)?)
    }

    /// A trade print; aggressor +1 buyer took, −1 seller took, 0 unknown.
    fn on_trade(&mut self, ts_exchange: i64, ts_local: i64, px: f64, qty: f64, aggressor: i8) -> PyResult<()> {
        let (p, q) = (self.px(px, "trade price")?, self.qty(qty, "trade size")?);
        Ok(self.inner.on_trade(ts_exchange, ts_local, p, q, aggressor).map_err(CoreErr)?)
    }

    /// Mark price and funding rate (fraction per interval); None leaves a value unchanged.
    #[pyo3(signature = (ts_exchange, ts_local, mark_px=None, funding_rate=None))]
    fn on_ticker(
        &mut self,
        ts_exchange: i64,
        ts_local: i64,
        mark_px: Option<f64>,
        funding_rate: Option<f64>,
    ) -> PyResult<()> {
        let mark = match mark_px {
            Some(m) => self.px(m, "mark price")?,
            None => MISSING_I64,
        };
        Ok(self.inner.on_ticker(ts_exchange, ts_local, mark, funding_rate.unwrap_or(f64::NAN)).map_err(CoreErr)?)
    }

    /// Feed many market events at once (GIL released), in row order. Columns: `kind` 0 = book level
    /// (`side` +1/−1/0), 1 = trade (`side` = aggressor), 2 = book clear (`side`); `px`, `qty` scaled
    /// int64 as in the data model (ignored for clears). Errors name the row; rows before it are applied.
    fn feed(
        &mut self,
        py: Python<'_>,
        kind: PyReadonlyArray1<'_, i8>,
        ts_exchange: PyReadonlyArray1<'_, i64>,
        ts_local: PyReadonlyArray1<'_, i64>,
        side: PyReadonlyArray1<'_, i8>,
        px: PyReadonlyArray1<'_, i64>,
        qty: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        let (k, te, tl, sd, p, q) = (
            kind.as_slice()?,
            ts_exchange.as_slice()?,
            ts_local.as_slice()?,
            side.as_slice()?,
            px.as_slice()?,
            qty.as_slice()?,
        );
        let n = k.len();
        if [te.len(), tl.len(), sd.len(), p.len(), q.len()].iter().any(|&l| l != n) {
            return Err(invalid("feed columns must have equal lengths".into()));
        }
        let sim = &mut self.inner;
        py.detach(|| {
            for i in 0..n {
                let r = match k[i] {
                    0 => sim.on_book_level(te[i], tl[i], sd[i], p[i], q[i]),
                    1 => sim.on_trade(te[i], tl[i], p[i], q[i], sd[i]),
                    2 => sim.on_book_clear(te[i], tl[i], sd[i]),
                    other => Err(CoreError::InvalidInput(format!("kind must be 0, 1 or 2, got {other}"))),
                };
                r.map_err(|e| CoreError::InvalidInput(format!("feed row {i}: {e}")))?;
            }
            Ok::<(), CoreError>(())
        })
        .map_err(CoreErr)?;
        Ok(())
    }

    /// Apply requests arriving at or before `ts_exchange` and funding due by then.
    fn advance_to(&mut self, ts_exchange: i64) {
        self.inner.advance_to(ts_exchange);
    }

    /// Send a limit order at local time `ts_local`; side +1 buy / −1 sell. Returns the order id.
    #[pyo3(signature = (ts_local, side, px, qty, post_only=true, client_id=0))]
    fn submit(&mut self, ts_local: i64, side: i8, px: f64, qty: f64, post_only: bool, client_id: i64) -> PyResult<u64> {
        let s = Side::from_sign(side).ok_or_else(|| invalid(format!("order side must be +1 or -1, got {side}")))?;
        let (p, q) = (self.px(px, "order price")?, self.qty(qty, "order size")?);
        Ok(self.inner.submit(ts_local, client_id, s, p, q, post_only).map_err(CoreErr)?)
    }

    /// Send a cancel of `order_id` at local time `ts_local`.
    fn cancel(&mut self, ts_local: i64, order_id: u64) -> PyResult<()> {
        Ok(self.inner.cancel(ts_local, order_id).map_err(CoreErr)?)
    }

    /// Records reaching us by local time `ts_local`, not polled before: [(ts_local, kind, index)],
    /// kind "order" | "fill" | "funding", index into that record table.
    fn poll(&mut self, ts_local: i64) -> Vec<(i64, &'static str, usize)> {
        let kind = |k: NoticeKind| match k {
            NoticeKind::Order => "order",
            NoticeKind::Fill => "fill",
            NoticeKind::Funding => "funding",
        };
        self.inner.poll(ts_local).into_iter().map(|n| (n.ts_local, kind(n.kind), n.index)).collect()
    }

    /// Fills as columns (px, qty, queue_ahead, leaves scaled int64; fee float quote currency).
    fn fills<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let f = self.inner.fills();
        let d = PyDict::new(py);
        d.set_item("ts_exchange", f.iter().map(|x| x.ts_exchange).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("ts_local", f.iter().map(|x| x.ts_local).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("order_id", f.iter().map(|x| x.order_id).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("client_id", f.iter().map(|x| x.client_id).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("side", f.iter().map(|x| x.side).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("px", f.iter().map(|x| x.px).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("qty", f.iter().map(|x| x.qty).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("fee", f.iter().map(|x| x.fee).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("maker", f.iter().map(|x| x.maker).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("queue_ahead", f.iter().map(|x| x.queue_ahead).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("leaves", f.iter().map(|x| x.leaves).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("kind", PyList::new(py, f.iter().map(|x| x.kind.name()))?)?;
        Ok(d)
    }

    /// Order state transitions as columns (px, qty, leaves scaled int64).
    fn order_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let e = self.inner.order_events();
        let d = PyDict::new(py);
        d.set_item("ts_exchange", e.iter().map(|x| x.ts_exchange).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("ts_local", e.iter().map(|x| x.ts_local).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("order_id", e.iter().map(|x| x.order_id).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("client_id", e.iter().map(|x| x.client_id).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("side", e.iter().map(|x| x.side).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("px", e.iter().map(|x| x.px).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("qty", e.iter().map(|x| x.qty).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("leaves", e.iter().map(|x| x.leaves).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("state", PyList::new(py, e.iter().map(|x| x.state.name()))?)?;
        d.set_item("reason", PyList::new(py, e.iter().map(|x| x.reason.name()))?)?;
        Ok(d)
    }

    /// Funding settlements as columns (position, mark_px scaled int64; rate, payment float).
    fn funding_payments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = self.inner.funding_payments();
        let d = PyDict::new(py);
        d.set_item("ts_exchange", p.iter().map(|x| x.ts_exchange).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("ts_local", p.iter().map(|x| x.ts_local).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("position", p.iter().map(|x| x.position).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("mark_px", p.iter().map(|x| x.mark_px).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("rate", p.iter().map(|x| x.rate).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("payment", p.iter().map(|x| x.payment).collect::<Vec<_>>().into_pyarray(py))?;
        Ok(d)
    }

    /// Counted non-error events.
    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.counters();
        let d = PyDict::new(py);
        d.set_item("post_only_rejects", c.post_only_rejects)?;
        d.set_item("cancel_rejects", c.cancel_rejects)?;
        d.set_item("taker_remainders", c.taker_remainders)?;
        d.set_item("trades_unattributed", c.trades_unattributed)?;
        d.set_item("funding_skipped", c.funding_skipped)?;
        d.set_item("market_events", c.market_events)?;
        Ok(d)
    }

    /// Estimated size ahead of a resting order (instrument units); None unless it rests.
    fn queue_ahead(&self, order_id: u64) -> Option<f64> {
        self.inner.queue_ahead(order_id).map(|q| q as f64 / self.qty_unit)
    }

    /// Open size of a live (in-flight or resting) order, instrument units.
    fn leaves(&self, order_id: u64) -> Option<f64> {
        self.inner.leaves(order_id).map(|q| q as f64 / self.qty_unit)
    }

    /// "in_flight" | "open" | "done", or None for an unknown id.
    fn order_status(&self, order_id: u64) -> Option<&'static str> {
        self.inner.order_status(order_id).map(|s| match s {
            Status::InFlight => "in_flight",
            Status::Open => "open",
            Status::Done => "done",
        })
    }

    /// Ids of resting orders, ascending.
    fn open_orders(&self) -> Vec<u64> {
        self.inner.open_orders()
    }

    /// Best bid (px, qty) of the replayed book, or None.
    fn best_bid(&self) -> Option<(f64, f64)> {
        self.inner.best_bid().map(|(p, q)| (p as f64 / self.px_unit, q as f64 / self.qty_unit))
    }

    /// Best ask (px, qty) of the replayed book, or None.
    fn best_ask(&self) -> Option<(f64, f64)> {
        self.inner.best_ask().map(|(p, q)| (p as f64 / self.px_unit, q as f64 / self.qty_unit))
    }

    /// Position, instrument units (+ long).
    #[getter]
    fn position(&self) -> f64 {
        self.inner.position() as f64 / self.qty_unit
    }

    /// Quote balance change: sell notional − buy notional − fees + funding.
    #[getter]
    fn cash(&self) -> f64 {
        self.inner.cash()
    }

    /// Total fees paid (negative = net rebate), quote currency.
    #[getter]
    fn fees_paid(&self) -> f64 {
        self.inner.fees_paid()
    }

    /// Total funding received (negative = paid), quote currency.
    #[getter]
    fn funding_received(&self) -> f64 {
        self.inner.funding_received()
    }

    /// Venue clock, ns (None before the first event).
    #[getter]
    fn clock(&self) -> Option<i64> {
        Some(self.inner.clock()).filter(|&c| c != i64::MIN)
    }

    /// Latest feed latency ts_local − ts_exchange seen, ns.
    #[getter]
    fn feed_latency_ns(&self) -> i64 {
        self.inner.feed_latency_ns()
    }

    /// State names in code order, for decoding.
    #[staticmethod]
    fn order_states() -> Vec<&'static str> {
        OrderState::ALL.iter().map(|s| s.name()).collect()
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "ExchangeSim(queue={:?}, position={}, open_orders={}, fills={}, cash={})",
            c.queue,
            self.inner.position() as f64 / self.qty_unit,
            self.inner.open_orders().len(),
            self.inner.fills().len(),
            self.inner.cash()
        )
    }
}
