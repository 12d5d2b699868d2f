from __future__ import annotations

import pytest

from tests.contract.conftest import live_env


@pytest.fixture(scope="session")
def local_redmine() -> dict[str, str]:
    """URL and keys of the local Redmine (scripts/redmine-local); fails when it is not up."""
    return live_env()
