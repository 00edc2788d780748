"""victwin.stats (not built yet)."""
