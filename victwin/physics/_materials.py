"""Material records: density and elemental mass fractions, each with its source.

A :class:`Material` is a frozen value (name, density in g/cm3, mass fractions by element, the
citation the numbers come from). ``MATERIALS`` holds the canonical names every label -> material
table in victwin uses; :func:`get_material` looks one up and :func:`breast_tissue` mixes
glandular and adipose tissue by glandular weight fraction.

Compounds given by a chemical formula are turned into mass fractions with xraylib's
``CompoundParser`` (atomic weights from xraylib), so no hand arithmetic sits between the formula
and the fractions.

References
----------
.. [1] Hammerstein GR, Miller DW, White DR, Masterson ME, Woodard HQ, Laughlin JS. Absorbed
   radiation dose in mammography. Radiology 130:485-491 (1979), table 1 (skin, adipose and
   glandular tissue; the "ash" fraction is taken as phosphorus).
.. [2] ICRU Report 46, Photon, electron, proton and neutron interaction data for body tissues
   (1992), and ICRU Report 44 (1989) / Woodard HQ, White DR, Br J Radiol 59:1209-1218 (1986):
   compositions of adult skeletal muscle, whole blood, lung, cortical bone and average soft
   tissue.
.. [3] NIST, X-ray mass attenuation coefficients (Hubbell & Seltzer, NISTIR 5632), table 2
   ("Air, Dry (near sea level)", "Water, Liquid", PMMA, polystyrene densities and fractions).
.. [4] Haynes WM (ed.). CRC Handbook of Chemistry and Physics, 97th ed. (2016): densities of
   hydroxyapatite (3.16), whewellite CaC2O4.H2O (2.23), aluminium (2.699), CsI (4.51).
.. [5] Amorphous selenium density 4.28 g/cm3 (vitreous Se; Kasap S et al., J Mater Sci: Mater
   Electron 2009; the density used for the a-Se quantum efficiency in VICTRE-like models).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping

from . import _xraylib as xraylib

__all__ = ["Material", "MATERIALS", "get_material", "breast_tissue", "material_names"]


@dataclass(frozen=True)
class Material:
    """An attenuating material.

    Parameters
    ----------
    name : str
        Name used in label -> material tables.
    density_g_cm3 : float
        Mass density (g/cm3), > 0.
    composition : tuple of (str, float)
        Element symbol and mass fraction pairs; fractions are > 0 and sum to 1 (within 1e-3;
        they are renormalised to sum exactly to 1).
    source : str
        Citation of the density and composition.
    """

    name: str
    density_g_cm3: float
    composition: tuple
    source: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Material name must be a non-empty string, got {self.name!r}")
        rho = float(self.density_g_cm3)
        if not rho > 0:
            raise ValueError(f"Material {self.name!r} density_g_cm3 must be > 0, got {self.density_g_cm3!r}")
        comp = tuple(self.composition.items()) if isinstance(self.composition, Mapping) else tuple(self.composition)
        if not comp:
            raise ValueError(f"Material {self.name!r} composition must not be empty")
        clean = []
        for symbol, fraction in comp:
            try:
                z = xraylib.SymbolToAtomicNumber(str(symbol))
            except ValueError:
                z = 0
            if z <= 0:
                raise ValueError(f"Material {self.name!r} composition has unknown element {symbol!r}")
            fraction = float(fraction)
            if not fraction > 0:
                raise ValueError(f"Material {self.name!r} mass fraction of {symbol} must be > 0, got {fraction!r}")
            clean.append((str(symbol), fraction))
        total = sum(f for _, f in clean)
        if abs(total - 1.0) > 1e-3:
            raise ValueError(f"Material {self.name!r} mass fractions must sum to 1, got {total:.6f}")
        object.__setattr__(self, "density_g_cm3", rho)
        object.__setattr__(self, "composition", tuple((s, f / total) for s, f in clean))

    @property
    def mass_fractions(self) -> dict:
        """Element symbol -> mass fraction (sums to 1)."""
        return dict(self.composition)

    @property
    def atomic_numbers(self) -> tuple:
        """Atomic numbers of the elements, in composition order."""
        return tuple(xraylib.SymbolToAtomicNumber(s) for s, _ in self.composition)


def _from_formula(name: str, formula: str, density: float, source: str) -> Material:
    """A material from a chemical formula (mass fractions by xraylib's CompoundParser)."""
    parsed = xraylib.CompoundParser(formula)
    comp = tuple((xraylib.AtomicNumberToSymbol(z), f) for z, f in zip(parsed["Elements"], parsed["massFractions"]))
    return Material(name, density, comp, source)


_HAMMERSTEIN = "Hammerstein et al. 1979, Radiology 130:485, table 1 (ash taken as P)"
_ICRU46 = "ICRU Report 46 (1992) / Woodard & White 1986, Br J Radiol 59:1209"
#: Density (g/cm3) of the chest twins' lung parenchyma (material "lung_parenchyma"; see _build).
LUNG_PARENCHYMA_G_CM3 = 0.141

#: Soft tissue's volume fraction in the "ground_glass" material (chest nodules; see _build).
GROUND_GLASS_SOFT_TISSUE_FRACTION = 0.25


def _volume_mixture(name: str, parts, source: str) -> Material:
    """Material mixing ``parts`` ((Material, volume fraction), ...; fractions summing to 1) by
    volume: density ``sum(v_i rho_i)``, mass fractions ``v_i rho_i / rho`` of each part's."""
    total = sum(v for _, v in parts)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"volume fractions of {name!r} must sum to 1, got {total}")
    density = sum(v * mat.density_g_cm3 for mat, v in parts)
    fractions: dict = {}
    for mat, v in parts:
        for symbol, f in mat.composition:
            fractions[symbol] = fractions.get(symbol, 0.0) + v * mat.density_g_cm3 / density * f
    return Material(name, density, tuple(fractions.items()), source)


