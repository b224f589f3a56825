"""The programs here are MLX scripts run by tests/test_mlx_runner.py, not test modules: never import them."""

collect_ignore_glob = ["*.py"]
