//! Toxicity (crossbook.models.toxicity): causal trade features, the seed's training labels, the softmax
//! classifier, `AdverseSelectionAdjuster` and `LiquidationDetector`.

use crossbook_core::models::liquidation::{LiquidationDetector, LiquidationParams};
use crossbook_core::models::softmax::{SoftmaxClassifier, SoftmaxOptions};
use crossbook_core::models::toxicity::{label_trades, AdverseSelectionAdjuster, LabelConfig};
use crossbook_core::models::toxicity_features::{
    trade_features, FeatureConfig, FeatureInputs, Quotes, Ticker, Trades, FEATURE_NAMES,
};
use crossbook_core::CoreError;
use numpy::ndarray::Array2;
use numpy::{Element, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::CoreErr;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;

fn invalid(msg: String) -> PyErr {
    CoreErr(CoreError::InvalidInput(msg)).into()
}

fn col<'py, T: Element + Copy>(d: &Bound<'py, PyDict>, name: &str, key: &str) -> PyResult<Vec<T>> {
    let v = d.get_item(key)?.ok_or_else(|| invalid(format!("{name}: missing column {key:?}")))?;
    let arr =
        v.cast_into::<PyArray1<T>>().map_err(|_| invalid(format!("{name}: column {key:?} has the wrong dtype")))?;
    Ok(arr.readonly().as_array().iter().copied().collect())
}

/// Reference quotes: (t_ns, bid, ask, NaN sizes).
type RefCols = (Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// Owned copies of the input columns (numpy dicts → Rust vectors).
struct Owned {
    t: (Vec<i64>, Vec<f64>, Vec<f64>, Vec<i8>),
    own: [Vec<f64>; 4],
    own_t: Vec<i64>,
    refq: Option<RefCols>,
    tk: Option<(Vec<i64>, Vec<f64>, Vec<f64>)>,
    liq: Vec<i64>,
}

impl Owned {
    fn extract(
        trades: &Bound<'_, PyDict>,
        own: &Bound<'_, PyDict>,
        reference: Option<&Bound<'_, PyDict>>,
        ticker: Option<&Bound<'_, PyDict>>,
        liquidations: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Self> {
        let t = (
            col(trades, "trades", "t_ns")?,
            col(trades, "trades", "px")?,
            col(trades, "trades", "qty")?,
            col(trades, "trades", "aggressor")?,
        );
        let own_t = col(own, "own", "t_ns")?;
        let own_c = [
            col(own, "own", "bid")?,
            col(own, "own", "bid_qty")?,
            col(own, "own", "ask")?,
            col(own, "own", "ask_qty")?,
        ];
        let refq = match reference {
            Some(r) => {
                let rt: Vec<i64> = col(r, "reference", "t_ns")?;
                let nan = vec![f64::NAN; rt.len()];
                Some((rt, col(r, "reference", "bid")?, col(r, "reference", "ask")?, nan))
            }
            None => None,
        };
        let tk = match ticker {
            Some(k) => Some((col(k, "ticker", "t_ns")?, col(k, "ticker", "funding")?, col(k, "ticker", "oi")?)),
            None => None,
        };
        let liq = match liquidations {
            Some(a) => a.as_slice()?.to_vec(),
            None => Vec::new(),
        };
        Ok(Self { t, own: own_c, own_t, refq, tk, liq })
    }

    fn inputs(&self) -> FeatureInputs<'_> {
        FeatureInputs {
            trades: Trades { t_ns: &self.t.0, px: &self.t.1, qty: &self.t.2, aggressor: &self.t.3 },
            own: Quotes {
                t_ns: &self.own_t,
                bid: &self.own[0],
                bid_qty: &self.own[1],
                ask: &self.own[2],
                ask_qty: &self.own[3],
            },
            reference: self.refq.as_ref().map(|r| Quotes {
                t_ns: &r.0,
                bid: &r.1,
                bid_qty: &r.3,
                ask: &r.2,
                ask_qty: &r.3,
            }),
            ticker: self.tk.as_ref().map(|k| Ticker { t_ns: &k.0, funding: &k.1, oi: &k.2 }),
            liquidations: &self.liq,
        }
    }
}

/// Names of the 17 feature columns.
#[pyfunction]
pub fn toxicity_feature_names() -> Vec<&'static str> {
    FEATURE_NAMES.to_vec()
}

