"""Fixtures for the RLM tests."""

import pytest

from .support import big_log


@pytest.fixture(scope="session")
def big_log_text() -> str:
    return big_log()
