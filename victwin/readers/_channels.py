"""Channel sets for channelized observers.

Every function returns a real array ``[n_channels, *roi_shape]`` sampled on the ROI grid with
its origin at the centre element ``roi_shape // 2`` (the ROI centre used by
:func:`victwin.readers.extract_rois`). Channel outputs are ``v = U^T g`` with ``U`` the
channels flattened to columns.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def _shape(shape, ndims=(2, 3)):
    shp = tuple(int(s) for s in np.atleast_1d(shape))
    if len(shp) not in ndims or any(s < 1 for s in shp):
        raise ValueError(f"shape must be {' or '.join(map(str, ndims))} positive ints in array "
                         f"order, got {shape!r}")
    return shp


def _count(n, name="n_channels"):
    if int(n) != n or int(n) < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _offsets(shape):
    """Coordinates (pixels) of each element relative to the centre element, one per axis."""
    return np.meshgrid(*[np.arange(s, dtype=float) - (s // 2) for s in shape], indexing="ij")


def _width_px(ndim, width_px, width_mm, spacing_mm):
    if (width_px is None) == (width_mm is None):
        raise ValueError("give exactly one of width_px and width_mm")
    if width_px is not None:
        w = np.broadcast_to(np.asarray(width_px, float), (ndim,)).copy()
        name, val = "width_px", width_px
    else:
        if spacing_mm is None:
            raise ValueError("spacing_mm (array order) is required with width_mm")
        sp = np.broadcast_to(np.asarray(spacing_mm, float), (ndim,))
        if np.any(~np.isfinite(sp)) or np.any(sp <= 0):
            raise ValueError(f"spacing_mm must be positive numbers, got {spacing_mm!r}")
        w = np.broadcast_to(np.asarray(width_mm, float), (ndim,)) / sp
        name, val = "width_mm", width_mm
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"{name} must be positive, got {val!r}")
    return w


def laguerre_gauss(shape, *, n_channels=5, width_px=None, width_mm=None, spacing_mm=None):
    """Laguerre-Gauss channels in 2D or 3D, orthonormal in the continuum.

    In 2D (Gallas & Barrett 2003)::

        u_j(r) = (sqrt(2) / a) exp(-pi r^2 / a^2) L_j(2 pi r^2 / a^2),   j = 0 .. N-1

    with ``L_j`` the Laguerre polynomial. In ``d`` dimensions the radial functions
    orthogonal under the measure ``r^(d-1) dr`` use the generalised Laguerre polynomial
    ``L_j^(d/2-1)``; in 3D::

        u_j(r) = sqrt(j! sqrt(2 pi) / (a_x a_y a_z Gamma(j + 3/2)))
                 exp(-pi r^2) L_j^(1/2)(2 pi r^2),   r^2 = sum_k (x_k / a_k)^2

    so that ``sum_r u_j u_k = delta_jk`` (pixel units) when the grid holds the channel. A
    width per axis gives anisotropic channels (e.g. DBT voxels). VICTRE uses 5 channels with
    a = 30 px on DM ROIs and 25 px on DBT VOIs.

    Parameters
    ----------
    shape : tuple of int
        ROI shape in array order, ``(ny, nx)`` or ``(nz, ny, nx)``.
    n_channels : int
        Number of channels N (orders 0 .. N-1).
    width_px : float or sequence of float, optional
        Gaussian width ``a`` in pixels (one value, or one per axis in array order).
    width_mm : float or sequence of float, optional
        Width in mm instead; then ``spacing_mm`` (array order) is required.
    spacing_mm : float or sequence of float, optional
        Element spacing (mm) in array order.

    Returns
    -------
    ndarray of float64, shape ``[n_channels, *shape]``

    References
    ----------
    Gallas B.D., Barrett H.H., "Validating the use of channels to estimate the ideal linear
    observer", J. Opt. Soc. Am. A 20(9):1725-1738 (2003). Barrett H.H. et al., "Stabilized
    estimates of Hotelling-observer detection performance in patient-structured noise",
    Proc. SPIE 3340 (1998). Zeng R. et al., VICTRE_MO (``laguerre_gaussian_2d.m``).
    """
    shp = _shape(shape)
    n = _count(n_channels)
    a = _width_px(len(shp), width_px, width_mm, spacing_mm)
    off = _offsets(shp)
    rho2 = sum((o / ak) ** 2 for o, ak in zip(off, a))  # r^2 / a^2
    x = 2.0 * np.pi * rho2
    g = np.exp(-np.pi * rho2)
    out = np.empty((n,) + shp)
    if len(shp) == 2:
        norm = np.sqrt(2.0) / np.sqrt(a[0] * a[1])
        for j in range(n):
            out[j] = norm * g * special.eval_laguerre(j, x)
    else:
        for j in range(n):
            norm = np.sqrt(math.factorial(j) * np.sqrt(2.0 * np.pi)
                           / (np.prod(a) * special.gamma(j + 1.5)))
            out[j] = norm * g * special.eval_genlaguerre(j, 0.5, x)
    return out


def _radial_frequency(shape):
    """|f| (cycles/pixel) on the FFT grid of ``shape`` (last two axes are y, x)."""
    fs = np.meshgrid(*[np.fft.fftfreq(s) for s in shape], indexing="ij")
    return np.sqrt(sum(f * f for f in fs))


def _from_frequency(profile, shape):
    """Real spatial channel, centred at ``shape // 2``, from a radially symmetric profile."""
    u = np.real(np.fft.ifftn(profile, axes=tuple(range(-len(shape), 0))))
    return np.fft.fftshift(u, axes=tuple(range(-len(shape), 0)))


