"""Linear model observers with a scikit-learn style interface.

Every observer takes its parameters in ``__init__`` (stored unchanged), learns only in
``fit(X, y)`` from the training ROIs, keeps what it learned in attributes ending in ``_`` and
scores with ``decision_function(X)``. Nothing from the ROIs passed to ``decision_function``
enters a template or a covariance. ``X`` is ``[n, y, x]`` (ROIs) or ``[n, z, y, x]`` (VOIs);
``y`` holds 0 (lesion absent) or 1 (lesion present). Larger scores mean "lesion present".

Covariances are the pooled ``K = (K_0 + K_1) / 2`` of the two class sample covariances
(divisor ``n_c - 1``), as VICTRE_MO ``conv_LG_CHO_2d.m``; inverses are Moore-Penrose
pseudo-inverses.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._channels import convolutional_channels


# --------------------------------------------------------------------------- helpers

def _check_X(X, name="X"):
    arr = np.asarray(X)
    if arr.ndim not in (3, 4):
        raise ValueError(f"{name} must be [n, y, x] or [n, z, y, x], got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite values")
    return arr


def _check_Xy(X, y):
    X = _check_X(X)
    lab = np.asarray(y)
    if lab.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {lab.shape}")
    if not np.all(np.isin(lab, (0, 1))):
        raise ValueError(f"y must hold only 0 (absent) and 1 (present), got values "
                         f"{np.unique(lab)[:5].tolist()}")
    lab = lab.astype(np.int64)
    for c in (0, 1):
        if np.count_nonzero(lab == c) < 2:
            raise ValueError(f"y needs at least 2 training ROIs of class {c}, "
                             f"got {np.count_nonzero(lab == c)}")
    return X, lab


def _class_stats(F, y):
    """Class means, their difference and the pooled covariance of features ``F [n, p]``."""
    m0 = F[y == 0].mean(axis=0)
    m1 = F[y == 1].mean(axis=0)
    K0 = np.cov(F[y == 0], rowvar=False, ddof=1).reshape(F.shape[1], F.shape[1])
    K1 = np.cov(F[y == 1], rowvar=False, ddof=1).reshape(F.shape[1], F.shape[1])
    return m0, m1, m1 - m0, 0.5 * (K0 + K1)


def _hotelling_weights(K, delta):
    """``pinv(K) @ delta`` for a symmetric positive semi-definite ``K``."""
    return np.linalg.pinv(K, hermitian=True) @ delta


def _hotelling_weights_from_data(F, y, delta):
    """``pinv(K) @ delta`` with ``K`` the pooled covariance, through the SVD of the centred
    data (cost O(n^2 p), so it works for ROI-sized pixel counts p >> n)."""
    blocks = []
    for c in (0, 1):
        Fc = F[y == c]
        blocks.append((Fc - Fc.mean(axis=0)) / np.sqrt(2.0 * (Fc.shape[0] - 1)))
    A = np.concatenate(blocks, axis=0)          # K = A^T A
    _, s, vt = np.linalg.svd(A, full_matrices=False)
    ev = s ** 2
    keep = ev > ev.max() * max(A.shape) * np.finfo(float).eps if ev.size else ev > 0
    proj = vt[keep] @ delta
    return vt[keep].T @ (proj / ev[keep])


def _rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


class _Observer:
    """Shared parameter handling (``get_params`` / ``set_params``) and checks."""

    def get_params(self, deep=False):
        """Parameters given to ``__init__``, by name."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {k: getattr(self, k) for k in names}

    def set_params(self, **params):
        """Set ``__init__`` parameters by name; returns ``self``."""
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"unknown parameter {k!r} for {type(self).__name__}; "
                                 f"valid: {sorted(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()
                         if not isinstance(v, np.ndarray))
        return f"{type(self).__name__}({args})"

    def _check_fitted_X(self, X):
        if not hasattr(self, "roi_shape_"):
            raise ValueError(f"{type(self).__name__} is not fitted; call fit(X, y) first")
        X = _check_X(X)
        if X.shape[1:] != self.roi_shape_:
            raise ValueError(f"X ROIs have shape {X.shape[1:]}, the observer was fitted on "
                             f"{self.roi_shape_}")
        return X

    def _check_noise_params(self):
        for name in ("channel_noise", "decision_noise"):
            v = getattr(self, name, 0.0)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a non-negative number, got {v!r}")

    def _set_decision_noise_scale(self, t, y):
        """Decision noise is ``decision_noise`` times the pooled within-class std of the
        training scores ``t``; also records the training class sizes."""
        sd = np.sqrt(0.5 * (t[y == 0].var(ddof=1) + t[y == 1].var(ddof=1)))
        self.decision_noise_std_ = float(self.decision_noise) * sd
        self.n_train_ = (int(np.sum(y == 0)), int(np.sum(y == 1)))

    def _add_decision_noise(self, t, rng):
        if self.decision_noise_std_ > 0:
            t = t + rng.normal(0.0, self.decision_noise_std_, size=t.shape)
        return t


