"""victwin.physics: materials, attenuation, spectra, polyenergetic signal, dose and AEC.

Units: energies in keV, lengths in mm, linear coefficients in 1/mm, mass coefficients in
cm2/g, air kerma in uGy (per mAs) or mGy, dose in mGy.
"""

from ._materials import MATERIALS, Material, breast_tissue, get_material, material_names
from ._attenuation import (
    absorption_efficiency,
    klein_nishina_energy_transfer_fraction,
    linear_attenuation,
    linear_energy_absorption,
    mass_attenuation,
    mass_energy_absorption,
)
from ._spectra import ANODES, Spectrum, spectrum
from ._victre_spectra import (SPECTRUM_MODELS, VICTRE_SPECTRA, read_spc, tube_spectrum,
                              victre_spectrum)
from ._signal import PrimarySignal, attenuation_matrix, primary_signal
from ._dose import (
    G_FACTOR_HVL_MM_AL,
    G_FACTOR_TABLE,
    G_FACTOR_THICKNESS_MM,
    S_FACTORS,
    c_factor,
    entrance_air_kerma_mgy,
    g_factor,
    glandular_dose_per_kerma_primary,
    mean_glandular_dose,
    s_factor,
    t_factor,
)
from ._aec import (AEC_SCHEMA, AecChoice, auto_exposure, check_aec_table,
                   detector_air_kerma_per_mas_ugy)

from . import _antiscatter_grid, _detector, _scatter
from ._antiscatter_grid import *  # noqa: F401,F403
from ._detector import *  # noqa: F401,F403
from ._presentation import for_presentation
from ._scatter import *  # noqa: F401,F403
from ._source_blur import (FOCAL_SPOT_MODELS, SourceBlur, focal_spot_mtf, focal_spot_rule,
                           motion_mtf, motion_rule)
# The device (NumPy or CuPy) versions of scatter, detector, readout and presentation and the
# key of the counter-based noise they draw (the GPU path, victwin.acquisition._gpu_view).
from ._device_stages import detect_xp, digitize_xp, scatter_image_xp
from ._noise_kernels import noise_key
from ._presentation_xp import present_xp
