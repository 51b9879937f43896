"""Draw a :class:`~radiocausal.graph.CausalDAG` with matplotlib, roles coloured.

matplotlib is imported only when :func:`draw` is called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from radiocausal.errors import GraphError, UnknownNodeError
from radiocausal.graph.interop import ROLE_COLOURS, _parse_pos, primary_role, to_networkx

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from radiocausal.graph.dag import CausalDAG

__all__ = ["draw", "layout_positions"]

Layout = str | Mapping[str, tuple[float, float]] | Callable[[Any], Mapping[str, Any]]

_LABELS = {
    "exposure": "exposure",
    "outcome": "outcome",
    "selected": "selected (study inclusion)",
    "batch": "batch (scanner, site, run)",
    "latent": "latent (unobserved)",
    "adjusted": "adjusted for",
}


def _dagitty_positions(dag: CausalDAG) -> dict[str, tuple[float, float]] | None:
    node_attrs = getattr(dag, "_node_attrs", {}) or {}
    pos = {}
    for v in dag.nodes:
        xy = _parse_pos(node_attrs.get(v, {}).get("pos"))
        if xy is None:
            return None
        pos[v] = (xy[0], -xy[1])  # dagitty's y axis points down
    return pos


def _layered_positions(dag: CausalDAG) -> dict[str, tuple[float, float]]:
    """Topological generations top-down; within a generation, ordered by the mean x of parents."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(dag.nodes)
    g.add_edges_from(dag.edges)
    order = {v: i for i, v in enumerate(dag.nodes)}
    depth_of = {v: d for d, gen in enumerate(nx.topological_generations(g)) for v in gen}
    # pull each parentless node down to just above its highest child, so that background
    # causes sit next to what they affect rather than all in the top row
    for v in g.nodes:
        if g.in_degree(v) == 0 and g.out_degree(v) > 0:
            depth_of[v] = max(0, min(depth_of[c] for c in g.successors(v)) - 1)
    layers: dict[int, list[str]] = {}
    for v in dag.nodes:
        layers.setdefault(depth_of[v], []).append(v)
    pos: dict[str, tuple[float, float]] = {}
    for depth in sorted(layers):
        gen = layers[depth]

        def key(v: str) -> tuple[float, int]:
            ps = [pos[p][0] for p in g.predecessors(v) if p in pos]
            return (sum(ps) / len(ps) if ps else float("-inf"), order[v])

        # nodes without parents keep declaration order, ahead of the others
        gen = sorted(gen, key=key)
        width = len(gen)
        for i, v in enumerate(gen):
            pos[v] = (i - (width - 1) / 2.0, -float(depth))
    return pos


def _near_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float], tol: float) -> bool:
    """Whether point ``p`` lies within distance ``tol`` of the inside of segment a-b."""
    (px, py), (ax_, ay), (bx, by) = p, a, b
    dx, dy = bx - ax_, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return False
    t = ((px - ax_) * dx + (py - ay) * dy) / length2
    if not 0.0 < t < 1.0:
        return False
    cx, cy = ax_ + t * dx - px, ay + t * dy - py
    return (cx * cx + cy * cy) < tol * tol


