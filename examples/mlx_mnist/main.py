"""mlx-examples' ``mnist/main.py`` (the ``mlp`` model), written from MLX's documented API, on the digits set.

Run it with real MLX::

    python examples/mlx_mnist/main.py

or on microgradx, unmodified, through the MLX face (``python -m microgradx.mlx`` maps the ``mlx``
imports to ``microgradx.mlx``)::

    python -m microgradx.mlx examples/mlx_mnist/main.py

Changes from the original, all marked ``# changed``: the data loader (``mnist.digits``, scikit-learn's
digits set), the mean training loss printed per epoch (the original prints only the test accuracy), and
``--save-init``/``--load-init`` so that two runs can start from the same initial weights.
"""

import argparse
import time
from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import mnist  # changed: the loader below reads scikit-learn's digits
import numpy as np


class MLP(nn.Module):
    """A simple MLP."""

    def __init__(self, num_layers: int, input_dim: int, hidden_dim: int, output_dim: int):
        super().__init__()
        layer_sizes = [input_dim] + [hidden_dim] * num_layers + [output_dim]
        self.layers = [nn.Linear(idim, odim) for idim, odim in zip(layer_sizes[:-1], layer_sizes[1:])]

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = nn.relu(layer(x))
        return self.layers[-1](x)


def loss_fn(model, X, y):
    return nn.losses.cross_entropy(model(X), y, reduction="mean")


def batch_iterate(batch_size, X, y):
    perm = mx.array(np.random.permutation(y.size))
    for s in range(0, y.size, batch_size):
        ids = perm[s : s + batch_size]
        yield X[ids], y[ids]


def main(args):
    seed = 0
    num_layers = 2
    hidden_dim = 32
    num_classes = 10
    batch_size = 256
    num_epochs = args.epochs
    learning_rate = 1e-1

    np.random.seed(seed)

    # Load the data
    train_images, train_labels, test_images, test_labels = map(mx.array, mnist.digits())  # changed

    # Load the model
    model = MLP(num_layers, train_images.shape[-1], hidden_dim, num_classes)
    if args.load_init:  # changed: start from saved weights
        model.load_weights(args.load_init)
    if args.save_init:  # changed: save the initial weights
        model.save_weights(args.save_init)
    mx.eval(model.parameters())

    optimizer = optim.SGD(learning_rate=learning_rate)
    loss_and_grad_fn = nn.value_and_grad(model, loss_fn)

    @partial(mx.compile, inputs=model.state, outputs=model.state)
    def step(X, y):
        loss, grads = loss_and_grad_fn(model, X, y)
        optimizer.update(model, grads)
        return loss

    @partial(mx.compile, inputs=model.state)
    def eval_fn(X, y):
        return mx.mean(mx.argmax(model(X), axis=1) == y)

    for e in range(num_epochs):
        tic = time.perf_counter()
        losses = []  # changed
        for X, y in batch_iterate(batch_size, train_images, train_labels):
            losses.append(step(X, y).item())  # changed: keep the loss
            mx.eval(model.state)
        accuracy = eval_fn(test_images, test_labels)
        toc = time.perf_counter()
        print(
            f"Epoch {e}: Train loss {np.mean(losses):.8f}, "  # changed
            f"Test accuracy {accuracy.item():.3f}, Time {toc - tic:.3f} (s)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser("Train a simple MLP on the digits set with MLX.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--save-init", default=None, help="save the initial weights to this .npz")  # changed
    parser.add_argument("--load-init", default=None, help="start from the weights in this .npz")  # changed
    main(parser.parse_args())
