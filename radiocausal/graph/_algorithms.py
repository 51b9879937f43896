"""Graph algorithms behind :class:`~radiocausal.graph.CausalDAG`.

Pure functions over ``parents``/``children`` mappings (node -> set of nodes).  Nothing
here enumerates subsets: d-separation is a linear-time reachability search (Bayes ball),
one minimal separator is found in linear time (van der Zander, Liśkiewicz & Textor 2019,
``FindMinSep``), all minimal separators are listed with polynomial delay by the
Kloks–Kratsch/Berry scheme on the moral graph of the relevant ancestral set, and
minimum-cost separators come from max-flow/min-cut with branching.

References
----------
* B. van der Zander, M. Liśkiewicz, J. Textor (2019). Separators and adjustment sets in
  causal graphs: complete criteria and an algorithmic framework. Artificial Intelligence 270.
* E. Perković, J. Textor, M. Kalisch, M. Maathuis (2018). Complete graphical characterization
  and construction of adjustment sets in Markov equivalence classes of ancestral graphs. JMLR 18.
* T. Kloks, D. Kratsch (1998). Listing all minimal separators of a graph. SIAM J. Comput. 27.
* L. Henckel, E. Perković, M. Maathuis (2022). Graphical criteria for efficient total effect
  estimation via adjustment in causal linear models. JRSS-B 84.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping

import networkx as nx

Adjacency = Mapping[str, Collection[str]]

__all__ = [
    "ancestors",
    "descendants",
    "d_connected",
    "find_open_path",
    "directed_reach",
    "proper_causal_nodes",
    "moral_adjacency",
    "find_minimal_separator",
    "iter_minimal_separators",
    "iter_minimum_separators",
]


def ancestors(parents: Adjacency, nodes: Iterable[str]) -> set[str]:
    """Nodes with a directed path into ``nodes``, the nodes themselves included."""
    seen = set(nodes)
    stack = list(seen)
    while stack:
        v = stack.pop()
        for p in parents[v]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def descendants(children: Adjacency, nodes: Iterable[str]) -> set[str]:
    """Nodes reachable by a directed path from ``nodes``, the nodes themselves included."""
    return ancestors(children, nodes)


def _active_steps(parents: Adjacency, children: Adjacency, zs: set[str], an_z: set[str], state, order=iter):
    """The (node, direction) states one edge further along an active trail given ``zs``."""
    v, d = state
    nxt: list[tuple[str, str]] = []
    if d == "up":
        if v not in zs:
            nxt.extend((p, "up") for p in order(parents[v]))
            nxt.extend((c, "down") for c in order(children[v]))
    else:
        if v not in zs:
            nxt.extend((c, "down") for c in order(children[v]))
        if v in an_z:
            nxt.extend((p, "up") for p in order(parents[v]))
    return nxt


def _bayes_ball(
    parents: Adjacency,
    children: Adjacency,
    xs: Iterable[str],
    zs: set[str],
    track: bool,
    forbid: Collection[str] = (),
):
    """Breadth-first search over (node, direction) states of active trails from ``xs`` given ``zs``.

    ``direction`` is ``"up"`` when the trail arrived at the node from one of its children (or
    starts there) and ``"down"`` when it arrived from a parent.  Returns the set of visited
    states and, with ``track``, the predecessor of each state.  With ``track`` the neighbours
    are visited in sorted order, so the trails found do not depend on set iteration order
    (``PYTHONHASHSEED``).  Trails never enter the nodes of ``forbid``.
    """
    an_z = ancestors(parents, zs)
    order = sorted if track else iter
    start = [(x, "up") for x in order(xs)]
    visited = set(start)
    pred: dict[tuple[str, str], tuple[str, str] | None] = dict.fromkeys(start) if track else {}
    queue = deque(start)
    while queue:
        state = queue.popleft()
        for s in _active_steps(parents, children, zs, an_z, state, order):
            if s not in visited and s[0] not in forbid:
                visited.add(s)
                if track:
                    pred[s] = state
                queue.append(s)
    return visited, pred


def d_connected(parents: Adjacency, children: Adjacency, xs: Iterable[str], zs: Iterable[str]) -> set[str]:
    """Nodes d-connected to some node of ``xs`` given ``zs`` (``zs`` themselves excluded)."""
    zs = set(zs)
    visited, _ = _bayes_ball(parents, children, xs, zs, track=False)
    return {v for v, _ in visited if v not in zs}


def find_open_path(
    parents: Adjacency, children: Adjacency, xs: Iterable[str], ys: Iterable[str], zs: Iterable[str]
) -> tuple[list[str], list[str]] | None:
    """A shortest open trail from ``xs`` to ``ys`` given ``zs``, or None when d-separated.

    Returns ``(nodes, arrows)`` where ``arrows[i]`` is ``"->"`` when the edge between
    ``nodes[i]`` and ``nodes[i+1]`` points right and ``"<-"`` when it points left.
    """
    zs = set(zs)
    ys = set(ys)
    visited, pred = _bayes_ball(parents, children, xs, zs, track=True)
    # deterministic choice of the end state: shortest trail, then by name
    best = None
    for state in visited:
        if state[0] in ys and state[0] not in zs:
            length = 0
            s = state
            while pred[s] is not None:
                s = pred[s]
                length += 1
            key = (length, state[0], state[1])
            if best is None or key < best[0]:
                best = (key, state)
    if best is None:
        return None
    state = best[1]
    chain = [state]
    while pred[chain[-1]] is not None:
        chain.append(pred[chain[-1]])
    chain.reverse()
    nodes = [s[0] for s in chain]
    arrows = ["<-" if s[1] == "up" else "->" for s in chain[1:]]
    return nodes, arrows


def _trail_to(pred, state) -> list[tuple[str, str]]:
    chain = [state]
    while pred[chain[-1]] is not None:
        chain.append(pred[chain[-1]])
    chain.reverse()
    return chain


def find_collider_paths(
    parents: Adjacency, children: Adjacency, xs: Iterable[str], ys: Iterable[str], zs: Iterable[str]
) -> dict[str, tuple[list[str], list[str]]]:
    """For each conditioned node ``z``, a shortest open trail ``xs ... -> c <- ... ys`` whose collider
    ``c`` is ``z`` or an ancestor of ``z``: the paths that conditioning on ``z`` opens.

    Returns ``{z: (nodes, arrows)}`` for the ``z`` that open such a trail.
    """
    zs = set(zs)
    xs, ys = sorted(xs), sorted(ys)  # lists: read more than once below
    ends = set(xs) | set(ys)
    vis_x, pred_x = _bayes_ball(parents, children, xs, zs, track=True)
    vis_y, pred_y = _bayes_ball(parents, children, ys, zs, track=True)
    both = {v for v, d in vis_x if d == "down" and (v, "down") in vis_y}
    out: dict[str, tuple[list[str], list[str]]] = {}

    def reroute(starts: list[str], c: str, other: list[tuple[str, str]], far: list[str]):
        """A shortest half-trail from ``starts`` into ``c`` avoiding the other half and the far ends."""
        avoid = {s[0] for s in other} | set(far) | {c}  # c only as the last step
        visited, pred = _bayes_ball(parents, children, [v for v in starts if v not in avoid], zs, True, avoid)
        into_c = [(p, d) for p in sorted(parents[c]) if p not in zs for d in ("up", "down") if (p, d) in visited]
        if not into_c:
            return None
        return min((_trail_to(pred, s) for s in into_c), key=len) + [(c, "down")]

    def is_path(left: list[tuple[str, str]] | None, right: list[tuple[str, str]] | None) -> bool:
        """The two halves join into a simple path that meets ``ends`` only at its two ends."""
        if left is None or right is None:
            return False
        nodes = [s[0] for s in left] + [s[0] for s in reversed(right[:-1])]
        return len(set(nodes)) == len(nodes) and not set(nodes[1:-1]) & ends

    an_z = ancestors(parents, zs)

    def search(c: str, budget: int = 20_000):
        """Depth-first over simple left halves into ``c``, each completed by a shortest right half
        around it: exact on small graphs, bounded by ``budget`` expansions on large ones."""
        stack = [[(x, "up")] for x in reversed(xs)]
        while stack and budget > 0:
            half = stack.pop()
            budget -= 1
            on_half = {s[0] for s in half}
            for step in reversed(_active_steps(parents, children, zs, an_z, half[-1], sorted)):
                if step[0] in on_half or step[0] in ends:
                    continue
                if step == (c, "down"):
                    right = reroute(ys, c, half + [step], xs)
                    if is_path(half + [step], right):
                        return half + [step], right
                elif step[0] != c:
                    stack.append(half + [step])
        return None

    for z in sorted(zs):
        best = None
        for c in sorted((ancestors(parents, {z}) & both) - ends):
            left = _trail_to(pred_x, (c, "down"))
            right = _trail_to(pred_y, (c, "down"))
            halves = [(left, right)]
            if not is_path(left, right):
                # the shortest halves meet elsewhere: route each half around the other
                halves = [(left, reroute(ys, c, left, xs)), (reroute(xs, c, right, ys), right)]
                if not any(is_path(*h) for h in halves):
                    halves = [search(c) or (None, None)]
            for lh, rh in halves:
                if not is_path(lh, rh):
                    continue
                key = (len(lh) + len(rh), c)
                if best is None or key < best[0]:
                    best = (key, lh, rh)
        if best is None:
            continue
        _, left, right = best
        nodes = [s[0] for s in left] + [s[0] for s in reversed(right[:-1])]
        arrows = ["<-" if s[1] == "up" else "->" for s in left[1:]]
        # the right half was walked from ys towards c: flip each step's direction
        arrows += ["->" if s[1] == "up" else "<-" for s in reversed(right[1:])]
        out[z] = (nodes, arrows)
    return out


def directed_reach(adj: Adjacency, start: Iterable[str], avoid: Collection[str]) -> set[str]:
    """Nodes reachable from ``start`` along ``adj`` in one or more steps, never entering ``avoid``."""
    seen: set[str] = set()
    stack = list(start)
    while stack:
        v = stack.pop()
        for u in adj[v]:
            if u not in avoid and u not in seen:
                seen.add(u)
                stack.append(u)
    return seen


def proper_causal_nodes(parents: Adjacency, children: Adjacency, xs: set[str], ys: set[str]) -> set[str]:
    """Nodes on proper causal paths from ``xs`` to ``ys``, excluding ``xs`` (Perković's cn(X, Y)).

    That is ``(De_{G with edges into X removed}(X) minus X)`` intersected with
    ``An_{G with edges out of X removed}(Y)``.
    """
    down = directed_reach(children, xs, avoid=xs)
    up = directed_reach(parents, set(ys) - xs, avoid=xs) | (set(ys) - xs)
    return down & up


def moral_adjacency(parents: Adjacency, nodes: Collection[str]) -> dict[str, set[str]]:
    """Undirected moral graph of the subgraph induced by ``nodes`` (an ancestral set)."""
    node_set = set(nodes)
    adj: dict[str, set[str]] = {v: set() for v in node_set}
    for v in node_set:
        ps = [p for p in parents[v] if p in node_set]
        for p in ps:
            adj[v].add(p)
            adj[p].add(v)
        for i, p in enumerate(ps):
            for q in ps[i + 1 :]:
                adj[p].add(q)
                adj[q].add(p)
    return adj


def _reach_undirected(adj: Mapping[str, Collection[str]], start: Iterable[str], stop: set[str]) -> set[str]:
    """Vertices reachable from ``start``; vertices of ``stop`` are reached but not passed."""
    seen = set(start)
    stack = [v for v in seen if v not in stop]
    while stack:
        v = stack.pop()
        for u in adj[v]:
            if u not in seen:
                seen.add(u)
                if u not in stop:
                    stack.append(u)
    return seen


def find_minimal_separator(
    parents: Adjacency,
    xs: set[str],
    ys: set[str],
    include: set[str],
    restrict: set[str],
) -> frozenset[str] | None:
    """One ``include``-minimal d-separator ``Z`` of ``xs`` and ``ys`` with include ⊆ Z ⊆ include ∪ restrict.

    ``parents`` describes the graph in which separation is wanted (e.g. the proper back-door
    graph).  Linear time in the size of the moral graph of An(xs ∪ ys ∪ include).  Returns None
    when no such separator exists.
    """
    anc = ancestors(parents, xs | ys | include)
    adj = moral_adjacency(parents, anc)
    for v in include:  # conditioned nodes are removed from the moral graph
        for u in adj.pop(v):
            if u in adj:
                adj[u].discard(v)
    z0 = (restrict & anc) - include - xs - ys
    reach_x = _reach_undirected(adj, xs, z0)
    if reach_x & ys:
        return None
    z1 = z0 & reach_x
    reach_y = _reach_undirected(adj, ys, z1)
    return frozenset((z1 & reach_y) | include)


class _BitGraph:
    """An undirected graph on vertices 0..n-1 with adjacency stored as Python int bitsets."""

    __slots__ = ("nb",)

    def __init__(self, nb: list[int]):
        self.nb = nb

    def neighbours(self, mask: int) -> int:
        out = 0
        nb = self.nb
        while mask:
            low = mask & -mask
            out |= nb[low.bit_length() - 1]
            mask ^= low
        return out

    def component(self, start: int, blocked: int) -> int:
        return self.component_and_boundary(start, blocked)[0]

    def component_and_boundary(self, start: int, blocked: int) -> tuple[int, int]:
        """The vertices reachable from ``start`` avoiding ``blocked``, and their neighbours in ``blocked``."""
        comp = start & ~blocked
        frontier = comp
        boundary = 0
        while frontier:
            reached = self.neighbours(frontier)
            boundary |= reached & blocked
            new = reached & ~blocked & ~comp
            comp |= new
            frontier = new
        return comp, boundary & ~comp


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def iter_minimal_separators(
    adj: Mapping[str, Collection[str]],
    a_side: set[str],
    b_side: set[str],
    allowed: set[str],
) -> Iterator[frozenset[str]]:
    """Yield every minimal vertex separator of ``a_side`` and ``b_side`` that lies in ``allowed``.

    ``a_side`` and ``b_side`` are each treated as one contracted vertex.  Vertices outside
    ``allowed`` (and outside both sides) may not be in a separator: they are absorbed into
    whichever side reaches them, which is the same as eliminating them from the graph.
    Polynomial delay: each separator costs O(|S| · (n + m)) bit operations (Kloks & Kratsch 1998).
    The order is deterministic (vertices are indexed by sorted name).
    """
    names = sorted(adj)
    index = {v: i for i, v in enumerate(names)}
    nb = [0] * len(names)
    for v, i in index.items():
        m = 0
        for u in adj[v]:
            j = index.get(u)
            if j is not None:
                m |= 1 << j
        nb[i] = m & ~(1 << i)
    g = _BitGraph(nb)

    def mask_of(nodes: Iterable[str]) -> int:
        m = 0
        for v in nodes:
            if v in index:
                m |= 1 << index[v]
        return m

    amask, bmask = mask_of(a_side), mask_of(b_side)
    if not amask or not bmask:
        return
    fmask = mask_of(set(names) - allowed) & ~amask & ~bmask

    def close_separator(w: int, nw: int, frontier: int) -> int | None:
        # Absorb forbidden vertices into the a-side w, then take N(component of b).  ``nw``
        # holds N(w) for the part of w outside ``frontier``, so only new vertices are scanned.
        while frontier:
            reached = g.neighbours(frontier)
            nw |= reached
            new = reached & fmask & ~w
            w |= new
            frontier = new
        nw &= ~w
        if (w | nw) & bmask:
            return None
        return g.component_and_boundary(bmask, w | nw)[1]

    s0 = close_separator(amask, 0, amask)
    if s0 is None:
        return
    seen = {s0}
    queue = deque([s0])
    while queue:
        s = queue.popleft()
        yield frozenset(names[i] for i in _bits(s))
        ca = g.component(amask, s)  # N(ca) == s: s is a minimal separator with full component ca
        for x in _bits(s):
            if nb[x] & bmask:
                continue
            bit = 1 << x
            s2 = close_separator(ca | bit, s, bit)
            if s2 is not None and s2 not in seen:
                seen.add(s2)
                queue.append(s2)


def iter_minimum_separators(
    adj: Mapping[str, Collection[str]],
    a_side: set[str],
    b_side: set[str],
    allowed: set[str],
    cost: Mapping[str, float],
    rel_tol: float = 1e-9,
) -> Iterator[frozenset[str]]:
    """Yield every vertex separator of smallest total ``cost`` that lies in ``allowed``.

    Costs must be positive, so every minimum-cost separator is also minimal.  Uses max-flow on
    the vertex-split graph to get the minimum cost, then branches on the vertices of a current
    minimum cut (include / exclude), each branch checked by another max-flow, so the delay
    between outputs is polynomial.
    """
    inf = float("inf")

    def flow_graph(removed: set[str], forced_out: set[str]) -> nx.DiGraph:
        d = nx.DiGraph()
        for v in adj:
            if v in removed:
                continue
            if v in a_side or v in b_side or v not in allowed or v in forced_out:
                d.add_edge((v, 0), (v, 1))  # no capacity attribute = infinite
            else:
                d.add_edge((v, 0), (v, 1), capacity=float(cost[v]))
            for u in adj[v]:
                if u not in removed:
                    d.add_edge((v, 1), (u, 0))
        for v in a_side:
            if v in adj:
                d.add_edge("_source", (v, 0))
        for v in b_side:
            if v in adj:
                d.add_edge((v, 1), "_sink")
        return d

    def min_cut(removed: set[str], forced_out: set[str]) -> tuple[float, set[str]]:
        d = flow_graph(removed, forced_out)
        if "_source" not in d or "_sink" not in d:
            return 0.0, set()
        try:
            value, (reach, _) = nx.minimum_cut(d, "_source", "_sink")
        except nx.NetworkXUnbounded:
            return inf, set()
        cut = {n[0] for n in reach if isinstance(n, tuple) and n[1] == 0 and (n[0], 1) not in reach}
        return value, cut

    best, _ = min_cut(set(), set())
    if best == inf:
        return

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= rel_tol * max(1.0, abs(a), abs(b))

    def recurse(chosen: set[str], spent: float, forced_out: set[str]) -> Iterator[frozenset[str]]:
        value, cut = min_cut(chosen, forced_out)
        if value == inf or not close(value + spent, best):
            return
        if not cut or close(value, 0.0):
            yield frozenset(chosen)
            return
        v = min(cut)
        yield from recurse(chosen | {v}, spent + float(cost[v]), forced_out)
        yield from recurse(chosen, spent, forced_out | {v})

    yield from recurse(set(), 0.0, set())
