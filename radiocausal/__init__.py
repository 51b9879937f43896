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
from radiocausal.errors import (
    ConvergenceError,
    ConvergenceWarning,
    CycleError,
    DagittyParseError,
    DataError,
    DataWarning,
    EmptyMaskError,
    GeometryMismatchError,
    GraphError,
    IdentificationError,
    ImageError,
    ModelError,
    RadiocausalError,
    RadiocausalWarning,
    RoleError,
    RoleWarning,
    UnknownNodeError,
)
from radiocausal.graph import AdjustmentExplanation, CausalDAG

__version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
    "errors",
    "CausalDAG",
    "AdjustmentExplanation",
    "RadiocausalError",
    "GraphError",
    "CycleError",
    "UnknownNodeError",
    "RoleError",
    "DagittyParseError",
    "IdentificationError",
    "DataError",
    "ImageError",
    "GeometryMismatchError",
    "EmptyMaskError",
    "ModelError",
    "ConvergenceError",
    "RadiocausalWarning",
    "RoleWarning",
    "DataWarning",
    "ConvergenceWarning",
]
