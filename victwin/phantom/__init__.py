"""victwin.phantom (not built yet)."""
