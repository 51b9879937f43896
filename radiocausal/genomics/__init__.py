"""Genomic profiles: RNA-seq normalisation and filters, mutation matrices, copy-number calls,
and joining imaging with genomics by patient.

Tables are samples (patients) x genes, like every radiocausal table.

Examples
--------
>>> import pandas as pd
>>> from radiocausal.genomics import to_cpm, log2_1p
>>> counts = pd.DataFrame({"ESR1": [30, 1], "ERBB2": [10, 3]}, index=["p1", "p2"])
>>> log2_1p(to_cpm(counts)).round(2).to_dict()
{'ESR1': {'p1': 19.52, 'p2': 17.93}, 'ERBB2': {'p1': 17.93, 'p2': 19.52}}
"""

from radiocausal.genomics.copy_number import CN_DTYPE, CN_LEVELS, DEFAULT_CN_THRESHOLDS, copy_number_categories
from radiocausal.genomics.expression import filter_low_expression, filter_low_variance, log2_1p, to_cpm, to_tpm
from radiocausal.genomics.join import PatientJoin, join_by_patient, tcga_patient_id, tcga_sample_type
from radiocausal.genomics.mutations import (
    FUNCTIONAL_VARIANT_CLASSES,
    NONFUNCTIONAL_VARIANT_CLASSES,
    mutation_matrix,
)

__all__ = [
    "to_tpm",
    "to_cpm",
    "log2_1p",
    "filter_low_expression",
    "filter_low_variance",
    "mutation_matrix",
    "FUNCTIONAL_VARIANT_CLASSES",
    "NONFUNCTIONAL_VARIANT_CLASSES",
    "copy_number_categories",
    "CN_LEVELS",
    "CN_DTYPE",
    "DEFAULT_CN_THRESHOLDS",
    "join_by_patient",
    "tcga_patient_id",
    "tcga_sample_type",
    "PatientJoin",
]
