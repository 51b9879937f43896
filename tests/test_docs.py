"""The documentation builds without warnings, and its pages say what they should.

This is the documentation's CI build: ``python -m sphinx -W --keep-going -b html docs OUT``
(warnings are errors), run on a copy of ``docs/`` in a temporary folder so that nothing
(autosummary's generated stubs included) is written into the source tree.  Sphinx runs in a
subprocess: autodoc imports (and may reload) the package's modules, which must not disturb the
other tests' classes.
"""

from __future__ import annotations

import ast
import contextlib
import html
import io
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_parser") is None:
    _MISSING = "the documentation build needs sphinx and myst-parser: python3 -m pip install -e '.[dev]'"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(_MISSING, pytrace=False)  # CI installs the dev extra: never pass by skipping
    pytest.skip(_MISSING, allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Pages the landing page's tables of contents must link (the user guide, the main job's and the
#: subpackages' guides, the API reference).
GUIDE_PAGES = ["installation", "quickstart", "concepts", "analyze", "report", "graph", "features", "stats", "models",
               "factors", "simulate", "api"]

#: Subpackages whose page in the API reference lists every name of their ``__all__``.
API_MODULES = [
    "radiocausal.graph",
    "radiocausal.features",
    "radiocausal.genomics",
    "radiocausal.stats",
    "radiocausal.models",
    "radiocausal.simulate",
    "radiocausal.predict",
    "radiocausal.harmonize",
    "radiocausal.pipeline",
    "radiocausal.report",
    "radiocausal.errors",
]


def _public_names(modname: str) -> list[str]:
    """``modname.__all__``, read from the source when it is a literal (importing PyMC takes seconds)."""
    path = ROOT.joinpath(*modname.split("."))
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:
                return list(importlib.import_module(modname).__all__)
    return []  # no __all__: nothing declared public


def _text(path: Path) -> str:
    """The visible text of an HTML page (tags dropped, entities decoded, blanks collapsed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _unresolved(path: Path) -> list[str]:
    """Text of the Python cross-references on a page that link nowhere (rendered as plain code)."""
    page = path.read_text(encoding="utf-8")
    return re.findall(r'<code class="xref py[^>]*><span class="pre">([^<]*)</span></code>(?!</a>)', page)


def _anchors(path: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))


def _documented(built: Path, modname: str, name: str) -> bool:
    """``modname.name`` has its own page, or an anchor on ``modname``'s page."""
    target = f"{modname}.{name}"
    page = built / "_autosummary" / f"{modname}.html"
    return (built / "_autosummary" / f"{target}.html").is_file() or (page.is_file() and target in _anchors(page))


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a copy of docs/ into a temporary folder; fail with Sphinx's output on any warning."""
    tmp = tmp_path_factory.mktemp("docs")
    source = tmp / "source"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build", "_autosummary"))
    out = tmp / "html"
    generated = [DOCS / "_autosummary", DOCS / "_build"]
    before = [folder.exists() for folder in generated]
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q", str(source), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"sphinx build failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}"
    assert [folder.exists() for folder in generated] == before, "the build wrote into docs/"
    return out


@pytest.mark.slow
def test_user_guide_pages_exist_and_are_linked(built_docs: Path) -> None:
    index = built_docs / "index.html"
    links = set(re.findall(r'href="([^"#]+\.html)', index.read_text(encoding="utf-8")))
    for page in GUIDE_PAGES:
        assert (built_docs / f"{page}.html").is_file(), page
        assert f"{page}.html" in links, f"{page} is not in the landing page's table of contents"
    concepts = _text(built_docs / "concepts.html")
    for topic in [
        "Association, prediction and causation",
        "Confounding",
        "Colliders and selection",
        "Mediators",
        "Batch effects",
        "Multiple testing",
        "Heterogeneity",
    ]:
        assert topic in concepts, topic
    # the guides' pointers to the API resolve (unresolved ones would render as plain code)
    for page in ["index", "concepts"]:
        assert _unresolved(built_docs / f"{page}.html") == [], page
    assert (built_docs / "concepts.html").read_text(encoding="utf-8").count('<code class="xref py') >= 20
    assert "radiocausal demo" in _text(built_docs / "quickstart.html")
    assert 'pip install -e ".[dev]"' in _text(built_docs / "installation.html")


