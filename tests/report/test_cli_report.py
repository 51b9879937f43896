"""`radiocausal report RESULTS_DIR`: re-render a results folder from the command line."""

from __future__ import annotations

from pathlib import Path

from radiocausal.cli import main


def test_report_subcommand_writes_the_page_and_prints_its_path(results_dir: Path, capsys) -> None:
    (results_dir / "report.html").unlink(missing_ok=True)
    assert main(["report", str(results_dir), "--title", "re-rendered"]) == 0
    page = results_dir / "report.html"
    assert capsys.readouterr().out.strip() == str(page)
    assert "re-rendered" in page.read_text(encoding="utf-8")


def test_report_subcommand_exits_2_naming_a_corrupt_file(results_dir: Path, capsys) -> None:
    (results_dir / "run.json").write_text("{not json", encoding="utf-8")
    assert main(["report", str(results_dir)]) == 2
    assert "run.json" in capsys.readouterr().err
