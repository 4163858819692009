"""The former name of `augkit.poor.pil_ops` (moved there): this module is that module."""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("augkit.poor.pil_ops")