# --------------------------------------------------------------------------- image space

class _TemplateObserver(_Observer):
    """An observer whose decision variable is ``t = template_ . g`` (+ decision noise)."""

    def _fit_template(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y):
        """Learn the template from training ROIs ``X`` with truth ``y``; returns ``self``."""
        self._check_noise_params()
        X, y = _check_Xy(X, y)
        self.roi_shape_ = X.shape[1:]
        F = X.reshape(X.shape[0], -1)
        w = self._fit_template(X, y)
        self.template_ = w.reshape(self.roi_shape_)
        t = F @ w
        self._set_decision_noise_scale(t, y)
        return self

    def decision_function(self, X):
        """Scores ``[n]`` of ROIs ``X`` (decision noise drawn from ``random_state``)."""
        X = self._check_fitted_X(X)
        t = X.reshape(X.shape[0], -1) @ self.template_.ravel()
        return self._add_decision_noise(t, _rng(self.random_state))


class HotellingObserver(_TemplateObserver):
    """Hotelling observer on pixels: ``w = pinv(K) (g_bar_1 - g_bar_0)``, ``t = w^T g``.

    ``K = (K_0 + K_1) / 2`` is the pooled sample covariance of the training ROIs; the
    pseudo-inverse is taken through the SVD of the centred training data, so ROIs with many
    more pixels than training images are allowed (the template then lies in the span of the
    training data). With Gaussian data the population SNR is
    ``sqrt(dg^T K^-1 dg)``; for a known signal ``s`` in white noise of SD ``sigma`` it is
    ``||s|| / sigma``.

    Parameters
    ----------
    decision_noise : float
        Internal noise added to the decision variable, as a multiple of the training
        decision variable's pooled SD (Zhang, Pham, Eckstein 2007). 0 disables it.
    random_state : int, numpy.random.Generator or None
        Seed for internal noise; an int gives the same draws on every call.

    Attributes
    ----------
    template_ : ndarray, shape ``roi_shape_``
    roi_shape_ : tuple
    decision_noise_std_ : float
    n_train_ : tuple (n_absent, n_present)

    References
    ----------
    Barrett H.H., Myers K.J., Foundations of Image Science, Wiley (2004), ch. 13.
    """

    def __init__(self, *, decision_noise=0.0, random_state=None):
        self.decision_noise = decision_noise
        self.random_state = random_state

    def _fit_template(self, X, y):
        F = X.reshape(X.shape[0], -1)
        delta = F[y == 1].mean(axis=0) - F[y == 0].mean(axis=0)
        return _hotelling_weights_from_data(F, y, delta)


class NPWObserver(_TemplateObserver):
    """Non-prewhitening matched filter: template ``w = g_bar_1 - g_bar_0`` (training means).

    Parameters and attributes as :class:`HotellingObserver`.

    References
    ----------
    Barrett H.H., Myers K.J., Foundations of Image Science (2004), sec. 13.2.
    """

    def __init__(self, *, decision_noise=0.0, random_state=None):
        self.decision_noise = decision_noise
        self.random_state = random_state

    def _fit_template(self, X, y):
        F = X.reshape(X.shape[0], -1)
        return F[y == 1].mean(axis=0) - F[y == 0].mean(axis=0)