def layout_positions(dag: CausalDAG, layout: Layout = "auto") -> dict[str, tuple[float, float]]:
    """Node positions for drawing.

    Parameters
    ----------
    dag : CausalDAG
    layout : {"auto", "dagitty", "layered"}, mapping or callable
        ``"dagitty"``: the ``pos`` attributes read from dagitty text (y flipped to point up);
        ``"layered"``: topological generations, causes above effects; ``"auto"``: ``"dagitty"``
        when every node has a position, else ``"layered"``.  A mapping ``{node: (x, y)}`` is used
        as is (it must cover every node); a callable (e.g. ``networkx.spring_layout``) gets the
        directed graph without bidirected edges and returns such a mapping.

    Returns
    -------
    dict of str to (float, float)

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    >>> layout_positions(dag)
    {'a': (0.0, -0.0), 'b': (-0.5, -1.0), 'c': (0.5, -1.0), 'd': (0.0, -2.0)}
    """
    if isinstance(layout, str):
        if layout == "auto":
            return _dagitty_positions(dag) or _layered_positions(dag)
        if layout == "dagitty":
            pos = _dagitty_positions(dag)
            if pos is None:
                missing = [v for v in dag.nodes if _parse_pos((dag._node_attrs.get(v) or {}).get("pos")) is None]
                raise GraphError(
                    f"layout='dagitty' needs a pos=\"x,y\" attribute on every node; missing on {', '.join(missing[:5])}"
                    + (", ..." if len(missing) > 5 else "")
                )
            return pos
        if layout == "layered":
            return _layered_positions(dag)
        raise GraphError(f"layout must be 'auto', 'dagitty', 'layered', a mapping or a callable, got {layout!r}")
    if callable(layout):
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(dag.nodes)
        g.add_edges_from(dag.edges)
        layout = layout(g)
    if isinstance(layout, Mapping):
        missing = [v for v in dag.nodes if v not in layout]
        if missing:
            raise GraphError(f"layout has no position for node(s) {', '.join(map(repr, missing[:5]))}")
        out = {}
        for v in dag.nodes:
            xy = _parse_pos(layout[v])
            if xy is None:
                raise GraphError(f"layout[{v!r}] must be an (x, y) pair of numbers, got {layout[v]!r}")
            out[v] = xy
        return out
    raise GraphError(f"layout must be 'auto', 'dagitty', 'layered', a mapping or a callable, got {layout!r}")


