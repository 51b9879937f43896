"""Names of features: IBSI tags and the pyradiomics feature each is computed with.

Each table maps the IBSI feature code (the tag without family prefix and aggregation
suffix) to the pyradiomics feature it is computed with, or ``None`` when radiocausal computes
it itself (IBSI features that pyradiomics lacks).

Examples
--------
>>> GLCM["joint_max"]
'MaximumProbability'
>>> ibsi_tag("cm", "joint_max", "3D", "avg")
'cm_joint_max_3D_avg'
>>> pyradiomics_name("glcm", "MaximumProbability")
'original_glcm_MaximumProbability'
"""

from __future__ import annotations

__all__ = [
    "MORPHOLOGY",
    "STATISTICS",
    "INTENSITY_HISTOGRAM",
    "GLCM",
    "GLRLM",
    "GLSZM",
    "GLDZM",
    "NGTDM",
    "NGLDM",
    "PYRADIOMICS_CLASSES",
    "ibsi_tag",
    "pyradiomics_name",
]

#: IBSI morphology code -> pyradiomics shape feature (None: computed by radiocausal)
MORPHOLOGY: dict[str, str | None] = {
    "volume": "MeshVolume",
    "vol_approx": "VoxelVolume",
    "area_mesh": "SurfaceArea",
    "av": "SurfaceVolumeRatio",
    "comp_1": "Compactness1",
    "comp_2": "Compactness2",
    "sph_dispr": "SphericalDisproportion",
    "sphericity": "Sphericity",
    "asphericity": None,
    "com": None,
    "diam": "Maximum3DDiameter",
    "pca_maj_axis": "MajorAxisLength",
    "pca_min_axis": "MinorAxisLength",
    "pca_least_axis": "LeastAxisLength",
    "pca_elongation": "Elongation",
    "pca_flatness": "Flatness",
    "vol_dens_aabb": None,
    "area_dens_aabb": None,
    "vol_dens_aee": None,
    "area_dens_aee": None,
    "vol_dens_conv_hull": None,
    "area_dens_conv_hull": None,
    "integ_int": None,
}

#: IBSI intensity-statistics code -> pyradiomics first-order feature
STATISTICS: dict[str, str | None] = {
    "mean": "Mean",
    "var": "Variance",
    "skew": "Skewness",
    "kurt": None,  # IBSI: excess kurtosis = pyradiomics Kurtosis - 3
    "median": "Median",
    "min": "Minimum",
    "p10": "10Percentile",
    "p90": "90Percentile",
    "max": "Maximum",
    "iqr": "InterquartileRange",
    "range": "Range",
    "mad": "MeanAbsoluteDeviation",
    "rmad": "RobustMeanAbsoluteDeviation",
    "medad": None,
    "cov": None,
    "qcod": None,
    "energy": None,  # pyradiomics Energy with voxelArrayShift 0
    "rms": None,  # pyradiomics RootMeanSquared with voxelArrayShift 0
}

#: IBSI intensity-histogram code -> pyradiomics first-order feature on the discretised image
INTENSITY_HISTOGRAM: dict[str, str | None] = {
    "mean": "Mean",
    "var": "Variance",
    "skew": "Skewness",
    "kurt": None,
    "median": "Median",
    "min": "Minimum",
    "p10": "10Percentile",
    "p90": "90Percentile",
    "max": "Maximum",
    "mode": None,
    "iqr": "InterquartileRange",
    "range": "Range",
    "mad": "MeanAbsoluteDeviation",
    "rmad": "RobustMeanAbsoluteDeviation",
    "medad": None,
    "cov": None,
    "qcod": None,
    "entropy": "Entropy",
    "uniformity": "Uniformity",
    "max_grad": None,
    "max_grad_g": None,
    "min_grad": None,
    "min_grad_g": None,
}

#: IBSI intensity-volume-histogram codes (computed by radiocausal)
IVH: dict[str, str | None] = {
    "v10": None,
    "v90": None,
    "i10": None,
    "i90": None,
    "diff_v10_v90": None,
    "diff_i10_i90": None,
    "auc": None,
}