def eye_filter(shape, *, pixel_mm, viewing_distance_mm, exponent=1.3, peak_cyc_per_deg=4.0):
    """Burgess eye filter ``E(f) = f^n exp(-c f^2)`` on the DFT grid of an ROI.

    ``f`` is the radial frequency in cycles/degree of visual angle at the eye:
    ``f_deg = f_px * px_per_deg`` with ``px_per_deg = viewing_distance_mm * tan(1 deg) /
    pixel_mm`` (``pixel_mm`` is the pitch of an image pixel as displayed). ``c`` puts the
    peak at ``peak_cyc_per_deg``: ``c = n / (2 f_peak^2)`` (n = 1.3, peak 4 cyc/deg gives
    c = 0.0406, the 0.04 of LCD_CT ``npwe_2d.m``). The filter is normalised to a maximum of 1.
    For 3D shapes the 2D filter is returned (applied slice by slice).

    Returns
    -------
    ndarray, shape ``shape[-2:]`` (DFT order, not shifted)

    References
    ----------
    Burgess A.E., "Statistically defined backgrounds: performance of a modified
    nonprewhitening observer model", J. Opt. Soc. Am. A 11(4):1237-1242 (1994).
    """
    for name, v in (("pixel_mm", pixel_mm), ("viewing_distance_mm", viewing_distance_mm),
                    ("exponent", exponent), ("peak_cyc_per_deg", peak_cyc_per_deg)):
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    ny, nx = (int(s) for s in tuple(shape)[-2:])
    fy, fx = np.meshgrid(np.fft.fftfreq(ny), np.fft.fftfreq(nx), indexing="ij")
    px_per_deg = viewing_distance_mm * np.tan(np.deg2rad(1.0)) / pixel_mm
    f = np.sqrt(fx * fx + fy * fy) * px_per_deg
    c = exponent / (2.0 * peak_cyc_per_deg ** 2)
    e = f ** exponent * np.exp(-c * f * f)
    return e / e.max() if e.max() > 0 else e


class NPWEObserver(_TemplateObserver):
    """Non-prewhitening observer with an eye filter (NPWE).

    Template ``w = IDFT(E(f)^2 DFT(g_bar_1 - g_bar_0))`` with ``E`` from :func:`eye_filter`
    (applied per slice for VOIs); ``t = w^T g``.

    Parameters
    ----------
    pixel_mm : float
        Displayed pixel pitch (mm). Default 0.165 mm (a 5-megapixel mammography display
        showing the image at one image pixel per display pixel).
    viewing_distance_mm : float
        Eye-to-display distance (mm). Default 500 mm. With the defaults there are
        53 px/deg (VICTRE_PIPELINE ``NPWE.py`` assumes 50 px/deg).
    exponent, peak_cyc_per_deg : float
        Eye filter shape (Burgess 1994: 1.3 and 4 cyc/deg).
    decision_noise, random_state
        As :class:`HotellingObserver`.

    References
    ----------
    Burgess A.E., J. Opt. Soc. Am. A 11(4):1237-1242 (1994); Eckstein M.P., Abbey C.K.,
    Bochud F.O., "A practical guide to model observers for visual detection in synthetic
    and natural noisy images", in Handbook of Medical Imaging vol. 1, SPIE (2000).
    """

    def __init__(self, *, pixel_mm=0.165, viewing_distance_mm=500.0, exponent=1.3,
                 peak_cyc_per_deg=4.0, decision_noise=0.0, random_state=None):
        self.pixel_mm = pixel_mm
        self.viewing_distance_mm = viewing_distance_mm
        self.exponent = exponent
        self.peak_cyc_per_deg = peak_cyc_per_deg
        self.decision_noise = decision_noise
        self.random_state = random_state

    def _fit_template(self, X, y):
        E = eye_filter(X.shape[1:], pixel_mm=self.pixel_mm,
                       viewing_distance_mm=self.viewing_distance_mm, exponent=self.exponent,
                       peak_cyc_per_deg=self.peak_cyc_per_deg)
        delta = X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0)
        w = np.real(np.fft.ifft2(E ** 2 * np.fft.fft2(delta)))
        self.eye_filter_ = E
        return w.ravel()


