//! The quote engine (crossbook.quote): `QuoteEngine` (one cycle per call, or a batch with the GIL
//! released), the GLFT coefficients, and the A/k calibration from trade-arrival depths.

use crossbook_core::quote::calibrate::{arrival_depths, fit_intensity, IntensityGrid};
use crossbook_core::quote::glft::Glft;
use crossbook_core::quote::records::{Field, SkipReason};
use crossbook_core::quote::{run, EnhancedQuoteEngine, QuoteInputs, QuoteParams, QuoteRecord};
use crossbook_core::CoreError;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type I64Array<'py> = Bound<'py, PyArray1<i64>>;
type I8Array<'py> = Bound<'py, PyArray1<i8>>;
/// (t_ns, depth_ticks, side, duration_s, n_before_mid, n_negative)
type DepthTuple<'py> = (I64Array<'py>, F64Array<'py>, I8Array<'py>, f64, usize, usize);

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

type Getter = fn(&QuoteRecord) -> f64;

/// Float columns of a record, in output order (inputs carry their own names; the κ input is `kappa_input`).
fn f64_columns() -> Vec<(&'static str, Getter)> {
    vec![
        ("bid_px", |r| r.bid_px),
        ("ask_px", |r| r.ask_px),
        ("bid_size", |r| r.bid_size),
        ("ask_size", |r| r.ask_size),
        ("centre_px", |r| r.centre_px),
        ("reservation_px", |r| r.reservation_px),
        ("bid_depth_bps", |r| r.bid_depth_bps),
        ("ask_depth_bps", |r| r.ask_depth_bps),
        ("half_spread_bps", |r| r.half_spread_bps),
        ("glft_half_spread_bps", |r| r.glft_half_spread_bps),
        ("c1_bps", |r| r.c1_bps),
        ("vol_term_bps", |r| r.vol_term_bps),
        ("inventory_skew_bps", |r| r.inventory_skew_bps),
        ("directional_skew_bps", |r| r.directional_skew_bps),
        ("spread_bps", |r| r.spread_bps),
        ("quoted_spread_bps", |r| r.quoted_spread_bps),
        ("kappa", |r| r.kappa),
        ("kappa_floored", |r| r.kappa_floored),
        ("gamma", |r| r.gamma),
        ("kappa_multiplier", |r| r.kappa_multiplier),
        ("spread_floor_bps", |r| r.spread_floor_bps),
        ("max_inventory", |r| r.max_inventory),
        ("as_kappa_adjustment", |r| r.as_kappa_adjustment),
        ("as_spread_premium_bps", |r| r.as_spread_premium_bps),
        ("uncertainty_mult", |r| r.uncertainty_mult),
        ("sigma_bps", |r| r.sigma_bps),
        ("p_quiet", |r| r.regime_probs[0]),
        ("p_trending", |r| r.regime_probs[1]),
        ("p_volatile", |r| r.regime_probs[2]),
        ("p_cascade", |r| r.regime_probs[3]),
        ("mid", |r| r.inputs.mid),
        ("microprice", |r| r.inputs.microprice),
        ("ll_microprice", |r| r.inputs.ll_microprice),
        ("ll_skew_bps", |r| r.inputs.ll_skew_bps),
        ("best_bid", |r| r.inputs.best_bid),
        ("best_ask", |r| r.inputs.best_ask),
        ("tick", |r| r.inputs.tick),
        ("inventory", |r| r.inputs.inventory),
        ("sigma2_per_s", |r| r.inputs.sigma2_per_s),
        ("kappa_input", |r| r.inputs.kappa),
        ("a", |r| r.inputs.a),
        ("informed_fraction", |r| r.inputs.informed_fraction),
        ("kappa_cv", |r| r.inputs.kappa_cv),
    ]
}

type ByteGetter = fn(&QuoteRecord) -> u8;

/// Small integer columns (codes and flags).
fn u8_columns() -> Vec<(&'static str, ByteGetter)> {
    vec![
        ("regime", |r| r.regime),
        ("skip", |r| r.skip),
        ("skip_field", |r| r.skip_field),
        ("defensive", |r| r.defensive),
        ("clamped", |r| r.clamped),
        ("cascade", |r| u8::from(r.inputs.cascade)),
    ]
}

fn record_dict<'py>(py: Python<'py>, r: &QuoteRecord) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("cycle", r.cycle)?;
    d.set_item("t_ns", r.inputs.t_ns)?;
    for (name, get) in f64_columns() {
        d.set_item(name, get(r))?;
    }
    for (name, get) in u8_columns() {
        d.set_item(name, get(r))?;
    }
    Ok(d)
}

fn column<'py, T: numpy::Element>(d: &Bound<'py, PyDict>, name: &str) -> PyResult<PyReadonlyArray1<'py, T>> {
    match d.get_item(name)? {
        Some(v) => Ok(v.extract()?),
        None => Err(invalid(format!("quote inputs: missing column {name:?}"))),
    }
}

