"""``python -m microgradx.mlx SCRIPT.py``: unmodified MLX programs run on the face (and agree with MLX)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = Path(__file__).parent / "mlx_programs"
HAVE_MLX = importlib.util.find_spec("mlx") is not None


def _run(args, cwd, face=True):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "microgradx.mlx", *map(str, args)] if face else [sys.executable, *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("program", ["linear_regression.py", "logistic_regression.py"])
def test_program_runs_unchanged_on_the_face(program, tmp_path):
    out = _run([PROGRAMS / program, "--iters", "100", "--out", tmp_path / "w.npy"], tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "microgradx" in lines[0] and "not MLX" in lines[0]
    assert out.stdout.startswith("loss ")
    w = np.load(tmp_path / "w.npy")
    assert w.shape == (100,) and w.dtype == np.float32 and np.isfinite(w).all()


@pytest.mark.skipif(not HAVE_MLX, reason="comparing with MLX needs mlx[cpu]")
@pytest.mark.parametrize("program", ["linear_regression.py", "logistic_regression.py"])
def test_final_weights_match_mlx_from_the_same_start(program, tmp_path):
    """MLX generates the data and initial weights; both train from them; final weights within 1e-5."""
    theirs = _run([PROGRAMS / program, "--iters", "300", "--save-data", tmp_path / "d.npz",
                   "--out", tmp_path / "mlx.npy"], tmp_path, face=False)
    assert theirs.returncode == 0, theirs.stderr
    ours = _run([PROGRAMS / program, "--iters", "300", "--data", tmp_path / "d.npz", "--out", tmp_path / "mgx.npy"],
                tmp_path)
    assert ours.returncode == 0, ours.stderr
    w_mlx, w_mgx = np.load(tmp_path / "mlx.npy"), np.load(tmp_path / "mgx.npy")
    assert w_mgx.dtype == w_mlx.dtype == np.float32
    assert np.abs(w_mlx - w_mgx).max() <= 1e-5
    assert theirs.stdout.split(",")[0] == ours.stdout.split(",")[0]  # the same loss to 6 decimals


def test_an_import_the_face_cannot_serve_names_it(tmp_path):
    script = tmp_path / "uses_fast.py"
    script.write_text("import mlx.core as mx\nimport mlx.fast\n")
    out = _run([script], tmp_path)
    assert out.returncode != 0
    assert "ModuleNotFoundError: No module named 'mlx.fast' in microgradx's MLX face" in out.stderr


def test_a_missing_function_is_named(tmp_path):
    script = tmp_path / "uses_missing.py"
    script.write_text("import mlx.core as mx\nmx.conv2d\n")
    out = _run([script], tmp_path)
    assert "does not provide mlx.core.conv2d" in out.stderr


def test_script_sees_its_arguments_and_name(tmp_path):
    script = tmp_path / "args.py"
    script.write_text("import sys\nimport mlx.core as mx\nfrom mlx.core import random\n"
                      "print(__name__, sys.argv[1:], mx.__name__, random.__name__, mx.random is random)\n")
    out = _run([script, "a", "--b"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["__main__", "['a',", "'--b']", "microgradx.mlx.core", "microgradx.mlx.random",
                                  "True"]


def test_usage_errors():
    assert _run([], ROOT).returncode == 2
    out = _run(["no_such_script.py"], ROOT)
    assert out.returncode == 2 and "no such file" in out.stderr
