"""``radiocausal extract``: command-line glue for :func:`radiocausal.features.extract_batch`.

Plugged into ``radiocausal/cli.py`` with::

    from radiocausal.features._cli import add_extract_arguments, run_extract
    extract = sub.add_parser("extract", help="extract radiomic features for a manifest")
    add_extract_arguments(extract)
    extract.set_defaults(func=run_extract)

``run_extract(args)`` returns 0 when every case succeeded and 1 when some failed (their reasons
are in ``failures_<names>.csv``); bad settings or manifests raise ``RadiocausalError`` (the CLI's
exit status 2).  This is command-line code: it prints a summary.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

__all__ = ["add_extract_arguments", "run_extract"]


def add_extract_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``extract`` arguments to ``parser``."""
    parser.add_argument("manifest", metavar="MANIFEST",
                        help="CSV with patient_id, image, mask[, label] and metadata columns")
    parser.add_argument("--settings", required=True, metavar="PRESET_OR_FILE",
                        help="preset (pyradiomics, ibsi-A ... ibsi-E, ibsi-digital-phantom) or a JSON settings file")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (results under DIR/<settings hash>)")
    parser.add_argument("--names", choices=("ibsi", "pyradiomics"), default="ibsi", help="feature names (default ibsi)")
    parser.add_argument("--jobs", type=int, default=None, help="local worker processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing Dask distributed scheduler, e.g. tcp://host:8786")
    parser.add_argument("--retry-failed", action="store_true", help="recompute cases recorded as failed")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def run_extract(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    """Run the batch described by ``args``; print a summary; 0 = all cases ok, 1 = some failed."""
    from radiocausal.features.batch import extract_batch
    from radiocausal.features.settings import SettingsError

    out = stdout or sys.stdout
    if args.jobs is not None and args.jobs < 1:
        raise SettingsError(f"--jobs={args.jobs}: expected at least 1")
    res = extract_batch(
        args.manifest, args.settings, args.out, names=args.names, n_jobs=args.jobs, scheduler=args.scheduler,
        retry_failed=args.retry_failed, progress=not args.no_progress,
    )
    n_ok, n_fail = len(res.features), len(res.failures)
    print(f"cases: {n_ok + n_fail} ({n_ok} ok, {n_fail} failed; {res.n_computed} computed now)", file=out)
    print(f"features: {res.out_dir / f'features_{args.names}.csv'}", file=out)
    if n_fail:
        print(f"failures: {res.out_dir / f'failures_{args.names}.csv'}", file=out)
        for _, row in res.failures.head(10).iterrows():
            print(f"  {row['patient_id']} (label {row['label']}): {row['error_type']}: {row['message']}", file=out)
    return 0 if n_fail == 0 else 1
