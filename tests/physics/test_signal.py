"""Polyenergetic primary signal against an independent per-energy loop and Beer-Lambert."""

import numpy as np
import pytest

from victwin.physics import absorption_efficiency, linear_attenuation, primary_signal, spectrum
from victwin.physics import _signal

MATERIALS = ["air", "adipose", "glandular", "hydroxyapatite"]


@pytest.fixture(scope="module")
def beam():
    return spectrum("W", 28, [("Be", 1.0), ("Rh", 0.05)], anode_angle_deg=16)


@pytest.fixture(scope="module")
def paths():
    rng = np.random.default_rng(1234)
    p = rng.uniform(0.0, 25.0, size=(2, len(MATERIALS), 7, 9)).astype(np.float32)
    p[:, 3] *= 0.02  # a little calcification
    return p


def _loop_reference(paths, beam, n, eta):
    """Plain per-energy, per-material loop in float64."""
    q = np.zeros(paths.shape[:1] + paths.shape[2:])
    e1, e2, inc = q.copy(), q.copy(), q.copy()
    w = beam.photons_per_mas_mm2 / beam.photons_per_mas_mm2.sum()
    for e, p in zip(beam.energy_kev, w):
        line = np.zeros_like(q)
        for m, name in enumerate(MATERIALS):
            line += float(linear_attenuation(name, e)) * paths[:, m].astype(np.float64)
        t = np.exp(-line)
        d = eta(np.array([e]))[0]
        q += n * p * d * t
        e1 += n * p * d * e * t
        e2 += n * p * d * e * e * t
        inc += n * p * t
    return q, e1, e2, inc


def test_matches_independent_loop(beam, paths):
    def eta(e):
        return absorption_efficiency("selenium", 0.2, e)

    got = primary_signal(paths, MATERIALS, beam, 5000.0, detector_efficiency=eta)
    ref = _loop_reference(paths, beam, 5000.0, eta)
    for arr, r in zip((got.quanta, got.energy_kev, got.energy2_kev2, got.incident_quanta), ref):
        assert arr.dtype == np.float32 and arr.shape == (2, 7, 9)
        np.testing.assert_allclose(arr, r, rtol=2e-5)


def test_monoenergetic_water_is_beer_lambert():
    # NIST XCOM: water mu/rho 0.8096 cm2/g at 20 keV -> mu = 0.08096 /mm.
    lengths = np.array([0.0, 10.0, 40.0], dtype=np.float32)
    path = lengths.reshape(1, 1, 3)
    got = primary_signal(path, ["water"], [20.0], 1000.0)
    np.testing.assert_allclose(got.quanta[0], 1000.0 * np.exp(-0.08096 * lengths), rtol=0.005)
    np.testing.assert_allclose(got.energy_kev, 20.0 * got.quanta, rtol=1e-6)
    np.testing.assert_allclose(got.energy2_kev2, 400.0 * got.quanta, rtol=1e-6)


def test_chunking_does_not_change_the_result(beam, paths, monkeypatch):
    whole = primary_signal(paths, MATERIALS, beam, 1.0)
    monkeypatch.setattr(_signal, "_CHUNK", 5)
    chunked = primary_signal(paths, MATERIALS, beam, 1.0)
    np.testing.assert_allclose(whole.quanta, chunked.quanta, rtol=1e-6)  # BLAS blocking may differ


def test_cpu_buffer_is_bounded_and_does_not_change_the_bits(monkeypatch):
    """A 120 kV chest spectrum keeps ~215 energy bins: the line-integral buffer of a full
    2**18-pixel chunk took 225 MB (tracemalloc, NOTES.md "the chest plan's memory"). The CPU
    path caps it at ``_BUF_BYTES`` without changing a bit of the per-pixel sums."""
    import tracemalloc

    rng = np.random.default_rng(3)
    path = rng.uniform(0.0, 60.0, size=(1, 3, 512, 512)).astype(np.float32)
    spectrum = (np.linspace(15.0, 120.0, 211), np.linspace(1.0, 2.0, 211))
    names = ["water", "adipose", "bone"]
    tracemalloc.start()
    try:
        capped = primary_signal(path, names, spectrum, 100.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the inputs' float32 copies and the four outputs are ~20 MB; the old buffer alone 225 MB
    assert peak < _signal._BUF_BYTES + 40e6, peak
    monkeypatch.setattr(_signal, "_BUF_BYTES", 1 << 40)   # one 2**18 chunk: the old layout
    whole = primary_signal(path, names, spectrum, 100.0)
    for a, b in zip((capped.quanta, capped.energy_kev, capped.energy2_kev2),
                    (whole.quanta, whole.energy_kev, whole.energy2_kev2)):
        np.testing.assert_array_equal(a, b)


def test_photons_per_pixel_map_and_dict_materials(beam, paths):
    n = np.linspace(100, 200, 9, dtype=np.float32)
    got = primary_signal(paths, dict(enumerate(MATERIALS)), beam, n)
    one = primary_signal(paths, MATERIALS, beam, 1.0)
    np.testing.assert_allclose(got.quanta, one.quanta * n, rtol=1e-6)


def test_energy_weights_pair(paths):
    e, w = np.array([18.0, 24.0]), np.array([3.0, 1.0])
    got = primary_signal(paths[:1, :2], MATERIALS[:2], (e, w), 1.0)
    a = [primary_signal(paths[:1, :2], MATERIALS[:2], [x], 1.0).quanta for x in e]
    np.testing.assert_allclose(got.quanta, 0.75 * a[0] + 0.25 * a[1], rtol=1e-6)


@pytest.mark.parametrize("materials, match", [(["air"], "one material per label"), ({0: "air"}, "label 1")])
def test_label_table_mismatch_raises(paths, materials, match):
    with pytest.raises(ValueError, match=match):
        primary_signal(paths[:, :2], materials, [20.0], 1.0)


def test_cupy_arrays_stay_on_device(beam, paths):
    cupy = pytest.importorskip("cupy")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception:
        pytest.skip("no CUDA device")
    got = primary_signal(cupy.asarray(paths), MATERIALS, beam, 10.0)
    assert isinstance(got.quanta, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got.quanta), primary_signal(paths, MATERIALS, beam, 10.0).quanta, rtol=1e-5)


def test_efficiency_array_per_bin_equals_callable(beam, paths):
    eta = absorption_efficiency("selenium", 0.1, beam.energy_kev)
    a = primary_signal(paths, MATERIALS, beam, 1.0, detector_efficiency=eta)
    b = primary_signal(paths, MATERIALS, beam, 1.0,
                       detector_efficiency=lambda e: absorption_efficiency("selenium", 0.1, e))
    np.testing.assert_allclose(a.energy_kev, b.energy_kev, rtol=1e-6)
    with pytest.raises(ValueError, match="one value per energy bin"):
        primary_signal(paths, MATERIALS, beam, 1.0, detector_efficiency=eta[:3])
