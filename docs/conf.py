"""Sphinx configuration: the user guide (Markdown, MyST) and the API reference (autodoc).

Build from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

``tests/test_docs.py`` runs the same build (into a temporary folder) in the test suite.  The
build needs no network: intersphinx is loaded but maps nothing.
"""

from __future__ import annotations

import re

import radiocausal

project = "radiocausal"
author = "the radiocausal authors"
copyright = "the radiocausal authors, BSD-3-Clause"
release = radiocausal.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- autodoc / autosummary ---------------------------------------------------------------------
# Stubs are generated into _autosummary/ (git-ignored) from the public names of each module's
# __all__ (re-exported names included), with one page per function and class.
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autoclass_content = "class"

#: Subpackages whose public names (``__all__``) the API reference documents.
SUBPACKAGES = ["graph", "features", "genomics", "stats", "models", "simulate", "predict", "harmonize",
               "pipeline", "report"]


def _submodule_extras() -> dict[str, list[str]]:
    """Per public submodule, the names of its ``__all__`` that its subpackage does not re-export.

    The submodule's page in the reference documents only these (the rest is on the subpackage's
    page): ``{"radiocausal.graph.interop": ["to_networkx", ...], ...}``.
    """
    import importlib
    import pkgutil

    out: dict[str, list[str]] = {}
    for name in SUBPACKAGES:
        package = importlib.import_module(f"radiocausal.{name}")
        exported = set(package.__all__)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            extra = [n for n in getattr(module, "__all__", ()) if n not in exported]
            if extra:
                out[module.__name__] = extra
    return out


#: Read by _templates/autosummary/module.rst.
autosummary_context = {"submodule_extras": _submodule_extras()}

# -- napoleon: numpydoc sections ---------------------------------------------------------------
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
napoleon_preprocess_types = False
# napoleon escapes the trailing underscore of fitted attributes (``sites_``) only with this set;
# otherwise reStructuredText reads ``sites_`` as a link and prints "sites"
strip_signature_backslash = True

# -- intersphinx: no inventories are fetched (the build must work offline) ---------------------
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
intersphinx_disabled_reftypes = ["*"]

