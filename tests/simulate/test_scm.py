"""Structural causal model simulation: determinism, recovery of the truth, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from radiocausal.errors import CycleError, GraphError, ModelError, UnknownNodeError
from radiocausal.graph import CausalDAG
from radiocausal.simulate import batch_confounding, simulate_do, simulate_tables

LINEAR_DAG = "dag { x [exposure] ; y [outcome] ; z -> x ; z -> y ; x -> m ; m -> y ; x -> y }"
LINEAR_COEFS = {("z", "x"): 0.7, ("z", "y"): -1.1, ("x", "m"): 0.9, ("m", "y"): 0.6, ("x", "y"): 0.4}
LINEAR_NODES = {
    "z": "continuous",
    "x": {"type": "continuous", "intercept": 0.5, "noise_sd": 1.0},
    "m": {"type": "continuous", "intercept": -0.3, "noise_sd": 0.8},
    "y": {"type": "continuous", "intercept": 2.0, "noise_sd": 0.5},
}


def test_same_seed_same_tables_and_truth():
    sc = batch_confounding()
    d1, t1 = sc.simulate(300, random_seed=7, n_truth=5000)
    d2, t2 = sc.simulate(300, random_seed=7, n_truth=5000)
    d3, _ = sc.simulate(300, random_seed=8, n_truth=5000)
    pd.testing.assert_frame_equal(d1, d2)
    pd.testing.assert_frame_equal(t1.complete, t2.complete)
    assert t1.ace == t2.ace
    assert not d1.equals(d3)


def test_least_squares_recovers_linear_coefficients():
    data, truth = simulate_tables(LINEAR_DAG, LINEAR_COEFS, 20_000, random_seed=1, nodes=LINEAR_NODES, n_truth=1000)
    X = np.column_stack([np.ones(len(data)), data["z"], data["x"], data["m"]])
    beta, *_ = np.linalg.lstsq(X, data["y"].to_numpy(), rcond=None)
    assert beta[0] == pytest.approx(2.0, abs=0.03)
    assert beta[1] == pytest.approx(-1.1, abs=0.03)
    assert beta[2] == pytest.approx(0.4, abs=0.03)
    assert beta[3] == pytest.approx(0.6, abs=0.03)
    b_xm, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(data)), data["x"]]), data["m"].to_numpy(), rcond=None)
    assert b_xm[1] == pytest.approx(0.9, abs=0.03)
    resid = data["m"] - X[:, :3] @ np.array([b_xm[0], 0.0, b_xm[1]])
    assert resid.std() == pytest.approx(0.8, rel=0.03)
    assert truth.coefficients[("x", "y")] == 0.4


def test_categorical_parent_level_effects_recovered():
    dag = CausalDAG([("site", "y")])
    data, _ = simulate_tables(
        dag, {("site", "y"): [0.0, 1.5, -2.0]}, 9000, random_seed=3,
        nodes={"site": {"type": "categorical", "probs": [0.5, 0.3, 0.2]}, "y": "continuous"},
    )
    means = data.groupby("site")["y"].mean()
    np.testing.assert_allclose(means.to_numpy(), [0.0, 1.5, -2.0], atol=0.06)
    np.testing.assert_allclose(data["site"].value_counts(normalize=True).sort_index(), [0.5, 0.3, 0.2], atol=0.02)


def test_binary_and_ordinal_mechanisms():
    dag = CausalDAG(nodes=["g", "b"])
    data, _ = simulate_tables(
        dag, {}, 40_000, random_seed=5,
        nodes={"g": {"type": "ordinal", "intercept": 0.3, "cutpoints": [-1.0, 1.0]},
               "b": {"type": "binary", "intercept": -0.8}},
    )
    cum = np.cumsum(data["g"].value_counts(normalize=True).sort_index().to_numpy())[:2]
    np.testing.assert_allclose(cum, expit(np.array([-1.0, 1.0]) - 0.3), atol=0.01)
    assert data["b"].mean() == pytest.approx(expit(-0.8), abs=0.01)
    assert data["g"].dtype == np.int64


def test_do_effect_matches_analytic_linear_gaussian():
    _, truth = simulate_tables(LINEAR_DAG, LINEAR_COEFS, 10, random_seed=0, nodes=LINEAR_NODES, n_truth=2000)
    analytic = 0.4 + 0.9 * 0.6  # direct + through the mediator; z is not on a causal path
    assert truth.ace[("x", "y")] == pytest.approx(analytic, abs=1e-9)


def test_do_effect_through_logistic_node_matches_numerical_value():
    # x -> b (logistic) -> y: E[y | do(x)] = 2 * expit(-0.5 + 1.2 x)
    dag = "dag { x [exposure] ; y [outcome] ; x -> b ; b -> y }"
    nodes = {"x": "continuous", "b": {"type": "binary", "intercept": -0.5}, "y": "continuous"}
    _, truth = simulate_tables(dag, {("x", "b"): 1.2, ("b", "y"): 2.0}, 10, random_seed=0, nodes=nodes,
                               n_truth=400_000)
    expected = 2 * (expit(0.7) - expit(-0.5))
    assert truth.ace[("x", "y")] == pytest.approx(expected, abs=0.01)


def test_latent_hidden_and_selection_filters():
    dag = "dag { u [latent] ; s [selected] ; u -> x ; u -> y ; x -> s ; y -> s }"
    nodes = {"u": "continuous", "x": "continuous", "y": "continuous", "s": {"type": "binary", "intercept": -1.0}}
    coefs = {("u", "x"): 1.0, ("u", "y"): 1.0, ("x", "s"): 1.5, ("y", "s"): 1.5}
    data, truth = simulate_tables(dag, coefs, 500, random_seed=2, nodes=nodes)
    assert list(data.columns) == ["x", "y"]
    assert len(data) == 500 and (truth.complete["s"] == 1).all()
    assert truth.n_screened > 500
    pop = simulate_do(dag, coefs, nodes, {}, 20_000, random_seed=2)
    # selection on a collider of x and y changes their joint distribution: means shift up
    assert data["x"].mean() > pop["x"].mean() + 0.3


def test_selection_that_never_happens_is_an_error():
    with pytest.raises(ModelError, match="selected"):
        simulate_tables("dag { s [selected] ; x -> s }", {("x", "s"): 0.0}, 10, random_seed=0,
                        nodes={"x": "continuous", "s": {"type": "binary", "intercept": -60}}, max_screened=1000)


@pytest.mark.parametrize(
    ("dag", "coefs", "nodes", "error", "match"),
    [
        ("dag { a -> b }", {("a", "c"): 1.0}, {"a": "continuous", "b": "continuous"}, UnknownNodeError, "'c'"),
        ("dag { a -> b ; c }", {("a", "b"): 1.0, ("a", "c"): 1.0}, {"a": "continuous", "b": "continuous",
                                                                     "c": "continuous"}, GraphError, "not an edge"),
        ("dag { a -> b }", {("a", "b"): 1.0}, {"a": "continuous"}, ModelError, r"no type for \['b'\]"),
        ("dag { a -> b }", {}, {"a": "continuous", "b": "continuous"}, ModelError, "no value for edge"),
        ("dag { a -> b }", {("a", "b"): 1.0}, {"a": "count", "b": "continuous"}, ModelError, "type='count'"),
        ("dag { a -> b }", {("a", "b"): 1.0}, {"a": "continuous", "b": {"type": "ordinal"}}, ModelError, "cut point"),
        ("dag { a -> b }", {("a", "b"): 1.0}, {"a": "continuous", "b": {"type": "categorical", "probs": [1]}},
         ModelError, "categorical"),
        ("dag { a -> b }", {("a", "b"): [1, 2]}, {"a": {"type": "categorical", "probs": [0.5, 0.3, 0.2]},
                                                   "b": "continuous"}, ModelError, "one effect per level"),
        ("dag { a <-> b }", {}, {"a": "continuous", "b": "continuous"}, GraphError, "latent"),
        ("dag { s [selected] ; a -> s }", {("a", "s"): 1.0}, {"a": "continuous", "s": "continuous"}, ModelError,
         "binary"),
    ],
)
def test_bad_input_is_a_clear_error(dag, coefs, nodes, error, match):
    with pytest.raises(error, match=match):
        simulate_tables(dag, coefs, 10, random_seed=0, nodes=nodes)


def test_cycle_is_refused():
    with pytest.raises(CycleError):
        simulate_tables("dag { a -> b ; b -> a }", {("a", "b"): 1.0, ("b", "a"): 1.0}, 10,
                        nodes={"a": "continuous", "b": "continuous"})


def test_bad_n_and_unknown_effect():
    nodes = {"a": "continuous", "b": "continuous"}
    with pytest.raises(ModelError, match="n=0"):
        simulate_tables("dag { a -> b }", {("a", "b"): 1.0}, 0, nodes=nodes)
    with pytest.raises(UnknownNodeError, match="'q'"):
        simulate_tables("dag { a -> b }", {("a", "b"): 1.0}, 5, nodes=nodes, effects=[("a", "q")])


def test_batch_confounded_naive_association_is_biased_adjusted_is_not():
    from radiocausal.stats import association_scan

    sc = batch_confounding()
    data, truth = sc.simulate(3000, random_seed=11, n_truth=100_000)
    true_effect = truth.ace[("EGFR", "texture")]
    assert true_effect == pytest.approx(1.0, abs=1e-9)  # linear path EGFR -> heterogeneity -> texture
    exposure, outcome = data[["EGFR"]].astype(float), data[["texture"]]
    naive = association_scan(exposure, outcome, test="linear").iloc[0]
    grade_only = association_scan(exposure, outcome, test="linear", covariates=data[["grade"]]).iloc[0]
    covs = pd.DataFrame({"grade": data["grade"], "site": data["site"].astype(str)}, index=data.index)
    adjusted = association_scan(exposure, outcome, test="linear", covariates=covs).iloc[0]
    assert abs(naive["estimate"] - true_effect) > 6 * naive["se"]
    assert abs(grade_only["estimate"] - true_effect) > 6 * grade_only["se"]  # the batch bias remains
    assert abs(adjusted["estimate"] - true_effect) < 3 * adjusted["se"]
    assert sorted(sc.dag.adjustment_sets()[0]) == ["grade", "site"]


def test_contrast_must_be_valid_codes_of_a_discrete_exposure():
    with pytest.raises(ModelError, match="contrast"):
        simulate_tables("dag { x [exposure] ; y [outcome] ; x -> y }", {("x", "y"): 1.0}, 5,
                        nodes={"x": "binary", "y": "continuous"}, contrast=(0, 2))
    _, truth = simulate_tables("dag { x [exposure] ; y [outcome] ; x -> y }", {("x", "y"): 1.5}, 5,
                               nodes={"x": "continuous", "y": "continuous"}, contrast=(-1, 3), n_truth=100)
    assert truth.ace[("x", "y")] == pytest.approx(1.5 * 4, abs=1e-9)


def test_keep_screened_returns_the_population_up_to_the_last_selected_patient():
    dag = "dag { s [selected] ; x -> s ; x -> y }"
    nodes = {"x": "continuous", "s": {"type": "binary", "intercept": -1.0}, "y": "continuous"}
    data, truth = simulate_tables(dag, {("x", "s"): 1.0, ("x", "y"): 0.5}, 50, random_seed=3, nodes=nodes,
                                  keep_screened=True, n_truth=100)
    screened = truth.screened
    assert screened.index.name == "screening_id" and screened["s"].iloc[-1] == 1
    kept = screened[screened["s"] == 1]
    np.testing.assert_allclose(kept["x"].to_numpy(), truth.complete["x"].to_numpy())
    assert len(screened) <= truth.n_screened and screened["x"].mean() < data["x"].mean()
    _, plain = simulate_tables(dag, {("x", "s"): 1.0, ("x", "y"): 0.5}, 50, random_seed=3, nodes=nodes, n_truth=100)
    assert plain.screened is None
    pd.testing.assert_frame_equal(plain.complete, truth.complete)
