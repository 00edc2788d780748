"""victwin.physics (not built yet)."""
