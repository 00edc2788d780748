"""Bad input raises a clear error before any work starts."""

import numpy as np
import pytest

from victwin.geometry import FlatPanel, Grid, View, mammography_view
from victwin.raytrace import backproject, project_labels, project_volume

GRID = Grid(shape=(3, 4, 5), spacing=(1.0, 1.0, 1.0), origin=(0.5, -1.5, 20.5))
VIEW = mammography_view(detector_shape=(4, 4), pitch_mm=2.0, sid_mm=100.0)


def test_wrong_dtype():
    with pytest.raises(TypeError, match="uint8, got float32"):
        project_labels(np.zeros(GRID.shape, np.float32), GRID, VIEW, 2, backend="cpu")


def test_label_out_of_range():
    labels = np.zeros(GRID.shape, np.uint8)
    labels[1, 2, 3] = 5
    with pytest.raises(ValueError, match=r"label 5, which is >= n_labels \(3\)"):
        project_labels(labels, GRID, VIEW, 3, backend="cpu")


def test_shape_mismatch():
    with pytest.raises(ValueError, match="does not match grid.shape"):
        project_labels(np.zeros((3, 4, 6), np.uint8), GRID, VIEW, 2, backend="cpu")


def test_empty_views():
    with pytest.raises(ValueError, match="at least one View"):
        project_labels(np.zeros(GRID.shape, np.uint8), GRID, [], 2, backend="cpu")
    with pytest.raises(ValueError, match="at least one View"):
        project_volume(np.zeros(GRID.shape, np.float32), GRID, [], backend="cpu")


def test_non_finite_coordinates():
    with pytest.raises(ValueError, match="View.source must be finite"):
        View(source=(0.0, np.nan, 100.0), panel=VIEW.panel)
    with pytest.raises(ValueError, match="FlatPanel.center must be finite"):
        FlatPanel(shape=(2, 2), pitch=(1.0, 1.0), center=(np.inf, 0, 0))


def test_bad_backend_and_options():
    labels = np.zeros(GRID.shape, np.uint8)
    with pytest.raises(ValueError, match="backend must be one of"):
        project_labels(labels, GRID, VIEW, 2, backend="gpu")
    with pytest.raises(ValueError, match="rays_per_pixel"):
        project_labels(labels, GRID, VIEW, 2, backend="cpu", rays_per_pixel=0)
    with pytest.raises(ValueError, match="n_labels must be in 1..256"):
        project_labels(labels, GRID, VIEW, 0, backend="cpu")


def test_cuda_requested_without_device(monkeypatch):
    from victwin import _backend

    monkeypatch.setattr(_backend, "cuda_status", lambda: (False, "no usable CUDA device"))
    with pytest.raises(RuntimeError, match="backend 'cuda' is not usable here: no usable"):
        project_volume(np.zeros(GRID.shape, np.float32), GRID, VIEW, backend="cuda")


def test_backproject_shape_mismatch():
    with pytest.raises(ValueError, match="does not match the views"):
        backproject(np.zeros((2, 4, 4), np.float32), GRID, [VIEW], backend="cpu")