/// Names of the skip reasons by code and of the input fields by code, for the Python side.
#[pyfunction]
pub fn quote_codes() -> (Vec<&'static str>, Vec<&'static str>) {
    let fields = Field::ALL.iter().map(|f| f.name()).collect();
    (SkipReason::ALL.iter().map(|s| s.name()).collect(), fields)
}

/// The quote engine of seed § 3.7.
#[pyclass(name = "QuoteEngine", module = "crossbook._core")]
pub struct PyQuoteEngine {
    inner: EnhancedQuoteEngine,
}

#[pymethods]
impl PyQuoteEngine {
    /// Build from a JSON config (keys of `QuoteParams`; missing keys take the core defaults).
    #[new]
    fn new(config_json: &str) -> PyResult<Self> {
        let params = QuoteParams::from_json(config_json).map_err(CoreErr)?;
        Ok(Self { inner: EnhancedQuoteEngine::new(params).map_err(CoreErr)? })
    }

    /// One cycle; returns the record as a dict.
    #[pyo3(signature = (*, t_ns, mid, microprice, ll_microprice, ll_skew_bps, best_bid, best_ask, tick, inventory, regime_probs, sigma2_per_s, kappa, a, informed_fraction, kappa_cv, cascade))]
    fn cycle<'py>(
        &mut self,
        py: Python<'py>,
        t_ns: i64,
        mid: f64,
        microprice: f64,
        ll_microprice: f64,
        ll_skew_bps: f64,
        best_bid: f64,
        best_ask: f64,
        tick: f64,
        inventory: f64,
        regime_probs: [f64; 4],
        sigma2_per_s: f64,
        kappa: f64,
        a: f64,
        informed_fraction: f64,
        kappa_cv: f64,
        cascade: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let inp = QuoteInputs {
            t_ns,
            mid,
            microprice,
            ll_microprice,
            ll_skew_bps,
            best_bid,
            best_ask,
            tick,
            inventory,
            regime_probs,
            sigma2_per_s,
            kappa,
            a,
            informed_fraction,
            kappa_cv,
            cascade,
        };
        let rec = self.inner.generate_quotes(&inp);
        record_dict(py, &rec)
    }

    /// Cycles over columns (dict of numpy arrays: t_ns int64; regime_probs float64 (n, 4); cascade
    /// bool; the rest float64); returns a dict of record columns. The GIL is released for the loop.
    fn run<'py>(&mut self, py: Python<'py>, columns: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
        let t = column::<i64>(columns, "t_ns")?;
        let names = [
            "mid",
            "microprice",
            "ll_microprice",
            "ll_skew_bps",
            "best_bid",
            "best_ask",
            "tick",
            "inventory",
            "sigma2_per_s",
            "kappa",
            "a",
            "informed_fraction",
            "kappa_cv",
        ];
        let arrays: Vec<PyReadonlyArray1<'py, f64>> =
            names.iter().map(|n| column::<f64>(columns, n)).collect::<PyResult<_>>()?;
        let probs: PyReadonlyArray2<'py, f64> = match columns.get_item("regime_probs")? {
            Some(v) => v.extract()?,
            None => return Err(invalid("quote inputs: missing column \"regime_probs\"".into())),
        };
        let cascade = column::<bool>(columns, "cascade")?;
        let t = t.as_slice()?;
        let n = t.len();
        let mut f: Vec<&[f64]> = Vec::with_capacity(names.len());
        for (name, arr) in names.iter().zip(&arrays) {
            let s = arr.as_slice()?;
            if s.len() != n {
                return Err(invalid(format!("quote inputs: column {name:?} has {} rows, t_ns has {n}", s.len())));
            }
            f.push(s);
        }
        let cascade = cascade.as_slice()?;
        let probs = probs.as_array();
        if cascade.len() != n || probs.dim() != (n, 4) {
            return Err(invalid(format!(
                "quote inputs: cascade has {} rows and regime_probs shape {:?}; expected {n} and ({n}, 4)",
                cascade.len(),
                probs.dim()
            )));
        }
        let inputs: Vec<QuoteInputs> = (0..n)
            .map(|k| QuoteInputs {
                t_ns: t[k],
                mid: f[0][k],
                microprice: f[1][k],
                ll_microprice: f[2][k],
                ll_skew_bps: f[3][k],
                best_bid: f[4][k],
                best_ask: f[5][k],
                tick: f[6][k],
                inventory: f[7][k],
                regime_probs: [probs[[k, 0]], probs[[k, 1]], probs[[k, 2]], probs[[k, 3]]],
                sigma2_per_s: f[8][k],
                kappa: f[9][k],
                a: f[10][k],
                informed_fraction: f[11][k],
                kappa_cv: f[12][k],
                cascade: cascade[k],
            })
            .collect();
        let engine = &mut self.inner;
        let recs = py.detach(|| run(engine, &inputs));
        let out = PyDict::new(py);
        out.set_item("cycle", recs.iter().map(|r| r.cycle).collect::<Vec<u64>>().into_pyarray(py))?;
        out.set_item("t_ns", recs.iter().map(|r| r.inputs.t_ns).collect::<Vec<i64>>().into_pyarray(py))?;
        for (name, get) in f64_columns() {
            out.set_item(name, recs.iter().map(get).collect::<Vec<f64>>().into_pyarray(py))?;
        }
        for (name, get) in u8_columns() {
            out.set_item(name, recs.iter().map(get).collect::<Vec<u8>>().into_pyarray(py))?;
        }
        Ok(out)
    }

    /// Cycles per outcome: "quoted" and each skip reason.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (reason, count) in SkipReason::ALL.iter().zip(self.inner.counts()) {
            let name = if *reason == SkipReason::None { "quoted" } else { reason.name() };
            d.set_item(name, *count)?;
        }
        Ok(d)
    }

    #[getter]
    fn cycles(&self) -> u64 {
        self.inner.cycles()
    }

    /// The parameters in use, as JSON.
    #[getter]
    fn config_json(&self) -> PyResult<String> {
        self.inner.params().to_json().map_err(|e| CoreErr(e).into())
    }

    /// Forget counters, warm-up start and clock.
    fn reset(&mut self) {
        self.inner.reset();
    }

    fn __repr__(&self) -> String {
        let c = self.inner.counts();
        format!("QuoteEngine(cycles={}, quoted={}, skipped={})", self.inner.cycles(), c[0], c[1..].iter().sum::<u64>())
    }
}

