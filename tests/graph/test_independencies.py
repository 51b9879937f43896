"""Tests for the implied conditional independencies of a CausalDAG."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from radiocausal.errors import GraphError
from radiocausal.graph import CausalDAG
from radiocausal.graph.independencies import (
    Independence,
    Implications,
    implied_independencies,
    iter_implied_independencies,
)


def _oracle(shared_data):
    return json.loads((shared_data / "dagitty" / "oracle_dagitty_tests.json").read_text(encoding="utf-8"))


def _as_sets(records) -> dict[frozenset[str], set[frozenset[str]]]:
    """{unordered pair: {separators}} from dagitty-style [x, y, seps] or our records."""
    out: dict[frozenset[str], set[frozenset[str]]] = {}
    for r in records:
        if isinstance(r, Independence):
            x, y, seps = r.x, r.y, r.given
        elif isinstance(r, dict):
            x, y, seps = r["x"], r["y"], r["separators"]
        else:
            x, y, seps = r
        out[frozenset((x, y))] = {frozenset(s) for s in seps}
    return out


def _cases(shared_data, fn):
    for case in _oracle(shared_data)["assertion_cases"]:
        call = case["calls"][0]
        if call["fn"] == fn and call.get("graph_type", "dag") == "dag":
            yield case["id"], call


@pytest.mark.filterwarnings("ignore::radiocausal.errors.RoleWarning")
def test_minimal_implications_match_dagitty_assertions(shared_data):
    n = 0
    for case_id, call in _cases(shared_data, "listMinimalImplications"):
        dag = CausalDAG.from_dagitty(call["graph"])
        got = _as_sets(implied_independencies(dag, selection=()))
        want = _as_sets(call["result"])
        if call["args"]:
            # dagitty stops after args[0] statements, in its own vertex order: what it lists must be ours
            cap = call["args"][0]
            assert sum(len(s) for s in want.values()) <= cap
            for pair, seps in want.items():
                assert seps <= got[pair], case_id
        else:
            assert got == want, case_id
        n += 1
    assert n >= 8


def test_basis_implications_match_dagitty_assertions(shared_data):
    n = 0
    for case_id, call in _cases(shared_data, "listBasisImplications"):
        dag = CausalDAG.from_dagitty(call["graph"])
        got: dict[tuple[str, frozenset[str]], set[str]] = {}
        for ind in implied_independencies(dag, kind="basis"):
            assert len(ind.given) == 1
            got.setdefault((ind.x, ind.given[0]), set()).add(ind.y)
        want = {(v, frozenset(g[0])): set(ws) for v, ws, g in call["result"]}
        assert got == want, case_id
        n += 1
    assert n >= 1


@pytest.mark.filterwarnings("ignore::radiocausal.errors.RoleWarning")
def test_gallery_implied_independencies(shared_data):
    gallery = _oracle(shared_data)["gallery"]
    assert len(gallery) >= 12
    n_sel = 0
    for entry in gallery:
        dag = CausalDAG.from_dagitty(entry["dagitty"])
        want = _as_sets(entry["expected"]["implied_independencies"])
        sel = set(dag.selected_nodes)
        # dagitty conditions on selection without listing it, and also lists pairs that
        # involve a selection node (those match ours when selection is not applied)
        got = {
            pair: {z - sel for z in seps} for pair, seps in _as_sets(implied_independencies(dag)).items()
        }
        if sel:
            unsel = _as_sets(implied_independencies(dag, selection=()))
            got.update({pair: seps for pair, seps in unsel.items() if pair & sel})
            n_sel += 1
        assert got == want, entry["label"]
    assert n_sel >= 1


# ----------------------------------------------------------------------------- semantics
def test_chain_fork_collider():
    chain = CausalDAG([("a", "b"), ("b", "c")])
    fork = CausalDAG([("b", "a"), ("b", "c")])
    collider = CausalDAG([("a", "b"), ("c", "b")])
    for dag in (chain, fork):
        imps = implied_independencies(dag)
        assert imps == [Independence("a", "c", (frozenset({"b"}),))]
    assert implied_independencies(collider) == [Independence("a", "c", (frozenset(),))]


def test_latent_and_bidirected_pairs_are_not_independent():
    dag = CausalDAG.from_dagitty("dag { U [latent] a <- U -> b ; b -> c ; d <-> c ; a -> e <- d }")
    pairs = {frozenset((i.x, i.y)) for i in implied_independencies(dag)}
    assert frozenset(("a", "b")) not in pairs  # common latent cause
    assert frozenset(("c", "d")) not in pairs  # <->
    assert all("U" not in z for i in implied_independencies(dag) for z in i.given)
    # a and c: separated by b only
    got = {frozenset((i.x, i.y)): i.given for i in implied_independencies(dag)}
    assert got[frozenset(("a", "c"))] == (frozenset({"b"}),)
    # latent mediator: x -> L -> y makes x, y dependent given anything observed
    med = CausalDAG.from_dagitty("dag { L [latent] x -> L -> y ; z -> y }")
    assert {frozenset((i.x, i.y)) for i in implied_independencies(med)} == {frozenset(("x", "z"))}


def test_selection_is_always_conditioned_on():
    # two causes of study inclusion become dependent in the selected sample
    dag = CausalDAG.from_dagitty("dag { S [selected] grade -> S <- EGFR ; grade -> texture ; site -> texture }")
    imps = implied_independencies(dag)
    pairs = {frozenset((i.x, i.y)): i.given for i in imps}
    assert frozenset(("grade", "EGFR")) not in pairs
    assert all("S" in z for i in imps for z in i.given)
    assert all("S" not in (i.x, i.y) for i in imps)
    assert pairs[frozenset(("site", "EGFR"))] == (frozenset({"S"}),)
    assert pairs[frozenset(("texture", "EGFR"))] == (frozenset({"S", "grade"}),)
    # ignoring selection restores the marginal independence of the two causes
    plain = {frozenset((i.x, i.y)) for i in implied_independencies(dag, selection=())}
    assert frozenset(("grade", "EGFR")) in plain
    with pytest.raises(GraphError, match="basis"):
        implied_independencies(dag, kind="basis")


def test_errors():
    dag = CausalDAG([("a", "b")])
    with pytest.raises(GraphError, match="kind"):
        implied_independencies(dag, kind="all")
    with pytest.raises(GraphError, match="zz"):
        implied_independencies(dag, selection=["zz"])


def test_frame_and_text():
    dag = CausalDAG.from_dagitty("dag { a -> b -> d ; a -> c -> d ; e }")
    imps = implied_independencies(dag)
    assert isinstance(imps, Implications) and imps.kind == "minimal"
    frame = imps.to_frame()
    assert list(frame.columns) == ["x", "y", "given"]
    assert len(frame) == sum(len(i.given) for i in imps)
    text = str(imps)
    assert "a _||_ d | b, c" in text and "a _||_ e" in text
    assert list(iter_implied_independencies(dag)) == list(imps)


# ----------------------------------------------------------------------------- properties
def _random_dag(rng: random.Random, n: int, p_edge: float, n_latent: int, n_bi: int) -> CausalDAG:
    names = [f"v{i}" for i in range(n)]
    edges = [(names[i], names[j]) for i, j in itertools.combinations(range(n), 2) if rng.random() < p_edge]
    bi = []
    for _ in range(n_bi):
        a, b = rng.sample(names, 2)
        bi.append((a, b))
    roles = {v: "latent" for v in rng.sample(names, n_latent)}
    return CausalDAG(edges, nodes=names, bidirected=bi, roles=roles)


def _brute_minimal(dag: CausalDAG, x: str, y: str, sel: frozenset[str] = frozenset()) -> set[frozenset[str]]:
    others = [v for v in dag.observed_nodes if v not in (x, y) and v not in sel]
    seps = [
        frozenset(z) | sel
        for k in range(len(others) + 1)
        for z in itertools.combinations(others, k)
        if dag.is_d_separated(x, y, set(z) | sel)
    ]
    return {z for z in seps if not any(w < z for w in seps)}


def test_minimal_matches_brute_force_on_random_graphs():
    rng = random.Random(7)
    for _ in range(40):
        dag = _random_dag(rng, rng.randint(3, 7), 0.35, rng.randint(0, 2), rng.randint(0, 1))
        got = _as_sets(implied_independencies(dag))
        adjacent = {frozenset(e) for e in dag.edges} | {frozenset(e) for e in dag.bidirected_edges}
        obs = dag.observed_nodes
        for x, y in itertools.combinations(obs, 2):
            if frozenset((x, y)) in adjacent:
                assert frozenset((x, y)) not in got
                continue
            want = _brute_minimal(dag, x, y)
            assert got.get(frozenset((x, y)), set()) == want, (dag.to_dagitty(), x, y)


def test_basis_statements_hold_on_random_graphs():
    rng = random.Random(11)
    for _ in range(40):
        dag = _random_dag(rng, rng.randint(3, 8), 0.35, rng.randint(0, 2), rng.randint(0, 2))
        for ind in implied_independencies(dag, kind="basis"):
            (z,) = ind.given
            assert dag.is_d_separated(ind.x, ind.y, z), (dag.to_dagitty(), str(ind))
            assert not (set(z) & set(dag.latent_nodes))


def test_minimal_under_selection_matches_brute_force():
    rng = random.Random(3)
    for _ in range(30):
        dag = _random_dag(rng, rng.randint(4, 7), 0.35, rng.randint(0, 1), rng.randint(0, 1))
        sel = frozenset(rng.sample(dag.observed_nodes, 1))
        got = _as_sets(implied_independencies(dag, selection=sel))
        adjacent = {frozenset(e) for e in dag.edges} | {frozenset(e) for e in dag.bidirected_edges}
        obs = [v for v in dag.observed_nodes if v not in sel]
        for x, y in itertools.combinations(obs, 2):
            want = set() if frozenset((x, y)) in adjacent else _brute_minimal(dag, x, y, sel)
            assert got.get(frozenset((x, y)), set()) == want, (dag.to_dagitty(), sel, x, y)


def test_max_per_pair_truncates_deterministically():
    dag = CausalDAG.from_dagitty("dag { a -> b -> c -> d ; a -> e -> d ; e -> f }")
    full = implied_independencies(dag)
    assert max(len(i.given) for i in full) >= 2
    one = implied_independencies(dag, max_per_pair=1)
    assert [(i.x, i.y) for i in one] == [(i.x, i.y) for i in full]
    for a, b in zip(one, full):
        assert len(a.given) == 1 and set(a.given) <= set(b.given)
    assert implied_independencies(dag, max_per_pair=1) == one
    for bad in (0, -1, 1.5, True):
        with pytest.raises(GraphError, match="max_per_pair"):
            implied_independencies(dag, max_per_pair=bad)
