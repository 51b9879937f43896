"""The report's figures, drawn with matplotlib's object API (no pyplot, so no global state).

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies);
each figure is saved as PNG and closed by going out of scope (no pyplot figure manager holds it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "dag_figure",
    "stability_figure",
    "volcano_figure",
    "forest_figure",
    "interventions_figure",
    "variance_heatmap",
    "save_png",
    "contrast_label",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
KIND_MARKERS = {"mutation": "o", "copy_number": "s", "expression": "^"}
DPI = 120
#: At most this many non-significant tests are drawn per volcano panel (a fixed random subset).
MAX_BACKGROUND = 50_000


def mpl_text(s: object) -> str:
    """User text safe for matplotlib: a ``$`` never starts mathtext."""
    return str(s).replace("$", r"\$")


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_png(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png", facecolor="white")
    fig.clear()
    return path


# ------------------------------------------------------------------------------------------ DAG
_DAG_FONT = 11.0  # points
_INCH_PER_UNIT = 1.3  # layout unit -> inches at full size
_MAX_DAG_WIDTH = 20.0  # inches; wider graphs are drawn smaller (font included)


def _label_inches(label: str, font: float) -> float:
    """Approximate width of a node's text box (DejaVu Sans: ~0.6 em per character, 0.4 em padding)."""
    return (0.6 * len(label) + 1.2) * font / 72.0


def spread_layout(pos: dict[str, tuple[float, float]], font: float = _DAG_FONT,
                  inch_per_unit: float = _INCH_PER_UNIT) -> dict[str, tuple[float, float]]:
    """Positions with the median nearest-neighbour distance scaled to 1 and the nodes of each row
    pushed apart (order kept, row centre kept) until their labels cannot overlap."""
    names = list(pos)
    xy = np.array([pos[v] for v in names], dtype=float).reshape(-1, 2)
    if len(names) > 1:
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        d[d == 0] = np.inf
        nearest = d.min(axis=1)
        scale = float(np.median(nearest[np.isfinite(nearest)])) if np.isfinite(nearest).any() else 1.0
        xy = xy / (scale or 1.0)
    rows: dict[float, list[int]] = {}
    for i, y in enumerate(xy[:, 1]):
        rows.setdefault(round(float(y), 6), []).append(i)
    for members in rows.values():
        members.sort(key=lambda i: xy[i, 0])
        xs = xy[members, 0].copy()
        for j in range(1, len(members)):
            a, b = names[members[j - 1]], names[members[j]]
            gap = ((_label_inches(a, font) + _label_inches(b, font)) / 2 + 0.3) / inch_per_unit
            xs[j] = max(xs[j], xs[j - 1] + gap)
        xy[members, 0] = xs - (xs.mean() - xy[members, 0].mean())
    return {v: (float(x), float(y)) for v, (x, y) in zip(names, xy, strict=True)}


def dag_figure(dag: Any, adjustment_set: Iterable[str] | None, title: str | None = None) -> Figure:
    """The DAG with roles coloured and ``adjustment_set`` highlighted (legend beside the graph).

    Rows of the layout are spread so that long node names do not overlap; a graph too wide for
    the page is drawn smaller, text included.
    """
    from radiocausal.graph.drawing import draw, layout_positions

    pos = spread_layout(layout_positions(dag))
    xs = [x for x, _ in pos.values()] or [0.0]
    ys = [y for _, y in pos.values()] or [0.0]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    # draw() pads the data range by 15 % + 0.5 unit on each side; ~2.9 in on the right hold the legend
    width = _INCH_PER_UNIT * (1.3 * span_x + 1.0)
    below = width > 9.0  # a wide graph keeps its width for the nodes: legend underneath, not beside
    width += 0.4 if below else 2.9
    shrink = min(1.0, _MAX_DAG_WIDTH / width)
    height = min(1.2 + 1.25 * (1.24 * span_y + 0.8), 12.0) + (0.6 if below else 0.0)
    fig = _new_figure(width * shrink, max(height * shrink, 2.5))
    ax = fig.subplots()
    font = max(_DAG_FONT * shrink, 6.0)
    draw(dag, ax, adjustment_set=list(adjustment_set or []), title=mpl_text(title) if title else "", legend=True,
         legend_loc="outside", font_size=font, layout=pos)
    legend = ax.get_legend()
    if below and legend is not None:
        handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
        legend.remove()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False, fontsize=font - 1)
    return fig


