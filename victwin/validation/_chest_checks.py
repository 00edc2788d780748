"""Live checks of the chest models: the chest PA beam, the chest twins' anatomy and the
screening-nodule draws (the chest trial's credibility section; :mod:`._checks` lists them with
the checks of every trial and the breast ones).

Each reference is typed here with its source; none is read from the model it checks. The
anatomy is measured on a built twin (``victwin.phantom.chest.measure``) at 2 mm voxels, one
man and one woman (the bodies of ``tests/phantom/test_chest.py``), built once per process. Until
2026-12-06 at 3 mm, where the woman's right second rib crosses the rib reader's band in a few
rows of 1-6 dithered bone voxels: whether it reads apart from the third depended on the bone
dither's draw (29 of 30 draws read 12 ribs; the draw keyed by the voxel lattice since that day
read 11; at 2 mm 16 of 16 read 12: NOTES, 2026-12-06, branch issue-19dither25).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["CHEST_CHECKS"]

# NIST XCOM (Berger et al., NIST Standard Reference Database 8) / Hubbell & Seltzer, NIST
# X-ray mass attenuation coefficients, water (liquid): mu/rho at 60 keV.
NIST_WATER_MU_RHO_60KEV = 0.2059  # cm2/g

# IEC 62220-1-1:2015 (its table of photon fluence per air kerma of the RQA qualities): RQA5
# (70 kV, 21 mm Al added).
IEC_RQA5_FLUENCE_PER_UGY = 29653.0  # photons / (mm2 uGy)

# ERS 1993 (Quanjer PH et al., Eur Respir J 6 Suppl 16:5-40): TLC = 7.99 H - 7.08 L (men),
# 6.60 H - 5.79 L (women), H in m; residual SD 0.70 L and 0.60 L.
ERS_TLC = {"male": (7.99, -7.08, 0.70), "female": (6.60, -5.79, 0.60)}

# Gierada DS et al. J Natl Cancer Inst 2014;106:dju284 (NLST): the largest nodule was 7 mm or
# less in 11,598 of 18,141 positive screens.
NLST_AT_MOST_7MM = (11598, 18141)
# Henschke CI et al. AJR 2002;178:1053-1057 (ELCAP baseline): 81 % solid, 7 % part-solid,
# 12 % nonsolid.
ELCAP_TYPES = {"solid": 0.81, "part-solid": 0.07, "ground-glass": 0.12}
# NLST margins (BMC Med Imaging 2021, doi:10.1186/s12880-021-00594-4, Table 2): smooth 73,
# poorly defined 10 (drawn as lobulated), spiculated 4 of 87 nodules.
NLST_MARGINS = {"smooth": 73, "lobulated": 10, "spiculated": 4}

_BODIES = {"male": {"sex": "male", "age_years": 55, "height_cm": 178, "bmi": 26},
           "female": {"sex": "female", "age_years": 45, "height_cm": 160, "bmi": 31}}
_SEEDS = {"male": 3, "female": 4}
_VOXEL_MM = 2.0


@functools.lru_cache(maxsize=2)
def _twin(sex):
    from victwin.phantom.chest import make_chest

    return make_chest({"body": _BODIES[sex]}, seed=_SEEDS[sex], voxel_mm=_VOXEL_MM,
                      progress=False)


# --- X-ray physics --------------------------------------------------------------------------

def _check_water_60kev():
    from victwin.physics import mass_attenuation

    got = float(mass_attenuation("water", 60.0))
    rel = got / NIST_WATER_MU_RHO_60KEV - 1
    return f"{got:.4f} cm2/g ({rel:+.2%})", abs(rel) <= 0.005


def _check_chest_beam():
    import spekpy

    from victwin import systems

    tube = systems.load("chest-pa").tube
    beam = tube.make_spectrum()
    ref = spekpy.Spek(kvp=tube.kvp, th=tube.anode_angle_deg or 12.0, targ=tube.anode, dk=0.5,
                      z=100)
    for material, mm in tube.filters:
        ref.filter(material, mm)
    hvl, k = beam.hvl_mm_al(), beam.air_kerma_per_mas_ugy(1000.0)
    hvl_ref, k_ref = float(ref.get_hvl1()), float(ref.get_kerma())
    return (f"HVL {hvl:.3f} mm Al (SpekPy {hvl_ref:.3f}, {hvl / hvl_ref - 1:+.1%}); air kerma "
            f"{k:.2f} uGy/mAs at 1 m (SpekPy {k_ref:.2f}, {k / k_ref - 1:+.1%})",
            abs(hvl / hvl_ref - 1) <= 0.02 and abs(k / k_ref - 1) <= 0.02)


def _check_rqa5():
    from victwin.physics import spectrum

    s = spectrum("W", 70, [("Al", 2.8), ("Al", 21.0)])
    got = float(s.photons_per_mm2_per_ugy())
    return (f"{got:.0f} photons/(mm2 uGy) ({got / IEC_RQA5_FLUENCE_PER_UGY - 1:+.1%})",
            abs(got / IEC_RQA5_FLUENCE_PER_UGY - 1) <= 0.01)


# --- chest twins ----------------------------------------------------------------------------

def _check_lung_volume():
    from victwin.phantom.chest.measure import lung_volume_ml

    parts, ok = [], True
    for sex in ("male", "female"):
        ph = _twin(sex)
        slope, icpt, rsd = ERS_TLC[sex]
        pred = slope * _BODIES[sex]["height_cm"] / 100.0 + icpt
        got = lung_volume_ml(ph) / 1000.0
        parts.append(f"{sex} {got:.2f} L (ERS {pred:.2f} +- {1.64 * rsd:.2f})")
        ok = ok and abs(got - pred) <= 1.64 * rsd
    return f"lung volume at {_VOXEL_MM:g} mm voxels: " + ", ".join(parts), ok


def _check_ctr():
    from victwin.phantom.chest.measure import cardiothoracic_ratio

    parts, ok = [], True
    for sex in ("male", "female"):
        ctr, heart_mm, thorax_mm = cardiothoracic_ratio(_twin(sex))
        parts.append(f"{sex} {ctr:.3f} ({heart_mm:.0f} / {thorax_mm:.0f} mm)")
        # each width read to +-1 voxel
        ok = ok and (heart_mm - _VOXEL_MM) / (thorax_mm + _VOXEL_MM) < 0.50
    return "cardiothoracic ratio: " + ", ".join(parts), ok


def _check_ribs():
    from victwin.phantom.chest.measure import posterior_rib_crossings

    lo, hi = 14.04 + (2.7 - 2 * 0.7), 26.28 + (5.4 + 2 * 1.2)   # mm, the sources above
    # each crossing is a profile peak on the voxel grid: the gaps are read to +-1 voxel (as the
    # CTR's widths; the two sides of the symmetric cage read 15 and 18 mm for one gap at 3 mm)
    lo, hi = lo - _VOXEL_MM, hi + _VOXEL_MM
    parts, ok = [], True
    for sex in ("male", "female"):
        ys = [posterior_rib_crossings(_twin(sex), side=side) for side in (-1, 1)]
        gaps = np.concatenate([np.diff(y) for y in ys])
        ok = ok and all(len(y) == 12 for y in ys) and lo <= gaps.min() and gaps.max() <= hi
        parts.append(f"{sex} {'/'.join(str(len(y)) for y in ys)} pairs (right/left), "
                     f"{gaps.min():.1f}-{gaps.max():.1f} mm apart")
    return "posterior ribs: " + ", ".join(parts), ok


def _check_diaphragm():
    from victwin.phantom.chest.measure import ribs_above_right_dome

    counts = {sex: ribs_above_right_dome(_twin(sex))[0] for sex in ("male", "female")}
    return (", ".join(f"{sex} {n}" for sex, n in counts.items()) + " posterior ribs above the "
            "right dome", all(8 <= n <= 10 for n in counts.values()))


# --- screening nodules ----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _nodule_draws(n=2000):
    from victwin.phantom.chest.nodules import draw_nodule_parameters

    return tuple(draw_nodule_parameters(np.random.default_rng(s)) for s in range(n))


def _check_nodule_sizes():
    from scipy import stats

    d = np.array([p["diameter_mm"] for p in _nodule_draws()])
    k, n = int((d <= 7.0).sum()), d.size
    p_ref = NLST_AT_MOST_7MM[0] / NLST_AT_MOST_7MM[1]
    p = stats.binomtest(k, n, p_ref).pvalue
    return (f"{k / n:.3f} of {n} draws <= 7 mm (NLST {p_ref:.3f}; binomial p = {p:.2g}); "
            f"{d.min():.1f}-{d.max():.1f} mm", p > 0.001 and d.min() >= 4.0 and d.max() <= 30.0)


def _check_nodule_types():
    from scipy import stats

    draws = _nodule_draws()
    counts = np.array([sum(p["nodule_type"] == t for p in draws) for t in ELCAP_TYPES])
    p = stats.chisquare(counts, np.array(list(ELCAP_TYPES.values())) * len(draws)).pvalue
    return (", ".join(f"{t} {c / len(draws):.3f}" for t, c in zip(ELCAP_TYPES, counts))
            + f" (chi-square p = {p:.2g})", p > 0.001)


def _check_nodule_margins():
    from scipy import stats

    draws = _nodule_draws()
    counts = np.array([sum(p["margin"] == m for p in draws) for m in NLST_MARGINS])
    ref = np.array(list(NLST_MARGINS.values()), float)
    p = stats.chisquare(counts, ref / ref.sum() * len(draws)).pvalue
    return (", ".join(f"{m} {c / len(draws):.3f}" for m, c in zip(NLST_MARGINS, counts))
            + f" (chi-square p = {p:.2g})", p > 0.001)


#: (model, name, kind, reference, tolerance, function) of the chest checks, in report order.
CHEST_CHECKS = (
    ("X-ray physics", "water attenuation at 60 keV", "validation",
     f"NIST XCOM (Berger et al., SRD 8): mu/rho = {NIST_WATER_MU_RHO_60KEV} cm2/g",
     "within 0.5 %", _check_water_60kev),
    ("X-ray physics", "chest PA beam (W 120 kV, 2.5 mm Al + 0.1 mm Cu): HVL and air kerma",
     "verification",
     "SpekPy (Poludniowski et al., Med Phys 48:3630, 2021) live, its own attenuation and "
     "kerma tables", "each within 2 %", _check_chest_beam),
    ("X-ray physics", "RQA5 photon fluence per air kerma", "validation",
     f"IEC 62220-1-1:2015, RQA5 (70 kV, 21 mm Al): {IEC_RQA5_FLUENCE_PER_UGY:.0f} "
     f"photons/(mm2 uGy)",
     "within 1 %", _check_rqa5),
    ("phantoms", "lung volume of a man and a woman", "calibration",
     "ERS 1993 TLC equations (Quanjer et al., Eur Respir J 1993), 90 % range (+- 1.64 RSD); "
     "the lungs are scaled to a TLC from them, so this is calibration",
     "inside the range", _check_lung_volume),
    ("phantoms", "cardiothoracic ratio", "calibration",
     "Danzer 1919: normal CTR < 0.50 (the twin's CTR is drawn from a normal series)",
     "< 0.50 with each width read to +-1 voxel", _check_ctr),
    ("phantoms", "twelve posterior rib pairs a thoracic level apart", "validation",
     "vertebral body heights 14.04-26.28 mm (dry thoracic vertebrae, IJAPB 1(1)) plus disc "
     "heights 2.7 +- 0.7 mm (T4-5) to 5.4 +- 1.2 mm (T10-11) (Fletcher et al., Eur Spine J "
     "2015)", f"12 pairs each side; every gap 15.3-34.1 mm, +-1 voxel ({_VOXEL_MM:g} mm)", _check_ribs),
    ("phantoms", "diaphragm level", "validation",
     "8th-10th posterior rib at good inspiration (Introduction to Radiology, chest X-ray "
     "technique)", "8-10 ribs above the right dome", _check_diaphragm),
    ("phantoms", "nodule sizes (2000 draws)", "calibration",
     f"NLST (Gierada et al., JNCI 2014): largest nodule <= 7 mm in {NLST_AT_MOST_7MM[0]} of "
     f"{NLST_AT_MOST_7MM[1]} positive screens; sizes 4-30 mm", "binomial p > 0.001",
     _check_nodule_sizes),
    ("phantoms", "nodule types (2000 draws)", "calibration",
     "ELCAP baseline (Henschke et al., AJR 2002): solid 0.81, part-solid 0.07, nonsolid 0.12",
     "chi-square p > 0.001", _check_nodule_types),
    ("phantoms", "nodule margins (2000 draws)", "calibration",
     "NLST readers (BMC Med Imaging 2021, Table 2): smooth 73, poorly defined 10 (as "
     "lobulated), spiculated 4 of 87", "chi-square p > 0.001", _check_nodule_margins),
)
