"""The CausalDAG methods that delegate to the interop, drawing, library and implication modules."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from radiocausal.graph import CausalDAG
from radiocausal.graph.library import list_models


def test_interop_methods_round_trip():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] g -> x -> y ; g -> y ; x <-> y }")
    assert CausalDAG.from_networkx(dag.to_networkx()) == dag
    assert "digraph" in dag.to_dot(adjustment_set=["g"])
    gml = dag.to_dowhy()
    assert "graph" in gml and "x" in gml


def test_load_every_library_model():
    names = list_models()
    assert len(names) >= 6
    for name in names:
        dag = CausalDAG.load(name)
        assert dag.name == name
        assert dag.exposures and dag.outcomes


def test_draw_method(tmp_path):
    dag = CausalDAG.load("tumour_grade_confounding")
    ax = dag.draw(adjustment_set=dag.adjustment_sets()[0])
    out = tmp_path / "dag.png"
    ax.figure.savefig(out)
    assert out.stat().st_size > 1000
    assert any(a.get_gid() == "node:EGFR" for a in ax.get_children())


def test_implications_methods_on_simulated_chain():
    dag = CausalDAG.from_dagitty("dag { a -> b -> c }")
    assert [str(i) for i in dag.implied_independencies()] == ["a _||_ c | b"]
    rng = np.random.default_rng(0)
    a = rng.normal(size=400)
    b = a + rng.normal(size=400)
    c = b + rng.normal(size=400)
    res = dag.test_implications(pd.DataFrame({"a": a, "b": b, "c": c}))
    assert len(res) == 1 and not bool(res["rejected"].iloc[0])
    wrong = pd.DataFrame({"a": a, "b": b, "c": b + a + rng.normal(size=400)})
    assert bool(dag.test_implications(wrong)["rejected"].iloc[0])
