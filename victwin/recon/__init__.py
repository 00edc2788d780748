"""victwin.recon (not built yet)."""
