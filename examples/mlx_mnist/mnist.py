"""The data loader of the MNIST example, changed to scikit-learn's digits (1797 8x8 images, nothing downloaded).

``digits()`` returns ``(train_images, train_labels, test_images, test_labels)`` as numpy arrays, as the
original loader's ``mnist()`` does: images flattened to 64 float32 values in [0, 1], labels as uint32, a
fixed 80/20 split.
"""

import numpy as np


def digits(test_fraction=0.2, seed=0):
    from sklearn.datasets import load_digits

    data = load_digits()
    images = (data.data / 16.0).astype(np.float32)
    labels = data.target.astype(np.uint32)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(test_fraction * len(labels)))
    test, train = order[:n_test], order[n_test:]
    return images[train], labels[train], images[test], labels[test]
