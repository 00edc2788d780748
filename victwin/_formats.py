"""Format versions of victwin's on-disk files: one check, one message format.

Every file or folder victwin writes for later reading carries a format name and an integer
version (``"format": "victwin-acquisition", "format_version": 1``, or a ``format_version``
key where the file's kind is known from its place). A reader calls :func:`check_format`,
which raises one ``ValueError`` line naming the file and what is wrong: a foreign format, a
version that is not an integer, or one newer than this victwin reads. Files written before
versions were recorded have none; their readers pass ``legacy=1`` (the version whose layout
those files have) and read them as such. Where the format has a name, only a file with
neither the name nor the version is such a file: the name and the version were always
written together, so a file that names the format but has no version is damaged and refused.
"""

from __future__ import annotations

__all__ = ["check_format", "FormatError"]


class FormatError(ValueError):
    """A file this victwin cannot read as the format it expects (one line)."""


def check_format(what: str, data: dict, *, name: str | None, version: int,
                 legacy: int | None = None, key: str = "format_version") -> int:
    """Check a file's format name and version; return the version to read it as.

    Parameters
    ----------
    what : str
        The file, for the message ("acquisition folder '/x'").
    data : dict
        The file's top-level mapping (JSON object, ``.npz`` fields, ...).
    name : str or None
        The format name the file must carry under ``"format"`` (``None``: the file has no
        name field; its kind is known from its place).
    version : int
        The newest version this code reads (files of versions 1..``version`` are read).
    legacy : int, optional
        The version of files written before the version field existed; ``None``: such files
        are refused. With a ``name``, a file is such a file only when it has neither the
        name nor the version (a named file without a version is refused).
    key : str
        The version's key.

    Raises
    ------
    FormatError
        One line: ``"<what>: <problem>"``.
    """
    if name is not None:
        found = data.get("format")
        if found is None and key not in data and legacy is not None:
            return legacy
        if found is None:
            raise FormatError(f"{what}: not a {name} file (no format field: written by an "
                              f"older victwin or another program)")
        if found != name:
            raise FormatError(f"{what}: not a {name} file (format {found!r}, expected "
                              f"{name!r})")
    if key not in data:
        if legacy is not None and name is None:
            return legacy
        raise FormatError(f"{what}: missing key {key} (an integer from 1 to {version})")
    found = data[key]
    if hasattr(found, "item"):          # a 0-d NumPy array from an .npz
        found = found.item()
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:
        raise FormatError(f"{what}: {key} must be an integer from 1 to {version}, got "
                          f"{found!r}")
    if found > version:
        raise FormatError(f"{what}: {key} {found} is newer than this victwin reads "
                          f"({version}); update victwin to read it")
    return found
