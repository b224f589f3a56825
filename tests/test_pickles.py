"""Pickles written by microgradx 0.1.0 still load (they name its module paths, e.g. ``microgradx.scalar``).

The fixtures in ``tests/data`` were written by the 0.1.0 code, before the
package was laid out in layers; ``microgradx/__init__.py`` keeps the old
module names as aliases of the new modules.
"""

import pickle
from pathlib import Path

import numpy as np
import pytest

import microgradx as mgx

DATA = Path(__file__).parent / "data"


def test_pickles_from_0_1_0_load_and_still_differentiate():
    objs = pickle.loads((DATA / "pickles_0_1_0.pkl").read_bytes())
    y = objs["scalar_graph"]  # y = a * 3 + tanh(a) at a = 2, backward() already run
    assert y.data == pytest.approx(6.0 + np.tanh(2.0))
    assert objs["scalar_leaf"].grad == pytest.approx(3.0 + 1 - np.tanh(2.0) ** 2)
    a = y._parents[0]._parents[0]
    a.zero_grad()
    y.backward()
    assert a.grad == pytest.approx(3.0 + 1 - np.tanh(2.0) ** 2)
    assert objs["tensor"].label == "t" and objs["tensor"].tolist() == [1.0, 2.0]
    assert repr(objs["dual"]) == "Dual(3.0 + 1.0ε)"
    assert len(objs["mlp"].parameters()) == 3 * 3 + 4
    out = objs["tensor_mlp"](mgx.array([[1.0, 2.0]]))
    assert out.shape == (1, 1)
    assert objs["linear"].weight.shape == (2, 3)
    assert objs["sequential"](mgx.array([[1.0, 2.0]])).shape == (1, 1)
    assert type(objs["adam"]).__name__ == "Adam"


def test_compiled_scalar_pickles_from_0_1_0_load():
    pytest.importorskip("microgradx._ext.scalar")
    objs = pickle.loads((DATA / "pickles_0_1_0_compiled.pkl").read_bytes())
    assert objs["scalar_graph"].data == pytest.approx(6.0 + np.tanh(2.0))
    assert objs["scalar_leaf"].grad == pytest.approx(3.0 + 1 - np.tanh(2.0) ** 2)
