"""Shared test settings: hypothesis profiles and the backend under test."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("MICROGRADX_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _numpy_errors_quiet():
    with np.errstate(all="ignore"):
        yield


def pytest_report_header(config):
    import microgradx

    return f"microgradx backend: {microgradx.backend()}"