/// Causal TradeFeatures of every trade: an n × 17 float matrix.
#[pyfunction]
#[pyo3(signature = (trades, own, reference=None, ticker=None, liquidations=None, size_window=500, ref_change_ms=100.0,
    basis_ewma_s=60.0, oi_window_s=60.0, liq_window_ms=1000.0, time_since_cap_ms=60000.0))]
pub fn toxicity_features<'py>(
    py: Python<'py>,
    trades: &Bound<'py, PyDict>,
    own: &Bound<'py, PyDict>,
    reference: Option<&Bound<'py, PyDict>>,
    ticker: Option<&Bound<'py, PyDict>>,
    liquidations: Option<PyReadonlyArray1<'py, i64>>,
    size_window: usize,
    ref_change_ms: f64,
    basis_ewma_s: f64,
    oi_window_s: f64,
    liq_window_ms: f64,
    time_since_cap_ms: f64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let data = Owned::extract(trades, own, reference, ticker, liquidations)?;
    let cfg = FeatureConfig { size_window, ref_change_ms, basis_ewma_s, oi_window_s, liq_window_ms, time_since_cap_ms };
    let rows = py.detach(|| trade_features(&data.inputs(), &cfg)).map_err(CoreErr)?;
    let n = rows.len();
    let flat: Vec<f64> = rows.iter().flat_map(|r| r.to_row()).collect();
    let m = Array2::from_shape_vec((n, FEATURE_NAMES.len()), flat).map_err(|e| invalid(e.to_string()))?;
    Ok(m.into_pyarray(py))
}

/// The seed's training labels (0 noise, 1 informed, 2 liquidation, 3 arbitrage). Uses the future.
#[pyfunction]
#[pyo3(signature = (trades, own, reference=None, ticker=None, informed_bps=5.0, horizon_ms=10000.0,
    arb_window_ms=500.0, arb_min_gap_bps=1.0, arb_close_frac=0.5, basis_ewma_s=60.0, oi_drop_pct=0.05,
    oi_window_s=60.0, funding_pct=0.9, funding_history=10000, require_funding_extreme=true))]
pub fn toxicity_labels<'py>(
    py: Python<'py>,
    trades: &Bound<'py, PyDict>,
    own: &Bound<'py, PyDict>,
    reference: Option<&Bound<'py, PyDict>>,
    ticker: Option<&Bound<'py, PyDict>>,
    informed_bps: f64,
    horizon_ms: f64,
    arb_window_ms: f64,
    arb_min_gap_bps: f64,
    arb_close_frac: f64,
    basis_ewma_s: f64,
    oi_drop_pct: f64,
    oi_window_s: f64,
    funding_pct: f64,
    funding_history: usize,
    require_funding_extreme: bool,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let data = Owned::extract(trades, own, reference, ticker, None)?;
    let cfg = LabelConfig {
        informed_bps,
        horizon_ms,
        arb_window_ms,
        arb_min_gap_bps,
        arb_close_frac,
        basis_ewma_s,
        oi_drop_pct,
        oi_window_s,
        funding_pct,
        funding_history,
        require_funding_extreme,
    };
    let labels = py.detach(|| label_trades(&data.inputs(), &cfg)).map_err(CoreErr)?;
    Ok(labels.into_pyarray(py))
}

fn matrix(x: &PyReadonlyArray2<'_, f64>) -> (Vec<f64>, usize) {
    let a = x.as_array();
    (a.iter().copied().collect(), a.shape()[1])
}

/// Multinomial logistic regression (softmax) with L2, fitted by L-BFGS.
#[pyclass(name = "SoftmaxClassifier", module = "crossbook._core")]
#[derive(Clone)]
pub struct PySoftmaxClassifier {
    inner: SoftmaxClassifier,
}

