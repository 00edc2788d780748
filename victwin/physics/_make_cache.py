"""Generate the cached physics tables shipped as package data (needs spekpy and xraylib).

    python -m victwin.physics._make_cache            # rewrites victwin/data/...

writes

* ``victwin/data/spectra/spekpy/unfiltered.npz``: spekpy's unfiltered spectrum of every
  (anode, kV, anode angle, bin width) that a shipped system asks for: each row of its AEC
  table, its fixed technique, and the spekpy reference the VICTRE spectra are scaled with;
* ``victwin/data/physics/xraylib_cache.json.gz``: every xraylib call (arguments, result or
  the ValueError it raised) made while the materials are built and while each shipped system
  takes a small exposure of a phantom holding every material at each of those techniques,
  plus the attenuation and energy absorption of every material at every energy of those
  spectra.

``tests/physics/test_cached_tables.py`` checks both against spekpy and xraylib, and that a
whole case runs with neither installed.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

__all__ = ["technique_grid", "record_tables", "main"]

#: Compressed thicknesses (mm) and glandular mass fractions the AEC tables are swept over: every
#: row boundary of the shipped tables lies inside 10-120 mm and 0-1.
_THICKNESS_MM = tuple(float(t) for t in range(10, 125, 5))
_GLANDULARITY = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)


def technique_grid(system):
    """(thickness_mm, glandularity, kwargs of ``build_beam``) covering every technique of
    ``system``: its AEC rows (mammography) and its fixed technique (``mas`` given)."""
    out = [(50.0, 0.5, {"mas": float(system.tube.mas)})]
    if system.aec and system.modality == "MG":
        out += [(t, g, {}) for t in _THICKNESS_MM for g in _GLANDULARITY]
    return out


def _all_material_phantom(system, names):
    """A 2 mm-voxel slab on the system's support with one stripe per material."""
    from victwin.geometry import Grid

    support = 0.0 if system.scan == "radiography" else float(system.geometry.breast_support_mm)
    nz, ny, nx = 10, 24, 2 * len(names)
    labels = np.zeros((nz, ny, nx), np.uint8)
    for k in range(len(names)):
        labels[:, :, 2 * k:2 * k + 2] = k + 1
    grid = Grid(shape=labels.shape, spacing=(2.0, 2.0, 2.0), origin=(1.0, -23.0, support + 1.0))
    materials = {0: "air", **{k + 1: n for k, n in enumerate(names)}}
    return SimpleNamespace(labels=labels, grid=grid, materials=materials,
                           meta={"thickness_mm": 20.0, "glandular_fraction_mass": 0.5})


def record_tables(systems=None):
    """Run the sweep with spekpy and xraylib recorded; returns ``(spectra, calls)``."""
    from victwin.physics import _xraylib

    if not _xraylib.available():
        raise RuntimeError("generating the tables needs xraylib (VICTWIN_XRAYLIB unset)")
    from victwin import systems as vsystems
    from victwin.acquisition import acquire, build_beam
    from victwin.physics import (_attenuation, _materials, _spectra, _victre_spectra,
                                 material_names)

    spectra: dict = {}
    real = _spectra.spekpy_unfiltered

    def spekpy_recorded(anode, kvp, angle, dk):
        value = real(anode, kvp, angle, dk)
        spectra[_spectra.spectrum_key(anode, kvp, angle, dk)] = value
        return value

    _xraylib.RECORDER = {"calls": {}, "constants": {}}
    saved = (_spectra.spekpy_unfiltered, _spectra.cached_spectra)
    _spectra.spekpy_unfiltered = spekpy_recorded
    _spectra.cached_spectra = lambda: {}
    caches = [_spectra._unfiltered, _spectra._spectrum, _materials._element,
              _materials.breast_tissue, _attenuation._cached]
    caches += [getattr(_victre_spectra, n) for n in dir(_victre_spectra)
               if hasattr(getattr(_victre_spectra, n), "cache_clear")]
    try:
        for c in caches:
            c.cache_clear()
        _materials._build()  # the calls importing the materials makes
        names = list(material_names())
        for name in systems or vsystems.available():
            system = vsystems.load(name)
            for thickness, gland, kwargs in technique_grid(system):
                ph = SimpleNamespace(labels=np.zeros((1, 1, 1), np.uint8), grid=None,
                                     materials={0: "air"},
                                     meta={"thickness_mm": thickness,
                                           "glandular_fraction_mass": gland})
                build_beam(system, ph, **kwargs)
            phantom = _all_material_phantom(system, names)
            binning = max(1, int(np.ceil(4.0 / system.geometry.pitch_mm)))
            for _, _, kwargs in technique_grid(system)[:2]:
                acquire(phantom, system, seed=0, binning=binning, rays_per_pixel=1,
                        views=[0], progress=False, backend="cpu", noise=False, **kwargs)
        energies = sorted({float(e) for k, (e_kev, _) in spectra.items() for e in e_kev})
        for name in names:
            _attenuation.mass_attenuation(name, energies)
            _attenuation.mass_energy_absorption(name, energies)
        calls = _xraylib.RECORDER
    finally:
        _xraylib.RECORDER = None
        _spectra.spekpy_unfiltered, _spectra.cached_spectra = saved
        for c in caches:
            c.cache_clear()
    return spectra, calls


def write_tables(spectra: dict, calls: dict, root: Path) -> tuple[Path, Path]:
    """Write the two tables under the package root ``root`` (the ``victwin`` folder)."""
    from victwin.physics._spectra import SPECTRA_RESOURCE
    from victwin.physics._xraylib import CACHE_RESOURCE

    spc = root / SPECTRA_RESOURCE[1]
    spc.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(spectra)
    arrays = {"keys": np.array(keys)}
    for i, k in enumerate(keys):
        arrays[f"energy_{i}"], arrays[f"photons_{i}"] = spectra[k]
    with open(spc, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    xrl = root / CACHE_RESOURCE[1]
    xrl.parent.mkdir(parents=True, exist_ok=True)
    ordered = {"calls": {n: dict(sorted(calls["calls"][n].items()))
                         for n in sorted(calls["calls"])},
               "constants": dict(sorted(calls["constants"].items()))}
    # mtime=0: the same tables give the same bytes
    with open(xrl, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(ordered, separators=(",", ":")).encode())
    return spc, xrl


def main(argv=None) -> int:
    import victwin

    spectra, calls = record_tables()
    root = Path(victwin.__file__).parent
    for path in write_tables(spectra, calls, root):
        print(f"{path.relative_to(root.parent)}: {path.stat().st_size / 1024:.1f} KiB")
    n = sum(len(v) for v in calls["calls"].values())
    print(f"{len(spectra)} spectra, {n} xraylib calls")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
