"""Shared chest twins for the phantom tests (``_chest_bodies``)."""

import pytest

from ._chest_bodies import build


@pytest.fixture(scope="session")
def chest_twin():
    """``chest_twin(body, seed, voxel_mm=2.0)``: the chest twin built once per test session and
    shared, read-only (:func:`._chest_bodies.build`)."""
    return build
