"""Feature extraction: IBSI pre-processing, then pyradiomics' feature formulas.

Examples
--------
>>> import numpy as np, SimpleITK as sitk
>>> from radiocausal.features import extract
>>> rng = np.random.default_rng(0)
>>> img = sitk.GetImageFromArray(rng.integers(1, 7, size=(6, 8, 8)).astype(float))
>>> msk = sitk.GetImageFromArray(np.pad(np.ones((4, 6, 6), np.uint8), 1))
>>> msk.CopyInformation(img)
>>> x = extract(img, msk, settings="ibsi-digital-phantom")
>>> x["morph_vol_approx"], x["stat_max"] <= 6
(np.float64(144.0), np.True_)
>>> extract(img, msk, settings="pyradiomics", names="pyradiomics")["original_shape_VoxelVolume"]
np.float64(144.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from radiocausal.errors import DataError
from radiocausal.features import _pyradiomics as prad
from radiocausal.features import naming
from radiocausal.features.io import ImageSource, RoiTooSmallError, load_image_and_mask
from radiocausal.features.preprocessing import PreprocessedRoi, discretise, preprocess
from radiocausal.features.settings import ExtractionSettings, SettingsError, SettingsLike, get_settings

__all__ = ["extract", "compute_features"]

NAMES = ("ibsi", "pyradiomics")


def extract(
    image: ImageSource,
    mask: ImageSource,
    settings: SettingsLike = "pyradiomics",
    names: str = "ibsi",
    *,
    label: int = 1,
) -> pd.Series:
    """Extract radiomic features from one image and ROI.

    Parameters
    ----------
    image, mask : path or SimpleITK.Image
        Intensity image and mask on the same grid (see :func:`load_image_and_mask`).
    settings : str, path, mapping or ExtractionSettings
        A preset name (``"pyradiomics"``, ``"ibsi-A"`` … ``"ibsi-E"``,
        ``"ibsi-digital-phantom"``), a JSON settings file, a mapping or a settings object.
    names : {"ibsi", "pyradiomics"}
        Index the result by IBSI tag (``cm_joint_max_3D_avg``, diagnostics included) or by
        pyradiomics' output name (``original_glcm_MaximumProbability``).  pyradiomics names
        follow pyradiomics' conventions (PCA with N, kurtosis not in excess, GLCM and GLRLM
        averaged over directions unless ``aggregations=("comb",)``, 3D, or 2.5D =
        pyradiomics' ``force2D`` when the settings have no 3D).
    label : int
        Mask value of the ROI.

    Returns
    -------
    pandas.Series
        Feature values (float), named after the settings.

    Raises
    ------
    ImageError, GeometryMismatchError, EmptyMaskError
        Bad input (see :func:`load_image_and_mask`).
    SettingsError
        Bad settings or ``names``.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.arange(125.0).reshape(5, 5, 5))
    >>> msk = sitk.GetImageFromArray(np.ones((5, 5, 5), np.uint8))
    >>> float(extract(img, msk, settings="ibsi-D")["stat_mean"])
    62.0
    """
    s = get_settings(settings)
    _check_names(names)
    roi = load_image_and_mask(
        image, mask, label=label, geometry_tolerance=s.geometry_tolerance, min_voxels=s.min_voxels
    )
    pre = preprocess(roi, s)
    values = compute_features(pre, s, names=names)
    return pd.Series(values, dtype=float, name=s.name)


def _check_names(names: str) -> None:
    if names not in NAMES:
        raise SettingsError(f"names={names!r}: expected one of {list(NAMES)}")


def compute_features(pre: PreprocessedRoi, settings: ExtractionSettings, names: str = "ibsi") -> dict[str, float]:
    """Feature values of a pre-processed ROI (see :func:`preprocess`), keyed by IBSI tag or pyradiomics name.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from radiocausal.features import get_settings, load_image_and_mask, preprocess
    >>> roi = load_image_and_mask(sitk.GetImageFromArray(np.arange(27.0).reshape(3, 3, 3)),
    ...                           sitk.GetImageFromArray(np.ones((3, 3, 3), np.uint8)))
    >>> s = get_settings("ibsi-D").replace(spacing=None, families=("statistics",))
    >>> compute_features(preprocess(roi, s), s)["stat_median"]
    13.0
    """
    _check_names(names)
    out: dict[str, float] = {}
    if "original" in settings.image_types:
        crop = _Crop(pre)
        out.update(_pyradiomics_features(crop, settings) if names == "pyradiomics" else _ibsi_features(crop, settings))
    for image_type, fpre, fsettings in _filtered(pre, settings):
        crop = _Crop(fpre)
        if names == "pyradiomics":
            out.update(_pyradiomics_features(crop, fsettings, image_type=image_type))
        else:
            out.update({f"{image_type}_{k}": v for k, v in _ibsi_features(crop, fsettings).items()})
    return out


_FILTERED_FAMILIES = ("statistics", "intensity_histogram", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm")


def _filtered(pre: PreprocessedRoi, s: ExtractionSettings) -> list[tuple[str, PreprocessedRoi, ExtractionSettings]]:
    """pyradiomics' LoG and wavelet images of the pre-processed image, discretised on the ROI."""
    if not any(t in s.image_types for t in ("log", "wavelet")):
        return []
    import SimpleITK as sitk
    from radiomics import imageoperations

    mask = sitk.GetImageFromArray(pre.morph_mask.astype(np.uint8))
    mask.CopyInformation(pre.image)
    images: list[tuple[Any, str]] = []
    if "log" in s.image_types:
        got = [(im, name) for im, name, _ in imageoperations.getLoGImage(pre.image, mask, sigma=list(s.log_sigma))]
        if len(got) != len(s.log_sigma):
            raise DataError(
                f"log_sigma={s.log_sigma}: some LoG images could not be computed (the image must be larger "
                "than sigma/spacing + 1 voxels along every axis)"
            )
        images += got
    if "wavelet" in s.image_types:
        images += [(im, name) for im, name, _ in imageoperations.getWaveletImage(pre.image, mask, wavelet=s.wavelet)]
    fs = dataclasses.replace(
        s, resegment_range=None, families=tuple(f for f in s.families if f in _FILTERED_FAMILIES) or ("statistics",)
    )
    out = []
    for im, name in images:
        arr = sitk.GetArrayFromImage(im).astype(np.float64)
        lv, n_levels = discretise(arr[pre.int_mask], fs)
        levels = np.zeros(arr.shape, dtype=np.int64)
        levels[pre.int_mask] = lv
        fimg = sitk.GetImageFromArray(arr)
        fimg.CopyInformation(pre.image)
        out.append((name, PreprocessedRoi(fimg, pre.morph_mask, pre.int_mask, levels, n_levels, {}, pre.where), fs))
    return out