#[pymethods]
impl PySoftmaxClassifier {
    /// Fit on X (n × d) and integer labels y in 0..n_classes.
    #[staticmethod]
    #[pyo3(signature = (x, y, n_classes, l2=1e-4, standardize=true, class_weight=None, max_iter=1000, gtol=1e-7))]
    fn fit(
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        y: PyReadonlyArray1<'_, i64>,
        n_classes: usize,
        l2: f64,
        standardize: bool,
        class_weight: Option<Vec<f64>>,
        max_iter: usize,
        gtol: f64,
    ) -> PyResult<Self> {
        let (xv, d) = matrix(&x);
        let yv: Vec<usize> = y
            .as_slice()?
            .iter()
            .map(|&v| usize::try_from(v).map_err(|_| invalid(format!("label {v} is negative"))))
            .collect::<PyResult<_>>()?;
        let opts = SoftmaxOptions { l2, standardize, class_weight, max_iter, gtol };
        let inner = py.detach(|| SoftmaxClassifier::fit(&xv, d, &yv, n_classes, &opts)).map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// Class probabilities, n × K.
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (xv, d) = matrix(&x);
        if d != self.inner.n_features {
            return Err(invalid(format!("X has {d} features, the classifier {}", self.inner.n_features)));
        }
        let n = xv.len() / d.max(1);
        let p = py.detach(|| self.inner.predict_proba(&xv)).map_err(CoreErr)?;
        let m = Array2::from_shape_vec((n, self.inner.n_classes), p).map_err(|e| invalid(e.to_string()))?;
        Ok(m.into_pyarray(py))
    }

    /// Coefficients K × (d + 1) (weights on standardized features, then the intercept).
    #[getter]
    fn coef<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = Array2::from_shape_vec((self.inner.n_classes, self.inner.n_features + 1), self.inner.coef.clone())
            .map_err(|e| invalid(e.to_string()))?;
        Ok(m.into_pyarray(py))
    }

    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> F64Array<'py> {
        self.inner.mean.clone().into_pyarray(py)
    }

    #[getter]
    fn scale<'py>(&self, py: Python<'py>) -> F64Array<'py> {
        self.inner.scale.clone().into_pyarray(py)
    }

    #[getter]
    fn n_classes(&self) -> usize {
        self.inner.n_classes
    }

    #[getter]
    fn n_features(&self) -> usize {
        self.inner.n_features
    }

    #[getter]
    fn objective(&self) -> f64 {
        self.inner.objective
    }

    #[getter]
    fn iterations(&self) -> usize {
        self.inner.iterations
    }

    #[getter]
    fn converged(&self) -> bool {
        self.inner.converged
    }

    fn __repr__(&self) -> String {
        format!(
            "SoftmaxClassifier(classes={}, features={}, objective={:.6}, iterations={}, converged={})",
            self.inner.n_classes,
            self.inner.n_features,
            self.inner.objective,
            self.inner.iterations,
            self.inner.converged
        )
    }
}

/// The seed's AdverseSelectionAdjuster.
#[pyclass(name = "AdverseSelectionAdjuster", module = "crossbook._core")]
pub struct PyAdverseSelectionAdjuster {
    inner: AdverseSelectionAdjuster,
}