/// GLFT coefficients (Guéant 2017, ξ = γ, Δ = 1 lot; bps units): (c1, c2, half_spread, skew_per_lot).
#[pyfunction]
pub fn glft_coefficients(gamma: f64, kappa: f64, a: f64, sigma_bps: f64) -> PyResult<(f64, f64, f64, f64)> {
    for (name, v) in [("gamma", gamma), ("kappa", kappa), ("a", a)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(invalid(format!("{name} must be a finite number > 0 (got {v})")));
        }
    }
    if !(sigma_bps.is_finite() && sigma_bps >= 0.0) {
        return Err(invalid(format!("sigma_bps must be a finite number >= 0 (got {sigma_bps})")));
    }
    let g = Glft::new(gamma, kappa, a, sigma_bps);
    Ok((g.c1, g.c2, g.half_spread(), g.skew_per_lot))
}

/// Trade-arrival depths from the mid (ticks): per trade (step_ns = 0) or per step and side.
#[pyfunction]
pub fn quote_arrival_depths<'py>(
    py: Python<'py>,
    trade_t: PyReadonlyArray1<'py, i64>,
    trade_px: PyReadonlyArray1<'py, f64>,
    trade_side: PyReadonlyArray1<'py, i8>,
    mid_t: PyReadonlyArray1<'py, i64>,
    mid: PyReadonlyArray1<'py, f64>,
    tick: f64,
    step_ns: i64,
) -> PyResult<DepthTuple<'py>> {
    let (tt, tp, ts, mt, mv) =
        (trade_t.as_slice()?, trade_px.as_slice()?, trade_side.as_slice()?, mid_t.as_slice()?, mid.as_slice()?);
    let d = py.detach(|| arrival_depths(tt, tp, ts, mt, mv, tick, step_ns)).map_err(CoreErr)?;
    Ok((
        d.t_ns.into_pyarray(py),
        d.depth_ticks.into_pyarray(py),
        d.side.into_pyarray(py),
        d.duration_s,
        d.n_before_mid,
        d.n_negative,
    ))
}

/// Log-linear fit of λ(δ) = A·exp(−kδ) to arrival depths (ticks); returns a dict (a, k, r2, n_points and
/// the grid arrays depth_ticks, counts, rate, used).
#[pyfunction]
#[pyo3(signature = (depth_ticks, exposure_s, step_ticks=0.5, max_ticks=70.0, min_count=10, at_price_fills=false))]
pub fn quote_fit_intensity<'py>(
    py: Python<'py>,
    depth_ticks: PyReadonlyArray1<'py, f64>,
    exposure_s: f64,
    step_ticks: f64,
    max_ticks: f64,
    min_count: usize,
    at_price_fills: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let d = depth_ticks.as_slice()?;
    let grid = IntensityGrid { step_ticks, max_ticks, min_count, at_price_fills };
    let fit = py.detach(|| fit_intensity(d, exposure_s, &grid)).map_err(CoreErr)?;
    let out = PyDict::new(py);
    out.set_item("a", fit.a)?;
    out.set_item("k", fit.k)?;
    out.set_item("r2", fit.r2)?;
    out.set_item("n_points", fit.n_points)?;
    out.set_item("depth_ticks", fit.depth_ticks.into_pyarray(py))?;
    out.set_item("counts", fit.counts.into_pyarray(py))?;
    out.set_item("rate", fit.rate.into_pyarray(py))?;
    out.set_item("used", fit.used.into_pyarray(py))?;
    Ok(out)
}