class _Crop:
    """Arrays cropped to the morphological mask's bounding box (z, y, x)."""

    def __init__(self, pre: PreprocessedRoi):
        idx = np.nonzero(pre.morph_mask)
        sl = tuple(slice(int(i.min()), int(i.max()) + 1) for i in idx)
        self.pre = pre
        self.image = pre.image_array[sl]
        self.morph = pre.morph_mask[sl]
        self.int = pre.int_mask[sl]
        self.levels = pre.levels[sl]
        self.n_levels = pre.n_levels
        self.spacing = pre.spacing


# ------------------------------------------------------------------------------------------------
# textures
_TEXTURES: dict[str, tuple[str, type, dict[str, str], bool]] = {
    # family: (IBSI prefix, class, IBSI code -> pyradiomics feature, has directions)
    "glcm": ("cm", prad.GLCM, naming.GLCM, True),
    "glrlm": ("rlm", prad.GLRLM, naming.GLRLM, True),
    "glszm": ("szm", prad.GLSZM, naming.GLSZM, False),
    "gldzm": ("dzm", prad.GLDZM, naming.GLDZM, False),
    "ngtdm": ("ngt", prad.NGTDM, naming.NGTDM, False),
    "ngldm": ("ngl", prad.GLDM, naming.NGLDM, False),
}


