"""Reading and checking an image and its region-of-interest mask.

Images and masks are read with SimpleITK (NIfTI, NRRD, MetaImage, a folder holding one DICOM
series, ...) or taken as :class:`SimpleITK.Image` objects.  Every problem is reported with an
error that names the file (or ``<in-memory image>``), the offending value and what was expected.

Examples
--------
>>> import numpy as np, SimpleITK as sitk
>>> from radiocausal.features.io import load_image_and_mask
>>> img = sitk.GetImageFromArray(np.arange(27, dtype=float).reshape(3, 3, 3))
>>> msk = sitk.GetImageFromArray(np.ones((3, 3, 3), dtype=np.uint8))
>>> roi = load_image_and_mask(img, msk)
>>> roi.n_voxels
27
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import SimpleITK as sitk

from radiocausal.errors import EmptyMaskError, GeometryMismatchError, ImageError

__all__ = [
    "ImageSource",
    "RoiTooSmallError",
    "LoadedRoi",
    "read_image",
    "load_image_and_mask",
    "check_geometry",
]

ImageSource = Union[str, os.PathLike, sitk.Image]


class RoiTooSmallError(EmptyMaskError):
    """The region of interest has too few voxels for the requested features."""


def _describe(source: ImageSource) -> str:
    if isinstance(source, sitk.Image):
        return "<in-memory image>"
    return str(source)


def read_image(source: ImageSource, *, parameter: str = "image") -> sitk.Image:
    """Read an image from a path, a DICOM-series folder or pass a SimpleITK image through.

    Parameters
    ----------
    source : str, os.PathLike or SimpleITK.Image
        File readable by SimpleITK, a folder with exactly one DICOM series, or an image.
    parameter : str
        Name of the argument, used in error messages.

    Returns
    -------
    SimpleITK.Image

    Raises
    ------
    ImageError
        The file does not exist, cannot be read, or the folder holds no (or several) DICOM series.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> read_image(sitk.Image(2, 2, 2, sitk.sitkUInt8)).GetSize()
    (2, 2, 2)
    """
    if isinstance(source, sitk.Image):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise ImageError(
            f"{parameter}={source!r}: expected a path or a SimpleITK.Image, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.exists():
        raise ImageError(f"{parameter}: file '{path}' does not exist")
    if path.is_dir():
        ids = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(path))
        if len(ids) != 1:
            raise ImageError(
                f"{parameter}: folder '{path}' holds {len(ids)} DICOM series; expected exactly one"
            )
        files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(path), ids[0])
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(files)
        try:
            return reader.Execute()
        except RuntimeError as exc:
            raise ImageError(f"{parameter}: cannot read DICOM series in '{path}': {exc}") from exc
    try:
        return sitk.ReadImage(str(path))
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        raise ImageError(f"{parameter}: cannot read '{path}' as an image ({first_line})") from exc


def check_geometry(
    image: sitk.Image,
    mask: sitk.Image,
    *,
    tolerance: float = 1e-3,
    image_name: str = "image",
    mask_name: str = "mask",
) -> None:
    """Raise :class:`GeometryMismatchError` unless image and mask share their grid.

    Size must be equal; spacing, origin (mm) and direction cosines must agree within
    ``tolerance`` (absolute).

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> a = sitk.Image(3, 3, 3, sitk.sitkFloat32)
    >>> b = sitk.Image(3, 3, 3, sitk.sitkUInt8)
    >>> check_geometry(a, b)  # no error
    """
    if image.GetDimension() != mask.GetDimension():
        raise GeometryMismatchError(
            f"{mask_name} has {mask.GetDimension()} dimensions but {image_name} has "
            f"{image.GetDimension()}; expected the same"
        )
    checks = [
        ("size", image.GetSize(), mask.GetSize(), 0.0),
        ("spacing", image.GetSpacing(), mask.GetSpacing(), tolerance),
        ("origin", image.GetOrigin(), mask.GetOrigin(), tolerance),
        ("direction", image.GetDirection(), mask.GetDirection(), tolerance),
    ]
    for what, a, b, tol in checks:
        if np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))) > tol:
            raise GeometryMismatchError(
                f"{mask_name} {what} {tuple(np.round(b, 6).tolist())} differs from {image_name} {what} "
                f"{tuple(np.round(a, 6).tolist())} beyond tolerance {tol:g}; expected matching geometry"
            )


@dataclass(frozen=True)
class LoadedRoi:
    """An image (float64) and a binary mask (uint8, 1 = ROI) on the same grid.

    Attributes
    ----------
    image, mask : SimpleITK.Image
    label : int
        The label of the original mask that defines the ROI.
    image_source, mask_source : str
        File names (or ``<in-memory image>``) for messages and provenance.
    pixel_id : int
        SimpleITK pixel type of the image as read (pyradiomics resamples in that type).
    """

    image: sitk.Image
    mask: sitk.Image
    label: int
    image_source: str
    mask_source: str
    pixel_id: int = sitk.sitkFloat64

    @property
    def n_voxels(self) -> int:
        """Number of voxels in the ROI."""
        return int(np.count_nonzero(sitk.GetArrayViewFromImage(self.mask)))


def load_image_and_mask(
    image: ImageSource,
    mask: ImageSource,
    *,
    label: int = 1,
    geometry_tolerance: float = 1e-3,
    min_voxels: int = 1,
) -> LoadedRoi:
    """Read and check an image and the ROI with value ``label`` in ``mask``.

    Parameters
    ----------
    image, mask : str, os.PathLike or SimpleITK.Image
        The intensity image and a (possibly multi-label) mask on the same grid.
    label : int
        Mask value that defines the ROI.
    geometry_tolerance : float
        Largest absolute difference allowed in spacing, origin and direction.
    min_voxels : int
        Smallest acceptable number of ROI voxels.

    Returns
    -------
    LoadedRoi

    Raises
    ------
    ImageError
        Unreadable file, non-3D image or non-finite intensities.
    GeometryMismatchError
        Image and mask grids differ beyond ``geometry_tolerance``.
    EmptyMaskError
        The mask has no voxel of value ``label``.
    RoiTooSmallError
        The ROI has fewer than ``min_voxels`` voxels.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.zeros((2, 2, 2)))
    >>> msk = sitk.GetImageFromArray(np.array([[[0, 2], [2, 2]], [[1, 1], [0, 0]]], dtype=np.uint8))
    >>> load_image_and_mask(img, msk, label=2).n_voxels
    3
    """
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise ImageError(f"label={label!r}: expected an integer mask value")
    if not (isinstance(min_voxels, (int, np.integer)) and min_voxels >= 1):
        raise ImageError(f"min_voxels={min_voxels!r}: expected an integer >= 1")
    img_name, msk_name = _describe(image), _describe(mask)
    img = read_image(image, parameter="image")
    msk = read_image(mask, parameter="mask")
    for name, im, what in ((img_name, img, "image"), (msk_name, msk, "mask")):
        if im.GetDimension() != 3:
            raise ImageError(f"{what} '{name}' has {im.GetDimension()} dimensions; expected a 3D image")
        if im.GetNumberOfComponentsPerPixel() != 1:
            raise ImageError(
                f"{what} '{name}' has {im.GetNumberOfComponentsPerPixel()} components per voxel; "
                "expected a scalar image"
            )
    check_geometry(
        img, msk, tolerance=geometry_tolerance, image_name=f"image '{img_name}'", mask_name=f"mask '{msk_name}'"
    )
    img_arr = sitk.GetArrayFromImage(img).astype(np.float64)
    if not np.all(np.isfinite(img_arr)):
        n_bad = int(np.count_nonzero(~np.isfinite(img_arr)))
        raise ImageError(
            f"image '{img_name}' has {n_bad} non-finite (NaN or infinite) intensities; expected finite values"
        )
    msk_arr = sitk.GetArrayViewFromImage(msk)
    roi = msk_arr == label
    n = int(np.count_nonzero(roi))
    if n == 0:
        present = np.unique(msk_arr)
        present = present[present != 0]
        if present.size == 0:
            raise EmptyMaskError(f"mask '{msk_name}' is empty (all voxels are 0); expected an ROI with label={label}")
        raise EmptyMaskError(
            f"mask '{msk_name}' has no voxel with label={label}; labels present: {present.tolist()}"
        )
    if n < min_voxels:
        raise RoiTooSmallError(
            f"mask '{msk_name}' label={label} has {n} voxels; expected at least min_voxels={min_voxels}"
        )
    out_img = sitk.GetImageFromArray(img_arr)
    out_img.CopyInformation(img)
    out_msk = sitk.GetImageFromArray(roi.astype(np.uint8))
    out_msk.CopyInformation(img)
    return LoadedRoi(out_img, out_msk, int(label), img_name, msk_name, img.GetPixelID())
