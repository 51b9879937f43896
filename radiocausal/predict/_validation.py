"""Nested, stratified, repeated cross-validation with patients as the unit (the only public route).

The outer loop (``RepeatedStratifiedKFold``, or leave-one-site-out) splits *patients*; in each
training part a fresh clone of the whole pipeline is fitted, and its hyper-parameters are tuned by
the estimator's own inner, stratified cross-validation on that training part only.  Nothing is
ever fitted on a test fold, and there is no function that tunes on all data and then reports
cross-validated performance.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from sklearn.base import TransformerMixin, clone
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    balanced_accuracy_score,
    brier_score_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import (
    GroupKFold,
    LeaveOneGroupOut,
    RepeatedKFold,
    RepeatedStratifiedKFold,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target

from radiocausal.errors import ConvergenceWarning, DataError, ModelError
from radiocausal.predict._models import MODELS, build_estimator, build_pipeline

__all__ = ["cross_validate", "CrossValidationResult", "corrected_t_interval"]

_PRIMARY = {"binary": "auc", "multiclass": "auc", "continuous": "r2"}
_SITE_COLUMN = "__radiocausal_site__"


# ------------------------------------------------------------------------------------------------
# confidence interval for repeated k-fold scores
# ------------------------------------------------------------------------------------------------
def corrected_t_interval(
    scores: Sequence[float], test_fraction: float, level: float = 0.95
) -> tuple[float, float]:
    """Confidence interval of a mean cross-validated score, corrected for overlapping folds.

    Scores from repeated k-fold CV are correlated (training sets overlap), so the naive
    ``sd / sqrt(J)`` is too small.  The Nadeau-Bengio correction inflates the variance to
    ``(1/J + n_test/n_train) * s^2`` and uses a t quantile with ``J - 1`` degrees of freedom
    (Nadeau & Bengio 2003; Bouckaert & Frank 2004).

    Parameters
    ----------
    scores : sequence of float
        One score per outer fold (all repeats); NaN entries are ignored.
    test_fraction : float
        ``n_test / n_train`` of a typical fold (``1 / (k - 1)`` for k-fold).
    level : float
        Coverage of the interval.

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(nan, nan)`` with fewer than two finite scores.

    Examples
    --------
    >>> low, high = corrected_t_interval([0.70, 0.74, 0.72, 0.69, 0.75], test_fraction=0.25)
    >>> bool(low < 0.72 < high)
    True
    """
    values = np.asarray(scores, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return (float("nan"), float("nan"))
    if not 0 < level < 1:
        raise ModelError(f"level={level!r} must lie strictly between 0 and 1")
    mean = values.mean()
    variance = values.var(ddof=1) * (1.0 / values.size + test_fraction)
    half = stats.t.ppf(0.5 + level / 2, df=values.size - 1) * np.sqrt(variance)
    return (float(mean - half), float(mean + half))


# ------------------------------------------------------------------------------------------------
# result object
# ------------------------------------------------------------------------------------------------
@dataclass
class _Spec:
    """Everything needed to re-run the same cross-validation (for permutation tests)."""

    pipeline: Pipeline
    X: pd.DataFrame
    y: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]]
    repeat_of_fold: np.ndarray
    groups: np.ndarray | None
    task: str
    n_classes: int


@dataclass
class CrossValidationResult:
    """Out-of-fold performance of one model, from :func:`cross_validate`.

    Attributes
    ----------
    task : str
        ``"binary"``, ``"multiclass"`` or ``"continuous"``.
    model : str
        The model name.
    metric : str
        The primary metric: ``"auc"`` for class targets (macro one-vs-rest for multi-class),
        ``"r2"`` for continuous ones.
    classes : list
        Original class labels in model order (empty for continuous targets); for binary
        targets ``classes[1]`` is the positive class.
    fold_scores : pandas.DataFrame
        One row per outer fold: ``repeat``, ``fold``, ``n_train``, ``n_test`` and the metrics.
    predictions_by_repeat : pandas.DataFrame
        Out-of-fold predictions, one column per repeat (binary: probability of the positive
        class; continuous: predicted value); for multi-class, columns are ``(repeat, class)``.
    selection_frequency : pandas.Series
        Fraction of outer folds in which each model input (imaging feature or encoded
        covariate) had a non-zero coefficient, sorted decreasingly.
    coefficients : pandas.DataFrame
        Coefficients per outer fold (rows) and model input (columns); 0 when not selected.
        For multi-class targets, the largest absolute coefficient over classes.
    calibration : pandas.DataFrame
        Per repeat: calibration ``slope`` and ``intercept`` (calibration-in-the-large) of the
        out-of-fold predictions; empty for multi-class targets.
    baseline : CrossValidationResult or None
        The clinical-only model on the *same* folds, when covariates were given.
    """

    task: str
    model: str
    metric: str
    classes: list[Any]
    fold_scores: pd.DataFrame
    predictions_by_repeat: pd.DataFrame
    selection_frequency: pd.Series
    coefficients: pd.DataFrame
    calibration: pd.DataFrame
    baseline: CrossValidationResult | None = None
    level: float = 0.95
    _spec: _Spec | None = field(default=None, repr=False)
    _test_fraction: float = field(default=0.25, repr=False)
    _permutations: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict, repr=False)

    # --- scores -----------------------------------------------------------------------------
    def _mean(self, name: str) -> float:
        if name not in self.fold_scores:
            raise ModelError(
                f"metric {name!r} is not defined for a {self.task} target; "
                f"available: {[c for c in self.fold_scores if c not in ('repeat', 'fold', 'n_train', 'n_test')]}"
            )
        return float(np.nanmean(self.fold_scores[name].to_numpy(dtype=float)))

    def _ci(self, name: str) -> tuple[float, float]:
        self._mean(name)
        return corrected_t_interval(self.fold_scores[name], self._test_fraction, self.level)

    @property
    def score(self) -> float:
        """Mean over outer folds of the primary metric."""
        return self._mean(self.metric)

    @property
    def score_ci(self) -> tuple[float, float]:
        """Corrected-t confidence interval of :attr:`score` (see :func:`corrected_t_interval`)."""
        return self._ci(self.metric)

    @property
    def auc(self) -> float:
        """Mean out-of-fold ROC AUC (macro one-vs-rest for multi-class targets)."""
        return self._mean("auc")

    @property
    def auc_ci(self) -> tuple[float, float]:
        """Confidence interval of :attr:`auc` over the repeats' folds."""
        return self._ci("auc")

    @property
    def balanced_accuracy(self) -> float:
        """Mean out-of-fold balanced accuracy (class targets)."""
        return self._mean("balanced_accuracy")

    @property
    def balanced_accuracy_ci(self) -> tuple[float, float]:
        """Confidence interval of :attr:`balanced_accuracy`."""
        return self._ci("balanced_accuracy")

    @property
    def r2(self) -> float:
        """Mean out-of-fold R² (continuous targets)."""
        return self._mean("r2")

    @property
    def r2_ci(self) -> tuple[float, float]:
        """Confidence interval of :attr:`r2`."""
        return self._ci("r2")

    @property
    def calibration_slope(self) -> float:
        """Mean over repeats of the calibration slope (1 is ideal; < 1 means overfitting)."""
        if self.calibration.empty:
            raise ModelError(f"calibration is not computed for a {self.task} target")
        return float(self.calibration["slope"].mean())

    @property
    def calibration_intercept(self) -> float:
        """Mean over repeats of the calibration-in-the-large intercept (0 is ideal)."""
        if self.calibration.empty:
            raise ModelError(f"calibration is not computed for a {self.task} target")
        return float(self.calibration["intercept"].mean())

    @property
    def predictions(self) -> pd.Series | pd.DataFrame:
        """Out-of-fold predictions averaged over repeats, indexed by patient.

        Binary: probability of the positive class (a Series); continuous: predicted value
        (a Series); multi-class: one probability column per class (a DataFrame).
        """
        if self.task == "multiclass":
            return self.predictions_by_repeat.T.groupby(level=1).mean().T[self.classes]
        out = self.predictions_by_repeat.mean(axis=1)
        out.name = "prediction"
        return out

    def improvement(self, metric: str | None = None) -> tuple[float, tuple[float, float]]:
        """Gain of this model over the clinical-only baseline, paired by fold.

        Returns
        -------
        tuple
            ``(mean difference, (low, high))`` with the corrected-t interval.
        """
        if self.baseline is None:
            raise ModelError("no clinical-only baseline: pass covariates= to cross_validate")
        name = metric or self.metric
        diff = self.fold_scores[name].to_numpy(float) - self.baseline.fold_scores[name].to_numpy(float)
        return float(np.nanmean(diff)), corrected_t_interval(diff, self._test_fraction, self.level)

    # --- permutation test --------------------------------------------------------------------
    def permutation_scores(
        self, n_permutations: int = 100, n_repeats: int = 1, random_state: int = 0
    ) -> np.ndarray:
        """Primary metric of the same pipeline on the same folds after shuffling the target.

        The statistic is the mean over the outer folds of the first ``n_repeats`` repeats.  When
        validation is site-wise, labels are shuffled within sites.  Results are cached.
        """
        spec = self._spec
        if spec is None:
            raise ModelError("this result holds no data to permute")
        if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
            raise ModelError(f"n_permutations={n_permutations!r}; expected a positive integer")
        n_rep_total = int(spec.repeat_of_fold.max()) + 1
        if not 1 <= n_repeats <= n_rep_total:
            raise ModelError(f"n_repeats={n_repeats!r}; expected an integer in [1, {n_rep_total}]")
        key = (int(n_permutations), int(n_repeats), int(random_state))
        if key not in self._permutations:
            rng = np.random.default_rng(random_state)
            folds = [s for s, r in zip(spec.splits, spec.repeat_of_fold) if r < n_repeats]
            values = np.empty(n_permutations)
            for i in range(n_permutations):
                y_perm = _shuffle(spec.y, spec.groups, rng)
                with warnings.catch_warnings():
                    # the folds were stratified on the real labels; shuffled rare classes may be
                    # thin in some inner folds, which is part of the null distribution
                    warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
                    warnings.filterwarnings("ignore", category=ConvergenceWarning)
                    scores, *_ = _run_folds(spec.pipeline, spec.X, y_perm, folds, spec.task, spec.n_classes,
                                            spec.groups)
                values[i] = np.nanmean([s[self.metric] for s in scores])
            self._permutations[key] = values
        return self._permutations[key]

    def permutation_pvalue(
        self, n_permutations: int = 100, n_repeats: int = 1, random_state: int = 0
    ) -> float:
        """Permutation p-value of the primary metric against label shuffling.

        ``(1 + #{permuted >= observed}) / (1 + n_permutations)``, where the observed statistic
        is the mean metric over the same folds (first ``n_repeats`` repeats).  Each permutation
        re-runs the whole nested pipeline, so keep ``n_permutations`` modest for slow models.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame(rng.normal(size=(60, 5)), columns=list("abcde"))
        >>> y = pd.Series((X["a"] + rng.normal(size=60) > 0).astype(int))
        >>> res = cross_validate(X, y, model="ridge", n_repeats=1)
        >>> res.permutation_pvalue(n_permutations=9) <= 0.2
        True
        """
        perm = self.permutation_scores(n_permutations, n_repeats, random_state)
        observed = self.fold_scores.loc[self.fold_scores["repeat"] < n_repeats, self.metric].mean()
        return float((1 + np.sum(perm >= observed - 1e-12)) / (1 + perm.size))

    # --- reporting -----------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per (model, metric): mean and confidence interval; baseline rows when present."""
        rows = []
        for label, res in (("imaging" if self.baseline is None else "imaging+clinical", self),
                           ("clinical", self.baseline)):
            if res is None:
                continue
            for name in res.fold_scores.columns:
                if name in ("repeat", "fold", "n_train", "n_test"):
                    continue
                low, high = res._ci(name)
                rows.append({"model": label, "metric": name, "mean": res._mean(name),
                             "ci_low": low, "ci_high": high})
        return pd.DataFrame(rows)

    def plot_calibration(self, path: str | None = None, n_bins: int = 10):
        """Reliability plot of the out-of-fold probabilities (binary targets); saves PNG if ``path``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        if self.task != "binary":
            raise ModelError(f"a reliability plot needs a binary target, not {self.task}")
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from sklearn.calibration import calibration_curve

        y = self._spec.y if self._spec is not None else None
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        for rep in self.predictions_by_repeat.columns:
            frac, mean_pred = calibration_curve(y, self.predictions_by_repeat[rep], n_bins=n_bins,
                                                strategy="quantile")
            ax.plot(mean_pred, frac, marker="o", alpha=0.5, label=f"repeat {rep}")
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set_xlabel("predicted probability (out of fold)")
        ax.set_ylabel("observed fraction positive")
        ax.set_title(f"slope {self.calibration_slope:.2f}, intercept {self.calibration_intercept:.2f}")
        if path is not None:
            fig.savefig(path, dpi=120, bbox_inches="tight")
        return fig

    def plot_selection_frequency(self, path: str | None = None, top: int = 20):
        """Horizontal bar chart of the ``top`` most often selected model inputs; saves PNG if ``path``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        freq = self.selection_frequency.head(top)[::-1]
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(freq) + 1))
        ax.barh([str(k) for k in freq.index], freq.to_numpy())
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"selection frequency over {len(self.coefficients)} outer folds")
        if path is not None:
            fig.savefig(path, dpi=120, bbox_inches="tight")
        return fig

    def __str__(self) -> str:
        low, high = self.score_ci
        text = f"{self.model} ({self.task}): {self.metric} {self.score:.3f} [{low:.3f}, {high:.3f}]"
        if self.baseline is not None:
            blow, bhigh = self.baseline.score_ci
            text += f"; clinical-only {self.baseline.score:.3f} [{blow:.3f}, {bhigh:.3f}]"
        return text


