"""The mlx-examples MNIST MLP (examples/mlx_mnist/main.py) runs unmodified on microgradx and tracks real MLX."""

import os
import sys

import pytest

pytest.importorskip("mlx.core")
pytest.importorskip("sklearn")

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "mlx_mnist")
sys.path.insert(0, HERE)
import compare  # noqa: E402


def test_mnist_losses_per_epoch_match_mlx(tmp_path):
    init = str(tmp_path / "init.npz")
    theirs = compare.run([sys.executable, "main.py", "--epochs", "2", "--save-init", init])
    prefix, _ = compare.ours_command()
    ours = compare.run(prefix + ["main.py", "--epochs", "2", "--load-init", init])
    assert len(ours) == len(theirs) == 2
    for (e1, loss1, acc1), (e2, loss2, acc2) in zip(theirs, ours):
        assert e1 == e2
        assert abs(loss1 - loss2) <= 1e-5          # observed at most 5.1e-7 over 10 epochs
        assert abs(acc1 - acc2) <= 1e-3            # the same predictions (accuracy printed to 3 digits)
    assert ours[-1][1] < ours[0][1]                 # and it trains
