"""StructuralModel: do-interventions against analytic values, refusals, structure."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest

from radiocausal.errors import ConvergenceWarning, IdentificationError, ModelError
from radiocausal.graph import CausalDAG
from radiocausal.models.structural import StructuralModel

# linear-Gaussian SCM: z -> x -> m -> y, x -> y, z -> y
B_XZ, B_MX, B_YM, B_YX, B_YZ = 0.5, 0.8, 1.5, 0.3, 0.7
ANALYTIC_ACE = B_YX + B_MX * B_YM  # effect of do(x=1) vs do(x=0) on y
LINEAR_DAG = "dag { z -> x -> m -> y ; x -> y ; z -> y }"


def _linear_scm(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(1.0, 2.0, n)
    x = B_XZ * z + rng.normal(size=n)
    m = B_MX * x + rng.normal(size=n)
    y = B_YM * m + B_YX * x + B_YZ * z + rng.normal(size=n)
    return pd.DataFrame({"z": z, "x": x, "m": m, "y": y})


@pytest.fixture(scope="module")
def linear():
    df = _linear_scm()
    scm = StructuralModel(CausalDAG.from_dagitty(LINEAR_DAG))
    scm.fit(df, draws=500, tune=500, chains=2, random_seed=3)
    return scm, df


@pytest.fixture(scope="module")
def linear_ace(linear):
    scm, _ = linear
    return scm.intervene({"x": 1.0}, baseline={"x": 0.0}, target="y")


def test_do_ace_matches_the_analytic_value(linear_ace):
    ace = linear_ace
    assert ace.dims == ("chain", "draw") and ace.sizes["draw"] == 500
    mean, sd = float(ace.mean()), float(ace.std())
    assert 0 < sd < 0.3
    assert abs(mean - ANALYTIC_ACE) < 3 * sd


def test_do_ace_matches_the_least_squares_plug_in(linear, linear_ace):
    # on the same data, the ACE implied by least-squares fits of the two mechanisms
    _, df = linear
    ones = np.ones(len(df))
    b_m = np.linalg.lstsq(np.column_stack([ones, df["x"]]), df["m"], rcond=None)[0]
    b_y = np.linalg.lstsq(np.column_stack([ones, df["z"], df["x"], df["m"]]), df["y"], rcond=None)[0]
    plug_in = b_y[2] + b_m[1] * b_y[3]
    assert abs(float(linear_ace.mean()) - plug_in) < 0.5 * float(linear_ace.std())


def test_interventional_mean_without_baseline(linear):
    scm, df = linear
    ey = scm.intervene({"x": 1.0}, target="y")
    expected = ANALYTIC_ACE * 1.0 + B_YZ * df["z"].mean()  # E[y | do(x=1)] holding z at its observed values
    assert abs(float(ey.mean()) - expected) < 3 * float(ey.std()) + 0.05
    assert "do(x=1.0)" in ey.name


@pytest.mark.slow
def test_do_ace_agrees_with_dowhy_backdoor_linear_regression(linear, linear_ace):
    dowhy = pytest.importorskip("dowhy")
    _, df = linear
    cm = dowhy.CausalModel(data=df, treatment="x", outcome="y", graph="digraph { z -> x; x -> m; m -> y; x -> y; z -> y }")
    est = cm.estimate_effect(cm.identify_effect(), method_name="backdoor.linear_regression",
                             control_value=0, treatment_value=1)
    assert abs(float(linear_ace.mean()) - est.value) < float(linear_ace.std())


def test_refuses_when_latent_confounding_blocks_identification():
    dag = CausalDAG.from_dagitty("dag { x -> y ; x <-> y }")
    scm = StructuralModel(dag)
    with pytest.raises(IdentificationError, match="not identifiable by adjustment") as err:
        scm.intervene({"x": 1.0}, baseline={"x": 0.0}, target="y")
    assert str(dag.explain_adjustment(set(), ["x"], "y")) in str(err.value)


def test_refuses_to_simulate_a_confounded_mechanism():
    # identified by adjusting for z, but m's mechanism shares a hidden cause with y
    dag = CausalDAG.from_dagitty("dag { z -> x -> m -> y ; z -> y ; m <-> y }")
    with pytest.raises(IdentificationError, match="AssociationModel"):
        StructuralModel(dag).intervene({"x": 1.0}, target="y")


def test_intervention_argument_errors():
    scm = StructuralModel(CausalDAG.from_dagitty(LINEAR_DAG))
    with pytest.raises(ModelError, match="not a descendant"):
        scm.intervene({"y": 1.0}, target="x")
    with pytest.raises(ModelError, match="baseline must set the same nodes"):
        scm.intervene({"x": 1.0}, baseline={"m": 0.0}, target="y")
    with pytest.raises(ModelError, match="not fitted"):
        scm.intervene({"x": 1.0}, target="y")


def test_structure_one_glm_per_node_with_named_parents():
    rng = np.random.default_rng(1)
    n = 80
    df = pd.DataFrame({
        "site": rng.choice(["A", "B", "C"], n),
        "grade": rng.choice(["G2", "G3"], n),
        "EGFR": rng.integers(0, 2, n),
        "texture": rng.normal(size=n),
    })
    dag = CausalDAG.from_dagitty(
        "dag { site [batch] site -> EGFR -> texture ; site -> texture ; grade -> EGFR ; grade -> texture }"
    )
    scm = StructuralModel(dag)
    model = scm.build(df)
    assert scm._nodes["site"].kind == "batch" and scm._nodes["grade"].kind == "categorical"
    assert scm._nodes["EGFR"].family == "bernoulli" and scm._nodes["texture"].family == "normal"
    assert {rv.name for rv in model.observed_RVs} == {"EGFR", "texture"}
    assert model.coords["texture:parent"] == ("grade[G3]", "EGFR")
    assert model.coords["site"] == ("A", "B", "C")
    assert "texture:z_site" in {rv.name for rv in model.free_RVs}
    # the joint log-density is finite at the initial point
    assert np.isfinite(model.compile_logp(mode="FAST_COMPILE")(model.initial_point()))
    with pytest.raises(ModelError, match="levels"):
        scm._encode_value("EGFR", 2)
    assert scm._encode_value("EGFR", 1) == 1 and scm._encode_value("EGFR", True) == 1


def test_netcdf_round_trip_keeps_do_working(linear, linear_ace, tmp_path):
    scm, df = linear
    path = tmp_path / "scm.nc"
    scm.save(path)
    back = StructuralModel.load(path)
    assert back.dag == scm.dag and back.order_ == scm.order_
    assert back.idata_.attrs["families"] == scm.idata_.attrs["families"]
    np.testing.assert_allclose(back.idata_.observed_data["y"].values, df["y"].values)
    pd.testing.assert_frame_equal(back.coefficient_summary(), scm.coefficient_summary())
    # the loaded model intervenes exactly as the fitted one (same draws, same seed)
    ace = back.intervene({"x": 1.0}, baseline={"x": 0.0}, target="y")
    np.testing.assert_allclose(ace.values, linear_ace.values)
    with pytest.raises(ModelError, match="not written by StructuralModel.save"):
        idata = scm.idata_.copy()
        idata.attrs["radiocausal_model"] = "AssociationModel"
        idata.to_netcdf(str(tmp_path / "other.nc"))
        StructuralModel.load(tmp_path / "other.nc")
    with pytest.raises(ModelError, match="not fitted"):
        StructuralModel(scm.dag).save(tmp_path / "none.nc")


def test_round_trip_with_batch_categorical_and_ordinal_nodes(tmp_path):
    # text levels, a categorical root, a batch node and an ordinal node survive the file, and the
    # loaded model's do() answers equal the original's; prior draws stand in for a posterior (no NUTS)
    dag = CausalDAG.from_dagitty("dag { site [batch] ; grade -> cn -> y ; site -> y ; grade -> y }")
    rng = np.random.default_rng(5)
    n = 120
    exo = {"site": rng.choice(["A", "B"], n), "grade": rng.choice(["G2", "G3"], n)}
    params = {"cn": {"cutpoints": [-1.0, 1.0], "levels": [-1, 0, 1], "b": {"grade[G3]": 1.0}},
              "y": {"intercept": 0.0, "b": {"grade[G3]": 0.3, "cn": 0.5}, "u": {"site": {"A": -0.2, "B": 0.2}},
                    "sigma": 1.0}}
    scm = StructuralModel(dag)
    df = scm.simulate(params, exogenous=exo, random_seed=1)
    prior = pm.sample_prior_predictive(draws=40, model=scm.build(df), random_seed=3).prior
    prior["cn:cutpoints"] = prior["cn:cutpoints"].copy(data=np.sort(prior["cn:cutpoints"].values, axis=-1))
    with pytest.warns(ConvergenceWarning):  # one chain of prior draws is no converged posterior
        scm._finish_fit(az.InferenceData(posterior=prior), df, {"draws": 40})
    assert scm._nodes["grade"].kind == "categorical" and scm._nodes["cn"].levels == [-1, 0, 1]
    scm.save(tmp_path / "scm.nc")
    back = StructuralModel.load(tmp_path / "scm.nc")
    for v in ("site", "grade", "cn"):
        assert back._nodes[v] == scm._nodes[v]
    pd.testing.assert_frame_equal(back._data, df, check_index_type=False)
    pd.testing.assert_frame_equal(back.coefficient_summary(), scm.coefficient_summary())
    np.testing.assert_allclose(back.intervene({"cn": 1}, target="y").values, scm.intervene({"cn": 1}, target="y").values)
