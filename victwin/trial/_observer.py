"""The observer a trial spec asks for (``[readers]``): one factory shared by the analysis
(:mod:`._analysis`) and the channel storage (:mod:`._features`), which must build the same
channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._spec import TrialSpec

__all__ = ["make_observer", "MULTISLICE_VARIANT"]

#: The :class:`~victwin.readers.MultiSliceCHO` variant each channelized observer reads VOIs with.
MULTISLICE_VARIANT = {"cho": "ss", "msCHO": "c", "vCHO": "c"}


def make_observer(spec: TrialSpec, roi_shape: tuple, pixel_mm: float, seed: int, *,
                  width_mm: float | None = None):
    """The observer the spec asks for, for ROIs of ``roi_shape`` (2-D or 3-D); ``width_mm``
    replaces the spec's Laguerre-Gauss width (a nodule size class's, ``per_size_class``)."""
    from victwin import readers

    r = spec.readers
    obs = r.observer
    two_d = roi_shape[-2:]
    if obs in ("hotelling", "npw", "npwe"):
        kwargs = {"decision_noise": r.internal_noise, "random_state": seed}
        if obs == "hotelling":
            return readers.HotellingObserver(**kwargs)
        if obs == "npw":
            return readers.NPWObserver(**kwargs)
        return readers.NPWEObserver(pixel_mm=pixel_mm, **kwargs)
    ch = r.channels
    if ch["kind"] == "laguerre-gauss":
        channels = readers.laguerre_gauss(two_d, n_channels=ch["count"],
                                          width_mm=ch["width_mm"] if width_mm is None
                                          else width_mm, spacing_mm=pixel_mm)
    elif ch["kind"] == "gabor":
        channels = readers.gabor(two_d)
    else:
        channels = readers.difference_of_gaussians(
            two_d, kind="sparse" if ch["kind"] == "sparse-dog" else "dense")
    if len(roi_shape) == 2:
        return readers.ChannelizedHotelling(channels, decision_noise=r.internal_noise,
                                            random_state=seed)
    variant = MULTISLICE_VARIANT[obs]
    return readers.MultiSliceCHO(channels, variant=variant, decision_noise=r.internal_noise,
                                 random_state=seed)
