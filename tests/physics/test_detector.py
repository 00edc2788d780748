"""a-Se and CsI detector chain: aperture MTF from a slanted edge, noise scaling, NPS, streams.

References
----------
VICTRE (Badano et al. 2018, JAMA Netw Open 1:e185474; MC-GPU input): a-Se 200 um, 85 um
pixels, 50 eV per electron-hole pair, Swank 0.99, 5200 electrons electronic noise.
Ideal square aperture a: MTF(f) = |sinc(f a)|, at Nyquist f = 1/(2a): 2/pi = 0.637.
IEC 62220-1 / Samei et al., Med Phys 25:102 (1998): slanted-edge presampled MTF (oversampled
ESF, finite-difference LSF, Fourier transform).
Swank (1973): a compound Poisson process has variance sum n(E) E^2 / I.
"""

import math
from dataclasses import replace

import numpy as np
import pytest

from victwin.physics import (A_SE_VICTRE, Detector, detect, digitize, for_presentation,
                             noise_generator, primary_signal, quantum_efficiency, spectrum)
from victwin.validation import presampled_mtf, slanted_edge

W_RH = spectrum("W", 28, [("Be", 1.0), ("Rh", 0.05)])


def test_se_quantum_efficiency_at_20_kev():
    # VICTRE's 200 um a-Se (4.28 g/cm3, Kasap et al. 2009): 1 - exp(-mu t) with xraylib's total
    # cross section of Se (Z = 34), computed here.
    import xraylib

    assert A_SE_VICTRE.thickness_mm == pytest.approx(0.2)
    expected = 1 - math.exp(-4.28 * xraylib.CS_Total(34, 20.0) / 10 * 0.2)
    assert float(quantum_efficiency(A_SE_VICTRE, 20.0)) == pytest.approx(expected, rel=1e-4)


def test_ideal_aperture_mtf_at_nyquist_from_slanted_edge():
    # the slanted-edge procedure is victwin.validation's (the report's live check uses it too);
    # the reference is the analytic sinc of an ideal 85 um aperture
    raw, det, flat, panel = slanted_edge(n=96, rays_per_pixel=10)
    f, mtf = presampled_mtf(raw, det, flat, panel)
    nyquist = 1 / (2 * 0.085)
    assert np.interp(nyquist, f, mtf) == pytest.approx(2 / math.pi, abs=0.01)
    # and half way to Nyquist: sinc(0.25) = 0.900
    assert np.interp(nyquist / 2, f, mtf) == pytest.approx(np.sinc(0.25), abs=0.01)


def test_slanted_edge_with_noise_agrees():
    raw, det, flat, panel = slanted_edge(noise_seed=3, n=128, rays_per_pixel=10)
    f, mtf = presampled_mtf(raw, det, flat, panel, bin_frac=0.25)
    assert np.interp(1 / 0.17, f, mtf) == pytest.approx(2 / math.pi, abs=0.05)


def flat_field(mas, shape=(128, 128), seed=0, det=A_SE_VICTRE):
    paths = np.zeros((1,) + shape, np.float32)
    n_pix = W_RH.total_photons_per_mas_mm2(650.0) * mas * det.pitch_mm ** 2
    sig = primary_signal(paths, ["air"], W_RH, n_pix,
                         detector_efficiency=lambda e: quantum_efficiency(det, e))
    e1 = np.asarray(sig.energy_kev, float)
    e2 = np.asarray(sig.energy2_kev2, float)
    return detect(e1, e2, det, noise_generator(seed, modality="flat")), e1, e2


def test_flat_field_variance_is_compound_poisson_plus_electronic():
    el, e1, e2 = flat_field(5.0)
    to_e = 1000 / A_SE_VICTRE.energy_per_electron_ev
    expected = e2.mean() / A_SE_VICTRE.swank * to_e ** 2 + A_SE_VICTRE.electronic_noise_e ** 2
    assert el.var() == pytest.approx(expected, rel=0.05)
    assert el.mean() == pytest.approx(e1.mean() * to_e, rel=1e-3)


