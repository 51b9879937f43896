"""Property-based checks: every kind of adjustment set against brute force on small random DAGs.

The brute force is written from the definitions, independently of the package's algorithms:
paths are enumerated one by one (Shpitser, VanderWeele & Robins 2010: Z is valid iff it contains
no descendant of a non-exposure node on a proper causal path and blocks every proper non-causal
path), d-separation comes from networkx, and sets are all subsets of the observed candidates.
"""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radiocausal.errors import IdentificationError
from radiocausal.graph import CausalDAG

# ------------------------------------------------------------------------------ random graphs


@st.composite
def random_study(draw, max_nodes: int = 7, with_selection: bool = False):
    n = draw(st.integers(3, max_nodes))
    names = [f"v{i}" for i in range(n)]
    edges = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n) if draw(st.booleans())]
    order = draw(st.permutations(names))  # relabel so that the topological order is not the name order
    rename = dict(zip(names, order))
    edges = [(rename[a], rename[b]) for a, b in edges]
    n_bi = draw(st.integers(0, 2))
    bidirected = []
    for _ in range(n_bi):
        a, b = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
        bidirected.append((a, b))
    pool = list(names)
    n_x = draw(st.integers(1, 2))
    xs = draw(st.lists(st.sampled_from(pool), min_size=n_x, max_size=n_x, unique=True))
    rest = [v for v in pool if v not in xs]
    ys = draw(st.lists(st.sampled_from(rest), min_size=1, max_size=min(2, len(rest)), unique=True))
    rest = [v for v in rest if v not in ys]
    latent = draw(st.lists(st.sampled_from(rest), max_size=2, unique=True)) if rest else []
    rest = [v for v in rest if v not in latent]
    sel = []
    if with_selection and rest:
        sel = draw(st.lists(st.sampled_from(rest), max_size=1, unique=True))
    roles: dict[str, list[str]] = {}
    for v in xs:
        roles.setdefault(v, []).append("exposure")
    for v in ys:
        roles.setdefault(v, []).append("outcome")
    for v in latent:
        roles.setdefault(v, []).append("latent")
    for v in sel:
        roles.setdefault(v, []).append("selected")
    dag = CausalDAG(edges, nodes=names, bidirected=bidirected)
    for v, rs in roles.items():
        dag.add_role(v, *rs)
    return dag, set(xs), set(ys), set(latent), set(sel)


# ------------------------------------------------------------------------------ brute force


def expanded(dag: CausalDAG) -> nx.DiGraph:
    """The DAG with each a <-> b replaced by an explicit hidden parent."""
    g = nx.DiGraph()
    g.add_nodes_from(dag.nodes)
    g.add_edges_from(dag.edges)
    for a, b in dag.bidirected_edges:
        h = f"H[{a},{b}]"
        g.add_edge(h, a)
        g.add_edge(h, b)
    return g


def path_blocked(g: nx.DiGraph, path: list[str], z: set[str]) -> bool:
    for i in range(1, len(path) - 1):
        a, v, b = path[i - 1], path[i], path[i + 1]
        collider = g.has_edge(a, v) and g.has_edge(b, v)
        if collider:
            if not (({v} | nx.descendants(g, v)) & z):
                return True
        elif v in z:
            return True
    return False


def all_paths(g: nx.DiGraph, xs: set[str], ys: set[str]):
    und = g.to_undirected()
    for x in xs:
        for y in ys:
            for p in nx.all_simple_paths(und, x, y):
                yield p


def is_causal(g: nx.DiGraph, path: list[str]) -> bool:
    return all(g.has_edge(path[i], path[i + 1]) for i in range(len(path) - 1))


def brute_valid_total(g: nx.DiGraph, xs, ys, z, sel=frozenset()) -> bool:
    proper = [p for p in all_paths(g, xs, ys) if not (set(p[1:]) & xs)]
    causal_nodes = {v for p in proper if is_causal(g, p) for v in p[1:]}
    forb = set()
    for w in causal_nodes:
        forb |= {w} | nx.descendants(g, w)
    if set(z) & forb:
        return False
    for p in proper:
        if not is_causal(g, p) and not path_blocked(g, p, set(z)):
            return False
    if sel:
        # selection: outcome independent of selection given X and Z, covariates independent of selection
        if not nx.is_d_separator(g, set(ys), set(sel), set(xs) | set(z)):
            return False
        for v in z:
            if not nx.is_d_separator(g, {v}, set(sel), set()):
                return False
    return True


def brute_valid_direct(dag: CausalDAG, g: nx.DiGraph, xs, ys, z) -> bool:
    de_x = set().union(*(nx.descendants(g, x) for x in xs))
    forb = set(xs)
    for y in ys & de_x:
        forb |= {y} | nx.descendants(g, y)
    if set(z) & forb:
        return False
    h = g.copy()
    h.remove_edges_from([(x, y) for x in xs for y in ys if h.has_edge(x, y)])
    return nx.is_d_separator(h, set(xs), set(ys), set(z))