GLCM: dict[str, str] = {
    "joint_max": "MaximumProbability",
    "joint_avg": "JointAverage",
    "joint_var": "SumSquares",
    "joint_entr": "JointEntropy",
    "diff_avg": "DifferenceAverage",
    "diff_var": "DifferenceVariance",
    "diff_entr": "DifferenceEntropy",
    "sum_avg": "SumAverage",
    "sum_var": "ClusterTendency",  # mathematically equal (pyradiomics deprecates SumVariance)
    "sum_entr": "SumEntropy",
    "energy": "JointEnergy",
    "contrast": "Contrast",
    "dissimilarity": "DifferenceAverage",  # mathematically equal
    "inv_diff": "Id",
    "inv_diff_norm": "Idn",
    "inv_diff_mom": "Idm",
    "inv_diff_mom_norm": "Idmn",
    "inv_var": "InverseVariance",
    "corr": "Correlation",
    "auto_corr": "Autocorrelation",
    "clust_tend": "ClusterTendency",
    "clust_shade": "ClusterShade",
    "clust_prom": "ClusterProminence",
    "info_corr1": "Imc1",
    "info_corr2": "Imc2",
}

GLRLM: dict[str, str] = {
    "sre": "ShortRunEmphasis",
    "lre": "LongRunEmphasis",
    "lgre": "LowGrayLevelRunEmphasis",
    "hgre": "HighGrayLevelRunEmphasis",
    "srlge": "ShortRunLowGrayLevelEmphasis",
    "srhge": "ShortRunHighGrayLevelEmphasis",
    "lrlge": "LongRunLowGrayLevelEmphasis",
    "lrhge": "LongRunHighGrayLevelEmphasis",
    "glnu": "GrayLevelNonUniformity",
    "glnu_norm": "GrayLevelNonUniformityNormalized",
    "rlnu": "RunLengthNonUniformity",
    "rlnu_norm": "RunLengthNonUniformityNormalized",
    "r_perc": "RunPercentage",
    "gl_var": "GrayLevelVariance",
    "rl_var": "RunVariance",
    "rl_entr": "RunEntropy",
}

GLSZM: dict[str, str] = {
    "sze": "SmallAreaEmphasis",
    "lze": "LargeAreaEmphasis",
    "lgze": "LowGrayLevelZoneEmphasis",
    "hgze": "HighGrayLevelZoneEmphasis",
    "szlge": "SmallAreaLowGrayLevelEmphasis",
    "szhge": "SmallAreaHighGrayLevelEmphasis",
    "lzlge": "LargeAreaLowGrayLevelEmphasis",
    "lzhge": "LargeAreaHighGrayLevelEmphasis",
    "glnu": "GrayLevelNonUniformity",
    "glnu_norm": "GrayLevelNonUniformityNormalized",
    "zsnu": "SizeZoneNonUniformity",
    "zsnu_norm": "SizeZoneNonUniformityNormalized",
    "z_perc": "ZonePercentage",
    "gl_var": "GrayLevelVariance",
    "zs_var": "ZoneVariance",
    "zs_entr": "ZoneEntropy",
}

NGTDM: dict[str, str] = {
    "coarseness": "Coarseness",
    "contrast": "Contrast",
    "busyness": "Busyness",
    "complexity": "Complexity",
    "strength": "Strength",
}

#: IBSI GLDZM -> pyradiomics GLSZM formula applied to the distance zone matrix
GLDZM: dict[str, str] = {
    "sde": "SmallAreaEmphasis",
    "lde": "LargeAreaEmphasis",
    "lgze": "LowGrayLevelZoneEmphasis",
    "hgze": "HighGrayLevelZoneEmphasis",
    "sdlge": "SmallAreaLowGrayLevelEmphasis",
    "sdhge": "SmallAreaHighGrayLevelEmphasis",
    "ldlge": "LargeAreaLowGrayLevelEmphasis",
    "ldhge": "LargeAreaHighGrayLevelEmphasis",
    "glnu": "GrayLevelNonUniformity",
    "glnu_norm": "GrayLevelNonUniformityNormalized",
    "zdnu": "SizeZoneNonUniformity",
    "zdnu_norm": "SizeZoneNonUniformityNormalized",
    "z_perc": "ZonePercentage",
    "gl_var": "GrayLevelVariance",
    "zd_var": "ZoneVariance",
    "zd_entr": "ZoneEntropy",
}

