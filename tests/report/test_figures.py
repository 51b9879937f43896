"""The report's figures: what each one draws, and that user text never breaks them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiocausal.graph import CausalDAG
from radiocausal.report import _figures as figs
from radiocausal.report import load_results


def _renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the report's figures have no pyplot canvas of their own
    canvas.draw()
    return canvas.get_renderer()


def test_dag_figure_highlights_the_set_and_keeps_the_legend_clear_of_the_nodes():
    dag = CausalDAG.from_dagitty("dag { X [exposure] Y [outcome] s [batch] g -> X -> Y <- g ; s -> X ; s -> Y }")
    fig = figs.dag_figure(dag, ["g", "s"], "X → Y")
    ax = fig.axes[0]
    r = _renderer(fig)
    legend = ax.get_legend().get_window_extent(r)
    nodes = {t.get_gid(): t.get_bbox_patch() for t in ax.texts}
    assert set(nodes) == {"node:X", "node:Y", "node:g", "node:s"}
    for gid, patch in nodes.items():
        assert patch.get_window_extent(r).x1 < legend.x0, gid  # legend to the right of every node
    # the adjustment set: thick outline; the others thin
    assert nodes["node:g"].get_linewidth() == nodes["node:s"].get_linewidth() == 3.0
    assert nodes["node:X"].get_linewidth() == 1.0
    assert "adjusted for" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_dollar_signs_in_user_text_are_not_mathtext(tmp_path: Path):
    dag = CausalDAG.from_dagitty('dag { "cost_$a" [exposure] "$y$" [outcome] "cost_$a" -> "$y$" }')
    fig = figs.dag_figure(dag, [], "$x$")
    assert sorted(t.get_text() for t in fig.axes[0].texts) == [r"\$y\$", r"cost_\$a"]
    ve = pd.DataFrame([[0.2, 0.1]], index=["F$1$"], columns=["$a$", "b"])
    path = figs.save_png(figs.variance_heatmap(ve), tmp_path / "ve.png")  # would raise on bad mathtext
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_volcano_panels_and_counts(results_dir: Path):
    scan = load_results(results_dir).scan
    fig = figs.volcano_figure(scan, 0.05)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["unadjusted: 4 of 47 tests with q ≤ 0.05", "DAG-adjusted: 1 of 47 tests with q ≤ 0.05"]
    # only the adjusted model: one panel; the significance line sits at the largest significant p
    fig = figs.volcano_figure(scan[scan["adjusted"]], 0.05)
    (ax,) = fig.axes
    sig_p = scan.loc[scan["adjusted"] & (scan["q_value"] <= 0.05), "p_value"].max()
    (line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert line.get_ydata()[0] == pytest.approx(-np.log10(sig_p))


def _lines(fig):
    return [ln for ax in fig.axes for ln in ax.get_lines()]


def test_forest_rows_truth_and_heatmap_cells(results_dir: Path, tmp_path: Path):
    res = load_results(results_dir)
    fig = figs.forest_figure(res.effects)
    assert [ax.get_yticklabels()[0].get_text() for ax in fig.axes] == ["EGFR → texture", "grade → texture"]
    truth = [ln for ln in _lines(fig) if ln.get_marker() == "D"]
    assert sorted(ln.get_xdata()[0] for ln in truth) == [0.5, 1.0]
    intervals = [tuple(ln.get_xdata()) for ln in _lines(fig) if len(ln.get_xdata()) == 2]
    assert (0.745, 1.311) in intervals and (1.611, 2.132) in intervals
    assert fig.axes[-1].get_xlabel() == "posterior effect (mean and 94 % HDI)"  # comparable scales: one axis

    # effects on features in different units: each row on its own scale
    mixed = res.effects.copy()
    mixed.loc[mixed["exposure"] == "grade", ["mean", "hdi_3%", "hdi_97%", "truth"]] *= 1000
    fig = figs.forest_figure(mixed)
    assert fig.axes[-1].get_xlabel().endswith("(each row on its own scale)")
    assert fig.axes[1].get_xlim()[0] > 100  # the scaled row is not squashed next to 0

    fig = figs.interventions_figure(res.interventions)
    labels = [ax.get_yticklabels()[0].get_text() for ax in fig.axes]
    assert labels[0] == "texture: do(EGFR=1) − do(EGFR=0)"
    assert len([ln for ln in _lines(fig) if ln.get_marker() == "D"]) == 2  # one row has no truth

    fig = figs.variance_heatmap(res.variance_explained, res.variance_intervals)
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert len(cells) == 9 and cells[0] == "31.2%\n[28.2, 35.2]"
    path = figs.save_png(fig, tmp_path / "sub" / "ve.png")
    assert path.is_file() and not fig.axes  # saved, then cleared


def test_stability_figure_without_threshold_or_intervals():
    st = pd.DataFrame({"feature": list("abcd"), "icc": [0.2, 0.95, np.nan, 0.8], "ci_low": np.nan, "ci_high": np.nan,
                       "stable": [False, True, False, True]})
    fig = figs.stability_figure(st, None)
    hist, rank = fig.axes
    assert not [ln for ln in hist.get_lines() if ln.get_linestyle() == "--"]
    assert [t.get_text() for t in hist.get_legend().get_texts()] == ["kept (2)", "dropped (1)"]


def test_huge_scans_draw_every_hit_and_a_fixed_subset_of_the_rest(results_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(figs, "MAX_BACKGROUND", 10)
    scan = load_results(results_dir).scan
    fig = figs.volcano_figure(scan[~scan["adjusted"]], 0.05)
    (ax,) = fig.axes
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == 10 + 4  # 10 of the 43 non-significant tests, all 4 hits
    assert ax.get_title() == "unadjusted: 4 of 47 tests with q ≤ 0.05"
    assert "not significant (random 10 per panel)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_long_node_names_in_one_row_do_not_overlap():
    names = ["other_mutations_of_the_tumour", "other_copy_number_segments", "x", "expression_programme_A"]
    dag = CausalDAG([(v, "outcome_phenotype") for v in names], roles={"x": ("exposure",), "outcome_phenotype": ("outcome",)})
    fig = figs.dag_figure(dag, [], None)
    ax = fig.axes[0]
    r = _renderer(fig)
    boxes = sorted((t.get_bbox_patch().get_window_extent(r) for t in ax.texts if t.get_gid() != "node:outcome_phenotype"),
                   key=lambda b: b.x0)
    assert len(boxes) == 4
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 < right.x0  # every label box clear of its neighbour
    # a wide graph keeps the width for its nodes: the legend goes underneath, below every node
    assert ax.get_legend() is None and len(fig.legends) == 1
    legend = fig.legends[0].get_window_extent(r)
    assert all(legend.y1 < t.get_bbox_patch().get_window_extent(r).y0 for t in ax.texts)


def test_estimates_on_very_different_scales_get_a_symlog_axis(results_dir: Path):
    scan = load_results(results_dir).scan
    assert figs.volcano_figure(scan, 0.05).axes[0].get_xscale() == "linear"
    scan = scan.assign(estimate=scan["estimate"] * np.where(scan["feature"].str.contains("shape"), 1e6, 1.0))
    ax = figs.volcano_figure(scan, 0.05).axes[0]
    assert ax.get_xscale() == "symlog"
    ticks = list(ax.get_xticks())
    assert 0.0 in ticks and len(ticks) <= 9 and ax.get_xlabel().startswith("estimate (symmetric log scale")
