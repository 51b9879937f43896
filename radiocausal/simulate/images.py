"""Synthetic 3D tumour images and masks driven by simulated patients.

Each patient's tumour is a star-shaped blob on a small grid.  Its size, surface roughness,
mean intensity and internal heterogeneity (amplitude of a smoothed random texture) are
monotone functions of columns of the patient table (the *drivers*); the scanner site changes the
voxel spacing, the intensity scale, an intensity offset and the noise.  Images are written as
NIfTI (float32) with a uint8 mask, and a manifest CSV readable by
:func:`radiocausal.features.extract_batch`.

Driver transforms (``v`` is the driver value, 0 when the driver is not given):

- radius (mm) ``= base_radius_mm * exp(0.15 * v_size)``, clipped to fit the grid;
- surface roughness amplitude ``= 0.25 * expit(v_roughness - 1)`` (relative radius modulation);
- mean tumour intensity ``= 100 + 15 * v_intensity``;
- heterogeneity (sd of the internal texture) ``= 12 * exp(0.4 * v_heterogeneity)``.

Examples
--------
>>> import tempfile, pandas as pd
>>> table = pd.DataFrame({"grade": [0, 2], "site": [0, 1]}, index=["P1", "P2"])
>>> out = tempfile.mkdtemp()
>>> manifest = write_images(table, out, drivers={"size": "grade"}, site="site", random_seed=0)
>>> manifest.columns.tolist()[:4]
['patient_id', 'image', 'mask', 'label']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.special import expit

from radiocausal.errors import DataError

__all__ = ["SiteProfile", "DEFAULT_SITES", "DRIVERS", "tumour_arrays", "write_images"]

DRIVERS = ("size", "roughness", "intensity", "heterogeneity")


@dataclass(frozen=True)
class SiteProfile:
    """Acquisition of one scanner site.

    Parameters
    ----------
    spacing : (float, float, float)
        Voxel spacing in mm as (x, y, z).
    scale : float
        Multiplies the true intensities.
    offset : float
        Added to the scaled intensities.
    noise_sd : float
        Sd of the white Gaussian acquisition noise (after scaling).
    """

    spacing: tuple[float, float, float] = (1.0, 1.0, 2.0)
    scale: float = 1.0
    offset: float = 0.0
    noise_sd: float = 5.0


#: Three sites: a reference scanner, a finer, noisier and brighter one, a coarser and darker one.
DEFAULT_SITES: tuple[SiteProfile, ...] = (
    SiteProfile(spacing=(1.0, 1.0, 2.0), scale=1.0, offset=0.0, noise_sd=5.0),
    SiteProfile(spacing=(0.8, 0.8, 1.5), scale=0.9, offset=30.0, noise_sd=9.0),
    SiteProfile(spacing=(1.2, 1.2, 2.5), scale=1.15, offset=-35.0, noise_sd=3.0),
)


def tumour_arrays(
    size: float = 0.0,
    roughness: float = 0.0,
    intensity: float = 0.0,
    heterogeneity: float = 0.0,
    *,
    site: SiteProfile = DEFAULT_SITES[0],
    shape: tuple[int, int, int] = (24, 48, 48),
    base_radius_mm: float = 7.0,
    rng: np.random.Generator | None = None,
    noise_rng: np.random.Generator | None = None,
    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Image and mask arrays (z, y, x) of one synthetic tumour.

    The tumour (shape, texture) is drawn from ``rng``; the acquisition noise from ``noise_rng``
    (default ``rng``).  A repeat scan of the same tumour uses the same ``rng`` state, another
    ``noise_rng`` and a small ``shift_mm``.

    Parameters
    ----------
    size, roughness, intensity, heterogeneity : float
        Driver values (see the module docstring for the transforms).
    site : SiteProfile
    shape : (int, int, int)
        Grid size as (z, y, x).
    base_radius_mm : float
        Radius at ``size = 0``.
    rng : numpy.random.Generator, optional
    noise_rng : numpy.random.Generator, optional
        Stream of the acquisition noise (default: ``rng``, after the tumour's draws).
    shift_mm : (float, float, float)
        Displacement of the tumour in the field of view, in mm as (x, y, z) (repositioning
        between scans: the shape is drawn at the new centre, the texture field is shifted with
        it by cubic-spline interpolation).

    Returns
    -------
    image : ndarray of float32
    mask : ndarray of uint8

    Examples
    --------
    >>> img, msk = tumour_arrays(size=1.0, rng=np.random.default_rng(0))
    >>> img.shape, int(msk.sum()) > 100
    ((24, 48, 48), True)
    """
    rng = np.random.default_rng() if rng is None else rng
    sx, sy, sz = site.spacing
    spacing_zyx = np.array([sz, sy, sx])
    extent = np.array(shape) * spacing_zyx
    radius = base_radius_mm * float(np.exp(0.15 * size))
    amp = 0.25 * float(expit(roughness - 1.0))
    radius = min(radius, 0.45 * float(extent.min()) / (1.0 + amp))

    shift_zyx = np.asarray(shift_mm, dtype=float)[::-1]
    zz, yy, xx = [(np.arange(m) - (m - 1) / 2) * d - c for m, d, c in zip(shape, spacing_zyx, shift_zyx)]
    z, y, x = np.meshgrid(zz, yy, xx, indexing="ij")
    dist = np.sqrt(x * x + y * y + z * z)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy, uz = (np.where(dist > 0, c / dist, 0.0) for c in (x, y, z))
    # radial modulation: a few random spherical waves of angular frequency 3-6
    bumps = np.zeros(shape)
    for _ in range(6):
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        freq = rng.uniform(3.0, 6.0)
        bumps += np.cos(freq * (direction[0] * ux + direction[1] * uy + direction[2] * uz) + rng.uniform(0, 2 * np.pi))
    bumps /= np.sqrt(6 / 2)
    mask = dist <= radius * (1.0 + amp * bumps)

    mean = 100.0 + 15.0 * float(intensity)
    het_sd = 12.0 * float(np.exp(0.4 * heterogeneity))
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=1.0 / spacing_zyx * 1.5)
    if np.any(shift_zyx != 0):  # the texture moves with the tumour
        field = ndimage.shift(field, shift_zyx / spacing_zyx, order=3, mode="grid-wrap")
    if mask.any():  # zero mean, unit sd inside the tumour: heterogeneity never shifts the mean
        inside = field[mask]
        field = (field - inside.mean()) / (inside.std() or 1.0)
    truth = np.where(mask, mean + het_sd * field, 0.0)
    truth = ndimage.gaussian_filter(truth, sigma=0.6)  # partial-volume blur at the edge
    noise = (rng if noise_rng is None else noise_rng).standard_normal(shape)
    image = site.scale * truth + site.offset + site.noise_sd * noise
    return image.astype(np.float32), mask.astype(np.uint8)


