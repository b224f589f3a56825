"""Logistic regression by gradient descent, written against ``mlx.core`` only.

A fixture for microgradx's MLX face (see ``linear_regression.py`` for the options).  The loss is the
mean of ``log(1 + e^z) - y z`` written with ``mx.logaddexp``.
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

num_features, num_examples, learning_rate = 100, 1000, 0.1

if args.data:
    saved = np.load(args.data)
    w_star, X, y, w = (mx.array(saved[k]) for k in ("w_star", "X", "y", "w"))
else:
    mx.random.seed(1)
    w_star = mx.random.normal((num_features,))
    X = mx.random.normal((num_examples, num_features))
    y = (X @ w_star) > 0
    w = 1e-2 * mx.random.normal((num_features,))
    if args.save_data:
        np.savez(args.save_data, w_star=np.array(w_star), X=np.array(X), y=np.array(y), w=np.array(w))


def loss_fn(w):
    logits = X @ w
    return mx.mean(mx.logaddexp(0.0, logits) - y * logits)


grad_fn = mx.grad(loss_fn)

start = time.perf_counter()
for _ in range(args.iters):
    grad = grad_fn(w)
    w = w - learning_rate * grad
    mx.eval(w)
elapsed = time.perf_counter() - start

loss = loss_fn(w)
accuracy = mx.mean((X @ w > 0) == y)
print(f"loss {loss.item():.6f}, accuracy {accuracy.item():.3f}, {args.iters / elapsed:.1f} it/s")
if args.out:
    np.save(args.out, np.array(w))