def _unit_norm(ch):
    nrm = np.sqrt(np.sum(ch.reshape(ch.shape[0], -1) ** 2, axis=1))
    return ch / nrm.reshape((-1,) + (1,) * (ch.ndim - 1))


def difference_of_gaussians(shape, *, kind="dense", n_channels=None, sigma0_cyc_per_px=None,
                            alpha=None, q=None):
    """Difference-of-Gaussians (DoG) channels, defined in the frequency domain.

    ::

        C_j(rho) = exp(-(rho / (Q sigma_j))^2 / 2) - exp(-(rho / sigma_j)^2 / 2),
        sigma_j  = sigma_0 * alpha^j,   j = 1 .. N   (one-based, pinned)

    with ``rho`` the radial frequency in cycles/pixel. The spatial channel is the inverse
    DFT of ``C_j`` on the ROI grid, centred, and scaled to unit Euclidean norm.

    Index base: this function pins ``j = 1 .. N`` (as IQmodelo ``make_channels.m`` and
    VICTRE_PIPELINE). Implementations with ``j = 0 .. N-1`` (LCD_CT ``dog_cho_2d.m``) are
    reproduced by passing ``sigma0_cyc_per_px = sigma_0 / alpha``.

    Parameters
    ----------
    shape : tuple of int
        ROI shape ``(ny, nx)``.
    kind : {"dense", "sparse"}
        Defaults of Abbey & Barrett (2001): dense ``sigma_0 = 0.005`` cyc/px, ``alpha = 1.4``,
        ``Q = 1.67``, 10 channels; sparse ``sigma_0 = 0.015``, ``alpha = 2``, ``Q = 2``,
        3 channels. Explicit keywords override them.
    n_channels, sigma0_cyc_per_px, alpha, q : optional
        Overrides.

    Returns
    -------
    ndarray of float64, shape ``[n_channels, ny, nx]``

    References
    ----------
    Abbey C.K., Barrett H.H., "Human- and model-observer performance in ramp-spectrum
    noise: effects of regularization and object variability", J. Opt. Soc. Am. A
    18(3):473-488 (2001).
    """
    shp = _shape(shape, ndims=(2,))
    defaults = {"dense": (10, 0.005, 1.4, 1.67), "sparse": (3, 0.015, 2.0, 2.0)}
    if kind not in defaults:
        raise ValueError(f"kind must be one of {sorted(defaults)}, got {kind!r}")
    dn, ds, da, dq = defaults[kind]
    n = _count(dn if n_channels is None else n_channels)
    s0 = float(ds if sigma0_cyc_per_px is None else sigma0_cyc_per_px)
    al = float(da if alpha is None else alpha)
    qq = float(dq if q is None else q)
    for name, v in (("sigma0_cyc_per_px", s0), ("alpha", al), ("q", qq)):
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be positive, got {v!r}")
    rho = _radial_frequency(shp)
    out = np.empty((n,) + shp)
    for i, j in enumerate(range(1, n + 1)):
        sj = s0 * al ** j
        prof = np.exp(-0.5 * (rho / (qq * sj)) ** 2) - np.exp(-0.5 * (rho / sj) ** 2)
        out[i] = _from_frequency(prof, shp)
    return _unit_norm(out)


