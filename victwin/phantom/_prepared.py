"""A drawn breast, ready to be voxelised at any voxel size, whole or in windows.

:class:`PreparedBreast` makes every random draw of a breast once (parameters, compression,
compartments, texture, ligaments, ducts, vessels: :mod:`._breast`) and then labels any part of
its grid on demand: the whole grid, a window (the voxels meeting a world box) or a sub-lattice.
Each voxel's label is a pure function of its full-grid index and of the draws, so a window is
the crop of the whole phantom byte for byte, at a cost in proportion to the window's voxels.
"""

from __future__ import annotations

import sys

import numpy as np

from ..geometry import Grid
from . import _breast as B
from . import _breast_kernels as K
from ._breast_recipe import BREAST_MATERIALS
from ._phantom import Phantom, label_counts
from ._window import window_grid, window_index, window_meta
from ._window_set import WindowSet

__all__ = ["PreparedBreast", "make_breast", "WHOLE_VOLUME_KEYS", "WHOLE_VOLUME_MIN_VOXEL_MM"]

#: Metadata measured from the label counts of the whole breast (not drawn).
WHOLE_VOLUME_KEYS = ("glandular_fraction_volume", "glandular_fraction_mass", "breast_volume_ml")

#: A window's whole-volume metadata is measured on the whole breast voxelised at this size (or
#: at the window's own voxel size when coarser): the lattice the glandular threshold is solved
#: on (``_breast._SAMPLE_MM``), so it costs ~1/1000 of a 0.1 mm phantom.
WHOLE_VOLUME_MIN_VOXEL_MM = B._SAMPLE_MM


