"""The predictive direction P(gene | feature, Z) of AssociationModel: known truth, attrs, refusal of do()."""

from __future__ import annotations

import json
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import ConvergenceWarning, IdentificationError, ModelError
from radiocausal.graph import CausalDAG
from radiocausal.models import AssociationModel, StructuralModel


def test_predictive_direction_roles_without_sampling(batch_dag):
    model = AssociationModel(batch_dag, direction="predictive")
    # DAG roles unchanged; the gene is modelled, the feature is the focal predictor
    assert (model.exposure, model.outcome) == ("EGFR", "texture")
    assert (model.response_, model.predictor_) == ("EGFR", "texture")
    # the adjustment set is the DAG's for EGFR -> texture, which deconfounds the reverse regression too
    assert model.adjustment_set_ == frozenset({"age", "site"})
    assert "predictive" in repr(model)
    with pytest.raises(ModelError, match="direction must be one of"):
        AssociationModel(batch_dag, direction="anticausal")


def test_predictive_direction_refuses_do(batch_dag):
    model = AssociationModel(batch_dag, direction="predictive")
    with pytest.raises(IdentificationError, match="not a causal effect"):
        model.intervene({"texture": 1.0}, baseline={"texture": 0.0})
    with pytest.raises(ModelError, match="StructuralModel"):
        AssociationModel(batch_dag).intervene({"EGFR": 1})


def test_predictive_model_needs_the_dag_direction(batch_dag):
    # declaring the feature as the exposure contradicts the DAG: refused with a pointer to direction=
    with pytest.raises(IdentificationError, match="direction='predictive'"):
        AssociationModel(batch_dag, exposure="texture", outcome="EGFR")


@pytest.fixture(scope="module")
def predictive_fit(simulate, batch_dag):
    # texture = ... + 0.8 * EGFR + 1.5 * site + 0.03 * age + N(0, 1): then exactly
    # logit P(EGFR | texture, age, site) = a_site + (0.8 / 1**2) * texture - 0.8 * 0.03 * age
    df = simulate(n=600, seed=7)
    model = AssociationModel(batch_dag, direction="predictive")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(df, draws=1000, tune=1000, chains=2, random_seed=5)  # 4 sites on a logit scale
    return model, df


@pytest.mark.slow
def test_predictive_coefficient_recovers_known_truth(predictive_fit, true_effect):
    model, df = predictive_fit
    summ = model.effect_summary(covariates=True)
    assert list(summ.index) == ["texture", "age"]
    row = summ.loc["texture"]
    truth = true_effect / 1.0**2  # b / sigma^2 of the phenotype model
    assert row["p_positive"] > 0.99  # the sign of the causal effect
    assert abs(row["mean"] - truth) < 3 * row["sd"]
    assert row["hdi_3%"] < truth < row["hdi_97%"]
    assert summ.loc["age", "mean"] == pytest.approx(-true_effect * 0.03, abs=3 * summ.loc["age", "sd"])
    assert row["scale"] == "log-odds of EGFR per unit"


@pytest.mark.slow
def test_predictive_idata_records_the_direction(predictive_fit, tmp_path):
    model, df = predictive_fit
    idata = model.idata_
    attrs = idata.attrs
    assert attrs["direction"] == "predictive"
    assert (attrs["response"], attrs["predictor"]) == ("EGFR", "texture")
    assert (attrs["exposure"], attrs["outcome"]) == ("EGFR", "texture")
    assert attrs["focal_coefficient"] == "b_predictor" and "not a causal effect" in attrs["estimand"]
    assert json.loads(attrs["adjustment_set"]) == ["age", "site"]
    # the coefficient is named for what it is; the gene is the modelled variable in every group
    assert "b_predictor" in idata.posterior and "b_exposure" not in idata.posterior
    assert idata.log_likelihood["EGFR"].dims == ("chain", "draw", "patient")
    np.testing.assert_array_equal(idata.observed_data["EGFR"].values, df["EGFR"].values)
    assert set(np.unique(idata.posterior_predictive["EGFR"].values)) <= {0, 1}
    assert np.isfinite(az.loo(idata).elpd_loo)
    path = tmp_path / "pred.nc"
    model.save(path)
    back = AssociationModel.load(path)
    assert back.direction == "predictive" and back.response_ == "EGFR"
    assert back.effect_summary().index[0] == "texture"
    with pytest.raises(IdentificationError):
        back.intervene({"texture": 1.0})


