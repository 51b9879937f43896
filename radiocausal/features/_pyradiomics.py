"""pyradiomics feature classes fed with grey levels discretised by radiocausal.

pyradiomics discretises inside each feature class (``_applyBinning``).  The classes here
replace that step by the grey levels computed by :mod:`radiocausal.features.preprocessing`,
so pyradiomics' feature formulas run on IBSI-discretised images, with ``Ng`` (used by the
normalised inverse-difference features) set to the discretisation's number of levels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import SimpleITK as sitk
from radiomics import firstorder, glcm, gldm, glrlm, glszm, ngtdm, shape


def _apply_given_levels(self: Any, matrix: np.ndarray) -> np.ndarray:
    levels = self.settings["_levels"]
    if levels.shape != matrix.shape:  # pragma: no cover - internal consistency check
        raise RuntimeError(f"grey-level array shape {levels.shape} differs from image shape {matrix.shape}")
    self.coefficients["grayLevels"] = np.unique(levels[self.maskArray])
    self.coefficients["Ng"] = int(self.settings["_n_levels"])
    return levels.copy()


class FirstOrder(firstorder.RadiomicsFirstOrder):
    _applyBinning = _apply_given_levels


class GLCM(glcm.RadiomicsGLCM):
    _applyBinning = _apply_given_levels

    def getSumAverageFeatureValue(self) -> np.ndarray:
        # pyradiomics' formula, without the warning it logs for symmetrical matrices
        pxAddy = self.coefficients["pxAddy"]
        kValuesSum = self.coefficients["kValuesSum"]
        return np.nanmean(np.sum(kValuesSum[None, :, None] * pxAddy, 1), 1)


class GLRLM(glrlm.RadiomicsGLRLM):
    _applyBinning = _apply_given_levels


class GLSZM(glszm.RadiomicsGLSZM):
    _applyBinning = _apply_given_levels


class NGTDM(ngtdm.RadiomicsNGTDM):
    _applyBinning = _apply_given_levels


class GLDM(gldm.RadiomicsGLDM):
    """GLDM (IBSI's NGLDM with coarseness 0, distance 1) with the features pyradiomics deprecates."""

    _applyBinning = _apply_given_levels

    def _counts(self) -> tuple[np.ndarray, float]:
        p = np.asarray(self.P_gldm, dtype=float)[0]  # (Ng, Nd) counts
        return p, float(p.sum())

    def getGrayLevelNonUniformityNormalizedIBSIFeatureValue(self) -> float:
        p, n = self._counts()
        return float(np.sum(p.sum(1) ** 2) / n**2)

    def getDependencePercentageIBSIFeatureValue(self) -> float:
        p, n = self._counts()
        return float(n / np.count_nonzero(self.maskArray))

    def getDependenceEnergyFeatureValue(self) -> float:
        p, n = self._counts()
        return float(np.sum((p / n) ** 2))


class Shape(shape.RadiomicsShape):
    """pyradiomics shape features; ``pca_ddof=1`` gives IBSI's N-1 covariance for the axis lengths."""

    def _initSegmentBasedCalculation(self) -> None:
        super()._initSegmentBasedCalculation()
        if self.settings.get("_pca_ddof", 0) == 1:
            n = int(np.count_nonzero(self.maskArray))
            if n > 1:
                self.eigenValues = self.eigenValues * n / (n - 1)


def make_images(
    intensities: np.ndarray, mask: np.ndarray, spacing: tuple[float, float, float]
) -> tuple[sitk.Image, sitk.Image]:
    """SimpleITK image and mask (label 1) from (z, y, x) arrays and (x, y, z) spacing."""
    img = sitk.GetImageFromArray(np.asarray(intensities, dtype=np.float64))
    img.SetSpacing(tuple(float(s) for s in spacing))
    msk = sitk.GetImageFromArray(np.asarray(mask, dtype=np.uint8))
    msk.CopyInformation(img)
    return img, msk


def compute(
    cls: type,
    features: list[str],
    intensities: np.ndarray,
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    levels: np.ndarray | None = None,
    n_levels: int | None = None,
    **settings: Any,
) -> dict[str, float]:
    """Run pyradiomics' getters ``features`` of ``cls`` (errors propagate, no silent NaN)."""
    img, msk = make_images(intensities, mask, spacing)
    if levels is not None:
        settings = dict(settings, _levels=np.asarray(levels), _n_levels=n_levels)
    obj = cls(img, msk, label=1, **settings)
    obj._initCalculation()
    out = {}
    for name in features:
        value = getattr(obj, f"get{name}FeatureValue")()
        out[name] = float(np.real(np.squeeze(value)))  # eigen-based shape values may be complex-typed
    return out


class GLDZM(glszm.RadiomicsGLSZM):
    """Grey level distance zone matrix (IBSI 3.7) fed to pyradiomics' GLSZM formulas.

    Zones are GLSZM's (26- or in-plane 8-connected voxels of equal grey level); each zone's
    distance is the smallest taxicab distance of its voxels to the ROI edge (edge voxels at 1;
    6-connected in 3D, 4-connected in-plane with ``force2D``).  The GLSZM formulas then read
    "zone size" as "zone distance"; the zone percentage uses the number of ROI voxels.
    """

    _applyBinning = _apply_given_levels

    def _calculateMatrix(self, voxelCoordinates: Any = None) -> np.ndarray:
        from scipy import ndimage

        levels = np.asarray(self.imageArray)
        mask = np.asarray(self.maskArray, bool)
        edge_mask = np.asarray(self.settings.get("_distance_mask", mask), bool)
        force2d = bool(self.settings.get("force2D", False))
        if force2d and int(self.settings.get("force2Ddimension", 0)) != 0:  # pragma: no cover
            raise ValueError("GLDZM supports force2Ddimension=0 (axial slices) only")
        conn = np.ones((3, 3, 3), bool)
        metric = ndimage.generate_binary_structure(3, 1)
        if force2d:
            conn[[0, 2]] = False
            metric[[0, 2]] = False
        padded = np.pad(edge_mask, 1)
        dist = ndimage.distance_transform_cdt(padded, metric=metric)[1:-1, 1:-1, 1:-1]
        gray = self.coefficients["grayLevels"]
        rows = []
        max_d = 1
        for g in gray:
            comp, n = ndimage.label((levels == g) & mask, structure=conn)
            sel = comp > 0
            d = np.full(n + 1, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(d, comp[sel], dist[sel].astype(np.int64))  # smallest distance per zone
            d = d[1:]
            rows.append(d)
            if d.size:
                max_d = max(max_d, int(d.max()))
        P = np.zeros((1, len(gray), max_d), dtype=float)
        for gi, d in enumerate(rows):
            np.add.at(P[0, gi], d - 1, 1.0)
        return P

    def _calculateCoefficients(self) -> None:
        super()._calculateCoefficients()
        self.coefficients["Np"] = np.array([float(np.count_nonzero(self.maskArray))])
