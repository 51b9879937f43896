"""Test-retest repeatability of pyradiomics features on QIN-PROSTATE-Repeatability.

Per ROI: ICC(1,1) of every feature between the two MRI sessions, and the number of features
with ICC above 0.75 and 0.90.  Data: ``$RADIOCAUSAL_DATA/repeatability`` (MIT licence; cite
Schwier et al., Sci Rep 9:9441, 2019).

Run: ``python examples/repeatability_radiomics.py [DATA_DIR]``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from radiocausal.features import feature_icc, stable_features

FILE = "pyRadiomicsFeatures_biasCorrectedT2AX_FullStudySettings_3D_bin15.csv"


def load_sessions(path: Path) -> pd.DataFrame:
    """One row per patient, session and ROI; only patients with both sessions of an ROI."""
    raw = pd.read_csv(path, sep=";")
    parts = raw["study"].str.split("_")
    raw = pd.concat([raw, pd.DataFrame({"patient": parts.str[0], "date": parts.str[1]})], axis=1).copy()
    raw["session"] = raw.groupby(["patient", "segmentedStructure"])["date"].rank(method="dense").astype(int)
    n_sessions = raw.groupby(["patient", "segmentedStructure"])["session"].transform("nunique")
    return raw[(n_sessions == 2) & (raw["session"] <= 2)]


def repeatability_table(sessions: pd.DataFrame, roi: str) -> pd.DataFrame:
    """ICC(1,1) with 95% CI of every original-image feature for one ROI."""
    sub = sessions[sessions["segmentedStructure"] == roi]
    features = [c for c in sub.columns if c.startswith("original_") and pd.api.types.is_numeric_dtype(sub[c])]
    features = [c for c in features if np.isfinite(sub[c]).all()]
    return feature_icc(sub, "patient", "session", features, form="ICC(1,1)")


def main(data_dir: Path) -> pd.DataFrame:
    sessions = load_sessions(data_dir / "repeatability" / FILE)
    rows = []
    for roi in sorted(sessions["segmentedStructure"].unique()):
        table = repeatability_table(sessions, roi)
        rows.append({
            "roi": roi,
            "patients": sessions.loc[sessions["segmentedStructure"] == roi, "patient"].nunique(),
            "features": len(table),
            "icc>0.75": len(stable_features(table, 0.75)),
            "icc>0.90": len(stable_features(table, 0.90)),
            "median_icc": float(table["icc"].median()),
        })
    return pd.DataFrame(rows)


if __name__ == "__main__":
    default = Path(os.environ.get("RADIOCAUSAL_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default).to_string(index=False))