def _build() -> dict:
    m = {}

    def add(mat):
        m[mat.name] = mat

    add(Material("air", 0.001205, (("C", 0.000124), ("N", 0.755268), ("O", 0.231781), ("Ar", 0.012827)),
                 "NIST (Hubbell & Seltzer) 'Air, Dry (near sea level)'"))
    add(_from_formula("water", "H2O", 1.0, "NIST 'Water, Liquid' (H2O, 1.00 g/cm3)"))
    # Hammerstein 1979: glandular, adipose and skin, mass % H, C, N, O, ash.
    add(Material("adipose", 0.93, (("H", 0.112), ("C", 0.619), ("N", 0.017), ("O", 0.251), ("P", 0.001)),
                 _HAMMERSTEIN))
    add(Material("glandular", 1.04, (("H", 0.102), ("C", 0.184), ("N", 0.032), ("O", 0.677), ("P", 0.005)),
                 _HAMMERSTEIN))
    add(Material("skin", 1.09, (("H", 0.098), ("C", 0.178), ("N", 0.050), ("O", 0.667), ("P", 0.007)),
                 _HAMMERSTEIN))
    # Breast masses: fibroglandular composition at VICTRE's mass density 1.06 g/cm3
    # (MC-GPU_v1.5b.cu line 2138, density_LUT[11] for voxel 200 "Mass/Signal"; VICTRE_PIPELINE
    # Constants.VICTRE_DEFAULT_MATERIALS: "max density from Johns&Yaffe1986"), so a mass is
    # 2 % denser than glandular tissue (1.035-1.04) as in VICTRE.
    add(Material("mass", 1.06, m["glandular"].composition,
                 _HAMMERSTEIN + " glandular composition at VICTRE's 1.06 g/cm3 "
                 "(MC-GPU_v1.5b.cu l. 2138; Johns & Yaffe 1987 PMB 32:675)"))
    # ICRU 46 body tissues (mass %).
    add(Material("muscle", 1.05, (("H", .102), ("C", .143), ("N", .034), ("O", .710), ("Na", .001),
                                  ("P", .002), ("S", .003), ("Cl", .001), ("K", .004)),
                 _ICRU46 + " adult skeletal muscle"))
    add(Material("blood", 1.06, (("H", .102), ("C", .110), ("N", .033), ("O", .745), ("Na", .001),
                                 ("P", .001), ("S", .002), ("Cl", .003), ("K", .002), ("Fe", .001)),
                 _ICRU46 + " adult whole blood"))
    add(Material("lung", 0.26, (("H", .103), ("C", .105), ("N", .031), ("O", .749), ("Na", .002),
                                ("P", .002), ("S", .003), ("Cl", .003), ("K", .002)),
                 _ICRU46 + " adult lung, inflated (0.26 g/cm3)"))
    # ICRU 46's 0.26 g/cm3 is a whole lung, its blood included. The chest twins paint the
    # pulmonary vessels (blood) and airways (air) apart, so their lung label holds only the
    # parenchyma between them: ICRU 46 lung at the density that makes a twin's whole lung read
    # the CT mean of normal lungs, -817 HU (Clin Radiol 1991;43:238). Derived with
    # victwin.phantom.chest.measure_density.parenchyma_density_for_hu on the four twins of
    # benchmarks/chest_twins.py at 1 mm (blood 4.3-4.8 %, airway air 0.2-0.3 % of the lung):
    # 0.138-0.143, mean 0.141 g/cm3 (-861 HU at 70 keV). At 2 mm: 0.138-0.144, mean 0.142.
    add(Material("lung_parenchyma", LUNG_PARENCHYMA_G_CM3, m["lung"].composition,
                 _ICRU46 + " adult lung composition at the chest twins' parenchymal density "
                 f"({LUNG_PARENCHYMA_G_CM3} g/cm3: whole lung -817 HU, Clin Radiol 1991;43:238, "
                 "less the painted vessels and airways)"))
    add(Material("bone", 1.92, (("H", .034), ("C", .155), ("N", .042), ("O", .435), ("Na", .001),
                                ("Mg", .002), ("P", .103), ("S", .003), ("Ca", .225)),
                 _ICRU46 + " adult cortical bone"))
    add(Material("soft_tissue", 1.03, (("H", .105), ("C", .256), ("N", .027), ("O", .602), ("Na", .001),
                                       ("P", .002), ("S", .003), ("Cl", .002), ("K", .002)),
                 _ICRU46 + " adult average soft tissue"))
    # Ground glass (chest nodules): a voxel-wise volume mixture of soft tissue and the twins'
    # parenchyma, GROUND_GLASS_SOFT_TISSUE_FRACTION by volume (victwin.phantom.chest.nodules:
    # pure ground-glass nodules about -600 to -700 HU, Lee JH et al. PLoS One 2018;13:e0205490;
    # the mixture reads -861 + 0.25 * (18 + 861) = -641 HU at 70 keV). Mass fractions mix by
    # each part's mass, the density by volume, so mu is the volume-weighted mean of the parts'
    # mu at every energy. Until 2026-12-03 (fourth session) the same fraction was a dither: 25 %
    # of a nodule's voxels soft tissue, the rest lung, which on 2-4 mm grids left small
    # ground-glass nodules with few or no voxels.
    add(_volume_mixture("ground_glass", ((m["soft_tissue"], GROUND_GLASS_SOFT_TISSUE_FRACTION),
                                         (m["lung_parenchyma"],
                                          1.0 - GROUND_GLASS_SOFT_TISSUE_FRACTION)),
                        "volume mixture: soft tissue (ICRU 46) "
                        f"{GROUND_GLASS_SOFT_TISSUE_FRACTION:g}, lung_parenchyma the rest"))
    add(_from_formula("hydroxyapatite", "Ca5(PO4)3OH", 3.16, "Ca5(PO4)3OH, CRC Handbook density 3.16 g/cm3"))
    add(_from_formula("calcium_oxalate", "CaC2O4H2O", 2.23,
                      "calcium oxalate monohydrate (whewellite) CaC2O4.H2O, CRC Handbook density 2.23 g/cm3"))
    _victre_materials(m, add)
    add(_from_formula("pmma", "C5H8O2", 1.19, "NIST PMMA (C5H8O2)n, 1.19 g/cm3"))
    add(_from_formula("polystyrene", "C8H8", 1.06, "NIST polystyrene (C8H8)n, 1.06 g/cm3"))
    add(_from_formula("aluminum", "Al", 2.699, "NIST aluminium, 2.699 g/cm3"))
    add(_from_formula("selenium", "Se", 4.28, "amorphous selenium, 4.28 g/cm3 (Kasap et al. 2009)"))
    add(_from_formula("csi", "CsI", 4.51, "CsI, CRC Handbook density 4.51 g/cm3"))
    return m


