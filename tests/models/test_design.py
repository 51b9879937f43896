"""Design matrices, family inference and adjustment-set choice: no sampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, IdentificationError, ModelError, RoleError, RoleWarning
from radiocausal.graph import CausalDAG
from radiocausal.models import AssociationModel, choose_adjustment_set, infer_family
from radiocausal.models._design import build_design


@pytest.mark.parametrize(
    "values, family",
    [
        ([0, 1, 1, 0], "bernoulli"),
        ([True, False, True], "bernoulli"),
        ([0.1, 2.5, -1.0], "normal"),
        ([-2, -1, 0, 1, 2, 0], "ordered_logistic"),
        (list(range(20)), "normal"),
        (pd.Categorical(["lo", "hi", "mid"], categories=["lo", "mid", "hi"], ordered=True), "ordered_logistic"),
    ],
)
def test_infer_family(values, family):
    assert infer_family(pd.Series(values, name="y")) == family


def test_infer_family_rejects_unordered_categories_and_text():
    with pytest.raises(DataError, match="unordered"):
        infer_family(pd.Series(pd.Categorical(["a", "b", "c"]), name="y"))
    with pytest.raises(DataError, match="family="):
        infer_family(pd.Series(["a", "b", "c"], name="y"))


def test_design_standardises_and_one_hot_encodes():
    df = pd.DataFrame({"x": [0, 1, 1, 0, 1], "g": ["a", "b", "c", "a", "b"], "y": [1.0, 2, 3, 4, 6], "s": [1, 1, 2, 2, 2]})
    d, levels = build_design(df, "y", "normal", ["x", "g"], ["s"])
    assert d.terms == ["x", "g[b]", "g[c]"]
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X.std(axis=0), 1)
    assert d.batch_levels == {"s": [1, 2]} and d.batch_idx["s"].tolist() == [0, 0, 1, 1, 1]
    assert d.y_center == pytest.approx(3.2) and d.y_scale == pytest.approx(np.std(df["y"]))
    # frozen levels reject unseen categories
    bad = df.assign(g=["a", "b", "z", "a", "b"])
    with pytest.raises(DataError, match="unknown to the model"):
        build_design(bad, "y", "normal", ["x", "g"], ["s"], levels=levels)


def test_design_errors_name_the_problem():
    df = pd.DataFrame({"x": [1, 1, 1], "y": [0.0, 1.0, 2.0]})
    with pytest.raises(DataError, match="exposure 'x' is constant"):
        build_design(df, "y", "normal", ["x"])
    with pytest.raises(DataError, match="missing value"):
        build_design(df.assign(y=[0.0, np.nan, 1.0]), "y", "normal", ["x"])
    with pytest.raises(DataError, match="'nope' is not a column"):
        build_design(df, "nope", "normal", ["x"])


def test_default_adjustment_is_the_optimal_set(batch_dag):
    assert choose_adjustment_set(batch_dag, "EGFR", "texture") == (frozenset({"site", "age"}), "optimal")
    assert choose_adjustment_set(batch_dag, "EGFR", "texture", "minimal") == (frozenset({"site"}), "minimal")


def test_adjustment_falls_back_to_smallest_minimal_set_when_o_set_undefined():
    # a latent parent of the outcome makes the O-set undefined; {a} and {b} both work: take 'a'
    dag = CausalDAG.from_dagitty(
        "dag { x [exposure] y [outcome] U [latent] a -> b -> x -> y ; a -> y ; U -> y ; U -> m ; m -> y }"
    )
    zs, rule = choose_adjustment_set(dag, "x", "y")
    assert zs in [frozenset(s) for s in dag.adjustment_sets("x", "y", kind="minimal")]
    assert rule.startswith("minimal") and len(zs) == min(len(s) for s in dag.adjustment_sets("x", "y"))


def test_rejected_set_raises_with_the_graph_explanation(batch_dag):
    expl = str(batch_dag.explain_adjustment(["age"], "EGFR", "texture"))
    with pytest.raises(IdentificationError) as err:
        AssociationModel(batch_dag, adjustment=["age"], batch=[])
    assert str(err.value) == expl and "NOT valid" in str(err.value)


def test_unidentifiable_effect_raises_identification_error():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] x -> y ; x <-> y }")
    with pytest.raises(IdentificationError, match="no adjustment set identifies") as err:
        AssociationModel(dag)
    assert "NOT valid" in str(err.value)


def test_constructor_validates_but_never_builds(batch_dag):
    m = AssociationModel(batch_dag)
    assert m.adjustment_set_ == {"site", "age"} and m.batch_ == ("site",) and m.covariates_ == ("age",)
    assert m.idata_ is None
    with pytest.raises(ModelError, match="not built"):
        m.model_
    with pytest.raises(ModelError, match="not fitted"):
        m.effect_summary()
    with pytest.raises(ModelError, match="family must be one of"):
        AssociationModel(batch_dag, family="poisson")
    with pytest.raises(RoleError, match="not a node"):
        AssociationModel(batch_dag, exposure="KRAS")
    with pytest.raises(IdentificationError, match="no directed path"):
        AssociationModel(batch_dag, exposure="texture", outcome="EGFR")
    with pytest.raises(ModelError, match="priors"):
        AssociationModel(batch_dag, priors={"beta": -1})


def test_dag_batch_node_that_would_bias_is_left_out():
    # 'run' is a batch node caused by the exposure's descendant: adjusting for it would bias
    with pytest.warns(RoleWarning, match="batch node 'run' has causes"):
        dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] run [batch] x -> y ; x -> run ; y -> run }")
    m = AssociationModel(dag)
    assert m.batch_ == () and m.batch_left_out_ == ("run",)
    with pytest.raises(IdentificationError, match="biases the effect"):
        AssociationModel(dag, batch=["run"])
