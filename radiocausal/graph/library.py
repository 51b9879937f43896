"""The study-DAG library: declared DAGs of classic radiogenomics designs, loadable by name.

The DAGs are dagitty text files (``<name>.dag``), each opening with ``#`` comment lines that say
which study it describes, its exposure and outcome, and the causal reasoning behind the edges.
They are looked up, in order, in

1. ``radiocausal/graph/_study_dags/`` inside the installed package (package data of a wheel);
2. ``models/`` beside the package, in a source or editable checkout
   (``Path(radiocausal.__file__).parents[1] / "models"``).

(``radiocausal/models/`` is the PyMC model subpackage, not this library.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from radiocausal.errors import GraphError

if TYPE_CHECKING:  # pragma: no cover
    from radiocausal.graph.dag import CausalDAG

__all__ = ["list_models", "load_model", "model_path", "model_description", "models_dir"]

_SUFFIX = ".dag"


def _candidate_dirs() -> list[Path]:
    import radiocausal

    pkg = Path(radiocausal.__file__).resolve().parent
    return [pkg / "graph" / "_study_dags", pkg.parent / "models"]


def models_dir() -> Path:
    """The folder holding the study DAGs.

    Raises
    ------
    FileNotFoundError
        Neither the package data folder nor a source checkout's ``models/`` exists.
    """
    for d in _candidate_dirs():
        if d.is_dir() and any(d.glob(f"*{_SUFFIX}")):
            return d.resolve()
    tried = ", ".join(str(d) for d in _candidate_dirs())
    raise FileNotFoundError(f"no study-DAG library found (looked in {tried})")


def list_models() -> list[str]:
    """Names of the study DAGs in the library, sorted.

    Examples
    --------
    >>> "tumour_grade_confounding" in list_models()
    True
    """
    return sorted(p.name[: -len(_SUFFIX)] for p in models_dir().glob(f"*{_SUFFIX}") if p.is_file())


def model_path(name: str) -> Path:
    """Path of the library DAG ``name`` (with or without the ``.dag`` suffix).

    Raises
    ------
    GraphError
        ``name`` is not in the library (the message lists the available names).
    """
    if not isinstance(name, str) or not name:
        raise GraphError(f"name must be a non-empty string naming a library model, got {name!r}")
    stem = name[: -len(_SUFFIX)] if name.endswith(_SUFFIX) else name
    names = list_models()
    if stem not in names or "/" in stem or "\\" in stem:
        raise GraphError(f"unknown study DAG name={name!r}; available: {', '.join(names)}")
    return models_dir() / f"{stem}{_SUFFIX}"


def model_description(name: str) -> str:
    """The header comment of the library DAG ``name``, without the ``#`` marks.

    Examples
    --------
    >>> model_description("imaging_genomics_mediator").splitlines()[0]
    'An imaging-genomics study with a mediator: EGFR -> necrosis -> texture.'
    """
    lines = []
    for line in model_path(name).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        lines.append(stripped[1:].removeprefix(" "))
    return "\n".join(lines).strip()


def load_model(name: str) -> CausalDAG:
    """Load the library DAG ``name`` (see :func:`list_models`).

    Parameters
    ----------
    name : str
        e.g. ``"tumour_grade_confounding"``; the ``.dag`` suffix is optional.

    Returns
    -------
    CausalDAG
        Named after the file.

    Raises
    ------
    GraphError
        Unknown name (the message lists the available names).

    Examples
    --------
    >>> dag = load_model("tumour_grade_confounding")
    >>> dag.exposures, dag.outcomes
    (('EGFR',), ('texture',))
    >>> dag.adjustment_sets()
    [frozenset({'IDH1', 'grade'})]
    """
    from radiocausal.graph.dag import CausalDAG

    return CausalDAG.read(model_path(name))
