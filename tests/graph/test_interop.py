"""Interop: networkx round trip, DOT text, DoWhy's graph form, matplotlib drawing."""

from __future__ import annotations

import logging
import random
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from radiocausal.errors import CycleError, GraphError, RoleWarning, UnknownNodeError  # noqa: E402
from radiocausal.graph import CausalDAG  # noqa: E402
from radiocausal.graph.drawing import draw, layout_positions  # noqa: E402
from radiocausal.graph.library import load_model  # noqa: E402
from radiocausal.graph.interop import (  # noqa: E402
    bidirected_node_name,
    from_networkx,
    to_dot,
    to_dowhy,
    to_networkx,
)

GRAPHS = {
    "chain": "dag { x [exposure] y [outcome] x -> m -> y }",
    "fork": "dag { x [exposure] y [outcome] c -> x ; c -> y ; x -> y }",
    "collider": "dag { x [exposure] y [outcome] x -> c <- y ; x -> y }",
    "m_bias": "dag { x [exposure] y [outcome] a -> x ; a -> m ; b -> m ; b -> y ; x -> y }",
    "butterfly": "dag { x [exposure] y [outcome] a -> x ; a -> m ; b -> m ; b -> y ; m -> x ; m -> y ; x -> y }",
    "batch_confounded": "dag { x [exposure] y [outcome] site [batch] site -> y ; site -> x ; x -> y }",
    "latent_confounder": "dag { x [exposure] y [outcome] u [latent] u -> x ; u -> y ; x -> y }",
    "front_door": "dag { x [exposure] y [outcome] x -> m -> y ; x <-> y }",
    "bidirected_proxy": "dag { x [exposure] y [outcome] x -> y ; x <-> c ; c -> y }",
    "mediator_confounded": "dag { x [exposure] y [outcome] g -> x ; g -> y ; x -> m -> y ; m <-> y ; x -> y }",
}

RICH = """dag {
  bb="0,0,2,2"
  EGFR [exposure,pos="0.5,1"]
  texture [outcome,pos="1.5,1.25"]
  grade [adjusted,pos="1,0.2"]
  site [batch,pos="2,0"]
  biopsied [selected,pos="1,2"]
  U [latent,pos="0,0"]
  "tumour size" [pos="0.25,1.75"]
  grade -> EGFR -> texture <- grade
  site -> texture ; EGFR -> biopsied <- texture
  U -> grade ; U -> "tumour size" -> texture
  site <-> EGFR
}"""


def _rich() -> CausalDAG:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoleWarning)
        return CausalDAG.from_dagitty(RICH, name="rich study")


def _random_dag(rng: random.Random, n: int, p: float, p_bi: float) -> CausalDAG:
    names = [f"v{i}" for i in range(n)]
    edges = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
    bi = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n) if rng.random() < p_bi]
    latent = {v: "latent" for v in names if rng.random() < 0.15}
    return CausalDAG(edges, nodes=names, bidirected=bi, roles=latent)


# ------------------------------------------------------------------------------------ networkx
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_networkx_round_trip_canonical(name):
    dag = CausalDAG.from_dagitty(GRAPHS[name])
    g = to_networkx(dag)
    assert isinstance(g, nx.DiGraph)
    back = from_networkx(g)
    assert back == dag
    assert back.nodes == dag.nodes
    assert back.bidirected_edges == dag.bidirected_edges
    assert back.adjustment_sets() == dag.adjustment_sets()


def test_networkx_round_trip_keeps_roles_positions_and_name():
    dag = _rich()
    g = to_networkx(dag)
    assert g.graph["name"] == "rich study"
    assert g.nodes["EGFR"]["roles"] == ("exposure",)
    assert g.nodes["grade"]["roles"] == ("adjusted",)
    assert g.nodes["tumour size"]["pos"] == (0.25, 1.75)
    hidden = bidirected_node_name("site", "EGFR")
    assert g.nodes[hidden] == {"roles": ("latent",), "bidirected": ("site", "EGFR")}
    assert set(g.successors(hidden)) == {"site", "EGFR"} and g.in_degree(hidden) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoleWarning)
        back = from_networkx(g)
    assert back == dag
    assert back.name == "rich study"
    assert back._node_attrs == dag._node_attrs
    assert back.to_dagitty() == dag.to_dagitty()


def test_networkx_d_separation_matches_on_random_graphs():
    """The explicit latent node for ``<->`` makes networkx's d-separation agree with ours."""
    rng = random.Random(20241124)
    checked = 0
    for _ in range(40):
        dag = _random_dag(rng, rng.randint(3, 7), 0.35, 0.15)
        g = to_networkx(dag)
        nodes = list(dag.nodes)
        for _ in range(15):
            x, y = rng.sample(nodes, 2)
            rest = [v for v in nodes if v not in (x, y)]
            z = set(rng.sample(rest, rng.randint(0, len(rest))))
            assert nx.is_d_separator(g, {x}, {y}, z) == dag.is_d_separated(x, y, z), (dag.to_dagitty(), x, y, z)
            checked += 1
        assert from_networkx(g) == dag
    assert checked == 600


