"""The :class:`CausalDAG`: a study's causal assumptions, with roles, queries and adjustment sets."""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from radiocausal.errors import (
    CycleError,
    GraphError,
    IdentificationError,
    RoleError,
    RoleWarning,
    UnknownNodeError,
)
from radiocausal.graph import _algorithms as alg
from radiocausal.graph._dagitty import DECLARED_ROLES, MAX_TEXT_SIZE, format_dagitty, parse_dagitty

__all__ = ["CausalDAG", "AdjustmentExplanation", "NodeSet", "DECLARED_ROLES", "DERIVED_ROLES"]

#: Roles derived from the graph for a given exposure and outcome (see :meth:`CausalDAG.derived_roles`).
DERIVED_ROLES = (
    "exposure",
    "outcome",
    "confounder",
    "mediator",
    "collider",
    "descendant_of_exposure",
    "descendant_of_outcome",
    "instrument",
    "precision",
)

_KINDS = ("minimal", "canonical", "optimal", "minimum")
_EFFECTS = ("total", "direct")
_HIDDEN_PREFIX = "\x00"


def _as_set(value: str | Iterable[str] | None, what: str) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    try:
        out = set(value)
    except TypeError:
        raise GraphError(f"{what} must be a node name or an iterable of node names, got {value!r}") from None
    for v in out:
        if not isinstance(v, str):
            raise GraphError(f"{what} must contain node names (str), got {v!r}")
    return out


def _fmt_set(nodes: Iterable[str]) -> str:
    nodes = sorted(nodes)
    return "{" + ", ".join(nodes) + "}"


def _fmt_path(nodes: list[str], arrows: list[str]) -> str:
    """Write a trail as text; a hidden common cause ``a <- h -> b`` is shown as ``a <-> b``."""
    text: list[str] = []
    i = 0
    seq = [nodes[0]]
    for a, v in zip(arrows, nodes[1:]):
        seq.extend([a, v])
    while i < len(seq):
        tok = seq[i]
        if tok.startswith(_HIDDEN_PREFIX):
            text[-1] = "<->"
            i += 2  # skip the arrow after the hidden node
            continue
        text.append(tok)
        i += 1
    return " ".join(text)


