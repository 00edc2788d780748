"""victwin.dicom (not built yet)."""
