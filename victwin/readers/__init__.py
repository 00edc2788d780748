"""victwin.readers (not built yet)."""