# --------------------------------------------------------------------------- channel space

class ChannelizedHotelling(_Observer):
    """Channelized Hotelling observer (CHO) for any channel set.

    Channel outputs ``v = U^T g``; template ``w_v = pinv(K_v + K_int) (v_bar_1 - v_bar_0)``;
    ``t = w_v^T (v + n_int)`` (+ decision noise). With 2D channels on 2D ROIs this is the
    2D CHO; with 3D channels on VOIs the volumetric CHO (vCHO, Platisa et al. 2011).

    Parameters
    ----------
    channels : ndarray, shape ``[n_channels, *roi_shape]``
        E.g. :func:`laguerre_gauss`, :func:`gabor`, :func:`difference_of_gaussians`.
    convolutional : bool
        Replace the channels, at fit time, by :func:`convolutional_channels` of the training
        mean signal (Diaz et al. 2015; VICTRE_MO ``b_conv``). A 2D channel set is then also
        accepted for VOIs (convolved slice by slice with the 3D mean signal).
    channel_noise : float
        Internal channel noise: independent Gaussian noise on channel ``k`` with SD
        ``channel_noise * sigma_k`` (``sigma_k`` the pooled training SD of channel ``k``),
        added to the covariance (``K_int``) and to the channel outputs when scoring
        (Zhang, Pham, Eckstein 2007). 0 disables it.
    decision_noise : float
        Internal noise on the decision variable, as a multiple of its pooled training SD
        ``sqrt(w_v^T (K_v + K_int) w_v)`` (Zhang, Pham, Eckstein 2007). 0 disables it.
    random_state : int, numpy.random.Generator or None
        Seed for internal noise draws; an int gives the same draws on every call.

    Attributes
    ----------
    channels_ : ndarray, the channels used (convolutional ones if requested)
    weights_ : ndarray ``[n_channels]``, channel-space template
    template_ : ndarray ``roi_shape_``, equivalent image-space template ``U w_v``
    channel_cov_ : ndarray ``[n_channels, n_channels]``, pooled training covariance ``K_v``
    internal_cov_ : ndarray ``[n_channels, n_channels]``, ``K_int``
    delta_v_ : ndarray ``[n_channels]``, training mean channel-output difference

    References
    ----------
    Myers K.J., Barrett H.H., "Addition of a channel mechanism to the ideal-observer model",
    J. Opt. Soc. Am. A 4(12):2447-2457 (1987). Zhang Y., Pham B.T., Eckstein M.P.,
    "Evaluation of internal noise methods for Hotelling observer models", Med. Phys.
    34(8):3312-3322 (2007).
    """

    def __init__(self, channels, *, convolutional=False, channel_noise=0.0,
                 decision_noise=0.0, random_state=None):
        self.channels = channels
        self.convolutional = convolutional
        self.channel_noise = channel_noise
        self.decision_noise = decision_noise
        self.random_state = random_state

    def _resolve_channels(self, X, y):
        U = np.asarray(self.channels, dtype=float)
        roi = X.shape[1:]
        if self.convolutional:
            if U.ndim < 3 or U.shape[-2:] != roi[-2:] or (U.ndim - 1 == 3 and U.shape[1:] != roi):
                raise ValueError(f"channels shape {U.shape} does not fit ROIs of shape {roi}")
            sbar = X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0)
            return convolutional_channels(U, sbar)
        if U.ndim < 3 or U.shape[1:] != roi:
            raise ValueError(f"channels must have shape [n_channels, *{roi}], got {U.shape}")
        return U

    def _channel_outputs(self, X):
        return X.reshape(X.shape[0], -1) @ self.channels_.reshape(self.channels_.shape[0], -1).T

    def fit(self, X, y):
        """Learn the channel template from training ROIs ``X`` and truth ``y``."""
        self._check_noise_params()
        X, y = _check_Xy(X, y)
        self.roi_shape_ = X.shape[1:]
        self.channels_ = self._resolve_channels(X, y)
        V = self._channel_outputs(X)
        _, _, dv, Kv = _class_stats(V, y)
        Kint = np.diag(float(self.channel_noise) ** 2 * np.diag(Kv))
        w = _hotelling_weights(Kv + Kint, dv)
        self.channel_cov_ = Kv
        self.internal_cov_ = Kint
        self.delta_v_ = dv
        self.weights_ = w
        self.template_ = np.tensordot(w, self.channels_, axes=(0, 0))
        sd = np.sqrt(max(float(w @ (Kv + Kint) @ w), 0.0))
        self.decision_noise_std_ = float(self.decision_noise) * sd
        self.n_train_ = (int(np.sum(y == 0)), int(np.sum(y == 1)))
        return self

    def channel_outputs(self, X):
        """Channel outputs ``v = U^T g``, shape ``[n, n_channels]`` (no internal noise)."""
        X = self._check_fitted_X(X)
        return self._channel_outputs(X)

    def decision_function(self, X):
        """Scores ``[n]`` of ROIs ``X`` with internal noise drawn from ``random_state``."""
        X = self._check_fitted_X(X)
        rng = _rng(self.random_state)
        if self.channel_noise > 0:
            V = self._channel_outputs(X)
            sd = np.sqrt(np.diag(self.internal_cov_))
            t = (V + rng.normal(size=V.shape) * sd) @ self.weights_
        else:   # w_v^T U^T g = (U w_v)^T g: one dot product per ROI
            t = X.reshape(X.shape[0], -1) @ self.template_.ravel()
        return self._add_decision_noise(t, rng)