def _texture_values(
    crop: _Crop, cls: type, features: list[str], dimension: str, **kw: Any
) -> dict[str, float]:
    def run(sl: slice, force2d: bool, what: str) -> dict[str, float]:
        kw_sl = {k: (v[sl] if k == "_distance_mask" else v) for k, v in kw.items()}
        try:
            return prad.compute(
                cls, features, crop.levels[sl], crop.int[sl], crop.spacing, crop.levels[sl], crop.n_levels,
                force2D=force2d, **kw_sl,
            )
        except RuntimeError as exc:  # pyradiomics' C code: no neighbour pairs in a tiny ROI
            n = int(np.count_nonzero(crop.int[sl]))
            raise RoiTooSmallError(
                f"{crop.pre.where}: {what or 'the ROI'} ({n} voxels) is too small for {cls.__name__} "
                f"features in {dimension} ({exc})"
            ) from exc

    if dimension == "2D":
        per_slice = [
            run(slice(z, z + 1), True, f"slice {z} of the cropped ROI")
            for z in range(crop.levels.shape[0])
            if crop.int[z].any()
        ]
        return {f: float(np.mean([d[f] for d in per_slice])) for f in features}
    return run(slice(None), dimension == "2.5D", "")


def _ibsi_textures(crop: _Crop, s: ExtractionSettings, out: dict[str, float]) -> None:
    for family, (prefix, cls, table, directional) in _TEXTURES.items():
        if family not in s.families:
            continue
        feats = sorted(set(table.values()))
        # GLDZM: distances to the edge of the morphological (not re-segmented) mask, as in IBSI
        extra = {"_distance_mask": crop.morph} if family == "gldzm" else {}
        for dim in s.dimensions:
            if directional:
                for agg in s.aggregations:
                    norm = None if agg == "avg" else "no_weighting"
                    vals = _texture_values(crop, cls, feats, dim, weightingNorm=norm)
                    out.update({naming.ibsi_tag(prefix, c, dim, agg): vals[f] for c, f in table.items()})
            else:
                vals = _texture_values(crop, cls, feats, dim, **extra)
                out.update({naming.ibsi_tag(prefix, c, dim): vals[f] for c, f in table.items()})


# ------------------------------------------------------------------------------------------------
# morphology
def _mesh_vertices(mask: np.ndarray, spacing_zyx: np.ndarray) -> np.ndarray:
    """Vertices of the marching-cubes mesh of a binary mask (edge midpoints), physical (z, y, x)."""
    m = np.pad(mask, 1)
    pts = []
    for ax in range(3):
        a = np.take(m, range(0, m.shape[ax] - 1), axis=ax)
        b = np.take(m, range(1, m.shape[ax]), axis=ax)
        idx = np.argwhere(a != b).astype(float)
        idx[:, ax] += 0.5
        pts.append(idx)
    return (np.vstack(pts) - 1.0) * spacing_zyx


def _ellipsoid_area_ibsi(a: float, b: float, c: float, terms: int = 20) -> float:
    """Ellipsoid surface area by IBSI's Legendre series (semi-axes a >= b >= c, 20 terms)."""
    from scipy import special

    alpha = np.sqrt(max(0.0, 1 - b**2 / a**2))
    beta = np.sqrt(max(0.0, 1 - c**2 / a**2))
    if alpha * beta == 0:
        return float(4 * np.pi * a * b * c * special.elliprg(a**-2, b**-2, c**-2))
    nu = np.arange(terms + 1)
    arg = (alpha**2 + beta**2) / (2 * alpha * beta)
    series = (alpha * beta) ** nu / (1 - 4 * nu**2) * special.eval_legendre(nu, arg)
    return float(4 * np.pi * a * b * np.sum(series))