# ------------------------------------------------------------------------------------ stability
def stability_figure(stability: pd.DataFrame, threshold: float | None) -> Figure:
    """ICC histogram (kept vs dropped) and every feature's ICC with its interval, ranked."""
    from matplotlib.ticker import MaxNLocator

    df = stability[np.isfinite(stability["icc"].to_numpy(dtype=float))].sort_values("icc", kind="stable")
    fig = _new_figure(11, 4.2)
    ax_hist, ax_rank = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    icc = df["icc"].to_numpy(dtype=float)
    kept = df["stable"].to_numpy(dtype=bool)
    lo = min(float(icc.min()) if icc.size else 0.0, threshold if threshold is not None else 1.0, 0.0)
    bins = np.linspace(lo, 1.0, 26)
    ax_hist.hist(
        [icc[kept], icc[~kept]],
        bins=bins,
        stacked=True,
        color=[OKABE_ITO["blue"], OKABE_ITO["vermillion"]],
        label=[f"kept ({int(kept.sum())})", f"dropped ({int((~kept).sum())})"],
        edgecolor="white",
        linewidth=0.5,
    )
    ax_hist.set_xlabel("ICC (test-retest)")
    ax_hist.set_ylabel("number of features")
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_hist.set_title("ICC distribution")

    x = np.arange(1, len(df) + 1)
    ci_lo = df["ci_low"].to_numpy(dtype=float)
    ci_hi = df["ci_high"].to_numpy(dtype=float)
    has_ci = np.isfinite(ci_lo) & np.isfinite(ci_hi)
    if has_ci.any() and len(df) <= 60:
        ax_rank.errorbar(x[has_ci], icc[has_ci], yerr=[icc[has_ci] - ci_lo[has_ci], ci_hi[has_ci] - icc[has_ci]],
                         fmt="none", ecolor=OKABE_ITO["grey"], elinewidth=1.2, label="95 % interval")
    elif has_ci.any():
        ax_rank.fill_between(x, np.where(has_ci, ci_lo, icc), np.where(has_ci, ci_hi, icc), color=OKABE_ITO["grey"],
                             alpha=0.35, linewidth=0, label="95 % interval", step="mid")
    size = 14 if len(df) <= 200 else 6
    ax_rank.scatter(x[kept], icc[kept], s=size, color=OKABE_ITO["blue"], marker="o", label="kept", zorder=3)
    ax_rank.scatter(x[~kept], icc[~kept], s=size, color=OKABE_ITO["vermillion"], marker="x", label="dropped", zorder=3)
    ax_rank.set_xlabel("feature, ranked by ICC")
    ax_rank.set_ylabel("ICC")
    ax_rank.set_title("every feature's ICC")
    ax_rank.set_xlim(0, len(df) + 1)
    if threshold is not None:
        for ax, vertical in ((ax_hist, True), (ax_rank, False)):
            line = ax.axvline if vertical else ax.axhline
            line(threshold, color=OKABE_ITO["black"], linestyle="--", linewidth=1.2, label=f"threshold {threshold:g}")
    ax_hist.legend(frameon=False, loc="upper left")
    ax_rank.legend(frameon=False, loc="lower right")
    return fig


# ---------------------------------------------------------------------------------------- scan
def _neg_log10(p: np.ndarray) -> np.ndarray:
    tiny = np.nextafter(0, 1)
    return -np.log10(np.clip(p, tiny, 1.0))


def _symlog_ticks(linthresh: float, largest: float) -> list[float]:
    """0 and about three decades each side, between ``linthresh`` and ``largest``."""
    lo, hi = math.ceil(math.log10(linthresh)), math.floor(math.log10(largest))
    step = max(1, math.ceil((hi - lo + 1) / 3))
    decades = [10.0**k for k in range(hi, lo - 1, -step)]
    return sorted([0.0, *decades, *(-d for d in decades)])


def _decade_label(value: float, _pos: Any = None) -> str:
    if value == 0:
        return "0"
    return ("−" if value < 0 else "") + f"1e{round(math.log10(abs(value)))}"


