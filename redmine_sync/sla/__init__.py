"""SLA clocks: business calendars, issue timelines and the clock computation.

Pure time arithmetic on the plain model; nothing here knows the rule language. The SLA
policies (``rules/sla_policy.py``) and the engine's SLA stage (``rules/sla_stage.py``)
are written in that language and live in ``rules/``; verdicts kept for stopped clocks
are in ``sla_verdict.py``.
"""

from __future__ import annotations