#[pymethods]
impl PyAdverseSelectionAdjuster {
    #[new]
    #[pyo3(signature = (classifier=None, informed_class=1, ema_alpha=0.05, kappa_discount_per_informed_pct=0.01,
        spread_premium_per_informed_pct=0.02, kappa_floor=0.3))]
    fn new(
        classifier: Option<PyRef<'_, PySoftmaxClassifier>>,
        informed_class: usize,
        ema_alpha: f64,
        kappa_discount_per_informed_pct: f64,
        spread_premium_per_informed_pct: f64,
        kappa_floor: f64,
    ) -> PyResult<Self> {
        let c = classifier.map(|c| c.inner.clone());
        let inner = AdverseSelectionAdjuster::new(
            c,
            informed_class,
            ema_alpha,
            kappa_discount_per_informed_pct,
            spread_premium_per_informed_pct,
            kappa_floor,
        )
        .map_err(CoreErr)?;
        Ok(Self { inner })
    }

    /// Score one feature row and update; returns its informed probability.
    fn on_trade(&mut self, features: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        Ok(self.inner.on_trade(features.as_slice()?).map_err(CoreErr)?)
    }

    /// Update with an informed probability.
    fn on_informed_probability(&mut self, p: f64) -> PyResult<()> {
        Ok(self.inner.on_informed_probability(p).map_err(CoreErr)?)
    }

    /// Run over a feature matrix: (informed probability, κ adjustment, spread premium bps) per row.
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<(F64Array<'py>, F64Array<'py>, F64Array<'py>)> {
        let a = x.as_array();
        let (mut p, mut k, mut s) = (Vec::new(), Vec::new(), Vec::new());
        for row in a.rows() {
            let r: Vec<f64> = row.iter().copied().collect();
            p.push(self.inner.on_trade(&r).map_err(CoreErr)?);
            k.push(self.inner.get_kappa_adjustment());
            s.push(self.inner.get_spread_adjustment_bps());
        }
        Ok((p.into_pyarray(py), k.into_pyarray(py), s.into_pyarray(py)))
    }

    #[getter]
    fn informed_fraction(&self) -> f64 {
        self.inner.informed_fraction()
    }

    fn get_kappa_adjustment(&self) -> f64 {
        self.inner.get_kappa_adjustment()
    }

    fn get_spread_adjustment_bps(&self) -> f64 {
        self.inner.get_spread_adjustment_bps()
    }

    fn __repr__(&self) -> String {
        format!(
            "AdverseSelectionAdjuster(informed_fraction={:.4}, kappa_adjustment={:.4}, spread_premium_bps={:.4})",
            self.inner.informed_fraction(),
            self.inner.get_kappa_adjustment(),
            self.inner.get_spread_adjustment_bps()
        )
    }
}

/// The seed's LiquidationDetector (times in ns).
#[pyclass(name = "LiquidationDetector", module = "crossbook._core")]
pub struct PyLiquidationDetector {
    inner: LiquidationDetector,
}

#[pymethods]
impl PyLiquidationDetector {
    #[new]
    #[pyo3(signature = (cascade_threshold_oi_drop_pct=0.5, lookback_s=60.0, slope=4.0, funding_weight=2.0,
        funding_extreme_level=0.9, capacity=100000))]
    fn new(
        cascade_threshold_oi_drop_pct: f64,
        lookback_s: f64,
        slope: f64,
        funding_weight: f64,
        funding_extreme_level: f64,
        capacity: usize,
    ) -> PyResult<Self> {
        let p = LiquidationParams {
            cascade_threshold_oi_drop_pct,
            lookback_ns: (lookback_s * 1e9).round() as i64,
            slope,
            funding_weight,
            funding_extreme_level,
            capacity,
        };
        Ok(Self { inner: LiquidationDetector::new(p).map_err(CoreErr)? })
    }

    /// Update with OI, funding and the time (ns); returns the cascade probability.
    fn update(&mut self, current_oi: f64, current_funding: f64, timestamp_ns: i64) -> PyResult<f64> {
        Ok(self.inner.update(current_oi, current_funding, timestamp_ns).map_err(CoreErr)?)
    }

    /// Update over arrays; returns the probability after each row.
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        oi: PyReadonlyArray1<'py, f64>,
        funding: PyReadonlyArray1<'py, f64>,
        t_ns: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<F64Array<'py>> {
        let (o, f, t) = (oi.as_slice()?, funding.as_slice()?, t_ns.as_slice()?);
        if o.len() != f.len() || o.len() != t.len() {
            return Err(invalid("oi, funding and t_ns must have equal lengths".into()));
        }
        let out = (0..o.len()).map(|i| self.inner.update(o[i], f[i], t[i])).collect::<Result<Vec<f64>, _>>();
        Ok(out.map_err(CoreErr)?.into_pyarray(py))
    }

    fn is_cascade_active(&self) -> bool {
        self.inner.is_cascade_active()
    }

    #[getter]
    fn liquidation_probability(&self) -> f64 {
        self.inner.liquidation_probability()
    }

    #[getter]
    fn oi_change_pct(&self) -> f64 {
        self.inner.oi_change_pct()
    }

    #[getter]
    fn funding_percentile(&self) -> f64 {
        self.inner.funding_percentile()
    }

    fn __repr__(&self) -> String {
        format!(
            "LiquidationDetector(p={:.4}, oi_change_pct={:.4}, funding_percentile={:.3})",
            self.inner.liquidation_probability(),
            self.inner.oi_change_pct(),
            self.inner.funding_percentile()
        )
    }
}
