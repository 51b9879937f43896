"""Seeded random DAGs with an exposure/outcome pair, for the graph benchmarks.

A DAG is drawn as an Erdős–Rényi graph over a random topological order: every ordered pair
``(i, j)`` with ``i < j`` in that order gets the edge ``i -> j`` independently with probability
``p = min(1, d / (n - 1))``, so a node's expected (in + out) degree is ``d``.  Node labels are
``v0 .. v{n-1}`` assigned by a random permutation, so names carry no information about the order.

The exposure/outcome pair is drawn from the same generator:

* the exposure ``X`` is a node from the middle half of the topological order with at least one
  parent;
* the outcome ``Y`` is a proper descendant of ``X`` (so there is a causal path ``X -> ... -> Y``),
  preferably one that is not a child of ``X`` (so the effect has a mediated part);
* the pair is accepted only when it is **confounded**: some node ``C != X`` is an ancestor of ``X``
  and an ancestor of ``Y`` along a directed path that avoids ``X``.  In the proper back-door graph
  that common ancestor opens a back-door path, so the empty set is *not* a valid adjustment set.

Candidates are tried in a seeded random order; if no non-child descendant works, children are
allowed; if the graph has no confounded pair at all (small sparse graphs), a new graph is drawn
from the same random stream.  Generation is fully determined by ``(n, profile, seed)`` and independent of
``PYTHONHASHSEED``.

Examples
--------
>>> g = random_dag(50, "sparse", seed=1)
>>> len(g.nodes), g.exposure != g.outcome
(50, True)
>>> random_dag(50, "sparse", seed=1) == g
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PROFILES", "RandomDAG", "random_dag"]

#: Expected (in + out) degree of a node in each profile.
PROFILES: dict[str, float] = {"sparse": 2.5, "dense": 9.0}


@dataclass(frozen=True)
class RandomDAG:
    """A generated DAG and its exposure/outcome pair."""

    n: int
    profile: str
    seed: int
    nodes: tuple[str, ...]  # in topological order
    edges: tuple[tuple[str, str], ...]
    exposure: str
    outcome: str

    @property
    def roles(self) -> dict[str, str]:
        """``{exposure: "exposure", outcome: "outcome"}`` for ``CausalDAG(edges, roles=...)``."""
        return {self.exposure: "exposure", self.outcome: "outcome"}

    @property
    def mean_degree(self) -> float:
        return 2 * len(self.edges) / max(1, self.n)


def _reach(adj: list[list[int]], start: int, skip: int | None = None) -> set[int]:
    seen = {start}
    stack = [start]
    while stack:
        v = stack.pop()
        for u in adj[v]:
            if u != skip and u not in seen:
                seen.add(u)
                stack.append(u)
    return seen


def _draw(rng: np.random.Generator, n: int, d: float) -> tuple[list[list[int]], list[list[int]], list[str]]:
    p = min(1.0, d / (n - 1))
    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    for j in range(1, n):
        k = int(rng.binomial(j, p))
        if k:
            for i in sorted(int(v) for v in rng.choice(j, size=k, replace=False)):
                parents[j].append(i)
                children[i].append(j)
    labels = [f"v{int(k)}" for k in rng.permutation(n)]
    return parents, children, labels


def _choose_pair(
    rng: np.random.Generator, parents: list[list[int]], children: list[list[int]], n: int, max_tries: int
) -> tuple[int, int] | None:
    lo, hi = n // 4, max(n // 4 + 1, (3 * n) // 4)
    candidates = [v for v in range(lo, hi) if parents[v] and children[v]]
    order = [int(i) for i in rng.permutation(len(candidates))]
    fallback: tuple[int, int] | None = None
    for t in order[:max_tries]:
        x = candidates[t]
        an_x = _reach(parents, x) - {x}
        de_x = sorted(_reach(children, x) - {x})
        kids = set(children[x])
        for i in rng.permutation(len(de_x)):
            y = de_x[int(i)]
            if not (an_x & _reach(parents, y, skip=x)):
                continue
            if y not in kids:
                return (x, y)
            if fallback is None:
                fallback = (x, y)
    return fallback


def random_dag(
    n: int, profile: str = "sparse", seed: int = 0, *, max_tries: int = 2000, redraws: int = 50
) -> RandomDAG:
    """Draw a random DAG of ``n`` nodes in ``profile`` (see :data:`PROFILES`) with a confounded pair.

    Parameters
    ----------
    n : int
        Number of nodes (at least 4).
    profile : {"sparse", "dense"}
        Expected degree 2.5 or 9.
    seed : int
        Seed; the graph is a pure function of ``(n, profile, seed)``.
    max_tries : int
        Exposure candidates tried per graph.
    redraws : int
        Graphs drawn (from the same seeded stream) until one has a confounded pair; small
        sparse graphs sometimes have none.

    Raises
    ------
    ValueError
        Bad arguments, or no graph out of ``redraws`` had a confounded pair with a causal path.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    if not isinstance(n, int) or n < 4:
        raise ValueError(f"n must be an integer >= 4, got {n!r}")
    rng = np.random.default_rng([int(seed), n, sorted(PROFILES).index(profile)])
    for _ in range(redraws):
        parents, children, labels = _draw(rng, n, PROFILES[profile])
        chosen = _choose_pair(rng, parents, children, n, max_tries)
        if chosen is not None:
            break
    else:
        raise ValueError(
            f"no confounded exposure/outcome pair with a causal path in {redraws} {profile} DAGs with n={n}, seed={seed}"
        )
    edges = tuple((labels[i], labels[j]) for j in range(n) for i in parents[j])
    return RandomDAG(
        n=n,
        profile=profile,
        seed=int(seed),
        nodes=tuple(labels),
        edges=edges,
        exposure=labels[chosen[0]],
        outcome=labels[chosen[1]],
    )
