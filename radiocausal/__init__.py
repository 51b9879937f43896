"""radiocausal: causal radiogenomics.

Link what a medical image shows (radiomic features) to what the tumour's genome says
(mutations, copy number, expression), with the study's causal assumptions declared as a DAG.

Examples
--------
>>> import radiocausal as rc
>>> dag = rc.CausalDAG.from_dagitty("dag { grade -> EGFR -> texture ; grade -> texture ; "
...                                 "EGFR [exposure] ; texture [outcome] }")
>>> dag.adjustment_sets()
[frozenset({'grade'})]
"""

from radiocausal import errors
from radiocausal.errors import *  # noqa: F403  (the error hierarchy is public API: errors.__all__)
from radiocausal.graph import AdjustmentExplanation, CausalDAG, list_models, load_model

__version__ = "0.1.0.dev0"

# Subpackages that import heavy libraries (SimpleITK, pyradiomics, PyMC, scikit-learn) load on
# first use, so that `import radiocausal` stays fast: name -> (module, attribute or None).
_LAZY = {
    "features": ("radiocausal.features", None),
    "genomics": ("radiocausal.genomics", None),
    "stats": ("radiocausal.stats", None),
    "models": ("radiocausal.models", None),
    "predict": ("radiocausal.predict", None),
    "harmonize": ("radiocausal.harmonize", None),
    "simulate": ("radiocausal.simulate", None),
    "pipeline": ("radiocausal.pipeline", None),
    "report": ("radiocausal.report", None),
    "simulate_tables": ("radiocausal.simulate", "simulate_tables"),
    "extract": ("radiocausal.features", "extract"),
    "extract_batch": ("radiocausal.features", "extract_batch"),
    "ExtractionSettings": ("radiocausal.features", "ExtractionSettings"),
    "association_scan": ("radiocausal.stats", "association_scan"),
    "adjust_pvalues": ("radiocausal.stats", "adjust_pvalues"),
    "AssociationModel": ("radiocausal.models", "AssociationModel"),
    "StructuralModel": ("radiocausal.models", "StructuralModel"),
    "LatentFactorModel": ("radiocausal.models", "LatentFactorModel"),
    "adaptive_shrinkage": ("radiocausal.models", "adaptive_shrinkage"),
    "cross_validate": ("radiocausal.predict", "cross_validate"),
    "cross_decompose": ("radiocausal.predict", "cross_decompose"),
    "ComBat": ("radiocausal.harmonize", "ComBat"),
    "Study": ("radiocausal.pipeline", "Study"),
    "analyze": ("radiocausal.pipeline", "analyze"),
    "write_report": ("radiocausal.report", "write_report"),
}


def __getattr__(name: str):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'radiocausal' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "errors",
    "CausalDAG",
    "AdjustmentExplanation",
    "list_models",
    "load_model",
    *_LAZY,
    *errors.__all__,
]