@pytest.mark.slow
def test_api_reference_documents_every_public_name(built_docs: Path) -> None:
    api = built_docs / "api.html"
    api_links = api.read_text(encoding="utf-8")
    for modname in API_MODULES:
        page = built_docs / "_autosummary" / f"{modname}.html"
        assert page.is_file(), modname
        assert f"_autosummary/{modname}.html" in api_links, modname
        # every public name has its own page (functions, classes, exceptions) or an anchor on the
        # module's page (constants), under the subpackage's name
        for name in _public_names(modname):
            assert _documented(built_docs, modname, name), f"{modname}.{name} is not documented"
        # ... and so has every public name of its public submodules: on the subpackage's page
        # (re-exported) or on the submodule's page, which the reference then links
        package = ROOT.joinpath(*modname.split("."))
        for source in sorted(package.glob("*.py")) if package.is_dir() else []:
            if source.name.startswith("_"):
                continue
            submodule = f"{modname}.{source.stem}"
            for name in _public_names(submodule):
                assert _documented(built_docs, modname, name) or (
                    _documented(built_docs, submodule, name) and f"_autosummary/{submodule}.html" in api_links
                ), f"{submodule}.{name} is not documented (add {submodule} to docs/api.md)"
    # every name of `import radiocausal as rc` links to the page documenting it
    assert "rc.CausalDAG" in _text(api) and "rc.association_scan" in _text(api)
    assert [name for name in _unresolved(api) if name.startswith(("rc.", "radiocausal"))] == []
    # the command line's reference is rendered from its parser: every sub-command is there
    api_text = _text(api)
    for command in ["check", "models", "draw", "extract", "analyze", "demo"]:
        assert f"usage: radiocausal {command}" in api_text, command
    dag_page = built_docs / "_autosummary" / "radiocausal.graph.CausalDAG.html"
    assert "radiocausal.graph.CausalDAG.adjustment_sets" in _anchors(dag_page)
    assert "adjustment_sets" in _text(dag_page)
    # a re-exported constant shows its own description, not its type's docstring
    features = _text(built_docs / "_autosummary" / "radiocausal.features.html")
    assert "PRESETS" in features and "new empty dictionary" not in features


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown page, in order, as (language, code)."""
    return re.findall(r"^```(\w*)\n(.*?)^```", markdown, flags=re.S | re.M)


def _claimed_value(comment: str):
    """The value a ``# comment`` after an expression claims, or None when it claims none.

    The comment starts with a Python value, optionally followed by ``: why`` or ``(...)``:
    ``# [frozenset({'grade'})]``, ``# 0.17: naive``, ``# estimate 1.47: biased``.
    """
    text = comment.strip().removeprefix("estimate ")
    for candidate in (text, text.split(": ")[0], text.split(" (")[0], text.split(";")[0]):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)  # prose is not Python
                return eval(candidate, {"frozenset": frozenset}), candidate  # our own docs' text
        except Exception:
            continue
    return None


def _same(value, claimed, written: str) -> bool:
    if hasattr(value, "columns") and "estimate" in value.columns and len(value) == 1:
        value = float(value["estimate"].iloc[0])  # a one-pair scan: its estimate
    if isinstance(claimed, float) and not isinstance(claimed, bool):
        decimals = len(written.split(".")[1]) if "." in written else 0
        return round(float(value), decimals) == claimed
    return value == claimed


@pytest.mark.slow
@pytest.mark.parametrize("page", ["concepts", "quickstart"])
def test_guide_code_runs_and_prints_what_the_guide_shows(page: str) -> None:
    """Every Python block runs (in order, one namespace), values claimed in comments hold, and what
    a block prints is in the text block after it.  Blocks that fit Bayesian models are left out
    (minutes)."""
    blocks = _blocks((DOCS / f"{page}.md").read_text(encoding="utf-8"))
    namespace: dict = {}
    exec("import radiocausal as rc", namespace)
    checked = 0
    for i, (language, code) in enumerate(blocks):
        if language != "python" or ".fit(" in code:
            continue
        lines = code.splitlines()
        tree = ast.parse(code)
        stdout = io.StringIO()
        for node in tree.body:
            with contextlib.redirect_stdout(stdout):
                if isinstance(node, ast.Expr):
                    value = eval(compile(ast.Expression(node.value), f"{page}.md", "eval"), namespace)
                else:
                    exec(compile(ast.Module([node], []), f"{page}.md", "exec"), namespace)
                    continue
            # the claim: a comment on the expression's last line, or a comment line right after it
            last = lines[node.end_lineno - 1]
            comment = last.split("#", 1)[1] if "#" in last else None
            if comment is None and node.end_lineno < len(lines) and lines[node.end_lineno].lstrip().startswith("#"):
                comment = lines[node.end_lineno].split("#", 1)[1]
            claim = _claimed_value(comment) if comment else None
            if claim is not None:
                assert _same(value, *claim), f"{page}.md: `{ast.unparse(node)}` gives {value!r}, the guide says {comment}"
                checked += 1
        printed = stdout.getvalue().strip()
        if printed:
            language_after, shown = blocks[i + 1]
            assert language_after == "text", f"{page}.md: block {i} prints, but no text block shows it"
            printed_lines, shown_lines = printed.splitlines(), shown.strip().splitlines()
            assert printed_lines[0] == shown_lines[0], f"{page}.md block {i}: {printed_lines[0]!r}"
            assert set(printed_lines) == set(shown_lines), f"{page}.md block {i}:\n{printed}"
            checked += 1
    assert checked >= (10 if page == "concepts" else 4)
