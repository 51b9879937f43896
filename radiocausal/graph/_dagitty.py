"""Reading and writing dagitty-style graph text.

The grammar accepted (a strict subset of dagitty's, plus the ``batch`` role)::

    graph  := ["strict"] ("dag" | "digraph") [name] "{" stmt* "}"
    stmt   := key "=" value                       (graph attribute, e.g. bb="...")
            | group [attrs]                       (node declaration)
            | group (edge group)+ [attrs]         (edge chain: a -> b <- c)
    group  := node | "{" node* "}"
    edge   := "->" | "<-" | "<->"
    attrs  := "[" item ("," item)* "]"  ,  item := key ["=" value]
    node   := identifier | "quoted string"

Statements may be separated by newlines, ``;`` or plain white space.  ``#`` and ``//`` start line
comments, ``/* ... */`` is a block comment.  The parser is a hand-written
tokenizer: it never evaluates its input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from radiocausal.errors import DagittyParseError

__all__ = ["ParsedGraph", "parse_dagitty", "format_dagitty", "MAX_TEXT_SIZE", "DECLARED_ROLES"]

#: Largest input accepted by :func:`parse_dagitty` unless told otherwise (characters).
MAX_TEXT_SIZE = 5_000_000

#: Roles a node can be declared with, and their accepted spellings.
DECLARED_ROLES = ("exposure", "outcome", "latent", "selected", "adjusted", "batch")
_ROLE_ALIASES = {
    "exposure": "exposure",
    "outcome": "outcome",
    "latent": "latent",
    "unobserved": "latent",
    "selected": "selected",
    "selection": "selected",
    "adjusted": "adjusted",
    "batch": "batch",
}
_NODE_KEYS = {"pos"}  # keyed node attributes kept for round-tripping
_SUPPORTED_TYPES = {"dag", "digraph"}
_OTHER_TYPES = {"pdag", "mag", "pag", "graph"}

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<comment>(\#|//)[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<edge><->|->|<-|--|@->|@-@|@--|<-@|--@)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<ident>[A-Za-z0-9_.\u00C0-\uFFFF]+)
  | (?P<punct>[{}\[\],;=])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class ParsedGraph:
    """What :func:`parse_dagitty` read: nodes in order of appearance, edges, roles, attributes."""

    graph_type: str = "dag"
    name: str | None = None
    nodes: list[str] = field(default_factory=list)
    directed: list[tuple[str, str]] = field(default_factory=list)
    bidirected: list[tuple[str, str]] = field(default_factory=list)
    roles: dict[str, set[str]] = field(default_factory=dict)
    node_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    graph_attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class _Tok:
    kind: str
    text: str
    line: int
    col: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos, line, line_start = 0, 1, 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        col = pos - line_start + 1
        if m is None:
            raise DagittyParseError(f"unexpected character {text[pos]!r}", line, col)
        kind = m.lastgroup
        tok_text = m.group()
        if kind == "nl":
            toks.append(_Tok("sep", "\n", line, col))
        elif kind in ("ident", "string", "edge", "punct"):
            if kind == "string":
                tok_text = re.sub(r"\\(.)", r"\1", tok_text[1:-1])
            if kind == "punct" and tok_text == ";":
                toks.append(_Tok("sep", ";", line, col))
            else:
                toks.append(_Tok(kind, tok_text, line, col))
        # count newlines consumed (block comments may span lines)
        newlines = m.group().count("\n")
        if newlines:
            line += newlines
            line_start = m.start() + m.group().rfind("\n") + 1
        pos = m.end()
    toks.append(_Tok("eof", "", line, pos - line_start + 1))
    return toks


class _Parser:
    def __init__(self, toks: list[_Tok]):
        self.toks = toks
        self.i = 0
        self.out = ParsedGraph()

    # -- helpers ---------------------------------------------------------------------------------
    def peek(self, skip_sep: bool = True) -> _Tok:
        j = self.i
        while skip_sep and self.toks[j].kind == "sep":
            j += 1
        return self.toks[j]

    def next(self, skip_sep: bool = True) -> _Tok:
        while skip_sep and self.toks[self.i].kind == "sep":
            self.i += 1
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def fail(self, tok: _Tok, what: str) -> DagittyParseError:
        found = "end of input" if tok.kind == "eof" else repr(tok.text)
        return DagittyParseError(f"expected {what}, found {found}", tok.line, tok.col)

    def expect(self, kind: str, text: str | None = None, what: str | None = None) -> _Tok:
        tok = self.next()
        if tok.kind != kind or (text is not None and tok.text != text):
            raise self.fail(tok, what or repr(text or kind))
        return tok

    def add_node(self, name: str) -> None:
        if name not in self.out.roles:
            self.out.nodes.append(name)
            self.out.roles[name] = set()

    # -- grammar ---------------------------------------------------------------------------------
    def parse(self) -> ParsedGraph:
        tok = self.next()
        if tok.kind == "ident" and tok.text == "strict":
            tok = self.next()
        if tok.kind != "ident":
            raise self.fail(tok, "a graph type such as 'dag'")
        gtype = tok.text.lower()
        if gtype in _OTHER_TYPES:
            raise DagittyParseError(
                f"graph type {tok.text!r} is not supported: radiocausal reads DAGs "
                "('dag' or 'digraph'; use '<->' for an unobserved common cause)",
                tok.line,
                tok.col,
            )
        if gtype not in _SUPPORTED_TYPES:
            raise DagittyParseError(f"expected a graph type such as 'dag', found {tok.text!r}", tok.line, tok.col)
        self.out.graph_type = gtype
        tok = self.peek()
        if tok.kind in ("ident", "string"):
            self.out.name = self.next().text
        self.expect("punct", "{", "'{'")
        while True:
            tok = self.peek()
            if tok.kind == "punct" and tok.text == "}":
                self.next()
                break
            if tok.kind == "eof":
                raise self.fail(tok, "'}' closing the graph")
            self.statement()
        tok = self.peek()
        if tok.kind != "eof":
            raise self.fail(tok, "end of input after the closing '}'")
        return self.out

    def group(self) -> list[str]:
        tok = self.next()
        if tok.kind in ("ident", "string"):
            return [tok.text]
        if tok.kind == "punct" and tok.text == "{":
            names = []
            while True:
                t = self.next()
                if t.kind == "punct" and t.text == "}":
                    return names
                if t.kind not in ("ident", "string"):
                    raise self.fail(t, "a node name or '}'")
                names.append(t.text)
        raise self.fail(tok, "a node name")

    def statement(self) -> None:
        start = self.peek()
        # graph attribute: key = value
        if start.kind == "ident":
            j = self.i
            while self.toks[j].kind == "sep":
                j += 1
            after = self.toks[j + 1]
            if after.kind == "punct" and after.text == "=":
                self.next()
                self.next()
                val = self.next()
                if val.kind not in ("ident", "string"):
                    raise self.fail(val, f"a value for graph attribute {start.text!r}")
                self.out.graph_attrs[start.text] = val.text
                return
        left = self.group()
        for name in left:
            self.add_node(name)
        chain: list[tuple[str, list[str]]] = []
        while True:
            tok = self.peek(skip_sep=False)
            if tok.kind != "edge":
                break
            self.next(skip_sep=False)
            if tok.text not in ("->", "<-", "<->"):
                raise DagittyParseError(
                    f"edge {tok.text!r} is not allowed in a DAG (use '->', '<-' or '<->')", tok.line, tok.col
                )
            right = self.group()
            for name in right:
                self.add_node(name)
            chain.append((tok.text, right))
        tok = self.peek(skip_sep=False)
        attrs: list[tuple[str, str | None, _Tok]] = []
        if tok.kind == "punct" and tok.text == "[":
            attrs = self.attributes()
        prev = left
        for edge, right in chain:
            for a in prev:
                for b in right:
                    if a == b:
                        raise DagittyParseError(f"self-loop on node {a!r}", start.line, start.col)
                    if edge == "->":
                        self.out.directed.append((a, b))
                    elif edge == "<-":
                        self.out.directed.append((b, a))
                    else:
                        self.out.bidirected.append((a, b))
            prev = right
        if chain:
            return  # attributes of edges (e.g. pos) are accepted and dropped
        for key, value, atok in attrs:
            for name in left:
                self.node_attribute(name, key, value, atok)

    def attributes(self) -> list[tuple[str, str | None, _Tok]]:
        self.expect("punct", "[", "'['")
        items: list[tuple[str, str | None, _Tok]] = []
        while True:
            tok = self.next()
            if tok.kind == "punct" and tok.text == "]":
                return items
            if tok.kind != "ident":
                raise self.fail(tok, "an attribute name")
            value = None
            nxt = self.peek()
            if nxt.kind == "punct" and nxt.text == "=":
                self.next()
                v = self.next()
                if v.kind not in ("ident", "string"):
                    raise self.fail(v, f"a value for attribute {tok.text!r}")
                value = v.text
            items.append((tok.text, value, tok))
            nxt = self.next()
            if nxt.kind == "punct" and nxt.text == "]":
                return items
            if not (nxt.kind == "punct" and nxt.text == ","):
                raise self.fail(nxt, "',' or ']' in the attribute list")

    def node_attribute(self, name: str, key: str, value: str | None, tok: _Tok) -> None:
        if value is None:
            role = _ROLE_ALIASES.get(key.lower())
            if role is None:
                raise DagittyParseError(
                    f"unknown role {key!r} on node {name!r}; expected one of {', '.join(DECLARED_ROLES)}",
                    tok.line,
                    tok.col,
                )
            self.out.roles[name].add(role)
        elif key in _NODE_KEYS:
            self.out.node_attrs.setdefault(name, {})[key] = value
        else:
            raise DagittyParseError(
                f"unknown node attribute {key!r}={value!r} on node {name!r}; expected a role or pos=\"x,y\"",
                tok.line,
                tok.col,
            )


def parse_dagitty(text: str, *, max_size: int = MAX_TEXT_SIZE) -> ParsedGraph:
    """Parse dagitty-style text into a :class:`ParsedGraph` (no validation of acyclicity).

    Parameters
    ----------
    text : str
        The graph, e.g. ``"dag { X [exposure] Y [outcome] X -> Y }"``.
    max_size : int
        Largest accepted input in characters.

    Raises
    ------
    DagittyParseError
        Malformed text (with line and column), unsupported graph type or oversized input.

    Examples
    --------
    >>> g = parse_dagitty("dag { X [exposure] Y [outcome] U [latent] X -> Y <- U }")
    >>> g.directed, sorted(g.roles["X"])
    ([('X', 'Y'), ('U', 'Y')], ['exposure'])
    """
    if not isinstance(text, str):
        raise DagittyParseError(f"text must be a str, got {type(text).__name__}")
    if len(text) > max_size:
        raise DagittyParseError(
            f"text has {len(text):,} characters, more than max_size={max_size:,}; "
            "pass a larger max_size if this graph is really meant"
        )
    return _Parser(_tokenize(text)).parse()


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _quote(name: str) -> str:
    if _PLAIN_NAME.match(name) and name not in ("dag", "digraph", "strict"):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_dagitty(
    nodes: list[str],
    directed: list[tuple[str, str]],
    bidirected: list[tuple[str, str]],
    roles: dict[str, set[str] | frozenset[str]],
    node_attrs: dict[str, dict[str, str]] | None = None,
    graph_attrs: dict[str, str] | None = None,
) -> str:
    """Write a graph as dagitty text, one node or edge per line, in a deterministic order."""
    node_attrs = node_attrs or {}
    lines = ["dag {"]
    for key, value in sorted((graph_attrs or {}).items()):
        lines.append(f'{key}="{value}"')
    for name in nodes:
        items = [r for r in DECLARED_ROLES if r in roles.get(name, ())]
        items += [f'{k}="{v}"' for k, v in sorted(node_attrs.get(name, {}).items())]
        lines.append(_quote(name) + (f" [{','.join(items)}]" if items else ""))
    for a, b in directed:
        lines.append(f"{_quote(a)} -> {_quote(b)}")
    for a, b in bidirected:
        lines.append(f"{_quote(a)} <-> {_quote(b)}")
    lines.append("}")
    return "\n".join(lines) + "\n"