_MCGPU_LUT = "MC-GPU_v1.5b.cu (DIDSR/VICTRE_MCGPU 84612ee) VICTRE density_LUT"


def _victre_materials(m: dict, add) -> None:
    """VICTRE's tissue materials: victwin compositions at the densities MC-GPU used.

    Densities are MC-GPU's default VICTRE table (MC-GPU_v1.5b.cu lines 2127-2141, the
    ``density_LUT`` for voxel values 0..250); the material of each voxel value is listed in
    lines 2107-2122. MC-GPU's cross sections come from PENELOPE 2006 material files whose
    compositions are Woodard & White 1986 / ICRP; victwin keeps its own compositions (Hammerstein
    1979, ICRU 46) and ``tests/physics/test_victre_materials.py`` measures the difference in
    attenuation against MC-GPU's tables.
    """
    add(Material("adipose_victre", 0.92, m["adipose"].composition,
                 _HAMMERSTEIN + f" composition; 0.92 g/cm3 {_MCGPU_LUT} l. 2128"))
    add(Material("glandular_victre", 1.035, m["glandular"].composition,
                 _HAMMERSTEIN + f" composition; 1.035 g/cm3 {_MCGPU_LUT} l. 2130"))
    add(Material("skin_victre", 1.09, m["skin"].composition,
                 _HAMMERSTEIN + f" composition; 1.09 g/cm3 {_MCGPU_LUT} l. 2129"))
    # Ligament: "Connective tissue (Woodard 1986)" at 1.12 (l. 2132). Composition: ICRU 44
    # (1989) connective tissue, mass % H 9.4, C 20.7, N 6.2, O 62.2, Na 0.6, S 0.6, Cl 0.3.
    add(Material("connective_victre", 1.12, (("H", .094), ("C", .207), ("N", .062), ("O", .622),
                                             ("Na", .006), ("S", .006), ("Cl", .003)),
                 f"ICRU 44 connective tissue; 1.12 g/cm3 {_MCGPU_LUT} l. 2132"))
    # Muscle, ducts and TDLUs all use the muscle material at 1.05 (l. 2133-2134, 2136).
    add(Material("muscle_victre", 1.05, m["muscle"].composition,
                 _ICRU46 + f" skeletal muscle; 1.05 g/cm3 {_MCGPU_LUT} l. 2133"))
    # Arteries and veins: blood at 1.00 (l. 2135).
    add(Material("blood_victre", 1.00, m["blood"].composition,
                 _ICRU46 + f" whole blood; 1.00 g/cm3 {_MCGPU_LUT} l. 2135"))
    # Mass: the glandular material at 1.06 (l. 2138).
    add(Material("mass_victre", 1.06, m["glandular"].composition,
                 _HAMMERSTEIN + f" glandular composition; 1.06 g/cm3 {_MCGPU_LUT} l. 2138"))
    # Calcifications: PENELOPE "Calcium Oxalate (CaC2O4)", nominal 2.12 g/cm3, used at 1.781
    # (l. 2139) = 2.12 x 0.84 (Hadjipanteli et al. 2017, via VICTRE_PIPELINE Constants).
    add(_from_formula("calcium_oxalate_victre", "CaC2O4", 1.781,
                      f"CaC2O4 (PENELOPE 2006 material file); 1.781 g/cm3 {_MCGPU_LUT} l. 2139"))


