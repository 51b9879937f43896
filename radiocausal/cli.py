"""The ``radiocausal`` command line.

Subcommands
-----------
``radiocausal check FILE_OR_MODEL [--exposure X] [--outcome Y] [--adjust a,b] [--json]``
    Read a study DAG (a dagitty text file, ``-`` for standard input, or the name of a library
    model) and print its roles, all minimal adjustment sets, the canonical and optimal sets, the
    verdict on the proposed set (``--adjust``, default the nodes declared ``adjusted``) and the
    implied independencies.  Exit status: 0 when the proposed set is valid (or none was
    proposed), 1 when it is not, 2 on usage or input errors.  Use it to guard an analysis
    script or CI job.
``radiocausal models``
    List the study DAGs of the library (:mod:`radiocausal.graph.library`).
``radiocausal draw FILE_OR_MODEL -o OUT.png [--adjust a,b]``
    Draw the DAG with roles coloured (matplotlib, Agg backend).

Each subcommand is a ``_cmd_<name>(args) -> int`` function registered in
:func:`build_parser`.

``radiocausal analyze STUDY.toml [--out DIR] [--force [STEPS]] [--quiet]``
    Run a study end to end into its results folder (see ``docs/analyze.md``); exit status 1 when a
    step failed, 2 on study-file or input errors.
``radiocausal demo [--out DIR] [--n N] [--seed S] [--fast]``
    Simulate the embedded radiogenomic cohort, write its study file, analyse it and print the
    estimated effects next to the simulated truth.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from radiocausal.errors import RadiocausalError

__all__ = ["main", "build_parser"]

PROG = "radiocausal"
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line or its input; reported on stderr with exit status 2."""


