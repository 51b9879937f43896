"""Batch harmonisation of radiomic features across scanners / sites (ComBat) and its diagnostics.

For prediction, harmonise inside the cross-validation
(``radiocausal.predict.cross_validate(..., harmonize=True)``) so that ComBat is fitted on training
folds only; :func:`combat` harmonises a whole table for descriptive analyses.

Examples
--------
>>> from radiocausal.harmonize import ComBat
>>> ComBat(site_column="scanner", covariates=["age"]).covariates
['age']
"""

from radiocausal.harmonize._combat import ComBat, combat
from radiocausal.harmonize._diagnostics import SiteSeparability, site_separability

__all__ = ["ComBat", "combat", "SiteSeparability", "site_separability"]
