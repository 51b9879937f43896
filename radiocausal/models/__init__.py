"""Bayesian causal models in PyMC, driven by a :class:`~radiocausal.graph.CausalDAG`.

:class:`AssociationModel` fits one hierarchical GLM of an outcome on an exposure, adjusted for a
covariate set the DAG chooses (or checks), with batch nodes as hierarchical intercepts.
:class:`StructuralModel` fits one GLM per observed node given its parents and answers
``do()`` questions.  :class:`LatentFactorModel` finds factors shared by imaging and genomic views
(and factors specific to one), with variance explained per view.  :func:`adaptive_shrinkage` screens many feature x gene pairs from their
scan estimates (posterior probabilities, local false sign rates, Bayesian FDR).  Results are ArviZ ``InferenceData`` carrying the DAG in their ``attrs``.
"""

from radiocausal.models._design import FAMILIES, infer_family
from radiocausal.models._glm import DEFAULT_PRIORS
from radiocausal.models._sampling import Diagnostics, check_convergence
from radiocausal.models.association import AssociationModel, choose_adjustment_set, effect_summary
from radiocausal.models.factors import LatentFactorModel, add_factor_nodes, align_factors, simulate_factor_data
from radiocausal.models.screening import ScreeningResult, adaptive_shrinkage
from radiocausal.models.structural import StructuralModel

__all__ = [
    "AssociationModel",
    "DEFAULT_PRIORS",
    "Diagnostics",
    "FAMILIES",
    "LatentFactorModel",
    "ScreeningResult",
    "StructuralModel",
    "adaptive_shrinkage",
    "add_factor_nodes",
    "align_factors",
    "check_convergence",
    "choose_adjustment_set",
    "effect_summary",
    "infer_family",
    "simulate_factor_data",
]
