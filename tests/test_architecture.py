"""Architecture rules that are easy to break without noticing."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_graph_never_imports_pymc():
    mods = _modules_after("import radiocausal.graph")
    assert not {m for m in mods if m.split(".")[0] in ("pymc", "pytensor", "arviz")}


def test_top_level_import_is_light():
    mods = _modules_after("import radiocausal")
    heavy = {m.split(".")[0] for m in mods} & {"pymc", "pytensor", "arviz", "SimpleITK", "radiomics", "sklearn"}
    assert not heavy, f"`import radiocausal` pulled in {sorted(heavy)}: load subpackages lazily"


def test_errors_inherit_builtin_types():
    from radiocausal import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        if issubclass(cls, Warning):
            assert issubclass(cls, errors.RadiocausalWarning)
            continue
        assert issubclass(cls, errors.RadiocausalError)
        if cls is not errors.RadiocausalError:
            assert issubclass(cls, (ValueError, KeyError, RuntimeError)), name


def test_public_api_resolves():
    import radiocausal

    for name in radiocausal.__all__:
        assert getattr(radiocausal, name) is not None, name
