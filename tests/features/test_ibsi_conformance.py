"""IBSI-1 conformance on the digital phantom and the CT phantom (configurations A-E).

Match rule: round the computed value to 3 significant digits, pass when |x - ref| <= tolerance.
The asserted counts are those radiocausal reaches; the features it does not implement are
listed in ``NOT_IMPLEMENTED`` (and in docs/features.md).
"""

from __future__ import annotations

import pytest

from radiocausal.features import extract

# IBSI features radiocausal does not compute (pyradiomics has no formula for them)
NOT_IMPLEMENTED = (
    "dzm_",  # grey level distance zone matrix
    "morph_vol_dens_ombb",  # oriented minimum bounding box
    "morph_area_dens_ombb",
    "morph_vol_dens_mvee",  # minimum volume enclosing ellipsoid
    "morph_area_dens_mvee",
    "morph_moran_i",  # spatial autocorrelation
    "morph_geary_c",
    "loc_peak_",  # local intensity peaks
)


def _check(values, ref, ibsi):
    passed, failed, missing = ibsi.compare(values, ref)
    unexpected_missing = [t for t in missing if not t.startswith(NOT_IMPLEMENTED)]
    assert unexpected_missing == []
    return passed, failed, missing


def test_digital_phantom(ibsi_dir, ibsi):
    ph = ibsi_dir / "digital_phantom" / "nifti"
    values = extract(ph / "image" / "phantom.nii.gz", ph / "mask" / "mask.nii.gz", settings="ibsi-digital-phantom")
    ref = ibsi.read_reference(ibsi_dir / "reference_values" / "ibsi_1_dig_phantom.csv")
    assert len(ref) == 482
    passed, failed, missing = _check(values, ref, ibsi)
    # every implemented feature matches: 430 of the 482 reference values (issue target: 382)
    assert failed == []
    assert len(passed) == 430 and len(missing) == 52
    for tag in ("morph_pca_maj_axis", "morph_pca_min_axis", "morph_pca_least_axis", "cm_joint_max_3D_avg",
                "rlm_sre_2D_avg", "szm_sze_2_5D", "ngl_dc_energy_3D", "ivh_i10", "morph_area_dens_aee"):
        assert tag in passed


# passing / implemented reference values per configuration (all implemented ones pass)
CT_EXPECTED = {"A": (370, 406), "B": (370, 406), "C": (250, 270), "D": (250, 270), "E": (250, 270)}


@pytest.mark.slow
@pytest.mark.parametrize("config", sorted(CT_EXPECTED))
def test_ct_phantom(config, ct_features, ibsi_dir, ibsi):
    values = ct_features(config)
    ref = ibsi.read_reference(ibsi_dir / "reference_values" / f"ibsi_1_chest_config_{config.lower()}.csv")
    n_pass, n_ref = CT_EXPECTED[config]
    assert len(ref) == n_ref
    passed, failed, missing = _check(values, ref, ibsi)
    assert failed == []
    assert len(passed) == n_pass
    features_only = [t for t in passed if not t.endswith(("_img", "_roi"))]
    # feature (non-diagnostic) tags: A/B have 2D and 2.5D textures, C-E 3D
    assert len(features_only) == {"A": 310, "B": 310, "C": 190, "D": 190, "E": 190}[config]


@pytest.mark.slow
def test_ct_phantom_interpolation_grid(ct_features):
    c = ct_features("C")
    assert (c["img_dim_x_interp_img"], c["img_dim_y_interp_img"], c["img_dim_z_interp_img"]) == (100, 99, 90)
    # configuration E interpolates the image tricubically and the mask trilinearly
    e = ct_features("E")
    assert e["morph_mask_vox_count_interp_roi"] == ct_features("D")["morph_mask_vox_count_interp_roi"]
    assert e["mean_int_interp_img"] != ct_features("D")["mean_int_interp_img"]
