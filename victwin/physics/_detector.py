"""Flat-panel detectors: direct a-Se and indirect CsI, from absorbed energy to 14-bit raw values.

The chain, per pixel (aperture integration happens before, in the ray tracer, by averaging
``rays_per_pixel x rays_per_pixel`` sub-pixel rays):

1. Quantum noise. The detector receives an expected absorbed energy ``E1 = sum_E n(E) E`` and
   its second moment ``E2 = sum_E n(E) E^2`` (from the polyenergetic signal model). A compound
   Poisson process with an intrinsic Swank factor ``I`` has mean ``E1`` and variance ``E2 / I``.
   We draw ``N ~ Poisson(q)`` with ``q = I E1^2 / E2`` quanta of ``E1 / q`` keV each, which has
   exactly that mean and variance (``E1^2 / E2`` is the spectrum's own Swank factor times the
   number of absorbed quanta) and stays a counting process at low dose.
2. Light spread (indirect detectors only): an exponential line-spread blur, MTF
   ``1 / (1 + (2 pi f s)^2)``, applied to the noisy energy image, so that it colours the noise
   as in a real scintillator.
3. Conversion to charge: ``E / W`` electrons (``W`` = energy per collected electron; a-Se:
   50 eV per electron-hole pair, VICTRE).
4. Electronic noise: additive Gaussian with the given rms electrons per (native) pixel; a
   ``k x k`` binned pixel sums ``k^2`` readouts, so its rms is ``k`` times larger.
5. Gain and offset to an unsigned ``bits``-bit integer ("for processing"), clipped.

Noise models (``Detector.noise_model``):

* ``"victwin"`` (default): steps 1-5 above; the electronic noise is additive Gaussian with
  ``electronic_noise_e`` electrons rms.
* ``"mcgpu"``: MC-GPU v1.5b's charge model as VICTRE ran it (DIDSR/VICTRE_MCGPU
  ``MC-GPU_v1.5b.cu``, DETECTOR_RESPONSE block, lines 3344-3385). MC-GPU's Monte Carlo supplies
  the photon-counting noise of the absorbed energy (here: the compound Poisson of step 1 with an
  intrinsic Swank factor of 1). The deposited energy ``E`` of the primary image then becomes
  a Gaussian number of charges with ``mean = E / W + electronic_noise`` (lines 3357-3359) and
  ``std = sqrt(mean_E * Swank_rel_std) + sqrt(electronic_noise)`` (lines 3358, 3360; note the
  sum of standard deviations, not of variances), where ``Swank_rel_std = sqrt(1 / Swank - 1)``
  (line 1676) and ``mean_E = E / W``; each scatter image gets ``std = sqrt(mean_E *
  Swank_rel_std)`` without electronic noise (lines 3366-3377; "Additive electronic noise is
  being added only to the No Scatter results", line 3346). Values below 0 become 0 and are
  rounded to whole charges (lines 3363, 3387-3390). The mean electronic offset
  (``electronic_noise_e`` charges) is subtracted again by :func:`digitize`, as VICTRE's raw to
  DICOM conversion did (DIDSR/VICTRE ``Raw to DICOM conversion/DICOM_DM.m`` line 64,
  ``8*(50 + (pixel - 5200)*0.000239)``). With VICTRE's 5200 the additive noise is therefore
  ``sqrt(5200) = 72`` electrons, plus its cross term with the gain noise, not 5200 rms.

"For presentation" images are made by :func:`._presentation.for_presentation`: the
log of the flat-field normalised signal, peripheral equalisation and a sigmoid display LUT.

References
----------
.. [1] Badano A et al. Evaluation of digital breast tomosynthesis as replacement of full-field
   digital mammography using an in silico imaging trial. JAMA Netw Open 1:e185474 (2018);
   VICTRE MC-GPU detector: 200 um a-Se, 85 um pixels, W+- = 50 eV, Swank 0.99,
   electronic noise 5200 electrons per pixel.
.. [2] Swank RK. Absorption and noise in x-ray phosphors. J Appl Phys 44:4199 (1973).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from ._attenuation import absorption_efficiency

__all__ = ["Detector", "noise_generator", "quantum_efficiency", "detect", "digitize",
           "log_normalise", "SIGNAL_FLOOR_ADU", "A_SE_VICTRE",
           "NOISE_MODELS", "mcgpu_charge_std_e"]

_KINDS = ("direct", "indirect")
#: Detector noise models (see the module notes).
NOISE_MODELS = ("victwin", "mcgpu")


@dataclass(frozen=True)
class Detector:
    """An energy-integrating flat-panel detector.

    Parameters
    ----------
    kind : {"direct", "indirect"}
        Direct conversion (a-Se) or scintillator plus photodiodes (CsI).
    material : str
        Sensor material name known to ``victwin.physics`` ("selenium", "csi").
    thickness_mm : float, mm
        Sensor thickness (a-Se: 0.2).
    pitch_mm : float, mm
        Native pixel pitch (a-Se Mammomat: 0.085).
    energy_per_electron_ev : float, eV
        Absorbed energy per collected electron (a-Se: W+- = 50 eV).
    swank : float
        Intrinsic Swank factor of the conversion, (0, 1] (a-Se: 0.99).
    electronic_noise_e : float, electrons rms
        Additive electronic noise per native pixel (VICTRE: 5200).
    gain_adu_per_e : float, ADU per electron
        Raw value per collected electron.
    offset_adu : float, ADU
        Raw value at zero signal.
    bits : int
        Bits stored in the raw image (14).
    light_spread_mm : float, mm
        Exponential light-spread length ``s`` (indirect only; 0 for direct).
    noise_model : {"victwin", "mcgpu"}
        How absorbed energy becomes charge (module notes); ``"mcgpu"`` is VICTRE's.
    """

    kind: str
    material: str
    thickness_mm: float
    pitch_mm: float
    energy_per_electron_ev: float
    swank: float
    electronic_noise_e: float
    gain_adu_per_e: float
    offset_adu: float = 0.0
    bits: int = 14
    light_spread_mm: float = 0.0
    noise_model: str = "victwin"

    def __post_init__(self):
        if self.noise_model not in NOISE_MODELS:
            raise ValueError(f"detector noise_model must be one of {NOISE_MODELS}, got "
                             f"{self.noise_model!r}")
        if self.kind not in _KINDS:
            raise ValueError(f"detector kind must be one of {_KINDS}, got {self.kind!r}")
        if not isinstance(self.material, str) or not self.material:
            raise ValueError(f"detector material must be a material name, got {self.material!r}")
        for name in ("thickness_mm", "pitch_mm", "energy_per_electron_ev", "gain_adu_per_e"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"detector {name} must be a number > 0, got {v!r}")
        for name in ("electronic_noise_e", "offset_adu", "light_spread_mm"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"detector {name} must be a number >= 0, got {v!r}")
        if not isinstance(self.swank, (int, float)) or not 0 < self.swank <= 1:
            raise ValueError(f"detector swank must be in (0, 1], got {self.swank!r}")
        if isinstance(self.bits, bool) or not isinstance(self.bits, int) \
                or not 8 <= self.bits <= 16:
            raise ValueError(f"detector bits must be an integer in 8..16, got {self.bits!r}")
        if self.kind == "direct" and self.light_spread_mm != 0:
            raise ValueError(f"detector light_spread_mm must be 0 for a direct detector, got "
                             f"{self.light_spread_mm!r}")
        if self.offset_adu >= 2 ** self.bits - 1:
            raise ValueError(f"detector offset_adu must be < {2 ** self.bits - 1}, got "
                             f"{self.offset_adu!r}")

    @property
    def max_adu(self) -> int:
        """Largest raw value, ``2**bits - 1``."""
        return 2 ** self.bits - 1


#: VICTRE's Mammomat a-Se detector. Gain: VICTRE's DM conversion uses 0.000239 13-bit units per
#: electron, times 8 for 16 bits; 14 bits is twice the 13-bit value.
A_SE_VICTRE = Detector(kind="direct", material="selenium", thickness_mm=0.2, pitch_mm=0.085,
                       energy_per_electron_ev=50.0, swank=0.99, electronic_noise_e=5200.0,
                       gain_adu_per_e=0.000478, offset_adu=100.0)


def _stable_int(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def noise_generator(seed: int, *, case: int = 0, modality: str = "", view: int = 0
                    ) -> np.random.Generator:
    """The random stream for one view of one case.

    Parameters
    ----------
    seed : int
        Trial (or run) seed, >= 0.
    case : int
        Case index, >= 0.
    modality : str
        Modality / system name; hashed with CRC-32, which is stable across runs and machines.
    view : int
        View index within the scan, >= 0.

    Returns
    -------
    numpy.random.Generator
        ``PCG64(SeedSequence([seed, case, crc32(modality), view]))``: a view re-run alone,
        in any process, gets the same stream.
    """
    for name, v in (("seed", seed), ("case", case), ("view", view)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    entropy = [int(seed), int(case), _stable_int(str(modality)), int(view)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def quantum_efficiency(detector: Detector, energy_kev):
    """Fraction of normally incident photons the sensor absorbs, ``1 - exp(-mu t)``.

    Parameters
    ----------
    detector : Detector
    energy_kev : float or array, keV

    Returns
    -------
    float array like ``energy_kev``
    """
    energy_kev = np.asarray(energy_kev, dtype=float)
    return np.asarray(absorption_efficiency(detector.material, detector.thickness_mm,
                                            energy_kev), dtype=float)


def _light_spread(image: np.ndarray, spread_mm: float, pitch_mm: float) -> np.ndarray:
    """Exponential line-spread blur: MTF(f) = 1 / (1 + (2 pi f s)^2), on a reflect-padded image."""
    pad = int(min(max(image.shape), math.ceil(8 * spread_mm / pitch_mm) + 1))
    padded = np.pad(image, pad, mode="reflect")
    fv = np.fft.fftfreq(padded.shape[0], d=pitch_mm)
    fu = np.fft.rfftfreq(padded.shape[1], d=pitch_mm)
    f2 = fv[:, None] ** 2 + fu[None, :] ** 2
    mtf = 1.0 / (1.0 + (2 * math.pi * spread_mm) ** 2 * f2)
    out = np.fft.irfft2(np.fft.rfft2(padded) * mtf, s=padded.shape)
    return out[pad:pad + image.shape[0], pad:pad + image.shape[1]]


def mcgpu_charge_std_e(mean_e, detector: Detector, *, electronic: bool = True, xp=np):
    """Standard deviation (electrons) MC-GPU gives the charge of one pixel.

    ``sqrt(mean_e * sqrt(1/swank - 1)) + sqrt(electronic_noise_e)`` for the primary image,
    without the second term for scatter images (MC-GPU_v1.5b.cu lines 1676, 3358-3360, 3366).

    Parameters
    ----------
    mean_e : float or array, electrons
        Deposited energy over ``W`` (before the electronic offset is added).
    detector : Detector
    electronic : bool
        Add the electronic term (MC-GPU adds it to the primary image only).
    xp : module
        Array module of ``mean_e`` (NumPy or CuPy).
    """
    rel = 0.0 if detector.swank > 0.9999995 else math.sqrt(1.0 / detector.swank - 1.0)
    std = xp.sqrt(xp.maximum(xp.asarray(mean_e, dtype=xp.float64), 0.0) * rel)
    if electronic:
        std = std + math.sqrt(detector.electronic_noise_e)
    return std


def _compound_poisson(e1, e2, swank, rng):
    ok = (e1 > 0) & (e2 > 0)
    q = np.zeros_like(e1)
    q[ok] = swank * e1[ok] ** 2 / e2[ok]
    per_quantum = np.zeros_like(e1)
    per_quantum[ok] = e1[ok] / q[ok]
    return rng.poisson(q).astype(np.float64) * per_quantum


def _detect_mcgpu(e1, e2, detector, rng, binning, primary_kev):
    k2 = binning * binning
    per_e = 1000.0 / detector.energy_per_electron_ev
    en = detector.electronic_noise_e
    if rng is None:
        return e1 * per_e + k2 * en
    absorbed = _compound_poisson(e1, e2, 1.0, rng)
    mean = absorbed * per_e
    if primary_kev is None:
        frac = np.ones_like(e1)
    else:
        p = np.asarray(primary_kev, dtype=np.float64)
        if p.shape != e1.shape or np.any(p < 0) or np.any(p > e1 * (1 + 1e-9) + 1e-12):
            raise ValueError("primary_kev must have the shape of energy_kev, with "
                             "0 <= primary_kev <= energy_kev")
        frac = np.divide(p, e1, out=np.ones_like(e1), where=e1 > 0)
    # per native pixel (a binned pixel sums k^2 native read-outs, each with MC-GPU's noise)
    m_p = mean * frac / k2
    m_s = mean * (1.0 - frac) / k2
    var = k2 * (mcgpu_charge_std_e(m_p, detector) ** 2
                + mcgpu_charge_std_e(m_s, detector, electronic=False) ** 2)
    charge = rng.normal(mean + k2 * en, np.sqrt(var))
    return np.rint(np.maximum(charge, 0.0))


def detect(energy_kev, energy2_kev2, detector: Detector, rng: np.random.Generator | None, *,
           binning: int = 1, primary_kev=None) -> np.ndarray:
    """Collected charge per pixel, with quantum and electronic noise.

    Parameters
    ----------
    energy_kev : float array ``[nv, nu]``, keV
        Expected energy absorbed in the sensor per pixel (primary plus scatter).
    energy2_kev2 : float array ``[nv, nu]``, keV^2
        Expected ``sum n(E) E^2`` per pixel (the second moment of the absorbed energy).
    detector : Detector
    rng : numpy.random.Generator or None
        Noise stream (see :func:`noise_generator`); ``None`` gives the expected (noise-free)
        charge.
    binning : int
        Pixels are ``binning x binning`` native pixels (electronic noise adds per native pixel).
    primary_kev : float array ``[nv, nu]``, keV, optional
        Expected primary (unscattered) part of ``energy_kev``; used by the ``"mcgpu"`` noise
        model, which adds electronic noise to the primary image only (omitted: all primary).

    Returns
    -------
    float64 array ``[nv, nu]``, electrons
        For the ``"mcgpu"`` model this includes MC-GPU's mean electronic offset
        (``binning**2 * electronic_noise_e``), which :func:`digitize` removes.
    """
    e1 = np.asarray(energy_kev, dtype=np.float64)
    e2 = np.asarray(energy2_kev2, dtype=np.float64)
    if e1.shape != e2.shape or e1.ndim != 2:
        raise ValueError(f"energy_kev and energy2_kev2 must be 2-D arrays of one shape, got "
                         f"{e1.shape} and {e2.shape}")
    if np.any(e1 < 0) or np.any(e2 < 0) or not np.all(np.isfinite(e1)):
        raise ValueError("energy_kev and energy2_kev2 must be finite and >= 0")
    binning = int(binning)
    if binning < 1:
        raise ValueError(f"binning must be >= 1, got {binning}")
    if detector.noise_model == "mcgpu":
        return _detect_mcgpu(e1, e2, detector, rng, binning, primary_kev)
    pitch = detector.pitch_mm * binning
    if rng is None:
        absorbed = e1
    else:
        absorbed = _compound_poisson(e1, e2, detector.swank, rng)
    if detector.kind == "indirect" and detector.light_spread_mm > 0:
        absorbed = _light_spread(absorbed, detector.light_spread_mm, pitch)
    electrons = absorbed * (1000.0 / detector.energy_per_electron_ev)
    if rng is not None and detector.electronic_noise_e > 0:
        electrons = electrons + rng.normal(0.0, detector.electronic_noise_e * binning,
                                           size=electrons.shape)
    return electrons


def digitize(electrons, detector: Detector, *, binning: int = 1) -> np.ndarray:
    """Raw ("for processing") values: ``offset + gain * electrons / binning**2``, rounded and
    clipped to ``bits`` (``"mcgpu"`` noise model: the mean electronic offset is subtracted
    first).

    A binned pixel reads the mean of its ``binning x binning`` native pixels, so raw values
    keep their scale whatever the binning.

    Parameters
    ----------
    electrons : float array, electrons
    detector : Detector
    binning : int

    Returns
    -------
    uint16 array, ADU in ``[0, 2**bits - 1]``
    """
    binning = int(binning)
    if binning < 1:
        raise ValueError(f"binning must be >= 1, got {binning}")
    gain = detector.gain_adu_per_e / binning ** 2
    electrons = np.asarray(electrons)
    if detector.noise_model == "mcgpu":
        # VICTRE's conversion subtracts MC-GPU's mean electronic offset (DICOM_DM.m line 64)
        electrons = electrons - binning ** 2 * detector.electronic_noise_e
    adu = np.rint(detector.offset_adu + gain * electrons)
    return np.clip(adu, 0, detector.max_adu).astype(np.uint16)


#: Smallest signal above offset (ADU) that :func:`log_normalise` takes the log of: half an ADU,
#: the rounding step of the 14-bit readout, so a pixel read at the offset stays finite.
SIGNAL_FLOOR_ADU = 0.5


def log_normalise(raw, offset_adu: float, flat_adu, *, dtype=np.float32) -> np.ndarray:
    """Line integrals ``-ln((raw - offset) / flat)`` of raw ("for processing") images.

    This is the one log normalisation of victwin: the display (:func:`for_presentation`),
    reconstruction and the model observers all read projections through it.

    Parameters
    ----------
    raw : array ``[..., nv, nu]``, ADU
        Raw detector values (offset included).
    offset_adu : float, ADU
        Detector offset.
    flat_adu : float or array broadcastable to ``raw``, ADU above offset
        Expected signal of an unattenuated pixel (same mAs, grid and detector); finite, > 0.
    dtype : numpy dtype
        Output dtype (float32 by default).

    Returns
    -------
    array of ``dtype``, same shape as ``raw``: dimensionless line integrals, 0 in open field.
    The signal is floored at :data:`SIGNAL_FLOOR_ADU` (half an ADU) before the log.
    """
    flat = np.asarray(flat_adu, dtype=np.float64)
    if not (np.all(np.isfinite(flat)) and np.all(flat > 0)):
        raise ValueError("flat_adu must be finite and > 0 everywhere")
    signal = np.maximum(np.asarray(raw, dtype=np.float64) - float(offset_adu), SIGNAL_FLOOR_ADU)
    return (-np.log(signal / flat)).astype(dtype, copy=False)