def test_flat_field_variance_scales_with_inverse_mas():
    # quantum noise: relative variance (after removing the known electronic variance) ~ 1/mAs
    rel = {}
    for mas in (2.0, 8.0, 32.0):
        el, e1, _ = flat_field(mas, seed=int(mas))
        rel[mas] = (el.var() - A_SE_VICTRE.electronic_noise_e ** 2) / el.mean() ** 2
    assert rel[2.0] / rel[8.0] == pytest.approx(4.0, rel=0.1)
    assert rel[8.0] / rel[32.0] == pytest.approx(4.0, rel=0.1)


def nps_band_ratio(image, roi=64):
    """Mean 2-D NPS in the lowest vs highest radial frequency band (DC excluded)."""
    stack = []
    for j in range(0, image.shape[0] - roi + 1, roi):
        for i in range(0, image.shape[1] - roi + 1, roi):
            r = image[j:j + roi, i:i + roi]
            stack.append(np.abs(np.fft.fft2(r - r.mean())) ** 2)
    nps = np.mean(stack, axis=0)
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(roi), np.fft.fftfreq(roi), indexing="ij"))
    low = nps[(f > 0) & (f < 0.15)].mean()
    high = nps[(f > 0.35) & (f <= 0.5)].mean()
    return low / high


def test_a_se_flat_field_nps_is_white():
    el, _, _ = flat_field(20.0, shape=(256, 256))
    assert nps_band_ratio(el) == pytest.approx(1.0, abs=0.1)


def test_csi_light_spread_colours_the_nps():
    csi = Detector(kind="indirect", material="csi", thickness_mm=0.6, pitch_mm=0.14,
                   energy_per_electron_ev=37.0, swank=0.9, electronic_noise_e=0.0,
                   gain_adu_per_e=0.004, light_spread_mm=0.1)
    el, _, _ = flat_field(20.0, shape=(256, 256), det=csi)
    # White quantum noise through a blur has NPS ~ MTF^2. The light spread is an exponential
    # line-spread function of length s = 0.1 mm, whose MTF is the Lorentzian
    # 1 / (1 + (2 pi f s)^2); the band ratio it predicts, averaged over the same frequency bins:
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(64), np.fft.fftfreq(64), indexing="ij"))
    mtf2 = (1.0 / (1.0 + (2 * math.pi * 0.1 * f / 0.14) ** 2)) ** 2
    predicted = mtf2[(f > 0) & (f < 0.15)].mean() / mtf2[(f > 0.35) & (f <= 0.5)].mean()
    assert predicted > 9  # strongly coloured, not a near-white NPS
    assert nps_band_ratio(el) == pytest.approx(predicted, rel=0.15)


def test_noise_streams_are_reproducible_and_distinct():
    a = noise_generator(11, case=2, modality="mammomat-dbt", view=4).standard_normal(8)
    b = noise_generator(11, case=2, modality="mammomat-dbt", view=4).standard_normal(8)
    c = noise_generator(11, case=2, modality="mammomat-dbt", view=5).standard_normal(8)
    d = noise_generator(11, case=2, modality="mammomat-dm", view=4).standard_normal(8)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, d)
    with pytest.raises(ValueError, match="view"):
        noise_generator(1, view=-1)


def test_digitize_clips_to_14_bits_and_presentation_is_monotonic():
    raw = digitize(np.array([-1e9, 0.0, 1e6, 1e12]), A_SE_VICTRE)
    assert raw.dtype == np.uint16
    assert raw.tolist() == [0, 100, 100 + round(478.0), 16383]
    ramp = np.linspace(200, 16000, 64).astype(np.uint16)[None, :]
    out, window = for_presentation(ramp, A_SE_VICTRE, 16000.0)
    assert out.max() <= 4095 and np.all(np.diff(out.astype(int)) <= 0)
    assert window[0] < window[1]


def test_detector_rejects_bad_values():
    with pytest.raises(ValueError, match="swank"):
        replace(A_SE_VICTRE, swank=1.5)
    with pytest.raises(ValueError, match="kind"):
        replace(A_SE_VICTRE, kind="film")
    with pytest.raises(ValueError, match="light_spread_mm"):
        replace(A_SE_VICTRE, light_spread_mm=0.1)
    with pytest.raises(ValueError, match="same shape|one shape"):
        detect(np.ones((2, 2)), np.ones((2, 3)), A_SE_VICTRE, None)
