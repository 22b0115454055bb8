"""Unit tests share one process: the district directory in force (libs/directory/live.py) is process-wide, and a
portal test that publishes a version (or its background sync adopting one) must not leave it for the next test."""
from __future__ import annotations

import pytest

from libs.directory import live


@pytest.fixture(autouse=True)
def directory_from_the_file():  # noqa: ANN201 - a fixture
    live.reset_to_file()
    yield
    live.reset_to_file()
