"""Check a built dataset against its IOD's mandatory modules (PS3.3 tables as highdicom ships)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pydicom.dataset import Dataset

__all__ = ["check_iod"]


@lru_cache(maxsize=1)
def _tables():
    # highdicom ships the current edition's IOD/module/attribute tables as JSON data.
    root = resources.files("highdicom") / "_standard"
    load = lambda name: json.loads((root / name).read_text())  # noqa: E731
    return (load("sop_class_iod_map.json"), load("iod_module_map.json"),
            load("module_attribute_map.json"))


def check_iod(ds: Dataset) -> None:
    """Raise ValueError naming the first missing Type 1/2 attribute of a mandatory module.

    Only the top level of each Mandatory module is checked, plus emptiness of Type 1
    attributes; conditional (1C/2C) rules and values are left to dciodvfy.
    """
    try:
        sop_iod, iod_modules, module_attrs = _tables()
    except (OSError, ValueError):  # pragma: no cover - tables missing in an odd highdicom
        return
    iod = sop_iod.get(str(ds.SOPClassUID))
    if iod is None:
        raise ValueError(f"SOPClassUID {ds.SOPClassUID} is not a known storage SOP class")
    for module in iod_modules[iod]:
        if module["usage"] != "M":
            continue
        for attr in module_attrs.get(module["key"], []):
            if attr["path"] or attr["type"] not in ("1", "2"):
                continue
            kw = attr["keyword"]
            if kw not in ds:
                raise ValueError(f"{iod}: module {module['key']} lacks Type {attr['type']} "
                                 f"attribute {kw}")
            if attr["type"] == "1" and ds[kw].is_empty and kw != "PixelData":
                raise ValueError(f"{iod}: Type 1 attribute {kw} of module {module['key']} "
                                 f"is empty")
