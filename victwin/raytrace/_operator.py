"""A thin linear-operator wrapper around ``project_volume`` / ``backproject``."""

from __future__ import annotations

from victwin.geometry import Grid, views_to_arrays

from ._api import backproject, project_volume

__all__ = ["RayTransform"]


class RayTransform:
    """The ray transform ``A`` of a grid and a scan, with ``A.T`` its exact adjoint.

    ``A(x)`` is :func:`project_volume` and ``A.T(y)`` is :func:`backproject`; the adjoint is
    with respect to the plain sums over voxels and detector pixels. ``A.T.T is A``.

    Parameters
    ----------
    grid : Grid
    views : sequence of View
    backend : {"auto", "cpu", "cuda"}
    """

    def __init__(self, grid: Grid, views, *, backend="auto", _adjoint_of=None):
        self.grid = grid
        self.views = tuple(views) if not hasattr(views, "panel") else (views,)
        self.backend = backend
        geo = views_to_arrays(self.views)
        self.range_shape = (len(self.views),) + tuple(geo["shape"])
        self.domain_shape = grid.shape
        self._adjoint_of = _adjoint_of
        self._T = None

    @property
    def shape(self):
        """``(range_shape, domain_shape)`` of this operator."""
        if self._adjoint_of is not None:
            return self.domain_shape, self.range_shape
        return self.range_shape, self.domain_shape

    @property
    def T(self) -> RayTransform:
        if self._adjoint_of is not None:
            return self._adjoint_of
        if self._T is None:
            self._T = RayTransform(self.grid, self.views, backend=self.backend, _adjoint_of=self)
        return self._T

    def __call__(self, x):
        if self._adjoint_of is not None:
            return backproject(x, self.grid, self.views, backend=self.backend)
        return project_volume(x, self.grid, self.views, backend=self.backend)

    def __repr__(self):
        kind = "RayTransform.T" if self._adjoint_of is not None else "RayTransform"
        return f"<{kind} {self.range_shape} <- {self.domain_shape}, backend={self.backend!r}>"
