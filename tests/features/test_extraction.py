from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

import radiocausal.features
import radiocausal.features.extraction as extraction_mod
from radiocausal.errors import EmptyMaskError, GeometryMismatchError
from radiocausal.features import ExtractionSettings, RoiTooSmallError, SettingsError, extract, get_settings


@pytest.fixture(scope="module")
def blob():
    rng = np.random.default_rng(3)
    z, y, x = np.indices((12, 14, 16))
    m = (((x - 8) / 5.0) ** 2 + ((y - 7) / 4.0) ** 2 + ((z - 6) / 3.5) ** 2 <= 1).astype(np.uint8)
    img = sitk.GetImageFromArray(rng.normal(40, 20, m.shape).round())
    img.SetSpacing((0.8, 0.8, 1.5))
    msk = sitk.GetImageFromArray(m * 2)  # label 2
    msk.CopyInformation(img)
    return img, msk


def test_returns_series_indexed_by_ibsi_tag(blob):
    img, msk = blob
    x = extract(img, msk, settings="ibsi-C", label=2)
    assert isinstance(x, pd.Series) and x.dtype == float and x.name == "ibsi-C"
    for tag in ("morph_volume", "stat_mean", "ih_entropy", "ivh_auc", "cm_joint_max_3D_avg",
                "cm_joint_max_3D_comb", "rlm_sre_3D_avg", "szm_sze_3D", "ngt_coarseness_3D", "ngl_dc_energy_3D"):
        assert tag in x.index
    assert not any(t.endswith(("_2D", "_2_5D")) or "_2D_" in t for t in x.index)
    assert x.index.is_unique


def test_same_values_from_files_and_images(blob, tmp_path):
    img, msk = blob
    sitk.WriteImage(img, str(tmp_path / "img.nrrd"))
    sitk.WriteImage(msk, str(tmp_path / "msk.nii.gz"))
    a = extract(img, msk, settings="ibsi-D", label=2)
    b = extract(tmp_path / "img.nrrd", str(tmp_path / "msk.nii.gz"), settings=get_settings("ibsi-D"), label=2)
    pd.testing.assert_series_equal(a, b)


