"""Statistical models of the market (heatmap seed Part 3), Rust core.

- :mod:`crossbook.models.hmm`: the four-regime hidden Markov model — :func:`hmm_filter`,
  :class:`HmmFilter`, :func:`fit_hmm`, :func:`regime_features`, :func:`regime_probs`;
- :mod:`crossbook.models.hawkes`: exponential Hawkes MLE (``fit_hawkes_exp(times_s, horizon_s)`` →
  ``mu``, ``alpha`` = branching ratio, ``beta``), online ``HawkesIntensity``, the time-rescaling test,
  the seed's three extensions, ``FillIntensityModel`` and ``intensity_to_kappa``;
- :mod:`crossbook.models.toxicity`: trade labels (informed / noise / liquidation / arbitrage),
  causal ``TradeFeatures``, the softmax ``TradeClassifier``, ``AdverseSelectionAdjuster`` and
  ``LiquidationDetector``.
"""

from crossbook.models.hawkes import (
    FillIntensityModel,
    GofResult,
    HawkesIntensity,
    fill_intensity_model,
    fit_hawkes_exp,
    fit_hawkes_marked,
    fit_hawkes_queue,
    fit_hawkes_state_baseline,
    fit_poisson,
    hawkes_loglik,
    intensity_to_kappa,
    simulate_hawkes_exp,
    simulate_hawkes_marked,
    simulate_hawkes_queue,
    simulate_hawkes_state_baseline,
    state_covariates,
    time_rescaling_test,
    trade_times,
)
from crossbook.models.hmm import (
    FEATURES,
    REGIMES,
    SEED_TRANSMAT,
    HmmFilter,
    HmmModel,
    fit_hmm,
    hmm_filter,
    regime_features,
    regime_probs,
)
from crossbook.models.toxicity import (
    FEATURE_NAMES,
    LABELS,
    AdverseSelectionAdjuster,
    LiquidationDetector,
    SoftmaxClassifier,
    TradeClassifier,
    confusion_matrix,
    label_trades,
    trade_features,
)

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "LABELS",
    "REGIMES",
    "SEED_TRANSMAT",
    "AdverseSelectionAdjuster",
    "FillIntensityModel",
    "GofResult",
    "HawkesIntensity",
    "HmmFilter",
    "HmmModel",
    "LiquidationDetector",
    "SoftmaxClassifier",
    "TradeClassifier",
    "confusion_matrix",
    "fill_intensity_model",
    "fit_hawkes_exp",
    "fit_hawkes_marked",
    "fit_hawkes_queue",
    "fit_hawkes_state_baseline",
    "fit_hmm",
    "fit_poisson",
    "hawkes_loglik",
    "hmm_filter",
    "intensity_to_kappa",
    "label_trades",
    "regime_features",
    "regime_probs",
    "simulate_hawkes_exp",
    "simulate_hawkes_marked",
    "simulate_hawkes_queue",
    "simulate_hawkes_state_baseline",
    "state_covariates",
    "time_rescaling_test",
    "trade_features",
    "trade_times",
]
