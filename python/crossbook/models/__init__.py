"""Statistical models of the market (Rust core): regimes (HMM); intensity and toxicity models join here.

- :mod:`crossbook.models.hmm`: the four-regime hidden Markov model — :func:`hmm_filter`,
  :class:`HmmFilter`, :func:`fit_hmm`, :func:`regime_features`, :func:`regime_probs`.
"""

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

__all__ = [
    "FEATURES",
    "REGIMES",
    "SEED_TRANSMAT",
    "HmmFilter",
    "HmmModel",
    "fit_hmm",
    "hmm_filter",
    "regime_features",
    "regime_probs",
]
