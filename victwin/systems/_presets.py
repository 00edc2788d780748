"""Presets: the choices of a whole imaging chain beyond one system (lesion models, materials).

A trial spec names one preset (``[trial] preset = "victre"``; default ``"victwin"``); the spec
records it, so its hash and the report say which was used. A preset fixes:

* ``systems``: the system each scan uses in the preset (the example spec names them; a spec may
  still name any system, e.g. a user's own TOML);
* ``mass`` / ``calcification``: which lesion generator the trial's lesion kinds use;
* ``tissue_materials``: breast tissue (``victwin.phantom.BREAST_LABELS`` names) -> material,
  and ``lesion_materials``: lesion material -> material, applied to each phantom before
  acquisition by :meth:`Preset.apply`.

``"victwin"`` is victwin's own modelling (Hammerstein/ICRU tissues at their densities, victwin's
lesion families). ``"victre"`` is VICTRE's, every value from VICTRE's files:

* systems ``victre-dm`` / ``victre-dbt`` (VICTRE's spectra, MC-GPU's detector, focal-spot and
  DBT motion blur; their TOML files cite the MC-GPU input lines);
* lesions: :func:`victwin.phantom.victre_mass` (breastMass ``VICTREMass.cfg``, the 5 mm mass)
  and :func:`victwin.phantom.victre_cluster` (the measures of VICTRE's cluster file);
* materials: MC-GPU's VICTRE densities (MC-GPU_v1.5b.cu lines 2107-2141): fat 0.92, skin and
  nipple 1.09, glandular 1.035, ligament (connective tissue) 1.12, pectoralis, ducts (and
  TDLUs) muscle at 1.05, vessels blood at 1.00, mass glandular at 1.06, calcifications calcium
  oxalate at 1.781.

Skin thickness (VICTRE 0.75 mm) belongs to the phantom recipes, not to this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Preset", "PRESETS", "get_preset", "preset_names"]

_MASS_MODELS = ("victwin", "victre")


@dataclass(frozen=True)
class Preset:
    """One named preset (see the module notes)."""

    name: str
    description: str
    systems: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    mass: str = "victwin"
    calcification: str = "victwin"
    tissue_materials: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    lesion_materials: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def label_materials(self, phantom) -> dict:
        """``label -> material`` of ``phantom`` under this preset.

        Breast tissue labels (``phantom.meta["kind"] == "breast"``, labels of
        ``BREAST_LABELS``) are mapped by tissue name, lesion labels by material name; other
        labels keep their material.
        """
        from victwin.phantom import BREAST_LABELS

        out = dict(phantom.materials)
        breast = phantom.meta.get("kind") == "breast"
        lesion_labels = {int(getattr(les, "label", -1)) for les in phantom.lesions}
        for lab, mat in phantom.materials.items():
            if lab in lesion_labels or lab not in BREAST_LABELS or not breast:
                out[lab] = self.lesion_materials.get(mat, mat)
            else:
                tissue = BREAST_LABELS[lab][0]
                out[lab] = self.tissue_materials.get(tissue, mat)
        return out

    def apply(self, phantom):
        """``phantom`` with this preset's materials (unchanged when the table is empty)."""
        if not self.tissue_materials and not self.lesion_materials:
            return phantom
        return phantom.replace(materials=self.label_materials(phantom))


_VICTRE_TISSUES = {
    # breast tissue -> VICTRE material (MC-GPU_v1.5b.cu voxel table lines 2107-2122)
    "fat": "adipose_victre",          # voxel 1, density 0.92 (l. 2128)
    "skin": "skin_victre",            # voxel 2, 1.09 (l. 2129)
    "glandular": "glandular_victre",  # voxel 29, 1.035 (l. 2130)
    "nipple": "skin_victre",          # voxel 33: skin material at 1.09 (l. 2131)
    "ligament": "connective_victre",  # voxel 88, connective (Woodard) 1.12 (l. 2132)
    "pectoralis": "muscle_victre",    # voxel 40, 1.05 (l. 2133)
    "duct": "muscle_victre",          # voxel 125: muscle material, 1.05 (l. 2134)
    "tdlu": "muscle_victre",          # voxel 95: muscle material, 1.05 (l. 2136)
    "vessel": "blood_victre",         # voxels 150/225 (artery/vein): blood, 1.00 (l. 2135)
}

PRESETS = {
    "victwin": Preset(name="victwin",
                      description="victwin's own models (Hammerstein/ICRU tissues, victwin "
                                  "lesion families, spekpy spectra, victwin detector)",
                      systems=MappingProxyType({"dm": "mammomat-dm", "dbt": "mammomat-dbt"})),
    "victre": Preset(name="victre",
                     description="VICTRE as published: MC-GPU detector, blur and spectra, "
                                 "breastMass 5 mm mass, VICTRE's calcification cluster, MC-GPU "
                                 "material densities",
                     systems=MappingProxyType({"dm": "victre-dm", "dbt": "victre-dbt"}),
                     mass="victre", calcification="victre",
                     tissue_materials=MappingProxyType(_VICTRE_TISSUES),
                     lesion_materials=MappingProxyType({"mass": "mass_victre",
                                                        "calcium_oxalate": "calcium_oxalate_victre"})),
}


def preset_names() -> tuple[str, ...]:
    """Names of the presets."""
    return tuple(PRESETS)


def get_preset(name) -> Preset:
    """The preset called ``name`` (a :class:`Preset` is returned unchanged).

    Raises
    ------
    ValueError
        Unknown name (one line naming the key ``preset`` and the valid names).
    """
    if isinstance(name, Preset):
        return name
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} (valid: {', '.join(PRESETS)})")
    return PRESETS[name]
