"""Self-contained HTML report of a run directory."""

from genlab.report.html import build_report

__all__ = ["build_report"]
