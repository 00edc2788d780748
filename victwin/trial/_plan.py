"""``victwin plan``: what a trial will cost before anything runs."""

from __future__ import annotations

__all__ = ["plan_trial"]


def plan_trial(spec) -> dict:
    """Cases, voxels, storage and estimated time (placeholder until measured rates exist)."""
    return {"trial": spec.name, "cases": spec.cohort.size}