def brute_sets(dag, valid, xs, ys, latent, sel):
    cands = sorted(set(dag.nodes) - xs - ys - latent - sel)
    ok = [frozenset(c) for r in range(len(cands) + 1) for c in itertools.combinations(cands, r) if valid(set(c))]
    minimal = {s for s in ok if not any(o < s for o in ok)}
    return ok, minimal


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(random_study())
def test_minimal_sets_match_brute_force(study):
    dag, xs, ys, latent, sel = study
    g = expanded(dag)
    ok, minimal = brute_sets(dag, lambda z: brute_valid_total(g, xs, ys, z), xs, ys, latent, sel)
    got = dag.adjustment_sets(xs, ys)
    assert len(got) == len(set(got)), "duplicate sets"
    assert set(got) == minimal
    # the verdict, the canonical set and is_adjustment_set agree with the brute force
    canonical = dag.adjustment_sets(xs, ys, kind="canonical")
    assert (canonical != []) == bool(ok)
    if canonical:
        assert canonical[0] in set(ok)
    for z in ok[:20]:
        assert dag.is_adjustment_set(z, xs, ys)
        assert dag.explain_adjustment(z, xs, ys).is_valid
    cands = sorted(set(dag.nodes) - xs - ys - latent)
    for r in range(len(cands) + 1):
        for c in itertools.combinations(cands, r):
            expect = brute_valid_total(g, xs, ys, set(c))
            assert dag.is_adjustment_set(c, xs, ys) == expect
            explained = dag.explain_adjustment(c, xs, ys)
            assert explained.is_valid == expect
            if not expect:
                assert explained.problems, f"no reason given for invalid set {c}"


@SETTINGS
@given(random_study(), st.data())
def test_minimum_and_cost_sets_match_brute_force(study, data):
    dag, xs, ys, latent, sel = study
    g = expanded(dag)
    ok, _ = brute_sets(dag, lambda z: brute_valid_total(g, xs, ys, z), xs, ys, latent, sel)
    got = dag.adjustment_sets(xs, ys, kind="minimum")
    if not ok:
        assert got == []
        return
    k = min(len(s) for s in ok)
    assert set(got) == {s for s in ok if len(s) == k}
    cands = sorted(set(dag.nodes) - xs - ys - latent)
    costs = {v: data.draw(st.sampled_from([1.0, 2.0, 3.5, 10.0])) for v in cands}
    got = dag.adjustment_sets(xs, ys, kind="minimum", costs=costs)
    best = min(sum(costs[v] for v in s) for s in ok)
    assert set(got) == {s for s in ok if abs(sum(costs[v] for v in s) - best) < 1e-9}


@SETTINGS
@given(random_study(), st.data())
def test_include_exclude_match_brute_force(study, data):
    dag, xs, ys, latent, sel = study
    g = expanded(dag)
    cands = sorted(set(dag.nodes) - xs - ys - latent)
    include = set(data.draw(st.lists(st.sampled_from(cands), max_size=1, unique=True))) if cands else set()
    exclude = set(data.draw(st.lists(st.sampled_from(cands), max_size=2, unique=True))) if cands else set()
    exclude -= include
    ok, _ = brute_sets(dag, lambda z: brute_valid_total(g, xs, ys, z), xs, ys, latent, sel)
    ok = [s for s in ok if include <= s and not (s & exclude)]
    minimal = {s for s in ok if not any(o < s for o in ok)}
    got = dag.adjustment_sets(xs, ys, include=include, exclude=exclude)
    assert set(got) == minimal


@SETTINGS
@given(random_study(with_selection=True))
def test_selection_sets_match_brute_force(study):
    dag, xs, ys, latent, sel = study
    g = expanded(dag)
    ok, minimal = brute_sets(dag, lambda z: brute_valid_total(g, xs, ys, z, frozenset(sel)), xs, ys, latent, sel)
    assert set(dag.adjustment_sets(xs, ys)) == minimal
    assert (dag.adjustment_sets(xs, ys, kind="canonical") != []) == bool(ok)
    for z in ok[:10]:
        assert dag.is_adjustment_set(z, xs, ys)


@SETTINGS
@given(random_study())
def test_direct_effect_sets_match_brute_force(study):
    dag, xs, ys, latent, sel = study
    g = expanded(dag)
    ok, minimal = brute_sets(dag, lambda z: brute_valid_direct(dag, g, xs, ys, z), xs, ys, latent, sel)
    assert set(dag.adjustment_sets(xs, ys, effect="direct")) == minimal
    for z in ok[:10]:
        assert dag.is_adjustment_set(z, xs, ys, effect="direct")


