"""Reports: weekly, KPI, customer and periodic summaries posted as wiki pages."""

from __future__ import annotations
