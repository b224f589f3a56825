"""Memory soak of the four training styles (issue 15, section 9), at a size CI can afford.

The styles come from ``bench/soak.py`` (its long version prints RSS per 1,000 steps).
Each must keep no history from one step to the next: the number of live graph nodes
is the same after 400 more steps, and RSS grows by less than 20 MB.
"""

import gc
import importlib.util
import os
from pathlib import Path

import pytest

from microgradx.core.dispatch import node_types

_path = Path(__file__).resolve().parent.parent / "bench" / "soak.py"
if not _path.exists():
    pytest.skip("bench/soak.py is not beside the tests (installed package)", allow_module_level=True)
_spec = importlib.util.spec_from_file_location("soak", _path)
soak = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(soak)


def live_nodes() -> int:
    gc.collect()
    types = node_types()
    return sum(1 for o in gc.get_objects() if isinstance(o, types))


@pytest.mark.parametrize("style", list(soak.STYLES))
def test_training_style_keeps_no_history(style):
    step = soak.STYLES[style]()
    losses = [step() for _ in range(20)]
    nodes = live_nodes()
    rss = soak.rss_bytes()
    losses += [step() for _ in range(400)]
    assert live_nodes() <= nodes, f"{style}: graph nodes pile up from step to step"
    if os.path.exists("/proc/self/statm"):
        grown = soak.rss_bytes() - rss
        assert grown < 20 * 2**20, f"{style}: RSS grew by {grown / 2**20:.1f} MB in 400 steps"
    assert losses[-1] < losses[0]  # and it trains