def volcano_figure(scan: pd.DataFrame, alpha: float) -> Figure:
    """Estimate vs -log10 p, unadjusted and DAG-adjusted side by side; FDR-significant points marked.

    When the estimates span more than three orders of magnitude (features in different units)
    the estimate axis is symmetric-logarithmic, linear within the median absolute estimate.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullLocator

    panels = [(False, "unadjusted"), (True, "DAG-adjusted")]
    panels = [(flag, name) for flag, name in panels if (scan["adjusted"] == flag).any()]
    fig = _new_figure(5.2 * len(panels) + 0.6, 4.6)
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True, squeeze=False)[0])
    tested = scan[np.isfinite(scan["p_value"].to_numpy(dtype=float)) & np.isfinite(scan["estimate"].to_numpy(dtype=float))]
    ymax = float(_neg_log10(tested["p_value"].to_numpy(dtype=float)).max()) if len(tested) else 1.0
    kinds = [k for k in KIND_MARKERS if (tested["kind"] == k).any()] + sorted(set(tested["kind"]) - set(KIND_MARKERS))
    subsampled = any_hit = False
    # estimates on very different scales (raw features of different units): a symmetric log axis
    size = np.abs(tested["estimate"].to_numpy(dtype=float))
    size = size[size > 0]
    linthresh = float(np.median(size)) if size.size else 0.0
    symlog = size.size > 0 and float(np.percentile(size, 99)) > 1e3 * linthresh
    for ax, (flag, name) in zip(axes, panels, strict=True):
        part = tested[tested["adjusted"] == flag]
        q = part["q_value"].to_numpy(dtype=float)
        sig = np.isfinite(q) & (q <= alpha)
        y = _neg_log10(part["p_value"].to_numpy(dtype=float))
        est = part["estimate"].to_numpy(dtype=float)
        many = len(part) > 5000
        background = ~sig
        if background.sum() > MAX_BACKGROUND:
            # a fixed random subset of the non-significant tests keeps huge scans drawable; all hits are drawn
            keep = np.random.default_rng(0).choice(np.flatnonzero(background), MAX_BACKGROUND, replace=False)
            background = np.zeros_like(background)
            background[keep] = True
            subsampled = True
        for kind in kinds:
            k = (part["kind"] == kind).to_numpy()
            marker = KIND_MARKERS.get(kind, "D")
            ax.scatter(est[k & background], y[k & background], s=12, marker=marker, color=OKABE_ITO["grey"],
                       alpha=0.55, linewidths=0, rasterized=many)
            ax.scatter(est[k & sig], y[k & sig], s=26, marker=marker, color=OKABE_ITO["vermillion"],
                       edgecolors="black", linewidths=0.4, rasterized=many, zorder=3)
        if sig.any():
            # q is monotone in p (BH, BY, Holm, Bonferroni, Storey): every p up to the largest significant p passes
            cut = float(part["p_value"].to_numpy(dtype=float)[sig].max())
            ax.axhline(-math.log10(max(cut, np.nextafter(0, 1))), color=OKABE_ITO["black"], linestyle="--",
                       linewidth=1.0)
        ax.axvline(0.0, color=OKABE_ITO["grey"], linewidth=0.8)
        ax.set_title(f"{name}: {int(sig.sum()):,} of {len(part):,} tests with q ≤ {alpha:g}")
        any_hit = any_hit or bool(sig.any())
        if symlog:
            ax.set_xscale("symlog", linthresh=linthresh)
            ax.set_xticks(_symlog_ticks(linthresh, float(size.max())))
            ax.xaxis.set_major_formatter(FuncFormatter(_decade_label))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xlabel(f"estimate (symmetric log scale, linear within ±{linthresh:.2g})")
        else:
            ax.set_xlabel("estimate")
        ax.grid(alpha=0.25)
    axes[0].set_ylabel("−log10 p")
    axes[0].set_ylim(0, ymax * 1.08 + 0.1)
    handles = [
        Line2D([], [], linestyle="", marker="o", color=OKABE_ITO["vermillion"], markeredgecolor="black",
               label=f"q ≤ {alpha:g}"),
        Line2D([], [], linestyle="", marker="o", color=OKABE_ITO["grey"],
               label=f"not significant (random {MAX_BACKGROUND:,} per panel)" if subsampled else "not significant"),
    ]
    if any_hit:
        handles.append(Line2D([], [], linestyle="--", color=OKABE_ITO["black"], label="cut-off (largest significant p)"))
    handles += [
        Line2D([], [], linestyle="", marker=KIND_MARKERS.get(k, "D"), color="#555555", label=mpl_text(k.replace("_", " ")))
        for k in kinds
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), frameon=False)
    return fig


# -------------------------------------------------------------------------------------- forests
def _forest(fig: Figure, labels: list[str], rows: list[list[dict[str, Any]]], truth: list[Any], xlabel: str) -> list[Any]:
    """One row of axes per label; ``rows[i]`` holds the series (mean, lo, hi, colour, marker) of row i.

    The rows share their x axis when their intervals are on comparable scales; otherwise (e.g.
    effects on features measured in different units) each row gets its own axis.  Returns the axes.
    """
    def extent(i: int) -> tuple[float, float]:
        vals = [v for s in rows[i] for v in (s["lo"], s["hi"])]
        if truth[i] is not None and np.isfinite(truth[i]):
            vals.append(float(truth[i]))
        return min(vals), max(vals)

    n = len(labels)
    spans = [max(hi - lo, 1e-12) for lo, hi in map(extent, range(n))]
    shared = max(spans) <= 10 * min(spans)
    axes = fig.subplots(n, 1, sharex=shared, squeeze=False)[:, 0]
    for i, ax in enumerate(axes):
        series = rows[i]
        k = len(series)
        offsets = np.linspace(0.18, -0.18, k) if k > 1 else [0.0]
        for off, s in zip(offsets, series, strict=True):
            ax.plot([s["lo"], s["hi"]], [off, off], color=s["colour"], linewidth=2.4, solid_capstyle="butt")
            ax.plot([s["mean"]], [off], marker=s["marker"], color=s["colour"], markersize=7, markeredgecolor="black",
                    markeredgewidth=0.5, linestyle="")
        t = truth[i]
        if t is not None and np.isfinite(t):
            ax.plot([t], [0.0], marker="D", color="white", markeredgecolor="black", markersize=8, markeredgewidth=1.5,
                    linestyle="", zorder=4)
        lo, hi = (min(e[0] for e in map(extent, range(n))), max(e[1] for e in map(extent, range(n)))) if shared \
            else extent(i)
        if lo - 0.3 * (hi - lo) <= 0.0 <= hi + 0.3 * (hi - lo):  # zero only when it is near the estimates
            ax.axvline(0.0, color=OKABE_ITO["grey"], linewidth=0.9, zorder=0)
        ax.set_ylim(-0.45, 0.45)
        ax.set_yticks([0.0])
        ax.set_yticklabels([mpl_text(labels[i])])
        ax.grid(axis="x", alpha=0.25)
        if shared and i < n - 1:
            ax.tick_params(axis="x", length=0)
    axes[-1].set_xlabel(xlabel if shared else f"{xlabel}\n(each row on its own scale)")
    return list(axes)


def _forest_width(labels: list[str]) -> float:
    """Wide enough that long row labels leave the intervals about 5 inches."""
    return min(max(8.5, 5.5 + 0.085 * max((len(s) for s in labels), default=0)), 16.0)


def forest_figure(effects: pd.DataFrame) -> Figure:
    """Adjusted vs unadjusted posterior effects per exposure -> outcome pair (94 % HDI), truth marked."""
    from matplotlib.lines import Line2D

    style = {
        "adjusted": (OKABE_ITO["blue"], "s", "DAG-adjusted"),
        "unadjusted": (OKABE_ITO["orange"], "o", "unadjusted"),
    }
    pairs = list(dict.fromkeys(zip(effects["exposure"], effects["outcome"], strict=True)))
    labels, rows, truth = [], [], []
    for x, y in pairs:
        sub = effects[(effects["exposure"] == x) & (effects["outcome"] == y)]
        series = []
        for model in ("adjusted", "unadjusted"):
            r = sub[sub["model"] == model]
            if len(r):
                r = r.iloc[0]
                colour, marker, _ = style[model]
                series.append({"mean": r["mean"], "lo": r["hdi_3%"], "hi": r["hdi_97%"], "colour": colour, "marker": marker})
        t = sub["truth"].dropna()
        labels.append(f"{x} → {y}")
        rows.append(series)
        truth.append(float(t.iloc[0]) if len(t) else None)
    fig = _new_figure(_forest_width(labels), 1.4 + 0.8 * len(pairs))
    _forest(fig, labels, rows, truth, "posterior effect (mean and 94 % HDI)")
    present = [m for m in ("adjusted", "unadjusted") if (effects["model"] == m).any()]
    handles = [
        Line2D([], [], color=style[m][0], marker=style[m][1], markeredgecolor="black", linewidth=2.2, label=style[m][2])
        for m in present
    ]
    if any(t is not None for t in truth):
        handles.append(Line2D([], [], linestyle="", marker="D", color="white", markeredgecolor="black",
                              markeredgewidth=1.5, label="simulated truth"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


def contrast_label(row: Any) -> str:
    """``"do(X=1) − do(X=0)"`` for a row of interventions.csv (the intervention alone without a baseline)."""
    return f"{row['intervention']} − {row['baseline']}" if row["baseline"] else str(row["intervention"])


def interventions_figure(interventions: pd.DataFrame) -> Figure:
    """One interval per do-contrast (mean and 94 % HDI), truth marked."""
    from matplotlib.lines import Line2D

    labels, rows, truth = [], [], []
    for _, r in interventions.iterrows():
        labels.append(f"{r['target']}: {contrast_label(r)}")
        rows.append([{"mean": r["mean"], "lo": r["hdi_3%"], "hi": r["hdi_97%"], "colour": OKABE_ITO["green"], "marker": "o"}])
        truth.append(r["truth"])
    fig = _new_figure(_forest_width(labels), 1.4 + 0.6 * len(labels))
    _forest(fig, labels, rows, truth, "effect of the intervention on the target (mean and 94 % HDI)")
    handles = [Line2D([], [], color=OKABE_ITO["green"], marker="o", markeredgecolor="black", linewidth=2.2,
                      label="posterior")]
    if np.isfinite(interventions["truth"].to_numpy(dtype=float)).any():
        handles.append(Line2D([], [], linestyle="", marker="D", color="white", markeredgecolor="black",
                              markeredgewidth=1.5, label="simulated truth"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


# ------------------------------------------------------------------------------------- factors
def variance_heatmap(ve: pd.DataFrame, intervals: pd.DataFrame | None = None) -> Figure:
    """Factors x views heatmap of the fraction of variance explained, cells annotated (with intervals)."""
    values = ve.to_numpy(dtype=float)
    n_f, n_v = values.shape
    cell_w = 1.5 if intervals is not None else 1.1
    fig = _new_figure(max(4.5, 2.6 + cell_w * n_v), max(2.8, 1.4 + 0.5 * n_f * (1.4 if intervals is not None else 1)))
    ax = fig.subplots()
    vmax = max(float(values.max()), 1e-9)
    im = ax.imshow(values, cmap="cividis", vmin=0.0, vmax=vmax, aspect="auto")
    bounds = {}
    if intervals is not None:
        bounds = {(r.factor, r.view): (r.lower, r.upper) for r in intervals.itertuples(index=False)}
    for i, f in enumerate(ve.index):
        for j, v in enumerate(ve.columns):
            val = values[i, j]
            text = f"{100 * val:.1f}%"
            if (f, v) in bounds:
                lo, hi = bounds[(f, v)]
                text += f"\n[{100 * lo:.1f}, {100 * hi:.1f}]"
            ax.text(j, i, text, ha="center", va="center", fontsize=8.5,
                    color="black" if val > 0.55 * vmax else "white")
    ax.set_xticks(range(n_v))
    ax.set_xticklabels([mpl_text(v) for v in ve.columns], rotation=30 if n_v > 4 else 0, ha="right" if n_v > 4 else "center")
    ax.set_yticks(range(n_f))
    ax.set_yticklabels([mpl_text(f) for f in ve.index])
    ax.set_xlabel("view")
    ax.set_ylabel("factor")
    cbar = fig.colorbar(im, ax=ax, shrink=0.9)
    cbar.set_label("fraction of variance explained")
    return fig