def write_images(
    table: pd.DataFrame,
    out_dir: str | os.PathLike,
    *,
    drivers: Mapping[str, str] | None = None,
    site: str | None = None,
    sites: Sequence[SiteProfile] = DEFAULT_SITES,
    shape: tuple[int, int, int] = (24, 48, 48),
    random_seed: int | None = None,
    repeat: int = 0,
    reposition_mm: float = 1.0,
    manifest_name: str = "manifest.csv",
    patients: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Write one NIfTI image and mask per patient and a ``manifest.csv``.

    Parameters
    ----------
    table : DataFrame
        One row per patient (index = patient id), e.g. from :func:`simulate_tables` (use
        ``truth.complete`` to drive images from latent nodes).
    out_dir : path
        Images go to ``out_dir/images/<id>_image.nii.gz`` and ``<id>_mask.nii.gz``; the manifest
        (relative paths) to ``out_dir/manifest.csv``.
    drivers : mapping of {"size", "roughness", "intensity", "heterogeneity"} to column name
        The column driving each image property (numeric; a property without a driver gets 0).
    site : str, optional
        Column of integer site codes; site ``k`` uses ``sites[k]``.  Without it every patient
        is scanned at ``sites[0]``.
    sites : sequence of SiteProfile
    shape : (int, int, int)
        Grid as (z, y, x).
    random_seed : int, optional
        Patient ``i`` (row order) uses its own stream spawned from this seed.
    repeat : int
        ``0`` writes the scans; ``k > 0`` writes repeat scan ``k`` of the same tumours (same
        seed and table give the same shape and texture), with new acquisition noise and the
        tumour displaced by ``N(0, reposition_mm)`` mm along each axis, as
        ``<id>_repeat<k>_image.nii.gz`` and ``<id>_repeat<k>_mask.nii.gz``.
    reposition_mm : float
        Sd of the repositioning of a repeat scan.
    manifest_name : str
        File name of the manifest written in ``out_dir``.
    patients : sequence of str, optional
        Write only these patients (index values of ``table``).  Each patient keeps the stream of
        its row in ``table``, so a subset gets the same tumours as the whole table.

    Returns
    -------
    DataFrame
        The manifest: ``patient_id``, ``image``, ``mask`` (absolute paths), ``label``, ``site``,
        ``spacing_x``, ``spacing_y``, ``spacing_z``.

    Raises
    ------
    DataError
        Unknown driver name, missing or non-numeric column, site code without a profile,
        duplicated patient ids.
    """
    import SimpleITK as sitk

    if not isinstance(table, pd.DataFrame) or table.empty:
        raise DataError(f"table={type(table).__name__}: expected a non-empty DataFrame of patients")
    if table.index.has_duplicates:
        raise DataError("table index (patient ids) has duplicates; expected one row per patient")
    drivers = dict(drivers or {})
    unknown = set(drivers) - set(DRIVERS)
    if unknown:
        raise DataError(f"drivers has unknown key(s) {sorted(unknown)}; expected some of {list(DRIVERS)}")
    columns = list(drivers.values()) + ([site] if site is not None else [])
    for c in columns:
        if c not in table.columns:
            raise DataError(f"column {c!r} is not in table; it has {list(table.columns)}")
        if not pd.api.types.is_numeric_dtype(table[c]) or table[c].isna().any():
            raise DataError(f"column {c!r} must be numeric without missing values")
    if len(shape) != 3 or min(shape) < 8:
        raise DataError(f"shape={shape!r}: expected 3 grid sizes (z, y, x) of at least 8")
    codes = np.zeros(len(table), dtype=int) if site is None else table[site].to_numpy()
    if np.any(codes != np.round(codes)) or np.any(codes < 0) or np.any(codes >= len(sites)):
        raise DataError(
            f"column {site!r} has site codes {sorted(set(codes.tolist()))}; expected integers 0..{len(sites) - 1} "
            f"(one SiteProfile per site)"
        )
    if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 0:
        raise DataError(f"repeat={repeat!r}: expected 0 (the scans) or a positive repeat-scan number")
    if not (np.isfinite(reposition_mm) and reposition_mm >= 0):
        raise DataError(f"reposition_mm={reposition_mm!r}: expected a finite sd >= 0 (mm)")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    streams = np.random.SeedSequence(random_seed).spawn(len(table))
    driver_values = {k: table[c].to_numpy(dtype=float) for k, c in drivers.items()}
    suffix = f"_repeat{repeat}" if repeat else ""
    if patients is None:
        positions = range(len(table))
    else:
        unknown = pd.Index(patients).difference(table.index)
        if len(unknown):
            raise DataError(f"patients names id(s) {unknown[:5].tolist()} that are not in table's index")
        positions = table.index.get_indexer(pd.Index(patients))
    rows = []
    for i in positions:
        pid = table.index[i]
        prof = sites[int(codes[i])]
        values = {k: float(v[i]) for k, v in driver_values.items()}
        extra: dict = {}
        if repeat:
            # same tumour stream; a noise stream of its own for this repeat, which also repositions
            seq = streams[i]
            noise_rng = np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, repeat)))
            extra = {"noise_rng": noise_rng, "shift_mm": tuple(noise_rng.normal(0.0, reposition_mm, 3))}
        img, msk = tumour_arrays(**values, site=prof, shape=shape, rng=np.random.default_rng(streams[i]), **extra)
        name = str(pid)
        paths = {}
        for kind, arr in (("image", img), ("mask", msk)):
            im = sitk.GetImageFromArray(arr)
            im.SetSpacing(tuple(float(s) for s in prof.spacing))
            rel = Path("images") / f"{name}{suffix}_{kind}.nii.gz"
            sitk.WriteImage(im, str(out / rel))
            paths[kind] = rel
        rows.append(
            {"patient_id": name, "image": paths["image"].as_posix(), "mask": paths["mask"].as_posix(), "label": 1,
             "site": int(codes[i]), "spacing_x": prof.spacing[0], "spacing_y": prof.spacing[1],
             "spacing_z": prof.spacing[2]}
        )
    manifest = pd.DataFrame(rows)
    manifest.to_csv(out / manifest_name, index=False)
    manifest["image"] = [str((out / p).resolve()) for p in manifest["image"]]
    manifest["mask"] = [str((out / p).resolve()) for p in manifest["mask"]]
    return manifest
