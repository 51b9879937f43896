from __future__ import annotations

import doctest

import numpy as np
import pytest
import SimpleITK as sitk

import radiocausal.features.preprocessing as prep_mod
from radiocausal.errors import ImageError
from radiocausal.features import (
    ExtractionSettings,
    RoiTooSmallError,
    discretise,
    get_settings,
    load_image_and_mask,
    preprocess,
    resample_ibsi,
    resegment,
)


def _centre(img: sitk.Image) -> np.ndarray:
    return np.asarray(img.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in img.GetSize()]))


@pytest.mark.parametrize("spacing", [(2.0, 2.0, 2.0), (2.0, 2.0, None), (0.7, 1.3, 2.9)])
def test_grid_is_centre_aligned(spacing):
    img = sitk.Image(204, 201, 60, sitk.sitkFloat32)
    img.SetSpacing((0.977, 0.977, 3.0))
    img.SetOrigin((-10.0, 20.0, 5.0))
    img.SetDirection((0, 1, 0, 1, 0, 0, 0, 0, -1))
    out = resample_ibsi(img, spacing, "linear")
    np.testing.assert_allclose(_centre(out), _centre(img), atol=1e-9)
    expected = [np.ceil(n * s / (t or s)) for n, s, t in zip(img.GetSize(), img.GetSpacing(), spacing)]
    assert list(out.GetSize()) == expected
    assert out.GetDirection() == img.GetDirection()


def test_linear_interpolation_reproduces_a_linear_ramp():
    z, y, x = np.meshgrid(np.arange(6), np.arange(7), np.arange(8), indexing="ij")
    img = sitk.GetImageFromArray((3.0 * x + 2.0 * y - z).astype(float))
    out = resample_ibsi(img, (0.5, 0.5, 0.5), "linear")
    arr = sitk.GetArrayFromImage(out)
    # interior points: value equals the ramp at their physical position
    k = (5, 6, 7)
    px, py, pz = out.TransformIndexToPhysicalPoint((k[2], k[1], k[0]))
    assert arr[k] == pytest.approx(3 * px + 2 * py - pz)


def test_resegment_range_then_sigma():
    v = np.r_[np.zeros(50), 10.0, -2000.0]
    keep = resegment(v, np.ones(v.size, bool), value_range=(-1000, 400), sigma=3)
    assert not keep[-1] and not keep[-2] and keep[:50].all()
    # mean +- 3 SD uses only voxels that survive the range step
    assert resegment(v, np.ones(v.size, bool), value_range=(-1000, 400)).sum() == 51


def test_fixed_bin_size_starts_at_resegmentation_bound():
    s = get_settings("ibsi-C")
    levels, n = discretise(np.array([-1000.0, -975.01, -975.0, 399.0, 400.0]), s)
    assert levels.tolist() == [1, 1, 2, 56, 57] and n == 57
    # without a range the bins start at the ROI minimum
    t = ExtractionSettings(bin_size=10.0)
    assert discretise(np.array([3.0, 12.9, 13.0]), t)[0].tolist() == [1, 1, 2]


def test_fixed_bin_number_puts_maximum_in_last_bin():
    levels, n = discretise(np.linspace(0, 1, 11), get_settings("ibsi-D"))
    assert n == 32 and levels[0] == 1 and levels[-1] == 32 and np.all(np.diff(levels) >= 0)
    flat, _ = discretise(np.full(4, 7.0), get_settings("ibsi-D"))
    assert flat.tolist() == [1, 1, 1, 1]


def test_pyradiomics_bin_edges():
    s = get_settings("pyradiomics")
    # pyradiomics: edges at multiples of 25, renumbered from 1 (54..166 -> edges 50, 75, ...)
    levels, _ = discretise(np.array([54.0, 74.9, 75.0, 166.0]), s)
    assert levels.tolist() == [1, 1, 2, 5]


def test_no_discretisation_requires_integer_levels():
    s = ExtractionSettings(discretisation="none", bin_size=None)
    assert discretise(np.array([1.0, 3.0]), s)[0].tolist() == [1, 3]
    with pytest.raises(ImageError, match="integer grey levels"):
        discretise(np.array([0.5, 3.0]), s)


def _sphere(radius=6, size=17, spacing=(1.0, 1.0, 1.0)):
    z, y, x = np.indices((size,) * 3) - size // 2
    m = (x**2 + y**2 + z**2 <= radius**2).astype(np.uint8)
    img = sitk.GetImageFromArray(100.0 * m + np.random.default_rng(1).normal(0, 5, m.shape))
    img.SetSpacing(spacing)
    msk = sitk.GetImageFromArray(m)
    msk.CopyInformation(img)
    return img, msk


def test_mask_interpolated_and_thresholded():
    img, msk = _sphere()
    roi = load_image_and_mask(img, msk)
    sp = (1.5, 1.5, 1.5)
    coarse = preprocess(roi, get_settings("ibsi-C").replace(spacing=sp, resegment_range=None))
    # a radius-6 ball: volume ~905 mm^3
    assert coarse.morph_mask.sum() * 1.5**3 == pytest.approx(4 / 3 * np.pi * 6**3, rel=0.1)
    assert coarse.diagnostics["vox_dim_x_interp_img"] == 1.5
    loose = preprocess(roi, get_settings("ibsi-C").replace(spacing=sp, resegment_range=None, mask_threshold=0.1))
    assert loose.morph_mask.sum() > coarse.morph_mask.sum()


def test_rounding_and_intensity_mask():
    img, msk = _sphere()
    roi = load_image_and_mask(img, msk)
    pre = preprocess(roi, get_settings("ibsi-C").replace(resegment_range=(90.0, 110.0)))
    arr = pre.image_array
    assert np.all(arr == np.round(arr))
    assert pre.int_mask.sum() < pre.morph_mask.sum()
    assert np.all((arr[pre.int_mask] >= 90) & (arr[pre.int_mask] <= 110))
    assert np.all(pre.levels[~pre.int_mask] == 0) and pre.levels[pre.int_mask].min() >= 1


def test_roi_too_small_after_resegmentation():
    img, msk = _sphere()
    roi = load_image_and_mask(img, msk)
    with pytest.raises(RoiTooSmallError, match="after re-segmentation.*min_voxels=10"):
        preprocess(roi, get_settings("ibsi-C").replace(resegment_range=(5000.0, 6000.0), min_voxels=10))


def test_docstring_examples():
    result = doctest.testmod(prep_mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
