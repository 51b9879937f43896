"""The self-contained HTML report of ``radiocausal analyze``.

:func:`write_report` reads a results folder (``run.json`` and whichever artefacts the run
wrote: ``dag.dag``, ``dag_check.json``, ``stability/``, ``scan/``, ``bayes/``,
``interventions/``, ``factors/``, ``truth.json``), draws the figures into ``figures/`` and writes
``report.html`` with the figures embedded, so the page can be mailed or archived on its own and
re-rendered later from the folder alone.  :func:`load_results` reads and checks the folder;
corrupt or inconsistent files raise :class:`~radiocausal.errors.DataError` naming the file.

Examples
--------
>>> import json, pathlib, tempfile
>>> from radiocausal.report import write_report
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> _ = (out / "run.json").write_text(json.dumps({"study": "demo", "steps": {}}))
>>> write_report(out).name
'report.html'
"""

from radiocausal.report._html import write_report
from radiocausal.report._results import STEPS, Results, load_results

__all__ = ["write_report", "load_results", "Results", "STEPS"]
