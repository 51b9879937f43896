"""Tests for testing a DAG's implied independencies against data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import radiocausal.graph.citests as cit
from radiocausal.errors import DataError, DataWarning
from radiocausal.graph import CausalDAG
from radiocausal.graph.independencies import implied_independencies
from radiocausal.stats import adjust_pvalues

# grade -> EGFR -> texture, grade -> necrosis -> texture, site -> texture, age -> grade
DAG_TEXT = """dag {
  age -> grade ; grade -> EGFR -> texture ; grade -> necrosis -> texture ; site -> texture
}"""


def _simulate(rng: np.random.Generator, n: int, extra: tuple[str, str] | None = None) -> pd.DataFrame:
    """Linear-Gaussian SEM of DAG_TEXT (optionally with one extra edge)."""
    b = 0.6
    age = rng.normal(size=n)
    grade = b * age + rng.normal(size=n)
    egfr = b * grade + rng.normal(size=n)
    necrosis = b * grade + rng.normal(size=n)
    site = rng.normal(size=n)
    texture = b * egfr + b * necrosis + b * site + rng.normal(size=n)
    df = pd.DataFrame(
        {"age": age, "grade": grade, "EGFR": egfr, "necrosis": necrosis, "site": site, "texture": texture}
    )
    if extra is not None:
        cause, effect = extra
        df[effect] = df[effect] + 0.4 * (df[cause] - df[cause].mean()) / df[cause].std()
    return df


def test_result_frame_layout():
    dag = CausalDAG.from_dagitty(DAG_TEXT)
    res = cit.test_implications(dag, _simulate(np.random.default_rng(1), 200))
    n_statements = sum(len(i.given) for i in implied_independencies(dag))
    assert len(res) == n_statements > 5
    assert list(res.columns) == [
        "x", "y", "given", "test", "response", "n", "df", "estimate", "estimate_type", "ci_low", "ci_high",
        "statistic", "p_value", "p_adjusted", "rejected", "note",
    ]
    assert set(res["test"]) == {"pearson"}
    assert (res["n"] == 200).all()
    assert res["p_value"].between(0, 1).all()
    assert (res["p_adjusted"] >= res["p_value"] - 1e-12).all()
    assert res.attrs["alpha"] == 0.05 and res.attrs["fdr"] == "bh"
    np.testing.assert_allclose(res["p_adjusted"], adjust_pvalues(res["p_value"].to_numpy(), method="bh"))
    holm = cit.test_implications(dag, _simulate(np.random.default_rng(1), 200), fdr="holm")
    np.testing.assert_allclose(holm["p_adjusted"], adjust_pvalues(holm["p_value"].to_numpy(), method="holm"))
    basis = cit.test_implications(dag, _simulate(np.random.default_rng(1), 200), kind="basis")
    assert len(basis) == len(implied_independencies(dag, kind="basis"))


def test_partial_correlation_matches_ols_t_test():
    rng = np.random.default_rng(2)
    df = _simulate(rng, 150)
    dag = CausalDAG.from_dagitty(DAG_TEXT)
    res = cit.test_implications(dag, df, fdr=None)
    for row in res.itertuples():
        z = sorted(row.given)
        design = sm.add_constant(df[[row.y, *z]].to_numpy())
        fit = sm.OLS(df[row.x].to_numpy(), design).fit()
        assert row.statistic == pytest.approx(fit.tvalues[1], rel=1e-8)
        assert row.p_value == pytest.approx(fit.pvalues[1], rel=1e-6, abs=1e-12)
        assert row.df == fit.df_resid
    assert (res["p_adjusted"] == res["p_value"]).all()
    # the 95% interval excludes 0 exactly when the two-sided p-value is (about) below 0.05
    assert ((res["ci_low"] < res["estimate"]) & (res["estimate"] < res["ci_high"])).all()
    excludes = (res["ci_low"] > 0) | (res["ci_high"] < 0)
    clear = (res["p_value"] < 0.04) | (res["p_value"] > 0.06)
    assert (excludes[clear] == (res["p_value"] < 0.05)[clear]).all()


def test_gaussian_sem_calibrated_under_the_true_dag():
    dag = CausalDAG.from_dagitty(DAG_TEXT)
    rng = np.random.default_rng(3)
    pvals, any_rejected = [], 0
    reps = 60
    for _ in range(reps):
        res = cit.test_implications(dag, _simulate(rng, 200))
        pvals.extend(res["p_value"])
        any_rejected += bool(res["rejected"].any())
    pvals = np.asarray(pvals)
    rate = np.mean(pvals < 0.05)
    assert 0.02 < rate < 0.09, rate  # nominal 5%
    assert any_rejected / reps <= 0.15  # BH under the global null controls FWER at alpha


def test_missing_edge_is_flagged():
    dag = CausalDAG.from_dagitty(DAG_TEXT)
    rng = np.random.default_rng(4)
    hits = 0
    for _ in range(10):
        res = cit.test_implications(dag, _simulate(rng, 400, extra=("age", "texture")))
        flagged = res[res["rejected"]]
        pairs = {frozenset((r.x, r.y)) for r in flagged.itertuples()}
        hits += frozenset(("age", "texture")) in pairs
        # statements not involving the violated pair stay mostly unflagged
        others = res[[frozenset((r.x, r.y)) != frozenset(("age", "texture")) for r in res.itertuples()]]
        assert others["rejected"].mean() <= 0.2
    assert hits >= 9


def _binary_data(rng: np.random.Generator, n: int, violate: bool = False) -> pd.DataFrame:
    # z -> ER (binary) -> t ; z -> t2 ; (violation: ER -> t2)
    z = rng.normal(size=n)
    er = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * z)))).astype(int)
    t = 0.7 * er + 0.3 * z + rng.normal(size=n)
    t2 = 0.6 * z + (0.8 * er if violate else 0.0) + rng.normal(size=n)
    return pd.DataFrame({"z": z, "ER": er, "t": t, "t2": t2})


BIN_DAG = "dag { z -> ER -> t ; z -> t ; z -> t2 }"


def test_binary_uses_logistic_lr_and_is_calibrated():
    dag = CausalDAG.from_dagitty(BIN_DAG)
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(25):
        res = cit.test_implications(dag, _binary_data(rng, 200), fdr=None)
        rows.append(res)
    res = pd.concat(rows, ignore_index=True)
    er = res[(res["x"] == "ER") | (res["y"] == "ER")]
    assert set(er["test"]) == {"logistic_lr"}
    assert set(er["response"]) == {"ER"}  # the binary variable is the response
    assert set(er["estimate_type"]) == {"log_odds_ratio"}
    assert (er["df"] == 1).all()
    assert np.mean(res["p_value"] < 0.05) < 0.14
    # a violated implication is found
    hits = sum(
        bool(cit.test_implications(dag, _binary_data(rng, 300, violate=True)).query("x == 'ER' or y == 'ER'")
             ["rejected"].any())
        for _ in range(5)
    )
    assert hits >= 4


def test_logistic_lr_matches_statsmodels():
    rng = np.random.default_rng(6)
    df = _binary_data(rng, 300, violate=True)
    dag = CausalDAG.from_dagitty(BIN_DAG)
    res = cit.test_implications(dag, df, fdr=None)
    row = res[(res["x"].isin(["ER", "t2"])) & (res["y"].isin(["ER", "t2"]))].iloc[0]
    assert row["given"] == frozenset({"z"})
    full = sm.Logit(df["ER"], sm.add_constant(df[["z", "t2"]])).fit(disp=0)
    null = sm.Logit(df["ER"], sm.add_constant(df[["z"]])).fit(disp=0)
    assert row["statistic"] == pytest.approx(2 * (full.llf - null.llf), rel=1e-6)
    assert row["estimate"] == pytest.approx(full.params["t2"], rel=1e-5)


def test_categorical_and_ordinal_columns():
    rng = np.random.default_rng(7)
    n = 400
    site = rng.choice(["A", "B", "C"], size=n)
    shift = pd.Series(site).map({"A": 0.0, "B": 0.8, "C": -0.8}).to_numpy()
    grade_num = np.clip(np.round(shift + rng.normal(size=n)), -1, 1)
    grade = pd.Categorical(grade_num.astype(int), categories=[-1, 0, 1], ordered=True)
    texture = grade_num + rng.normal(size=n)
    other = rng.normal(size=n)
    df = pd.DataFrame({"site": site, "grade": grade, "texture": texture, "other": other})
    assert cit.infer_column_types(df) == {
        "site": "categorical", "grade": "ordinal", "texture": "continuous", "other": "continuous"
    }
    dag = CausalDAG.from_dagitty("dag { site -> grade -> texture ; other }")
    res = cit.test_implications(dag, df)
    by_pair = {frozenset((r.x, r.y)): r for r in res.itertuples()}
    st = by_pair[frozenset(("site", "texture"))]
    assert st.test == "multinomial_lr" and st.response == "site" and st.df == 2
    assert st.given == frozenset({"grade"})
    assert by_pair[frozenset(("grade", "other"))].test == "spearman"
    assert by_pair[frozenset(("texture", "other"))].test == "pearson"
    assert not res["rejected"].any()
    # the wrong graph (site -> texture directly, grade unrelated) is contradicted
    wrong = CausalDAG.from_dagitty("dag { site -> texture ; grade ; other }")
    flagged = cit.test_implications(wrong, df).query("rejected")
    assert {frozenset((r.x, r.y)) for r in flagged.itertuples()} >= {
        frozenset(("site", "grade")), frozenset(("grade", "texture"))
    }
    with pytest.raises(DataError, match="categorical"):
        cit.test_implications(dag, df, method="pearson")
    # integer-coded ordinal via column_types
    df2 = df.assign(grade=grade_num)
    res2 = cit.test_implications(dag, df2, column_types={"grade": "ordinal"})
    assert by_pair.keys() == {frozenset((r.x, r.y)) for r in res2.itertuples()}
    assert set(res2[res2["x"].eq("grade") | res2["y"].eq("grade")]["test"]) <= {"spearman", "multinomial_lr"}


def test_selection_and_latent_nodes_need_no_column():
    rng = np.random.default_rng(8)
    df = _simulate(rng, 300).drop(columns=["age"])
    dag = CausalDAG.from_dagitty(DAG_TEXT.replace("{", "{ age [latent] S [selected] texture -> S", 1))
    res = cit.test_implications(dag, df)
    assert all("S" in g for g in res["given"])
    assert "age" not in set(res["x"]) | set(res["y"])
    assert res["p_value"].notna().all()


def test_validation_errors():
    dag = CausalDAG.from_dagitty(DAG_TEXT)
    df = _simulate(np.random.default_rng(9), 100)
    with pytest.raises(DataError, match=r"\['site'\]"):
        cit.test_implications(dag, df.drop(columns=["site"]))
    bad = df.copy()
    bad.loc[3, "EGFR"] = np.nan
    with pytest.raises(DataError, match="EGFR.*dropna"):
        cit.test_implications(dag, bad)
    with pytest.warns(DataWarning, match="dropped 1 of 100"):
        res = cit.test_implications(dag, bad, dropna=True)
    assert (res["n"] == 99).all()
    with pytest.raises(DataError, match=r"\['age'\].*infinite"):
        cit.test_implications(dag, df.assign(age=df["age"].replace(df["age"].iloc[0], np.inf)))
    empty = cit.test_implications(CausalDAG([("age", "grade")]), df)
    assert len(empty) == 0 and list(empty.columns) == list(res.columns)
    with pytest.raises(DataError, match="constant"):
        cit.test_implications(dag, df.assign(site=1.0))
    with pytest.raises(DataError, match="method"):
        cit.test_implications(dag, df, method="kendall")
    with pytest.raises(DataError, match="fdr"):
        cit.test_implications(dag, df, fdr="nope")
    with pytest.raises(DataError, match="alpha"):
        cit.test_implications(dag, df, alpha=1.5)
    with pytest.raises(DataError, match="DataFrame"):
        cit.test_implications(dag, df.to_numpy())
    with pytest.raises(DataError, match="column_types"):
        cit.test_implications(dag, df, column_types={"site": "nominal"})


def test_untestable_statement_gets_a_note():
    # texture is an exact function of EGFR and necrosis: its residual is zero
    rng = np.random.default_rng(10)
    n = 50
    grade = rng.normal(size=n)
    egfr = grade + rng.normal(size=n)
    necrosis = grade + rng.normal(size=n)
    df = pd.DataFrame({"grade": grade, "EGFR": egfr, "necrosis": necrosis, "texture": egfr + necrosis})
    dag = CausalDAG.from_dagitty("dag { grade -> EGFR -> texture ; grade -> necrosis -> texture }")
    with pytest.warns(DataWarning, match="1 of 2 test.*deterministic") as record:
        res = cit.test_implications(dag, df)
    assert len(record) == 1
    row = res[(res["x"] == "grade") & (res["y"] == "texture")].iloc[0]
    assert np.isnan(row["p_value"]) and "deterministic" in row["note"] and not row["rejected"]
    assert res["p_value"].notna().sum() == len(res) - 1


def test_user_supplied_implications():
    dag = CausalDAG.from_dagitty(DAG_TEXT)
    df = _simulate(np.random.default_rng(11), 300, extra=("age", "texture"))
    res = cit.test_implications(dag, df, implications=[("age", "texture", ["grade"]), ("site", "age", ())])
    assert list(zip(res["x"], res["y"], res["given"])) == [
        ("age", "texture", frozenset({"grade"})),
        ("site", "age", frozenset()),
    ]
    assert list(res["rejected"]) == [True, False]
    subset = [i for i in implied_independencies(dag) if "site" in (i.x, i.y)]
    assert len(cit.test_implications(dag, df, implications=subset)) == sum(len(i.given) for i in subset)
    with pytest.raises(DataError, match="not in the graph"):
        cit.test_implications(dag, df, implications=[("age", "nope", ())])
    with pytest.raises(DataError, match="distinct"):
        cit.test_implications(dag, df, implications=[("age", "age", ())])
    with pytest.raises(DataError, match="triples"):
        cit.test_implications(dag, df, implications=["age"])
    with pytest.raises(DataError, match="not in data"):
        cit.test_implications(dag, df, column_types={"gradee": "ordinal"})
