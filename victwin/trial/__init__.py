"""victwin.trial (not built yet)."""
