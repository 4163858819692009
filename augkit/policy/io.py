"""Policy files: safe YAML in, validated `Policy` out, and back.

Format (``format: augkit-policy/1``)::

    format: augkit-policy/1
    name: autoaugment-cifar10
    source: Cubuk et al. 2019, AutoAugment, ...
    space: autoaugment          # magnitude table (augkit.policy.space)
    levels: 10                  # magnitudes are integer levels 0..10; omit for [0, 1] floats
    subpolicies:
    - [[Invert, 0.1, 7], [Contrast, 0.2, 6]]      # steps: [op, probability, magnitude]
    - [{op: Rotate, prob: 0.7, magnitude: 2}, ...]  # or as mappings

A step's magnitude may be left out (or null) only for ops without one (AutoContrast, Equalize,
Invert, Identity).
"""

from __future__ import annotations

from pathlib import Path

from .._atomic import write_text
from ..errors import short_repr
from . import space as S
from .model import Policy, PolicyError, Step, check_policy

FORMAT = "augkit-policy/1"
#: A policy document may hold at most this many sub-policies, each of at most MAX_STEPS
#: steps (AutoAugment's have 25 of 2; Fast AutoAugment's merged ones a few hundred). Checked
#: before any step is built, so an aliased file cannot expand to millions of steps.
MAX_SUBPOLICIES = 1000
MAX_STEPS = 32
_KEYS = ("format", "name", "source", "space", "levels", "subpolicies")
_STEP_KEYS = ("op", "prob", "magnitude")


def policies_dir() -> Path:
    """Where the shipped policies live: the installed ``augkit.policies`` package, or the
    repository's top-level ``policies/`` when running from a checkout."""
    import importlib.util

    spec = importlib.util.find_spec("augkit.policies")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(__file__).resolve().parents[2] / "policies"


def shipped_policies() -> list[str]:
    """Names accepted by `load_policy`, e.g. "autoaugment-cifar10"."""
    return sorted(p.stem for p in policies_dir().glob("*.yaml"))


def _resolve(name_or_path) -> Path:
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists() or len(p.parts) > 1:
        if not p.is_file():
            raise PolicyError(f"{p}: no such policy file")
        return p
    shipped = policies_dir() / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise PolicyError(f"{name_or_path!r} is neither a file nor a shipped policy; shipped: "
                          f"{shipped_policies()}")
    return shipped


def load_policy(name_or_path) -> Policy:
    """Load a shipped policy by name (``"autoaugment-cifar10"``) or any YAML file path.

    The file goes through the same guarded reader as `augkit.load`
    (`augkit.serial.read_document`: safe YAML, bounded depth, nodes and alias expansion);
    every malformed file raises `PolicyError`."""
    from ..serial import read_document

    path = _resolve(name_or_path)
    where = str(path)
    doc = read_document(path, lambda what: PolicyError(f"{where}: {what}"), fmt="yaml")
    return policy_from_doc(doc, where)


def policy_from_doc(doc, where: str = "policy") -> Policy:
    """Validate a parsed policy document (a dict) and build the Policy."""
    if not isinstance(doc, dict):
        raise PolicyError(f"{where}: expected a mapping with keys {_KEYS}, got "
                          f"{type(doc).__name__}")
    unknown = sorted(set(doc) - set(_KEYS))
    if unknown:
        raise PolicyError(f"{where}: unknown keys {unknown}; expected some of {_KEYS}")
    if doc.get("format", FORMAT) != FORMAT:
        raise PolicyError(f"{where}: format is {doc.get('format')!r}; this augkit reads "
                          f"{FORMAT!r}")
    if "subpolicies" not in doc:
        raise PolicyError(f"{where}: missing field 'subpolicies'")
    subs = doc["subpolicies"]
    if not isinstance(subs, list):
        raise PolicyError(f"{where}: subpolicies must be a list of sub-policies")
    if len(subs) > MAX_SUBPOLICIES:
        raise PolicyError(f"{where}: has {len(subs)} sub-policies; at most {MAX_SUBPOLICIES} "
                          "are accepted")
    for i, sp in enumerate(subs):
        if not isinstance(sp, list):
            raise PolicyError(f"{where}: sub-policy {i} must be a list of steps, got "
                              f"{_short(sp)}")
        if len(sp) > MAX_STEPS:
            raise PolicyError(f"{where}: sub-policy {i} has {len(sp)} steps; at most "
                              f"{MAX_STEPS} are accepted")
    space = doc.get("space", "autoaugment")
    out = []
    for i, sp in enumerate(subs):
        out.append(tuple(_step(st, f"{where}: sub-policy {i}, step {j}", space)
                         for j, st in enumerate(sp)))
    for key in ("name", "source", "space"):
        if key in doc and not isinstance(doc[key], str):
            raise PolicyError(f"{where}: {key} is {doc[key]!r}; expected a string")
    pol = Policy.__new__(Policy)  # validate with the file name in messages, then freeze
    for k, v in (("subpolicies", tuple(out)), ("name", doc.get("name", "")),
                 ("source", doc.get("source", "")), ("space", space),
                 ("levels", doc.get("levels"))):
        object.__setattr__(pol, k, v)
    check_policy(pol, where)
    return pol


def _short(v) -> str:
    return short_repr(v, 80)


def _step(st, at: str, space) -> Step:
    if isinstance(st, dict):
        unknown = sorted(set(st) - set(_STEP_KEYS))
        if unknown:
            raise PolicyError(f"{at}: unknown fields {unknown}; expected {_STEP_KEYS}")
        vals = [st.get(k) for k in _STEP_KEYS]
        present = [k in st for k in _STEP_KEYS]
    elif isinstance(st, list):
        if not 2 <= len(st) <= 3:
            raise PolicyError(f"{at}: {st!r} has {len(st)} entries; expected [op, probability, "
                              "magnitude]")
        vals = list(st) + [None] * (3 - len(st))
        present = [True, True, len(st) == 3]
    else:
        raise PolicyError(f"{at}: {st!r} is not a step; expected [op, probability, magnitude]")
    op, prob, mag = vals
    for k, ok in zip(_STEP_KEYS[:2], present[:2]):
        if not ok or (k == "op" and op is None):
            raise PolicyError(f"{at}: missing field {k!r}")
    if prob is None:
        raise PolicyError(f"{at}: missing field 'prob'")
    if mag is None:
        table = S.SPACES.get(space, S.SPACES["autoaugment"])
        if table.get(op, 0) is not None:  # the op takes a magnitude
            raise PolicyError(f"{at} ({op}): missing field 'magnitude'")
        mag = 0
    return Step(op, prob, mag)


def policy_to_doc(policy: Policy) -> dict:
    doc = {"format": FORMAT, "name": policy.name, "source": policy.source,
           "space": policy.space}
    if policy.levels is not None:
        doc["levels"] = policy.levels
    doc["subpolicies"] = [[[st.op, st.prob, st.magnitude] for st in sp]
                          for sp in policy.subpolicies]
    return doc


def save_policy(policy: Policy, path) -> Path:
    """Write `policy` as YAML (one sub-policy per line); `load_policy` reads it back equal."""
    import yaml

    if not isinstance(policy, Policy):
        raise PolicyError(f"save_policy: policy is {type(policy).__name__}; expected Policy")
    path = Path(path)
    doc = policy_to_doc(policy)
    subs = doc.pop("subpolicies")
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    lines = [text.rstrip("\n"), "subpolicies:"]
    for sp in subs:
        lines.append("- " + yaml.safe_dump(sp, default_flow_style=True, width=10_000).strip())
    write_text(path, "\n".join(lines) + "\n")
    return path