def test_bidirected_node_name_avoids_collisions():
    dag = CausalDAG([("U[a<->b]", "a")], bidirected=[("a", "b")])
    g = to_networkx(dag)
    assert "U[a<->b]_2" in g
    assert g.nodes["U[a<->b]"]["roles"] == ()
    assert from_networkx(g) == dag


def test_from_networkx_reads_roles_and_dowhy_observed():
    g = nx.DiGraph([("u", "x"), ("u", "y"), ("x", "y"), ("c", "x"), ("c", "y")])
    g.nodes["x"]["roles"] = "exposure"
    g.nodes["y"]["roles"] = ["outcome"]
    g.nodes["c"]["roles"] = "adjusted, batch"
    g.nodes["u"]["observed"] = "no"
    dag = from_networkx(g, name="given")
    assert dag.name == "given"
    assert dag.roles("c") == {"adjusted", "batch"}
    assert dag.latent_nodes == ("u",)
    assert dag.adjustment_sets(include=[]) == []


@pytest.mark.parametrize(
    "graph, error, match",
    [
        (nx.Graph([("a", "b")]), GraphError, "directed"),
        (nx.MultiDiGraph([("a", "b")]), GraphError, "multigraph"),
        (nx.DiGraph([(1, 2)]), GraphError, "strings"),
        (nx.DiGraph([("a", "b"), ("b", "a")]), CycleError, "cycle"),
        ([("a", "b")], GraphError, "networkx.DiGraph"),
    ],
)
def test_from_networkx_rejects_bad_input(graph, error, match):
    with pytest.raises(error, match=match):
        from_networkx(graph)


def test_from_networkx_rejects_inconsistent_bidirected_marker():
    g = nx.DiGraph([("h", "a"), ("h", "b"), ("c", "h")])
    g.nodes["h"]["bidirected"] = ("a", "b")
    with pytest.raises(GraphError, match="parentless common cause"):
        from_networkx(g)
    g2 = nx.DiGraph([("a", "b")])
    g2.nodes["a"]["roles"] = 3
    with pytest.raises(GraphError, match="roles"):
        from_networkx(g2)


# ------------------------------------------------------------------------------------------ DOT
def test_to_dot_styles_roles_and_bidirected():
    dag = _rich()
    dot = to_dot(dag)
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    lines = {line.strip() for line in dot.splitlines()}
    assert '"site" -> "EGFR" [dir=both, style=dashed, constraint=false, tooltip="unobserved common cause"];' in lines
    for u, v in dag.edges:
        assert f'"{u}" -> "{v}";' in lines
    assert len([ln for ln in lines if "->" in ln]) == len(dag.edges) + len(dag.bidirected_edges)
    node_line = {m.group(1): m.group(2) for m in re.finditer(r'^  "([^"]+)" \[(.*)\];$', dot, re.M)}
    assert 'fillcolor="#a5d6a7"' in node_line["EGFR"]  # exposure green
    assert 'fillcolor="#90caf9"' in node_line["texture"]  # outcome blue
    assert "dashed" in node_line["U"]
    assert "peripheries=2" in node_line["biopsied"]
    assert "shape=hexagon" in node_line["site"]
    assert "bold" in node_line["grade"]
    assert 'pos="0.25,-1.75!"' in node_line["tumour size"]
    assert 'label="rich study"' in dot


def test_to_dot_adjustment_set_override_and_quoting():
    dag = CausalDAG([('a "quoted"', "b"), ("c", "b")], roles={"b": "outcome"})
    dot = to_dot(dag, adjustment_set=["c"], rankdir="LR")
    assert '"a \\"quoted\\"" -> "b";' in dot
    assert re.search(r'^  "c" \[style="filled,bold"', dot, re.M)
    assert "rankdir=LR;" in dot
    with pytest.raises(UnknownNodeError):
        to_dot(dag, adjustment_set=["nope"])
    with pytest.raises(GraphError, match="rankdir"):
        to_dot(dag, rankdir="up")


# ---------------------------------------------------------------------------------------- DoWhy
def test_to_dowhy_forms():
    dag = _rich()
    with pytest.warns(RoleWarning, match="selection"):
        g = to_dowhy(dag, format="networkx")
    hidden = bidirected_node_name("site", "EGFR")
    assert g.nodes[hidden]["observed"] == "no" and g.nodes["U"]["observed"] == "no"
    assert g.nodes["EGFR"]["observed"] == "yes"
    assert set(g.edges) == set(to_networkx(dag).edges)
    with pytest.warns(RoleWarning):
        text = to_dowhy(dag)
    parsed = nx.parse_gml(text)
    assert set(parsed.edges) == set(g.edges)
    assert dict(parsed.nodes(data="observed")) == dict(g.nodes(data="observed"))
    with pytest.raises(GraphError, match="format"):
        to_dowhy(CausalDAG([("a", "b")]), format="dot")


@pytest.fixture(scope="module")
def dowhy_module():
    logging.getLogger("dowhy").setLevel(logging.ERROR)
    return pytest.importorskip("dowhy")


