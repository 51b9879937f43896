from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radiocausal.errors import EmptyMaskError, GeometryMismatchError, ImageError
from radiocausal.features.io import RoiTooSmallError, load_image_and_mask, read_image


def _pair(shape=(4, 5, 6)):
    rng = np.random.default_rng(0)
    img = sitk.GetImageFromArray(rng.normal(size=shape))
    img.SetSpacing((1.0, 1.5, 2.0))
    m = np.zeros(shape, np.uint8)
    m[1:3, 1:4, 1:5] = 1
    m[3, 0, 0] = 2
    msk = sitk.GetImageFromArray(m)
    msk.CopyInformation(img)
    return img, msk


def test_in_memory_and_label_selection():
    img, msk = _pair()
    roi = load_image_and_mask(img, msk)
    assert roi.n_voxels == 2 * 3 * 4
    assert load_image_and_mask(img, msk, label=2).n_voxels == 1
    assert roi.image.GetSpacing() == (1.0, 1.5, 2.0)
    assert roi.mask.GetPixelID() == sitk.sitkUInt8


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_round_trip_through_files(tmp_path, suffix):
    img, msk = _pair()
    ip, mp = tmp_path / f"img{suffix}", tmp_path / f"msk{suffix}"
    sitk.WriteImage(img, str(ip))
    sitk.WriteImage(msk, str(mp))
    roi = load_image_and_mask(ip, str(mp))
    assert roi.image_source == str(ip)
    np.testing.assert_allclose(sitk.GetArrayFromImage(roi.image), sitk.GetArrayFromImage(img))


def test_missing_file_names_it(tmp_path):
    img, msk = _pair()
    missing = tmp_path / "nothere.nii.gz"
    with pytest.raises(ImageError, match="nothere.nii.gz.*does not exist"):
        load_image_and_mask(missing, msk)


def test_unreadable_file_names_it(tmp_path):
    bad = tmp_path / "garbage.nii.gz"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ImageError, match="garbage.nii.gz"):
        read_image(bad)


def test_wrong_type():
    with pytest.raises(ImageError, match="expected a path or a SimpleITK.Image"):
        read_image(42)


@pytest.mark.parametrize(
    "change, what",
    [
        (lambda m: m.SetSpacing((1.0, 1.5, 2.1)), "spacing"),
        (lambda m: m.SetOrigin((0.0, 0.5, 0.0)), "origin"),
        (lambda m: m.SetDirection((0, 1, 0, 1, 0, 0, 0, 0, 1)), "direction"),
    ],
)
def test_geometry_mismatch(change, what):
    img, msk = _pair()
    change(msk)
    with pytest.raises(GeometryMismatchError, match=what):
        load_image_and_mask(img, msk)


def test_geometry_within_tolerance_is_accepted():
    img, msk = _pair()
    msk.SetOrigin((0.0, 0.0, 5e-4))
    load_image_and_mask(img, msk)
    with pytest.raises(GeometryMismatchError, match="origin"):
        load_image_and_mask(img, msk, geometry_tolerance=1e-5)


def test_size_mismatch():
    img, _ = _pair()
    msk = sitk.Image(6, 5, 5, sitk.sitkUInt8)
    msk.SetSpacing(img.GetSpacing())
    with pytest.raises(GeometryMismatchError, match="size"):
        load_image_and_mask(img, msk)


def test_empty_mask_and_absent_label(tmp_path):
    img, msk = _pair()
    empty = sitk.Image(msk.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(img)
    p = tmp_path / "empty.nrrd"
    sitk.WriteImage(empty, str(p))
    with pytest.raises(EmptyMaskError, match="empty.nrrd.*empty"):
        load_image_and_mask(img, p)
    with pytest.raises(EmptyMaskError, match=r"label=7.*\[1, 2\]"):
        load_image_and_mask(img, msk, label=7)


def test_non_finite_intensity(tmp_path):
    img, msk = _pair()
    arr = sitk.GetArrayFromImage(img)
    arr[0, 0, 0] = np.nan
    arr[0, 0, 1] = np.inf
    bad = sitk.GetImageFromArray(arr)
    bad.CopyInformation(img)
    p = tmp_path / "nan.nrrd"
    sitk.WriteImage(bad, str(p))
    with pytest.raises(ImageError, match="nan.nrrd.*2 non-finite"):
        load_image_and_mask(p, msk)


def test_roi_too_small():
    img, msk = _pair()
    with pytest.raises(RoiTooSmallError, match="1 voxels.*min_voxels=2"):
        load_image_and_mask(img, msk, label=2, min_voxels=2)
    assert issubclass(RoiTooSmallError, EmptyMaskError)


def test_dicom_series_folder(tmp_path):
    img, _ = _pair()
    img16 = sitk.Cast(sitk.RescaleIntensity(img, 0, 1000), sitk.sitkInt16)
    folder = tmp_path / "dicom"
    folder.mkdir()
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    for k in range(img16.GetSize()[2]):
        sl = img16[:, :, k]
        sl.SetMetaData("0020|000d", "1.2.826.0.1.3680043.2.1125.2")
        sl.SetMetaData("0020|000e", "1.2.826.0.1.3680043.2.1125.1")
        sl.SetMetaData("0008|0018", f"1.2.826.0.1.3680043.2.1125.1.{k + 1}")
        sl.SetMetaData("0020|0032", "\\".join(map(str, img16.TransformIndexToPhysicalPoint((0, 0, k)))))
        sl.SetMetaData("0020|0013", str(k))
        sl.SetMetaData("0020|0037", "1\\0\\0\\0\\1\\0")
        writer.SetFileName(str(folder / f"s{k:03d}.dcm"))
        writer.Execute(sl)
    back = read_image(folder)
    assert back.GetSize() == img16.GetSize()
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(img16))
    empty = tmp_path / "no_dicom_here"
    empty.mkdir()
    with pytest.raises(ImageError, match="no_dicom_here.*0 DICOM series"):
        read_image(empty)
