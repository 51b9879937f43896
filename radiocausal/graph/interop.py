"""Hand a :class:`~radiocausal.graph.CausalDAG` to other tools: networkx, Graphviz (DOT) and DoWhy.

Bidirected edges
----------------
``a <-> b`` means "an unobserved common cause of ``a`` and ``b``".  Every export below writes it
**as that common cause**: an explicit latent node (named ``U[a<->b]``, made unique if a node of
that name already exists) with the edges ``U -> a`` and ``U -> b``.  The node carries
``roles=("latent",)`` and ``bidirected=(a, b)``; :func:`from_networkx` folds such nodes back
into ``a <-> b``, so ``from_networkx(to_networkx(dag)) == dag``.  An explicit node (rather
than an edge attribute) keeps the exported graph a correct causal DAG for any tool that reads it:
d-separation in networkx, DoWhy's identification, Graphviz layouts.

Roles
-----
Declared roles travel as the node attribute ``roles``: a tuple of role names in the order of
:data:`~radiocausal.graph.DECLARED_ROLES` (``exposure``, ``outcome``, ``latent``, ``selected``,
``adjusted``, ``batch``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from radiocausal.errors import GraphError, RoleWarning
from radiocausal.graph._dagitty import DECLARED_ROLES

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from radiocausal.graph.dag import CausalDAG

__all__ = ["to_networkx", "from_networkx", "to_dot", "to_dowhy", "bidirected_node_name"]

#: Fill colour and Graphviz style per declared role (shared with :mod:`radiocausal.graph.drawing`).
ROLE_COLOURS: dict[str, str] = {
    "exposure": "#a5d6a7",  # green
    "outcome": "#90caf9",  # blue
    "selected": "#ce93d8",  # purple
    "batch": "#ffcc80",  # orange
    "latent": "#eeeeee",  # light grey, dashed outline
    "adjusted": "#fff59d",  # yellow, thick outline
    None: "#ffffff",  # no declared role
}
#: Precedence when a node has several roles (the first present gives the fill colour).
ROLE_PRECEDENCE = ("exposure", "outcome", "selected", "batch", "latent", "adjusted")


def _sorted_roles(roles: Iterable[str]) -> tuple[str, ...]:
    rs = set(roles)
    return tuple(r for r in DECLARED_ROLES if r in rs)


def primary_role(roles: Iterable[str]) -> str | None:
    """The role that decides a node's fill colour (see :data:`ROLE_PRECEDENCE`), or None."""
    rs = set(roles)
    for r in ROLE_PRECEDENCE:
        if r in rs:
            return r
    return None


