"""Virtual biopsy: predict genomic status from imaging features with honest validation.

Every data-dependent step (scaling, filtering, selection, harmonisation, tuning) is fitted inside
the training folds of a nested, stratified, repeated cross-validation with patients as the unit;
:func:`cross_validate` is the only route to a performance estimate.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from radiocausal.predict import cross_validate
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(60, 10)), columns=[f"f{i}" for i in range(10)])
>>> y = pd.Series((X["f0"] + 0.5 * rng.normal(size=60) > 0).astype(int))
>>> res = cross_validate(X, y, model="ridge", n_repeats=2)
>>> res.auc > 0.8
True
"""

from radiocausal.predict._dag import dag_inputs
from radiocausal.predict._horseshoe import HorseshoeClassifier, HorseshoeRegressor
from radiocausal.predict._models import MODELS, build_estimator, build_pipeline, neg_log_loss
from radiocausal.predict._validation import (
    CrossValidationResult,
    corrected_t_interval,
    cross_validate,
)
from radiocausal.predict.filters import CorrelationFilter, StabilityFilter
from radiocausal.predict.multiblock import MultiblockResult, RegularizedCCA, cross_decompose

__all__ = [
    "cross_validate",
    "CrossValidationResult",
    "corrected_t_interval",
    "build_estimator",
    "build_pipeline",
    "MODELS",
    "HorseshoeClassifier",
    "HorseshoeRegressor",
    "neg_log_loss",
    "cross_decompose",
    "RegularizedCCA",
    "MultiblockResult",
    "CorrelationFilter",
    "StabilityFilter",
    "dag_inputs",
]
