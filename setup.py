"""Only the package list lives here (metadata is in pyproject.toml): augkit's own packages plus
``augkit.policies``, which pyproject.toml maps to the top-level ``policies/`` folder."""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["augkit*"]) + ["augkit.policies"])
