"""Robustness of features to image perturbations (Zwanenburg et al., Sci Rep 9:614, 2019).

Each perturbation is generated with SimpleITK: additive Gaussian noise (noise level estimated
with Immerkær's method), sub-voxel translation, rotation about the axial (z) axis, volume
adaptation (growing or shrinking the mask along its signed distance map to a target volume
change) and contour randomisation (the signed distance map plus a smooth random field,
thresholded at the contour; a simpler stand-in for the supervoxel method of the paper).  Features are
re-extracted from every perturbed image and the ICC(1,1) over perturbations (subjects = cases,
raters = perturbations) measures robustness; :func:`stable_features` keeps the features above
a threshold (0.90 by default).

Examples
--------
>>> import numpy as np, SimpleITK as sitk
>>> z, y, x = np.indices((12, 16, 16))
>>> m = ((x - 8) ** 2 + (y - 8) ** 2 + (z - 6) ** 2 <= 16).astype(np.uint8)
>>> img = sitk.GetImageFromArray(100.0 * m + np.random.default_rng(0).normal(0, 5, m.shape))
>>> msk = sitk.GetImageFromArray(m)
>>> img2, msk2 = perturb(img, msk, volume_change=0.2, seed=1)
>>> round(float(sitk.GetArrayFromImage(msk2).sum() / m.sum()), 1)
1.2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiocausal.errors import DataError
from radiocausal.features.extraction import extract
from radiocausal.features.io import ImageSource, load_image_and_mask
from radiocausal.features.settings import SettingsLike, get_settings
from radiocausal.features.stability import feature_icc, stable_features

__all__ = ["estimate_noise", "perturb", "perturbation_plan", "RobustnessResult", "robustness", "KINDS"]

#: Perturbations :func:`perturbation_plan` can combine (Zwanenburg et al. 2019's image and ROI perturbations).
KINDS = ("noise", "translation", "rotation", "volume", "contour")


def estimate_noise(image: sitk.Image) -> float:
    """Noise standard deviation by Immerkær's method (Laplacian difference kernel), per axial slice.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> arr = np.random.default_rng(0).normal(0, 3, (4, 64, 64))
    >>> round(estimate_noise(sitk.GetImageFromArray(arr)), 0)
    3.0
    """
    from scipy import ndimage

    arr = sitk.GetArrayFromImage(image).astype(float)
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], float)
    sig = []
    for sl in arr:
        h, w = sl.shape
        if h < 3 or w < 3:
            continue
        conv = ndimage.convolve(sl, kernel, mode="reflect")[1:-1, 1:-1]
        sig.append(np.sqrt(np.pi / 2) * np.abs(conv).sum() / (6 * (w - 2) * (h - 2)))
    return float(np.mean(sig)) if sig else 0.0


def _resample(image: sitk.Image, transform: sitk.Transform, interpolator: int) -> sitk.Image:
    return sitk.Resample(
        sitk.Cast(image, sitk.sitkFloat64), image, transform, interpolator, 0.0, sitk.sitkFloat64, True
    )


def perturb(
    image: sitk.Image,
    mask: sitk.Image,
    *,
    noise: bool = False,
    translation: Sequence[float] = (0.0, 0.0, 0.0),
    rotation: float = 0.0,
    volume_change: float = 0.0,
    contour: bool = False,
    seed: int | None = None,
) -> tuple[sitk.Image, sitk.Image]:
    """One perturbed copy of an image and its binary mask (1 = ROI).

    Parameters
    ----------
    noise : bool
        Add Gaussian noise with the image's estimated noise level.
    translation : (x, y, z)
        Shift as a fraction of the voxel spacing (sub-voxel when ``|t| < 1``).
    rotation : float
        Rotation in degrees about the z axis through the ROI centroid.
    volume_change : float
        Relative change of the ROI volume (e.g. -0.2 shrinks by 20 %), in (-1, inf).
    contour : bool
        Randomise the contour with a smooth random field (amplitude about one voxel).
    seed : int or None
        Seed of the noise and contour fields.

    Returns
    -------
    (SimpleITK.Image, SimpleITK.Image)
        Float64 image and uint8 mask on the input grid.
    """
    if not volume_change > -1:
        raise DataError(f"volume_change={volume_change!r}: expected a number > -1")
    if len(translation) != 3:
        raise DataError(f"translation={translation!r}: expected 3 fractions of the voxel spacing (x, y, z)")
    rng = np.random.default_rng(seed)
    img = sitk.Cast(image, sitk.sitkFloat64)
    msk = sitk.Cast(mask > 0, sitk.sitkUInt8)
    if any(translation) or rotation:
        idx = np.argwhere(sitk.GetArrayViewFromImage(msk) > 0).mean(0)[::-1]
        centre = msk.TransformContinuousIndexToPhysicalPoint([float(v) for v in idx])
        tf = sitk.Euler3DTransform()
        tf.SetCenter(centre)
        tf.SetRotation(0.0, 0.0, np.deg2rad(rotation))
        tf.SetTranslation([float(t) * s for t, s in zip(translation, img.GetSpacing())])
        img = _resample(img, tf, sitk.sitkLinear)
        fm = _resample(msk, tf, sitk.sitkLinear)
        msk = sitk.Cast(fm >= 0.5, sitk.sitkUInt8)
    if noise:
        sd = estimate_noise(image)
        arr = sitk.GetArrayFromImage(img) + rng.normal(0.0, sd, size=img.GetSize()[::-1])
        out = sitk.GetImageFromArray(arr)
        out.CopyInformation(img)
        img = out
    if volume_change or contour:
        dist = sitk.GetArrayFromImage(
            sitk.SignedMaurerDistanceMap(msk, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
        )
        if contour:
            from scipy import ndimage

            # smooth field, SD half a voxel: the contour moves by about half a voxel
            field_ = ndimage.gaussian_filter(rng.normal(size=dist.shape), sigma=3.0)
            field_ *= 0.5 * min(img.GetSpacing()) / max(field_.std(), 1e-12)
            dist = dist + field_
        if volume_change:
            # exactly the target number of voxels closest to the contour (ties broken at random)
            n_target = int(round(np.count_nonzero(sitk.GetArrayViewFromImage(msk)) * (1 + volume_change)))
            n_target = int(np.clip(n_target, 1, dist.size))
            order = np.lexsort((rng.random(dist.size), dist.ravel()))
            new = np.zeros(dist.size, np.uint8)
            new[order[:n_target]] = 1
            new = new.reshape(dist.shape)
        else:
            # inside voxels have distance <= 0, outside neighbours one spacing: contour half-way
            new = (dist <= 0.5 * min(img.GetSpacing())).astype(np.uint8)
        if not new.any():
            new[np.unravel_index(np.argmin(dist), dist.shape)] = 1
        out = sitk.GetImageFromArray(new)
        out.CopyInformation(msk)
        msk = out
    return img, msk


def perturbation_plan(kinds: Sequence[str] = KINDS, n: int = 8, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` perturbation settings combining the requested kinds (the first is the unperturbed image).

    Rotation is drawn from [-15, 15] degrees, translation from {0, 0.25, 0.5} voxel per axis,
    volume change from [-0.2, 0.2], as in Zwanenburg et al. (2019).

    Examples
    --------
    >>> plan = perturbation_plan(("rotation", "volume"), n=3, seed=0)
    >>> len(plan), plan[0]
    (3, {})
    """
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise DataError(f"kinds={list(kinds)!r}: expected a non-empty subset of {list(KINDS)}")
    if n < 2:
        raise DataError(f"n={n!r}: expected at least 2 perturbations")
    rng = np.random.default_rng(seed)
    plans: list[dict[str, Any]] = [{}]
    for i in range(1, n):
        p: dict[str, Any] = {"seed": int(rng.integers(2**31))}
        if "noise" in kinds:
            p["noise"] = True
        if "translation" in kinds:
            p["translation"] = tuple(float(v) for v in rng.choice([0.0, 0.25, 0.5], size=3))
        if "rotation" in kinds:
            p["rotation"] = float(rng.uniform(-15, 15))
        if "volume" in kinds:
            p["volume_change"] = float(rng.uniform(-0.2, 0.2))
        if "contour" in kinds:
            p["contour"] = True
        plans.append(p)
    return plans


