"""Radiomic feature extraction: IBSI pre-processing with SimpleITK, pyradiomics' formulas.

The entry point is :func:`extract`; settings are one validated :class:`ExtractionSettings`
object or a named preset (``"pyradiomics"``, ``"ibsi-A"`` … ``"ibsi-E"``,
``"ibsi-digital-phantom"``).

Examples
--------
>>> import numpy as np, SimpleITK as sitk
>>> from radiocausal.features import extract
>>> img = sitk.GetImageFromArray(np.arange(125.0).reshape(5, 5, 5))
>>> msk = sitk.GetImageFromArray(np.ones((5, 5, 5), np.uint8))
>>> x = extract(img, msk, settings="ibsi-D")
>>> float(x["stat_max"]), "cm_joint_max_3D_avg" in x.index
(124.0, True)
"""

from radiocausal.features.batch import BatchResult, extract_batch, read_manifest
from radiocausal.features.extraction import compute_features, extract
from radiocausal.features.io import (
    LoadedRoi,
    RoiTooSmallError,
    check_geometry,
    load_image_and_mask,
    read_image,
)
from radiocausal.features.preprocessing import PreprocessedRoi, discretise, preprocess, resample_ibsi, resegment
from radiocausal.features.perturbation import RobustnessResult, perturb, perturbation_plan, robustness
from radiocausal.features.stability import (
    ICC_FORMS,
    ccc,
    feature_icc,
    icc,
    repeatability_coefficient,
    stable_features,
    within_subject_cv,
)
from radiocausal.features.settings import (
    PRESETS,
    ExtractionSettings,
    SettingsError,
    get_settings,
)

__all__ = [
    "extract",
    "compute_features",
    "extract_batch",
    "read_manifest",
    "BatchResult",
    "PRESETS",
    "ExtractionSettings",
    "SettingsError",
    "get_settings",
    "LoadedRoi",
    "RoiTooSmallError",
    "check_geometry",
    "load_image_and_mask",
    "read_image",
    "PreprocessedRoi",
    "preprocess",
    "resample_ibsi",
    "resegment",
    "discretise",
    "ICC_FORMS",
    "icc",
    "ccc",
    "within_subject_cv",
    "repeatability_coefficient",
    "feature_icc",
    "stable_features",
    "perturb",
    "perturbation_plan",
    "robustness",
    "RobustnessResult",
]
