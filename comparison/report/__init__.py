"""Reports: document model, Markdown/HTML rendering, figures and sections (all matplotlib lives here).

A report is drawn from :class:`~comparison.agreement.Analysis` objects (read back
from ``fits.json``) and from the paper-section data of
:mod:`comparison.paper_data`; it never re-fits or re-simulates.

Public names: :class:`Report`, :func:`write_report`, :func:`build_report`,
:func:`verdict_table`, :func:`paper_sections`, :func:`df_to_markdown`,
:func:`setup_mpl`, :func:`verdict_summary`; the print style (``SINGLE``/``DOUBLE``
column widths, ``DPI``, the Okabe-Ito ``PALETTE``, mathtext ``LABELS``) lives in
:mod:`comparison.report.style`, the PDF printing in :mod:`comparison.report.pdf`.

>>> from comparison.report import Report, df_to_markdown
>>> import pandas as pd
>>> print(df_to_markdown(pd.DataFrame({"quantity": ["nu"], "z": [0.5]})))
| quantity | z |
| --- | --- |
| nu | 0.5 |
"""
from .document import FORMATS, Report, df_to_markdown, write_report
from .paper import paper_sections
from .sections import add_runset_section, build_report, verdict_summary, verdict_table
from .style import DOUBLE, DPI, LABELS, PALETTE, SINGLE, setup_mpl

__all__ = ["Report", "write_report", "build_report", "verdict_table", "verdict_summary", "add_runset_section",
           "paper_sections", "df_to_markdown", "setup_mpl", "FORMATS", "PALETTE", "LABELS", "SINGLE", "DOUBLE",
           "DPI"]