# the library's study DAGs without declared selection (DoWhy has no notion of selection)
DOWHY_MODELS = [
    "imaging_genomics_mediator",
    "multi_region_biopsy",
    "scanner_site_batch",
    "sequencing_batch",
    "tumour_grade_confounding",
]


@pytest.mark.parametrize("fmt", ["gml", "networkx"])
@pytest.mark.parametrize("name", sorted(GRAPHS) + DOWHY_MODELS)
def test_dowhy_identification_agrees_with_backdoor_verdict(dowhy_module, name, fmt):
    import numpy as np
    import pandas as pd

    if name in GRAPHS:
        dag = CausalDAG.from_dagitty(GRAPHS[name])
    else:
        dag = load_model(name)
    (x,), (y,) = dag.exposures, dag.outcomes
    cols = list(dag.observed_nodes)
    data = pd.DataFrame(np.zeros((4, len(cols))), columns=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = dowhy_module.CausalModel(data, x, y, graph=to_dowhy(dag, format=fmt))
        estimand = model.identify_effect()
    ours = dag.adjustment_sets(include=[])
    found = estimand.backdoor_variables
    assert ("backdoor" in found) == bool(ours), (name, found, ours)
    # every set DoWhy proposes is valid by our criterion
    for key, zs in found.items():
        assert dag.is_adjustment_set(zs, x, y), (name, key, zs)
    for key, zs in estimand.general_adjustment_variables.items():
        assert dag.is_adjustment_set(zs, x, y), (name, key, zs)


# ----------------------------------------------------------------------------------------- draw
def _by_gid(artists):
    return {a.get_gid(): a for a in artists if a.get_gid()}


def test_draw_to_png_roles_and_adjustment_set(tmp_path):
    dag = _rich()
    fig, ax = plt.subplots()
    try:
        out = draw(dag, ax=ax, adjustment_set=["grade", "tumour size"], layout="layered")
        assert out is ax
        texts = _by_gid(ax.texts)
        assert set(texts) == {f"node:{v}" for v in dag.nodes}
        arrows = _by_gid(p for p in ax.patches if isinstance(p, FancyArrowPatch))
        assert set(arrows) == {f"edge:{u}->{v}" for u, v in dag.edges} | {"bidirected:site<->EGFR"}
        assert arrows["bidirected:site<->EGFR"].get_linestyle() == "--"
        assert arrows["edge:grade->EGFR"].get_linestyle() in ("-", "solid")
        latent_box = texts["node:U"].get_bbox_patch()
        assert latent_box.get_linestyle() == "--"
        assert texts["node:EGFR"].get_bbox_patch().get_linestyle() in ("-", "solid")
        assert texts["node:tumour size"].get_bbox_patch().get_linewidth() == pytest.approx(3.0)
        assert texts["node:EGFR"].get_bbox_patch().get_linewidth() == pytest.approx(1.0)
        assert matplotlib.colors.to_hex(texts["node:EGFR"].get_bbox_patch().get_facecolor()) == "#a5d6a7"
        assert matplotlib.colors.to_hex(texts["node:texture"].get_bbox_patch().get_facecolor()) == "#90caf9"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "adjusted for" in legend and "latent (unobserved)" in legend
        assert ax.get_title() == "rich study"
        path = tmp_path / "dag.png"
        fig.savefig(path, dpi=60)
        head = path.read_bytes()[:8]
        assert head == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    finally:
        plt.close(fig)


def test_draw_uses_dagitty_positions_and_layered_layout():
    dag = _rich()
    pos = layout_positions(dag)  # every node has pos -> dagitty positions, y flipped
    assert pos["tumour size"] == (0.25, -1.75)
    ax = draw(dag, legend=False)
    try:
        texts = _by_gid(ax.texts)
        assert texts["node:site"].get_position() == (2.0, -0.0)
        assert ax.get_legend() is None
    finally:
        plt.close(ax.figure)
    plain = CausalDAG([("a", "b"), ("b", "c"), ("a", "c"), ("d", "c")])
    layered = layout_positions(plain)
    for u, v in plain.edges:
        assert layered[u][1] > layered[v][1]
    assert layout_positions(plain, "auto") == layered


def test_draw_layout_options_and_errors():
    dag = CausalDAG([("a", "b"), ("b", "c")], roles={"a": "exposure", "c": "outcome"})
    circ = layout_positions(dag, nx.circular_layout)
    assert set(circ) == {"a", "b", "c"}
    fixed = {"a": (0, 0), "b": (1, 0), "c": (2, 0)}
    assert layout_positions(dag, fixed)["c"] == (2.0, 0.0)
    with pytest.raises(GraphError, match="no position"):
        layout_positions(dag, {"a": (0, 0)})
    with pytest.raises(GraphError, match="pos"):
        layout_positions(dag, "dagitty")
    with pytest.raises(GraphError, match="layout"):
        layout_positions(dag, "spiral")
    with pytest.raises(UnknownNodeError):
        draw(dag, adjustment_set=["zz"])
    plt.close("all")