def gabor(shape, *, band_edges_cyc_per_px=(1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4),
          orientations_deg=(0.0, 36.0, 72.0, 108.0, 144.0), phases_deg=(0.0, 90.0)):
    """Gabor channels on octave passbands.

    ::

        u(x, y) = exp(-4 ln2 (x^2 + y^2) / w_s^2) cos(2 pi f_c (x cos t + y sin t) + b)

    for each band ``[f_lo, f_hi]``: centre frequency ``f_c = (f_lo + f_hi) / 2`` (cyc/px) and
    spatial width ``w_s = 4 ln2 / (pi (f_hi - f_lo))`` (px); each orientation ``t`` and phase
    ``b``; ``x`` is the column and ``y`` the row offset from the ROI centre. Each channel is
    scaled to unit Euclidean norm. Defaults (4 bands x 5 orientations x 2 phases = 40
    channels) follow Wunderlich's IQmodelo ``make_channels.m``.

    Parameters
    ----------
    shape : tuple of int
        ROI shape ``(ny, nx)``.
    band_edges_cyc_per_px : sequence of float
        Increasing band edges (cyc/px); ``len - 1`` bands.
    orientations_deg : sequence of float
        Orientations (degrees, from the +x axis towards +y).
    phases_deg : sequence of float
        Phases (degrees).

    Returns
    -------
    ndarray of float64, shape ``[n_bands * n_orientations * n_phases, ny, nx]``
        Ordered band-major, then orientation, then phase.

    References
    ----------
    Zhang Y., Pham B.T., Eckstein M.P., "The effect of nonlinear human visual system
    components on performance of a channelized Hotelling observer in structured
    backgrounds", IEEE Trans. Med. Imaging 25(10):1348-1362 (2006).
    """
    shp = _shape(shape, ndims=(2,))
    edges = np.asarray(band_edges_cyc_per_px, float)
    if edges.ndim != 1 or edges.size < 2 or np.any(edges <= 0) or np.any(np.diff(edges) <= 0):
        raise ValueError(f"band_edges_cyc_per_px must be >= 2 increasing positive numbers, "
                         f"got {band_edges_cyc_per_px!r}")
    th = np.deg2rad(np.asarray(orientations_deg, float).reshape(-1))
    ph = np.deg2rad(np.asarray(phases_deg, float).reshape(-1))
    if th.size == 0 or ph.size == 0:
        raise ValueError("orientations_deg and phases_deg must not be empty")
    yy, xx = _offsets(shp)
    chans = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        fc = 0.5 * (lo + hi)
        ws = 4.0 * np.log(2.0) / (np.pi * (hi - lo))
        env = np.exp(-4.0 * np.log(2.0) * (xx ** 2 + yy ** 2) / ws ** 2)
        for t in th:
            arg = 2.0 * np.pi * fc * (xx * np.cos(t) + yy * np.sin(t))
            for b in ph:
                chans.append(env * np.cos(arg + b))
    return _unit_norm(np.stack(chans))


def convolutional_channels(channels, mean_signal):
    """Convolutional channels of Diaz et al. (2015), as VICTRE_MO's ``b_conv`` option.

    ::

        u_conv = IDFT( |DFT(u)|^2 * DFT(s_bar) )

    i.e. each channel's autocorrelation convolved (circularly, on the ROI grid) with the mean
    signal ``s_bar`` (mean lesion-present minus mean lesion-absent ROI), then scaled to unit
    norm. With a 2D channel set and a 3D mean signal ``[z, y, x]`` the 2D operation is
    applied slice by slice (VICTRE_MO ``conv_LG_CHO_3d.m``), giving 3D channels.

    Parameters
    ----------
    channels : ndarray, shape ``[n_channels, ny, nx]`` or ``[n_channels, nz, ny, nx]``
    mean_signal : ndarray, shape ``[ny, nx]`` or ``[nz, ny, nx]``

    Returns
    -------
    ndarray of float64, shape ``[n_channels, *mean_signal.shape]``

    References
    ----------
    Diaz I., Abbey C.K., Timberlake P.A.S., Eckstein M.P., Verdun F.R., Castella C.,
    Bochud F.O., "Derivation of an observer model adapted to irregular signals based on
    convolution channels", IEEE Trans. Med. Imaging 34(7):1428-1435 (2015).
    """
    u = np.asarray(channels, float)
    s = np.asarray(mean_signal, float)
    if u.ndim - 1 not in (2, 3) or s.ndim not in (2, 3) or u.shape[-2:] != s.shape[-2:] \
            or (u.ndim - 1 == 3 and u.shape[1:] != s.shape):
        raise ValueError(f"channels {u.shape} and mean_signal {s.shape} shapes do not match")
    axes = tuple(range(-(u.ndim - 1), 0))
    U = np.fft.fftn(np.fft.ifftshift(u, axes=axes), axes=axes)
    power = np.abs(U) ** 2
    if u.ndim - 1 == 2 and s.ndim == 3:
        S = np.fft.fft2(s)                       # [z, y, x], per slice
        out = np.real(np.fft.ifft2(power[:, None] * S[None]))
    else:
        S = np.fft.fftn(s)
        out = np.real(np.fft.ifftn(power * S[None], axes=axes))
    nrm = np.sqrt(np.sum(out.reshape(out.shape[0], -1) ** 2, axis=1))
    if np.any(nrm == 0):
        raise ValueError("mean_signal is zero or orthogonal to a channel; convolutional "
                         "channels are undefined")
    return out / nrm.reshape((-1,) + (1,) * (out.ndim - 1))
