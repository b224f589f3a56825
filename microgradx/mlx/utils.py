"""``microgradx.mlx.utils``: MLX's tree helpers (``mlx.utils``), the engine's own :mod:`microgradx.tree`.

>>> from microgradx.mlx.utils import tree_flatten, tree_unflatten
>>> tree_flatten({"layers": [{"w": 1}, {"w": 2}]})
[('layers.0.w', 1), ('layers.1.w', 2)]
>>> tree_unflatten([("layers.0.w", 1)])
{'layers': [{'w': 1}]}
"""

from ..tree import tree_flatten, tree_map, tree_map_with_path, tree_reduce, tree_unflatten

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "tree_map_with_path", "tree_reduce"]
