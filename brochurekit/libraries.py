"""Loading WeasyPrint without a third of a build's start spent looking for its C libraries.

WeasyPrint 70 opens each library it needs (GObject, Pango, HarfBuzz, fontconfig, PangoFT2) by
trying up to six platform names in turn. Through cffi, every name that is not this platform's
makes `ctypes.util.find_library` run `ldconfig -p`, `gcc` and `ld`: 54 processes and about a
quarter of a second at every start of a build on Debian. Here the names are answered from one
`ldconfig -p` listing instead; should WeasyPrint fail to start that way, it is imported again
with the standard lookup.
"""

from __future__ import annotations

import ctypes.util
import re
import subprocess
import sys
from functools import cache


def import_weasyprint() -> None:
    if "weasyprint" in sys.modules:
        return
    standard = ctypes.util.find_library
    ctypes.util.find_library = _listed_library
    try:
        import weasyprint
    except OSError:
        for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
            del sys.modules[name]
        ctypes.util.find_library = standard
        import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library = standard


@cache
def _ldconfig_listing() -> str:
    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True,
                              timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _listed_library(name: str) -> str | None:
    """The soname the dynamic loader knows for `name` (as find_library gives it), or None."""
    match = re.search(rf"\s(lib{re.escape(name)}\.[^\s]+)\s", _ldconfig_listing())
    return match.group(1) if match else None
