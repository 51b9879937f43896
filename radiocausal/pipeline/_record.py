"""``run.json``: what ran, when, with which settings and inputs, so that a rerun resumes.

Each step has a *key*: a hash of the settings it uses and of the files it reads (their content;
images by size and modification time).  A step whose recorded key equals the new one and whose
outputs all exist is reused; anything else is recomputed.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> (d / "a.csv").write_text("x\\n1\\n")
4
>>> k1 = step_key({"fdr": 0.05}, [d / "a.csv"])
>>> k1 == step_key({"fdr": 0.05}, [d / "a.csv"]), k1 == step_key({"fdr": 0.1}, [d / "a.csv"])
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["STEPS", "RunRecord", "step_key", "file_digest"]

#: The steps of :func:`radiocausal.pipeline.analyze`, in order.
STEPS = ("inputs", "dag", "features", "stability", "genomics", "scan", "bayes", "interventions", "factors", "report")


def file_digest(path: str | os.PathLike, *, content: bool = True) -> str:
    """SHA-256 of a file's bytes (``content=True``) or of its size and modification time; ``"missing"``."""
    p = Path(path)
    if not p.is_file():
        return "missing"
    if not content:
        st = p.stat()
        return f"{st.st_size}:{st.st_mtime_ns}"
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def step_key(settings: Any, files: Iterable[str | os.PathLike] = (), stamps: Iterable[str | os.PathLike] = ()) -> str:
    """Hash of the settings (JSON) and of the files read (``files`` by content, ``stamps`` by size/mtime)."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for f in files:
        h.update(f"\0{f}\0{file_digest(f)}".encode())
    for f in stamps:
        h.update(f"\0{f}\0{file_digest(f, content=False)}".encode())
    return h.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunRecord:
    """The ``run.json`` of a results folder, written after every step."""

    def __init__(self, folder: Path, study: str, version: str, settings: Mapping[str, Any]):
        self.path = folder / "run.json"
        old: dict[str, Any] = {}
        if self.path.is_file():
            try:
                old = json.loads(self.path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                old = {}
        self.previous: dict[str, Any] = old.get("steps", {}) if isinstance(old.get("steps"), dict) else {}
        self.data: dict[str, Any] = {
            "study": study,
            "radiocausal_version": version,
            "started": _now(),
            "finished": None,
            "steps": {},
            "settings": dict(settings),
        }

    def reusable(self, step: str, key: str, outputs: Iterable[Path]) -> dict[str, Any] | None:
        """The previous record of ``step`` when it finished with the same key and its outputs exist."""
        prev = self.previous.get(step)
        if not prev or prev.get("key") != key or prev.get("status") not in ("done", "skipped"):
            return None
        if prev.get("status") == "done" and not all(Path(o).exists() for o in outputs):
            return None
        return prev

    def set(self, step: str, entry: Mapping[str, Any]) -> None:
        self.data["steps"][step] = dict(entry)
        self.write()

    def finish(self) -> None:
        self.data["finished"] = _now()
        self.write()

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, self.path)
