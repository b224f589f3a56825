"""Run ``main.py`` on real MLX and on microgradx from the same initial weights; compare the losses per epoch.

    python examples/mlx_mnist/compare.py [--epochs N]

The MLX run saves its initial weights (``--save-init``); the microgradx run loads them (``--load-init``).
Both use numpy's seeded permutation for the batches, so they see the same batches in the same order.
The microgradx run is ``python -m microgradx.mlx main.py`` when that runner exists; otherwise this script
maps the ``mlx`` modules to ``microgradx.mlx`` itself (the same thing, in a few lines).
"""

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LINE = re.compile(r"Epoch (\d+): Train loss ([0-9.]+), Test accuracy ([0-9.]+)")

SHIM = """
import runpy, sys
import microgradx.mlx, microgradx.mlx.core, microgradx.mlx.nn, microgradx.mlx.optimizers, microgradx.mlx.utils
for name in ("", ".core", ".nn", ".optimizers", ".utils"):
    sys.modules["mlx" + name] = sys.modules["microgradx.mlx" + name]
sys.argv = sys.argv[1:]
sys.path.insert(0, sys.argv[0].rpartition("/")[0] or ".")
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run(cmd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, env=env)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return [(int(e), float(loss), float(acc)) for e, loss, acc in LINE.findall(out.stdout)]


def ours_command():
    sys.path.insert(0, ROOT)
    if importlib.util.find_spec("microgradx.mlx.__main__") is not None:
        return [sys.executable, "-m", "microgradx.mlx"], "python -m microgradx.mlx"
    return [sys.executable, "-c", SHIM], "a sys.modules shim (python -m microgradx.mlx not available)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    init = os.path.join(tempfile.mkdtemp(), "init.npz")
    theirs = run([sys.executable, "main.py", "--epochs", str(args.epochs), "--save-init", init])
    prefix, how = ours_command()
    ours = run(prefix + ["main.py", "--epochs", str(args.epochs), "--load-init", init])
    print(f"microgradx run through {how}")
    print()
    print("| epoch | loss, MLX | loss, microgradx | difference | accuracy, MLX | accuracy, microgradx |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for (e, l1, a1), (_, l2, a2) in zip(theirs, ours):
        worst = max(worst, abs(l1 - l2))
        print(f"| {e} | {l1:.8f} | {l2:.8f} | {abs(l1 - l2):.1e} | {a1:.3f} | {a2:.3f} |")
    print()
    print(f"largest loss difference: {worst:.1e} over {len(ours)} epochs")


if __name__ == "__main__":
    main()
