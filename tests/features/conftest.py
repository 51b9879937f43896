"""Helpers for the feature tests: IBSI reference values and the IBSI match rule."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiocausal.features import extract


def round_sig(value: float, digits: int = 3) -> float:
    """Round to ``digits`` significant digits (IBSI match rule)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, -int(math.floor(math.log10(abs(value)))) + digits - 1)


def ibsi_matches(value: float, reference: float, tolerance: float) -> bool:
    """IBSI rule: the value rounded to 3 significant digits lies within tolerance of the reference.

    Diagnostic references that carry more than 3 significant digits with zero tolerance
    (``max_int_init_img`` = 3065, voxel counts = 125256) are compared unrounded.
    """
    if abs(round_sig(value) - reference) <= tolerance + 1e-12:
        return True
    return abs(value - reference) <= tolerance


def read_reference(path: Path) -> pd.DataFrame:
    """IBSI reference table (``reference value;tolerance;tag``), rows without a value dropped."""
    ref = pd.read_csv(path, sep=";")
    ref.columns = ["reference", "tolerance", "tag"]
    return ref.dropna(subset=["reference", "tolerance"]).reset_index(drop=True)


def compare(values: pd.Series, ref: pd.DataFrame) -> tuple[list[str], list[tuple], list[str]]:
    """(passing tags, failing (tag, value, reference, tolerance), tags not computed)."""
    passed, failed, missing = [], [], []
    for tag, r, tol in zip(ref["tag"], ref["reference"], ref["tolerance"]):
        if tag not in values.index or not np.isfinite(values[tag]):
            missing.append(tag)
        elif ibsi_matches(float(values[tag]), float(r), float(tol)):
            passed.append(tag)
        else:
            failed.append((tag, float(values[tag]), float(r), float(tol)))
    return passed, failed, missing


@pytest.fixture(scope="session")
def ibsi_dir(shared_data: Path) -> Path:
    return shared_data / "ibsi"


@pytest.fixture(scope="session")
def ct_features(ibsi_dir: Path):
    """CT-phantom features per IBSI configuration, computed once per session on demand."""
    cache: dict[str, pd.Series] = {}
    image = ibsi_dir / "ct_phantom" / "nifti" / "image" / "phantom.nii.gz"
    mask = ibsi_dir / "ct_phantom" / "nifti" / "mask" / "mask.nii.gz"

    def get(config: str) -> pd.Series:
        if config not in cache:
            cache[config] = extract(image, mask, settings=f"ibsi-{config}")
        return cache[config]

    return get


class _IbsiHelpers:
    round_sig = staticmethod(round_sig)
    matches = staticmethod(ibsi_matches)
    read_reference = staticmethod(read_reference)
    compare = staticmethod(compare)


@pytest.fixture(scope="session")
def ibsi() -> _IbsiHelpers:
    """The IBSI helpers above (test modules cannot import conftest under importlib mode)."""
    return _IbsiHelpers()
