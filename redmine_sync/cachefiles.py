"""Where the tool keeps data it can rebuild, and how a file gets there whole.

systemd's ``CacheDirectory=`` (``$CACHE_DIRECTORY``) comes first, else
``$XDG_CACHE_HOME/redmine-sync`` or ``~/.cache/redmine-sync``. A file is written beside its
place and renamed over it, so a reader sees the old file or the new one, never half.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """Where the tool keeps data it can rebuild (systemd's CacheDirectory= first)."""
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "redmine-sync"


def write(path: Path, data: bytes) -> None:
    """``data`` to ``path`` atomically (the directory is made); raises ``OSError``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