def bidirected_node_name(a: str, b: str, taken: Iterable[str] = ()) -> str:
    """Name of the explicit latent node that stands for ``a <-> b``: ``U[a<->b]``, made unique.

    Examples
    --------
    >>> bidirected_node_name("scanner", "site")
    'U[scanner<->site]'
    >>> bidirected_node_name("a", "b", taken={"U[a<->b]"})
    'U[a<->b]_2'
    """
    taken = set(taken)
    base = f"U[{a}<->{b}]"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def _parse_pos(value: Any) -> tuple[float, float] | None:
    """A dagitty ``pos="x,y"`` string (or an (x, y) pair) as floats; None when absent or malformed."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.split(",")
        if len(parts) != 2:
            return None
        try:
            return float(parts[0]), float(parts[1])
        except ValueError:
            return None
    try:
        x, y = value
        return float(x), float(y)
    except (TypeError, ValueError):
        return None


def _format_pos(value: Any, node: str) -> str:
    if isinstance(value, str):
        if _parse_pos(value) is None:
            raise GraphError(f"node {node!r}: pos must be 'x,y' or an (x, y) pair of numbers, got {value!r}")
        return value
    xy = _parse_pos(value)
    if xy is None:
        raise GraphError(f"node {node!r}: pos must be 'x,y' or an (x, y) pair of numbers, got {value!r}")
    return ",".join(str(int(c)) if float(c).is_integer() else repr(float(c)) for c in xy)


# ---------------------------------------------------------------------------------------- networkx
def to_networkx(dag: CausalDAG) -> nx.DiGraph:
    """The DAG as a :class:`networkx.DiGraph`, with roles and ``<->`` as explicit latent nodes.

    Parameters
    ----------
    dag : CausalDAG

    Returns
    -------
    networkx.DiGraph
        Node attributes: ``roles`` (tuple of declared roles), ``pos`` ((x, y) floats, when the
        DAG was read from dagitty text with positions) and, on the latent node standing for
        ``a <-> b``, ``bidirected=(a, b)``.  Graph attributes: ``name`` (the study name) and
        ``dagitty`` (graph attributes such as ``bb``, when present).

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { X [exposure] Y [outcome] X -> Y ; X <-> Y }")
    >>> g = to_networkx(dag)
    >>> sorted(g.edges)
    [('U[X<->Y]', 'X'), ('U[X<->Y]', 'Y'), ('X', 'Y')]
    >>> g.nodes["X"]["roles"], g.nodes["U[X<->Y]"]["roles"]
    (('exposure',), ('latent',))
    >>> from_networkx(g) == dag
    True
    """
    import networkx as nx

    g = nx.DiGraph()
    g.graph["name"] = dag.name
    graph_attrs = getattr(dag, "_graph_attrs", {}) or {}
    if graph_attrs:
        g.graph["dagitty"] = dict(graph_attrs)
    node_attrs = getattr(dag, "_node_attrs", {}) or {}
    for v in dag.nodes:
        attrs: dict[str, Any] = {"roles": _sorted_roles(dag.roles(v))}
        pos = _parse_pos(node_attrs.get(v, {}).get("pos"))
        if pos is not None:
            attrs["pos"] = pos
        g.add_node(v, **attrs)
    g.add_edges_from(dag.edges)
    taken = set(dag.nodes)
    for a, b in dag.bidirected_edges:
        u = bidirected_node_name(a, b, taken)
        taken.add(u)
        g.add_node(u, roles=("latent",), bidirected=(a, b))
        g.add_edge(u, a)
        g.add_edge(u, b)
    return g


def _roles_of(attrs: Mapping[str, Any], node: str) -> list[str]:
    raw = attrs.get("roles", ())
    if raw is None:
        raw = ()
    if isinstance(raw, str):
        raw = [r for r in re.split(r"[,\s]+", raw) if r]
    try:
        roles = list(raw)
    except TypeError:
        raise GraphError(f"node {node!r}: attribute 'roles' must be a role name or an iterable of them, got {raw!r}") from None
    for r in roles:
        if not isinstance(r, str):
            raise GraphError(f"node {node!r}: attribute 'roles' must contain role names (str), got {r!r}")
    observed = attrs.get("observed")
    if observed is not None and str(observed).lower() in ("no", "false", "0"):
        roles.append("latent")  # DoWhy's convention
    return roles


def from_networkx(g: nx.DiGraph, *, name: str | None = None) -> CausalDAG:
    """Build a :class:`CausalDAG` from a directed networkx graph.

    Parameters
    ----------
    g : networkx.DiGraph
        Nodes must be strings.  Read from node attributes: ``roles`` (a role name, a comma- or
        space-separated string, or an iterable), DoWhy's ``observed="no"`` (read as ``latent``),
        ``pos`` (an (x, y) pair or dagitty's ``"x,y"``) and ``bidirected=(a, b)`` on a latent node
        with exactly the two children ``a`` and ``b`` and no parents, which becomes ``a <-> b``
        (see the module notes).
    name : str, optional
        Study name; default ``g.graph["name"]``.

    Returns
    -------
    CausalDAG

    Raises
    ------
    GraphError
        ``g`` is undirected, a multigraph, has non-string nodes or malformed attributes.
    CycleError
        ``g`` has a directed cycle.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([("grade", "EGFR"), ("grade", "texture"), ("EGFR", "texture")])
    >>> g.nodes["EGFR"]["roles"] = "exposure"
    >>> g.nodes["texture"]["roles"] = ["outcome"]
    >>> from_networkx(g).adjustment_sets()
    [frozenset({'grade'})]
    """
    import networkx as nx

    from radiocausal.graph.dag import CausalDAG

    if not isinstance(g, nx.Graph):
        raise GraphError(f"g must be a networkx.DiGraph, got {type(g).__name__}")
    if not g.is_directed():
        raise GraphError("g must be a directed graph (networkx.DiGraph), got an undirected graph")
    if g.is_multigraph():
        raise GraphError("g must be a networkx.DiGraph, got a multigraph: a causal DAG has at most one edge per pair")
    for v in g.nodes:
        if not isinstance(v, str):
            raise GraphError(f"node names must be strings, got {v!r} ({type(v).__name__})")

    folded: set[str] = set()
    bidirected: list[tuple[str, str]] = []
    for v, attrs in g.nodes(data=True):
        pair = attrs.get("bidirected")
        if pair is None:
            continue
        try:
            a, b = pair
        except (TypeError, ValueError):
            raise GraphError(f"node {v!r}: attribute 'bidirected' must be a pair (a, b), got {pair!r}") from None
        if g.in_degree(v) != 0 or set(g.successors(v)) != {a, b}:
            raise GraphError(
                f"node {v!r} is marked bidirected=({a!r}, {b!r}) but is not a parentless common cause of exactly "
                f"{a!r} and {b!r} (children: {sorted(g.successors(v))}, parents: {sorted(g.predecessors(v))})"
            )
        folded.add(v)
        bidirected.append((a, b))

    nodes = [v for v in g.nodes if v not in folded]
    edges = [(u, v) for u, v in g.edges if u not in folded]
    roles = {v: _roles_of(g.nodes[v], v) for v in nodes}
    roles = {v: rs for v, rs in roles.items() if rs}
    dag = CausalDAG(
        edges,
        nodes=nodes,
        bidirected=bidirected,
        roles=roles,
        name=name if name is not None else g.graph.get("name"),
    )
    for v in nodes:
        pos = g.nodes[v].get("pos")
        if pos is not None:
            dag._node_attrs.setdefault(v, {})["pos"] = _format_pos(pos, v)
    extra = g.graph.get("dagitty")
    if isinstance(extra, Mapping):
        dag._graph_attrs = {str(k): str(val) for k, val in extra.items()}
    return dag


# --------------------------------------------------------------------------------------------- DOT
def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _as_name_set(value: Iterable[str] | None, what: str, dag: CausalDAG) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        value = [value]
    out = set(value)
    unknown = sorted(v for v in out if v not in dag)
    if unknown:
        from radiocausal.errors import UnknownNodeError

        raise UnknownNodeError(f"{what} node {unknown[0]!r} is not a node of the graph")
    return out


def to_dot(dag: CausalDAG, *, adjustment_set: Iterable[str] | None = None, rankdir: str = "TB") -> str:
    """The DAG as Graphviz DOT text, with roles as node styles.

    Styles: exposure green, outcome blue, selection purple with a double border, batch orange
    hexagon, latent grey with a dashed border, ``adjusted`` nodes (or ``adjustment_set`` when
    given) yellow with a bold border.  ``a <-> b`` is drawn as a dashed edge with arrowheads at
    both ends (``dir=both``).  Node positions read from dagitty text become ``pos="x,y!"`` (with
    y flipped: dagitty's y axis points down), which ``neato -n`` honours.

    Parameters
    ----------
    dag : CausalDAG
    adjustment_set : iterable of str, optional
        Nodes to highlight as adjusted for; default the nodes declared ``adjusted``.
    rankdir : {"TB", "LR", "BT", "RL"}
        Graphviz layout direction.

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { X [exposure] Y [outcome] X -> Y ; X <-> Y }")
    >>> print(to_dot(dag))  # doctest: +NORMALIZE_WHITESPACE
    digraph {
      rankdir=TB;
      node [shape=ellipse, style=filled, fillcolor="#ffffff", fontname="Helvetica"];
      "X" [fillcolor="#a5d6a7", tooltip="exposure"];
      "Y" [fillcolor="#90caf9", tooltip="outcome"];
      "X" -> "Y";
      "X" -> "Y" [dir=both, style=dashed, constraint=false, tooltip="unobserved common cause"];
    }
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise GraphError(f"rankdir must be one of 'TB', 'LR', 'BT', 'RL', got {rankdir!r}")
    adjusted = (
        _as_name_set(adjustment_set, "adjustment_set", dag) if adjustment_set is not None else set(dag.adjusted_nodes)
    )
    lines = ["digraph {"]
    if dag.name:
        lines.append(f"  label={_dot_id(dag.name)};")
    lines.append(f"  rankdir={rankdir};")
    lines.append('  node [shape=ellipse, style=filled, fillcolor="#ffffff", fontname="Helvetica"];')
    node_attrs = getattr(dag, "_node_attrs", {}) or {}
    for v in dag.nodes:
        roles = set(dag.roles(v))
        if v in adjusted:
            roles.add("adjusted")
        else:
            roles.discard("adjusted")
        attrs: list[str] = []
        styles = ["filled"]
        main = primary_role(roles)
        if main is not None:
            attrs.append(f'fillcolor="{ROLE_COLOURS[main]}"')
        if "latent" in roles:
            styles.append("dashed")
        if "adjusted" in roles:
            styles.append("bold")
            if main != "adjusted":
                attrs.append("penwidth=3")
        if "selected" in roles:
            attrs.append("peripheries=2")
        if "batch" in roles:
            attrs.append("shape=hexagon")
        if styles != ["filled"]:
            attrs.insert(0, f'style="{",".join(styles)}"')
        pos = _parse_pos(node_attrs.get(v, {}).get("pos"))
        if pos is not None:
            attrs.append(f'pos="{pos[0]:g},{-pos[1]:g}!"')
        if roles:
            attrs.append(f'tooltip="{", ".join(_sorted_roles(roles))}"')
        lines.append(f"  {_dot_id(v)}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    for u, v in dag.edges:
        lines.append(f"  {_dot_id(u)} -> {_dot_id(v)};")
    for a, b in dag.bidirected_edges:
        lines.append(
            f'  {_dot_id(a)} -> {_dot_id(b)} [dir=both, style=dashed, constraint=false, tooltip="unobserved common cause"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- DoWhy
def to_dowhy(dag: CausalDAG, *, format: Literal["gml", "networkx"] = "gml") -> str | nx.DiGraph:
    """The DAG in a form ``dowhy.CausalModel(data, treatment, outcome, graph=...)`` accepts.

    DoWhy has no bidirected edges: each ``a <-> b`` becomes an explicit latent common cause
    ``U[a<->b]``.  Latent nodes (declared and made-up) get ``observed="no"``, the others
    ``observed="yes"``; note that :class:`dowhy.CausalModel` itself decides what is observed from
    the columns of ``data``, so leave latent nodes out of the data frame.  Declared roles are
    dropped (pass the exposure and outcome to DoWhy as ``treatment`` and ``outcome``).  DoWhy has
    no notion of study selection: a DAG with ``selected`` nodes gets a
    :class:`~radiocausal.errors.RoleWarning`, since DoWhy's verdict then ignores the selection.

    Parameters
    ----------
    dag : CausalDAG
    format : {"gml", "networkx"}
        ``"gml"`` (DoWhy's preferred form): a GML string; ``"networkx"``: a
        :class:`networkx.DiGraph`.

    Returns
    -------
    str or networkx.DiGraph

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { X [exposure] Y [outcome] Z -> X -> Y <- Z ; X <-> Y }")
    >>> g = to_dowhy(dag, format="networkx")
    >>> sorted(g.nodes(data="observed"))
    [('U[X<->Y]', 'no'), ('X', 'yes'), ('Y', 'yes'), ('Z', 'yes')]
    >>> to_dowhy(dag).startswith("graph [")
    True
    """
    import networkx as nx

    if format not in ("gml", "networkx"):
        raise GraphError(f"format must be 'gml' or 'networkx', got {format!r}")
    if dag.selected_nodes:
        warnings.warn(
            f"DoWhy has no notion of study selection: the selection on {', '.join(dag.selected_nodes)} is exported "
            "as an ordinary node and DoWhy's identification ignores it",
            RoleWarning,
            stacklevel=2,
        )
    full = to_networkx(dag)
    g = nx.DiGraph()
    for v, attrs in full.nodes(data=True):
        g.add_node(v, observed="no" if "latent" in attrs["roles"] else "yes")
    g.add_edges_from(full.edges)
    if format == "networkx":
        return g
    return "\n".join(nx.generate_gml(g)) + "\n"
