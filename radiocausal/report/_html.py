"""Render a results folder as one self-contained HTML page (inline CSS, figures as data: URIs)."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, GraphError
from radiocausal.report import _figures as figs
from radiocausal.report._results import STEPS, Results, load_results

__all__ = ["write_report"]


class _Html(str):
    """Text that is already HTML (never escaped again)."""


def _e(x: object) -> str:
    return x if isinstance(x, _Html) else html.escape(str(x), quote=True)


def _tag(name: str, body: object, cls: str | None = None) -> _Html:
    attr = f' class="{cls}"' if cls else ""
    return _Html(f"<{name}{attr}>{_e(body)}</{name}>")


def _join(parts: Iterable[object]) -> _Html:
    return _Html("".join(_e(p) for p in parts))


def _table(header: Sequence[object], rows: Iterable[Sequence[object]], cls: str | None = None) -> _Html:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    attr = f' class="{cls}"' if cls else ""
    return _Html(f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _dl(items: Iterable[tuple[object, object]]) -> _Html:
    return _Html('<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>")


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float, np.floating, np.integer)) and math.isfinite(float(x))


def _num(x: Any, fmt: str | None = None, *, sign: bool = False) -> str:
    """``x`` with ``fmt``; by default 3 decimals, or 3 significant digits for small and large values.

    >>> [_num(v) for v in (1.0, 0.0307456, -0.0000123, 193.84, 13797820.0, float("nan"))]
    ['1.000', '0.0307', '-1.23e-05', '193.840', '1.38e+07', '—']
    """
    if not _finite(x):
        return "—"
    v = float(x)
    if fmt is None:
        a = abs(v)
        if a == 0 or 0.1 <= a < 1e5:
            fmt = ".3f"
        elif a >= 1e-4:
            fmt = ".3g"  # 0.0307, 1.38e+07
        else:
            fmt = ".2e"
    return format(v, ("+" if sign else "") + fmt)


def _pval(x: Any) -> str:
    if not _finite(x):
        return "—"
    return f"{x:.2e}" if x < 1e-3 else f"{x:.3f}"


def _set_text(s: Iterable[str] | str | None) -> str:
    if s is None:
        return "none (not identifiable by adjustment)"
    items = [v for v in s.split(";") if v] if isinstance(s, str) else list(s)
    return "{" + ", ".join(items) + "}"


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("_")[:60] or "node"


def _not_run(res: Results, step: str, artefact: str) -> _Html:
    return _Html(f'<p class="not-run"><strong>Not run.</strong> {_e(res.not_run_reason(step, artefact))}</p>')


def _figure(res: Results, fig: Any, name: str, alt: str, caption: object = "") -> _Html:
    path = figs.save_png(fig, res.root / "figures" / name)
    res.figures_written.append(name)
    png = path.read_bytes()
    data = base64.b64encode(png).decode("ascii")
    # shown at the size it was drawn (CSS pixels are 1/96 in), never wider than the page
    width = round(int.from_bytes(png[16:20], "big") * 96 / figs.DPI)
    cap = f"<figcaption>{_e(caption)} <span class=\"file\">(figures/{_e(name)})</span></figcaption>"
    return _Html(f'<figure><img src="data:image/png;base64,{data}" width="{width}" alt="{_e(alt)}">{cap}</figure>')


def _interval(mean: Any, lo: Any, hi: Any) -> str:
    return f"{_num(mean)} [{_num(lo)}, {_num(hi)}]"


def _covers(lo: float, hi: float, truth: Any) -> _Html:
    if not _finite(truth):
        return _Html("—")
    return _tag("span", "yes", "ok") if lo <= truth <= hi else _tag("span", "no", "bad")


# --------------------------------------------------------------------------------------- sections
def _summary(res: Results) -> _Html:
    run = res.run
    steps = run["steps"]
    total = sum(r["seconds"] or 0.0 for r in steps.values())
    facts = [
        ("study", run["study"]),
        ("radiocausal version", run.get("radiocausal_version") or "not recorded"),
        ("started", run.get("started") or "not recorded"),
        ("finished", run.get("finished") or "not finished"),
        ("time in steps", f"{total:.1f} s"),
        ("results folder", os.fspath(res.root.resolve())),
    ]
    if res.features is not None:
        facts.append(("radiomic features", f"{res.features.shape[1]} features for {res.features.shape[0]} patients"))
    for name, df in res.genomics.items():
        genes = f"{df.shape[1]} gene" + ("s" if df.shape[1] != 1 else "")
        facts.append((f"genomics: {name.replace('_', ' ')}", f"{genes} for {df.shape[0]} patients"))
    order = [s for s in STEPS if s in steps] + [s for s in steps if s not in STEPS]
    rows = []
    for s in order:
        r = steps[s]
        status = _tag("span", r["status"], f"status {r['status']}")
        if r.get("reused") is True:
            status = _join([status, " (reused)"])
        notes = _Html(f'<ul class="notes">{_join(_tag("li", w) for w in r["warnings"])}</ul>') if r["warnings"] else ""
        if len(r["warnings"]) > 2:  # long lists folded
            notes = _Html(f"<details><summary>{len(r['warnings'])} warnings</summary>{notes}</details>")
        why = _join([r.get("reason") or "", notes])
        rows.append([s, status, _num(r["seconds"], ".1f"), why])
    not_recorded = [s for s in STEPS if s not in steps and s != "report"]  # the report is being written
    body = [_dl(facts), _tag("h3", "Steps"), _table(["step", "status", "seconds", "reason and warnings"], rows, "steps")]
    if not_recorded:
        body.append(_tag("p", f"Not recorded in run.json: {', '.join(not_recorded)}.", "note"))
    settings = json.dumps(run.get("settings") or {}, indent=2, default=str)
    body.append(_Html(f"<details><summary>Settings as run</summary><pre>{_e(settings)}</pre></details>"))
    return _join(body)


def _pair_dag(dag: Any, exposure: str, outcome: str) -> Any:
    """A copy of ``dag`` whose exposure and outcome roles are this pair's."""
    if set(dag.exposures) == {exposure} and set(dag.outcomes) == {outcome}:
        return dag
    g = dag.copy()
    for v in g.nodes:
        g.remove_role(v, "exposure", "outcome")
    try:
        g.add_role(exposure, "exposure")
        g.add_role(outcome, "outcome")
    except GraphError:
        return dag  # draw with the declared roles rather than fail on a role clash
    return g


