"""IBSI image pre-processing with SimpleITK and NumPy.

Steps, in IBSI order (Zwanenburg et al., IBSI reference manual, ch. 2):

1. interpolation onto a grid aligned on the centre of the original grid (nearest, linear
   or cubic B-spline); the mask is interpolated (``mask_interpolator``, trilinear in the
   IBSI configurations) and kept where >= ``mask_threshold``; optional rounding of intensities;
2. re-segmentation of the intensity mask by range and/or by mean ± k·SD (the morphological
   mask is not re-segmented);
3. discretisation by fixed bin number or by fixed bin size, with IBSI's bin edges (bins
   start at the lower re-segmentation bound) or pyradiomics' edges.

Examples
--------
>>> import numpy as np, SimpleITK as sitk
>>> img = sitk.GetImageFromArray(np.zeros((3, 4, 5)))
>>> img.SetSpacing((1.0, 1.0, 3.0))
>>> out = resample_ibsi(img, (2.0, 2.0, 2.0), "linear")
>>> out.GetSize(), out.GetSpacing()
((3, 2, 5), (2.0, 2.0, 2.0))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from radiocausal.errors import ImageError
from radiocausal.features.io import LoadedRoi, RoiTooSmallError
from radiocausal.features.settings import ExtractionSettings

__all__ = [
    "resample_ibsi",
    "resegment",
    "discretise",
    "PreprocessedRoi",
    "preprocess",
]

_SITK_INTERPOLATORS = {
    "nearest": sitk.sitkNearestNeighbor,
    "linear": sitk.sitkLinear,
    "cubic": sitk.sitkBSpline,
}


def _ibsi_grid(
    image: sitk.Image, spacing: tuple[float | None, float | None, float | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Size, spacing and origin of IBSI's centre-aligned interpolation grid."""
    old_spacing = np.asarray(image.GetSpacing(), float)
    old_size = np.asarray(image.GetSize(), float)
    new_spacing = np.array([o if s is None else float(s) for o, s in zip(old_spacing, spacing)])
    new_size = np.ceil(np.round(old_size * old_spacing / new_spacing, 6)).astype(int)
    # centre alignment: shift of the first voxel centre, in mm along each image axis
    shift = (old_spacing * (old_size - 1) - new_spacing * (new_size - 1)) / 2.0
    direction = np.asarray(image.GetDirection(), float).reshape(3, 3)
    new_origin = np.asarray(image.GetOrigin(), float) + direction @ shift
    return new_size, new_spacing, new_origin


def resample_ibsi(
    image: sitk.Image,
    spacing: tuple[float | None, float | None, float | None],
    interpolator: str,
    *,
    output_pixel_type: int = sitk.sitkFloat64,
) -> sitk.Image:
    """Interpolate ``image`` onto IBSI's centre-aligned grid with the given spacing.

    The new grid has ``ceil(n * s / s')`` voxels along each axis and its centre coincides
    with the centre of the original grid.  ``None`` entries of ``spacing`` keep that axis.
    Values beyond the original grid take the nearest voxel's value.

    Parameters
    ----------
    image : SimpleITK.Image
    spacing : (x, y, z) in mm, entries may be None
    interpolator : {"nearest", "linear", "cubic"}

    Returns
    -------
    SimpleITK.Image

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.Image(204, 201, 60, sitk.sitkFloat32)
    >>> img.SetSpacing((0.977, 0.977, 3.0))
    >>> resample_ibsi(img, (2.0, 2.0, 2.0), "linear").GetSize()
    (100, 99, 90)
    """
    new_size, new_spacing, new_origin = _ibsi_grid(image, spacing)
    res = sitk.ResampleImageFilter()
    res.SetOutputSpacing(new_spacing.tolist())
    res.SetSize([int(v) for v in new_size])
    res.SetOutputOrigin(new_origin.tolist())
    res.SetOutputDirection(image.GetDirection())
    res.SetInterpolator(_SITK_INTERPOLATORS[interpolator])
    res.SetOutputPixelType(output_pixel_type)
    res.SetUseNearestNeighborExtrapolator(True)
    return res.Execute(sitk.Cast(image, sitk.sitkFloat64))


def resegment(
    values: np.ndarray,
    roi: np.ndarray,
    *,
    value_range: tuple[float, float] | None = None,
    sigma: float | None = None,
) -> np.ndarray:
    """Re-segment an ROI by intensity range and/or mean ± ``sigma``·SD.

    The range is applied first; the mean and SD (population) are then computed on the
    remaining voxels.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([-2000.0, -100, 0, 100, 3000])
    >>> resegment(v, np.ones(5, bool), value_range=(-1000, 400)).tolist()
    [False, True, True, True, False]
    """
    keep = roi.astype(bool).copy()
    if value_range is not None:
        lo, hi = value_range
        keep &= (values >= lo) & (values <= hi)
    if sigma is not None and keep.any():
        sel = values[keep]
        mu, sd = float(np.mean(sel)), float(np.std(sel))
        keep &= (values >= mu - sigma * sd) & (values <= mu + sigma * sd)
    return keep


