"""Frequentist bridge between imaging and genomics: mass-univariate association scans and
multiple-testing corrections.

Examples
--------
>>> from radiocausal.stats import adjust_pvalues
>>> adjust_pvalues([0.01, 0.04, 0.03], method="holm")
array([0.03, 0.06, 0.06])
"""

from radiocausal.stats.multiple_testing import PVALUE_METHODS, adjust_pvalues, estimate_pi0
from radiocausal.stats.scan import SCAN_TESTS, association_scan

__all__ = ["adjust_pvalues", "estimate_pi0", "association_scan", "PVALUE_METHODS", "SCAN_TESTS"]