def _ibsi_morphology(crop: _Crop, out: dict[str, float]) -> None:
    table = naming.MORPHOLOGY
    feats = [f for f in table.values() if f is not None]
    vals = prad.compute(prad.Shape, feats, crop.image, crop.morph, crop.spacing, _pca_ddof=1)
    for code, f in table.items():
        if f is not None:
            out[f"morph_{code}"] = vals[f]
    volume, area = vals["MeshVolume"], vals["SurfaceArea"]
    out["morph_asphericity"] = vals["SphericalDisproportion"] - 1.0
    spacing_zyx = np.asarray(crop.spacing[::-1], float)
    coords = np.argwhere(crop.morph) * spacing_zyx
    icoords = np.argwhere(crop.int) * spacing_zyx
    weights = crop.image[crop.int]
    out["morph_com"] = float(
        np.linalg.norm(coords.mean(0) - (icoords * weights[:, None]).sum(0) / weights.sum())
    )
    out["morph_integ_int"] = float(volume * weights.mean())
    # axis-aligned bounding box of the mesh: voxel bounding box extended by half a voxel
    bb = np.asarray(crop.morph.shape, float) * spacing_zyx
    out["morph_vol_dens_aabb"] = float(volume / np.prod(bb))
    out["morph_area_dens_aabb"] = float(area / (2 * (bb[0] * bb[1] + bb[1] * bb[2] + bb[0] * bb[2])))
    # approximate enclosing ellipsoid from the PCA axes (semi-axes 2 sqrt(lambda))
    if coords.shape[0] > 3:
        lam = np.clip(np.linalg.eigvalsh(np.cov(coords.T, ddof=1)), 0, None)
        a, b, c = 2 * np.sqrt(lam)
        if a * b * c > 0:
            out["morph_vol_dens_aee"] = float(3 * volume / (4 * np.pi * a * b * c))
            ell_area = _ellipsoid_area_ibsi(*sorted((a, b, c), reverse=True))
            out["morph_area_dens_aee"] = float(area / ell_area)
    from scipy import spatial

    verts = _mesh_vertices(crop.morph, spacing_zyx)
    try:
        hull = spatial.ConvexHull(verts)
    except spatial.QhullError:  # flat ROI
        pass
    else:
        out["morph_vol_dens_conv_hull"] = float(volume / hull.volume)
        out["morph_area_dens_conv_hull"] = float(area / hull.area)


# ------------------------------------------------------------------------------------------------
# intensity statistics, histogram and intensity-volume histogram
def _moments(x: np.ndarray) -> dict[str, float]:
    mean = float(x.mean())
    p10, p25, p75, p90 = np.percentile(x, [10, 25, 75, 90])
    med = float(np.median(x))
    robust = x[(x >= p10) & (x <= p90)]
    sd = float(x.std())
    return {
        "mean": mean,
        "var": float(x.var()),
        "skew": float(np.mean((x - mean) ** 3) / sd**3) if sd > 0 else 0.0,
        "kurt": float(np.mean((x - mean) ** 4) / sd**4 - 3.0) if sd > 0 else 0.0,  # excess kurtosis
        "median": med,
        "min": float(x.min()),
        "p10": float(p10),
        "p90": float(p90),
        "max": float(x.max()),
        "iqr": float(p75 - p25),
        "range": float(x.max() - x.min()),
        "mad": float(np.mean(np.abs(x - mean))),
        "rmad": float(np.mean(np.abs(robust - robust.mean()))),
        "medad": float(np.mean(np.abs(x - med))),
        "cov": float(sd / mean) if mean != 0 else float("nan"),
        "qcod": float((p75 - p25) / (p75 + p25)) if (p75 + p25) != 0 else float("nan"),
    }


def _ibsi_statistics(crop: _Crop, out: dict[str, float]) -> None:
    x = crop.image[crop.int]
    m = _moments(x)
    m["energy"] = float(np.sum(x**2))
    m["rms"] = float(np.sqrt(np.mean(x**2)))
    out.update({f"stat_{k}": v for k, v in m.items()})


def _ibsi_histogram(crop: _Crop, out: dict[str, float]) -> None:
    g = crop.levels[crop.int]
    m = _moments(g.astype(float))
    levels = np.arange(1, max(crop.n_levels, int(g.max())) + 1)
    counts = np.bincount(g, minlength=levels[-1] + 1)[1:].astype(float)
    p = counts / counts.sum()
    nz = p[p > 0]
    m["mode"] = float(levels[np.argmax(counts)])
    m["entropy"] = float(-np.sum(nz * np.log2(nz)))
    m["uniformity"] = float(np.sum(p**2))
    if counts.size > 1:
        grad = np.gradient(counts)
        m["max_grad"] = float(grad.max())
        m["max_grad_g"] = float(levels[np.argmax(grad)])
        m["min_grad"] = float(grad.min())
        m["min_grad_g"] = float(levels[np.argmin(grad)])
    out.update({f"ih_{k}": v for k, v in m.items()})


