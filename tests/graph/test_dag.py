"""Declaring DAGs: construction, the text format, validation and roles."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiocausal.errors import (
    CycleError,
    DagittyParseError,
    GraphError,
    IdentificationError,
    RoleError,
    RoleWarning,
    UnknownNodeError,
)
from radiocausal.graph import CausalDAG


def test_python_api_and_text_agree():
    built = (
        CausalDAG()
        .add_node("EGFR", "exposure")
        .add_node("texture", "outcome")
        .add_edge("grade", "EGFR")
        .add_edge("grade", "texture")
        .add_edge("EGFR", "texture")
        .add_bidirected("EGFR", "site")
    )
    parsed = CausalDAG.from_dagitty(
        "dag { EGFR [exposure] texture [outcome] grade -> EGFR -> texture <- grade ; EGFR <-> site }"
    )
    assert built == parsed
    assert parsed.exposures == ("EGFR",) and parsed.outcomes == ("texture",)
    assert parsed.parents("texture") == {"grade", "EGFR"}
    assert parsed.bidirected_edges == (("EGFR", "site"),)
    assert parsed.ancestors("texture") == {"grade", "EGFR"}
    assert parsed.descendants("grade") == {"EGFR", "texture"}


def test_constructor_with_roles():
    dag = CausalDAG([("x", "y"), ("s", "y")], roles={"x": "exposure", "y": ["outcome"], "s": "batch"})
    assert dag.batch_nodes == ("s",)
    assert dag.observed_nodes == ("x", "y", "s")


def test_issue_example_parses():
    dag = CausalDAG.from_dagitty(
        "dag { X [exposure] Y [outcome] U [latent] S [selected] site [batch] Z [adjusted] X -> Y <- U ; a <-> b }"
    )
    assert dag.latent_nodes == ("U",)
    assert dag.selected_nodes == ("S",)
    assert dag.adjusted_nodes == ("Z",)
    assert dag.batch_nodes == ("site",)
    assert set(dag.nodes) == {"X", "Y", "U", "S", "site", "Z", "a", "b"}


def test_group_syntax_comments_and_quoted_names():
    text = """
    # a comment
    dag study {
      "tumour grade" -> {x y}   // grade causes both
      /* block
         comment */
      x [exposure]; y [outcome]
      x -> y
    }
    """
    dag = CausalDAG.from_dagitty(text)
    assert dag.name == "study"
    assert dag.parents("y") == {"tumour grade", "x"}
    assert dag.adjustment_sets() == [frozenset({"tumour grade"})]
    again = CausalDAG.from_dagitty(dag.to_dagitty())
    assert again == dag
    assert '"tumour grade"' in dag.to_dagitty()


@pytest.mark.parametrize(
    "text, line, col, fragment",
    [
        ("dag { x -> }", 1, 12, "expected a node name"),
        ("dag {\n  x -> y\n  y [exposur]\n}", 3, 6, "unknown role 'exposur'"),
        ("dag {\n x -- y }", 2, 4, "not allowed in a DAG"),
        ("pdag { x -> y }", 1, 1, "not supported"),
        ("dag { x -> y ", 1, 14, "'}' closing the graph"),
        ("dag { x $ y }", 1, 9, "unexpected character"),
        ("dag { x [pos=\"1,2\", colour=red] }", 1, 21, "unknown node attribute"),
    ],
)
def test_parse_errors_name_line_and_column(text, line, col, fragment):
    with pytest.raises(DagittyParseError) as info:
        CausalDAG.from_dagitty(text)
    err = info.value
    assert (err.line, err.column) == (line, col)
    assert fragment in str(err)
    assert isinstance(err, ValueError)


def test_oversized_text_is_refused():
    text = "dag { " + " ".join(f"v{i} -> v{i + 1}" for i in range(2000)) + " }"
    with pytest.raises(DagittyParseError, match="max_size"):
        CausalDAG.from_dagitty(text, max_size=1000)
    assert len(CausalDAG.from_dagitty(text)) == 2001


def test_parser_does_not_evaluate_input():
    with pytest.raises(DagittyParseError):
        CausalDAG.from_dagitty("dag { __import__('os').system('echo hi') }")


def test_cycles_are_named():
    with pytest.raises(CycleError) as info:
        CausalDAG.from_dagitty("dag { a -> b -> c -> a ; c -> d }")
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert "->" in str(info.value)
    dag = CausalDAG([("a", "b"), ("b", "c")])
    with pytest.raises(CycleError, match="c -> a") as info:
        dag.add_edge("c", "a")
    assert info.value.cycle == ["a", "b", "c", "a"]
    assert ("c", "a") not in dag.edges
    with pytest.raises(CycleError, match="self-loop"):
        CausalDAG([("a", "a")])


def test_unknown_nodes_and_bad_arguments():
    dag = CausalDAG([("x", "y")], roles={"x": "exposure", "y": "outcome"})
    with pytest.raises(UnknownNodeError, match="'zz' is not a node"):
        dag.is_adjustment_set(["zz"])
    with pytest.raises(UnknownNodeError):
        dag.adjustment_sets(exposure="nope")
    with pytest.raises(KeyError):
        dag.parents("nope")
    with pytest.raises(GraphError, match="kind must be one of"):
        dag.adjustment_sets(kind="best")
    with pytest.raises(GraphError, match="disjoint"):
        dag.is_d_separated("x", "x")
    with pytest.raises(GraphError, match="non-empty strings"):
        CausalDAG([("x", 3)])


def test_role_conflicts():
    with pytest.raises(RoleError, match="both exposure and outcome"):
        CausalDAG.from_dagitty("dag { x [exposure, outcome] }")
    with pytest.raises(RoleError, match="latent"):
        CausalDAG.from_dagitty("dag { u [latent, adjusted] }")
    with pytest.raises(RoleError, match="given as both exposure and outcome"):
        CausalDAG([("x", "y")]).adjustment_sets("x", "x")
    dag = CausalDAG([("x", "y")], roles={"x": "exposure"})
    with pytest.raises(RoleError):
        dag.add_role("x", "outcome")
    assert dag.roles("x") == {"exposure"}  # a refused role leaves the graph unchanged
    assert dag.exposures == ("x",) and dag.outcomes == ()
    with pytest.raises(RoleError, match="no exposure given"):
        CausalDAG([("x", "y")]).adjustment_sets()
    with pytest.raises(RoleError, match="latent"):
        CausalDAG([("u", "y")], roles={"u": "latent"}).adjustment_sets("u", "y")


def test_contradicted_roles_warn_with_reasons():
    with pytest.warns(RoleWarning, match="batch node 'scanner' has causes"):
        CausalDAG.from_dagitty("dag { grade -> scanner -> y ; scanner [batch] }")
    with pytest.warns(RoleWarning, match="mediator"):
        CausalDAG.from_dagitty("dag { x [exposure] y [outcome] m [adjusted] x -> m -> y }")
    with pytest.warns(RoleWarning, match="no directed path"):
        CausalDAG.from_dagitty("dag { x [exposure] y [outcome] y -> x }")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CausalDAG.from_dagitty("dag { x [exposure] y [outcome] site [batch] site -> x ; site -> y ; x -> y }")


def test_read_file(tmp_path):
    path = tmp_path / "grade_study.dag"
    path.write_text("dag { g -> x -> y ; g -> y ; x [exposure] ; y [outcome] }", encoding="utf-8")
    dag = CausalDAG.read(path)
    assert dag.name == "grade_study"
    assert dag.adjustment_sets() == [frozenset({"g"})]
    with pytest.raises(FileNotFoundError, match="no DAG file"):
        CausalDAG.read(tmp_path / "missing.dag")


@st.composite
def random_dag(draw):
    n = draw(st.integers(1, 8))
    names = draw(st.lists(st.text("abcxyz_", min_size=1, max_size=4), min_size=n, max_size=n, unique=True))
    edges = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n) if draw(st.booleans())]
    dag = CausalDAG(edges, nodes=names)
    roles = ["exposure", "outcome", "latent", "selected", "adjusted", "batch"]
    used = set()
    for v in names:
        r = draw(st.sampled_from([None, *roles]))
        if r and (r not in ("exposure", "outcome") or r not in used):
            used.add(r)
            dag.add_role(v, r)
    if n >= 2 and draw(st.booleans()):
        dag.add_bidirected(names[0], names[-1])
    return dag


@settings(max_examples=100, deadline=None)
@given(random_dag())
def test_text_round_trip(dag):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoleWarning)
        again = CausalDAG.from_dagitty(dag.to_dagitty())
    assert again == dag
    assert again.to_dagitty() == dag.to_dagitty()
    assert again.nodes == dag.nodes


def test_layout_attributes_round_trip():
    text = 'dag {\nbb="0,0,1,1"\nx [exposure,pos="0.1,0.2"]\ny [outcome,pos="0.5,0.2"]\nx -> y\n}\n'
    dag = CausalDAG.from_dagitty(text)
    assert dag.to_dagitty() == text
    assert "pos=" not in dag.to_dagitty(layout=False)


def test_output_is_identical_across_hash_seeds():
    code = (
        "from radiocausal.graph import CausalDAG\n"
        "d = CausalDAG.from_dagitty('dag { x [exposure] y [outcome] x -> y "
        "a -> x ; a -> m ; b -> m ; b -> y ; m -> x ; m -> y ; c -> x ; c -> y ; d -> c ; e -> c }')\n"
        "print(d.adjustment_sets(), d.adjustment_sets(kind='canonical'), d.to_dagitty(), "
        "d.explain_adjustment(['m']), d.derived_roles())\n"
        "from radiocausal.graph import load_model\n"
        "print(load_model('tumour_grade_confounding').explain_adjustment(['grade']))\n"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert len(outs) == 1
    # the witness of the collider that {grade} opens is found whatever the tie-breaks
    assert "opens the non-causal path `EGFR <- IDH1 -> grade <- age -> texture` (collider)" in outs.pop()


def test_optimal_set_refuses_when_latent_parent():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] u [latent] c x -> y ; u -> y ; c -> x ; c -> y }")
    assert dag.adjustment_sets() == [frozenset({"c"})]
    with pytest.raises(IdentificationError, match="unobserved u"):
        dag.adjustment_sets(kind="optimal")
