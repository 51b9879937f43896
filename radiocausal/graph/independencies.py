"""Conditional independencies that a causal DAG implies among its observed variables.

These are the graph's *testable implications*: if the data contradict one of them, the DAG
(or the measurement of its variables) is wrong somewhere.  Two lists are offered, as in
dagitty (Textor et al. 2016):

* ``kind="minimal"`` (dagitty's ``impliedConditionalIndependencies(type="missing.edge")``):
  for every pair of observed, non-adjacent nodes that some set of observed nodes d-separates,
  **all** its minimal separating sets.  They are listed with polynomial delay as the minimal
  vertex separators of the moral graph of ``An({x, y} ∪ selected)``
  (van der Zander, Liśkiewicz & Textor 2019), never by enumerating subsets.
* ``kind="basis"`` (dagitty's ``type="basis.set"``): the local Markov property, each node
  independent of its non-descendants given its parents.  With latent nodes or ``<->`` edges
  the parents are replaced by the node's Markov blanket in its ancestral set of
  non-descendants, computed on the latent projection (Richardson 2003).

References
----------
* B. van der Zander, M. Liśkiewicz, J. Textor (2019). Separators and adjustment sets in causal
  graphs: complete criteria and an algorithmic framework. Artificial Intelligence 270.
* T. Richardson (2003). Markov properties for acyclic directed mixed graphs. Scand. J. Stat. 30.
* J. Textor, B. van der Zander, M. Gilthorpe, M. Liśkiewicz, G. Ellison (2016). Robust causal
  inference using directed acyclic graphs: the R package 'dagitty'. Int. J. Epidemiol. 45.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from radiocausal.errors import GraphError, RoleError
from radiocausal.graph import _algorithms as alg
from radiocausal.graph.dag import NodeSet

if TYPE_CHECKING:
    from radiocausal.graph.dag import CausalDAG

__all__ = ["Independence", "Implications", "implied_independencies", "iter_implied_independencies"]

_KINDS = ("minimal", "basis")


@dataclass(frozen=True)
class Independence:
    """One testable implication: ``x`` is independent of ``y`` given each set in ``given``.

    Attributes
    ----------
    x, y : str
        The two observed variables.
    given : tuple of frozenset of str
        Conditioning sets, each of which alone makes ``x`` and ``y`` independent (for
        ``kind="minimal"`` all minimal ones, sorted by size then names; for ``kind="basis"``
        exactly one).  ``(frozenset(),)`` means marginal independence.  Selection nodes in
        force are included in every set.

    Examples
    --------
    >>> ind = Independence("a", "b", (frozenset({"c"}),))
    >>> str(ind)
    'a _||_ b | c'
    >>> ind.pairs()
    [('a', 'b', frozenset({'c'}))]
    """

    x: str
    y: str
    given: tuple[frozenset[str], ...]

    def pairs(self) -> list[tuple[str, str, frozenset[str]]]:
        """One ``(x, y, Z)`` statement per conditioning set."""
        return [(self.x, self.y, z) for z in self.given]

    def __str__(self) -> str:
        lines = []
        for z in self.given:
            s = f"{self.x} _||_ {self.y}"
            if z:
                s += " | " + ", ".join(sorted(z))
            lines.append(s)
        return "\n".join(lines)


class Implications(list):
    """A list of :class:`Independence` records with a tidy-table view.

    It is a plain ``list`` (index it, iterate it, compare it) plus :meth:`to_frame` and a
    readable ``str`` (dagitty's ``x _||_ y | z`` notation, one statement per line).
    """

    kind: str = "minimal"

    def to_frame(self) -> pd.DataFrame:
        """One row per statement ``(x, y, given)``, ``given`` a frozenset of node names.

        Examples
        --------
        >>> from radiocausal.graph import CausalDAG
        >>> dag = CausalDAG([("a", "b"), ("b", "c")])
        >>> implied_independencies(dag).to_frame()
           x  y           given
        0  a  c  frozenset({b})
        """
        rows = [(i.x, i.y, z) for i in self for z in i.given]
        frame = pd.DataFrame(rows, columns=["x", "y", "given"])
        frame["given"] = frame["given"].astype(object)
        return frame

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self)


def _node_set(nodes: Iterable[str]) -> frozenset[str]:
    return NodeSet(nodes)


def _resolve_selection(dag: CausalDAG, selection: Iterable[str] | None) -> frozenset[str]:
    if selection is None:
        sel = set(dag.selected_nodes)
    elif isinstance(selection, str):
        sel = {selection}
    else:
        sel = set(selection)
    unknown = sorted(v for v in sel if v not in dag)
    if unknown:
        raise GraphError(f"selection names unknown node(s) {unknown}; nodes are {list(dag.nodes)[:12]}")
    latent = sel & set(dag.latent_nodes)
    if latent:
        raise RoleError(f"selection node(s) {sorted(latent)} are latent: selection must be observed")
    return frozenset(sel)


def _adjacent(dag: CausalDAG) -> set[frozenset[str]]:
    pairs = {frozenset(e) for e in dag.edges}
    pairs |= {frozenset(e) for e in dag.bidirected_edges}
    return pairs


def _minimal(dag: CausalDAG, sel: frozenset[str], max_per_pair: int | None) -> Iterator[Independence]:
    parents, _, latent = dag._full()
    observed = [v for v in dag.nodes if v not in latent and v not in sel]
    adjacent = _adjacent(dag)
    for i, x in enumerate(observed):
        for y in observed[i + 1 :]:
            if frozenset((x, y)) in adjacent:
                continue
            anc = alg.ancestors(parents, {x, y} | sel)
            adj = alg.moral_adjacency(parents, anc)
            for s in sel:  # selection is conditioned on: remove it from the moral graph
                for u in adj.pop(s):
                    if u in adj:
                        adj[u].discard(s)
            allowed = anc - latent - sel - {x, y}
            found = alg.iter_minimal_separators(adj, {x}, {y}, allowed)
            seps = [frozenset(z) | sel for z in itertools.islice(found, max_per_pair)]
            if seps:
                seps.sort(key=lambda z: (len(z), sorted(z)))
                yield Independence(x, y, tuple(_node_set(z) for z in seps))


def _observed_through_latent(adj, start, latent) -> set[str]:
    """Observed nodes reached from ``start`` along ``adj``, passing through latent nodes only."""
    out: set[str] = set()
    stack = list(start)
    seen = set(stack)
    while stack:
        u = stack.pop()
        if u in latent:
            for w in adj[u]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        else:
            out.add(u)
    return out


def _latent_projection(dag: CausalDAG) -> tuple[list[str], dict[str, set[str]], dict[str, set[str]]]:
    """Observed nodes, their parents and ``<->`` siblings in the latent projection."""
    parents, children, latent = dag._full()
    observed = [v for v in dag.nodes if v not in latent]
    pa = {v: _observed_through_latent(parents, parents[v], latent) for v in observed}
    sib: dict[str, set[str]] = {v: set() for v in observed}
    for h in latent:
        reach = _observed_through_latent(children, children[h], latent)
        for a in reach:
            sib[a] |= reach - {a}
    return observed, pa, sib


def _basis(dag: CausalDAG) -> Iterator[Independence]:
    _, children, _ = dag._full()
    observed, pa, sib = _latent_projection(dag)
    obs_set = set(observed)
    for v in observed:
        desc = alg.descendants(children, {v}) & obs_set
        anc_set = (obs_set - desc) | {v}  # ancestral, v childless in it
        district = {v}
        stack = [v]
        while stack:
            u = stack.pop()
            for s in sib[u]:
                if s in anc_set and s not in district:
                    district.add(s)
                    stack.append(s)
        blanket = set(district)
        for d in district:
            blanket |= pa[d]
        blanket.discard(v)
        rest = anc_set - blanket - {v}
        given = (_node_set(blanket),)
        for w in observed:
            if w in rest:
                yield Independence(v, w, given)


def iter_implied_independencies(
    dag: CausalDAG,
    kind: Literal["minimal", "basis"] = "minimal",
    *,
    selection: Iterable[str] | None = None,
    max_per_pair: int | None = None,
) -> Iterator[Independence]:
    """Lazily yield the implications of :func:`implied_independencies` (same arguments)."""
    if kind not in _KINDS:
        raise GraphError(f"kind must be one of {_KINDS}, got {kind!r}")
    if max_per_pair is not None and (
        isinstance(max_per_pair, bool) or not isinstance(max_per_pair, int) or max_per_pair < 1
    ):
        raise GraphError(f"max_per_pair must be a positive integer or None, got {max_per_pair!r}")
    sel = _resolve_selection(dag, selection)
    if kind == "minimal":
        yield from _minimal(dag, sel, max_per_pair)
    else:
        if sel:
            raise GraphError(
                f"kind='basis' is not available under selection on {sorted(sel)}: conditioning on a "
                "descendant breaks the local Markov basis; use kind='minimal' (which conditions on "
                "selection in every set), or selection=() to ignore selection"
            )
        yield from _basis(dag)


def implied_independencies(
    dag: CausalDAG,
    kind: Literal["minimal", "basis"] = "minimal",
    *,
    selection: Iterable[str] | None = None,
    max_per_pair: int | None = None,
) -> Implications:
    """Conditional independencies the DAG implies among its observed variables.

    Parameters
    ----------
    dag : CausalDAG
        The causal graph.  Latent nodes never appear in a statement, and two observed nodes
        joined through a latent node (``a <- U -> b``, ``a -> U -> b``) or by ``a <-> b`` are
        never declared independent.  The ``adjusted`` role is ignored (as in dagitty).
    kind : {"minimal", "basis"}
        ``"minimal"``: for each pair of observed, non-adjacent nodes that can be d-separated,
        all its minimal separating sets of observed nodes (dagitty's
        ``impliedConditionalIndependencies(type="missing.edge")``).  Listed with polynomial
        delay per set as minimal separators of a moral graph, never by enumerating subsets.
        ``"basis"``: the local Markov basis, ``v _||_ w | pa(v)`` for each non-descendant ``w``
        of ``v`` that is not a parent (dagitty's ``type="basis.set"``, split into one record per
        pair).  With latent nodes or ``<->`` edges, ``pa(v)`` becomes the Markov blanket of
        ``v`` (its district and the district's parents) among its non-descendants in the latent
        projection (Richardson 2003): every statement is implied, but the list need not be a
        complete basis then.
    selection : iterable of str, optional
        Study-inclusion nodes; default: those declared ``selected``.  The data are assumed to
        come from the selected patients only, so selection is **always conditioned on**: the
        selection nodes are included in every conditioning set, never form a pair themselves,
        and pairs that selection makes dependent (e.g. two causes of inclusion) are not listed.
        Pass ``selection=()`` to treat selected nodes as ordinary variables (dagitty's
        behaviour).  ``kind="basis"`` is not available under selection.
    max_per_pair : int, optional
        For ``kind="minimal"``: list at most this many separating sets per pair (all by
        default).  Large, dense graphs can have very many minimal separators per pair; the
        sets kept are the first found by the enumeration (deterministic, not necessarily the
        smallest) and the work stops there, so ``max_per_pair=1`` gives one testable statement
        per separable pair in time polynomial in the graph size.

    Returns
    -------
    Implications
        A list of :class:`Independence` ``(x, y, given)`` records in node order (``x`` before
        ``y`` in :attr:`CausalDAG.nodes`), with conditioning sets sorted by size then names.
        ``.to_frame()`` gives a table with one row per statement.

    Raises
    ------
    GraphError
        Unknown ``kind``, unknown selection node, bad ``max_per_pair``, or ``kind="basis"``
        under selection.

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { grade -> EGFR -> texture ; grade -> necrosis -> texture }")
    >>> print(implied_independencies(dag))
    grade _||_ texture | EGFR, necrosis
    EGFR _||_ necrosis | grade
    >>> print(implied_independencies(dag, kind="basis"))
    EGFR _||_ necrosis | grade
    texture _||_ grade | EGFR, necrosis
    necrosis _||_ EGFR | grade
    """
    out = Implications(iter_implied_independencies(dag, kind, selection=selection, max_per_pair=max_per_pair))
    out.kind = kind
    return out