def _verdict(valid: bool) -> _Html:
    return _tag("span", "valid", "ok") if valid else _tag("span", "NOT valid", "bad")


def _dag_section(res: Results) -> _Html:
    if res.dag is None:
        return _not_run(res, "dag", "dag.dag")
    dag = res.dag
    body: list[object] = []
    check = res.dag_check
    if check is None or not check["pairs"]:
        # no pair checked: the DAG with its declared roles
        if check is None:
            body.append(_not_run(res, "dag", "dag_check.json"))
        else:
            body.append(_tag("p", "dag_check.json lists no exposure/outcome pair.", "note"))
        body.append(_figure(res, figs.dag_figure(dag, dag.adjusted_nodes, dag.name), "dag.png", "the study DAG",
                            "The study DAG with its declared roles."))
    if check is not None:
        if check["warnings"]:
            items = "".join(f"<li>{_e(w)}</li>" for w in check["warnings"])
            body.append(_Html(f'<div class="warn"><strong>Warnings from the DAG check</strong><ul>{items}</ul></div>'))
        for i, p in enumerate(check["pairs"]):
            x, y = p["exposure"], p["outcome"]
            chosen = p.get("adjustment_set")
            body.append(_tag("h3", f"{x} → {y}"))
            name = f"dag_{i + 1:02d}_{_slug(x)}__{_slug(y)}.png"
            caption = (
                f"Roles coloured; the chosen adjustment set {_set_text(chosen)} is highlighted (yellow, thick outline)."
                if chosen is not None
                else "Roles coloured; no adjustment set identifies this effect."
            )
            body.append(_figure(res, figs.dag_figure(_pair_dag(dag, x, y), chosen, f"{x} → {y}"), name,
                                f"DAG for {x} -> {y}", caption))
            identifiable = p.get("identifiable", chosen is not None)
            minimal = p.get("minimal_sets") or []
            facts = [
                ("identifiable by adjustment", "yes" if identifiable else "no"),
                ("chosen adjustment set", _set_text(chosen) + (f" ({p['kind']})" if p.get("kind") else "")),
                ("all minimal sets", "; ".join(_set_text(s) for s in minimal) if minimal else "none"),
            ]
            body.append(_dl(facts))
            if p.get("explanation"):
                body.append(_Html(f'<pre class="explain">{_e(p["explanation"])}</pre>'))
            naive = p.get("naive") or []
            if naive:
                body.append(_tag("h4", "Verdicts on naive adjustment sets"))
                rows = [
                    [v["label"], _set_text(v["set"]), _verdict(v["valid"]),
                     _Html(f'<pre class="explain">{_e(v.get("explanation") or "")}</pre>')]
                    for v in naive
                ]
                body.append(_table(["adjusting for", "set", "verdict", "why"], rows, "verdicts"))
    body.append(_Html(f"<details><summary>The DAG as dagitty text (dag.dag)</summary><pre>{_e(dag.to_dagitty())}</pre></details>"))
    return _join(body)


