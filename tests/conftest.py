"""The plugin's own tests: pytester drives pytest runs in temporary folders."""

pytest_plugins = ["pytester"]
