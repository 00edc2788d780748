"""victwin: in-silico imaging trials on synthetic patient twins.

Sub-packages (see ``DESIGN.md`` in the project notes for the boundaries):
``geometry`` (grids, detectors, views, scan builders), ``raytrace`` (exact ray tracing on CPU
and CUDA), ``physics``, ``phantom``, ``systems``, ``recon``, ``readers``, ``stats``,
``trial``, ``dicom`` and ``cli``; ``acquisition`` simulates an exposure
(``victwin.acquire`` is its ``acquire``).

Conventions: lengths in mm, energies in keV, linear attenuation in 1/mm, angles in degrees at
every boundary, dose in mGy; arrays index ``[z, y, x]`` while points and directions are
``(x, y, z)``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "acquire"]


def __getattr__(name):
    # ``victwin.acquire`` is imported lazily so that ``import victwin`` stays light.
    if name == "acquire":
        from .acquisition import acquire

        return acquire
    raise AttributeError(f"module 'victwin' has no attribute {name!r}")


def __dir__():
    # the lazy name too, so that dir(victwin) and tab completion show it
    return sorted(set(globals()) | {"acquire"})
