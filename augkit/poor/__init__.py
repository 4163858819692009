"""The poor man's tier: mirroring, scale/translation/rotation, crops and resizes, blurring,
colour shifting and whitening. Per-sample ops on every target (see DESIGN.md).

Every op defined in a module of this package is importable from here (``from augkit.poor
import Rotate``), found by `augkit.discovery`: an op in a new file needs no line here.
"""

from ..discovery import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
