"""Shared test settings: hypothesis profiles, the backend under test, the Scalar-class fixture ``S``."""

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


@pytest.fixture(params=["reference", "compiled"])
def S(request):
    """The Scalar class under test: the reference one, then the compiled one (skipped if not built)."""
    if request.param == "reference":
        from microgradx.nodes.scalar import Scalar

        return Scalar
    return pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built").Scalar


@pytest.fixture(autouse=True)
def _numpy_errors_quiet():
    with np.errstate(all="ignore"):
        yield


def pytest_report_header(config):
    import microgradx

    return f"microgradx backend: {microgradx.backend()}"
