"""Causal graphs: declare study DAGs with roles, derive and check adjustment sets.

This subpackage never imports PyMC.
"""

from radiocausal.graph.dag import DECLARED_ROLES, DERIVED_ROLES, AdjustmentExplanation, CausalDAG

__all__ = ["CausalDAG", "AdjustmentExplanation", "DECLARED_ROLES", "DERIVED_ROLES"]
