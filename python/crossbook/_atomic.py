"""Atomic file writes: a temporary file in the target's folder, renamed into place when complete.

A reader never sees a half-written file, and a failure leaves the previous file (if any) untouched
and no temporary file behind. The result gets the usual permissions (0666 masked by the umask), not
``mkstemp``'s private 0600.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` to produce the file, then rename it to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def json_clean(o: Any) -> Any:
    """``o`` made JSON-safe: NaN/±inf → null, numpy scalars → Python numbers, keys → str."""
    if isinstance(o, dict):
        return {str(k): json_clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [json_clean(v) for v in o]
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if hasattr(o, "item") and callable(o.item):  # numpy scalars
        return json_clean(o.item())
    return o


def atomic_write_json(path: str | Path, obj: Any, *, sort_keys: bool = False) -> Path:
    """Write ``obj`` as indented JSON atomically (NaN becomes null, see :func:`json_clean`)."""
    text = json.dumps(json_clean(obj), indent=2, sort_keys=sort_keys, allow_nan=False) + "\n"
    return atomic_write_text(path, text)
