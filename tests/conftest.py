"""Shared pytest fixtures.

Reference data live outside the repository, in ``$RADIOCAUSAL_DATA`` (default
``../shared/data`` beside the project root).  A test that needs them skips when they are
missing, except under ``CI=true`` where it fails: CI must never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The reference-data folder (may not exist)."""
    return Path(os.environ.get("RADIOCAUSAL_DATA", PROJECT_ROOT.parent / "shared" / "data")).resolve()


def require_shared_data(*parts: str) -> Path:
    """Path to ``shared/data/<parts>``; skip the test (fail under CI=true) when it is missing."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        msg = f"reference data not found at {path} (set RADIOCAUSAL_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference-data folder; skips (fails under CI=true) when absent."""
    return require_shared_data()
