"""Benchmark: radiocausal batch extraction against plain serial pyradiomics.

Run from the repository root::

    python benchmarks/feature_extraction.py [DATA_DIR] [--jobs N] [--repeats R]

On pyradiomics' five test cases (``DATA_DIR/pyradiomics``: brain1, brain2, breast1, lung1,
lung2; ``DATA_DIR`` defaults to ``$RADIOCAUSAL_DATA`` or ``../shared/data``) it times

* plain pyradiomics: ``RadiomicsFeatureExtractor`` (default settings, bin width 25) run
  serially over the cases, original image, all feature classes;
* radiocausal: ``extract_batch(manifest, "pyradiomics", names="pyradiomics", n_jobs=N)``
  into a fresh folder (local processes; ``--jobs 1`` for serial);

and checks that every pyradiomics feature value is reproduced (relative difference <= 1e-9).
Exit status 0 when all values are identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CASES = ("brain1", "brain2", "breast1", "lung1", "lung2")


def run_pyradiomics(folder: Path) -> dict[str, dict[str, float]]:
    import logging

    from radiomics import featureextractor

    logging.getLogger("radiomics").setLevel(logging.ERROR)  # benchmark script, not library code
    ext = featureextractor.RadiomicsFeatureExtractor(binWidth=25)
    out = {}
    for case in CASES:
        res = ext.execute(str(folder / f"{case}_image.nrrd"), str(folder / f"{case}_label.nrrd"))
        out[case] = {k: float(v) for k, v in res.items() if k.startswith("original_")}
    return out


def run_radiocausal(folder: Path, jobs: int) -> pd.DataFrame:
    from radiocausal.features import extract_batch

    manifest = pd.DataFrame({
        "patient_id": list(CASES),
        "image": [str(folder / f"{c}_image.nrrd") for c in CASES],
        "mask": [str(folder / f"{c}_label.nrrd") for c in CASES],
    })
    with tempfile.TemporaryDirectory() as tmp:
        res = extract_batch(manifest, "pyradiomics", tmp, names="pyradiomics", n_jobs=jobs, progress=False)
    if len(res.failures):
        raise RuntimeError(f"radiocausal failed on: {res.failures.to_dict('records')}")
    return res.features.set_index("patient_id")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("RADIOCAUSAL_DATA", str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser.add_argument("data", nargs="?", default=default)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    folder = Path(args.data) / "pyradiomics"

    t_py, t_rc = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ref = run_pyradiomics(folder)
        t_py.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours = run_radiocausal(folder, args.jobs)
        t_rc.append(time.perf_counter() - t0)

    n, worst, bad = 0, 0.0, []
    for case, values in ref.items():
        for name, v in values.items():
            n += 1
            mine = float(ours.at[case, name]) if name in ours.columns else np.nan
            rel = abs(mine - v) / max(abs(v), 1e-12)
            worst = max(worst, rel) if np.isfinite(rel) else np.inf
            if not rel <= 1e-9:
                bad.append((case, name, v, mine))
    print(f"cases: {len(CASES)}, values compared: {n}, max relative difference: {worst:.2e}")
    print(f"pyradiomics serial : {min(t_py):7.2f} s  ({len(CASES) / min(t_py):.2f} cases/s)")
    print(f"radiocausal, {args.jobs} job(s): {min(t_rc):7.2f} s  ({len(CASES) / min(t_rc):.2f} cases/s)")
    for row in bad[:20]:
        print("MISMATCH", row)
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
