"""Latent factors as DAG nodes: factor scores as data columns for the association models."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, DataWarning, GraphError
from radiocausal.graph import CausalDAG
from radiocausal.models import AssociationModel
from radiocausal.models._factors_simulate import simulate_factor_data
from radiocausal.models.factors import LatentFactorModel, add_factor_nodes, align_factors

TRUE_LOG_OR = 1.0


@pytest.fixture(scope="module")
def cohort():
    """Factor views of 200 patients plus a TP53 mutation driven by the first shared factor and site."""
    sim = simulate_factor_data(n_genes=200, random_seed=5, site_shift=1.0)
    rng = np.random.default_rng(5)
    site = (sim.covariates["site"] == "B").to_numpy(float)
    eta = -0.5 + TRUE_LOG_OR * sim.factors["true1"].to_numpy() + 0.8 * site
    tp53 = (rng.random(len(site)) < 1 / (1 + np.exp(-eta))).astype(int)
    table = pd.DataFrame({"site": sim.covariates["site"], "TP53": tp53}, index=sim.factors.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LatentFactorModel(n_factors=8, likelihoods=sim.likelihoods, covariates=sim.covariates, n_bootstrap=0)
        model.fit(sim.views, random_seed=0)
    return sim, table, model


def test_shared_factor_as_exposure_of_a_mutation_outcome(cohort):
    sim, table, model = cohort
    order, signs, r = align_factors(model.factor_scores(), sim.factors)
    assert r[0] > 0.98
    factor = model.factor_names_[order[0]]
    dag = CausalDAG.from_dagitty("dag { site [batch] TP53 [outcome] site -> TP53 }")
    new_dag, data = model.add_to_dag(
        dag, table, factors={factor: "shared"}, edges=[("site", "shared"), ("shared", "TP53")], roles={"shared": "exposure"}
    )
    assert "shared" not in dag  # the input DAG is not modified
    assert new_dag.exposures == ("shared",) and new_dag.outcomes == ("TP53",)
    assert sorted(new_dag.parents("TP53")) == ["shared", "site"]
    assert list(data.columns) == ["site", "TP53", "shared"]
    np.testing.assert_allclose(data["shared"], model.factor_scores()[factor].loc[data.index])
    assert data.attrs["factor_reliability"]["shared"] > 0.99  # 200 genes + imaging + mutations: nearly exact
    # the DAG round-trips through dagitty text with the factor node and its role
    assert CausalDAG.from_dagitty(new_dag.to_dagitty()) == new_dag
    # the association model takes the factor as its exposure and the DAG's adjustment set
    am = AssociationModel(new_dag)
    pm_model, _ = am.build(data)
    assert am.exposure == "shared" and set(am.adjustment_set_) == {"site"}
    assert "outcome" in pm_model.named_vars
    # the factor column carries the true effect: on the truth's unit-variance scale (up to sign)
    # the site-adjusted log-odds ratio is 1 (maximum likelihood here; sampling is tested elsewhere)
    import statsmodels.api as sm

    x = sm.add_constant(pd.DataFrame({"shared": data["shared"] * signs[0], "site": (data["site"] == "B").astype(float)}))
    fit = sm.Logit(data["TP53"], x).fit(disp=0)
    assert abs(fit.params["shared"] - TRUE_LOG_OR) < 2.5 * fit.bse["shared"], fit.params


def test_new_patients_are_projected_and_bad_requests_refused(cohort):
    sim, table, model = cohort
    dag = CausalDAG([("site", "TP53")])
    held = table.iloc[:3].rename(index=lambda p: p + "x")  # patients the model has not seen
    views = {v: df.loc[df.index.intersection(table.index[:3])].rename(index=lambda p: p + "x") for v, df in sim.views.items()}
    cov = sim.covariates.iloc[:3].rename(index=lambda p: p + "x")
    both = pd.concat([table, held])
    with pytest.raises(DataError, match="were not fitted"):
        add_factor_nodes(model, dag, both, factors=["Factor1"])
    _, data = add_factor_nodes(model, dag, both, factors=["Factor1"], new_views=views, covariates=cov)
    np.testing.assert_allclose(data.loc[held.index, "Factor1"], data.loc[table.index[:3], "Factor1"], atol=0.05)
    with pytest.raises(GraphError, match="already exist"):
        add_factor_nodes(model, dag, table, factors={"Factor1": "site"})
    with pytest.raises(GraphError, match="neither nodes"):
        add_factor_nodes(model, dag, table, factors=["Factor1"], edges=[("Factor1", "KRAS")])
    with pytest.raises(DataError, match="not fitted factors"):
        add_factor_nodes(model, dag, table, factors=["Factor99"])
    with pytest.raises(GraphError, match="only be given for the new factor nodes"):
        add_factor_nodes(model, dag, table, factors=["Factor1"], roles={"TP53": "outcome"})
    # scores alone (no table): one column per factor for the fitted patients
    _, scores = add_factor_nodes(model, dag)
    assert scores.shape == (len(model.patients_), model.n_factors_)


def test_edge_into_a_feature_of_the_factors_own_view_warns(cohort):
    sim, table, model = cohort
    mut = sim.views["mutations"].columns[0]
    active = model.active_probability()["mutations"] > 0.5
    factor = active[active].index[0]
    dag = CausalDAG(nodes=[mut])
    with pytest.warns(DataWarning, match="by construction"):
        add_factor_nodes(model, dag, factors=[factor], edges=[(factor, mut)])
