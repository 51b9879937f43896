"""Causal graphs: declare study DAGs with roles, derive and check adjustment sets.

This subpackage never imports PyMC.
"""

from radiocausal.graph.dag import DECLARED_ROLES, DERIVED_ROLES, AdjustmentExplanation, CausalDAG, NodeSet
from radiocausal.graph.independencies import Implications, Independence, implied_independencies
from radiocausal.graph.library import list_models, load_model

__all__ = [
    "CausalDAG",
    "AdjustmentExplanation",
    "NodeSet",
    "Independence",
    "Implications",
    "implied_independencies",
    "list_models",
    "load_model",
    "DECLARED_ROLES",
    "DERIVED_ROLES",
]