def _ivh_grid(crop: _Crop, s: ExtractionSettings) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Per-voxel IVH values, the ascending grid of candidate values, and the range for gamma."""
    x = crop.image[crop.int]
    rng = s.resegment_range
    if s.ivh_discretisation == "same":
        g = crop.levels[crop.int].astype(float)
        n = max(crop.n_levels, int(g.max()))
        return g, np.arange(1.0, n + 1), 1.0, float(n)
    if s.ivh_discretisation == "fixed_bin_number":
        sub = dataclasses.replace(s, discretisation="fixed_bin_number", bin_size=None, bin_number=s.ivh_bin_number)
        g, n = discretise(x, sub)
        return g.astype(float), np.arange(1.0, n + 1), 1.0, float(n)
    lo = rng[0] if rng is not None and np.isfinite(rng[0]) else float(x.min())
    hi = rng[1] if rng is not None and np.isfinite(rng[1]) else float(x.max())
    if s.ivh_discretisation == "none":
        grid = np.arange(lo, hi + 1.0)
        return x, grid, lo, hi
    w = float(s.ivh_bin_size)  # type: ignore[arg-type]
    centres = lo + (np.floor((x - lo) / w) + 0.5) * w
    n_bins = int(np.floor((hi - lo) / w)) + 1
    grid = lo + (np.arange(n_bins) + 0.5) * w
    grid = np.union1d(grid, centres)
    return centres, grid, float(grid[0]), float(grid[-1])


def _ibsi_ivh(crop: _Crop, s: ExtractionSettings, out: dict[str, float]) -> None:
    vals, grid, gmin, gmax = _ivh_grid(crop, s)
    if grid.size < 2 or gmax <= gmin:
        return
    gamma = (grid - gmin) / (gmax - gmin)
    sorted_vals = np.sort(vals)
    # fraction of the volume with value >= each grid value
    frac = 1.0 - np.searchsorted(sorted_vals, grid, side="left") / vals.size

    def v_at(x: float) -> float:
        return float(frac[np.argmax(gamma >= x)])

    def i_at(x: float) -> float:
        ok = np.nonzero(frac <= x)[0]
        return float(grid[ok[0]]) if ok.size else float(grid[-1])

    out["ivh_v10"], out["ivh_v90"] = v_at(0.10), v_at(0.90)
    out["ivh_i10"], out["ivh_i90"] = i_at(0.10), i_at(0.90)
    out["ivh_diff_v10_v90"] = out["ivh_v10"] - out["ivh_v90"]
    out["ivh_diff_i10_i90"] = out["ivh_i10"] - out["ivh_i90"]
    out["ivh_auc"] = float(np.trapezoid(frac, gamma))


def _ibsi_local_intensity(crop: _Crop, out: dict[str, float]) -> None:
    """Local and global intensity peak: mean intensity in a 1 cm^3 sphere (IBSI 3.2)."""
    from scipy import signal

    pre = crop.pre
    arr = pre.image_array
    spacing_zyx = np.asarray(pre.spacing[::-1], float)
    radius = (3.0 / (4.0 * np.pi)) ** (1 / 3) * 10.0  # mm: sphere of 1 cm^3
    half = np.floor(radius / spacing_zyx).astype(int)
    grids = np.meshgrid(*[np.arange(-h, h + 1) * s for h, s in zip(half, spacing_zyx)], indexing="ij")
    kernel = (sum(g**2 for g in grids) <= radius**2).astype(float)
    idx = np.nonzero(pre.int_mask)
    lo = np.maximum([i.min() for i in idx] - half, 0)
    hi = np.minimum([i.max() + 1 for i in idx] + half, arr.shape)
    sl = tuple(slice(a, b) for a, b in zip(lo, hi))
    sub = arr[sl]
    total = signal.fftconvolve(sub, kernel, mode="same")
    count = signal.fftconvolve(np.ones_like(sub), kernel, mode="same")
    local = total / np.round(count)
    roi = pre.int_mask[sl]
    vals = sub[roi]
    at_max = roi & (sub == vals.max())
    out["loc_peak_loc"] = float(local[at_max].max())
    out["loc_peak_glob"] = float(local[roi].max())


def _ibsi_spatial_autocorrelation(crop: _Crop, out: dict[str, float]) -> None:
    """Moran's I and Geary's C with inverse-distance weights, by FFT convolution (exact sums)."""
    from scipy import signal

    mask = crop.int
    n = int(mask.sum())
    if n < 2:
        return
    spacing_zyx = np.asarray(crop.spacing[::-1], float)
    shape = np.asarray(mask.shape)
    grids = np.meshgrid(*[np.arange(-(k - 1), k) * s for k, s in zip(shape, spacing_zyx)], indexing="ij")
    dist = np.sqrt(sum(g**2 for g in grids))
    with np.errstate(divide="ignore"):
        kernel = np.where(dist > 0, 1.0 / dist, 0.0)
    x = np.where(mask, crop.image, 0.0)
    z = np.where(mask, crop.image - crop.image[mask].mean(), 0.0)
    m = mask.astype(float)

    def conv(a: np.ndarray) -> np.ndarray:
        return signal.fftconvolve(a, kernel, mode="same")

    km, kz, kx = conv(m), conv(z), conv(x)
    w = float(np.sum(m * km))
    s_zz = float(np.sum(z * kz))
    var = float(np.sum(z**2))
    if var == 0 or w == 0:
        return
    geary_num = 2.0 * float(np.sum(x**2 * km)) - 2.0 * float(np.sum(x * kx))
    out["morph_moran_i"] = n / w * s_zz / var
    out["morph_geary_c"] = (n - 1) / (2.0 * w) * geary_num / var


def _ibsi_features(crop: _Crop, s: ExtractionSettings) -> dict[str, float]:
    out: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], None]]] = [
        ("diagnostics", lambda: out.update(crop.pre.diagnostics)),
        ("morphology", lambda: _ibsi_morphology(crop, out)),
        ("morphology", lambda: _ibsi_spatial_autocorrelation(crop, out)),
        ("local_intensity", lambda: _ibsi_local_intensity(crop, out)),
        ("statistics", lambda: _ibsi_statistics(crop, out)),
        ("intensity_histogram", lambda: _ibsi_histogram(crop, out)),
        ("ivh", lambda: _ibsi_ivh(crop, s, out)),
    ]
    for family, step in steps:
        if family in s.families:
            step()
    _ibsi_textures(crop, s, out)
    return out


# ------------------------------------------------------------------------------------------------
# pyradiomics naming and conventions
_PYRAD_CLASSES = {
    "glcm": prad.GLCM,
    "glrlm": prad.GLRLM,
    "glszm": prad.GLSZM,
    "gldm": prad.GLDM,
    "ngtdm": prad.NGTDM,
}
_FAMILY_OF_CLASS = {"glcm": "glcm", "glrlm": "glrlm", "glszm": "glszm", "gldm": "ngldm", "ngtdm": "ngtdm"}


def _pyradiomics_features(crop: _Crop, s: ExtractionSettings, image_type: str = "original") -> dict[str, float]:
    if "3D" in s.dimensions:
        force2d = False
    elif "2.5D" in s.dimensions:
        force2d = True
    else:
        raise DataError(
            f"names='pyradiomics' needs dimensions with '3D' or '2.5D' (pyradiomics' force2D); got {s.dimensions}"
        )
    out: dict[str, float] = {}
    pc = naming.PYRADIOMICS_CLASSES
    if "morphology" in s.families:
        vals = prad.compute(prad.Shape, list(pc["shape"]), crop.image, crop.morph, crop.spacing)
        out.update({naming.pyradiomics_name("shape", k, image_type): v for k, v in vals.items()})
    if "statistics" in s.families:
        vals = prad.compute(
            prad.FirstOrder, list(pc["firstorder"]), crop.image, crop.int, crop.spacing,
            crop.levels, crop.n_levels, voxelArrayShift=s.intensity_shift,
        )
        out.update({naming.pyradiomics_name("firstorder", k, image_type): v for k, v in vals.items()})
    for cname, cls in _PYRAD_CLASSES.items():
        if _FAMILY_OF_CLASS[cname] not in s.families:
            continue
        kw: dict[str, Any] = {}
        if cname in ("glcm", "glrlm") and s.aggregations == ("comb",):
            kw["weightingNorm"] = "no_weighting"  # pyradiomics' merged-direction matrices
        vals = prad.compute(
            cls, list(pc[cname]), crop.levels, crop.int, crop.spacing, crop.levels, crop.n_levels,
            force2D=force2d, **kw,
        )
        out.update({naming.pyradiomics_name(cname, k, image_type): v for k, v in vals.items()})
    return out
