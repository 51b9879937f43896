"""Validated extraction settings and named presets.

One :class:`ExtractionSettings` object holds every choice that changes feature values.
It is immutable, every field is checked when it is built, unknown keys are rejected and
there is no silent fall-back to defaults: a preset is a complete, named settings object.

Presets
-------
``"pyradiomics"``
    pyradiomics' defaults: no resampling, no re-segmentation, fixed bin width 25 with
    pyradiomics' bin edges (multiples of the bin width), 3D, features averaged over directions.
``"ibsi-digital-phantom"``
    IBSI-1 digital phantom: no interpolation, fixed bin size 1 starting at the ROI minimum,
    2D, 2.5D and 3D texture features.
``"ibsi-A"`` … ``"ibsi-E"``
    IBSI-1 CT phantom configurations A–E (see ``docs/features.md``).

Examples
--------
>>> from radiocausal.features.settings import get_settings
>>> s = get_settings("ibsi-C")
>>> s.spacing, s.interpolator, s.resegment_range, s.bin_size
((2.0, 2.0, 2.0), 'linear', (-1000.0, 400.0), 25.0)
>>> s.replace(bin_size=10.0).bin_size
10.0
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from radiocausal.errors import DataError

__all__ = [
    "SettingsError",
    "ExtractionSettings",
    "PRESETS",
    "get_settings",
    "FAMILIES",
    "DIMENSIONS",
    "AGGREGATIONS",
]


class SettingsError(DataError):
    """Extraction settings are invalid (unknown key, bad value, unknown preset)."""


INTERPOLATORS = ("nearest", "linear", "cubic")
DISCRETISATIONS = ("fixed_bin_size", "fixed_bin_number", "none")
BIN_EDGES = ("ibsi", "pyradiomics")
IVH_DISCRETISATIONS = ("same", "none", "fixed_bin_size", "fixed_bin_number")
DIMENSIONS = ("2D", "2.5D", "3D")
IMAGE_TYPES = ("original", "log", "wavelet")
AGGREGATIONS = ("avg", "comb")
FAMILIES = (
    "diagnostics",
    "morphology",
    "local_intensity",
    "statistics",
    "intensity_histogram",
    "ivh",
    "glcm",
    "glrlm",
    "glszm",
    "gldzm",
    "ngtdm",
    "ngldm",
)


def _as_tuple(name: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise SettingsError(f"{name}={value!r}: expected a sequence drawn from {list(allowed)}") from None
    bad = [v for v in out if v not in allowed]
    if bad or not out:
        raise SettingsError(f"{name}={value!r}: expected a non-empty sequence drawn from {list(allowed)}")
    return tuple(v for v in allowed if v in out)  # canonical order, no duplicates


def _number(name: str, value: Any, *, positive: bool = False, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{name}={value!r}: expected a number")
    value = float(value)
    if math.isnan(value) or (positive and not value > 0):
        raise SettingsError(f"{name}={value!r}: expected a {'positive ' if positive else ''}number")
    return value


@dataclass(frozen=True)
class ExtractionSettings:
    """Every choice that changes feature values, validated on construction.

    Parameters
    ----------
    name : str
        Label recorded in provenance (preset name or ``"custom"``).
    spacing : tuple of 3 (float or None), or None
        Target voxel spacing in mm as (x, y, z); ``None`` means no interpolation and a
        ``None`` entry keeps that axis' spacing (``(2, 2, None)`` = in-plane only).
    grid : {"ibsi", "pyradiomics"}
        Interpolation grid: IBSI's, centred on the original grid, with the mask interpolated
        and thresholded; or pyradiomics' (``imageoperations.resampleImage``: cropped to the ROI
        bounding box plus 5 voxels, image resampled in its own pixel type, mask by nearest
        neighbour), to reproduce pyradiomics.
    normalise_scale : float or None
        pyradiomics' intensity normalisation, ``scale * (x - mean) / sd`` over the whole image,
        applied before interpolation (not an IBSI step).
    interpolator : {"nearest", "linear", "cubic"}
        Image interpolator ("cubic" is a cubic B-spline, as ``scipy.ndimage`` order 3).
    mask_interpolator : {"nearest", "linear", "cubic"}
        Mask interpolator; the interpolated mask is kept where >= ``mask_threshold``.  The IBSI
        CT configurations interpolate the mask trilinearly, also in configuration E
        (the reference values of E match a trilinear mask, not a tricubic one).
    mask_threshold : float
        Partial-volume threshold of the interpolated mask, in (0, 1].
    round_intensities : bool
        Round interpolated intensities to integers (CT Hounsfield units).
    resegment_range : (float, float) or None
        Keep ROI voxels with intensity in [low, high]; ``±inf`` leaves a side open.
    resegment_sigma : float or None
        Keep ROI voxels within mean ± k·SD (computed after the range re-segmentation).
    discretisation : {"fixed_bin_size", "fixed_bin_number", "none"}
    bin_size : float or None
        Bin width for ``"fixed_bin_size"``.
    bin_number : int or None
        Number of bins for ``"fixed_bin_number"``.
    bin_edges : {"ibsi", "pyradiomics"}
        Fixed-bin-size edges: IBSI starts at the lower re-segmentation bound (or the ROI
        minimum); pyradiomics uses multiples of the bin width and renumbers from 1.  With a
        fixed bin number, "pyradiomics" uses pyradiomics' ``numpy.histogram`` edges.
    ivh_discretisation : {"same", "none", "fixed_bin_size", "fixed_bin_number"}
        Intensity-volume histogram: reuse the texture grey levels (``"same"``), use the
        intensities on a 1-unit grid (``"none"``), or discretise separately.
    ivh_bin_size : float or None
        Bin width for ``ivh_discretisation="fixed_bin_size"`` (bin centres become intensities).
    ivh_bin_number : int or None
        Number of bins for ``ivh_discretisation="fixed_bin_number"``.
    dimensions : tuple of {"2D", "2.5D", "3D"}
        Texture aggregation: per-slice (2D), slices merged (2.5D), volume (3D).
    aggregations : tuple of {"avg", "comb"}
        For GLCM and GLRLM: average features over directions and/or merge matrices.
    families : tuple of str
        Feature families to compute, drawn from :data:`FAMILIES`.
    image_types : tuple of {"original", "log", "wavelet"}
        Images to compute features on: the pre-processed image and/or pyradiomics' filtered
        images (Laplacian of Gaussian per ``log_sigma``; undecimated wavelet ``wavelet``).
        Filtered images get intensity, histogram and texture features, named
        ``<image type>_<tag>`` (IBSI) or ``<image type>_<class>_<feature>`` (pyradiomics), and
        are discretised from their ROI minimum (re-segmentation bounds do not apply).
    log_sigma : tuple of float
        LoG widths in mm (required when "log" is requested).
    wavelet : str
        PyWavelets wavelet name for "wavelet" images.
    intensity_shift : float
        pyradiomics' ``voxelArrayShift``: added to intensities by the pyradiomics-named
        ``Energy``, ``TotalEnergy`` and ``RootMeanSquared`` only (IBSI's values are unshifted).
    min_voxels : int
        Smallest ROI (after pre-processing) accepted for texture features.
    geometry_tolerance : float
        Image/mask geometry tolerance (mm and direction cosines).
    """

    name: str = "custom"
    spacing: tuple[float | None, float | None, float | None] | None = None
    grid: str = "ibsi"
    normalise_scale: float | None = None
    interpolator: str = "linear"
    mask_interpolator: str = "linear"
    mask_threshold: float = 0.5
    round_intensities: bool = False
    resegment_range: tuple[float, float] | None = None
    resegment_sigma: float | None = None
    discretisation: str = "fixed_bin_size"
    bin_size: float | None = 25.0
    bin_number: int | None = None
    bin_edges: str = "ibsi"
    ivh_discretisation: str = "same"
    ivh_bin_size: float | None = None
    ivh_bin_number: int | None = None
    dimensions: tuple[str, ...] = ("3D",)
    aggregations: tuple[str, ...] = ("avg", "comb")
    families: tuple[str, ...] = field(default=FAMILIES)
    image_types: tuple[str, ...] = ("original",)
    log_sigma: tuple[float, ...] = ()
    wavelet: str = "coif1"
    intensity_shift: float = 0.0
    min_voxels: int = 1
    geometry_tolerance: float = 1e-3

    def __post_init__(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        if not isinstance(self.name, str) or not self.name:
            raise SettingsError(f"name={self.name!r}: expected a non-empty string")
        if self.spacing is not None:
            sp = tuple(self.spacing) if not isinstance(self.spacing, (str, bytes)) else ()
            if len(sp) != 3:
                raise SettingsError(f"spacing={self.spacing!r}: expected None or 3 values (x, y, z) in mm")
            sp = tuple(_number("spacing", v, positive=True, allow_none=True) for v in sp)
            if all(v is None for v in sp):
                raise SettingsError(f"spacing={self.spacing!r}: expected at least one number (or None)")
            set_("spacing", sp)
        if self.interpolator not in INTERPOLATORS:
            raise SettingsError(f"interpolator={self.interpolator!r}: expected one of {list(INTERPOLATORS)}")
        if self.grid not in ("ibsi", "pyradiomics"):
            raise SettingsError(f"grid={self.grid!r}: expected 'ibsi' or 'pyradiomics'")
        set_("normalise_scale", _number("normalise_scale", self.normalise_scale, positive=True, allow_none=True))
        if self.mask_interpolator not in INTERPOLATORS:
            raise SettingsError(
                f"mask_interpolator={self.mask_interpolator!r}: expected one of {list(INTERPOLATORS)}"
            )
        thr = _number("mask_threshold", self.mask_threshold)
        if not 0 < thr <= 1:
            raise SettingsError(f"mask_threshold={self.mask_threshold!r}: expected a number in (0, 1]")
        set_("mask_threshold", thr)
        if not isinstance(self.round_intensities, bool):
            raise SettingsError(f"round_intensities={self.round_intensities!r}: expected True or False")
        if self.resegment_range is not None:
            rr = tuple(self.resegment_range) if not isinstance(self.resegment_range, str) else ()
            if len(rr) != 2:
                raise SettingsError(f"resegment_range={self.resegment_range!r}: expected None or (low, high)")
            lo, hi = (_number("resegment_range", v) for v in rr)
            if not lo < hi:
                raise SettingsError(f"resegment_range={self.resegment_range!r}: expected low < high")
            set_("resegment_range", (lo, hi))
        set_("resegment_sigma", _number("resegment_sigma", self.resegment_sigma, positive=True, allow_none=True))
        if self.discretisation not in DISCRETISATIONS:
            raise SettingsError(
                f"discretisation={self.discretisation!r}: expected one of {list(DISCRETISATIONS)}"
            )
        if self.bin_edges not in BIN_EDGES:
            raise SettingsError(f"bin_edges={self.bin_edges!r}: expected one of {list(BIN_EDGES)}")
        if self.discretisation == "fixed_bin_size":
            set_("bin_size", _number("bin_size", self.bin_size, positive=True))
            if self.bin_number is not None:
                raise SettingsError(
                    f"bin_number={self.bin_number!r}: expected None with discretisation='fixed_bin_size'"
                )
        elif self.discretisation == "fixed_bin_number":
            if isinstance(self.bin_number, bool) or not isinstance(self.bin_number, int) or self.bin_number < 1:
                raise SettingsError(f"bin_number={self.bin_number!r}: expected a positive integer")
            if self.bin_size is not None:
                raise SettingsError(
                    f"bin_size={self.bin_size!r}: expected None with discretisation='fixed_bin_number'"
                )
        else:
            if self.bin_size is not None or self.bin_number is not None:
                raise SettingsError(
                    "bin_size and bin_number: expected None with discretisation='none' "
                    f"(got {self.bin_size!r}, {self.bin_number!r})"
                )
        if self.ivh_discretisation not in IVH_DISCRETISATIONS:
            raise SettingsError(
                f"ivh_discretisation={self.ivh_discretisation!r}: expected one of {list(IVH_DISCRETISATIONS)}"
            )
        if self.ivh_discretisation == "fixed_bin_size":
            set_("ivh_bin_size", _number("ivh_bin_size", self.ivh_bin_size, positive=True))
        elif self.ivh_bin_size is not None:
            raise SettingsError(
                f"ivh_bin_size={self.ivh_bin_size!r}: expected None unless ivh_discretisation='fixed_bin_size'"
            )
        if self.ivh_discretisation == "fixed_bin_number":
            n = self.ivh_bin_number
            if isinstance(n, bool) or not isinstance(n, int) or n < 2:
                raise SettingsError(f"ivh_bin_number={n!r}: expected an integer >= 2")
        elif self.ivh_bin_number is not None:
            raise SettingsError(
                f"ivh_bin_number={self.ivh_bin_number!r}: expected None unless "
                "ivh_discretisation='fixed_bin_number'"
            )
        set_("dimensions", _as_tuple("dimensions", self.dimensions, DIMENSIONS))
        set_("aggregations", _as_tuple("aggregations", self.aggregations, AGGREGATIONS))
        set_("families", _as_tuple("families", self.families, FAMILIES))
        set_("image_types", _as_tuple("image_types", self.image_types, IMAGE_TYPES))
        if isinstance(self.log_sigma, (str, bytes)) or not hasattr(self.log_sigma, "__iter__"):
            raise SettingsError(f"log_sigma={self.log_sigma!r}: expected a sequence of positive numbers (mm)")
        set_("log_sigma", tuple(_number("log_sigma", v, positive=True) for v in self.log_sigma))
        if ("log" in self.image_types) != bool(self.log_sigma):
            raise SettingsError(
                f"log_sigma={self.log_sigma!r} with image_types={self.image_types!r}: expected sigma values "
                "exactly when 'log' images are requested"
            )
        if self.discretisation == "none" and any(t in self.image_types for t in ("log", "wavelet")):
            raise SettingsError(
                f"image_types={self.image_types!r} with discretisation='none': filtered images have "
                "continuous values; expected 'fixed_bin_size' or 'fixed_bin_number'"
            )
        if not isinstance(self.wavelet, str):
            raise SettingsError(f"wavelet={self.wavelet!r}: expected a PyWavelets wavelet name")
        if "wavelet" in self.image_types:
            import pywt

            if self.wavelet not in pywt.wavelist(kind="discrete"):
                raise SettingsError(f"wavelet={self.wavelet!r}: expected a discrete PyWavelets wavelet, e.g. 'coif1'")
        set_("intensity_shift", _number("intensity_shift", self.intensity_shift))
        if isinstance(self.min_voxels, bool) or not isinstance(self.min_voxels, int) or self.min_voxels < 1:
            raise SettingsError(f"min_voxels={self.min_voxels!r}: expected an integer >= 1")
        set_("geometry_tolerance", _number("geometry_tolerance", self.geometry_tolerance, positive=True))

    # -- conversions ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ExtractionSettings:
        """Build settings from a mapping; unknown keys are an error.

        A ``"preset"`` key starts from that preset and overrides the other keys.

        Examples
        --------
        >>> ExtractionSettings.from_dict({"preset": "ibsi-D", "bin_number": 16}).bin_number
        16
        >>> ExtractionSettings.from_dict({"binWidth": 5})
        Traceback (most recent call last):
        ...
        radiocausal.features.settings.SettingsError: unknown settings key(s) ['binWidth']; expected keys from [...]
        """
        if not isinstance(values, Mapping):
            raise SettingsError(f"settings={values!r}: expected a mapping")
        values = dict(values)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(k for k in values if k not in known and k != "preset")
        if unknown:
            raise SettingsError(f"unknown settings key(s) {unknown}; expected keys from {sorted(known | {'preset'})}")
        preset = values.pop("preset", None)
        if preset is not None:
            base = get_settings(preset)
            values.setdefault("name", f"{base.name}+custom" if values else base.name)
            return base.replace(**values)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (tuples become lists).

        Examples
        --------
        >>> get_settings("ibsi-A").to_dict()["dimensions"]
        ['2D', '2.5D']
        """
        out = dataclasses.asdict(self)
        return json.loads(json.dumps(out))

    def replace(self, **changes: Any) -> ExtractionSettings:
        """A copy with some fields changed (validated again); unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(k for k in changes if k not in known)
        if unknown:
            raise SettingsError(f"unknown settings key(s) {unknown}; expected keys from {sorted(known)}")
        return dataclasses.replace(self, **changes)

    @property
    def hash(self) -> str:
        """SHA-256 of the settings (excluding ``name``), stable across sessions.

        Examples
        --------
        >>> get_settings("ibsi-C").hash == get_settings("ibsi-C").replace(name="x").hash
        True
        """
        d = self.to_dict()
        d.pop("name")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


_ALL_IBSI = ("2D", "2.5D", "3D")
#: Named settings: ``"pyradiomics"`` (pyradiomics' defaults), ``"ibsi-digital-phantom"`` and the IBSI-1
#: CT configurations ``"ibsi-A"`` … ``"ibsi-E"``; :func:`get_settings` resolves a name.
PRESETS: dict[str, ExtractionSettings] = {
    "pyradiomics": ExtractionSettings(
        name="pyradiomics",
        discretisation="fixed_bin_size",
        bin_size=25.0,
        bin_edges="pyradiomics",
        dimensions=("3D",),
        aggregations=("avg",),
        families=("morphology", "statistics", "glcm", "glrlm", "glszm", "ngtdm", "ngldm"),
    ),
    "ibsi-digital-phantom": ExtractionSettings(
        name="ibsi-digital-phantom",
        discretisation="fixed_bin_size",
        bin_size=1.0,
        dimensions=_ALL_IBSI,
    ),
    "ibsi-A": ExtractionSettings(
        name="ibsi-A",
        round_intensities=True,
        resegment_range=(-500.0, 400.0),
        discretisation="fixed_bin_size",
        bin_size=25.0,
        ivh_discretisation="none",
        dimensions=("2D", "2.5D"),
    ),
    "ibsi-B": ExtractionSettings(
        name="ibsi-B",
        spacing=(2.0, 2.0, None),
        interpolator="linear",
        round_intensities=True,
        resegment_range=(-500.0, 400.0),
        discretisation="fixed_bin_number",
        bin_size=None,
        bin_number=32,
        ivh_discretisation="none",
        dimensions=("2D", "2.5D"),
    ),
    "ibsi-C": ExtractionSettings(
        name="ibsi-C",
        spacing=(2.0, 2.0, 2.0),
        interpolator="linear",
        round_intensities=True,
        resegment_range=(-1000.0, 400.0),
        discretisation="fixed_bin_size",
        bin_size=25.0,
        ivh_discretisation="fixed_bin_size",
        ivh_bin_size=2.5,
    ),
    "ibsi-D": ExtractionSettings(
        name="ibsi-D",
        spacing=(2.0, 2.0, 2.0),
        interpolator="linear",
        round_intensities=True,
        resegment_sigma=3.0,
        discretisation="fixed_bin_number",
        bin_size=None,
        bin_number=32,
        ivh_discretisation="none",
    ),
    "ibsi-E": ExtractionSettings(
        name="ibsi-E",
        spacing=(2.0, 2.0, 2.0),
        interpolator="cubic",
        round_intensities=True,
        resegment_range=(-1000.0, 400.0),
        resegment_sigma=3.0,
        discretisation="fixed_bin_number",
        bin_size=None,
        bin_number=32,
        ivh_discretisation="fixed_bin_number",
        ivh_bin_number=1000,
    ),
}

SettingsLike = Union[str, os.PathLike, Mapping[str, Any], ExtractionSettings]


def get_settings(settings: SettingsLike) -> ExtractionSettings:
    """Resolve a preset name, a mapping, a JSON file or a settings object.

    Parameters
    ----------
    settings : str, os.PathLike, Mapping or ExtractionSettings
        A preset name (see :data:`PRESETS`), a ``.json`` file holding a mapping, a mapping
        (see :meth:`ExtractionSettings.from_dict`) or a settings object (returned as is).

    Raises
    ------
    SettingsError
        Unknown preset, unreadable file, unknown key or invalid value.

    Examples
    --------
    >>> get_settings("ibsi-E").interpolator
    'cubic'
    >>> get_settings("ibsi-F")
    Traceback (most recent call last):
    ...
    radiocausal.features.settings.SettingsError: settings='ibsi-F': unknown preset; expected one of ['pyradiomics', 'ibsi-digital-phantom', 'ibsi-A', 'ibsi-B', 'ibsi-C', 'ibsi-D', 'ibsi-E'] or a .json file
    """
    if isinstance(settings, ExtractionSettings):
        return settings
    if isinstance(settings, Mapping):
        return ExtractionSettings.from_dict(settings)
    if isinstance(settings, (str, os.PathLike)):
        if isinstance(settings, str) and settings in PRESETS:
            return PRESETS[settings]
        path = Path(settings)
        if path.suffix.lower() == ".json":
            if not path.is_file():
                raise SettingsError(f"settings file '{path}' does not exist")
            try:
                values = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SettingsError(f"settings file '{path}' is not valid JSON: {exc}") from exc
            return ExtractionSettings.from_dict(values)
        raise SettingsError(
            f"settings={str(settings)!r}: unknown preset; expected one of {list(PRESETS)} or a .json file"
        )
    raise SettingsError(
        f"settings={settings!r}: expected a preset name, a .json path, a mapping or ExtractionSettings"
    )
