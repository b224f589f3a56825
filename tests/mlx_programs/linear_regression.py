"""Linear regression by gradient descent, written against ``mlx.core`` only.

A fixture for microgradx's MLX face: ``python -m microgradx.mlx linear_regression.py`` runs it
unchanged, and so does ``python linear_regression.py`` with MLX installed.  ``--save-data`` writes
the generated problem (and the initial weights) so the other library can start from the same numbers
with ``--data``; ``--out`` writes the final weights.
"""

import argparse
import time

import mlx.core as mx
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data", help="load X, y, w_star and the initial w from this .npz")
parser.add_argument("--save-data", help="save the generated X, y, w_star and initial w here")
parser.add_argument("--out", help="save the final weights here (.npy)")
parser.add_argument("--iters", type=int, default=1000)
args = parser.parse_args()

num_features, num_examples, learning_rate = 100, 1000, 0.01

if args.data:
    saved = np.load(args.data)
    w_star, X, y, w = (mx.array(saved[k]) for k in ("w_star", "X", "y", "w"))
else:
    mx.random.seed(0)
    w_star = mx.random.normal((num_features,))
    X = mx.random.normal((num_examples, num_features))
    noise = 1e-2 * mx.random.normal((num_examples,))
    y = X @ w_star + noise
    w = 1e-2 * mx.random.normal((num_features,))
    if args.save_data:
        np.savez(args.save_data, w_star=np.array(w_star), X=np.array(X), y=np.array(y), w=np.array(w))


def loss_fn(w):
    return 0.5 * mx.mean(mx.square(X @ w - y))


grad_fn = mx.grad(loss_fn)

start = time.perf_counter()
for _ in range(args.iters):
    grad = grad_fn(w)
    w = w - learning_rate * grad
    mx.eval(w)
elapsed = time.perf_counter() - start

loss = loss_fn(w)
distance = mx.sum(mx.square(w - w_star)).item() ** 0.5
print(f"loss {loss.item():.6f}, |w - w*| = {distance:.6f}, {args.iters / elapsed:.1f} it/s")
if args.out:
    np.save(args.out, np.array(w))
