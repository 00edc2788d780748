"""tqdm progress bars that can be switched off."""

from __future__ import annotations

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm bar over ``total`` steps; silent when ``enabled`` is false."""
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, unit="step")