class VolumetricCHO(ChannelizedHotelling):
    """Volumetric CHO (vCHO): a :class:`ChannelizedHotelling` with 3D channels on VOIs
    ``[n, z, y, x]`` (e.g. :func:`laguerre_gauss` with a 3D shape and per-axis widths).

    VICTRE_MO's 3D observer for calcification clusters (2D LG channels convolved with each
    slice of the mean 3D signal) is ``ChannelizedHotelling(channels_2d, convolutional=True)``
    fitted on VOIs.

    References
    ----------
    Platisa L., Goossens B., Vansteenkiste E., Park S., Gallas B.D., Badano A., Philips W.,
    "Channelized Hotelling observers for the assessment of volumetric imaging data sets",
    J. Opt. Soc. Am. A 28(6):1145-1163 (2011).
    """

    def fit(self, X, y):
        """Learn the 3D channel template from training VOIs."""
        if np.ndim(X) != 4:
            raise ValueError(f"VolumetricCHO needs VOIs [n, z, y, x], got shape {np.shape(X)}")
        if np.ndim(self.channels) != 4:
            raise ValueError(f"VolumetricCHO needs 3D channels [n_channels, z, y, x], got "
                             f"shape {np.shape(self.channels)}")
        return super().fit(X, y)


class MultiSliceCHO(_Observer):
    """DBT observers built from 2D channels applied slice by slice (Platisa et al. 2011).

    For VOIs ``[n, z, y, x]`` and 2D channels ``U`` ``[c, y, x]``, with ``v_k = U^T g_k`` the
    channel outputs of slice ``k``:

    - ``"ss"`` (single-slice CHO): a 2D CHO on slice ``slice_index`` (default: central).
    - ``"a"`` (msCHOa): one 2D Hotelling template ``w_k`` per slice; slice scores
      ``t_k = w_k^T v_k`` are combined by a Hotelling observer on ``(t_1..t_z)``.
    - ``"b"`` (msCHOb): the 2D template of the central (or ``slice_index``) slice is applied
      to every slice; the slice scores are combined by a Hotelling observer.
    - ``"c"`` (msCHOc): one Hotelling observer on the concatenated ``(v_1, ..., v_z)``.

    Both stages are trained on the same training VOIs; nothing from scored VOIs is used.

    Parameters
    ----------
    channels : ndarray, shape ``[n_channels, ny, nx]``
    variant : {"ss", "a", "b", "c"}
    slice_index : int, optional
        Slice used by ``"ss"`` and ``"b"``; default ``nz // 2``.
    decision_noise, random_state
        As :class:`ChannelizedHotelling`.

    Attributes
    ----------
    slice_weights_ : ndarray ``[nz, n_channels]`` (``"a"``, ``"b"``, ``"ss"``: row per slice)
    combine_weights_ : ndarray ``[nz]`` (``"a"``, ``"b"``) or ``None``
    weights_ : ndarray ``[nz * n_channels]`` (``"c"``) or ``None``

    References
    ----------
    Platisa L. et al., J. Opt. Soc. Am. A 28(6):1145-1163 (2011).
    """

    _VARIANTS = ("ss", "a", "b", "c")

    def __init__(self, channels, *, variant="c", slice_index=None, decision_noise=0.0,
                 random_state=None):
        self.channels = channels
        self.variant = variant
        self.slice_index = slice_index
        self.decision_noise = decision_noise
        self.random_state = random_state

    def _slice_outputs(self, X):
        U = self.channels_.reshape(self.channels_.shape[0], -1)
        n, nz = X.shape[:2]
        return (X.reshape(n * nz, -1) @ U.T).reshape(n, nz, -1)   # [n, z, c]

    def _scores(self, V):
        if self.variant == "c":
            return V.reshape(V.shape[0], -1) @ self.weights_
        T = np.einsum("nzc,zc->nz", V, self.slice_weights_)
        if self.variant == "ss":
            return T[:, self.slice_]
        return T @ self.combine_weights_

    def fit(self, X, y):
        """Train on VOIs ``X`` ``[n, z, y, x]`` with truth ``y``."""
        self._check_noise_params()
        if self.variant not in self._VARIANTS:
            raise ValueError(f"variant must be one of {self._VARIANTS}, got {self.variant!r}")
        X, y = _check_Xy(X, y)
        if X.ndim != 4:
            raise ValueError(f"MultiSliceCHO needs VOIs [n, z, y, x], got shape {X.shape}")
        U = np.asarray(self.channels, float)
        if U.ndim != 3 or U.shape[1:] != X.shape[2:]:
            raise ValueError(f"channels must have shape [n_channels, *{X.shape[2:]}], "
                             f"got {U.shape}")
        nz = X.shape[1]
        k0 = nz // 2 if self.slice_index is None else int(self.slice_index)
        if not 0 <= k0 < nz:
            raise ValueError(f"slice_index must be in [0, {nz}), got {self.slice_index!r}")
        self.roi_shape_ = X.shape[1:]
        self.channels_ = U
        self.slice_ = k0
        V = self._slice_outputs(X)
        self.weights_ = None
        self.combine_weights_ = None
        if self.variant == "c":
            F = V.reshape(V.shape[0], -1)
            _, _, d, K = _class_stats(F, y)
            self.weights_ = _hotelling_weights(K, d)
            self.slice_weights_ = None
        else:
            W = np.zeros((nz, U.shape[0]))
            if self.variant == "a":
                for k in range(nz):
                    _, _, d, K = _class_stats(V[:, k], y)
                    W[k] = _hotelling_weights(K, d)
            else:
                _, _, d, K = _class_stats(V[:, k0], y)
                w0 = _hotelling_weights(K, d)
                if self.variant == "b":
                    W[:] = w0
                else:
                    W[k0] = w0
            self.slice_weights_ = W
            if self.variant in ("a", "b"):
                T = np.einsum("nzc,zc->nz", V, W)
                _, _, d, K = _class_stats(T, y)
                self.combine_weights_ = _hotelling_weights(K, d)
        t = self._scores(V)
        self._set_decision_noise_scale(t, y)
        return self

    def decision_function(self, X):
        """Scores ``[n]`` of VOIs ``X``."""
        X = self._check_fitted_X(X)
        t = self._scores(self._slice_outputs(X))
        return self._add_decision_noise(t, _rng(self.random_state))
