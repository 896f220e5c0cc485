"""The self-contained HTML report of an index, and the notebook display of result objects.

>>> import mfgindex as mi
>>> from mfgindex import report
>>> fw = mi.load_framework("city")
>>> res = mi.compute(fw, mi.read_data(None, fw))
>>> html = report.build(res, top=100, units=["320500"])      # doctest: +SKIP
>>> report.write(html, "report.html")                          # doctest: +SKIP

The report is one HTML file that opens offline: figures are inline SVG with their text kept as
text (so the browser renders Chinese with its own fonts), the CSS is inline, there is no script,
and a Content-Security-Policy forbids every network request. Every text from the data (unit
names, provinces) is escaped by jinja2's autoescaping. Needs the ``[plot]`` extra.
"""

from __future__ import annotations

from mfgindex.report.build import build, write
from mfgindex.report.notebook import coherence_html, result_html, sensitivity_html, uncertainty_html

__all__ = ["build", "coherence_html", "result_html", "sensitivity_html", "uncertainty_html", "write"]
