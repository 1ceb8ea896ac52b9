"""Self-contained, offline HTML reports.

A :class:`Report` is a list of sections; each capability adds its own section builder (see
``sections_*.py``), so the demo report grows without this module changing. Figures are plain plotly
figures (``crossbook.report.figures``), usable in notebooks as they are.
"""

from crossbook.report.page import Report, Section, table_html

__all__ = ["Report", "Section", "table_html"]
