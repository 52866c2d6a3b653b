"""Shared pytest set-up: pytest-jupyter's Jupyter Server fixtures (jp_fetch, jp_serverapp)."""

pytest_plugins = ["pytest_jupyter.jupyter_server"]
