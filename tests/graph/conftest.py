"""Canonical causal graphs used across the graph tests."""

from __future__ import annotations

import warnings

import pytest

from radiocausal.errors import RoleWarning
from radiocausal.graph import CausalDAG

CANONICAL = {
    # name: (dagitty text, expected minimal sets as sorted lists)
    "chain": ("dag { x [exposure] y [outcome] x -> m -> y }", [[]]),
    "fork": ("dag { x [exposure] y [outcome] c -> x ; c -> y ; x -> y }", [["c"]]),
    "collider": ("dag { x [exposure] y [outcome] x -> c <- y }", [[]]),
    "m_bias": ("dag { x [exposure] y [outcome] a -> x ; a -> m ; b -> m ; b -> y ; x -> y }", [[]]),
    "butterfly": (
        "dag { x [exposure] y [outcome] a -> x ; a -> m ; b -> m ; b -> y ; m -> x ; m -> y ; x -> y }",
        [["a", "m"], ["b", "m"]],
    ),
    "batch_confounded": (
        "dag { EGFR [exposure] texture [outcome] site [batch] site -> texture ; site -> EGFR ; EGFR -> texture }",
        [["site"]],
    ),
    "selection": (
        "dag { x [exposure] y [outcome] biopsied [selected] x -> y ; x -> biopsied ; g -> x ; g -> y }",
        [],
    ),
    "latent_confounder": ("dag { x [exposure] y [outcome] u [latent] u -> x ; u -> y ; x -> y }", []),
    "front_door": (
        "dag { x [exposure] y [outcome] x -> m -> y ; x <-> y }",
        [],
    ),
}


@pytest.fixture(params=sorted(CANONICAL))
def canonical(request) -> tuple[str, CausalDAG, list[list[str]]]:
    """(name, dag, expected minimal sets) for each canonical graph."""
    text, expected = CANONICAL[request.param]
    with warnings.catch_warnings():  # e.g. "collider": no causal path from x to y, by design
        warnings.simplefilter("ignore", RoleWarning)
        dag = CausalDAG.from_dagitty(text)
    return request.param, dag, expected


@pytest.fixture
def chain() -> CausalDAG:
    return CausalDAG.from_dagitty(CANONICAL["chain"][0])


@pytest.fixture
def fork() -> CausalDAG:
    return CausalDAG.from_dagitty(CANONICAL["fork"][0])


@pytest.fixture
def collider() -> CausalDAG:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoleWarning)
        return CausalDAG.from_dagitty(CANONICAL["collider"][0])


@pytest.fixture
def m_bias() -> CausalDAG:
    return CausalDAG.from_dagitty(CANONICAL["m_bias"][0])


@pytest.fixture
def butterfly() -> CausalDAG:
    return CausalDAG.from_dagitty(CANONICAL["butterfly"][0])


@pytest.fixture
def batch_confounded() -> CausalDAG:
    return CausalDAG.from_dagitty(CANONICAL["batch_confounded"][0])


@pytest.fixture
def selection() -> CausalDAG:
    return CausalDAG.from_dagitty(CANONICAL["selection"][0])