@SETTINGS
@given(random_study())
def test_optimal_set_is_henckel_o_set(study):
    dag, xs, ys, latent, sel = study
    if latent or dag.bidirected_edges:
        return
    g = expanded(dag)
    ok, _ = brute_sets(dag, lambda z: brute_valid_total(g, xs, ys, z), xs, ys, latent, sel)
    if not ok:
        assert dag.adjustment_sets(xs, ys, kind="optimal") == []
        return
    # Henckel, Perković & Maathuis (2022): O = pa(cn) minus forb, valid whenever any set is
    proper = [p for p in all_paths(g, xs, ys) if not (set(p[1:]) & xs) and is_causal(g, p)]
    cn = {v for p in proper for v in p[1:]}
    forb = set(xs)
    for w in cn:
        forb |= {w} | nx.descendants(g, w)
    o_set = frozenset(set().union(*(set(g.predecessors(w)) for w in cn)) - forb) if cn else frozenset()
    if o_set in set(ok):
        assert dag.adjustment_sets(xs, ys, kind="optimal") == [o_set]
    else:
        # only possible when an outcome is not a descendant of the exposure (Henckel et al.'s premise)
        assert not ys <= set().union(*(nx.descendants(g, x) for x in xs))
        with pytest.raises(IdentificationError, match="no causal path"):
            dag.adjustment_sets(xs, ys, kind="optimal")


@settings(max_examples=200, deadline=None)
@given(random_study(), st.data())
def test_d_separation_matches_networkx(study, data):
    dag, *_ = study
    g = expanded(dag)
    nodes = list(dag.nodes)
    x = data.draw(st.sampled_from(nodes))
    y = data.draw(st.sampled_from([v for v in nodes if v != x]))
    z = set(data.draw(st.lists(st.sampled_from([v for v in nodes if v not in (x, y)]), max_size=3, unique=True)))
    expect = nx.is_d_separator(g, {x}, {y}, z)
    assert dag.is_d_separated(x, y, z) == expect
    path = dag.find_open_path(x, y, z)
    assert (path is None) == expect


def ladder(k: int) -> CausalDAG:
    """x <- b_i <- a_i -> c_i -> y for i < k: each rung is blocked by a_i, b_i or c_i (3**k minimal sets)."""
    edges = [("x", "y")]
    for i in range(k):
        edges += [(f"a{i}", f"b{i}"), (f"a{i}", f"c{i}"), (f"b{i}", "x"), (f"c{i}", "y")]
    return CausalDAG(edges, roles={"x": "exposure", "y": "outcome"})


def test_enumeration_is_deterministic_and_lazy():
    dag = ladder(30)  # 3**30 sets: only a lazy iterator can start on this
    it = dag.iter_adjustment_sets()
    first = [next(it) for _ in range(5)]
    assert len(set(first)) == 5
    assert all(dag.is_adjustment_set(s) and len(s) == 30 for s in first)
    small = ladder(4)
    sets = small.adjustment_sets()
    assert len(sets) == 3**4
    assert all(small.is_adjustment_set(s) for s in sets)
    assert sets == ladder(4).adjustment_sets()
    assert sets == sorted(sets, key=lambda s: (len(s), sorted(s)))
    assert [sorted(s) for s in sets[:2]] == [["a0", "a1", "a2", "a3"], ["a0", "a1", "a2", "b3"]]


def _adjacency(g: nx.DiGraph) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    return ({v: set(g.predecessors(v)) for v in g}, {v: set(g.successors(v)) for v in g})


@settings(max_examples=300, deadline=None)
@given(random_study(), st.data())
def test_collider_paths_are_open_paths_through_a_conditioned_collider(study, data):
    """find_collider_paths (the witnesses of explain_adjustment): every path it returns is a simple
    path from xs to ys, open given zs, through a collider that is z or an ancestor of z; and when
    brute force finds such a path, it finds one too, of the shortest length (a tie-break between
    equally short paths must not hide one, whatever PYTHONHASHSEED orders sets by)."""
    from radiocausal.graph._algorithms import find_collider_paths

    dag, xs, ys, *_ = study
    g = expanded(dag)
    others = sorted(set(dag.nodes) - xs - ys)
    zs = set(data.draw(st.lists(st.sampled_from(others), max_size=3, unique=True))) if others else set()
    parents, children = _adjacency(g)
    found = find_collider_paths(parents, children, xs, ys, zs)
    assert set(found) <= zs
    for z in sorted(zs):
        an_z = nx.ancestors(g, z) | {z}
        brute = [
            p for p in all_paths(g, xs, ys)
            if not path_blocked(g, p, zs) and not (set(p[1:-1]) & (xs | ys))
            and any(g.has_edge(p[i - 1], p[i]) and g.has_edge(p[i + 1], p[i]) and p[i] in an_z
                    for i in range(1, len(p) - 1))
        ]
        if z not in found:
            assert not brute, f"z={z}: missed {brute[0]} in {dag.to_dagitty(layout=False)} given {zs}; found {found}"
            continue
        nodes, arrows = found[z]
        assert nodes[0] in xs and nodes[-1] in ys and len(set(nodes)) == len(nodes)
        for a, arrow, b in zip(nodes, arrows, nodes[1:]):
            assert g.has_edge(a, b) if arrow == "->" else g.has_edge(b, a)
        assert any(arrows[i - 1] == "->" and arrows[i] == "<-" and nodes[i] in an_z for i in range(1, len(nodes) - 1))
        assert not path_blocked(g, nodes, zs)
        assert len(nodes) == min(len(p) for p in brute) or nodes in brute
