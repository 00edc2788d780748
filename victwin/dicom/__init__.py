"""DICOM for victwin: IOD writers, synthetic subjects, ground truth, read-back and sending.

Writers (one per IOD, named as PS3.3 names it; each checks its result against the IOD's
mandatory modules when built and returns a pydicom Dataset):

* :func:`digital_mammography_image` - Digital Mammography X-Ray Image, For Processing /
  For Presentation (A.27);
* :func:`breast_tomosynthesis_image` - Breast Tomosynthesis Image (A.55);
* :func:`breast_projection_image` - Breast Projection X-Ray Image, For Processing (A.74);
* :func:`digital_xray_image` - Digital X-Ray Image, For Processing / For Presentation (A.26);
* :func:`lesion_segmentation` (Segmentation) and :func:`lesion_report` (Comprehensive 3D SR)
  for the lesion ground truth.

:func:`breast_to_patient` is the one map from victwin's breast frame to DICOM patient
coordinates (LPS) for each laterality and view; every geometric attribute goes through it.

:func:`export_study` writes a whole case, :func:`read_study` reads it back,
:func:`save_run` / :func:`load_run` keep :func:`export_study`'s arguments as a study folder
(``study.json`` + ``arrays.npz``, what ``victwin dicom export DIR`` reads),
:func:`echo` / :func:`send_study` / :func:`stow_rs` send it to a PACS.
"""

from ._acqdir import load_acquisition_dir, load_volume_file
from ._adapter import exposure_from_acquisition, from_acquisition
from ._dx import digital_mammography_image, digital_xray_image, synthesized_mammogram
from ._frame import BreastFrame, breast_to_patient, orientation_letters
from ._enhanced import breast_projection_image, breast_tomosynthesis_image, source_angles_deg
from ._net import (StoreReport, StoreResult, TLSOptions, check_storable, echo, send_study,
                   stow_rs)
from ._identity import UID_ROOT, SyntheticSubject, derived_uid
from ._params import Exposure
from ._read import DicomStudy, read_study
from ._rundir import load_run, save_run
from ._study import export_study
from ._truth import Lesion, lesion_report, lesion_segmentation

__all__ = [
    "synthesized_mammogram",
    "SyntheticSubject", "Exposure", "Lesion", "UID_ROOT", "derived_uid",
    "digital_mammography_image", "digital_xray_image", "breast_tomosynthesis_image",
    "breast_projection_image", "source_angles_deg", "lesion_segmentation", "lesion_report",
    "export_study", "read_study", "DicomStudy", "TLSOptions", "StoreReport", "StoreResult",
    "echo", "send_study", "stow_rs", "from_acquisition", "exposure_from_acquisition",
    "breast_to_patient", "BreastFrame", "orientation_letters", "check_storable",
    "load_acquisition_dir", "load_volume_file", "load_run", "save_run",
]