class PreparedBreast:
    """The draws of one breast (recipe + seed), voxelised on demand.

    ``victwin.phantom.prepare("breast/dense", seed=1)`` returns one. A twin read at 20 lesion
    sites prepares once and makes 20 windows: the draws, the glandular threshold solve and the
    trees' voxel boxes are done once (per voxel size), each window costs its own voxels;
    :meth:`window_set` labels overlapping windows' shared voxels once.

    Parameters
    ----------
    spec : dict
        A checked breast recipe (``load_recipe``).
    seed : int
        Seed of every draw; ``PreparedBreast(spec, seed=s).make(v)`` equals
        ``make(spec, seed=s, voxel_mm=v)``.
    """

    def __init__(self, spec: dict, *, seed: int):
        self.spec = spec
        self.seed = int(seed)
        rng = np.random.default_rng(self.seed)
        self._body = B._draw_body(spec, rng)
        self._st = B._draw_structures(spec, self._body, rng)
        self._P0, self._fields = B._kernel_parameters(self._body, self._st)
        self._thresholds = {}       # lattice spacing (mm) -> gland threshold
        self._trees = {}            # voxel size -> tree segments and their boxes
        self._whole = {}            # voxel size -> (label counts, n vessel segments)

    def __repr__(self):
        return (f"PreparedBreast(recipe={self.spec.get('name')!r}, seed={self.seed}, "
                f"thickness_mm={self._body.thickness:.1f})")

    # -- what does not depend on the voxels ----------------------------------------------------
    @property
    def materials(self) -> dict:
        """Label -> material of breast phantoms."""
        return dict(BREAST_MATERIALS)

    @property
    def thickness_mm(self) -> float:
        return float(round(self._body.thickness, 4))

    @property
    def support_mm(self) -> float:
        return float(self._body.support)

    def voxel_mm(self, voxel_mm=None) -> float:
        """The voxel size used: ``voxel_mm`` or the recipe's (checked, > 0)."""
        v = self.spec["voxel_mm"] if voxel_mm is None else voxel_mm
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) \
                or not np.isfinite(v) or v <= 0:
            raise ValueError(f"voxel_mm must be a number > 0, got {voxel_mm!r}")
        return float(v)

    def grid(self, voxel_mm=None) -> Grid:
        """The whole breast's grid at ``voxel_mm``."""
        return B._breast_grid(self._body, self.voxel_mm(voxel_mm))

    def window_index(self, window_mm, voxel_mm=None) -> tuple[np.ndarray, np.ndarray]:
        """Full-grid index bounds ``(lo_zyx, hi_zyx)`` (half-open) of a window's voxels."""
        return window_index(self.grid(voxel_mm), window_mm)

    # -- labels --------------------------------------------------------------------------------
    def _parameters(self, vox: float) -> np.ndarray:
        g = max(B._SAMPLE_MM, vox)
        if g not in self._thresholds:
            self._thresholds[g] = B._solve_gland_threshold(self._body, self._P0, self._fields,
                                                           vox)
        P = self._P0.copy()
        P[K.I_THR] = self._thresholds[g]
        return P

    def _tree_segments(self, vox: float, grid: Grid):
        if vox not in self._trees:
            self._trees[vox] = B._tree_segments(self._body, self._st, grid)
        return self._trees[vox]

    def lattice(self, lo_zyx, hi_zyx, *, step: int = 1, voxel_mm=None,
                progress: bool = False) -> np.ndarray:
        """Labels of the full-grid voxels ``lo:hi:step`` (uint8 ``[z, y, x]``).

        Equal to ``make(voxel_mm).labels[lo[0]:hi[0]:step, lo[1]:hi[1]:step,
        lo[2]:hi[2]:step]`` byte for byte; costs in proportion to the voxels returned.
        """
        vox = self.voxel_mm(voxel_mm)
        grid = self.grid(vox)
        lo = np.asarray(lo_zyx, np.int64)
        hi = np.asarray(hi_zyx, np.int64)
        step = int(step)
        if lo.shape != (3,) or hi.shape != (3,) or step < 1 or np.any(lo < 0) \
                or np.any(hi > np.asarray(grid.shape)) or np.any(hi <= lo):
            raise ValueError(f"lattice bounds must satisfy 0 <= lo < hi <= {grid.shape} and "
                             f"step >= 1, got lo={lo.tolist()}, hi={hi.tolist()}, step={step}")
        P = self._parameters(vox)
        labels = B._fill_labels(grid, P, self._fields, progress, lo, hi, step)
        B._paint_trees(labels, grid, P, self._tree_segments(vox, grid), lo, step)
        return labels

    def _whole_counts(self, vox: float):
        if vox not in self._whole:
            grid = self.grid(vox)
            labels = self.lattice((0, 0, 0), grid.shape, voxel_mm=vox)
            self._whole[vox] = label_counts(labels)
        return self._whole[vox]

    def meta(self, voxel_mm=None, counts=None) -> dict:
        """The phantom's metadata at ``voxel_mm`` with the whole-volume values measured from
        ``counts`` (the whole phantom's label counts; default: the whole breast at
        ``max(voxel_mm, WHOLE_VOLUME_MIN_VOXEL_MM)``)."""
        vox = self.voxel_mm(voxel_mm)
        counts_vox = vox
        if counts is None:
            counts_vox = max(vox, WHOLE_VOLUME_MIN_VOXEL_MM)
            counts = self._whole_counts(counts_vox)
        trees = self._tree_segments(vox, self.grid(vox))
        return B._breast_meta(self.spec, self.seed, vox, self._body, self._st, counts,
                              int(len(trees[2])), counts_vox)

    def make(self, voxel_mm=None, *, window_mm=None, progress: bool | None = None) -> Phantom:
        """The phantom at ``voxel_mm``: the whole breast, or the window ``window_mm``.

        Parameters
        ----------
        voxel_mm : float, mm, optional
            Isotropic voxel size (default: the recipe's).
        window_mm : ((x0, y0, z0), (x1, y1, z1)), mm, optional
            World box. The phantom then holds every voxel of the whole grid whose cell meets
            the box, clipped to the grid: same spacing, origin on the same lattice, labels
            equal to the crop of the whole phantom's byte for byte.
        progress : bool, optional
            tqdm bar over z-slabs (default: when stderr is a terminal).

        Returns
        -------
        Phantom
            ``meta`` as the whole phantom's, and for a window ``meta["window"] = {"index":
            [z0, y0, x0], "full_shape": [nz, ny, nx], "whole_volume_voxel_mm": w}``.

        Notes
        -----
        Whole-volume metadata: ``glandular_fraction_volume``, ``glandular_fraction_mass`` (from
        the label counts: adipose vs glandular, ligament and duct voxels) and
        ``breast_volume_ml`` (non-air voxels) describe the WHOLE breast, never the window. A
        whole phantom measures them on its own voxels. A window cannot (it does not hold the
        breast), so it reports them as measured on the whole breast voxelised at ``w =
        max(voxel_mm, 1 mm)`` (built once per prepared breast, ~1/1000 of a 0.1 mm
        phantom's voxels): equal to the whole phantom's values when ``voxel_mm >= 1``, and
        within the voxelisation difference otherwise (``benchmarks/phantom_window.py`` prints
        both). Everything else in ``meta`` (drawn sizes, thickness, support, lesion sites, ...)
        is the whole phantom's exactly.

        Raises
        ------
        ValueError
            One line: a bad voxel size, a malformed window, a window that misses the grid.
        """
        vox = self.voxel_mm(voxel_mm)
        if progress is None:
            progress = sys.stderr.isatty()
        grid = self.grid(vox)
        if window_mm is None:
            labels = self.lattice((0, 0, 0), grid.shape, voxel_mm=vox, progress=progress)
            meta = self.meta(vox, counts=label_counts(labels))
            return Phantom(labels=labels, grid=grid, materials=self.materials, meta=meta)
        lo, hi = window_index(grid, window_mm)
        return self._window_phantom(vox, lo, hi,
                                    self.lattice(lo, hi, voxel_mm=vox, progress=progress))

    def _window_phantom(self, vox: float, lo, hi, labels: np.ndarray) -> Phantom:
        """The window phantom of the voxels ``lo:hi`` of the whole grid at ``vox``, given its
        ``labels`` (what :meth:`make` returns for a window)."""
        grid = self.grid(vox)
        meta = window_meta(self.meta(vox), lo, grid.shape)
        meta["window"]["whole_volume_voxel_mm"] = max(vox, WHOLE_VOLUME_MIN_VOXEL_MM)
        return Phantom(labels=labels, grid=window_grid(grid, lo, hi), materials=self.materials,
                       meta=meta)

    def window_set(self, boxes, voxel_mm=None, *, reach=None) -> WindowSet:
        """Many windows of this breast, each voxel labelled once.

        Parameters
        ----------
        boxes : sequence of ((x0, y0, z0), (x1, y1, z1)), mm
            Every window that will be asked for (a box may repeat).
        voxel_mm : float, mm, optional
            Isotropic voxel size (default: the recipe's).
        reach : sequence of (sequence of boxes (mm) or None), optional
            One entry per box: the sub-boxes its rays can touch (None: the whole box). Only
            the union of the reaches is labelled; a window's other voxels hold
            ``UNREACHED_LABEL`` (:mod:`._window_set`).

        Returns
        -------
        WindowSet
            ``.window(box)`` equals ``make(voxel_mm, window_mm=box)`` byte for byte (with
            ``reach``: inside the box's reach); the union of the boxes (or reaches) is
            labelled once, in disjoint pieces, each when first needed (:mod:`._window_set`).
        """
        return WindowSet(self, boxes, voxel_mm, reach=reach)


def make_breast(spec: dict, *, seed: int, voxel_mm: float | None = None,
                progress: bool | None = None, window_mm=None) -> Phantom:
    """Build a compressed breast phantom from a checked recipe (see ``load_breast_recipe``).

    Parameters
    ----------
    spec : dict
        Breast recipe as returned by ``load_recipe``.
    seed : int
        Seed of every random draw.
    voxel_mm : float, mm, optional
        Isotropic voxel size (default: the recipe's ``voxel_mm``).
    progress : bool, optional
        tqdm progress bar over z-slabs (default: when stderr is a terminal).
    window_mm : ((x0, y0, z0), (x1, y1, z1)), mm, optional
        Build only the voxels that meet this box (see :meth:`PreparedBreast.make`).

    Notes
    -----
    The steps (:data:`._breast.STEPS`) draw from one generator in a fixed order: parameters and
    compression, then compartments, texture, ligaments, ducts and vessels; the voxel size
    enters only after every draw. Several windows or voxel sizes of one breast: use
    :class:`PreparedBreast` (``victwin.phantom.prepare``), which draws once.
    """
    return PreparedBreast(spec, seed=seed).make(voxel_mm, window_mm=window_mm,
                                                progress=progress)