def _icc_threshold(res: Results) -> float | None:
    value = res.setting("stability", ("threshold", "icc_threshold", "min_icc"), ("icc_threshold",))
    if value is None:
        return None
    if not _finite(value) or isinstance(value, bool):
        raise DataError(f"run.json: the ICC threshold in settings must be a number, got {value!r}")
    return float(value)


def _stability_section(res: Results) -> _Html:
    if res.stability is None:
        body: list[object] = [_not_run(res, "stability", "stability/stability.csv")]
        if res.features is not None:
            body.append(_tag("p", f"All {res.features.shape[1]} extracted features were used (no stability filter)."))
        return _join(body)
    st = res.stability
    threshold = _icc_threshold(res)
    icc = st["icc"].to_numpy(dtype=float)
    finite = icc[np.isfinite(icc)]
    kept = int(st["stable"].sum())
    n = len(st)
    facts = [
        ("features assessed", n),
        ("kept (stable)", f"{kept} ({100 * kept / n:.0f} %)" if n else "0"),
        ("dropped", n - kept),
        ("ICC threshold", f"{threshold:g}" if threshold is not None else "not recorded in run.json settings"),
    ]
    if finite.size:
        q1, med, q3 = np.percentile(finite, [25, 50, 75])
        facts.append(("ICC median [IQR]", f"{med:.3f} [{q1:.3f}, {q3:.3f}]"))
        facts.append(("ICC range", f"{finite.min():.3f} – {finite.max():.3f}"))
    if finite.size < n:
        facts.append(("ICC not computable", f"{n - finite.size} feature(s) (e.g. constant)"))
    body = [_dl(facts)]
    if finite.size:
        body.append(_figure(res, figs.stability_figure(st, threshold), "stability.png", "ICC distribution",
                            "Test-retest ICC of every feature: kept features in blue, dropped in vermillion"
                            + (" (features without a computable ICC are not drawn)." if finite.size < n else ".")))
    dropped = st[~st["stable"]].sort_values("icc", na_position="first")
    if len(dropped):
        rows = [[r.feature, _num(r.icc), f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"] for r in dropped.head(50).itertuples()]
        more = f" (the 50 least stable of {len(dropped)})" if len(dropped) > 50 else ""
        body.append(_Html(f"<details><summary>Dropped features{_e(more)}</summary>"
                          f"{_table(['feature', 'ICC', '95 % interval'], rows)}</details>"))
    return _join(body)


def _fdr_alpha(res: Results) -> float:
    value = res.setting("scan", ("fdr", "alpha", "q_threshold"), ("fdr",))
    if value is None:
        return 0.05
    if isinstance(value, bool) or not _finite(value) or not 0 < float(value) < 1:
        raise DataError(f"run.json: the scan's FDR level in settings must be a number in (0, 1), got {value!r}")
    return float(value)


_Q_METHODS = {
    "bh": "Benjamini-Hochberg FDR",
    "by": "Benjamini-Yekutieli FDR",
    "storey": "Storey q-value (FDR)",
    "holm": "Holm FWER",
    "hochberg": "Hochberg FWER",
    "bonferroni": "Bonferroni FWER",
}


def _absent(res: Results, table: pd.DataFrame | None, step: str, rel: str, what: str) -> _Html | None:
    """What a section shows instead of its table: "not run" (with the reason) when the step wrote
    no ``rel``, a note when the table lists no ``what``; None when there is something to show."""
    if table is None:
        return _not_run(res, step, rel)
    if table.empty:
        return _tag("p", f"{rel} lists no {what}.", "note")
    return None


def _scan_section(res: Results) -> _Html:
    if (absent := _absent(res, res.scan, "scan", "scan/scan.csv", "test")) is not None:
        return absent
    scan = res.scan
    alpha = _fdr_alpha(res)
    method = res.setting("scan", ("q_method",), ("q_method",))
    method_text = _Q_METHODS.get(str(method).lower(), str(method)) if method is not None else "Benjamini-Hochberg FDR"
    sig = scan["q_value"].to_numpy(dtype=float) <= alpha
    scan = scan.assign(_sig=sig, _tested=np.isfinite(scan["p_value"].to_numpy(dtype=float)))
    rows = []
    for (adjusted, kind), g in scan.groupby(["adjusted", "kind"], sort=True):
        rows.append([
            "DAG-adjusted" if adjusted else "unadjusted",
            kind,
            ", ".join(sorted(set(g["test"]))),
            len(g),
            int(g["_tested"].sum()),
            int(g["_sig"].sum()),
        ])
    body: list[object] = [
        _tag("p", f"Significance: {method_text}: adjusted p (q) ≤ {alpha:g}."),
        _table(["model", "kind", "test", "tests", "tested", f"q ≤ {alpha:g}"], rows, "counts"),
    ]
    if scan["_tested"].any():
        body.append(_figure(res, figs.volcano_figure(scan, alpha), "volcano.png", "volcano plot of the scan",
                            "Volcano plot: each point is one feature × gene test; vermillion points pass the "
                            "significance level; the dashed line is the largest significant p."))
    key = ["feature", "gene", "kind", "test"]
    models = [m for m in (False, True) if (scan["adjusted"] == m).any()]
    merged = None
    for m in models:
        part = scan[scan["adjusted"] == m].drop_duplicates(key)
        tag = "adj" if m else "unadj"
        cols = part[[*key, "estimate", "q_value", "adjustment_set"]].rename(
            columns={"estimate": f"est_{tag}", "q_value": f"q_{tag}", "adjustment_set": f"set_{tag}"}
        )
        merged = cols if merged is None else merged.merge(cols, on=key, how="outer")
    assert merged is not None
    qcols = [c for c in merged.columns if c.startswith("q_")]
    merged["_best"] = merged[qcols].min(axis=1, skipna=True)
    top = merged.dropna(subset=["_best"]).sort_values("_best", kind="stable").head(20)
    header: list[object] = ["feature", "gene", "kind", "test"]
    for m in models:
        name = "adjusted" if m else "unadjusted"
        header += [f"{name} estimate", f"{name} q"]
    if True in models:
        header.append("adjustment set")
    trows = []
    for _, r in top.iterrows():
        row: list[object] = [r["feature"], r["gene"], r["kind"], r["test"]]
        for m in models:
            tag = "adj" if m else "unadj"
            q = r.get(f"q_{tag}")
            qtxt = _pval(q)
            row += [_num(r.get(f"est_{tag}")), _tag("strong", qtxt) if _finite(q) and q <= alpha else qtxt]
        if True in models:
            row.append(_set_text(r.get("set_adj") if isinstance(r.get("set_adj"), str) else ""))
        trows.append(row)
    body.append(_tag("h3", "Top hits"))
    body.append(_tag("p", "The 20 feature × gene tests with the smallest q in either model (bold: q ≤ "
                     f"{alpha:g}).", "note"))
    body.append(_table(header, trows, "hits"))
    return _join(body)


_POSTERIOR_HEADER = ("mean", "sd", "94 % HDI", "truth", "HDI covers truth")


def _posterior_cells(r: Any) -> list[object]:
    """mean, sd, HDI, truth and whether the HDI covers it, for a row of effects.csv or interventions.csv."""
    lo, hi = r["hdi_3%"], r["hdi_97%"]
    return [_num(r["mean"]), _num(r["sd"]), f"[{_num(lo)}, {_num(hi)}]", _num(r["truth"]), _covers(lo, hi, r["truth"])]


def _bayes_section(res: Results) -> _Html:
    if (absent := _absent(res, res.effects, "bayes", "bayes/effects.csv", "effect")) is not None:
        return absent
    eff = res.effects
    shown = {"adjusted": "DAG-adjusted (blue squares)", "unadjusted": "unadjusted (orange circles)"}
    caption = ("Posterior effect of each exposure on its outcome, mean and 94 % HDI: "
               + " next to ".join(v for k, v in shown.items() if (eff["model"] == k).any())
               + ("; white diamonds: the simulated truth." if eff["truth"].notna().any() else "."))
    body: list[object] = [_figure(res, figs.forest_figure(eff), "forest.png", "forest plot of the Bayesian effects",
                                  caption)]
    rows = []
    for _, d in eff.iterrows():
        r_hat, ess = d["r_hat"], d["ess_bulk"]
        rows.append([
            f"{d['exposure']} → {d['outcome']}",
            d["model"],
            _set_text(d["adjustment_set"]),
            *_posterior_cells(d)[:3],
            _tag("span", _num(r_hat, ".3f"), "bad") if _finite(r_hat) and r_hat > 1.01 else _num(r_hat, ".3f"),
            _tag("span", _num(ess, ".0f"), "bad") if _finite(ess) and ess < 400 else _num(ess, ".0f"),
            *_posterior_cells(d)[3:],
        ])
    body.append(_table(["effect", "model", "adjustment set", *_POSTERIOR_HEADER[:3], "R-hat", "ESS bulk",
                        *_POSTERIOR_HEADER[3:]], rows, "effects"))
    body.append(_tag("p", "R-hat above 1.01 or a bulk ESS below 400 (marked) means the posterior summary is not "
                     "reliable.", "note"))
    if res.posteriors:
        items = "".join(f'<li><a href="{_e(p)}">{_e(p)}</a></li>' for p in res.posteriors)
        body.append(_Html(f"<details><summary>Posterior draws (ArviZ InferenceData, NetCDF)</summary><ul>{items}</ul></details>"))
    return _join(body)


def _interventions_section(res: Results) -> _Html:
    if (absent := _absent(res, res.interventions, "interventions", "interventions/interventions.csv",
                          "intervention")) is not None:
        return absent
    iv = res.interventions
    caption = ("Average causal effect of each intervention against its baseline (mean and 94 % HDI)"
               + ("; white diamonds: the simulated truth." if iv["truth"].notna().any() else "."))
    body: list[object] = [_figure(res, figs.interventions_figure(iv), "interventions.png", "do-intervention effects",
                                  caption)]
    rows = [[r["target"], figs.contrast_label(r), *_posterior_cells(r)] for _, r in iv.iterrows()]
    body.append(_table(["target", "contrast", *_POSTERIOR_HEADER], rows))
    return _join(body)


def _factors_section(res: Results) -> _Html:
    if res.variance_explained is None:
        return _not_run(res, "factors", "factors/variance_explained.csv")
    ve = res.variance_explained
    ivl = res.variance_intervals
    body: list[object] = [
        _figure(res, figs.variance_heatmap(ve, ivl), "variance_explained.png", "variance explained heatmap",
                "Fraction of each view's variance explained by each latent factor"
                + (" (intervals in brackets)." if ivl is not None else "."))
    ]
    bounds = {} if ivl is None else {(r.factor, r.view): (r.lower, r.upper) for r in ivl.itertuples(index=False)}
    rows = []
    for f in ve.index:
        row: list[object] = [f]
        for v in ve.columns:
            txt = f"{100 * ve.loc[f, v]:.1f} %"
            if (f, v) in bounds:
                lo, hi = bounds[(f, v)]
                txt += f" [{100 * lo:.1f}, {100 * hi:.1f}]"
            row.append(txt)
        rows.append(row)
    rows.append([_tag("strong", "all factors"), *(_tag("strong", f"{100 * ve[v].sum():.1f} %") for v in ve.columns)])
    body.append(_table(["factor", *ve.columns], rows, "ve"))
    return _join(body)


def _truth_section(res: Results) -> _Html:
    truth = res.truth
    assert truth is not None
    ace = {(a["exposure"], a["outcome"]): float(a["effect"]) for a in truth["ace"]}
    rows = []
    eff = res.effects
    pairs = list(ace)
    if eff is not None:
        pairs += [p for p in dict.fromkeys(zip(eff["exposure"], eff["outcome"], strict=True)) if p not in ace]
    not_estimated = []
    for x, y in pairs:
        est = {}
        t = ace.get((x, y))
        if eff is not None:
            sub = eff[(eff["exposure"] == x) & (eff["outcome"] == y)]
            for _, r in sub.iterrows():
                est[r["model"]] = r
                if _finite(r["truth"]):
                    t = float(r["truth"])
        if t is None:
            continue
        if not est:
            not_estimated.append(f"{x} → {y}: {_num(t)}")
            continue
        row: list[object] = [f"effect of {x} on {y} (average causal effect)", _num(t)]
        for model in ("adjusted", "unadjusted"):
            r = est.get(model)
            if r is None:
                row += ["not estimated", "—", "—"]
            else:
                row += [_interval(r["mean"], r["hdi_3%"], r["hdi_97%"]), _num(r["mean"] - t, sign=True),
                        _covers(r["hdi_3%"], r["hdi_97%"], t)]
        rows.append(row)
    if res.interventions is not None:
        for _, r in res.interventions.iterrows():
            if _finite(r["truth"]):
                rows.append([f"{r['target']}: {figs.contrast_label(r)}", _num(r["truth"]),
                             _interval(r["mean"], r["hdi_3%"], r["hdi_97%"]), _num(r["mean"] - r["truth"], sign=True),
                             _covers(r["hdi_3%"], r["hdi_97%"], r["truth"]), "—", "—", "—"])
    body: list[object] = []
    labels = {"n": "simulated patients", "random_seed": "random seed", "contrast": "exposure contrast (from, to)"}
    meta = [(labels[k], truth[k]) for k in labels if truth.get(k) is not None]
    if meta:
        body.append(_dl((k, json.dumps(v)) for k, v in meta))
    if rows:
        body.append(_table(["quantity", "truth", "adjusted / do() estimate [94 % HDI]", "bias", "covers",
                            "unadjusted [94 % HDI]", "bias", "covers"], rows, "truth"))
    else:
        body.append(_tag("p", "truth.json lists no effect that this run estimated.", "note"))
    if not_estimated:
        body.append(_tag("p", "True average causal effects in the simulation that this run did not estimate: "
                         + "; ".join(not_estimated) + ".", "note"))
    if truth["coefficients"]:
        crows = [[c["cause"], c["effect"], json.dumps(c["value"])] for c in truth["coefficients"]]
        body.append(_Html(f"<details><summary>Simulated structural coefficients</summary>"
                          f"{_table(['cause', 'effect', 'coefficient'], crows)}</details>"))
    return _join(body)


# ------------------------------------------------------------------------------------------ page
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;
 max-width:1200px;margin:0 auto;padding:1.5rem;line-height:1.45;background:#fff}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #0072B2;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-top:1.6rem}.meta,.note,.file{color:#555}.file{font-size:.85em}
nav ol{columns:2;font-size:.95em}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}tbody tr:nth-child(even){background:#fafafa}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;font-size:.85em}
pre.explain{white-space:pre-wrap;margin:0;background:none;padding:0;font-size:.95em}
td .ok,td .bad{white-space:nowrap}ul.notes{margin:0;padding-left:1.1rem;color:#6b4a00}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444}
.status{padding:0 .4rem;border-radius:3px;font-weight:600}
.status.done{background:#cfe8f7}.status.skipped{background:#eee}.status.failed{background:#f9d2b8}
.ok{color:#0072B2;font-weight:600}.bad{color:#b34700;font-weight:600}
.not-run{background:#f4f4f4;border-left:4px solid #999;padding:.5rem .8rem}
.warn{background:#fff6e0;border-left:4px solid #E69F00;padding:.5rem .8rem}
"""

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="radiocausal $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header>
<h1>$title</h1>
<p class="meta">$meta</p>
</header>
<nav><strong>Contents</strong><ol>$toc</ol></nav>
<main>
$sections
</main>
<footer><p class="meta">Written by radiocausal.report.write_report from the results folder; re-render with
<code>radiocausal.report.write_report(results_dir)</code>.</p></footer>
</body>
</html>
"""
)


_FIGURE_NAME = re.compile(r"(dag(_\d+_.+)?|stability|volcano|forest|interventions|variance_explained)\.png")


def _remove_stale_figures(res: Results) -> None:
    """Delete report figures left by an earlier rendering that this one did not draw (e.g. a pair since removed)."""
    folder = res.root / "figures"
    if folder.is_dir():
        for p in folder.glob("*.png"):
            if _FIGURE_NAME.fullmatch(p.name) and p.name not in res.figures_written:
                p.unlink()


def write_report(results_dir: str | os.PathLike, *, out: str | os.PathLike | None = None, title: str | None = None) -> Path:
    """Render the results folder of ``radiocausal analyze`` as a self-contained HTML report.

    Reads only the folder (see :func:`~radiocausal.report.load_results`), so a report can be
    re-rendered from old results.  Figures are written as PNG to ``results_dir/figures/`` and
    embedded in the page as ``data:`` URIs; the page has inline CSS and no script or network
    resource.  A section whose artefacts are missing says "Not run" with the reason recorded in
    ``run.json``.

    Parameters
    ----------
    results_dir : path
        The results folder (``run.json`` required; every other artefact optional).
    out : path, optional
        Where to write the page; default ``results_dir/report.html``.
    title : str, optional
        Page title; default ``"radiocausal report: <study>"``.

    Returns
    -------
    pathlib.Path
        The path of the written HTML page.

    Raises
    ------
    DataError
        When ``run.json`` is missing or an artefact is corrupt or inconsistent (the message names
        the file and the problem).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "run.json").write_text(json.dumps({"study": "demo", "steps": {
    ...     "scan": {"status": "skipped", "seconds": 0.0, "reason": "no genomic tables"}}}))
    >>> page = write_report(out)
    >>> page.name, "step &#x27;scan&#x27; skipped: no genomic tables" in page.read_text(encoding="utf-8")
    ('report.html', True)
    """
    from radiocausal import __version__

    res = load_results(results_dir)
    _fdr_alpha(res), _icc_threshold(res)  # settings checked before any figure is written
    study = res.run["study"]
    page_title = title if title is not None else f"radiocausal report: {study}"
    sections: list[tuple[str, str, _Html]] = [
        ("summary", "Study summary", _summary(res)),
        ("dag", "Causal DAG and adjustment sets", _dag_section(res)),
        ("stability", "Feature stability", _stability_section(res)),
        ("scan", "Association scan", _scan_section(res)),
        ("bayes", "Bayesian effects: adjusted vs unadjusted", _bayes_section(res)),
        ("interventions", "do-interventions", _interventions_section(res)),
        ("factors", "Latent factors: variance explained", _factors_section(res)),
    ]
    if res.truth is not None:
        sections.append(("truth", "Estimates vs simulated truth", _truth_section(res)))
    toc = "".join(f'<li><a href="#{sid}">{_e(name)}</a></li>' for sid, name, _ in sections)
    body = "\n".join(f'<section id="{sid}">\n<h2>{_e(name)}</h2>\n{content}\n</section>' for sid, name, content in sections)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run_version = res.run.get("radiocausal_version") or "an unrecorded version"
    meta = f"study {study} · analysed with radiocausal {run_version} · report written {now} by radiocausal {__version__}"
    text = _PAGE.substitute(title=_e(page_title), css=_CSS, meta=_e(meta), toc=toc, sections=body, version=_e(__version__))
    _remove_stale_figures(res)
    target = Path(out) if out is not None else res.root / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
