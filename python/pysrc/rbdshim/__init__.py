"""rbdshim's Python support: the native extension behind the `rados` and `rbd` modules."""

import atexit as _atexit

from rbdshim import _native

# Completion callbacks must not ask for the GIL while the interpreter finalizes: at exit, let
# running ones finish and skip later ones.
_atexit.register(_native.quiesce)
