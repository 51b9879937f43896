"""StructuralModel.simulate (fixed parameters, forward draws) and recovery of those parameters by fit().

The batch-confounded cohorts of the association tests (conftest) are drawn the same way, so the
association model's recovery and the unadjusted model's bias there are checked on data from this
simulator too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import ConvergenceWarning, ModelError, UnknownNodeError
from radiocausal.graph import CausalDAG
from radiocausal.models import AssociationModel, StructuralModel

GRADE_DAG = "dag { grade -> cn -> texture ; grade -> texture ; site [batch] ; site -> texture }"


def _grade_parameters() -> dict:
    return {
        "cn": {"cutpoints": [-1.0, 0.5, 2.0], "levels": [-1, 0, 1, 2], "b": {"grade[G3]": 1.0, "grade[G4]": 2.0}},
        "texture": {"intercept": 1.0, "b": {"grade[G3]": 0.5, "grade[G4]": -0.5, "cn": 0.7},
                    "u": {"site": {"A": -0.4, "B": 0.4}}, "sigma": 0.5, "nu": 5.0},
    }


def test_simulated_columns_follow_the_mechanisms():
    scm = StructuralModel(CausalDAG.from_dagitty(GRADE_DAG), families={"texture": "student_t"})
    rng = np.random.default_rng(0)
    n = 20_000
    exo = pd.DataFrame({"grade": rng.choice(["G2", "G3", "G4"], n), "site": rng.choice(["A", "B"], n)})
    df = scm.simulate(_grade_parameters(), exogenous=exo, random_seed=2)
    assert sorted(df.columns) == ["cn", "grade", "site", "texture"]
    pd.testing.assert_series_equal(df["grade"], exo["grade"])
    assert df["cn"].dtype.kind == "i" and set(df["cn"]) == {-1, 0, 1, 2}
    # P(cn <= -1 | grade) = logistic(-1 - eta_grade), eta = 0, 1, 2 for G2, G3, G4
    for grade, eta in (("G2", 0.0), ("G3", 1.0), ("G4", 2.0)):
        p = (df.loc[df.grade == grade, "cn"] == -1).mean()
        assert p == pytest.approx(1 / (1 + np.exp(1.0 + eta)), abs=0.02)
    # texture given its parents (an ordinal parent by its code 0..K-1): least squares recovers the coefficients
    X = np.column_stack([np.ones(n), df.grade == "G3", df.grade == "G4", df.cn + 1, df.site == "B"]).astype(float)
    coef = np.linalg.lstsq(X, df["texture"], rcond=None)[0]
    np.testing.assert_allclose(coef, [1.0 - 0.4, 0.5, -0.5, 0.7, 0.8], atol=0.03)
    # reproducible with a seed
    pd.testing.assert_frame_equal(df, scm.simulate(_grade_parameters(), exogenous=exo, random_seed=2))


def test_numeric_root_is_held_at_given_values():
    scm = StructuralModel(CausalDAG.from_dagitty("dag { x -> y }"))
    x = np.linspace(-2, 2, 50)
    df = scm.simulate({"y": {"intercept": 0.0, "b": {"x": 3.0}}}, exogenous={"x": x}, random_seed=0)
    np.testing.assert_array_equal(df["x"], x)
    assert set(df["y"]) <= {0, 1} and df.loc[df.x > 1.5, "y"].mean() > 0.9
    drawn = scm.simulate({"x": {"intercept": 5.0, "sigma": 0.1}, "y": {"intercept": 0.0, "b": {"x": 1.0}}}, n=200,
                         random_seed=0)
    assert drawn["x"].mean() == pytest.approx(5.0, abs=0.05)


def test_simulate_argument_errors():
    scm = StructuralModel(CausalDAG.from_dagitty("dag { site [batch] ; site -> x -> y }"))
    site = {"site": ["A", "B"] * 10}
    ok = {"x": {"intercept": 0.0, "u": {"site": {"A": 0.0, "B": 1.0}}, "sigma": 1.0},
          "y": {"intercept": 0.0, "b": {"x": 1.0}}}
    assert scm.simulate(ok, exogenous=site, random_seed=0).shape == (20, 3)
    with pytest.raises(ModelError, match="batch node 'site' is not simulated"):
        scm.simulate(ok, n=20)
    with pytest.raises(ModelError, match=r"parameters has no entry for node 'y'"):
        scm.simulate({"x": ok["x"]}, exogenous=site)
    with pytest.raises(ModelError, match=r"\['b'\] must give one coefficient for each of \['x'\]"):
        scm.simulate({**ok, "y": {"intercept": 0.0, "b": {}}}, exogenous=site)
    with pytest.raises(ModelError, match=r"no effect for level\(s\) \['B'\]"):
        scm.simulate({**ok, "x": {**ok["x"], "u": {"site": {"A": 0.0}}}}, exogenous=site)
    with pytest.raises(ModelError, match=r"\['sigma'\] must be a finite positive number"):
        scm.simulate({**ok, "x": {**ok["x"], "sigma": -1.0}}, exogenous=site)
    with pytest.raises(ModelError, match=r"key\(s\) \['slope'\]"):
        scm.simulate({**ok, "y": {"intercept": 0.0, "b": {"x": 1.0}, "slope": 2}}, exogenous=site)
    with pytest.raises(ModelError, match="strictly increasing"):
        scm.simulate({**ok, "y": {"cutpoints": [1.0, 0.0], "b": {"x": 1.0}}}, exogenous=site)
    with pytest.raises(ModelError, match="has parents"):
        scm.simulate({"y": ok["y"]}, exogenous={**site, "x": np.zeros(20)})
    with pytest.raises(UnknownNodeError):
        scm.simulate({**ok, "z": {}}, exogenous=site)
    with pytest.raises(ModelError, match="n= "):
        StructuralModel(CausalDAG.from_dagitty("dag { x -> y }")).simulate({})


@pytest.fixture(scope="module")
def batch_cohort(simulate):
    return simulate(n=500, seed=31)


@pytest.fixture(scope="module")
def structural_fit(batch_dag, batch_cohort):
    scm = StructuralModel(batch_dag)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        scm.fit(batch_cohort, draws=500, tune=500, chains=2, random_seed=4)
    return scm


def _truth_rows(parameters: dict) -> dict[tuple[str, str], float]:
    rows = {}
    for node, spec in parameters.items():
        u_mean = sum(float(np.mean(list(e.values()))) for e in spec.get("u", {}).values())
        if "intercept" in spec:
            rows[(node, "intercept")] = spec["intercept"] + u_mean  # fitted batch effects are zero-sum
        for term, b in spec.get("b", {}).items():
            rows[(node, term)] = b
        for batch, effects in spec.get("u", {}).items():
            mean = np.mean(list(effects.values()))
            for level, u in effects.items():
                rows[(node, f"u[{batch}][{level}]")] = u - mean
        if "sigma" in spec:
            rows[(node, "sigma")] = spec["sigma"]
    return rows


def test_structural_fit_recovers_every_simulated_parameter(structural_fit, batch_truth):
    summ = structural_fit.coefficient_summary()
    truth = _truth_rows(batch_truth())
    assert set(summ.index) == set(truth)
    for key, value in truth.items():
        row = summ.loc[key]
        assert abs(row["mean"] - value) < 3 * row["sd"], (key, value, row["mean"], row["sd"])


def test_batch_confounded_cohort_biases_only_the_unadjusted_model(structural_fit, batch_cohort, naive_dag,
                                                                  batch_dag, true_effect):
    # the structural fit's do() contrast equals the simulated effect; the DAG-adjusted association
    # model recovers it too, the unadjusted one (no site, no age) is pulled up by site confounding
    ace = structural_fit.intervene({"EGFR": 1}, baseline={"EGFR": 0}, target="texture")
    assert abs(float(ace.mean()) - true_effect) < 3 * float(ace.std())
    sampling = dict(draws=500, tune=500, chains=2, random_seed=5)
    adjusted = AssociationModel(batch_dag)
    adjusted.fit(batch_cohort, **sampling)
    row = adjusted.effect_summary().loc["EGFR"]
    assert row["hdi_3%"] < true_effect < row["hdi_97%"]
    naive = AssociationModel(naive_dag)
    naive.fit(batch_cohort, **sampling)
    assert naive.effect_summary().loc["EGFR", "hdi_3%"] > true_effect + 0.2
