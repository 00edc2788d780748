"""victwin.systems (not built yet)."""