#: IBSI NGLDM (coarseness 0, Chebyshev distance 1) -> pyradiomics GLDM
NGLDM: dict[str, str] = {
    "lde": "SmallDependenceEmphasis",
    "hde": "LargeDependenceEmphasis",
    "lgce": "LowGrayLevelEmphasis",
    "hgce": "HighGrayLevelEmphasis",
    "ldlge": "SmallDependenceLowGrayLevelEmphasis",
    "ldhge": "SmallDependenceHighGrayLevelEmphasis",
    "hdlge": "LargeDependenceLowGrayLevelEmphasis",
    "hdhge": "LargeDependenceHighGrayLevelEmphasis",
    "glnu": "GrayLevelNonUniformity",
    "glnu_norm": "GrayLevelNonUniformityNormalizedIBSI",
    "dcnu": "DependenceNonUniformity",
    "dcnu_norm": "DependenceNonUniformityNormalized",
    "dc_perc": "DependencePercentageIBSI",
    "gl_var": "GrayLevelVariance",
    "dc_var": "DependenceVariance",
    "dc_entr": "DependenceEntropy",
    "dc_energy": "DependenceEnergy",
}

#: pyradiomics class name -> the (non-deprecated) features pyradiomics reports
PYRADIOMICS_CLASSES: dict[str, tuple[str, ...]] = {
    "shape": (
        "Elongation", "Flatness", "LeastAxisLength", "MajorAxisLength", "Maximum2DDiameterColumn",
        "Maximum2DDiameterRow", "Maximum2DDiameterSlice", "Maximum3DDiameter", "MeshVolume",
        "MinorAxisLength", "Sphericity", "SurfaceArea", "SurfaceVolumeRatio", "VoxelVolume",
    ),
    "firstorder": (
        "10Percentile", "90Percentile", "Energy", "Entropy", "InterquartileRange", "Kurtosis", "Maximum",
        "MeanAbsoluteDeviation", "Mean", "Median", "Minimum", "Range", "RobustMeanAbsoluteDeviation",
        "RootMeanSquared", "Skewness", "TotalEnergy", "Uniformity", "Variance",
    ),
    "glcm": (
        "Autocorrelation", "ClusterProminence", "ClusterShade", "ClusterTendency", "Contrast", "Correlation",
        "DifferenceAverage", "DifferenceEntropy", "DifferenceVariance", "Id", "Idm", "Idmn", "Idn", "Imc1",
        "Imc2", "InverseVariance", "JointAverage", "JointEnergy", "JointEntropy", "MCC", "MaximumProbability",
        "SumAverage", "SumEntropy", "SumSquares",
    ),
    "glrlm": tuple(sorted(GLRLM.values())),
    "glszm": tuple(sorted(GLSZM.values())),
    "gldm": (
        "DependenceEntropy", "DependenceNonUniformity", "DependenceNonUniformityNormalized",
        "DependenceVariance", "GrayLevelNonUniformity", "GrayLevelVariance", "HighGrayLevelEmphasis",
        "LargeDependenceEmphasis", "LargeDependenceHighGrayLevelEmphasis", "LargeDependenceLowGrayLevelEmphasis",
        "LowGrayLevelEmphasis", "SmallDependenceEmphasis", "SmallDependenceHighGrayLevelEmphasis",
        "SmallDependenceLowGrayLevelEmphasis",
    ),
    "ngtdm": tuple(sorted(NGTDM.values())),
}

_DIM_TAG = {"2D": "2D", "2.5D": "2_5D", "3D": "3D"}


def ibsi_tag(prefix: str, code: str, dimension: str | None = None, aggregation: str | None = None) -> str:
    """IBSI tag such as ``cm_joint_max_3D_avg`` or ``szm_sze_2_5D``."""
    parts = [prefix, code]
    if dimension is not None:
        parts.append(_DIM_TAG[dimension])
    if aggregation is not None:
        parts.append(aggregation)
    return "_".join(parts)


def pyradiomics_name(feature_class: str, feature: str, image_type: str = "original") -> str:
    """pyradiomics' output key, ``<image type>_<class>_<feature>``."""
    return f"{image_type}_{feature_class}_{feature}"