def draw(
    dag: CausalDAG,
    ax: Axes | None = None,
    *,
    adjustment_set: Iterable[str] | None = None,
    layout: Layout = "auto",
    legend: bool = True,
    title: str | None = None,
    font_size: float = 10.0,
    legend_loc: str = "best",
) -> Axes:
    """Draw the DAG on a matplotlib axes: roles coloured, latent nodes dashed, adjustment set highlighted.

    Nodes are text boxes filled by role (exposure green, outcome blue, selection purple, batch
    orange, latent grey with a dashed outline); the adjustment set gets a yellow fill and a thick
    outline.  Directed edges are solid arrows; ``a <-> b`` is a dashed, curved, two-headed arrow.
    Each artist has a gid: ``node:<name>``, ``edge:<u>-><v>``, ``bidirected:<a><-><b>``.

    Parameters
    ----------
    dag : CausalDAG
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure's axes.
    adjustment_set : iterable of str, optional
        Nodes to highlight as adjusted for; default the nodes declared ``adjusted``.
    layout : {"auto", "dagitty", "layered"}, mapping or callable
        See :func:`layout_positions`.
    legend : bool
        Add a legend of the roles present.
    title : str, optional
        Axes title; default the study name, if any.
    font_size : float
        Node label size in points.
    legend_loc : str
        A matplotlib legend location, or ``"outside"``: to the right of the axes, clear of the
        nodes.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { X [exposure] Y [outcome] g -> X -> Y <- g }")
    >>> ax = draw(dag, adjustment_set=["g"])
    >>> sorted(t.get_gid() for t in ax.texts)
    ['node:X', 'node:Y', 'node:g']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, Patch

    if adjustment_set is None:
        adjusted = set(dag.adjusted_nodes)
    else:
        adjusted = {adjustment_set} if isinstance(adjustment_set, str) else set(adjustment_set)
        unknown = sorted(v for v in adjusted if v not in dag)
        if unknown:
            raise UnknownNodeError(f"adjustment_set node {unknown[0]!r} is not a node of the graph")
    pos = layout_positions(dag, layout)
    if ax is None:
        n_layers = len({round(y, 6) for _, y in pos.values()}) or 1
        width = max(len({round(x, 6) for x, _ in pos.values()}), 3)
        _, ax = plt.subplots(figsize=(min(2 + 1.6 * width, 16), min(1.5 + 1.3 * n_layers, 12)))

    g = to_networkx(dag)
    boxes = {}
    present: set[str] = set()
    for v in dag.nodes:
        roles = set(g.nodes[v]["roles"])
        roles.discard("adjusted")
        if v in adjusted:
            roles.add("adjusted")
        main = primary_role(roles)
        present.update(roles)
        latent = "latent" in roles
        is_adj = "adjusted" in roles
        fill = ROLE_COLOURS["adjusted"] if is_adj and main not in ("exposure", "outcome") else ROLE_COLOURS[main]
        text = ax.text(
            *pos[v],
            v.replace("$", r"\$"),  # a node name is text, never mathtext
            ha="center",
            va="center",
            fontsize=font_size,
            zorder=3,
            bbox=dict(
                boxstyle="round,pad=0.4",
                facecolor=fill,
                edgecolor="#b8860b" if is_adj else ("#6a1b9a" if "selected" in roles else "#333333"),
                linewidth=3.0 if is_adj else (2.0 if "selected" in roles else 1.0),
                linestyle="--" if latent else "-",
            ),
        )
        text.set_gid(f"node:{v}")
        boxes[v] = text.get_bbox_patch()

    # arrows are drawn after the texts (higher zorder) so that the text boxes they are
    # clipped against have their final size and position
    pts = list(pos.values())
    unit = min(
        (((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2) ** 0.5 for i, p in enumerate(pts) for q in pts[i + 1 :] if p != q),
        default=1.0,
    )
    for u, v in dag.edges:
        blockers = [w for w in dag.nodes if w != u and w != v and _near_segment(pos[w], pos[u], pos[v], 0.25 * unit)]
        rad = 0.0
        if blockers:
            # bend away from the first blocking node (arc3 bends to the right of u -> v for rad > 0)
            (ax_, ay), (bx, by), (px, py) = pos[u], pos[v], pos[blockers[0]]
            cross = (bx - ax_) * (py - ay) - (by - ay) * (px - ax_)
            rad = 0.35 if cross >= 0 else -0.35
        arrow = FancyArrowPatch(
            pos[u],
            pos[v],
            arrowstyle="-|>",
            mutation_scale=14,
            color="#333333",
            linewidth=1.3,
            connectionstyle=f"arc3,rad={rad}",
            patchA=boxes[u],
            patchB=boxes[v],
            shrinkA=2,
            shrinkB=2,
            zorder=4,
        )
        arrow.set_gid(f"edge:{u}->{v}")
        ax.add_patch(arrow)
    for a, b in dag.bidirected_edges:
        arrow = FancyArrowPatch(
            pos[a],
            pos[b],
            arrowstyle="<|-|>",
            mutation_scale=12,
            color="#757575",
            linewidth=1.2,
            linestyle="--",
            connectionstyle="arc3,rad=0.3",
            patchA=boxes[a],
            patchB=boxes[b],
            shrinkA=2,
            shrinkB=2,
            zorder=4,
        )
        arrow.set_gid(f"bidirected:{a}<->{b}")
        ax.add_patch(arrow)

    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    dx = (max(xs) - min(xs)) or 1.0
    dy = (max(ys) - min(ys)) or 1.0
    ax.set_xlim(min(xs) - 0.15 * dx - 0.5, max(xs) + 0.15 * dx + 0.5)
    ax.set_ylim(min(ys) - 0.12 * dy - 0.4, max(ys) + 0.12 * dy + 0.4)
    ax.set_axis_off()
    label = title if title is not None else dag.name
    if label:
        ax.set_title(label)
    if legend and present:
        handles: list[Any] = []
        for r in ("exposure", "outcome", "selected", "batch", "latent", "adjusted"):
            if r in present:
                handles.append(
                    Patch(
                        facecolor=ROLE_COLOURS[r],
                        edgecolor="#b8860b" if r == "adjusted" else "#333333",
                        linestyle="--" if r == "latent" else "-",
                        linewidth=2.0 if r == "adjusted" else 1.0,
                        label=_LABELS[r],
                    )
                )
        if dag.bidirected_edges:
            handles.append(Line2D([], [], color="#757575", linestyle="--", label="<-> unobserved common cause"))
        where = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0)} if legend_loc == "outside" else {"loc": legend_loc}
        ax.legend(handles=handles, fontsize=max(font_size - 2, 6), frameon=False, **where)
    return ax