@dataclass
class RobustnessResult:
    """Features of every case under every perturbation and their ICC(1,1).

    Attributes
    ----------
    features : pandas.DataFrame
        Long table: ``case``, ``perturbation`` and one column per feature.
    icc : pandas.DataFrame
        Per feature: ``icc``, ``ci_low``, ``ci_high`` (ICC(1,1) over perturbations).
    plan : list of dict
        The perturbations applied.
    """

    features: pd.DataFrame
    icc: pd.DataFrame
    plan: list[dict[str, Any]] = field(default_factory=list)

    def stable(self, threshold: float = 0.90) -> list[str]:
        """Features with ICC(1,1) at least ``threshold``."""
        return stable_features(self.icc, threshold)


def robustness(
    cases: Sequence[tuple[ImageSource, ImageSource]] | Sequence[tuple[ImageSource, ImageSource, int]],
    settings: SettingsLike,
    *,
    kinds: Sequence[str] = KINDS,
    n_perturbations: int = 8,
    names: str = "ibsi",
    seed: int = 0,
) -> RobustnessResult:
    """Extract features under perturbations and compute their ICC(1,1) across perturbations.

    Parameters
    ----------
    cases : sequence of (image, mask) or (image, mask, label)
        At least two cases (the ICC needs between-case variance).
    settings : preset name, path, mapping or ExtractionSettings
    kinds : subset of :data:`KINDS`
        Perturbations combined in every perturbed copy.
    n_perturbations : int
        Copies per case, the first unperturbed.
    names : {"ibsi", "pyradiomics"}
    seed : int

    Returns
    -------
    RobustnessResult
    """
    if len(cases) < 2:
        raise DataError(f"cases: got {len(cases)}; expected at least 2 cases for an ICC")
    s = get_settings(settings)
    plan = perturbation_plan(kinds, n_perturbations, seed)
    rows = []
    for c, case in enumerate(cases):
        label = int(case[2]) if len(case) > 2 else 1
        roi = load_image_and_mask(case[0], case[1], label=label, geometry_tolerance=s.geometry_tolerance)
        for j, p in enumerate(plan):
            img, msk = perturb(roi.image, roi.mask, **p) if p else (roi.image, roi.mask)
            values = extract(img, msk, settings=s, names=names)
            rows.append({"case": c, "perturbation": j, **values.to_dict()})
    table = pd.DataFrame(rows)
    feats = [
        k for k in table.columns
        if k not in ("case", "perturbation") and not k.endswith(("_img", "_roi")) and table[k].notna().all()
    ]
    iccs = feature_icc(table, "case", "perturbation", feats, form="ICC(1,1)")
    return RobustnessResult(table, iccs, plan)
