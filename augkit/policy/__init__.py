"""Policies as data: the `Policy` model, YAML files (`load_policy` / `save_policy`) and the
magnitude space (`augkit.policy.space`) that turns a step into an ordinary augkit op."""

from . import space
from .io import FORMAT, load_policy, policies_dir, policy_from_doc, save_policy, shipped_policies
from .model import Policy, PolicyError, Step
from .space import SPACES, op_at


def __getattr__(name: str):
    if name == "OPS":  # read live: `space.add_op` may grow the table
        return space.OPS
    raise AttributeError(f"module 'augkit.policy' has no attribute {name!r}")

__all__ = ["Policy", "Step", "PolicyError", "load_policy", "save_policy", "policy_from_doc",
           "policies_dir", "shipped_policies", "FORMAT", "OPS", "SPACES", "op_at"]
