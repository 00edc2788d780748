"""Reading the small TOML files users hand to victwin (trial specs, phantom recipes).

One place enforces what such a file may be: at most :data:`MAX_TOML_BYTES`, UTF-8 (a leading
byte-order mark is accepted), valid TOML, nested at most :data:`MAX_NESTING` deep. Every
refusal is a one-line ``ValueError`` that names the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

__all__ = ["read_toml_file", "MAX_TOML_BYTES", "MAX_NESTING"]

#: Largest spec or recipe accepted (bytes); VICTRE-sized specs are a few kB.
MAX_TOML_BYTES = 1_000_000
#: Deepest nesting of tables/arrays accepted (specs and recipes need about 4).
MAX_NESTING = 32


def _depth(value, level: int = 0) -> int:
    if level > MAX_NESTING:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def read_toml_file(path, what: str) -> dict:
    """Parse a TOML file after checking its size and encoding.

    Parameters
    ----------
    path : path-like
    what : str
        What the file is, for messages (``"trial spec"``, ``"recipe"``).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Too large, not UTF-8, invalid TOML, or nested too deep (one line naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    size = path.stat().st_size
    if size > MAX_TOML_BYTES:
        raise ValueError(f"{what} {str(path)!r} is {size} bytes, more than the "
                         f"{MAX_TOML_BYTES}-byte limit for a {what}")
    with open(path, "rb") as fh:
        raw = fh.read(MAX_TOML_BYTES + 1)
    if len(raw) > MAX_TOML_BYTES:  # grew while we looked
        raise ValueError(f"{what} {str(path)!r} is more than the {MAX_TOML_BYTES}-byte limit")
    try:
        text = raw.decode("utf-8-sig")  # a leading byte-order mark is fine
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{what} {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ValueError(f"{what} {str(path)!r} is nested too deeply to parse") from None
    if _depth(data) > MAX_NESTING:
        raise ValueError(f"{what} {str(path)!r} nests tables or arrays more than "
                         f"{MAX_NESTING} deep")
    return data