#: Canonical materials by name (read-only use; records are frozen).
MATERIALS: dict = _build()

#: Aliases accepted by :func:`get_material` (element symbols used for filters and anodes).
_ALIASES = {"al": "aluminum", "aluminium": "aluminum", "se": "selenium", "a-se": "selenium",
            "breast": "breast_tissue_50", "h2o": "water"}


def material_names() -> tuple:
    """The canonical material names, sorted."""
    return tuple(sorted(MATERIALS))


@functools.lru_cache(maxsize=64)
def _element(symbol: str) -> Material:
    z = xraylib.SymbolToAtomicNumber(symbol)
    return Material(symbol, xraylib.ElementDensity(z), ((symbol, 1.0),), "xraylib element density")


def get_material(name) -> Material:
    """Look a material up by name.

    Parameters
    ----------
    name : str or Material
        A canonical name (see ``MATERIALS``), ``"breast_tissue_<percent>"`` (a glandular/adipose
        mixture, e.g. ``"breast_tissue_50"``), or a chemical element symbol with a capital first
        letter (``"Mo"``, ``"Rh"``, ``"Be"``: the pure element at xraylib's density), used for
        filters. A :class:`Material` is returned unchanged.

    Raises
    ------
    ValueError
        Unknown name; the message lists the valid names.
    """
    if isinstance(name, Material):
        return name
    if not isinstance(name, str):
        raise TypeError(f"material must be a name (str) or a Material, got {type(name).__name__}")
    if name in MATERIALS:
        return MATERIALS[name]
    key = _ALIASES.get(name.lower(), name)
    if key in MATERIALS:
        return MATERIALS[key]
    if key.startswith("breast_tissue_"):
        try:
            percent = float(key[len("breast_tissue_"):])
        except ValueError:
            percent = None
        if percent is not None:
            return breast_tissue(percent / 100.0)
    if name[:1].isupper() and len(name) <= 2:
        try:
            if xraylib.SymbolToAtomicNumber(name) > 0:
                return _element(name)
        except ValueError:
            pass
    valid = ", ".join(material_names())
    raise ValueError(f"unknown material {name!r}; valid names: {valid}, breast_tissue_<percent>, "
                     "or an element symbol such as 'Mo'")


