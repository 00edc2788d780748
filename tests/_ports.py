"""Loopback ports for the tests' servers (Orthanc, Dask), drawn outside the ephemeral range."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import numpy as np


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PORTS = np.random.default_rng([os.getpid(), time.time_ns() % (1 << 32)])


def free_port() -> int:
    """A loopback TCP port nobody listens on now, chosen BELOW the kernel's ephemeral range.

    A port from ``bind(0)`` lies in the ephemeral range, which every ``bind(0)`` and every
    outgoing connection of the other xdist worker (Dask schedulers and workers, pynetdicom
    associations) draws from too, so it could be taken between this call and the server's
    bind. Ports in [20000, ephemeral low) are drawn at random and bind-tested; the Orthanc
    fixture also restarts on fresh ports if its DICOM port was taken (a hygiene measure: the
    CI failure of 2026-12-06 that prompted it was pynetdicom's own race, see
    ``victwin.dicom._net._unread_rejection``).
    """
    low, high = 20000, max(_ephemeral_low(), 20001 + 64)
    for _ in range(200):
        port = int(_PORTS.integers(low, high))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in [{low}, {high})")
