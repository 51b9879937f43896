"""Radiomic feature extraction (IBSI-compliant pre-processing, pyradiomics formulas).

Examples
--------
>>> from radiocausal.features import load_image_and_mask
"""

from radiocausal.features.settings import (
    PRESETS,
    ExtractionSettings,
    SettingsError,
    get_settings,
)
from radiocausal.features.io import (
    LoadedRoi,
    RoiTooSmallError,
    check_geometry,
    load_image_and_mask,
    read_image,
)

__all__ = [
    "PRESETS",
    "ExtractionSettings",
    "SettingsError",
    "get_settings",
    "LoadedRoi",
    "RoiTooSmallError",
    "check_geometry",
    "load_image_and_mask",
    "read_image",
]
