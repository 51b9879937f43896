"""Bad input to association_scan gets clear errors or warnings, never silent wrong output."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import ConvergenceWarning, DataError, DataWarning, IdentificationError
from radiocausal.graph import CausalDAG
from radiocausal.stats import association_scan


def test_nan_raises_naming_column_or_drops_with_warning(tables):
    feats, gen, _ = tables()
    feats.iloc[3, 1] = np.nan
    with pytest.raises(DataError, match=r"missing values.*features.*'f1': 1"):
        association_scan(feats, gen)
    with pytest.warns(DataWarning, match="dropping 1 of 80"):
        res = association_scan(feats, gen, dropna=True)
    assert res.attrs["n"] == 79
    expected = association_scan(feats.drop(index=feats.index[3]), gen.drop(index=gen.index[3]))
    pd.testing.assert_frame_equal(res, expected)


def test_misaligned_indices(tables):
    feats, gen, _ = tables()
    shuffled = gen.sample(frac=1.0, random_state=0)
    # same patients in another order: aligned by label, not by position
    pd.testing.assert_frame_equal(association_scan(feats, shuffled), association_scan(feats, gen))
    with pytest.raises(DataError, match=r"do not match.*genomics: 75 rows"):
        association_scan(feats, gen.iloc[5:])
    with pytest.warns(DataWarning, match="keeping the 75 patients"):
        res = association_scan(feats, gen.iloc[5:], join="inner")
    assert res.attrs["n"] == 75
    other = gen.copy()
    other.index = [f"X{i}" for i in range(len(gen))]
    with pytest.raises(DataError, match="share no patient"):
        association_scan(feats, other, join="inner")


def test_duplicates_and_types(tables):
    feats, gen, _ = tables()
    dup = feats.copy()
    dup.index = [feats.index[0]] * 2 + list(feats.index[2:])
    with pytest.raises(DataError, match="duplicated index"):
        association_scan(dup, gen)
    with pytest.raises(DataError, match="DataFrame"):
        association_scan(feats.to_numpy(), gen)
    txt = feats.assign(f0=["a"] * len(feats))
    with pytest.raises(DataError, match=r"numeric.*'f0'"):
        association_scan(txt, gen)
    with pytest.raises(DataError, match="test must be one of"):
        association_scan(feats, gen, test="anova")
    with pytest.raises(DataError, match="max_iter"):
        association_scan(feats, gen, max_iter=0)
    with pytest.raises(DataError, match="q_by"):
        association_scan(feats, gen, q_by="pair")


def test_constant_columns_warn_and_give_nan(tables):
    feats, gen, cov = tables()
    feats["flat"] = 1.0
    gen["g_flat"] = 2.0
    for test in ("linear", "spearman"):
        with pytest.warns(DataWarning, match="constant"):
            res = association_scan(feats, gen, test=test, covariates=cov)
        bad = (res["feature"] == "flat") | (res["gene"] == "g_flat")
        assert res.loc[bad, ["estimate", "se", "p_value", "q_value"]].isna().all().all()
        assert res.loc[~bad, "p_value"].notna().all()


def test_feature_collinear_with_covariate_gives_nan(tables):
    feats, gen, cov = tables()
    feats["copy"] = 2 * cov["c0"] + 1
    with pytest.warns(DataWarning, match=r"could not be tested.*\['copy'\].*collinear"):
        res = association_scan(feats, gen, covariates=cov)
    assert res.loc[res["feature"] == "copy", "p_value"].isna().all()
    with pytest.raises(DataError, match="collinear"):
        association_scan(feats, gen, covariates=cov.assign(const=1.0))


def test_categorical_covariate_is_one_hot_encoded(tables):
    feats, gen, cov = tables()
    site = pd.Series(np.where(np.arange(len(feats)) % 3 == 0, "A", np.where(np.arange(len(feats)) % 3 == 1, "B", "C")),
                     index=feats.index)
    dummies = pd.get_dummies(site, drop_first=True, dtype=float)
    a = association_scan(feats, gen, covariates=pd.DataFrame({"site": site}))
    b = association_scan(feats, gen, covariates=dummies)
    pd.testing.assert_frame_equal(a, b)


def test_binary_tests_need_binary_genomics(tables):
    feats, gen, cov = tables()
    with pytest.raises(DataError, match="binary 0/1"):
        association_scan(feats, gen, test="logistic")
    feats, gen, cov = tables(binary=True)
    with pytest.raises(DataError, match="does not adjust for covariates"):
        association_scan(feats, gen, test="wilcoxon", covariates=cov)


def test_logistic_separation_flagged(tables):
    feats, gen, cov = tables(n=100, binary=True)
    gen["sep"] = (feats["f0"] > 0).astype(float)  # f0 separates perfectly
    with pytest.warns(DataWarning, match="separation"):
        res = association_scan(feats, gen, test="logistic")
    row = res[(res["feature"] == "f0") & (res["gene"] == "sep")].iloc[0]
    assert row["separated"] and not row["converged"] and np.isnan(row["p_value"])
    others = res[res["gene"] != "sep"]
    assert others["converged"].all() and others["p_value"].notna().all()


def test_logistic_nonconvergence_flagged(tables):
    feats, gen, _ = tables(n=100, binary=True)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = association_scan(feats, gen, test="logistic", max_iter=1)
    assert not res["converged"].any() and res["p_value"].isna().all()


def test_too_few_patients(tables):
    feats, gen, cov = tables(n=4, k=2)
    with pytest.raises(DataError, match="too few patients"):
        association_scan(feats, gen, covariates=cov)


DAG = """dag {
  EGFR [exposure] texture [outcome]
  grade -> EGFR -> texture ; grade -> texture
  age -> texture
  EGFR -> necrosis -> texture
  scanner [batch] ; scanner -> texture ; scanner -> KRAS
  KRAS -> size
}"""


def _dag_tables(n=120, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"P{i}" for i in range(n)]
    cov = pd.DataFrame(
        {"grade": rng.normal(size=n), "age": rng.normal(size=n), "scanner": rng.integers(0, 2, n).astype(float),
         "necrosis": rng.normal(size=n)},
        index=ids,
    )
    gen = pd.DataFrame({"EGFR": cov["grade"] + rng.normal(size=n), "KRAS": cov["scanner"] + rng.normal(size=n)},
                       index=ids)
    feats = pd.DataFrame({"tex_a": gen["EGFR"] + cov["grade"] + cov["scanner"] + rng.normal(size=n),
                          "tex_b": rng.normal(size=n), "size_1": gen["KRAS"] + rng.normal(size=n)}, index=ids)
    return feats, gen, cov


def test_dag_picks_adjustment_set_per_pair():
    feats, gen, cov = _dag_tables()
    dag = CausalDAG.from_dagitty(DAG)
    mapping = {"tex_a": "texture", "tex_b": "texture", "size_1": "size"}
    res = association_scan(feats, gen, covariates=cov, adjust=dag, dag_nodes=mapping)
    sets = {(str(r.feature), str(r.gene)): r.adjustment_set for r in res.itertuples()}
    assert sets[("tex_a", "EGFR")] == "{grade}"
    assert sets[("tex_a", "KRAS")] == "{scanner}"
    assert sets[("size_1", "KRAS")] == "{}"
    assert sets[("size_1", "EGFR")] == "{}"
    # each block equals a plain scan with the chosen covariates
    ref = association_scan(feats[["tex_a", "tex_b"]], gen[["EGFR"]], covariates=cov[["grade"]])
    got = res[res["gene"] == "EGFR"].iloc[:2]
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=1e-12)
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-12)


def test_dag_refuses_with_explanation_when_no_set_exists():
    feats, gen, cov = _dag_tables()
    dag = CausalDAG.from_dagitty(DAG)
    mapping = {"tex_a": "texture", "tex_b": "texture", "size_1": "size"}
    with pytest.raises(IdentificationError, match=r"(?s)no adjustment set.*EGFR.*texture.*grade"):
        association_scan(feats, gen, covariates=cov.drop(columns="grade"), adjust=dag, dag_nodes=mapping)
    with pytest.raises(DataError, match="not nodes of the DAG"):
        association_scan(feats, gen, covariates=cov, adjust=dag)
    with pytest.raises(DataError, match="CausalDAG"):
        association_scan(feats, gen, covariates=cov, adjust="dag { a -> b }")


def test_logistic_outlier_with_extreme_fitted_value_is_not_called_separation():
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    n = 120
    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-0.8 * x))).astype(float)
    x[0], y[0] = 60.0, 1.0  # one outlying feature value: its fitted probability is numerically 1
    ids = [f"P{i}" for i in range(n)]
    feats = pd.DataFrame({"f": x}, index=ids)
    gen = pd.DataFrame({"g": y}, index=ids)
    res = association_scan(feats, gen, test="logistic")
    fit = sm.Logit(y, sm.add_constant(x)).fit(disp=0, tol=1e-12)
    assert abs(fit.params[1] * 60) > 30  # the situation tested
    row = res.iloc[0]
    assert row["converged"] and not row["separated"]
    np.testing.assert_allclose([row["estimate"], row["p_value"]], [fit.params[1], fit.pvalues[1]], rtol=1e-6)


def test_copy_number_states_enter_spearman_as_ordered_codes(tables):
    from scipy import stats

    from radiocausal.genomics import copy_number_categories

    feats, gen, _ = tables(n=120, seed=12)
    log2 = gen * 0.6  # spread over the five states
    states = copy_number_categories(log2)
    res = association_scan(feats, states, test="spearman")
    codes = copy_number_categories(log2, as_codes=True)
    for r in res.itertuples():
        sr = stats.spearmanr(feats[str(r.feature)], codes[str(r.gene)])
        np.testing.assert_allclose([r.estimate, r.p_value], [sr.statistic, sr.pvalue], rtol=1e-9)
    with pytest.raises(DataError, match="ordered categories"):
        association_scan(feats, states, test="wilcoxon")


def test_few_events_warn(tables):
    feats, gen, _ = tables(n=100, binary=True)
    gen["rare"] = 0.0
    gen.iloc[:3, gen.columns.get_loc("rare")] = 1.0
    with pytest.warns(DataWarning, match=r"\['rare'\] have fewer than 5"):
        res = association_scan(feats, gen, test="wilcoxon")
    assert res.loc[res["gene"] == "rare", "p_value"].notna().all()
