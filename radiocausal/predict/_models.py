"""Penalised models and the leak-free pipeline they live in.

Every data-dependent step (harmonisation, user pre-processing, scaling, univariate selection,
hyper-parameter tuning) is a step of one scikit-learn :class:`~sklearn.pipeline.Pipeline`, so
that cloning and fitting it on a training fold fits *all* of them on that fold only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectKBest, f_classif, f_regression
from sklearn.linear_model import ElasticNetCV, LassoCV, LogisticRegressionCV, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from radiocausal.errors import ModelError

__all__ = ["MODELS", "build_estimator", "build_pipeline", "neg_log_loss"]

#: Model names accepted by :func:`radiocausal.predict.cross_validate`.
MODELS: tuple[str, ...] = ("elastic_net", "lasso", "ridge", "bayesian_horseshoe")

#: Elastic-net mixing values tried by the inner cross-validation.
_ENET_L1_RATIOS = (0.1, 0.5, 0.9)
#: Inverse regularisation strengths tried for logistic models (features are standardised).
_LOGISTIC_CS = tuple(np.logspace(-3, 2, 11))
#: Ridge penalties tried for continuous targets.
_RIDGE_ALPHAS = tuple(np.logspace(-2, 4, 13))


def neg_log_loss(estimator: BaseEstimator, X: Any, y: np.ndarray) -> float:
    """Mean log-likelihood of ``y`` under ``estimator.predict_proba`` (a fast inner-CV scorer).

    Same value as scikit-learn's ``"neg_log_loss"`` scorer (probabilities clipped at 1e-15),
    without its per-call input validation, which dominates the cost of tuning on small folds.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.metrics import log_loss
    >>> X, y = np.arange(8.0)[:, None], np.array([0, 0, 1, 0, 1, 1, 0, 1])
    >>> est = LogisticRegression().fit(X, y)
    >>> bool(np.isclose(neg_log_loss(est, X, y), -log_loss(y, est.predict_proba(X))))
    True
    """
    proba = np.clip(estimator.predict_proba(X), 1e-15, 1.0)
    column = np.searchsorted(estimator.classes_, y)
    return float(np.mean(np.log(proba[np.arange(len(column)), column])))


def build_estimator(
    model: str,
    task: str,
    *,
    inner_splits: int = 3,
    random_state: int | None = 0,
    max_iter: int = 2000,
    model_options: Mapping[str, Any] | None = None,
) -> BaseEstimator:
    """The tuned estimator for ``model`` and ``task`` (hyper-parameters chosen by inner CV).

    Parameters
    ----------
    model : {"elastic_net", "lasso", "ridge", "bayesian_horseshoe"}
        Penalty, or the regularised-horseshoe Bayesian model (PyMC; no inner tuning needed).
    task : {"binary", "multiclass", "continuous"}
        Kind of target.
    inner_splits : int
        Folds of the inner (tuning) cross-validation; stratified for class targets.
    random_state : int or None
        Seed of the inner splitter's shuffling.
    max_iter : int
        Iteration limit of the solver.
    model_options : mapping, optional
        Extra keyword arguments of the estimator (for ``"bayesian_horseshoe"``: ``draws``,
        ``tune``, ``chains``, ``target_accept``, ``expected_nonzero``, ...).

    Returns
    -------
    sklearn estimator
        ``LogisticRegressionCV`` for class targets; ``ElasticNetCV``, ``LassoCV`` or ``RidgeCV``
        for continuous ones; ``HorseshoeClassifier`` / ``HorseshoeRegressor`` for the Bayesian
        model.

    Examples
    --------
    >>> build_estimator("lasso", "binary").l1_ratios
    (1.0,)
    """
    if model not in MODELS:
        raise ModelError(f"model={model!r} is not available; expected one of {list(MODELS)}")
    options = dict(model_options or {})
    if model == "bayesian_horseshoe":
        from radiocausal.predict._horseshoe import HorseshoeClassifier, HorseshoeRegressor

        options.setdefault("random_state", random_state)
        cls = HorseshoeRegressor if task == "continuous" else HorseshoeClassifier
        try:
            return cls(**options)
        except TypeError as exc:
            raise ModelError(f"model_options={options!r} do not fit {cls.__name__}: {exc}") from exc
    if options:
        raise ModelError(f"model_options are only used by 'bayesian_horseshoe', got {options!r} for {model!r}")
    if task in ("binary", "multiclass"):
        inner = StratifiedKFold(n_splits=inner_splits, shuffle=True, random_state=random_state)
        l1 = {"elastic_net": _ENET_L1_RATIOS, "lasso": (1.0,), "ridge": (0.0,)}[model]
        return LogisticRegressionCV(
            Cs=list(_LOGISTIC_CS),
            l1_ratios=l1,
            solver="lbfgs" if model == "ridge" else "saga",
            cv=inner,
            scoring=neg_log_loss,
            max_iter=max_iter,
            tol=1e-3 if model != "ridge" else 1e-4,
            random_state=random_state,
            use_legacy_attributes=False,
        )
    if task == "continuous":
        inner = KFold(n_splits=inner_splits, shuffle=True, random_state=random_state)
        if model == "elastic_net":
            return ElasticNetCV(l1_ratio=list(_ENET_L1_RATIOS), cv=inner, max_iter=max_iter)
        if model == "lasso":
            return LassoCV(cv=inner, max_iter=max_iter)
        return RidgeCV(alphas=list(_RIDGE_ALPHAS), cv=inner)
    raise ModelError(f"task={task!r} is not supported; expected 'binary', 'multiclass' or 'continuous'")


def build_pipeline(
    estimator: BaseEstimator,
    *,
    task: str,
    imaging_columns: Sequence[str],
    numeric_covariates: Sequence[str] = (),
    categorical_covariates: Sequence[str] = (),
    preprocessing: Sequence[TransformerMixin] = (),
    select_k: int | None = None,
    harmonizer: TransformerMixin | None = None,
) -> Pipeline:
    """Assemble the leak-free pipeline: [harmoniser] → per-block preparation → estimator.

    The imaging block goes through the user's ``preprocessing`` steps, standardisation and
    (optionally) ``SelectKBest`` with a univariate F-test; numeric covariates are standardised
    and categorical ones one-hot encoded.  Everything is fitted by ``Pipeline.fit``, hence on the
    training fold only.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> pipe = build_pipeline(LogisticRegression(), task="binary", imaging_columns=["a", "b"])
    >>> [name for name, _ in pipe.steps]
    ['prepare', 'model']
    """
    blocks: list[tuple[str, Any, list[str]]] = []
    if imaging_columns:
        steps: list[tuple[str, Any]] = [
            (f"user_{i}", clone(step)) for i, step in enumerate(preprocessing)
        ]
        steps.append(("scale", StandardScaler()))
        if select_k is not None:
            score = f_regression if task == "continuous" else f_classif
            steps.append(("select", SelectKBest(score, k=select_k)))
        blocks.append(("imaging", Pipeline(steps), list(imaging_columns)))
    if numeric_covariates:
        blocks.append(("clinical_numeric", StandardScaler(), list(numeric_covariates)))
    if categorical_covariates:
        encoder = OneHotEncoder(drop="if_binary", handle_unknown="ignore", sparse_output=False)
        blocks.append(("clinical_categorical", encoder, list(categorical_covariates)))
    prepare = ColumnTransformer(blocks, remainder="drop", verbose_feature_names_out=False)
    steps_all: list[tuple[str, Any]] = []
    if harmonizer is not None:
        steps_all.append(("harmonize", clone(harmonizer)))
    steps_all += [("prepare", prepare), ("model", clone(estimator))]
    return Pipeline(steps_all).set_output(transform="pandas")