@functools.lru_cache(maxsize=256)
def breast_tissue(glandular_fraction: float) -> Material:
    """Homogeneous glandular/adipose mixture by glandular weight fraction.

    Mass fractions mix linearly by weight; the density follows from additive volumes,
    ``1/rho = w/rho_g + (1 - w)/rho_a`` (Hammerstein 1979 tissues).

    Parameters
    ----------
    glandular_fraction : float
        Glandular weight fraction in [0, 1] ("glandularity").

    Returns
    -------
    Material
        Named ``"breast_tissue_<percent>"`` (percent with up to 3 decimals).
    """
    w = float(glandular_fraction)
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"glandular_fraction must be in [0, 1], got {glandular_fraction!r}")
    g, a = MATERIALS["glandular"], MATERIALS["adipose"]
    fractions: dict = {}
    for mat, weight in ((g, w), (a, 1.0 - w)):
        for symbol, f in mat.composition:
            fractions[symbol] = fractions.get(symbol, 0.0) + weight * f
    density = 1.0 / (w / g.density_g_cm3 + (1.0 - w) / a.density_g_cm3)
    name = f"breast_tissue_{round(100 * w, 3):g}"
    comp = tuple((s, f) for s, f in fractions.items() if f > 0)
    return Material(name, density, comp, f"{100 * w:g}% glandular by weight; {_HAMMERSTEIN}")
