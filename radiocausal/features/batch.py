"""Batch extraction from a manifest, written incrementally to disk, resumable.

Every case's result (features or the reason it failed) is written to its own JSON file as soon
as it is known, under a folder named after the settings hash: an interrupted run resumes
without recomputing finished cases, and a run with other settings never mixes its values with
old ones.  A failing case is recorded and never stops the batch.

Examples
--------
>>> import numpy as np, pandas as pd, SimpleITK as sitk, tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> img = sitk.GetImageFromArray(np.arange(125.0).reshape(5, 5, 5))
>>> sitk.WriteImage(img, str(tmp / "img.nrrd"))
>>> sitk.WriteImage(sitk.GetImageFromArray(np.ones((5, 5, 5), np.uint8)), str(tmp / "msk.nrrd"))
>>> manifest = pd.DataFrame({"patient_id": ["p1", "p2"], "image": [tmp / "img.nrrd"] * 2,
...                          "mask": [tmp / "msk.nrrd", tmp / "missing.nrrd"]})
>>> res = extract_batch(manifest, "ibsi-D", tmp / "out", n_jobs=1, progress=False)
>>> res.features["stat_mean"].tolist(), res.failures["error_type"].tolist()
([62.0], ['ImageError'])
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

from radiocausal.errors import DataError
from radiocausal.features.settings import SettingsLike, get_settings

__all__ = ["BatchResult", "extract_batch", "read_manifest"]

REQUIRED_COLUMNS = ("patient_id", "image", "mask")


def read_manifest(manifest: Union[pd.DataFrame, str, os.PathLike]) -> pd.DataFrame:
    """Check a manifest (DataFrame or CSV): ``patient_id``, ``image``, ``mask``, optional ``label``.

    Other columns (site, scanner, ...) are kept as metadata.  Relative paths in a CSV are
    taken relative to the CSV's folder.

    Raises
    ------
    DataError
        Missing columns, empty manifest, missing values in required columns, non-integer
        labels, or duplicate (patient_id, label) pairs.

    Examples
    --------
    >>> import pandas as pd
    >>> read_manifest(pd.DataFrame({"patient_id": [1], "image": ["a.nii"], "mask": ["m.nii"]}))["label"].tolist()
    [1]
    """
    base: Path | None = None
    if isinstance(manifest, (str, os.PathLike)):
        path = Path(manifest)
        if not path.is_file():
            raise DataError(f"manifest file '{path}' does not exist")
        manifest = pd.read_csv(path, dtype={"patient_id": str})
        base = path.parent
    if not isinstance(manifest, pd.DataFrame):
        raise DataError(f"manifest={type(manifest).__name__}: expected a DataFrame or a CSV path")
    missing = [c for c in REQUIRED_COLUMNS if c not in manifest.columns]
    if missing:
        raise DataError(f"manifest lacks column(s) {missing}; expected {list(REQUIRED_COLUMNS)} (+ optional 'label')")
    if manifest.empty:
        raise DataError("manifest has no rows; expected at least one case")
    df = manifest.copy().reset_index(drop=True)
    for c in REQUIRED_COLUMNS:
        bad = df.index[df[c].isna()].tolist()
        if bad:
            raise DataError(f"manifest column '{c}' is empty in row(s) {bad}; expected a value in every row")
    df["patient_id"] = df["patient_id"].astype(str)
    if "label" not in df.columns:
        df["label"] = 1
    labels = pd.to_numeric(df["label"], errors="coerce")
    if labels.isna().any() or not np.all(labels == np.round(labels)):
        raise DataError(f"manifest column 'label' = {df['label'].tolist()}: expected integer mask values")
    df["label"] = labels.astype(int)
    for c in ("image", "mask"):
        df[c] = [str(base / p) if base is not None and not Path(str(p)).is_absolute() else str(p) for p in df[c]]
    dup = df.duplicated(["patient_id", "label"], keep=False)
    if dup.any():
        raise DataError(
            f"manifest has duplicate (patient_id, label) pairs: "
            f"{sorted(set(zip(df.loc[dup, 'patient_id'], df.loc[dup, 'label'])))}"
        )
    return df


@dataclass
class BatchResult:
    """Output of :func:`extract_batch`.

    Attributes
    ----------
    features : pandas.DataFrame
        One row per successful case (patient_id, label, metadata, provenance, features).
    failures : pandas.DataFrame
        One row per failed case: patient_id, label, error_type, message.
    out_dir : pathlib.Path
        Folder holding this settings' results (``<out>/<settings hash[:16]>``).
    n_computed : int
        Cases computed in this call (the others were read back from disk).
    """

    features: pd.DataFrame
    failures: pd.DataFrame
    out_dir: Path
    n_computed: int


def _case_key(patient_id: str, label: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", patient_id)
    return f"{safe}__label{label}"


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("radiocausal", "pyradiomics-bhklab", "SimpleITK", "numpy"):
        try:
            out[f"version_{pkg}"] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[f"version_{pkg}"] = "unknown"
    return out


def _geometry(image: str) -> dict[str, Any]:
    """Size, spacing and origin of the image (read from the header when possible)."""
    import SimpleITK as sitk

    from radiocausal.features.io import read_image

    if Path(image).is_dir():
        img: Any = read_image(image)
    else:
        img = sitk.ImageFileReader()
        img.SetFileName(str(image))
        img.ReadImageInformation()
    return {
        "size": list(img.GetSize()),
        "spacing": [float(v) for v in img.GetSpacing()],
        "origin": [float(v) for v in img.GetOrigin()],
    }


def _run_case(image: str, mask: str, label: int, settings: dict[str, Any], names: str) -> dict[str, Any]:
    """Worker: never raises; returns a JSON-ready record."""
    from radiocausal.features.extraction import extract
    from radiocausal.features.settings import ExtractionSettings

    try:
        s = ExtractionSettings.from_dict(settings)
        values = extract(image, mask, settings=s, names=names, label=label)
        prov = _geometry(image)
        return {
            "status": "ok",
            "features": {k: (None if not np.isfinite(v) else float(v)) for k, v in values.items()},
            "provenance": prov,
        }
    except Exception as exc:  # noqa: BLE001 - a failing case is recorded, never stops the batch
        return {
            "status": "failed",
            "error_type": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(limit=5),
        }


def _input_stamp(image: str, mask: str) -> list[Any]:
    """Paths with size and modification time (nanoseconds) of the image and mask files."""
    out: list[Any] = []
    for p in (image, mask):
        try:
            st = os.stat(p)
            out.append([str(p), st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([str(p), None, None])
    return out


def _write_json(path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a killed run never leaves a half-written result


def extract_batch(
    manifest: Union[pd.DataFrame, str, os.PathLike],
    settings: SettingsLike,
    out_dir: Union[str, os.PathLike],
    *,
    names: str = "ibsi",
    n_jobs: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> BatchResult:
    """Extract features for every case of a manifest, incrementally and resumably.

    Parameters
    ----------
    manifest : DataFrame or CSV path
        See :func:`read_manifest`.
    settings : preset name, JSON path, mapping or ExtractionSettings
    out_dir : path
        Results go to ``out_dir/<settings hash[:16]>/cases/<patient>__label<k>.json``; the
        collected tables to ``features.csv`` and ``failures.csv`` beside them.
    names : {"ibsi", "pyradiomics"}
    n_jobs : int or None
        Local worker processes (default: all cores); 1 runs in this process.
    scheduler : str or None
        Address of an existing Dask distributed scheduler (``"tcp://host:8786"``); when given,
        cases run on that cluster instead of local processes.  Results are identical.
    retry_failed : bool
        Recompute cases recorded as failed (finished cases are never recomputed).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    BatchResult
    """
    from radiocausal.features.settings import SettingsError

    if names not in ("ibsi", "pyradiomics"):
        raise SettingsError(f"names={names!r}: expected one of ['ibsi', 'pyradiomics']")
    s = get_settings(settings)
    df = read_manifest(manifest)
    root = Path(out_dir) / s.hash[:16]
    cases_dir = root / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    settings_file = root / "settings.json"
    if not settings_file.exists():
        _write_json(settings_file, {"hash": s.hash, "names": names, "settings": s.to_dict()})
    keys = [_case_key(p, lab) for p, lab in zip(df["patient_id"], df["label"])]
    if len(set(keys)) != len(keys):
        raise DataError("manifest patient ids collide after making them file-name safe; rename them")

    inputs = [_input_stamp(df.at[i, "image"], df.at[i, "mask"]) for i in range(len(df))]
    todo = []
    for i, key in enumerate(keys):
        f = cases_dir / f"{key}__{names}.json"
        if f.exists():
            rec = json.loads(f.read_text(encoding="utf-8"))
            status = rec.get("status")
            # a finished case is reused only if its image and mask are the same files, unchanged
            if rec.get("inputs") == inputs[i] and (status == "ok" or (status == "failed" and not retry_failed)):
                continue
        todo.append(i)

    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), disable=not progress, desc="radiocausal extract", unit="case")
    sd = s.to_dict()

    def args(i: int) -> tuple:
        return (df.at[i, "image"], df.at[i, "mask"], int(df.at[i, "label"]), sd, names)

    def done(i: int, record: dict[str, Any]) -> None:
        record.update(
            patient_id=df.at[i, "patient_id"], label=int(df.at[i, "label"]), settings_hash=s.hash, inputs=inputs[i]
        )
        _write_json(cases_dir / f"{keys[i]}__{names}.json", record)
        bar.update(1)

    try:
        if scheduler is not None:
            from distributed import Client, as_completed as dask_completed

            with Client(scheduler) as client:
                futures = {client.submit(_run_case, *args(i), pure=False): i for i in todo}
                for fut in dask_completed(futures):
                    done(futures[fut], fut.result())
        elif (n_jobs or os.cpu_count() or 1) == 1 or len(todo) <= 1:
            for i in todo:
                done(i, _run_case(*args(i)))
        else:
            with ProcessPoolExecutor(max_workers=n_jobs or os.cpu_count()) as pool:
                futures = {pool.submit(_run_case, *args(i)): i for i in todo}
                for fut in as_completed(futures):
                    done(futures[fut], fut.result())
    finally:
        bar.close()

    result = _collect(df, keys, cases_dir, names, s.hash)
    result.features.to_csv(root / f"features_{names}.csv", index=False)
    result.failures.to_csv(root / f"failures_{names}.csv", index=False)
    return BatchResult(result.features, result.failures, root, len(todo))


def _collect(df: pd.DataFrame, keys: Iterable[str], cases_dir: Path, names: str, settings_hash: str) -> BatchResult:
    meta_cols = [c for c in df.columns if c not in ("image", "mask")]
    rows, fails = [], []
    versions = _versions()
    for i, key in enumerate(keys):
        rec = json.loads((cases_dir / f"{key}__{names}.json").read_text(encoding="utf-8"))
        meta = {c: df.at[i, c] for c in meta_cols}
        if rec["status"] == "ok":
            row = {**meta, "image": df.at[i, "image"], "mask": df.at[i, "mask"], "settings_hash": settings_hash}
            row.update(versions)
            row.update({f"image_{k}": str(tuple(v)) for k, v in rec.get("provenance", {}).items()})
            row.update({k: (np.nan if v is None else v) for k, v in rec["features"].items()})
            rows.append(row)
        else:
            fails.append({**meta, "error_type": rec["error_type"], "message": rec["message"]})
    features = pd.DataFrame(rows)
    failures = pd.DataFrame(fails, columns=[*meta_cols, "error_type", "message"])
    return BatchResult(features, failures, cases_dir.parent, 0)