def test_pyradiomics_names_match_pyradiomics_extractor(blob, tmp_path):
    from radiomics import featureextractor

    img, msk = blob
    x = extract(img, msk, settings="pyradiomics", names="pyradiomics", label=2)
    assert "original_glcm_JointAverage" in x.index and "original_shape_MeshVolume" in x.index
    ext = featureextractor.RadiomicsFeatureExtractor(binWidth=25, label=2)
    ref = {k: float(v) for k, v in ext.execute(img, msk).items() if k.startswith("original_")}
    assert set(ref) == set(x.index)
    for k, v in ref.items():
        assert x[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_ibsi_and_pyradiomics_conventions_differ_where_documented(blob):
    img, msk = blob
    ib = extract(img, msk, settings="pyradiomics", names="ibsi", label=2)
    py = extract(img, msk, settings="pyradiomics", names="pyradiomics", label=2)
    n = (sitk.GetArrayFromImage(msk) == 2).sum()
    # IBSI's PCA uses N-1, pyradiomics N
    assert ib["morph_pca_maj_axis"] == pytest.approx(py["original_shape_MajorAxisLength"] * np.sqrt(n / (n - 1)))
    # IBSI kurtosis is the excess kurtosis
    assert ib["stat_kurt"] == pytest.approx(py["original_firstorder_Kurtosis"] - 3)
    assert ib["cm_joint_avg_3D_avg"] == pytest.approx(py["original_glcm_JointAverage"])
    assert ib["ngl_dcnu_3D"] == pytest.approx(py["original_gldm_DependenceNonUniformity"])


def test_dimensions_and_families_select_output(blob):
    img, msk = blob
    s = ExtractionSettings(dimensions=("2D", "2.5D"), aggregations=("comb",), families=("glcm", "glszm"))
    x = extract(img, msk, settings=s, label=2)
    assert set(x.index) == {
        *(f"cm_{c}_{d}_comb" for c in extraction_mod.naming.GLCM for d in ("2D", "2_5D")),
        *(f"szm_{c}_{d}" for c in extraction_mod.naming.GLSZM for d in ("2D", "2_5D")),
    }


def test_2d_average_is_mean_over_slices(blob):
    _, msk = blob
    levels = np.random.default_rng(5).integers(1, 6, size=sitk.GetArrayFromImage(msk).shape).astype(float)
    img = sitk.GetImageFromArray(levels)
    img.CopyInformation(msk)
    none = {"discretisation": "none", "bin_size": None, "families": ("glszm",)}
    x = extract(img, msk, settings=ExtractionSettings(dimensions=("2D",), **none), label=2)
    arr = sitk.GetArrayFromImage(msk)
    per_slice = []
    for k in np.nonzero((arr == 2).any(axis=(1, 2)))[0]:
        sl = np.zeros_like(arr)
        sl[k] = arr[k]
        m = sitk.GetImageFromArray(sl)
        m.CopyInformation(msk)
        one = extract(img, m, settings=ExtractionSettings(dimensions=("2.5D",), **none), label=2)
        per_slice.append(one["szm_sze_2_5D"])
    assert x["szm_sze_2D"] == pytest.approx(np.mean(per_slice))


def test_bad_arguments(blob):
    img, msk = blob
    with pytest.raises(SettingsError, match="names='IBSI'"):
        extract(img, msk, settings="ibsi-C", names="IBSI", label=2)
    with pytest.raises(SettingsError, match="unknown preset"):
        extract(img, msk, settings="ibsi-Z", label=2)
    with pytest.raises(EmptyMaskError, match="label=1"):
        extract(img, msk, settings="ibsi-C")
    bad = sitk.Image(msk)
    bad.SetOrigin((0.0, 0.0, 1.0))
    with pytest.raises(GeometryMismatchError):
        extract(img, bad, settings="ibsi-C", label=2)


def test_roi_too_small_for_textures(tmp_path):
    img = sitk.GetImageFromArray(np.random.default_rng(0).normal(size=(5, 5, 5)))
    m = np.zeros((5, 5, 5), np.uint8)
    m[2, 2, 2] = 1
    msk = sitk.GetImageFromArray(m)
    msk.CopyInformation(img)
    sitk.WriteImage(msk, str(tmp_path / "tiny.nrrd"))
    s = ExtractionSettings(families=("statistics", "glcm"))
    with pytest.raises(RoiTooSmallError, match=r"tiny.nrrd.*\(1 voxels\) is too small for GLCM features in 3D"):
        extract(img, tmp_path / "tiny.nrrd", settings=s)
    with pytest.raises(RoiTooSmallError, match="slice 0 of the cropped ROI"):
        extract(img, msk, settings=s.replace(dimensions=("2D",)))
    # first-order features of a one-voxel ROI are fine
    assert extract(img, msk, settings=s.replace(families=("statistics",)))["stat_mean"] == pytest.approx(m.ravel() @ sitk.GetArrayFromImage(img).ravel())


@pytest.mark.parametrize("module", [extraction_mod, radiocausal.features])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_filtered_images_match_pyradiomics(shared_data):
    from radiomics import featureextractor

    folder = shared_data / "pyradiomics"
    img, msk = str(folder / "breast1_image.nrrd"), str(folder / "breast1_label.nrrd")
    ext = featureextractor.RadiomicsFeatureExtractor(binWidth=25)
    ext.enableImageTypes(Original={}, LoG={"sigma": [1.0, 2.0]}, Wavelet={})
    ref = {k: float(v) for k, v in ext.execute(img, msk).items() if not k.startswith("diagnostics")}
    s = get_settings("pyradiomics").replace(image_types=("original", "log", "wavelet"), log_sigma=(1.0, 2.0))
    x = extract(img, msk, settings=s, names="pyradiomics")
    assert set(x.index) == set(ref) and len(ref) > 1000
    for k, v in ref.items():
        assert x[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k
    ibsi = extract(img, msk, settings=get_settings("ibsi-C").replace(image_types=("log",), log_sigma=(2.0,)))
    assert "log-sigma-2-0-mm-3D_stat_mean" in ibsi.index and "log-sigma-2-0-mm-3D_cm_joint_max_3D_avg" in ibsi.index
    assert not any(k.startswith("morph_") or "_morph_" in k for k in ibsi.index)


def test_filter_settings_are_checked():
    with pytest.raises(SettingsError, match="log_sigma"):
        ExtractionSettings(image_types=("original", "log"))
    with pytest.raises(SettingsError, match="log_sigma"):
        ExtractionSettings(log_sigma=(1.0,))
    with pytest.raises(SettingsError, match="wavelet='nope'"):
        ExtractionSettings(image_types=("wavelet",), wavelet="nope")
    with pytest.raises(SettingsError, match="image_types"):
        ExtractionSettings(image_types=("gabor",))
    with pytest.raises(SettingsError, match="discretisation='none'"):
        ExtractionSettings(image_types=("wavelet",), discretisation="none", bin_size=None)