# -- MyST (Markdown) ---------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# -- HTML --------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"radiocausal {release}"
html_theme_options = {
    "description": "Causal radiogenomics in Python",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_static_path: list[str] = []


# -- docstrings of re-exported constants and foreign members -----------------------------------
def _doc_comment(obj: object, name: str, package: str) -> list[str] | None:
    """The ``#:`` comment above ``name = ...`` in the module of ``package`` that defines ``obj``.

    A constant re-exported by a subpackage (``radiocausal.features.PRESETS``) has no docstring of
    its own; autodoc would show its type's (``dict``'s) instead.
    """
    import sys

    from sphinx.pycode import ModuleAnalyzer

    for modname, module in sorted(sys.modules.items()):
        if module is None or not (modname == package or modname.startswith(package + ".")):
            continue
        if getattr(module, name, None) is not obj:
            continue
        try:
            comments = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # a module without source (compiled): no comment to find
            continue
        if ("", name) in comments:
            return list(comments[("", name)])
    return None


def _constant_docstring(app, what, name, obj, options, lines):
    if what != "data" or not lines:
        return
    type_doc = (type(obj).__doc__ or "").strip().splitlines()
    if [line.strip() for line in lines[: len(type_doc)]] != [line.strip() for line in type_doc]:
        return  # a real docstring (doc comment in the re-exporting module)
    package, _, attr = name.rpartition(".")
    lines[:] = _doc_comment(obj, attr, package) or []


_SECTION_RULE = re.compile(r"^-{3,}$")
_SHARED_ENTRY = re.compile(r"^(\w+(?:\s*,\s*\w+)+)\s*(?::\s*(.*))?$")


def _split_attribute_entries(app, what, name, obj, options, lines):
    """``a_, b_ : T`` in an *Attributes* section becomes one entry per name.

    numpydoc allows several names on one line; napoleon splits them in *Parameters* but not in
    *Attributes*, where it would render ``b_ (a_,)``.
    """
    out: list[str] = []
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _SECTION_RULE.match(lines[i + 1].strip()):
            section = line.strip()
            out += [line, lines[i + 1]]
            i += 2
            continue
        match = _SHARED_ENTRY.match(line) if section == "Attributes" else None
        if not match:
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (lines[j].startswith(" ") or (not lines[j].strip() and j + 1 < len(lines)
                                                              and lines[j + 1].startswith(" "))):
            j += 1
        description = lines[i + 1 : j]
        type_part = f" : {match.group(2)}" if match.group(2) else ""
        for attr in (n.strip() for n in match.group(1).split(",")):
            out += [attr + type_part, *description]
        i = j
    lines[:] = out


def _lookup(path: str):
    """The object at a dotted path, or None.

    Attributes first, submodules when there is no such attribute: ``radiocausal.pipeline.analyze``
    is the function the package exports, not the submodule of the same name.
    """
    import importlib

    parts = path.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except ImportError:
        return None
    for i, attr in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                return None
    return obj


def _identifiable(obj: object) -> bool:
    # identity says which documented name an object has; small ints and strings are shared
    import inspect

    return (
        inspect.isclass(obj)
        or inspect.isroutine(obj)
        or inspect.ismodule(obj)
        or isinstance(obj, property)
        or (isinstance(obj, (dict, list, tuple, set, frozenset)) and len(obj) > 0)
    )


#: id() of each documented object -> its documented name (filled at the first missing reference of
#: this process, once every page has been read; not kept in the pickled environment, ids change)
_DOCUMENTED: dict[int, str] = {}


def _resolve_by_identity(app, env, node, contnode):
    """Resolve a Python cross-reference whose target is documented under another name.

    Docstrings refer to objects where they are defined (``radiocausal.graph.dag.CausalDAG``,
    ``implied_independencies`` inside ``radiocausal.graph.citests``, a private module's constant)
    while the reference documents them where the public API exports them
    (``radiocausal.graph.CausalDAG``).  The target is imported in the reference's context and
    matched by identity against the documented objects.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates += [f"{module}.{cls}.{target}"] if cls else []
        candidates.append(f"{module}.{target}")
    domain = env.get_domain("py")
    obj = next((o for o in map(_lookup, candidates) if o is not None), None)
    if obj is None:
        # not importable from the reference's context (``CausalDAG.explain_adjustment`` in a
        # page of radiocausal.models): the one documented object of that type whose name ends so
        objtypes = set(domain.objtypes_for_role(node["reftype"]) or ())
        matches = [
            name
            for name, entry in domain.objects.items()
            if name.endswith("." + target) and entry.objtype in objtypes and not entry.aliased
        ]
        name = matches[0] if len(matches) == 1 else None
    elif _identifiable(obj):
        if not _DOCUMENTED:
            for documented_name in sorted(domain.objects):
                documented = _lookup(documented_name)
                if documented is not None and _identifiable(documented):
                    _DOCUMENTED.setdefault(id(documented), documented_name)
        name = _DOCUMENTED.get(id(obj))
    else:
        name = None
    if name is None:
        return None
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], name, node, contnode)


def _skip_foreign(app, what, name, obj, skip, options):
    # scikit-learn's metadata-routing setters (set_fit_request, ...) are generated on every
    # estimator subclass; they are scikit-learn's API, documented there.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


# -- the command line's reference, from its argparse parser -------------------------------------
from docutils import nodes  # noqa: E402
from sphinx.util.docutils import SphinxDirective  # noqa: E402


class CommandLineHelp(SphinxDirective):
    """``command-line-help``: ``radiocausal --help`` and the help of every sub-command, as printed.

    Rendered from :func:`radiocausal.cli.build_parser`, so the reference cannot drift from the
    command line.
    """

    has_content = False

    def run(self) -> list[nodes.Node]:
        import argparse
        import os

        from radiocausal.cli import build_parser

        columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal's width; fix it
        try:
            parser = build_parser()
            parsers = [parser] + [
                sub
                for action in parser._actions
                if isinstance(action, argparse._SubParsersAction)
                for sub in dict.fromkeys(action.choices.values())  # aliases share a parser
            ]
            out: list[nodes.Node] = []
            for sub in parsers:
                text = sub.format_help().rstrip()
                out += [nodes.rubric(text=sub.prog), nodes.literal_block(text, text, language="text")]
        finally:
            if columns is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = columns
        return out


class PublicNamespace(SphinxDirective):
    """``public-namespace``: every name ``import radiocausal as rc`` offers, linked to its page.

    The names come from ``radiocausal.__all__``; each link resolves (by identity, see
    :func:`_resolve_by_identity`) to the subpackage page that documents the object.
    """

    has_content = False

    def run(self) -> list[nodes.Node]:
        from sphinx import addnodes

        names = [n for n in radiocausal.__all__ if not n.startswith("_") and n != "errors"]
        para = nodes.paragraph()
        para += nodes.literal("import radiocausal as rc", "import radiocausal as rc")
        para += nodes.Text(" gives ")
        for i, name in enumerate(names):
            ref = addnodes.pending_xref(
                "", refdomain="py", reftype="obj", reftarget=f"radiocausal.{name}", refexplicit=True,
                refdoc=self.env.docname,
            )
            ref += nodes.literal(f"rc.{name}", f"rc.{name}", classes=["xref", "py", "py-obj"])
            para += [ref, nodes.Text(", " if i < len(names) - 1 else ".")]
        return [para]


def setup(app):
    app.add_directive("command-line-help", CommandLineHelp)
    app.add_directive("public-namespace", PublicNamespace)
    app.connect("autodoc-process-docstring", _constant_docstring, priority=100)  # before napoleon
    app.connect("autodoc-process-docstring", _split_attribute_entries, priority=100)
    app.connect("autodoc-skip-member", _skip_foreign)
    app.connect("missing-reference", _resolve_by_identity)