class NodeSet(frozenset):
    """A ``frozenset`` of node names that iterates and prints in sorted order.

    Equal to (and hashable like) the plain frozenset with the same members; only the order
    of iteration and the ``repr`` differ, so output is identical across runs and
    ``PYTHONHASHSEED`` values.

    Examples
    --------
    >>> NodeSet({"b", "a"})
    frozenset({'a', 'b'})
    >>> NodeSet({"b", "a"}) == frozenset({"a", "b"})
    True
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(frozenset.__iter__(self)))

    def __repr__(self) -> str:
        if not self:
            return "frozenset()"
        return "frozenset({" + ", ".join(repr(v) for v in self) + "})"


class _Problem(NamedTuple):
    """Everything the adjustment queries need for one (exposure, outcome, effect, selection)."""

    xs: frozenset[str]
    ys: frozenset[str]
    sel: frozenset[str]
    effect: str
    parents: dict[str, set[str]]  # graph in which Z must separate (proper back-door graph, ...)
    children: dict[str, set[str]]
    causal: frozenset[str]  # cn(X, Y): nodes on proper causal paths, X excluded
    forbidden: frozenset[str]  # nodes that may never be adjusted for (besides latent, X, Y)
    allowed: frozenset[str]  # observed nodes a set may contain


@dataclass(frozen=True)
class AdjustmentExplanation:
    """Verdict on one proposed adjustment set, with reasons in words.

    Attributes
    ----------
    is_valid : bool
        Whether the set identifies the effect by covariate adjustment.
    adjustment_set : frozenset of str
        The set judged.
    exposure, outcome : tuple of str
        The effect judged.
    problems : list of str
        Why the set fails (empty when valid).
    notes : list of str
        Further remarks (selection, no set possible, ...).
    """

    is_valid: bool
    adjustment_set: frozenset[str]
    exposure: tuple[str, ...]
    outcome: tuple[str, ...]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.is_valid

    def __str__(self) -> str:
        head = (
            f"adjustment set {_fmt_set(self.adjustment_set)} for the effect of "
            f"{', '.join(self.exposure)} on {', '.join(self.outcome)}: "
            + ("valid" if self.is_valid else "NOT valid")
        )
        lines = [head]
        lines += [f"  - {p}" for p in self.problems]
        lines += [f"  * {n}" for n in self.notes]
        return "\n".join(lines)


class CausalDAG:
    """A causal directed acyclic graph with declared roles.

    Parameters
    ----------
    edges : iterable of (str, str), optional
        Directed edges ``(cause, effect)``.
    nodes : iterable of str, optional
        Extra nodes (isolated nodes, or to fix the node order).
    bidirected : iterable of (str, str), optional
        ``a <-> b`` pairs: an unobserved common cause of ``a`` and ``b``.
    roles : mapping of str to str or iterable of str, optional
        Declared roles per node, among ``exposure``, ``outcome``, ``latent``, ``selected``
        (study inclusion: always conditioned on), ``adjusted`` (a proposed adjustment set) and
        ``batch`` (a technical common cause: scanner, site, sequencing run).
    name : str, optional
        A label for the study.

    Examples
    --------
    >>> dag = CausalDAG.from_dagitty('''
    ... dag {
    ...   EGFR [exposure]
    ...   texture [outcome]
    ...   grade -> EGFR -> texture
    ...   grade -> texture
    ...   EGFR -> necrosis -> texture
    ... }''')
    >>> dag.adjustment_sets()
    [frozenset({'grade'})]
    >>> dag.is_adjustment_set(["grade", "necrosis"])
    False
    """

    def __init__(
        self,
        edges: Iterable[tuple[str, str]] = (),
        *,
        nodes: Iterable[str] = (),
        bidirected: Iterable[tuple[str, str]] = (),
        roles: Mapping[str, str | Iterable[str]] | None = None,
        name: str | None = None,
    ):
        self.name = name
        self._parents: dict[str, set[str]] = {}
        self._children: dict[str, set[str]] = {}
        self._order: dict[str, None] = {}
        self._bidirected: dict[frozenset[str], tuple[str, str]] = {}
        self._roles: dict[str, set[str]] = {}
        self._node_attrs: dict[str, dict[str, str]] = {}
        self._graph_attrs: dict[str, str] = {}
        self._cache: dict = {}
        for v in nodes:
            self._add_node(v)
        for e in edges:
            try:
                u, v = e
            except (TypeError, ValueError):
                raise GraphError(f"edges must be (cause, effect) pairs, got {e!r}") from None
            self._add_edge(u, v)
        for e in bidirected:
            try:
                u, v = e
            except (TypeError, ValueError):
                raise GraphError(f"bidirected must be (a, b) pairs, got {e!r}") from None
            self.add_bidirected(u, v)
        self._raise_if_cyclic()
        for node, rs in (roles or {}).items():
            self.add_role(node, *([rs] if isinstance(rs, str) else list(rs)))
        if roles:
            self.warn_role_conflicts()

    # ------------------------------------------------------------------ construction and mutation
    @staticmethod
    def _check_name(v: object) -> str:
        if not isinstance(v, str) or not v:
            raise GraphError(f"node names must be non-empty strings, got {v!r}")
        if any(ord(ch) < 32 for ch in v):
            raise GraphError(f"node name {v!r} contains a control character")
        return v

    def _add_node(self, v: str) -> None:
        self._check_name(v)
        if v not in self._parents:
            self._parents[v] = set()
            self._children[v] = set()
            self._order[v] = None
            self._roles[v] = set()
            self._cache.clear()

    def _add_edge(self, u: str, v: str) -> None:
        if u == v:
            raise CycleError(f"self-loop on node {u!r}: a DAG has no edge from a node to itself", [u, u])
        self._add_node(u)
        self._add_node(v)
        self._parents[v].add(u)
        self._children[u].add(v)
        self._cache.clear()

    def add_node(self, node: str, *roles: str) -> CausalDAG:
        """Add ``node`` (no-op if present), optionally with declared roles; returns ``self``."""
        self._add_node(node)
        if roles:
            self.add_role(node, *roles)
        return self

    def add_edge(self, cause: str, effect: str) -> CausalDAG:
        """Add the edge ``cause -> effect``; raises :class:`CycleError` if it closes a cycle."""
        self._check_name(cause)
        self._check_name(effect)
        if cause in self._parents and effect in self._parents and cause != effect:
            path = self._directed_path(effect, cause)
            if path is not None:
                cycle = path + [effect]
                raise CycleError(
                    f"edge {cause} -> {effect} would close the cycle {' -> '.join(cycle)}", cycle
                )
        self._add_edge(cause, effect)
        return self

    def add_bidirected(self, a: str, b: str) -> CausalDAG:
        """Add ``a <-> b``: an unobserved common cause of ``a`` and ``b``; returns ``self``."""
        if a == b:
            raise GraphError(f"a bidirected edge needs two different nodes, got {a!r} <-> {b!r}")
        self._add_node(a)
        self._add_node(b)
        self._bidirected.setdefault(frozenset((a, b)), (a, b))
        self._cache.clear()
        return self

    def add_role(self, node: str, *roles: str) -> CausalDAG:
        """Declare roles of ``node`` (see :data:`DECLARED_ROLES`); returns ``self``."""
        self._require([node], "node")
        new = set(self._roles[node])
        for r in roles:
            key = {"unobserved": "latent", "selection": "selected"}.get(r, r)
            if key not in DECLARED_ROLES:
                raise RoleError(f"unknown role {r!r} for node {node!r}; expected one of {', '.join(DECLARED_ROLES)}")
            new.add(key)
        self._check_role_conflicts(node, new)  # raises before anything changes
        self._roles[node] = new
        self._cache.clear()
        return self

    def remove_role(self, node: str, *roles: str) -> CausalDAG:
        """Remove declared roles from ``node``; returns ``self``."""
        self._require([node], "node")
        for r in roles:
            self._roles[node].discard(r)
        self._cache.clear()
        return self

    def _check_role_conflicts(self, node: str, rs: set[str]) -> None:
        clashes = [
            ("exposure", "outcome", "a node cannot be both the exposure and the outcome"),
            ("latent", "exposure", "a latent (unobserved) node cannot be the exposure"),
            ("latent", "outcome", "a latent (unobserved) node cannot be the outcome"),
            ("latent", "adjusted", "a latent (unobserved) node cannot be adjusted for"),
            ("latent", "selected", "selection on a latent (unobserved) node cannot be conditioned on in the data"),
            ("selected", "exposure", "the study-inclusion node cannot be the exposure"),
            ("selected", "outcome", "the study-inclusion node cannot be the outcome"),
        ]
        for a, b, why in clashes:
            if a in rs and b in rs:
                raise RoleError(f"node {node!r} is declared both {a} and {b}: {why}")

    def copy(self) -> CausalDAG:
        """An independent copy."""
        new = CausalDAG(name=self.name)
        new._parents = {k: set(v) for k, v in self._parents.items()}
        new._children = {k: set(v) for k, v in self._children.items()}
        new._order = dict(self._order)
        new._bidirected = dict(self._bidirected)
        new._roles = {k: set(v) for k, v in self._roles.items()}
        new._node_attrs = {k: dict(v) for k, v in self._node_attrs.items()}
        new._graph_attrs = dict(self._graph_attrs)
        return new

    # ------------------------------------------------------------------ text format
    @classmethod
    def from_dagitty(cls, text: str, *, max_size: int = MAX_TEXT_SIZE, name: str | None = None) -> CausalDAG:
        """Build a DAG from dagitty-style text.

        Parameters
        ----------
        text : str
            e.g. ``"dag { X [exposure] Y [outcome] site [batch] X -> Y <- site ; X <- site }"``.
        max_size : int
            Largest accepted text, in characters.
        name : str, optional
            Study label; defaults to the graph's own name, if any.

        Raises
        ------
        DagittyParseError
            Malformed text, with line and column.
        CycleError
            The edges contain a directed cycle (named in the message).
        RoleError
            Conflicting roles on one node.

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty("dag { X [exposure] Y [outcome] X -> Y ; X <-> Y }")
        >>> dag.bidirected_edges
        (('X', 'Y'),)
        """
        parsed = parse_dagitty(text, max_size=max_size)
        dag = cls(name=name if name is not None else parsed.name)
        for v in parsed.nodes:
            dag._add_node(v)
        for u, v in parsed.directed:
            dag._add_edge(u, v)
        dag._raise_if_cyclic()
        for a, b in parsed.bidirected:
            dag.add_bidirected(a, b)
        for v, rs in parsed.roles.items():
            if rs:
                dag.add_role(v, *sorted(rs))
        dag._node_attrs = {k: dict(v) for k, v in parsed.node_attrs.items()}
        dag._graph_attrs = dict(parsed.graph_attrs)
        dag.warn_role_conflicts()
        return dag

    @classmethod
    def read(cls, path: str | os.PathLike, *, max_size: int = MAX_TEXT_SIZE) -> CausalDAG:
        """Read a dagitty-style text file (``.dag``/``.txt``); the file name becomes the study name."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no DAG file at path={path!r}")
        size = os.path.getsize(path)
        if size > max_size:
            raise GraphError(f"DAG file {path!r} has {size:,} bytes, more than max_size={max_size:,}")
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        stem = os.path.splitext(os.path.basename(path))[0]
        return cls.from_dagitty(text, max_size=max_size, name=stem)

    def to_dagitty(self, *, layout: bool = True) -> str:
        """The graph as dagitty text; ``CausalDAG.from_dagitty(dag.to_dagitty()) == dag``.

        Parameters
        ----------
        layout : bool
            Keep ``pos`` node attributes and graph attributes (e.g. ``bb``) read from text.
        """
        return format_dagitty(
            list(self._order),
            sorted(self.edges, key=lambda e: (self._index(e[0]), self._index(e[1]))),
            list(self._bidirected.values()),
            self._roles,
            self._node_attrs if layout else None,
            self._graph_attrs if layout else None,
        )

    def _index(self, v: str) -> int:
        idx = self._cache.get("index")
        if idx is None:
            idx = self._cache["index"] = {n: i for i, n in enumerate(self._order)}
        return idx[v]

    @classmethod
    def load(cls, name: str) -> CausalDAG:
        """Load a declared study DAG from the package's library (``models/``) by name.

        See :func:`radiocausal.graph.library.list_models` for the names.

        Examples
        --------
        >>> CausalDAG.load("scanner_site_batch").batch_nodes
        ('site', 'kernel')
        """
        from radiocausal.graph.library import load_model

        return load_model(name)

    @classmethod
    def from_networkx(cls, graph, *, name: str | None = None) -> CausalDAG:
        """Build a DAG from a ``networkx.DiGraph`` (node attribute ``roles``; see :meth:`to_networkx`)."""
        from radiocausal.graph.interop import from_networkx

        return from_networkx(graph, name=name)

    def to_networkx(self):
        """The DAG as a ``networkx.DiGraph``; ``a <-> b`` becomes an explicit latent node ``U[a<->b]``.

        Node attribute ``roles`` holds the declared roles; round-trips through :meth:`from_networkx`.
        """
        from radiocausal.graph.interop import to_networkx

        return to_networkx(self)

    def to_dot(self, *, adjustment_set: Iterable[str] | None = None, rankdir: str = "TB") -> str:
        """Graphviz DOT text, roles as styles, ``<->`` dashed, the adjustment set highlighted."""
        from radiocausal.graph.interop import to_dot

        return to_dot(self, adjustment_set=adjustment_set, rankdir=rankdir)

    def to_dowhy(self, *, format: Literal["gml", "networkx"] = "gml"):
        """The graph in a form ``dowhy.CausalModel(data, treatment, outcome, graph=...)`` accepts.

        Latent nodes (and ``<->`` as explicit latent nodes) are marked unobserved; leave them out of
        the data frame you give DoWhy.
        """
        from radiocausal.graph.interop import to_dowhy

        return to_dowhy(self, format=format)

    def draw(self, ax=None, *, adjustment_set: Iterable[str] | None = None, layout="auto", **kwargs):
        """Draw with matplotlib: roles coloured, latent dashed, adjustment set highlighted.

        See :func:`radiocausal.graph.drawing.draw` for the options; returns the axes.
        """
        from radiocausal.graph.drawing import draw

        return draw(self, ax, adjustment_set=adjustment_set, layout=layout, **kwargs)

    def implied_independencies(
        self,
        kind: Literal["minimal", "basis"] = "minimal",
        *,
        selection: Iterable[str] | None = None,
        max_per_pair: int | None = None,
    ):
        """Conditional independencies the DAG implies among observed nodes.

        For each non-adjacent, d-separable pair of observed nodes, all its minimal separating sets
        (``kind="minimal"``, as dagitty), or the local Markov basis (``kind="basis"``).  Selection
        nodes are conditioned on in every statement.  See
        :func:`radiocausal.graph.independencies.implied_independencies`.

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty("dag { a -> b -> c }")
        >>> [str(i) for i in dag.implied_independencies()]
        ['a _||_ c | b']
        """
        from radiocausal.graph.independencies import implied_independencies

        return implied_independencies(self, kind, selection=selection, max_per_pair=max_per_pair)

    def test_implications(self, data, **kwargs):
        """Test the implied independencies on ``data`` (one column per observed node).

        Returns a DataFrame with one row per tested statement: test used, estimate, statistic,
        p-value, FDR-adjusted p-value and a ``rejected`` flag.  Keyword arguments as in
        :func:`radiocausal.graph.citests.test_implications` (``kind``, ``alpha``, ``method``,
        ``fdr``, ``column_types``, ``dropna``, ``selection``, ``implications``).
        """
        from radiocausal.graph.citests import test_implications

        return test_implications(self, data, **kwargs)

    test_implications.__test__ = False  # a method, not a pytest test

    # ------------------------------------------------------------------ basic accessors
    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in the order they were declared."""
        return tuple(self._order)

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """Directed edges ``(cause, effect)``, ordered by node declaration."""
        return tuple((u, v) for u in self._order for v in sorted(self._children[u], key=self._index))

    @property
    def bidirected_edges(self) -> tuple[tuple[str, str], ...]:
        """``a <-> b`` pairs (unobserved common causes), as declared."""
        return tuple(self._bidirected.values())

    def __contains__(self, node: object) -> bool:
        return node in self._parents

    def __len__(self) -> int:
        return len(self._parents)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CausalDAG):
            return NotImplemented
        return (
            set(self._parents) == set(other._parents)
            and self._parents == other._parents
            and set(self._bidirected) == set(other._bidirected)
            and {k: v for k, v in self._roles.items() if v} == {k: v for k, v in other._roles.items() if v}
        )

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return (
            f"<CausalDAG{label}: {len(self)} nodes, {sum(len(c) for c in self._children.values())} edges, "
            f"{len(self._bidirected)} bidirected; exposure={list(self.exposures)}, outcome={list(self.outcomes)}>"
        )

    def roles(self, node: str) -> frozenset[str]:
        """Declared roles of ``node``."""
        self._require([node], "node")
        return frozenset(self._roles[node])

    def _with_role(self, role: str) -> tuple[str, ...]:
        # cached: every query resolves exposure/outcome/latent/selected (the cache is cleared on mutation)
        key = ("role", role)
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = tuple(v for v in self._order if role in self._roles[v])
        return got

    @property
    def exposures(self) -> tuple[str, ...]:
        """Nodes declared ``exposure``."""
        return self._with_role("exposure")

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Nodes declared ``outcome``."""
        return self._with_role("outcome")

    @property
    def latent_nodes(self) -> tuple[str, ...]:
        """Nodes declared ``latent`` (unobserved)."""
        return self._with_role("latent")

    @property
    def selected_nodes(self) -> tuple[str, ...]:
        """Nodes declared ``selected`` (study inclusion; always conditioned on)."""
        return self._with_role("selected")

    @property
    def adjusted_nodes(self) -> tuple[str, ...]:
        """Nodes declared ``adjusted`` (the proposed adjustment set)."""
        return self._with_role("adjusted")

    @property
    def batch_nodes(self) -> tuple[str, ...]:
        """Nodes declared ``batch`` (scanner, site, sequencing run)."""
        return self._with_role("batch")

    @property
    def observed_nodes(self) -> tuple[str, ...]:
        """Nodes not declared latent."""
        return tuple(v for v in self._order if "latent" not in self._roles[v])

    def _require(self, nodes: Iterable[str], what: str) -> None:
        for v in nodes:
            if v not in self._parents:
                known = ", ".join(list(self._order)[:12]) + (", ..." if len(self) > 12 else "")
                raise UnknownNodeError(f"{what} {v!r} is not a node of the graph (nodes: {known})")

    def parents(self, node: str) -> frozenset[str]:
        """Direct causes of ``node`` (``<->`` partners are not parents)."""
        self._require([node], "node")
        return frozenset(self._parents[node])

    def children(self, node: str) -> frozenset[str]:
        """Direct effects of ``node``."""
        self._require([node], "node")
        return frozenset(self._children[node])

    def ancestors(self, nodes: str | Iterable[str]) -> frozenset[str]:
        """Nodes with a directed path into ``nodes`` (the nodes themselves excluded)."""
        ns = _as_set(nodes, "nodes")
        self._require(ns, "node")
        return frozenset(alg.ancestors(self._parents, ns) - ns)

    def descendants(self, nodes: str | Iterable[str]) -> frozenset[str]:
        """Nodes reachable by a directed path from ``nodes`` (the nodes themselves excluded)."""
        ns = _as_set(nodes, "nodes")
        self._require(ns, "node")
        return frozenset(alg.descendants(self._children, ns) - ns)

    # ------------------------------------------------------------------ validation
    def _directed_path(self, source: str, target: str) -> list[str] | None:
        pred: dict[str, str | None] = {source: None}
        stack = [source]
        while stack:
            v = stack.pop()
            if v == target:
                path = [v]
                while pred[path[-1]] is not None:
                    path.append(pred[path[-1]])
                return path[::-1]
            for c in self._children[v]:
                if c not in pred:
                    pred[c] = v
                    stack.append(c)
        return None

    def find_cycle(self) -> list[str] | None:
        """A directed cycle as ``[a, b, ..., a]``, or None (Kahn's algorithm, then a walk)."""
        indeg = {v: len(p) for v, p in self._parents.items()}
        queue = [v for v, d in indeg.items() if d == 0]
        while queue:
            v = queue.pop()
            for c in self._children[v]:
                indeg[c] -= 1
                if indeg[c] == 0:
                    queue.append(c)
        left = {v for v, d in indeg.items() if d > 0}
        if not left:
            return None
        # every remaining node has a parent among the remaining ones: walk back until a repeat
        start = min(left, key=self._index)
        seen: dict[str, int] = {}
        walk = []
        v = start
        while v not in seen:
            seen[v] = len(walk)
            walk.append(v)
            v = min((p for p in self._parents[v] if p in left), key=self._index)
        cycle = walk[seen[v] :][::-1]
        return cycle + [cycle[0]]

    def _raise_if_cyclic(self) -> None:
        cycle = self.find_cycle()
        if cycle is not None:
            raise CycleError(f"the graph has a directed cycle: {' -> '.join(cycle)}", cycle)

    def role_conflicts(self) -> list[str]:
        """Declared roles that the graph's structure contradicts, explained in words."""
        msgs = []
        for b in self.batch_nodes:
            ps = sorted(self._parents[b], key=self._index)
            if ps:
                msgs.append(
                    f"batch node {b!r} has causes ({', '.join(ps)}): a technical batch (scanner, site, "
                    "sequencing run) is normally assigned independently of the patient's biology"
                )
        xs, ys = set(self.exposures), set(self.outcomes)
        if xs and ys:
            de = alg.descendants(self._children, xs)
            if not (de & ys):
                msgs.append(
                    f"no directed path leads from the exposure {_fmt_set(xs)} to the outcome {_fmt_set(ys)}: "
                    "the graph asserts that the causal effect is zero"
                )
            else:
                prob = self._problem(xs, ys, "total", set(self.selected_nodes))
                for a in self.adjusted_nodes:
                    if a in prob.causal:
                        msgs.append(f"adjusted node {a!r} is a mediator of the effect: adjusting for it blocks part of it")
                    elif a in prob.forbidden:
                        msgs.append(
                            f"adjusted node {a!r} is a descendant of a node on the causal path: adjusting for it biases the effect"
                        )
        return msgs

    def warn_role_conflicts(self) -> list[str]:
        """Emit a :class:`~radiocausal.errors.RoleWarning` per entry of :meth:`role_conflicts`."""
        msgs = self.role_conflicts()
        for m in msgs:
            warnings.warn(m, RoleWarning, stacklevel=3)
        return msgs

    # ------------------------------------------------------------------ internal structure
    def _full(self) -> tuple[dict[str, set[str]], dict[str, set[str]], frozenset[str]]:
        """Parents, children and latent nodes, with ``<->`` replaced by hidden common causes."""
        got = self._cache.get("full")
        if got is not None:
            return got
        parents = {k: set(v) for k, v in self._parents.items()}
        children = {k: set(v) for k, v in self._children.items()}
        latent = set(self.latent_nodes)
        for a, b in self._bidirected.values():
            h = f"{_HIDDEN_PREFIX}{a}<->{b}"
            parents[h] = set()
            children[h] = {a, b}
            parents[a].add(h)
            parents[b].add(h)
            latent.add(h)
        got = self._cache["full"] = (parents, children, frozenset(latent))
        return got

    def _resolve(self, exposure, outcome) -> tuple[set[str], set[str]]:
        xs = _as_set(exposure, "exposure") if exposure is not None else set(self.exposures)
        ys = _as_set(outcome, "outcome") if outcome is not None else set(self.outcomes)
        if not xs:
            raise RoleError("no exposure given and none declared: pass exposure= or declare a node [exposure]")
        if not ys:
            raise RoleError("no outcome given and none declared: pass outcome= or declare a node [outcome]")
        self._require(xs, "exposure")
        self._require(ys, "outcome")
        both = xs & ys
        if both:
            raise RoleError(f"node(s) {_fmt_set(both)} given as both exposure and outcome")
        latent = set(self.latent_nodes)
        if xs & latent:
            raise RoleError(f"exposure {_fmt_set(xs & latent)} is latent: an unobserved node cannot be intervened on")
        if ys & latent:
            raise RoleError(f"outcome {_fmt_set(ys & latent)} is latent: its effect cannot be estimated from data")
        return xs, ys

    def _resolve_selection(self, selection, xs: set[str], ys: set[str]) -> set[str]:
        sel = _as_set(selection, "selection") if selection is not None else set(self.selected_nodes)
        self._require(sel, "selection node")
        if sel & (xs | ys):
            raise RoleError(f"selection node(s) {_fmt_set(sel & (xs | ys))} cannot be the exposure or outcome")
        latent = set(self.latent_nodes)
        if sel & latent:
            raise RoleError(f"selection node(s) {_fmt_set(sel & latent)} are latent")
        return sel

    def _problem(self, xs: set[str], ys: set[str], effect: str, sel: set[str]) -> _Problem:
        key = ("problem", frozenset(xs), frozenset(ys), effect, frozenset(sel))
        got = self._cache.get(key)
        if got is not None:
            return got
        parents, children, latent = self._full()
        causal = alg.proper_causal_nodes(parents, children, xs, ys)
        if effect == "total":
            forbidden = alg.descendants(children, causal) | xs
            sep_parents = dict(parents)
            sep_children = dict(children)
            for v in causal:
                if parents[v] & xs:
                    sep_parents[v] = parents[v] - xs
            for x in xs:
                sep_children[x] = children[x] - causal
        elif effect == "direct":
            # descendants of the outcomes that the exposure affects (dagitty's rule): adjusting for
            # them can bias the direct effect; when X does not affect Y the direct effect is nil anyway
            forbidden = alg.descendants(children, ys & alg.descendants(children, xs)) | xs
            sep_parents = dict(parents)
            sep_children = dict(children)
            for y in ys:
                sep_parents[y] = parents[y] - xs
            for x in xs:
                sep_children[x] = children[x] - ys
        else:
            raise GraphError(f"effect must be one of {_EFFECTS}, got {effect!r}")
        allowed = set(self._parents) - latent - forbidden - xs - ys - sel
        if sel:
            # the sample's covariate distribution equals the population's only for covariates
            # marginally independent of selection (van der Zander et al. 2019, Sec. 6; Correa et al. 2018)
            allowed -= alg.d_connected(parents, children, sel, ())
        prob = _Problem(
            frozenset(xs),
            frozenset(ys),
            frozenset(sel),
            effect,
            sep_parents,
            sep_children,
            frozenset(causal),
            frozenset(forbidden),
            frozenset(allowed),
        )
        self._cache[key] = prob
        return prob

    def _prepare(self, exposure, outcome, effect, selection, include=None, exclude=None):
        if effect not in _EFFECTS:
            raise GraphError(f"effect must be one of {_EFFECTS}, got {effect!r}")
        xs, ys = self._resolve(exposure, outcome)
        sel = self._resolve_selection(selection, xs, ys)
        prob = self._problem(xs, ys, effect, sel)
        inc = _as_set(include, "include") if include is not None else set(self.adjusted_nodes)
        exc = _as_set(exclude, "exclude")
        self._require(inc, "include node")
        self._require(exc, "exclude node")
        return prob, inc, exc

    def _separates(self, prob: _Problem, zs: Iterable[str]) -> bool:
        reach = alg.d_connected(prob.parents, prob.children, prob.xs | prob.sel, set(zs))
        return not (reach & prob.ys)

    def _canonical(self, prob: _Problem, include: set[str], allowed: frozenset[str]) -> frozenset[str] | None:
        if not include <= allowed:
            return None
        parents, _, _ = self._full()
        anc = alg.ancestors(parents, prob.xs | prob.ys | prob.sel | include)
        z = frozenset((anc & allowed) | include)
        return z if self._separates(prob, z) else None

    # ------------------------------------------------------------------ d-separation
    def is_d_separated(
        self, xs: str | Iterable[str], ys: str | Iterable[str], zs: str | Iterable[str] = ()
    ) -> bool:
        """Whether ``zs`` d-separates ``xs`` from ``ys`` (latent and ``<->`` structure included).

        Examples
        --------
        >>> dag = CausalDAG([("a", "c"), ("b", "c")])
        >>> dag.is_d_separated("a", "b"), dag.is_d_separated("a", "b", "c")
        (True, False)
        """
        x, y, z = _as_set(xs, "xs"), _as_set(ys, "ys"), _as_set(zs, "zs")
        for what, s in (("xs", x), ("ys", y), ("zs", z)):
            self._require(s, f"node in {what}")
        if (x & y) or (x & z) or (y & z):
            raise GraphError(
                f"xs, ys and zs must be disjoint, got xs={_fmt_set(x)}, ys={_fmt_set(y)}, zs={_fmt_set(z)}"
            )
        parents, children, _ = self._full()
        return not (alg.d_connected(parents, children, x, z) & y)

    def find_minimal_separator(
        self,
        xs: str | Iterable[str],
        ys: str | Iterable[str],
        *,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> NodeSet | None:
        """One minimal set of observed nodes that d-separates ``xs`` from ``ys``, or None if none does.

        Linear time (van der Zander et al. 2019, ``FindMinSep``).  The set contains ``include`` and is
        minimal among such sets; latent nodes and ``exclude`` are never used.

        Examples
        --------
        >>> dag = CausalDAG([("c", "a"), ("c", "b"), ("a", "d"), ("b", "d")])
        >>> dag.find_minimal_separator("a", "b")
        frozenset({'c'})
        """
        x, y = _as_set(xs, "xs"), _as_set(ys, "ys")
        inc, exc = _as_set(include, "include"), _as_set(exclude, "exclude")
        for what, s_ in (("xs", x), ("ys", y), ("include", inc), ("exclude", exc)):
            self._require(s_, f"node in {what}")
        if x & y:
            raise GraphError(f"xs and ys must be disjoint, got xs={_fmt_set(x)}, ys={_fmt_set(y)}")
        parents, _, latent = self._full()
        restrict = set(self._parents) - latent - x - y - exc
        if not inc <= restrict:
            return None
        found = alg.find_minimal_separator(parents, x, y, inc, restrict)
        return None if found is None else NodeSet(found)

    def find_open_path(
        self, xs: str | Iterable[str], ys: str | Iterable[str], zs: str | Iterable[str] = ()
    ) -> str | None:
        """A shortest path between ``xs`` and ``ys`` left open by ``zs``, written out, or None."""
        x, y, z = _as_set(xs, "xs"), _as_set(ys, "ys"), _as_set(zs, "zs")
        for what, s in (("xs", x), ("ys", y), ("zs", z)):
            self._require(s, f"node in {what}")
        parents, children, _ = self._full()
        found = alg.find_open_path(parents, children, x, y, z)
        return None if found is None else _fmt_path(*found)

    # ------------------------------------------------------------------ adjustment
    def iter_adjustment_sets(
        self,
        exposure: str | Iterable[str] | None = None,
        outcome: str | Iterable[str] | None = None,
        kind: Literal["minimal", "minimum"] = "minimal",
        *,
        effect: Literal["total", "direct"] = "total",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        selection: Iterable[str] | None = None,
        costs: Mapping[str, float] | None = None,
    ) -> Iterator[frozenset[str]]:
        """Lazily yield adjustment sets, with polynomial delay (for graphs with very many sets).

        Same parameters as :meth:`adjustment_sets`, for ``kind`` ``"minimal"`` or ``"minimum"``;
        the order is deterministic but not sorted.
        """
        if kind not in ("minimal", "minimum"):
            raise GraphError(f"iter_adjustment_sets: kind must be 'minimal' or 'minimum', got {kind!r}")
        prob, inc, exc = self._prepare(exposure, outcome, effect, selection, include, exclude)
        allowed = prob.allowed - exc
        if not inc <= allowed:
            return
        parents, _, _ = self._full()
        anc = alg.ancestors(parents, prob.xs | prob.ys | prob.sel | inc)
        adj = alg.moral_adjacency(prob.parents, anc)
        for v in inc:
            for u in adj.pop(v):
                if u in adj:
                    adj[u].discard(v)
        a_side = set(prob.xs | prob.sel)
        b_side = set(prob.ys)
        cand = set(allowed - inc)
        if kind == "minimal":
            for z in alg.iter_minimal_separators(adj, a_side, b_side, cand):
                yield NodeSet(z | inc)
        else:
            costs = dict(costs or {})
            self._require(costs, "costs key")
            for k, c in costs.items():
                if not (isinstance(c, (int, float)) and c > 0 and c != float("inf")):
                    raise GraphError(f"costs[{k!r}] must be a positive finite number, got {c!r}")
            cost = {v: float(costs.get(v, 1.0)) for v in cand}
            for z in alg.iter_minimum_separators(adj, a_side, b_side, cand, cost):
                yield NodeSet(z | inc)

    def adjustment_sets(
        self,
        exposure: str | Iterable[str] | None = None,
        outcome: str | Iterable[str] | None = None,
        kind: Literal["minimal", "canonical", "optimal", "minimum"] = "minimal",
        *,
        effect: Literal["total", "direct"] = "total",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        selection: Iterable[str] | None = None,
        costs: Mapping[str, float] | None = None,
    ) -> list[frozenset[str]]:
        """Covariate sets that identify the causal effect by adjustment.

        Parameters
        ----------
        exposure, outcome : str or iterable of str, optional
            Default: the nodes declared ``exposure`` and ``outcome``.
        kind : {"minimal", "canonical", "optimal", "minimum"}
            ``"minimal"``: all minimal sufficient sets by the generalised adjustment criterion
            (Shpitser et al. 2010; Perković et al. 2018), listed with polynomial delay on the
            moralised proper back-door graph (van der Zander et al. 2019).
            ``"canonical"``: the canonical set An(X ∪ Y) minus the forbidden, latent and
            selection-dependent nodes, when valid.  ``"optimal"``: the O-set of Henckel,
            Perković & Maathuis (2022), the valid set with the smallest asymptotic variance
            in linear models; raises :class:`IdentificationError` when latent nodes make it
            undefined.  ``"minimum"``: the sets of smallest size, or of smallest total cost
            when ``costs`` are given.
        effect : {"total", "direct"}
            ``"direct"`` gives sets for the controlled direct effect of X on Y: every path
            except the edges X -> Y blocked, and no descendant of an outcome that X affects
            (Pearl's single-door criterion, as dagitty applies it).
        include : iterable of str, optional
            Nodes every set must contain (the sets are minimal among those containing them).
            For ``"minimal"`` and ``"minimum"`` the default is the nodes declared ``adjusted`` (as
            in dagitty); pass ``include=()`` to ignore them.  ``"canonical"`` and ``"optimal"``
            ignore declared ``adjusted`` nodes.
        exclude : iterable of str, optional
            Nodes no set may contain (e.g. not measured in this study).
        selection : iterable of str, optional
            Study-inclusion nodes; default: those declared ``selected``.  The data are assumed
            to come from the selected patients only, so a set must (i) d-separate the outcome
            from exposure *and* selection in the proper back-door graph and (ii) contain only
            covariates that selection does not depend on (their sample distribution is then
            the population's).  See :meth:`explain_adjustment` for the reasons when it fails.
        costs : mapping of str to float, optional
            Per-node cost for ``kind="minimum"`` (default 1 each).

        Returns
        -------
        list of frozenset of str
            Sorted by size, then names.  ``[]`` means **no** covariate adjustment identifies the
            effect; ``[frozenset()]`` means no adjustment is needed.  Latent nodes never appear.

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty('''dag { x [exposure] y [outcome]
        ...   a -> x ; a -> m ; b -> m ; b -> y ; x -> y }''')
        >>> dag.adjustment_sets()                      # M-bias: nothing needed
        [frozenset()]
        >>> dag.adjustment_sets(include=["m"])         # if m must be adjusted
        [frozenset({'a', 'm'}), frozenset({'b', 'm'})]
        >>> dag.adjustment_sets(kind="canonical")
        [frozenset({'a', 'b'})]
        """
        if kind not in _KINDS:
            raise GraphError(f"kind must be one of {_KINDS}, got {kind!r}")
        if kind in ("minimal", "minimum"):
            sets = list(
                self.iter_adjustment_sets(
                    exposure, outcome, kind, effect=effect, include=include, exclude=exclude,
                    selection=selection, costs=costs,
                )
            )
            return sorted(sets, key=lambda s: (len(s), sorted(s)))
        # the declared [adjusted] nodes shape the *lists* (as in dagitty), not the single fixed sets
        prob, inc, exc = self._prepare(exposure, outcome, effect, selection, include or (), exclude)
        allowed = prob.allowed - exc
        canonical = self._canonical(prob, inc, allowed)
        if canonical is None:
            return []
        if kind == "canonical":
            return [NodeSet(canonical)]
        # optimal
        if effect != "total":
            raise GraphError("kind='optimal' is defined for the total effect only (effect='total')")
        if inc or exc:
            raise GraphError("kind='optimal' does not take include= or exclude=: the O-set is a single fixed set")
        parents, _, latent = self._full()
        o_set = set()
        for v in prob.causal:
            o_set |= parents[v]
        o_set -= prob.forbidden
        hidden = {v for v in o_set if v in latent}
        if hidden:
            names = sorted(v if not v.startswith(_HIDDEN_PREFIX) else v[1:] for v in hidden)
            raise IdentificationError(
                "the optimal (O-)set is undefined here: it would contain the unobserved "
                f"{', '.join(names)} (parents of nodes on the causal path); use kind='minimal' or "
                "'canonical', which remain valid with latent nodes"
            )
        o_set = frozenset(o_set)
        if not (o_set <= allowed) or not self._separates(prob, o_set):
            not_affected = sorted(prob.ys - alg.descendants(self._full()[1], prob.xs))
            if not_affected:
                why = (
                    f"the graph has no causal path from {_fmt_set(prob.xs)} to {_fmt_set(not_affected)} "
                    "(the effect is zero by assumption), and the O-set is defined only for outcomes that "
                    "descend from the exposure"
                )
            else:
                why = "the declared selection makes it invalid"
            raise IdentificationError(
                f"the optimal (O-)set {_fmt_set(o_set)} is not a valid adjustment set here: {why}; "
                "use kind='minimal' or 'canonical'"
            )
        return [NodeSet(o_set)]

    def is_adjustment_set(
        self,
        adjustment_set: Iterable[str] | None = None,
        exposure: str | Iterable[str] | None = None,
        outcome: str | Iterable[str] | None = None,
        *,
        effect: Literal["total", "direct"] = "total",
        selection: Iterable[str] | None = None,
    ) -> bool:
        """Whether ``adjustment_set`` (default: the nodes declared ``adjusted``) identifies the effect.

        See :meth:`explain_adjustment` for the reasons.

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty("dag { g -> x -> y ; g -> y ; x [exposure] ; y [outcome] }")
        >>> dag.is_adjustment_set([]), dag.is_adjustment_set(["g"])
        (False, True)
        """
        prob, zs = self._judged_set(adjustment_set, exposure, outcome, effect, selection)
        return zs <= prob.allowed and self._separates(prob, zs)

    def _judged_set(self, adjustment_set, exposure, outcome, effect, selection):
        prob, _, _ = self._prepare(exposure, outcome, effect, selection)
        if adjustment_set is None:
            zs = set(self.adjusted_nodes)
        else:
            zs = _as_set(adjustment_set, "adjustment_set")
        self._require(zs, "adjustment_set node")
        return prob, NodeSet(zs)

    def explain_adjustment(
        self,
        adjustment_set: Iterable[str] | None = None,
        exposure: str | Iterable[str] | None = None,
        outcome: str | Iterable[str] | None = None,
        *,
        effect: Literal["total", "direct"] = "total",
        selection: Iterable[str] | None = None,
        max_paths: int = 5,
    ) -> AdjustmentExplanation:
        """Judge ``adjustment_set`` and say why, in words, with a witness path for each problem.

        ``max_paths`` bounds how many distinct open back-door paths are listed (each further one
        is found after blocking the previous at an observed node); every adjusted node that opens
        a path through a collider gets its own witness.

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty('''dag { EGFR [exposure] texture [outcome]
        ...   EGFR -> texture ; grade -> EGFR ; grade -> texture
        ...   EGFR -> biopsy_site <- symptoms -> texture }''')
        >>> print(dag.explain_adjustment(["biopsy_site"]))
        adjustment set {biopsy_site} for the effect of EGFR on texture: NOT valid
          - the back-door path `EGFR <- grade -> texture` stays open
          - adjusting for `biopsy_site` opens the non-causal path `EGFR -> biopsy_site <- symptoms -> texture` (collider)
        """
        prob, zs = self._judged_set(adjustment_set, exposure, outcome, effect, selection)
        parents, children, latent = self._full()
        problems: list[str] = []
        notes: list[str] = []
        x_label = ", ".join(f"`{x}`" for x in sorted(prob.xs))
        for z in sorted(zs):
            if z in prob.xs:
                problems.append(f"`{z}` is the exposure itself and cannot be adjusted for")
            elif z in prob.ys:
                problems.append(f"`{z}` is the outcome itself and cannot be adjusted for")
            elif z in latent:
                problems.append(f"`{z}` is latent (unobserved): it cannot be adjusted for")
            elif z in prob.sel:
                notes.append(f"`{z}` is the study-inclusion node: conditioning on it is always in force")
            elif effect == "total" and z in prob.causal:
                path = self._causal_path_through(prob, z)
                problems.append(
                    f"`{z}` is a mediator on `{' -> '.join(path)}`: adjusting for it blocks part of the effect"
                )
            elif z in prob.forbidden:
                problems.append(self._forbidden_reason(prob, z))
            elif z not in prob.allowed and prob.sel:
                found = alg.find_open_path(parents, children, {z}, prob.sel, ())
                via = f" (path `{_fmt_path(*found)}`)" if found else ""
                problems.append(
                    f"`{z}` is associated with study inclusion {_fmt_set(prob.sel)}{via}: its distribution among the "
                    "selected patients differs from the population's, so adjusting for it does not recover the effect"
                )
        usable = {z for z in zs if z not in latent and z not in prob.xs and z not in prob.ys}
        starts = prob.xs | prob.sel
        found = alg.find_open_path(prob.parents, prob.children, starts, prob.ys, usable)
        if found is not None:
            # Witnesses: the shortest open path; then the paths left open by the covariates that are
            # ancestors of X or Y (back-door paths), one after another, each found after blocking
            # the previous one at an observed node (up to max_paths); then, per adjusted node, a
            # path that conditioning on it opens through a collider.
            anc_xy = alg.ancestors(parents, prob.xs | prob.ys | prob.sel)
            witnesses = [found]
            cond = set(usable & anc_xy)
            for _ in range(max_paths):
                w = alg.find_open_path(prob.parents, prob.children, starts, prob.ys, cond)
                if w is None:
                    break
                if w not in witnesses:
                    witnesses.append(w)
                nodes, arrows = w
                blockers = [
                    v
                    for i, v in enumerate(nodes[1:-1], start=1)
                    if v in prob.allowed and not (arrows[i - 1] == "->" and arrows[i] == "<-")
                ]
                if not blockers:
                    break  # nothing observed can block this path: it is reported as such
                cond.add(blockers[0])
            colliders = alg.find_collider_paths(prob.parents, prob.children, starts, prob.ys, usable)
            witnesses += [colliders[z] for z in sorted(colliders)]
            for nodes, arrows in witnesses:
                for msg, is_note in self._describe_open_path(prob, nodes, arrows, usable, latent):
                    target = notes if is_note else problems
                    if msg not in target:
                        target.append(msg)
        valid = zs <= prob.allowed and found is None
        if valid:
            if zs:
                notes.append(f"blocks every non-causal path from {x_label} and contains no forbidden node")
            else:
                notes.append(f"no adjustment is needed: no non-causal path from {x_label} is open")
        else:
            inc = set()
            can = self._canonical(prob, inc, prob.allowed)
            if can is None:
                notes.append(
                    "no set of observed covariates identifies this effect by adjustment"
                    + (" under the declared selection" if prob.sel else "")
                )
        return AdjustmentExplanation(
            valid, zs, tuple(sorted(prob.xs)), tuple(sorted(prob.ys)), problems, notes
        )

    def _describe_open_path(self, prob, nodes, arrows, usable, latent) -> list[tuple[str, bool]]:
        """Messages ``(text, is_note)`` for one open trail between exposure/selection and outcome."""
        text = _fmt_path(nodes, arrows)
        out: list[tuple[str, bool]] = []
        opened = []
        for i in range(1, len(nodes) - 1):
            if arrows[i - 1] == "->" and arrows[i] == "<-":
                c = nodes[i]
                if c in usable:
                    opened.append((c, None))
                else:
                    trig = sorted(alg.descendants(prob.children, {c}) & usable)
                    opened.append((trig[0] if trig else c, c))
        if nodes[0] in prob.sel:
            out.append(
                (
                    f"selection on `{nodes[0]}` leaves the path `{text}` open: the outcome depends on study "
                    "inclusion given the exposure and covariates",
                    False,
                )
            )
            return out
        for z, c in opened:
            if c is None:
                out.append((f"adjusting for `{z}` opens the non-causal path `{text}` (collider)", False))
            else:
                out.append(
                    (f"adjusting for `{z}`, a descendant of the collider `{c}`, opens the non-causal path `{text}`", False)
                )
        if not opened:
            kind = "back-door path" if arrows and arrows[0] == "<-" else "non-causal path"
            out.append((f"the {kind} `{text}` stays open", False))
            batch = [v for v in nodes[1:-1] if v in set(self.batch_nodes)]
            if batch:
                out.append(
                    (
                        f"the batch node(s) {', '.join(f'`{b}`' for b in batch)} (a technical common cause: scanner, "
                        "site or sequencing run) confound this association: adjust for them or model them as "
                        "batch effects",
                        False,
                    )
                )
            inner = nodes[1:-1]
            if inner and all(v in latent for v in inner):
                hidden = [v for v in inner if not v.startswith(_HIDDEN_PREFIX)]
                what = f"only through unobserved {', '.join(hidden)}" if hidden else "through an unobserved common cause"
                out.append((f"the path `{text}` runs {what}: no set of observed covariates can block it", True))
        return out

    def _causal_path_through(self, prob: _Problem, z: str) -> list[str]:
        parents, children, _ = self._full()
        good = set(prob.causal)

        def bfs(starts: set[str], targets: set[str]) -> list[str]:
            pred = {s: None for s in starts}
            queue = deque(sorted(starts))
            while queue:
                v = queue.popleft()
                if v in targets:
                    path = [v]
                    while pred[path[-1]] is not None:
                        path.append(pred[path[-1]])
                    return path[::-1]
                for c in sorted(children[v]):
                    if c in good and c not in pred:
                        pred[c] = v
                        queue.append(c)
            return [z]

        first = bfs(set(prob.xs), {z})
        second = bfs({z}, set(prob.ys))
        return first + second[1:]

    def _forbidden_reason(self, prob: _Problem, z: str) -> str:
        parents, children, _ = self._full()
        if prob.effect == "direct":
            return f"`{z}` is a descendant of the outcome {_fmt_set(prob.ys)}: adjusting for it can bias the effect"
        anc = alg.ancestors(parents, {z})
        ys_above = sorted(anc & prob.ys)
        if ys_above:
            return f"`{z}` is a descendant of the outcome `{ys_above[0]}`: adjusting for it can bias the effect"
        meds = sorted(anc & prob.causal)
        if meds:
            return (
                f"`{z}` is a descendant of the mediator `{meds[0]}`: adjusting for it blocks part of the effect "
                "or biases it"
            )
        return f"`{z}` may not be adjusted for"

    # ------------------------------------------------------------------ instruments
    def conditional_instruments(
        self, exposure: str | None = None, outcome: str | None = None
    ) -> list[tuple[str, NodeSet]]:
        """Conditional instrumental variables for the effect of ``exposure`` on ``outcome``.

        For each observed node ``z`` (not latent, not selected), the *ancestral instrument* test of
        van der Zander, Textor & Liśkiewicz (2015): take the separator ``W`` of the outcome and ``z``
        nearest to the outcome in the proper back-door graph (mediators excluded); ``z`` is an
        instrument given ``W`` when ``W`` contains neither the exposure nor a descendant of the
        outcome and ``z`` stays d-connected to the exposure given ``W``.  If ``z`` is an instrument
        given any set, it is one given this ``W``.

        Returns
        -------
        list of (str, frozenset of str)
            ``(instrument, conditioning set)`` pairs sorted by instrument.

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty(
        ...     "dag { x [exposure] y [outcome] u [latent] z -> x -> y ; u -> x ; u -> y ; w -> u ; w -> z }")
        >>> dag.conditional_instruments()
        [('z', frozenset({'w'}))]
        """
        xs, ys = self._resolve(exposure, outcome)
        if len(xs) != 1 or len(ys) != 1:
            raise GraphError(
                f"conditional_instruments needs one exposure and one outcome, got {_fmt_set(xs)} and {_fmt_set(ys)}"
            )
        (x,) = xs
        (y,) = ys
        prob = self._problem(xs, ys, "total", set())
        _, _, latent = self._full()
        de_y = alg.descendants(prob.children, ys)
        mediators = prob.causal - ys
        sel = set(self.selected_nodes)
        out: list[tuple[str, NodeSet]] = []
        for z in self._order:
            if z in (x, y) or z in latent or z in sel:
                continue
            anc = alg.ancestors(prob.parents, {y, z})
            adj = alg.moral_adjacency(prob.parents, anc)
            allowed = set(anc) - latent - mediators - {y, z}
            w = next(alg.iter_minimal_separators(adj, {y}, {z}, allowed), None)
            if w is None or (w & de_y) or x in w:
                continue
            if not (alg.d_connected(prob.parents, prob.children, {x}, w) & {z}):
                continue
            out.append((z, NodeSet(w)))
        return out

    # ------------------------------------------------------------------ derived roles
    def derived_roles(
        self, exposure: str | Iterable[str] | None = None, outcome: str | Iterable[str] | None = None
    ) -> dict[str, tuple[str, ...]]:
        """Roles each node plays for the effect of ``exposure`` on ``outcome``.

        Roles (a node may have several): ``confounder`` (a cause of the exposure that affects the
        outcome other than through it), ``mediator`` (on a causal path), ``collider`` (a common effect on a
        path between exposure and outcome: adjusting for it alone opens that path), ``descendant_of_exposure``, ``descendant_of_outcome``,
        ``instrument`` (associated with the exposure, independent of the outcome except through
        it) and ``precision`` (a cause of the outcome independent of the exposure).

        Examples
        --------
        >>> dag = CausalDAG.from_dagitty("dag { g -> x -> m -> y ; g -> y ; x [exposure] ; y [outcome] }")
        >>> dag.derived_roles()["g"], dag.derived_roles()["m"]
        (('confounder',), ('mediator', 'descendant_of_exposure'))
        """
        xs, ys = self._resolve(exposure, outcome)
        parents, children, latent = self._full()
        prob = self._problem(xs, ys, "total", set())
        de_x = alg.descendants(children, xs) - xs
        de_y = alg.descendants(children, ys) - ys
        an_x = alg.ancestors(parents, xs) - xs
        an_y = alg.ancestors(parents, ys) - ys
        an_y_avoid_x = alg.directed_reach(parents, ys, avoid=xs) - ys  # causes of Y not through X
        d_con_x = alg.d_connected(parents, children, xs, ())
        out_x_removed = {k: (v - xs) for k, v in parents.items()}
        ch_x_removed = {k: (set() if k in xs else v) for k, v in children.items()}
        d_con_y_no_x = alg.d_connected(out_x_removed, ch_x_removed, ys, ())
        opened_by = {
            v
            for v in self._order
            if v not in xs and v not in ys and len(parents[v]) >= 2
            and v in alg.find_collider_paths(parents, children, xs, ys, {v})
        }
        result: dict[str, tuple[str, ...]] = {}
        for v in self._order:
            r: list[str] = []
            if v in xs:
                r.append("exposure")
            if v in ys:
                r.append("outcome")
            if v not in xs and v not in ys:
                if v in an_x and v in an_y_avoid_x and v not in de_x:
                    r.append("confounder")
                if v in prob.causal:
                    r.append("mediator")
                if v in opened_by:
                    r.append("collider")
                if v in de_x:
                    r.append("descendant_of_exposure")
                if v in de_y:
                    r.append("descendant_of_outcome")
                if v not in de_x and v in d_con_x and v not in d_con_y_no_x:
                    r.append("instrument")
                if v not in de_x and v not in d_con_x and v in an_y:
                    r.append("precision")
            result[v] = tuple(r)
        return result

