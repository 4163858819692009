"""The former name of `augkit.functional.pil` (moved there): this module is that module."""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("augkit.functional.pil")
