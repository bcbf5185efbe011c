"""Writing a file so that a crash leaves either the old content or the new, never half of either.

    write_atomically(Path("monitor.json"), state_bytes)

The bytes go to a temporary file in the same directory (so the rename stays on one file system), are
flushed to the disk, and replace the target by a rename, which POSIX makes atomic; the directory is
then synced too, so the rename itself survives a power loss. Monitors, mirrors, tile exports, the
certifier toolkit's state and a witness's state all keep their files this way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically and durably; the file gets `mode` (0o600 for secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # never leave a half-written temporary behind
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
