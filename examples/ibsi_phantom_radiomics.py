"""IBSI-compliant feature extraction on the IBSI-1 phantoms, checked against the consensus values.

For the digital phantom and each CT-phantom configuration (A-E), extract the features with
``radiocausal.features.extract`` and count the reference values matched under the IBSI rule
(round to 3 significant digits, |x - reference| <= tolerance).

Run: ``python examples/ibsi_phantom_radiomics.py [DATA_DIR] [--configs ph A B C D E]``
(``DATA_DIR`` defaults to ``$RADIOCAUSAL_DATA`` or ``../shared/data``).  Data: IBSI digital
phantom (CC BY 4.0); lung CT phantom (CC BY-NC 3.0, Lambin et al. 2017).
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import pandas as pd

from radiocausal.features import extract


def matches(value: float, reference: float, tolerance: float) -> bool:
    """IBSI rule; references with more digits and zero tolerance (voxel counts) compare unrounded."""
    if not math.isfinite(value):
        return False
    rounded = value if value == 0 else round(value, -int(math.floor(math.log10(abs(value)))) + 2)
    return abs(rounded - reference) <= tolerance + 1e-12 or abs(value - reference) <= tolerance


def check(data: Path, config: str) -> dict[str, object]:
    ibsi = data / "ibsi"
    if config == "ph":
        folder, settings, ref_file = ibsi / "digital_phantom" / "nifti", "ibsi-digital-phantom", "ibsi_1_dig_phantom.csv"
    else:
        folder, settings = ibsi / "ct_phantom" / "nifti", f"ibsi-{config}"
        ref_file = f"ibsi_1_chest_config_{config.lower()}.csv"
    values = extract(folder / "image" / "phantom.nii.gz", folder / "mask" / "mask.nii.gz", settings=settings)
    ref = pd.read_csv(ibsi / "reference_values" / ref_file, sep=";").dropna()
    ref.columns = ["reference", "tolerance", "tag"]
    ok = [t for t, r, tol in zip(ref["tag"], ref["reference"], ref["tolerance"])
          if t in values.index and matches(float(values[t]), float(r), float(tol))]
    return {"case": settings, "reference values": len(ref), "matched": len(ok), "features computed": len(values)}


def main() -> None:
    default = os.environ.get("RADIOCAUSAL_DATA", str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=default)
    parser.add_argument("--configs", nargs="+", default=["ph", "A", "B", "C", "D", "E"])
    args = parser.parse_args()
    rows = [check(Path(args.data), c) for c in args.configs]
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
