"""``python -m redmine_sync`` runs the command line."""

from __future__ import annotations

import sys

from redmine_sync.cli import main

sys.exit(main())