def discretise(
    values: np.ndarray,
    settings: ExtractionSettings,
) -> tuple[np.ndarray, int]:
    """Discretise ROI intensities to grey levels 1, 2, ...; returns (levels, number of levels).

    * fixed bin number ``N``: ``floor(N (x - min) / (max - min)) + 1``, the maximum in bin ``N``;
    * fixed bin size ``w``, IBSI edges: ``floor((x - x_0) / w) + 1`` with ``x_0`` the lower
      re-segmentation bound when finite, otherwise the ROI minimum;
    * ``bin_edges="pyradiomics"``: :func:`radiomics.imageoperations.getBinEdges` (fixed bin
      size: multiples of ``w``, renumbered from 1; fixed bin number: ``numpy.histogram`` edges);
    * ``"none"``: values must already be integers >= 1.

    The number of levels is ``N`` for a fixed bin number and the highest level otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from radiocausal.features.settings import get_settings
    >>> discretise(np.array([-1000.0, -976, -975, 399]), get_settings("ibsi-C"))
    (array([ 1,  1,  2, 56]), 56)
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise RoiTooSmallError("cannot discretise an empty ROI (no voxel left after re-segmentation)")
    if settings.discretisation == "fixed_bin_number" and settings.bin_edges == "pyradiomics":
        from radiomics import imageoperations

        edges = imageoperations.getBinEdges(values, binCount=int(settings.bin_number))  # type: ignore[arg-type]
        levels = np.digitize(values, edges).astype(int)
        return levels, int(levels.max())
    if settings.discretisation == "fixed_bin_number":
        n = int(settings.bin_number)  # type: ignore[arg-type]
        lo, hi = float(values.min()), float(values.max())
        if hi == lo:
            return np.ones(values.shape, dtype=int), n
        levels = np.floor(n * (values - lo) / (hi - lo)).astype(int) + 1
        levels[values >= hi] = n
        return np.clip(levels, 1, n), n
    if settings.discretisation == "fixed_bin_size":
        w = float(settings.bin_size)  # type: ignore[arg-type]
        if settings.bin_edges == "pyradiomics":
            from radiomics import imageoperations

            edges = imageoperations.getBinEdges(values, binWidth=w)
            levels = np.digitize(values, edges).astype(int)
        else:
            lo = values.min()
            if settings.resegment_range is not None and math.isfinite(settings.resegment_range[0]):
                lo = settings.resegment_range[0]
            levels = np.floor((values - lo) / w).astype(int) + 1
        return levels, int(levels.max())
    # "none": already discretised
    if not np.all(values == np.round(values)) or values.min() < 1:
        raise ImageError(
            "discretisation='none' needs integer grey levels >= 1 inside the ROI; "
            f"got values in [{values.min():g}, {values.max():g}]"
        )
    levels = values.astype(int)
    return levels, int(levels.max())


@dataclass
class PreprocessedRoi:
    """Result of :func:`preprocess` (arrays are z, y, x like SimpleITK's NumPy views).

    Attributes
    ----------
    image : SimpleITK.Image
        Interpolated (and rounded) intensities.
    morph_mask : numpy.ndarray of bool
        Interpolated mask (morphological mask).
    int_mask : numpy.ndarray of bool
        Morphological mask after re-segmentation (intensity mask).
    levels : numpy.ndarray of int
        Discretised grey levels inside ``int_mask``, 0 outside.
    n_levels : int
        Number of grey levels of the discretisation.
    diagnostics : dict
        IBSI diagnostic values (``img_dim_x_init_img``, ...).
    where : str
        Description of the ROI (mask file and label) for error messages.
    """

    image: sitk.Image
    morph_mask: np.ndarray
    int_mask: np.ndarray
    levels: np.ndarray
    n_levels: int
    diagnostics: dict[str, float] = field(default_factory=dict)
    where: str = "ROI"

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel spacing (x, y, z) in mm."""
        return tuple(self.image.GetSpacing())  # type: ignore[return-value]

    @property
    def image_array(self) -> np.ndarray:
        """Intensities as a float array (z, y, x)."""
        return sitk.GetArrayFromImage(self.image).astype(np.float64)


def _image_diagnostics(image: sitk.Image, arr: np.ndarray, stage: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for ax, n, s in zip("xyz", image.GetSize(), image.GetSpacing()):
        out[f"img_dim_{ax}_{stage}_img"] = float(n)
        out[f"vox_dim_{ax}_{stage}_img"] = float(s)
    out[f"mean_int_{stage}_img"] = float(arr.mean())
    out[f"min_int_{stage}_img"] = float(arr.min())
    out[f"max_int_{stage}_img"] = float(arr.max())
    return out


def _bbox_dims(mask: np.ndarray) -> tuple[int, int, int]:
    idx = np.nonzero(mask)
    if idx[0].size == 0:
        return (0, 0, 0)
    z, y, x = (int(i.max() - i.min() + 1) for i in idx)
    return (x, y, z)


def _roi_diagnostics(arr: np.ndarray, int_mask: np.ndarray, morph_mask: np.ndarray, stage: str) -> dict[str, float]:
    out: dict[str, float] = {}
    shape_xyz = arr.shape[::-1]
    for ax, n, bi, bm in zip("xyz", shape_xyz, _bbox_dims(int_mask), _bbox_dims(morph_mask)):
        out[f"int_mask_dim_{ax}_{stage}_roi"] = float(n)
        out[f"int_mask_bb_dim_{ax}_{stage}_roi"] = float(bi)
        out[f"morph_mask_bb_dim_{ax}_{stage}_roi"] = float(bm)
    out[f"int_mask_vox_count_{stage}_roi"] = float(np.count_nonzero(int_mask))
    out[f"morph_mask_vox_count_{stage}_roi"] = float(np.count_nonzero(morph_mask))
    sel = arr[int_mask]
    if sel.size:
        out[f"int_mask_mean_int_{stage}_roi"] = float(sel.mean())
        out[f"int_mask_min_int_{stage}_roi"] = float(sel.min())
        out[f"int_mask_max_int_{stage}_roi"] = float(sel.max())
    return out


def preprocess(roi: LoadedRoi, settings: ExtractionSettings) -> PreprocessedRoi:
    """Interpolate, round, re-segment and discretise a loaded ROI as ``settings`` say.

    Raises
    ------
    RoiTooSmallError
        Fewer than ``settings.min_voxels`` voxels remain after interpolation or re-segmentation.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from radiocausal.features.io import load_image_and_mask
    >>> from radiocausal.features.settings import get_settings
    >>> arr = np.arange(64, dtype=float).reshape(4, 4, 4)
    >>> roi = load_image_and_mask(sitk.GetImageFromArray(arr), sitk.GetImageFromArray(np.ones((4, 4, 4), np.uint8)))
    >>> pre = preprocess(roi, get_settings("ibsi-D"))
    >>> int(pre.levels.max()), pre.n_levels
    (32, 32)
    """
    image, mask = roi.image, roi.mask
    arr0 = sitk.GetArrayFromImage(image)
    m0 = sitk.GetArrayFromImage(mask).astype(bool)
    diag = _image_diagnostics(image, arr0, "init")
    diag.update(_roi_diagnostics(arr0, m0, m0, "init"))
    pyradiomics_types = settings.grid == "pyradiomics" or settings.normalise_scale is not None
    if pyradiomics_types and roi.pixel_id != sitk.sitkFloat64:
        image = sitk.Cast(image, roi.pixel_id)  # exact: the values were read in this type
    if settings.normalise_scale is not None:
        from radiomics import imageoperations

        image = imageoperations.normalizeImage(image, normalizeScale=settings.normalise_scale)
    if settings.spacing is not None and settings.grid == "pyradiomics":
        from radiomics import imageoperations

        image, rmask = imageoperations.resampleImage(
            image, mask, resampledPixelSpacing=[0.0 if v is None else v for v in settings.spacing],
            interpolator=_SITK_INTERPOLATORS[settings.interpolator], label=1, padDistance=5,
        )
        morph = sitk.GetArrayFromImage(rmask) == 1
    elif settings.spacing is not None:
        image = resample_ibsi(image, settings.spacing, settings.interpolator)
        fmask = resample_ibsi(sitk.Cast(mask, sitk.sitkFloat64), settings.spacing, settings.mask_interpolator)
        morph = sitk.GetArrayFromImage(fmask) >= settings.mask_threshold
    else:
        morph = m0
    image = sitk.Cast(image, sitk.sitkFloat64)
    arr = sitk.GetArrayFromImage(image).astype(np.float64)
    if settings.round_intensities:
        arr = np.round(arr)
        rounded = sitk.GetImageFromArray(arr)
        rounded.CopyInformation(image)
        image = rounded
    diag.update(_image_diagnostics(image, arr, "interp"))
    diag.update(_roi_diagnostics(arr, morph, morph, "interp"))
    where = f"ROI of mask '{roi.mask_source}' (label={roi.label})"
    if np.count_nonzero(morph) < settings.min_voxels:
        raise RoiTooSmallError(
            f"{where} has {np.count_nonzero(morph)} voxels after interpolation; "
            f"expected at least min_voxels={settings.min_voxels}"
        )
    int_mask = resegment(arr, morph, value_range=settings.resegment_range, sigma=settings.resegment_sigma)
    diag.update(_roi_diagnostics(arr, int_mask, morph, "reseg"))
    n_int = int(np.count_nonzero(int_mask))
    if n_int < settings.min_voxels:
        raise RoiTooSmallError(
            f"{where} has {n_int} voxels after re-segmentation; expected at least min_voxels={settings.min_voxels}"
        )
    lv, n_levels = discretise(arr[int_mask], settings)
    levels = np.zeros(arr.shape, dtype=np.int64)
    levels[int_mask] = lv
    return PreprocessedRoi(image, morph, int_mask, levels, n_levels, diag, where)