# ------------------------------------------------------------------------------------------------
# the fold runner
# ------------------------------------------------------------------------------------------------
def _shuffle(y: np.ndarray, groups: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    if groups is None:
        return rng.permutation(y)
    out = y.copy()
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        out[idx] = y[rng.permutation(idx)]
    return out


def _fold_metrics(y_true: np.ndarray, pred: np.ndarray, task: str, n_classes: int) -> dict[str, float]:
    if task == "continuous":
        return {"r2": float(r2_score(y_true, pred)), "mae": float(mean_absolute_error(y_true, pred))}
    labels = np.arange(n_classes)
    out: dict[str, float] = {}
    present = np.unique(y_true)
    if task == "binary":
        out["auc"] = float(roc_auc_score(y_true, pred[:, 1])) if present.size == 2 else float("nan")
        out["brier"] = float(brier_score_loss(y_true, pred[:, 1], labels=labels))
    else:
        if present.size == n_classes:
            out["auc"] = float(roc_auc_score(y_true, pred, multi_class="ovr", average="macro",
                                             labels=labels))
        else:
            out["auc"] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balanced accuracy warns when a class is absent
        out["balanced_accuracy"] = float(balanced_accuracy_score(y_true, pred.argmax(axis=1)))
    return out


def _coefficients(fitted: Pipeline) -> pd.Series:
    model = fitted[-1]
    names = np.asarray(model.feature_names_in_, dtype=object)
    coef = np.asarray(model.coef_, dtype=float).reshape(-1, names.size)
    if coef.shape[0] == 1:
        return pd.Series(coef[0], index=names)
    return pd.Series(np.abs(coef).max(axis=0), index=names)


def _site_wise_inner_splits(model, y: np.ndarray, groups: np.ndarray, task: str, n_classes: int):
    """Inner tuning folds that also hold out whole sites (site-wise validation), when feasible.

    Returns ``None`` (keep the model's own stratified folds) when the model has no ``cv``, the
    training part has fewer than 2 sites, or some inner training split would miss a class.
    """
    splitter = getattr(model, "cv", None)
    if splitter is None or not hasattr(splitter, "get_n_splits"):
        return None
    n_sites = np.unique(groups).size
    if n_sites < 2:
        return None
    inner = list(GroupKFold(n_splits=min(splitter.get_n_splits(), n_sites)).split(y, y, groups))
    if task != "continuous":
        for tr, te in inner:
            if np.unique(y[tr]).size < n_classes or te.size == 0:
                return None
    return inner


def _run_folds(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    task: str,
    n_classes: int,
    groups: np.ndarray | None = None,
) -> tuple[list[dict[str, float]], list[np.ndarray], list[pd.Series], int]:
    scores, preds, coefs = [], [], []
    n_unconverged = 0
    for train, test in folds:
        est = clone(pipeline)
        if groups is not None:
            inner = _site_wise_inner_splits(est[-1], y[train], groups[train], task, n_classes)
            if inner is not None:
                est.set_params(model__cv=inner)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SklearnConvergenceWarning)
            est.fit(X.iloc[train], y[train])
        for w in caught:
            if issubclass(w.category, SklearnConvergenceWarning):
                n_unconverged += 1
                break
        for w in caught:
            if not issubclass(w.category, SklearnConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if task == "continuous":
            p = np.asarray(est.predict(X.iloc[test]), dtype=float)
        else:
            proba = est.predict_proba(X.iloc[test])
            p = np.zeros((len(test), n_classes))
            p[:, np.asarray(est[-1].classes_, dtype=int)] = proba
        scores.append(_fold_metrics(y[test], p, task, n_classes))
        preds.append(p)
        coefs.append(_coefficients(est))
    return scores, preds, coefs, n_unconverged


def _calibration(y: np.ndarray, pred: np.ndarray, task: str) -> dict[str, float]:
    if task == "continuous":
        slope, intercept = np.polyfit(pred, y, 1) if np.ptp(pred) > 0 else (np.nan, np.nan)
        return {"slope": float(slope), "intercept": float(intercept)}
    p = np.clip(pred, 1e-6, 1 - 1e-6)
    logit = special.logit(p)
    if np.ptp(logit) == 0:
        slope = float("nan")
    else:
        fit = LogisticRegression(C=np.inf).fit(logit[:, None], y)
        slope = float(fit.coef_[0, 0])

    def loss(a: float) -> float:
        return float(-np.sum(y * special.log_expit(a + logit) + (1 - y) * special.log_expit(-a - logit)))

    intercept = float(optimize.minimize_scalar(loss, bounds=(-20, 20), method="bounded").x)
    return {"slope": slope, "intercept": intercept}


# ------------------------------------------------------------------------------------------------
# input checks
# ------------------------------------------------------------------------------------------------
def _check_frame(name: str, frame: Any, index: pd.Index | None, allow_nan: bool) -> pd.DataFrame:
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame indexed by patient, not {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise DataError(f"{name} has no columns")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise DataError(
            f"{name} has duplicated patient ids {dup}: patients are the unit of splitting; "
            "aggregate lesions or regions to one row per patient first"
        )
    if frame.columns.has_duplicates:
        raise DataError(f"{name} has duplicated column names {frame.columns[frame.columns.duplicated()].tolist()}")
    if index is not None:
        missing = index.difference(frame.index)
        extra = frame.index.difference(index)
        if len(missing) or len(extra):
            raise DataError(
                f"{name} is not indexed by the same patients as features: missing "
                f"{missing[:5].tolist()}, extra {extra[:5].tolist()}"
            )
        frame = frame.loc[index]
    numeric = frame.select_dtypes(include=["number", "bool"])
    if numeric.shape[1]:
        values = numeric.to_numpy(dtype=float)
        if np.isinf(values).any():
            raise DataError(f"{name} contains infinite values in {numeric.columns[np.isinf(values).any(0)].tolist()}")
        if not allow_nan and np.isnan(values).any():
            cols = numeric.columns[np.isnan(values).any(0)].tolist()
            raise DataError(
                f"{name} has missing values in {cols[:10]}; impute inside the folds with "
                "preprocessing=[sklearn.impute.SimpleImputer()] or drop them"
            )
    other = frame.columns.difference(numeric.columns)
    if len(other) and frame[other].isna().any().any():
        raise DataError(f"{name} has missing values in non-numeric columns {list(other)}")
    return frame


def _encode_target(target: Any, index: pd.Index, task: str | None, pos_label: Any):
    if not isinstance(target, pd.Series):
        raise DataError(f"target must be a pandas Series indexed by patient, not {type(target).__name__}")
    if target.index.has_duplicates:
        raise DataError("target has duplicated patient ids; patients are the unit of splitting")
    missing = index.difference(target.index)
    if len(missing):
        raise DataError(f"target has no value for patients {missing[:5].tolist()}")
    extra = target.index.difference(index)
    if len(extra):
        raise DataError(f"target has patients absent from features: {extra[:5].tolist()}")
    target = target.loc[index]
    if target.isna().any():
        raise DataError(
            f"target has {int(target.isna().sum())} missing values (e.g. {target.index[target.isna()][:5].tolist()}); "
            "drop those patients first"
        )
    if task is None:
        kind = type_of_target(target.to_numpy())
        task = {"binary": "binary", "multiclass": "multiclass", "continuous": "continuous"}.get(kind)
        if task is None:
            raise DataError(f"target of type {kind!r} is not supported; expected binary, multi-class or continuous")
    if task not in ("binary", "multiclass", "continuous"):
        raise ModelError(f"task={task!r}; expected 'binary', 'multiclass', 'continuous' or None")
    if task == "continuous":
        if not pd.api.types.is_numeric_dtype(target):
            raise DataError("a continuous target must be numeric")
        return target.to_numpy(dtype=float), [], task
    classes = sorted(pd.unique(target).tolist(), key=lambda v: (str(type(v)), v))
    if task == "binary" and len(classes) != 2:
        raise DataError(f"a binary target needs exactly 2 classes, found {classes}")
    if task == "multiclass" and len(classes) < 3:
        raise DataError(f"a multi-class target needs at least 3 classes, found {classes}")
    if pos_label is not None:
        if task != "binary" or pos_label not in classes:
            raise DataError(f"pos_label={pos_label!r} is not one of the binary classes {classes}")
        classes = [c for c in classes if c != pos_label] + [pos_label]
    codes = {c: i for i, c in enumerate(classes)}
    return target.map(codes).to_numpy(dtype=int), classes, task


# ------------------------------------------------------------------------------------------------
# public entry point
# ------------------------------------------------------------------------------------------------
def cross_validate(
    features: pd.DataFrame,
    target: pd.Series,
    model: str = "elastic_net",
    covariates: pd.DataFrame | None = None,
    n_splits: int = 5,
    n_repeats: int = 5,
    random_state: int = 0,
    *,
    task: str | None = None,
    pos_label: Any = None,
    inner_splits: int = 3,
    select_k: int | None = None,
    preprocessing: Sequence[TransformerMixin] = (),
    sites: pd.Series | None = None,
    leave_site_out: bool = False,
    harmonize: bool = False,
    harmonize_covariates: Sequence[str] = (),
    max_iter: int = 2000,
    model_options: dict[str, Any] | None = None,
    level: float = 0.95,
) -> CrossValidationResult:
    """Nested, stratified, repeated cross-validation of a penalised model (patients as the unit).

    Parameters
    ----------
    features : pandas.DataFrame
        Imaging features, one row per patient (the index); numeric columns.
    target : pandas.Series
        Genomic status on the same index: binary, multi-class or continuous.
    model : {"elastic_net", "lasso", "ridge", "bayesian_horseshoe"}
        Penalty; its strength (and the elastic-net mixing) is tuned by an inner stratified
        ``inner_splits``-fold cross-validation inside each outer training part.
        ``"bayesian_horseshoe"`` is a regularised-horseshoe logistic / multinomial / linear
        model sampled with PyMC in each outer training part (no tuning loop: the global
        shrinkage is learnt from the training data); predictions are posterior-mean
        probabilities.  It takes seconds per fold, so use few repeats.
    covariates : pandas.DataFrame, optional
        Clinical covariates on the same index (e.g. the adjustment set a DAG names).  When
        given, the model uses imaging + covariates and a clinical-only baseline is fitted on
        the same folds (``result.baseline``).  Non-numeric columns are one-hot encoded.
    n_splits, n_repeats : int
        Outer ``RepeatedStratifiedKFold`` (``RepeatedKFold`` for continuous targets).
    random_state : int
        Seed of the outer and inner splitters.
    task : {"binary", "multiclass", "continuous"}, optional
        Overrides the kind inferred from ``target`` (e.g. an integer score meant as continuous).
    pos_label : optional
        Positive class of a binary target (default: the larger of the two sorted labels).
    inner_splits : int
        Folds of the inner tuning CV.
    select_k : int, optional
        Keep the ``select_k`` imaging features with the largest univariate F statistic,
        chosen within each training part.
    preprocessing : sequence of transformers
        Extra steps for the imaging block (imputation, stability filters, ...), cloned and
        fitted inside each training part before scaling.
    sites : pandas.Series, optional
        Site / scanner of each patient (the DAG's batch node), needed by ``leave_site_out``
        and ``harmonize``.
    leave_site_out : bool
        Outer loop = leave-one-site-out (one repeat) instead of repeated k-fold; the inner
        tuning folds then also hold out whole sites (``GroupKFold``) when every inner
        training split keeps all classes, else stay stratified; labels are shuffled within
        sites by the permutation test.
    harmonize : bool
        ComBat-harmonise the imaging features across ``sites`` inside each training part
        (see :class:`radiocausal.harmonize.ComBat`); ``harmonize_covariates`` names the
        columns of ``covariates`` whose effects it preserves.
    max_iter : int
        Solver iteration limit.
    model_options : dict, optional
        Sampler / prior settings of ``"bayesian_horseshoe"`` (``draws``, ``tune``, ``chains``,
        ``target_accept``, ``expected_nonzero``, ``slab_scale``, ``credible_level``).
    level : float
        Coverage of the confidence intervals.

    Returns
    -------
    CrossValidationResult
        ``.auc``, ``.auc_ci``, ``.predictions`` (out of fold, indexed by patient),
        ``.permutation_pvalue(n_permutations=...)``, ``.calibration``,
        ``.selection_frequency``, ``.baseline`` and more.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame(rng.normal(size=(80, 20)), columns=[f"f{i}" for i in range(20)])
    >>> y = pd.Series((X["f0"] - X["f1"] + rng.normal(size=80) > 0).astype(int))
    >>> res = cross_validate(X, y, model="lasso", n_repeats=2)
    >>> res.auc > 0.7 and res.auc_ci[0] < res.auc < res.auc_ci[1]
    True
    >>> res.predictions.shape
    (80,)
    """
    if model not in MODELS:
        raise ModelError(f"model={model!r} is not available; expected one of {list(MODELS)}")
    for name, value, low in (("n_splits", n_splits, 2), ("n_repeats", n_repeats, 1),
                             ("inner_splits", inner_splits, 2)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ModelError(f"{name}={value!r}; expected an integer >= {low}")

    nan_ok = len(preprocessing) > 0
    X_img = _check_frame("features", features, None, allow_nan=nan_ok)
    non_numeric = X_img.columns.difference(X_img.select_dtypes(include=["number", "bool"]).columns)
    if len(non_numeric):
        raise DataError(f"features must be numeric; non-numeric columns: {list(non_numeric)[:10]}")
    index = X_img.index
    y, classes, task = _encode_target(target, index, task, pos_label)
    n_classes = len(classes)
    if select_k is not None and (not isinstance(select_k, (int, np.integer)) or not 1 <= select_k <= X_img.shape[1]):
        raise ModelError(f"select_k={select_k!r}; expected an integer in [1, {X_img.shape[1]}]")

    cov = None
    num_cov: list[str] = []
    cat_cov: list[str] = []
    if covariates is not None:
        cov = _check_frame("covariates", covariates, index, allow_nan=False)
        clash = X_img.columns.intersection(cov.columns)
        if len(clash):
            raise DataError(f"covariates and features share column names {list(clash)}")
        for c in cov.columns:
            if pd.api.types.is_bool_dtype(cov[c]):
                cov[c] = cov[c].astype(float)
        num_cov = cov.select_dtypes(include="number").columns.tolist()
        cat_cov = [c for c in cov.columns if c not in num_cov]
    unknown = [c for c in harmonize_covariates if cov is None or c not in num_cov]
    if unknown:
        raise DataError(
            f"harmonize_covariates {unknown} must be numeric columns of covariates "
            "(ComBat needs their values for new patients too, so the target cannot be one)"
        )

    site_values = None
    if sites is not None:
        sites_frame = _check_frame("sites", pd.Series(sites), index, allow_nan=False)
        site_values = sites_frame.iloc[:, 0].astype(str).to_numpy()
    if (leave_site_out or harmonize) and site_values is None:
        raise DataError("leave_site_out=True and harmonize=True need sites= (a Series of site per patient)")
    if leave_site_out and harmonize:
        raise ModelError(
            "harmonize=True cannot be combined with leave_site_out=True: ComBat estimates each "
            "site's shift from training patients, and the held-out site has none"
        )

    # outer splits (computed once, reused by the baseline and the permutation test)
    if leave_site_out:
        n_sites = np.unique(site_values).size
        if n_sites < 2:
            raise DataError(f"leave_site_out=True needs at least 2 sites, found {n_sites}")
        splits = list(LeaveOneGroupOut().split(X_img, y, groups=site_values))
        repeat_of_fold = np.zeros(len(splits), dtype=int)
        groups = site_values
    else:
        if task == "continuous":
            outer = RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
        else:
            counts = np.bincount(y, minlength=n_classes)
            if counts.min() < n_splits:
                raise DataError(
                    f"the smallest class ({classes[int(counts.argmin())]!r}) has {counts.min()} patients, "
                    f"fewer than n_splits={n_splits}"
                )
            outer = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
        splits = list(outer.split(X_img, y))
        repeat_of_fold = np.repeat(np.arange(n_repeats), n_splits)
        groups = None
    if task != "continuous":
        for train, _ in splits:
            if np.bincount(y[train], minlength=n_classes).min() < inner_splits:
                raise DataError(
                    f"a training part has a class with fewer than inner_splits={inner_splits} patients; "
                    "use fewer inner splits or more data"
                )
    n_test = np.mean([len(te) for _, te in splits])
    n_train = np.mean([len(tr) for tr, _ in splits])

    estimator = build_estimator(model, task, inner_splits=inner_splits, random_state=random_state,
                                max_iter=max_iter, model_options=model_options)
    harmonizer = None
    X = X_img.copy()
    if cov is not None:
        X = pd.concat([X, cov], axis=1)
    if harmonize:
        from radiocausal.harmonize import ComBat

        X[_SITE_COLUMN] = site_values
        harmonizer = ComBat(site_column=_SITE_COLUMN, covariates=list(harmonize_covariates),
                            features=list(X_img.columns))

    def run(columns: list[str], num: list[str], cat: list[str], harm, model_name: str):
        pipe = build_pipeline(
            estimator, task=task, imaging_columns=columns, numeric_covariates=num,
            categorical_covariates=cat, preprocessing=preprocessing if columns else (),
            select_k=select_k if columns else None, harmonizer=harm,
        )
        Xr = X if harm is not None else X.drop(columns=[_SITE_COLUMN], errors="ignore")
        scores, preds, coefs, n_bad = _run_folds(pipe, Xr, y, splits, task, n_classes, groups)
        if n_bad:
            warnings.warn(
                f"the {model_name} solver did not converge in {n_bad} of {len(splits)} outer folds; "
                f"consider a larger max_iter (now {max_iter})",
                ConvergenceWarning,
                stacklevel=3,
            )
        return _assemble(pipe, Xr, scores, preds, coefs, model_name)

    def _assemble(pipe, Xr, scores, preds, coefs, model_name) -> CrossValidationResult:
        n_rep = int(repeat_of_fold.max()) + 1
        fold_in_rep = np.zeros(len(splits), dtype=int)
        for r in range(n_rep):
            idx = np.flatnonzero(repeat_of_fold == r)
            fold_in_rep[idx] = np.arange(idx.size)
        table = pd.DataFrame(scores)
        table.insert(0, "n_test", [len(te) for _, te in splits])
        table.insert(0, "n_train", [len(tr) for tr, _ in splits])
        table.insert(0, "fold", fold_in_rep)
        table.insert(0, "repeat", repeat_of_fold)
        width = n_classes if task != "continuous" else 1
        store = np.full((n_rep, len(index), width), np.nan)
        for (_, test), r, p in zip(splits, repeat_of_fold, preds):
            store[r, test] = p.reshape(len(test), width)
        if task == "multiclass":
            cols = pd.MultiIndex.from_product([range(n_rep), classes], names=["repeat", "class"])
            by_rep = pd.DataFrame(store.transpose(1, 0, 2).reshape(len(index), -1), index=index, columns=cols)
        else:
            col = 1 if task == "binary" else 0
            by_rep = pd.DataFrame(store[:, :, col].T, index=index, columns=pd.RangeIndex(n_rep, name="repeat"))
        coef_table = pd.DataFrame(coefs).fillna(0.0).reset_index(drop=True)
        freq = (coef_table.abs() > 0).mean(axis=0).sort_values(ascending=False, kind="stable")
        freq.name = "selection_frequency"
        calib = pd.DataFrame(
            [_calibration(y, by_rep[r].to_numpy(), task) for r in range(n_rep)]
            if task != "multiclass" else [],
            columns=["slope", "intercept"],
        )
        calib.index.name = "repeat"
        spec = _Spec(pipe, Xr, y, splits, repeat_of_fold, groups, task, n_classes)
        return CrossValidationResult(
            task=task, model=model_name, metric=_PRIMARY[task], classes=list(classes),
            fold_scores=table, predictions_by_repeat=by_rep, selection_frequency=freq,
            coefficients=coef_table, calibration=calib, level=level, _spec=spec,
            _test_fraction=float(n_test / n_train),
        )

    result = run(list(X_img.columns), num_cov, cat_cov, harmonizer, model)
    if cov is not None:
        result.baseline = run([], num_cov, cat_cov, None, f"{model} (clinical only)")
    return result
