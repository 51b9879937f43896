"""Check a study DAG before an analysis: adjustment sets, a verdict on the planned covariates, a drawing.

Usage::

    python examples/check_study_dag.py [MODEL_OR_FILE] [--adjust a,b] [--png out.png]
    python examples/check_study_dag.py imaging_genomics_mediator --adjust grade,necrosis

``MODEL_OR_FILE`` is a library model name (see ``radiocausal models``) or a dagitty text file;
default ``imaging_genomics_mediator``.  The script exits 1 when the planned adjustment set is
not valid, so it can guard an analysis pipeline (the ``radiocausal check`` command does the same
with more detail).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from radiocausal.graph import CausalDAG  # noqa: E402
from radiocausal.graph.drawing import draw  # noqa: E402
from radiocausal.graph.interop import to_dot, to_dowhy  # noqa: E402
from radiocausal.graph.library import list_models, load_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag", nargs="?", default="imaging_genomics_mediator")
    parser.add_argument(
        "--adjust",
        default=None,
        help="planned covariates, comma-separated (default: the nodes declared [adjusted]; none: a crude analysis)",
    )
    parser.add_argument("--png", default="study_dag.png", help="where to draw the DAG")
    args = parser.parse_args(argv)

    dag = CausalDAG.read(args.dag) if Path(args.dag).is_file() else load_model(args.dag)
    print(f"{dag.name}: effect of {', '.join(dag.exposures)} on {', '.join(dag.outcomes)}")
    print(f"  library models: {', '.join(list_models())}")

    minimal = dag.adjustment_sets(include=[])
    print("  minimal adjustment sets:", [sorted(s) for s in minimal] or "none: not identifiable by adjustment")
    if args.adjust is None:
        planned = list(dag.adjusted_nodes)
    else:
        planned = [v.strip() for v in args.adjust.split(",") if v.strip()]
    verdict = dag.explain_adjustment(planned)
    print("\n" + str(verdict) + "\n")

    # the same DAG for other tools
    print(f"  DOT text: {len(to_dot(dag).splitlines())} lines; DoWhy GML: {len(to_dowhy(dag))} characters")

    best = minimal[0] if minimal else None
    ax = draw(dag, adjustment_set=best, title=f"{dag.name}: adjusting for {sorted(best) if best is not None else 'nothing valid'}")
    ax.figure.savefig(args.png, dpi=100, bbox_inches="tight")
    print(f"  drawing written to {args.png}")
    return 0 if verdict.is_valid else 1


if __name__ == "__main__":
    sys.exit(main())