def test_structural_model_refuses_do_against_the_dag(batch_dag, simulate):
    # intervening on the feature to move the gene is against the DAG: refused before any fitting
    sm = StructuralModel(CausalDAG.from_dagitty("dag { EGFR -> texture ; age -> texture }"))
    with pytest.raises(ModelError, match="not a descendant"):
        sm.intervene({"texture": 1.0}, baseline={"texture": 0.0}, target="EGFR")


# Copy-number categories as the response of the predictive direction.  The cohort is drawn from an
# SCM in which cn's mechanism *is* an ordered logit in texture and age, so the predictive model
# P(cn | texture, age) is exactly right and its coefficients are known; the fitted DAG says
# cn -> texture (the causal story), which changes nothing in the conditional being fitted.
ORDINAL_TRUTH = {
    "age": {"intercept": 60.0, "sigma": 10.0},
    "texture": {"intercept": -3.0, "b": {"age": 0.05}, "sigma": 1.0},
    "cn": {"cutpoints": [0.3, 1.8, 3.3], "levels": [-1, 0, 1, 2], "b": {"texture": 1.2, "age": 0.03}},
}


@pytest.fixture(scope="module")
def ordinal_fit():
    sim = StructuralModel(CausalDAG.from_dagitty("dag { age -> texture -> cn ; age -> cn }"))
    df = sim.simulate(ORDINAL_TRUTH, n=400, random_seed=3)
    dag = CausalDAG.from_dagitty("dag { cn [exposure] texture [outcome] age -> cn -> texture ; age -> texture }")
    model = AssociationModel(dag, direction="predictive")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(df, draws=500, tune=500, chains=2, random_seed=1)
    return model, df


@pytest.mark.slow
def test_ordinal_copy_number_response_recovers_the_ordered_logit(ordinal_fit, tmp_path):
    model, df = ordinal_fit
    assert set(df["cn"]) == {-1, 0, 1, 2} and df["cn"].value_counts().min() > 40
    idata = model.idata_
    assert idata.attrs["family"] == "ordered_logistic" and idata.attrs["response"] == "cn"
    summ = model.effect_summary(covariates=True)
    assert list(summ.index) == ["texture", "age"]
    assert summ.loc["texture", "scale"] == "log cumulative odds of cn per unit"
    for term in ("texture", "age"):
        truth = ORDINAL_TRUTH["cn"]["b"][term]
        assert abs(summ.loc[term, "mean"] - truth) < 3 * summ.loc[term, "sd"], term
    assert summ.loc["texture", "hdi_3%"] > 0
    # the cut-points are on the standardised scale; their labels name adjacent levels
    assert list(idata.posterior["cutpoint"].values) == ["-1|0", "0|1", "1|2"]
    # groups on the response's own levels, loo works, the file round trip keeps the family
    assert set(np.unique(idata.posterior_predictive["cn"].values)) <= {-1, 0, 1, 2}
    np.testing.assert_array_equal(idata.observed_data["cn"].values, df["cn"].values)
    assert np.isfinite(az.loo(idata).elpd_loo)
    model.save(tmp_path / "cn.nc")
    back = AssociationModel.load(tmp_path / "cn.nc")
    assert back.family == "ordered_logistic" and back.direction == "predictive"
    pd.testing.assert_frame_equal(back.effect_summary(), model.effect_summary())