# ---------------------------------------------------------------------------------------- helpers
def _split_names(value: str | None) -> list[str] | None:
    """``"a,b , c"`` -> ``["a", "b", "c"]``; ``""`` -> ``[]``; None stays None."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _fmt_set(nodes) -> str:
    return "{" + ", ".join(sorted(nodes)) + "}"


def _load_dag(source: str):
    """Read a DAG from a file path, ``-`` (stdin) or a library model name; returns (dag, label)."""
    from radiocausal.graph import CausalDAG
    from radiocausal.graph.library import list_models, load_model

    if source == "-":
        try:
            return CausalDAG.from_dagitty(sys.stdin.read(), name="stdin"), "<stdin>"
        except RadiocausalError as exc:
            raise UsageError(f"cannot read the DAG from <stdin>: {exc}") from None
    path = Path(source)
    if path.is_file():
        try:
            return CausalDAG.read(path), str(path)
        except RadiocausalError as exc:
            raise UsageError(f"cannot read the DAG in {str(path)!r}: {exc}") from None
    if path.exists():
        raise UsageError(f"{source!r} is not a regular file")
    try:
        names = list_models()
    except FileNotFoundError:
        names = []
    stem = source[:-4] if source.endswith(".dag") else source
    if stem in names:
        return load_model(stem), f"library model {stem!r}"
    hint = f"; library models: {', '.join(names)}" if names else ""
    raise UsageError(f"no DAG file or library model named {source!r}{hint}")


def _independencies(dag) -> tuple[list | None, str | None]:
    """The implied independencies, or (None, reason) when that feature is not available."""
    method = getattr(dag, "implied_independencies", None)
    if method is None:
        try:
            from radiocausal.graph.independencies import implied_independencies
        except ImportError:
            return None, "implied independencies are not available in this version of radiocausal"
        return list(implied_independencies(dag)), None
    return list(method()), None


# ------------------------------------------------------------------------------------------ check
def _check_report(dag, source: str, args: argparse.Namespace, caught: list[str]) -> dict[str, Any]:
    """Everything ``check`` prints, as a JSON-ready dict."""
    exposure = _split_names(args.exposure)
    outcome = _split_names(args.outcome)
    selection = _split_names(args.selection)
    effect = args.effect
    if not exposure and not dag.exposures:
        raise UsageError("no exposure: pass --exposure X or declare a node [exposure] in the DAG")
    if not outcome and not dag.outcomes:
        raise UsageError("no outcome: pass --outcome Y or declare a node [outcome] in the DAG")
    common = dict(exposure=exposure or None, outcome=outcome or None, effect=effect, selection=selection)
    # validates exposure / outcome / selection (RoleError, UnknownNodeError -> usage error)
    derived = dag.derived_roles(common["exposure"], common["outcome"])
    xs = [v for v in dag.nodes if "exposure" in derived[v]]
    ys = [v for v in dag.nodes if "outcome" in derived[v]]
    sel = selection if selection is not None else list(dag.selected_nodes)

    limit = args.max_sets
    sets_iter = dag.iter_adjustment_sets(kind="minimal", include=[], **common)
    minimal = list(itertools.islice(sets_iter, limit + 1))
    truncated = len(minimal) > limit
    minimal = sorted(minimal[:limit], key=lambda s: (len(s), sorted(s)))
    canonical = dag.adjustment_sets(kind="canonical", include=[], **common)
    optimal, optimal_why = None, None
    try:
        optimal = dag.adjustment_sets(kind="optimal", include=[], **common)
    except RadiocausalError as exc:  # IdentificationError (latent parents), GraphError (direct effect)
        optimal_why = str(exc)
    if optimal == [] and optimal_why is None:
        optimal_why = "no valid adjustment set exists"

    proposed = _split_names(args.adjust)
    proposal_source = "--adjust"
    if proposed is None and dag.adjusted_nodes:
        proposed, proposal_source = list(dag.adjusted_nodes), "declared [adjusted]"
    verdict = None
    if proposed is not None:
        expl = dag.explain_adjustment(proposed, common["exposure"], common["outcome"], effect=effect, selection=selection)
        verdict = {
            "adjustment_set": sorted(expl.adjustment_set),
            "source": proposal_source,
            "is_valid": bool(expl.is_valid),
            "problems": list(expl.problems),
            "notes": list(expl.notes),
        }

    independencies, ind_why = None, None
    if not args.no_independencies:
        try:
            independencies, ind_why = _independencies(dag)
        except RadiocausalError as exc:
            independencies, ind_why = None, f"implied independencies unavailable: {exc}"
    ind_rows = None
    ind_truncated = False
    if independencies is not None:
        ind_rows = [
            {"x": ind.x, "y": ind.y, "given": sorted(z)} for ind in independencies for z in ind.given
        ]
        ind_truncated = len(ind_rows) > args.max_independencies
        ind_rows = ind_rows[: args.max_independencies]

    return {
        "study": dag.name,
        "source": source,
        "exposure": xs,
        "outcome": ys,
        "effect": effect,
        "selection": sorted(sel),
        "declared_roles": {v: sorted(dag.roles(v)) for v in dag.nodes if dag.roles(v)},
        "derived_roles": {
            v: [r for r in derived[v] if r not in ("exposure", "outcome")]
            for v in dag.nodes
            if any(r not in ("exposure", "outcome") for r in derived[v])
        },
        "identifiable": bool(canonical),
        "adjustment_sets": {
            "minimal": [sorted(s) for s in minimal],
            "minimal_truncated": truncated,
            "canonical": sorted(canonical[0]) if canonical else None,
            "optimal": sorted(optimal[0]) if optimal else None,
            "optimal_unavailable": optimal_why,
        },
        "proposed": verdict,
        "implied_independencies": ind_rows,
        "implied_independencies_truncated": ind_truncated,
        "implied_independencies_unavailable": ind_why if not args.no_independencies else "not requested",
        "warnings": caught,
    }


def _print_check(rep: dict[str, Any]) -> None:
    out: list[str] = []
    title = rep["study"] or "(unnamed DAG)"
    out.append(f"study: {title}  [{rep['source']}]")
    out.append(f"effect: {rep['effect']} effect of {', '.join(rep['exposure'])} on {', '.join(rep['outcome'])}")
    if rep["selection"]:
        out.append(f"selection in force (data from selected patients only): {', '.join(rep['selection'])}")
    out.append("")
    for kind in ("declared", "derived"):
        roles = rep[f"{kind}_roles"]
        out.append(f"{kind} roles:")
        if roles:
            width = max(len(v) for v in roles)
            out += [f"  {v:<{width}}  {', '.join(rs)}" for v, rs in roles.items()]
        else:
            out.append("  (none)")
    out.append("")
    sets = rep["adjustment_sets"]
    if not rep["identifiable"]:
        out.append("adjustment sets: NONE: no set of observed covariates identifies this effect by adjustment")
    else:
        out.append("minimal adjustment sets:")
        for s in sets["minimal"]:
            out.append(f"  {_fmt_set(s)}" + ("  (no adjustment needed)" if not s else ""))
        if sets["minimal_truncated"]:
            out.append(f"  ... more exist (first {len(sets['minimal'])} shown; raise --max-sets)")
        out.append(f"canonical adjustment set: {_fmt_set(sets['canonical'])}")
        if sets["optimal"] is not None:
            out.append(f"optimal adjustment set (O-set): {_fmt_set(sets['optimal'])}")
        else:
            out.append(f"optimal adjustment set (O-set): unavailable: {sets['optimal_unavailable']}")
    out.append("")
    verdict = rep["proposed"]
    if verdict is None:
        out.append("proposed adjustment set: none given (use --adjust a,b or declare nodes [adjusted])")
    else:
        state = "valid" if verdict["is_valid"] else "NOT valid"
        out.append(f"proposed adjustment set {_fmt_set(verdict['adjustment_set'])} ({verdict['source']}): {state}")
        out += [f"  - {p}" for p in verdict["problems"]]
        out += [f"  * {n}" for n in verdict["notes"]]
    rows = rep["implied_independencies"]
    if rows is not None:
        out.append("")
        out.append(f"implied independencies ({len(rows)}{'+' if rep['implied_independencies_truncated'] else ''}):")
        if not rows:
            out.append("  (none: every pair of observed nodes is adjacent or cannot be separated)")
        for r in rows:
            line = f"  {r['x']} _||_ {r['y']}"
            if r["given"]:
                line += " | " + ", ".join(r["given"])
            out.append(line)
        if rep["implied_independencies_truncated"]:
            out.append("  ... more (raise --max-independencies)")
    elif rep["implied_independencies_unavailable"] != "not requested":
        out.append("")
        out.append(f"implied independencies: skipped ({rep['implied_independencies_unavailable']})")
    print("\n".join(out))


def _cmd_check(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        dag, source = _load_dag(args.dag)
        rep = _check_report(dag, source, args, [])
    rep["warnings"] = list(dict.fromkeys(str(w.message) for w in record if issubclass(w.category, UserWarning)))
    if args.json:
        print(json.dumps(rep, indent=2))
    else:
        for w in rep["warnings"]:
            print(f"{PROG}: warning: {w}", file=sys.stderr)
        _print_check(rep)
    if rep["proposed"] is not None and not rep["proposed"]["is_valid"]:
        return EXIT_INVALID
    return EXIT_OK


# ----------------------------------------------------------------------------------------- models
def _cmd_models(args: argparse.Namespace) -> int:
    from radiocausal.graph.library import list_models, model_description, model_path

    names = list_models()
    if args.json:
        print(json.dumps([{"name": n, "path": str(model_path(n)), "description": model_description(n)} for n in names], indent=2))
        return EXIT_OK
    width = max((len(n) for n in names), default=0)
    for n in names:
        first = model_description(n).splitlines()[0] if model_description(n) else ""
        print(f"{n:<{width}}  {first}")
    return EXIT_OK


# ------------------------------------------------------------------------------------------- draw
def _cmd_draw(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from radiocausal.graph.drawing import draw

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        dag, _ = _load_dag(args.dag)
    for w in dict.fromkeys(str(w.message) for w in record):
        print(f"{PROG}: warning: {w}", file=sys.stderr)
    ax = draw(dag, adjustment_set=_split_names(args.adjust), layout=args.layout)
    try:
        ax.figure.savefig(args.output, dpi=args.dpi, bbox_inches="tight")
    finally:
        plt.close(ax.figure)
    print(args.output)
    return EXIT_OK


# ---------------------------------------------------------------------------------------- analyze
def _print_warnings(record) -> None:
    seen = dict.fromkeys(str(w.message) for w in record if issubclass(w.category, UserWarning))
    for msg in seen:
        print(f"{PROG}: warning: {msg}", file=sys.stderr)


def _print_steps(result) -> None:
    print(f"results: {result.folder}")
    width = max(len(s) for s in result.steps)
    for name, rec in result.steps.items():
        status = rec.get("status", "?") + (" (reused)" if rec.get("reused") else "")
        secs = f"{rec.get('seconds', 0.0):7.1f} s"
        reason = f"  {rec['reason'].splitlines()[0]}" if rec.get("reason") else ""
        print(f"  {name:<{width}}  {status:<15} {secs}{reason}")
    if result.report is not None:
        print(f"report: {result.report}")


@contextlib.contextmanager
def _samplers_quiet():
    """PyMC's per-fit INFO lines (sampler, chains, timing) are left out: the steps show progress."""
    # the child loggers too: setting "pymc" alone leaves the sampler's INFO lines (measured)
    loggers = [logging.getLogger(name) for name in ("pymc", "pymc.sampling", "pymc.stats.convergence")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _run_analysis(study, args: argparse.Namespace):
    from radiocausal.pipeline import STEPS, analyze

    force: bool | list[str] = False
    if args.force is not None:
        force = True if args.force == "all" else _split_names(args.force) or True
        if isinstance(force, list):
            bad = [s for s in force if s not in STEPS]
            if bad:
                raise UsageError(f"--force names unknown step(s) {bad}; steps are {', '.join(STEPS)}")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with _samplers_quiet():
            result = analyze(study, output=args.out, force=force, progress=not args.quiet)
    if not args.quiet:
        _print_warnings(record)
    return result


def _cmd_analyze(args: argparse.Namespace) -> int:
    from radiocausal.pipeline import Study

    study = Study.from_toml(args.study)
    result = _run_analysis(study, args)
    _print_steps(result)
    return EXIT_INVALID if result.failed else EXIT_OK


def _fmt(v: float) -> str:
    import math

    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"


def _print_truth_table(table) -> None:
    """The demo's estimates next to the simulated truth, one row per (exposure, feature)."""
    if table.empty:
        print("no Bayesian effects were estimated: nothing to compare with the truth")
        return
    head = ["exposure", "feature", "truth", "scan naive (q)", "scan adjusted (q)", "Bayes naive",
            "Bayes adjusted [94% HDI]", "covers"]
    rows = []
    for r in table.to_dict("records"):
        rows.append([
            r["exposure"], r["feature"], _fmt(r["truth"]),
            f"{_fmt(r.get('scan_unadjusted'))} ({_fmt(r.get('scan_unadjusted_q'))})",
            f"{_fmt(r.get('scan_adjusted'))} ({_fmt(r.get('scan_adjusted_q'))})",
            _fmt(r.get("bayes_unadjusted")),
            f"{_fmt(r.get('bayes_adjusted'))} [{_fmt(r.get('hdi_3%'))}, {_fmt(r.get('hdi_97%'))}]",
            "yes" if r["covers"] else "no",
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def _cmd_demo(args: argparse.Namespace) -> int:
    from radiocausal.pipeline.demo import run_demo, truth_table

    if args.n is not None and args.n < 30:
        raise UsageError(f"--n {args.n}: expected at least 30 patients")
    if not args.quiet:
        print(f"simulating the radiogenomic demo cohort into {args.out} (with its truth) ...", file=sys.stderr)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with _samplers_quiet():
            demo = run_demo(args.out, n=args.n, random_seed=args.seed, fast=args.fast, force=bool(args.force),
                            progress=not args.quiet)
    if not args.quiet:
        _print_warnings(record)
    print(f"study file: {demo.study_file}")
    _print_steps(demo.analysis)
    print()
    print("estimated effects of each gene on radiomic features next to the simulated truth")
    print("(scan: feature difference per mutation, q = FDR; Bayes: posterior mean; truth from paired do() cohorts):")
    _print_truth_table(truth_table(demo.analysis))
    iv = demo.analysis.interventions
    if iv is not None and len(iv):
        print()
        print("do-interventions (structural model, g-formula):")
        for r in iv.to_dict("records"):
            print(f"  {r['target']}: {r['intervention']} - {r['baseline']} = {_fmt(r['mean'])} "
                  f"[{_fmt(r['hdi_3%'])}, {_fmt(r['hdi_97%'])}]   truth {_fmt(r['truth']) or 'unknown'}")
    return EXIT_INVALID if demo.analysis.failed else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from radiocausal.report import write_report

    print(write_report(args.results, out=args.output, title=args.title))
    return EXIT_OK


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", nargs="?", const="all", metavar="STEPS",
                   help="recompute every step (--force or --force all), or the named steps (comma-separated) and the "
                   "steps that read them; give it after STUDY.toml")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars and no warnings on stderr")


# ----------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one sub-parser per subcommand."""
    from radiocausal import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Causal radiogenomics: check study DAGs, their adjustment sets and testable implications.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="roles, adjustment sets, a verdict on a proposed set, implied independencies",
        description=(
            "Check a study DAG. Exit status 0 when the proposed adjustment set is valid (or none is proposed), "
            "1 when it is not, 2 on usage or input errors."
        ),
    )
    check.add_argument("dag", metavar="FILE_OR_MODEL", help="dagitty text file, '-' for stdin, or a library model name")
    check.add_argument("--exposure", "-x", help="exposure node(s), comma-separated (default: declared [exposure])")
    check.add_argument("--outcome", "-y", help="outcome node(s), comma-separated (default: declared [outcome])")
    check.add_argument(
        "--adjust", "-z", help="proposed adjustment set, comma-separated; '' for the empty set (default: declared [adjusted])"
    )
    check.add_argument("--effect", choices=("total", "direct"), default="total", help="effect to identify (default: total)")
    check.add_argument(
        "--selection", help="study-inclusion node(s), comma-separated; '' for none (default: declared [selected])"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    check.add_argument("--max-sets", type=int, default=50, help="list at most this many minimal sets (default 50)")
    check.add_argument(
        "--max-independencies", type=int, default=200, help="list at most this many independencies (default 200)"
    )
    check.add_argument("--no-independencies", action="store_true", help="skip the implied independencies")
    check.set_defaults(func=_cmd_check)

    models = sub.add_parser("models", help="list the study DAGs of the library", description="List library study DAGs.")
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(func=_cmd_models)

    drawp = sub.add_parser("draw", help="draw a DAG to an image file", description="Draw a DAG with roles coloured.")
    drawp.add_argument("dag", metavar="FILE_OR_MODEL", help="dagitty text file, '-' for stdin, or a library model name")
    drawp.add_argument("--output", "-o", required=True, help="image file to write (.png, .svg, .pdf)")
    drawp.add_argument("--adjust", "-z", help="adjustment set to highlight, comma-separated")
    drawp.add_argument("--layout", choices=("auto", "dagitty", "layered"), default="auto")
    drawp.add_argument("--dpi", type=int, default=120)
    drawp.set_defaults(func=_cmd_draw)

    from radiocausal.features._cli import add_extract_arguments, run_extract  # light: heavy imports run later

    extract = sub.add_parser(
        "extract",
        help="extract radiomic features for a manifest of images and masks",
        description="Extract radiomic features (IBSI pre-processing, pyradiomics formulas) for every case of a "
        "manifest, writing results incrementally so an interrupted run resumes. Exit status 0 when every case "
        "succeeded, 1 when some failed (their reasons are recorded), 2 on usage or input errors.",
    )
    add_extract_arguments(extract)
    extract.set_defaults(func=run_extract)

    analyzep = sub.add_parser(
        "analyze",
        help="run a study end to end (DAG check, features, scans, Bayesian models, do(), factors, report)",
        description="Run the study described by a TOML study file (see docs/analyze.md) into its results folder. "
        "Finished steps are reused on a rerun when their inputs and settings are unchanged. Exit status 0 when "
        "every step ran or was skipped, 1 when a step failed (the others still ran), 2 on study-file or input errors.",
    )
    analyzep.add_argument("study", metavar="STUDY.toml", help="the study file")
    analyzep.add_argument("--out", "-o", help="results folder (default: study.output of the study file)")
    _add_run_options(analyzep)
    analyzep.set_defaults(func=_cmd_analyze)

    demop = sub.add_parser(
        "demo",
        help="simulate a radiogenomic cohort with known truth, analyse it, print estimates next to the truth",
        description="The embedded demo: simulates a multi-site cohort (real images with repeat scans, mutations, "
        "copy number, expression) where scanner site confounds KRAS and grade confounds EGFR, writes its study "
        "file, runs `radiocausal analyze` on it and prints the estimated effects next to the simulated truth. "
        "A rerun reuses the cohort and every finished step.",
    )
    demop.add_argument("--out", "-o", default="radiocausal_demo", help="folder for the cohort and its results "
                       "(default ./radiocausal_demo)")
    demop.add_argument("--n", type=int, help="patients (default 160; 100 with --fast)")
    demop.add_argument("--seed", type=int, default=0, help="random seed of the simulation and the samplers")
    demop.add_argument("--fast", action="store_true", help="fewer patients and posterior draws")
    demop.add_argument("--force", action="store_true", help="re-simulate the cohort and recompute every step")
    demop.add_argument("--quiet", "-q", action="store_true", help="no progress bars and no warnings on stderr")
    demop.set_defaults(func=_cmd_demo)

    reportp = sub.add_parser(
        "report",
        help="(re-)render the HTML report of a results folder",
        description="Write report.html (and figures/*.png) from a `radiocausal analyze` results folder alone, "
        "without recomputing anything (e.g. after an upgrade). Exit status 2 when a file of the folder is "
        "missing or corrupt.",
    )
    reportp.add_argument("results", metavar="RESULTS_DIR", help="the results folder (with run.json)")
    reportp.add_argument("--output", "-o", help="where to write the page (default RESULTS_DIR/report.html)")
    reportp.add_argument("--title", help="page title (default 'radiocausal report: STUDY')")
    reportp.set_defaults(func=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 invalid adjustment set, 2 usage/input error).

    Examples
    --------
    >>> main(["check", "tumour_grade_confounding", "--adjust", "grade,IDH1", "--no-independencies"])
    ... # doctest: +ELLIPSIS
    study: tumour_grade_confounding  [library model 'tumour_grade_confounding']
    ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse reports usage errors itself (status 2) and --help/--version (0)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    for opt in ("max_sets", "max_independencies"):
        if getattr(args, opt, 1) < 1:
            print(f"{PROG} {args.command}: error: --{opt.replace('_', '-')} must be at least 1", file=sys.stderr)
            return EXIT_USAGE
    try:
        return args.func(args)
    except (UsageError, RadiocausalError, OSError, UnicodeDecodeError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
