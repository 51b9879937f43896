"""cross_validate: the outside interface, honest nested CV on simulated cohorts, input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radiocausal.errors import DataError, ModelError
from radiocausal.predict import corrected_t_interval, cross_validate


# --- the outside interface ---------------------------------------------------------------------
def test_interface_and_alignment(simulate_cohort):
    X, y = simulate_cohort(n=60, p=8, n_signal=2, seed=1)
    shuffled = y.sample(frac=1.0, random_state=0)  # same patients, another order
    res = cross_validate(X, shuffled, model="ridge", n_splits=5, n_repeats=2, random_state=0)
    assert isinstance(res.auc, float) and 0 <= res.auc <= 1
    low, high = res.auc_ci
    assert low < res.auc < high
    assert res.predictions.index.equals(X.index)
    assert res.predictions.between(0, 1).all()
    assert res.fold_scores.shape[0] == 10
    # every patient is predicted exactly once per repeat, never from a model trained on it
    assert res.predictions_by_repeat.notna().all().all()
    assert list(res.predictions_by_repeat.columns) == [0, 1]
    assert res.fold_scores["n_test"].sum() == 2 * len(X)
    # aligned by patient id, not by position
    same = cross_validate(X, y, model="ridge", n_splits=5, n_repeats=2, random_state=0)
    pd.testing.assert_series_equal(res.predictions, same.predictions)
    assert "auc" in str(res)


@pytest.mark.parametrize("model", ["elastic_net", "lasso", "ridge"])
def test_models_recover_signal(simulate_cohort, model):
    X, y = simulate_cohort(n=100, p=20, n_signal=2, effect=2.0, seed=2)
    res = cross_validate(X, y, model=model, n_repeats=1)
    assert res.auc > 0.8
    assert res.auc_ci[0] > 0.5
    # the two true features are selected in every fold
    assert res.selection_frequency[["feat_000", "feat_001"]].min() == 1.0
    if model == "lasso":
        assert res.selection_frequency.iloc[2:].mean() < 1.0  # the lasso drops noise features


def test_same_seed_same_result_and_seed_changes_folds(simulate_cohort):
    X, y = simulate_cohort(n=50, p=5, n_signal=1, seed=3)
    a = cross_validate(X, y, model="ridge", n_repeats=1, random_state=4)
    b = cross_validate(X, y, model="ridge", n_repeats=1, random_state=4)
    c = cross_validate(X, y, model="ridge", n_repeats=1, random_state=5)
    pd.testing.assert_frame_equal(a.predictions_by_repeat, b.predictions_by_repeat)
    assert not np.allclose(a.predictions, c.predictions)


# --- no signal, signal, permutation test -----------------------------------------------------------
def test_no_signal_auc_centres_on_half(simulate_cohort):
    aucs = [cross_validate(*simulate_cohort(n=50, p=20, seed=s), model="ridge", n_repeats=1).auc
            for s in range(6)]
    assert abs(np.mean(aucs) - 0.5) < 0.07
    assert np.mean(aucs) < 0.6


def test_permutation_pvalue_small_with_signal(simulate_cohort):
    X, y = simulate_cohort(n=60, p=10, n_signal=2, effect=2.0, seed=5)
    res = cross_validate(X, y, model="ridge", n_repeats=1)
    p = res.permutation_pvalue(n_permutations=9)
    assert p == pytest.approx(1 / 10)  # the smallest attainable value
    scores = res.permutation_scores(n_permutations=9)
    assert scores.shape == (9,) and abs(scores.mean() - 0.5) < 0.12
    # cached: same folds, same permutations, same answer
    assert res.permutation_pvalue(n_permutations=9) == p


@pytest.mark.slow
def test_permutation_pvalue_not_small_without_signal(simulate_cohort):
    pvalues = []
    for seed in range(5):
        res = cross_validate(*simulate_cohort(n=40, p=5, seed=100 + seed), model="ridge", n_repeats=1)
        pvalues.append(res.permutation_pvalue(n_permutations=9))
    pvalues = np.array(pvalues)
    # under the null p is (discretely) uniform on {0.1, ..., 1}: not concentrated near 0
    assert np.mean(pvalues) > 0.25
    assert np.sum(pvalues <= 0.1) <= 1


def test_leaky_selection_is_optimistic_and_the_package_is_not(simulate_cohort):
    """Selecting features on all patients before CV inflates AUC on pure noise; ours does not."""
    X, y = simulate_cohort(n=60, p=1000, seed=7)
    folds = list(RepeatedStratifiedKFold(n_splits=5, n_repeats=1, random_state=0).split(X, y))
    leaky_X = SelectKBest(f_classif, k=10).fit_transform(X, y)  # the leak: uses every label
    model = make_pipeline(
        StandardScaler(),
        LogisticRegressionCV(Cs=5, l1_ratios=(0.0,), cv=StratifiedKFold(3, shuffle=True, random_state=0),
                             scoring="neg_log_loss", use_legacy_attributes=False),
    )
    leaky_auc = cross_val_score(model, leaky_X, y, cv=folds, scoring="roc_auc").mean()
    honest = cross_validate(X, y, model="ridge", n_repeats=1, select_k=10)
    assert leaky_auc > 0.75
    assert honest.auc < 0.65
    assert leaky_auc - honest.auc > 0.2


# --- other targets ------------------------------------------------------------------------------
def test_multiclass_target(simulate_cohort):
    X, y = simulate_cohort(n=120, p=10, n_signal=2, effect=2.0, seed=8, kind="multiclass")
    res = cross_validate(X, y, model="ridge", n_repeats=1)
    assert res.task == "multiclass" and res.metric == "auc"
    assert res.classes == sorted(y.unique())
    assert res.auc > 0.7 and res.balanced_accuracy > 0.45
    probs = res.predictions
    assert list(probs.columns) == res.classes
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert res.calibration.empty
    with pytest.raises(ModelError, match="calibration"):
        res.calibration_slope


def test_continuous_target(simulate_cohort):
    X, y = simulate_cohort(n=80, p=10, n_signal=2, effect=1.0, seed=9, kind="continuous")
    res = cross_validate(X, y, model="elastic_net", n_repeats=1)
    assert res.task == "continuous" and res.metric == "r2"
    assert res.r2 > 0.4 and res.r2_ci[0] < res.r2 < res.r2_ci[1]
    assert 0.7 < res.calibration_slope < 1.3
    with pytest.raises(ModelError, match="auc"):
        res.auc


def test_string_binary_labels_and_pos_label(simulate_cohort):
    X, y = simulate_cohort(n=60, p=5, n_signal=1, effect=2.0, seed=10)
    labels = y.map({0: "Negative", 1: "Positive"})
    res = cross_validate(X, labels, model="ridge", n_repeats=1)
    assert res.classes == ["Negative", "Positive"]
    flipped = cross_validate(X, labels, model="ridge", n_repeats=1, pos_label="Negative")
    assert flipped.classes == ["Positive", "Negative"]
    np.testing.assert_allclose(flipped.predictions, 1 - res.predictions, atol=1e-6)
    assert flipped.auc == pytest.approx(res.auc)


def test_calibration_of_a_well_specified_model(simulate_cohort):
    X, y = simulate_cohort(n=200, p=3, n_signal=1, effect=1.5, seed=11)
    res = cross_validate(X, y, model="ridge", n_repeats=1)
    assert 0.6 < res.calibration_slope < 1.5
    assert abs(res.calibration_intercept) < 0.4


# --- covariates: clinical-only baseline on the same folds ------------------------------------
def test_clinical_baseline_on_same_folds(simulate_cohort):
    X, y = simulate_cohort(n=100, p=10, n_signal=1, effect=2.0, seed=12)
    rng = np.random.default_rng(0)
    clinical = pd.DataFrame(
        {"age": rng.normal(60, 10, len(X)), "stage": rng.choice(["I", "II", "III"], len(X))}, index=X.index
    )
    res = cross_validate(X, y, model="ridge", covariates=clinical, n_repeats=2)
    base = res.baseline
    assert base is not None and base.baseline is None
    pd.testing.assert_frame_equal(res.fold_scores[["repeat", "fold", "n_train", "n_test"]],
                                  base.fold_scores[["repeat", "fold", "n_train", "n_test"]])
    assert abs(base.auc - 0.5) < 0.15  # clinical variables are noise here
    gain, (low, high) = res.improvement()
    assert gain > 0.15 and low > 0
    assert {"age", "stage_II", "stage_III"} <= set(res.selection_frequency.index)
    assert set(res.summary()["model"]) == {"imaging+clinical", "clinical"}


def test_leave_one_site_out(simulate_cohort):
    X, y = simulate_cohort(n=90, p=6, n_signal=1, effect=2.0, seed=13)
    sites = pd.Series(np.repeat(["A", "B", "C"], 30), index=X.index)
    res = cross_validate(X, y, model="ridge", sites=sites, leave_site_out=True)
    assert res.fold_scores.shape[0] == 3
    assert res.fold_scores["n_test"].tolist() == [30, 30, 30]
    assert res.auc > 0.75
    assert res.permutation_pvalue(n_permutations=9) == pytest.approx(0.1)


def test_site_wise_inner_tuning_folds():
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    from radiocausal.predict._validation import _site_wise_inner_splits

    model = LogisticRegressionCV(cv=StratifiedKFold(3), l1_ratios=(0.0,), use_legacy_attributes=False)
    y = np.tile([0, 1], 30)
    sites = np.repeat(["A", "B", "C", "D"], 15)
    inner = _site_wise_inner_splits(model, y, sites, "binary", 2)
    assert len(inner) == 3
    for train, test in inner:  # whole sites are held out
        assert not set(sites[train]) & set(sites[test])
    # a site holding the only positives cannot be held out: fall back to stratified folds
    y_rare = np.where(sites == "A", 1, 0)
    assert _site_wise_inner_splits(model, y_rare, sites, "binary", 2) is None
    assert _site_wise_inner_splits(model, y, np.repeat("A", 60), "binary", 2) is None


# --- input errors -------------------------------------------------------------------------------
def test_errors(simulate_cohort):
    X, y = simulate_cohort(n=40, p=4, n_signal=1, seed=14)
    with pytest.raises(ModelError, match="model_options"):
        cross_validate(X, y, model="ridge", model_options={"draws": 10})
    with pytest.raises(ModelError, match="model_options"):
        cross_validate(X, y, model="bayesian_horseshoe", model_options={"n_samples": 10})
    with pytest.raises(ModelError, match="svm"):
        cross_validate(X, y, model="svm")
    with pytest.raises(DataError, match="duplicated patient ids"):
        cross_validate(pd.concat([X, X.iloc[:2]]), y)
    with pytest.raises(DataError, match="absent from features"):
        cross_validate(X.iloc[:-1], y)
    with pytest.raises(DataError, match="missing values"):
        cross_validate(X, y.where(y.index != y.index[0]))
    bad = X.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="SimpleImputer"):
        cross_validate(bad, y)
    with pytest.raises(DataError, match="fewer than n_splits"):
        cross_validate(X, pd.Series([1] * 3 + [0] * 37, index=X.index))
    with pytest.raises(DataError, match="sites"):
        cross_validate(X, y, leave_site_out=True)
    with pytest.raises(ModelError, match="select_k"):
        cross_validate(X, y, select_k=10)
    with pytest.raises(DataError, match="DataFrame"):
        cross_validate(X.to_numpy(), y)


def test_missing_features_imputed_inside_folds(simulate_cohort):
    from sklearn.impute import SimpleImputer

    X, y = simulate_cohort(n=60, p=5, n_signal=1, effect=2.0, seed=15)
    X.iloc[::7, 2] = np.nan
    res = cross_validate(X, y, model="ridge", n_repeats=1, preprocessing=[SimpleImputer()])
    assert res.auc > 0.7


def test_corrected_interval_is_wider_than_naive():
    scores = np.array([0.6, 0.7, 0.65, 0.72, 0.68, 0.61, 0.74, 0.66, 0.7, 0.69])
    low, high = corrected_t_interval(scores, test_fraction=0.25)
    from scipy import stats

    naive = stats.t.ppf(0.975, 9) * scores.std(ddof=1) / np.sqrt(10)
    assert high - low > 2 * naive
    expected = stats.t.ppf(0.975, 9) * np.sqrt((0.1 + 0.25) * scores.var(ddof=1))
    assert (high - low) / 2 == pytest.approx(expected)
    assert np.isnan(corrected_t_interval([0.5], 0.25)[0])


def test_reliability_plot_is_saved_as_png(simulate_cohort, tmp_path):
    X, y = simulate_cohort(n=60, p=4, n_signal=1, effect=2.0, seed=16)
    res = cross_validate(X, y, model="ridge", n_repeats=1)
    path = tmp_path / "calibration.png"
    fig = res.plot_calibration(path, n_bins=5)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes[0].lines) == 2  # one repeat + the diagonal
    bars = res.plot_selection_frequency(tmp_path / "selection.png", top=3)
    assert (tmp_path / "selection.png").read_bytes()[:4] == b"\x89PNG"
    assert len(bars.axes[0].patches) == 3
    import matplotlib.pyplot as plt

    plt.close(fig)
    plt.close(bars)


def test_tcga_brca_er_status_from_mri_phenotypes(shared_data):
    """Real data: ER status from the 36 TCGA-BRCA MRI phenotypes is predictable above chance."""
    table = pd.read_csv(shared_data / "tcga_brca" / "tcga_brca_mri_features_clinical_91.csv").set_index("CLID")
    features = table[[c for c in table.columns if c.endswith(")") and c[c.rindex("(") + 1] in "KETGMS"]]
    assert features.shape == (91, 36)
    er = table["ER_status"]
    res = cross_validate(features, er, model="ridge", n_repeats=1, pos_label="Positive")
    assert res.classes == ["Negative", "Positive"]
    assert res.predictions.index.equals(features.index)
    assert 0.6 < res.auc < 0.95
