"""Live verification and validation checks shown in the report's credibility section.

The report follows the structure of the FDA guidance *Assessing the Credibility of Computational
Modeling and Simulation in Medical Device Submissions* (2023), which adopts ASME V&V 40-2018:
a question of interest, a context of use, the model risk, and for each model the verification
and validation evidence. :func:`run_checks` runs a curated set of fast checks of each model
(ray tracer, X-ray physics, phantoms, statistics) against an independent reference, at report
time, on the installed code, so the report states what was measured on the machine that made
it, not what a test suite measured once. Each check takes well under a few seconds on one CPU
core; a check that raises is recorded as failed with its error, never dropped.

Reference numbers are copied here with their sources. The Van Dyke ratings and the pROC aSAH
marker below are data (not code) from the GPL packages named with them.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from ._chest_checks import CHEST_CHECKS
from ._measurements import field_centre_spr, presampled_mtf, slanted_edge
from ._references import boone_spr_fit, ideal_aperture_mtf, slab_chord

__all__ = ["CheckResult", "run_checks", "CHECKS", "MODELS", "FAMILIES", "checks_for",
           "models_for", "for_family"]


@dataclass(frozen=True)
class CheckResult:
    """One verification or validation check.

    Attributes
    ----------
    model : str
        The model the check is evidence for (``"ray tracer"``, ``"X-ray physics"``,
        ``"phantoms"``, ``"statistics"``).
    name : str
        What is checked.
    kind : str
        ``"verification"`` (the code solves its equations right), ``"validation"`` (the
        model agrees with measured or published results it was not fitted to) or
        ``"calibration"`` (the model reproduces the data its parameters were fitted to: a
        consistency check, not evidence of predictive accuracy).
    reference : str
        The independent reference, with its citation and value.
    measured : str
        What the installed code gives (or the error it raised).
    tolerance : str
        The acceptance criterion.
    passed : bool
    seconds : float
        Wall time of the check, s.
    """

    model: str
    name: str
    kind: str
    reference: str
    measured: str
    tolerance: str
    passed: bool
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


#: Model name -> what it is, in the report's words.
MODELS = {
    "ray tracer": "exact path lengths per material along each ray (Siddon-type traversal), "
                  "forward projection and its adjoint (victwin.raytrace)",
    "X-ray physics": "spectra, attenuation, primary signal, scatter, detector and dose "
                     "(victwin.physics)",
    "phantoms": "procedural compressed-breast phantoms with power-law glandular texture "
                "(victwin.phantom)",
    "statistics": "empirical AUC, DeLong covariance and Obuchowski-Rockette MRMC analysis "
                  "(victwin.stats)",
}


# --- ray tracer -----------------------------------------------------------------------------

def _check_chords():
    from victwin.geometry import Grid, mammography_view
    from victwin.raytrace import project_labels

    rng = np.random.default_rng(20230)
    grid = Grid(shape=(12, 20, 16), spacing=(0.9, 0.6, 0.75), origin=(0.4, -5.7, 20.45))
    labels = np.zeros(grid.shape, np.uint8)
    boxes = []
    for lab in (1, 2, 3, 4):  # disjoint voxel-aligned boxes, one label each
        for _ in range(100):
            lo = rng.integers(0, np.array(grid.shape) - 2)
            hi = lo + rng.integers(3, 9, size=3)
            hi = np.minimum(hi, grid.shape)
            sl = tuple(slice(a, b) for a, b in zip(lo, hi))
            if not labels[sl].any():
                labels[sl] = lab
                boxes.append((lab, lo, hi))
                break
    view = mammography_view(sid_mm=300.0, detector_shape=(40, 36), pitch_mm=0.4,
                            source_x_mm=3.0)
    got = project_labels(labels, grid, view, 5, backend="cpu")[0]  # (5, nv, nu)
    centers = view.panel.pixel_centers().reshape(-1, 3)
    src = np.broadcast_to(np.asarray(view.source, float), centers.shape)
    corner = grid.lower_mm  # (x, y, z) of the grid's lower corner
    sp = np.asarray(grid.spacing_xyz, float)
    ref = np.zeros((5, len(centers)))
    for lab, lo, hi in boxes:  # [z, y, x] index boxes -> (x, y, z) world boxes
        lo_w = corner + lo[::-1] * sp
        hi_w = corner + hi[::-1] * sp
        ref[lab] += slab_chord(src, centers, lo_w, hi_w)
    total = slab_chord(src, centers, grid.lower_mm, grid.upper_mm)
    ref[0] = total - ref[1:].sum(axis=0)
    err = np.abs(got.reshape(5, -1) - ref).max()
    hit = int((ref[1:].sum(axis=0) > 0).sum())
    return (f"max |error| {err:.2e} mm over {centers.shape[0]} rays x 5 labels "
            f"({hit} rays cross a box)", err <= 1e-4 * max(total.max(), 1.0) and hit > 200)


def _check_adjoint():
    from victwin.geometry import Grid, tomosynthesis_arc
    from victwin.raytrace import backproject, project_volume

    rng = np.random.default_rng(7)
    grid = Grid(shape=(6, 11, 9), spacing=(1.0, 0.5, 0.7), origin=(0.3, -2.5, 3.5))
    views = tomosynthesis_arc(5, 50.0, 4.0, source_to_rotation_center_mm=40.0,
                              detector_shape=(13, 10), pitch_mm=0.8)
    x = rng.random(grid.shape).astype(np.float32)
    y = rng.random((5, 13, 10)).astype(np.float32)
    lhs = float(np.vdot(project_volume(x, grid, views, backend="cpu").astype(np.float64), y))
    rhs = float(np.vdot(x.astype(np.float64), backproject(y, grid, views, backend="cpu")))
    rel = abs(lhs - rhs) / abs(lhs)
    return f"<Ax, y> = {lhs:.6g}, <x, A^T y> = {rhs:.6g}, relative difference {rel:.1e}", \
        rel <= 1e-5


# --- X-ray physics --------------------------------------------------------------------------

# NIST XCOM (Berger et al., NIST Standard Reference Database 8): water mu/rho at 20 keV.
NIST_WATER_MU_RHO_20KEV = 0.8096  # cm2/g


def _check_water_mu():
    from victwin.physics import mass_attenuation

    got = float(mass_attenuation("water", 20.0))
    rel = got / NIST_WATER_MU_RHO_20KEV - 1
    return f"{got:.4f} cm2/g ({rel:+.2%})", abs(rel) <= 0.005


def _check_hvl():
    import spekpy

    from victwin.physics import spectrum

    ours = spectrum("W", 28, [("Be", 1.0), ("Rh", 0.050)], anode_angle_deg=16).hvl_mm_al()
    s = spekpy.Spek(kvp=28, th=16, targ="W", dk=0.5, z=100)
    s.filter("Be", 1.0)
    s.filter("Rh", 0.050)
    ref = float(s.get_hvl1())
    return (f"victwin {ours:.3f} mm Al; spekpy {ref:.3f} mm Al",
            abs(ours - ref) <= 0.01 and abs(ours - 0.463) <= 0.01)


def _check_spr():
    from victwin.geometry import mammography_view

    # Boone et al.'s beams were normally incident: a source 100 m away
    t_mm, d_mm = 45.0, 150.0
    view = mammography_view(sid_mm=100_000.0, detector_shape=(3000, 1500), detector_binning=12)
    spr = field_centre_spr(t_mm, d_mm, view)
    ref = boone_spr_fit(t_mm / 10, d_mm / 10)
    return f"SPR {spr:.3f} (Boone fit {ref:.3f}, {spr / ref - 1:+.1%})", \
        abs(spr / ref - 1) <= 0.10


def _check_mtf():
    raw, det, flat, panel = slanted_edge(angle_deg=4.0, n=80, rays_per_pixel=8)
    f, mtf = presampled_mtf(raw, det, flat, panel)
    nyquist = 1 / (2 * panel.pitch[1])
    got = float(np.interp(nyquist, f, mtf))
    ref = float(ideal_aperture_mtf(nyquist, panel.pitch[1]))
    return f"presampled MTF at Nyquist {got:.3f} (sinc: {ref:.3f})", abs(got - ref) <= 0.03


# Dance DR et al., Phys Med Biol 45:3225 (2000), table 1: g = 0.183 mGy/mGy for a 4.5 cm breast
# of 50 % glandularity at HVL 0.30 mm Al (c = 1 at 50 %, s = 1 for Mo/Mo).
def _check_mgd():
    from victwin.physics import mean_glandular_dose, spectrum

    beam = spectrum("Mo", 30, [("Be", 0.5), ("Mo", 0.03)], anode_angle_deg=16)
    hvl = beam.hvl_mm_al()
    mgd = float(mean_glandular_dose(1.0, 45.0, 0.5, beam))
    return (f"HVL {hvl:.3f} mm Al; MGD/K {mgd:.4f} ({mgd / 0.183 - 1:+.1%})",
            abs(hvl - 0.30) <= 0.01 and abs(mgd / 0.183 - 1) <= 0.10)


# --- phantoms -------------------------------------------------------------------------------

# VICTRE breast configurations (DIDSR/breastPhantom cfg/VICTRE_{fatty,dense}.cfg; Badano et
# al., JAMA Netw Open 1:e185474, 2018): targetFatFrac 0.95 (fatty) and 0.40 (dense), i.e.
# glandular volume fractions 0.05 and 0.60; victwin's recipes draw each phantom's target from
# 0.03-0.08 and 0.52-0.68 around them.
VICTRE_GLANDULAR = {"fatty": (0.05, 0.03, 0.08), "dense": (0.60, 0.52, 0.68)}


def _check_glandular():
    from victwin.phantom import make

    parts, ok = [], True
    for density, (victre, lo, hi) in VICTRE_GLANDULAR.items():
        ph = make(f"breast/{density}", seed=5, voxel_mm=2.0, progress=False)
        counts = np.bincount(ph.labels.ravel(), minlength=256)
        # glandular and adipose voxels counted here, independently of the phantom's own
        # bookkeeping (tissue labels are below 20; higher labels are lesions)
        n_g = sum(int(counts[k]) for k, v in ph.materials.items() if v == "glandular" and k < 20)
        n_a = sum(int(counts[k]) for k, v in ph.materials.items() if v == "adipose")
        fv = n_g / (n_g + n_a)
        parts.append(f"{density} {fv:.3f} (VICTRE {victre:.2f})")
        ok = ok and lo <= fv <= hi
    return "glandular volume fraction at 2 mm voxels: " + ", ".join(parts), ok


def _check_texture():
    from victwin.phantom import power_law_field

    beta = 3.0
    rng = np.random.default_rng(11)
    n, dx = 64, 0.5
    field = power_law_field((n, n, n), dx, beta, rng, f_low=0.0, f_high=np.inf)
    proj = field.sum(axis=0).astype(np.float64)
    ps = np.abs(np.fft.fft2(proj - proj.mean())) ** 2
    fy = np.fft.fftfreq(n, dx)
    fr = np.sqrt(fy[:, None] ** 2 + fy[None, :] ** 2)
    band = (fr > 4 / (n * dx)) & (fr < 0.35 / dx)
    slope = float(np.polyfit(np.log(fr[band]), np.log(ps[band]), 1)[0])
    return (f"projected power spectrum exponent {-slope:.2f} (field beta {beta})",
            abs(-slope - beta) <= 0.3)


# --- statistics -----------------------------------------------------------------------------

# Van Dyke CW et al. (1993), cine vs spin-echo MRI of aortic dissection; ratings 1-5 as in RJafroc
# inst/extdata/RocData.imrmc (dpc10ster/RJafroc 44b0e39, GPL-3): 69 normal then 45 abnormal
# cases; one string per modality (1, 2) and reader (1..5), one digit per case.
_VD_N0, _VD_N1 = 69, 45
_VD = (
    "122151111111411111111131311214111113121211233131133111111221111332111"  # normal
    "555545554555434245555555154454553555115554451",  # abnormal
    "232222222322522232222222422223222222222222222222222222222432232222222"  # normal
    "535555542555442225555555243354552425225555352",  # abnormal
    "222235112242422232221232411322112224121412112222223211211221151421212"  # normal
    "545555555555542355555555252255552555225555552",  # abnormal
    "111111311111111111112111211112111111111111111111331111111111111311111"  # normal
    "555555555555555155555555554544553555125555555",  # abnormal
    "351211112221211122113221111211211231221113332111211111111341231212113"  # normal
    "525255551545452235555554144322151515115553552",  # abnormal
    "333222223213122222211111421312214323123122233111333113412421241442111"  # normal
    "535555554555544335555555355355554455535555551",  # abnormal
    "322222223222222122221222322222212212222231223222222222322322222222122"  # normal
    "535555552555344245455545252355532425525555552",  # abnormal
    "242222322211132222121121411512112122212221132111233113221232341242121"  # normal
    "525555555555354145555555253355543555534555551",  # abnormal
    "221111312111122111211111321212111122112111112121212211111212111323211"  # normal
    "545555554555455555555555455445555555535555555",  # abnormal
    "223122221222111222122212322321212222112121132122332122221222231233111"  # normal
    "525455555455343335555555251332532545533555553",  # abnormal
)
# Iowa OR-DBM MRMC 2.51 / RJafroc (tests/testthat/goodValues361/UtilOutputReport/
# dataset02-OR-Wilcoxon.rds): OR jackknife RRRC F = 4.456318693157262, ddf = 15.259674589141751,
# p = 0.051665685819294094; difference 1 - 2 = -0.043800322061191665.
VANDYKE_F, VANDYKE_DDF, VANDYKE_P = 4.456318693157262, 15.259674589141751, 0.051665685819294094
VANDYKE_DIFF = -0.043800322061191665

# pROC aSAH data (Turck et al. 2010; xrobin/pROC ee2877e, GPL >= 3): WFNS grade and outcome
# (1 = Poor, the cases) of 113 patients in data order; pROC tests/testthat/test-auc.R and
# test-var.R: AUC 0.823678861788618, DeLong variance 0.00146991470882363.
_ASAH_WFNS = ("11113254125255125225211112121134214541425511241125521251222151125214524414121"
              "421232421451154221113125225552445111")
_ASAH_POOR = ("00001101001011001011101000000000100110110000000001100010001010011101101111000"
              "110100000010000000000001111110001000")
PROC_AUC_WFNS, PROC_VAR_WFNS = 0.823678861788618, 0.00146991470882363


def _check_vandyke():
    from victwin.stats import ScoreTable, mrmc

    scores = np.array([[int(c) for c in s] for s in _VD], float).reshape(2, 5, -1)
    truth = np.repeat([0, 1], [_VD_N0, _VD_N1])
    table = ScoreTable(tuple(str(k + 1) for k in range(truth.size)), truth, ("1", "2"),
                       tuple(str(r + 1) for r in range(5)), scores)
    res = mrmc(table, "jackknife")
    r = res.rrrc
    ok = (abs(r["statistic"] - VANDYKE_F) <= 1e-6 * VANDYKE_F
          and abs(r["ddf"] - VANDYKE_DDF) <= 1e-6 * VANDYKE_DDF
          and abs(r["p"] - VANDYKE_P) <= 1e-6 and abs(res.difference - VANDYKE_DIFF) <= 1e-9)
    return (f"F = {r['statistic']:.9f}, ddf = {r['ddf']:.9f}, p = {r['p']:.9f}, "
            f"difference {res.difference:.9f}", ok)


def _check_proc():
    from victwin.stats import delong_cov

    x = np.array([int(c) for c in _ASAH_WFNS], float)
    y = np.array([int(c) for c in _ASAH_POOR])
    aucs, cov = delong_cov(x, y)
    a, v = float(aucs[0]), float(cov[0, 0])
    return f"AUC {a:.15f}, DeLong variance {v:.15g}", \
        abs(a - PROC_AUC_WFNS) <= 1e-12 and abs(v - PROC_VAR_WFNS) <= 1e-12


# VICTRE's own numbers (DIDSR/VICTRE_MCGPU 84612ee): MC-GPU's log of its hetero run reports
# "mean energy spectrum = 19.247 keV" (results/MC-GPU_v1.5b_hetero_phantom_mammo+DBT.out l. 79);
# PENELOPE 2006 total mean free paths at 20 keV from its material files (column 5; cm at the
# nominal density): glandular (1.06 g/cm3) 1.27258, adipose (0.92) 1.95103, calcium oxalate
# (2.12) 0.102552 -- used at VICTRE's densities 1.035, 0.92 and 1.781 (MC-GPU_v1.5b.cu
# lines 2128-2139).
MCGPU_MEAN_ENERGY_28KVP = 19.247
MCGPU_MFP_20KEV = {"glandular_victre": (1.27258, 1.06), "adipose_victre": (1.95103, 0.92),
                   "calcium_oxalate_victre": (0.102552, 2.12)}


def _check_victre_spectrum():
    from victwin.physics import victre_spectrum

    got = victre_spectrum(28).mean_energy_kev
    return (f"{got:.3f} keV (MC-GPU log {MCGPU_MEAN_ENERGY_28KVP})",
            abs(got - MCGPU_MEAN_ENERGY_28KVP) <= 0.002)


def _check_victre_materials():
    from victwin.physics import MATERIALS, linear_attenuation

    parts, ok = [], True
    for name, (mfp_cm, rho0) in MCGPU_MFP_20KEV.items():
        rho = MATERIALS[name].density_g_cm3
        ref = rho / rho0 / (10.0 * mfp_cm)
        got = float(linear_attenuation(name, 20.0))
        parts.append(f"{name} {got / ref - 1:+.1%}")
        ok = ok and abs(got / ref - 1) <= 0.025
    return "mu(20 keV) vs PENELOPE: " + ", ".join(parts), ok


def _check_mcgpu_detector():
    from dataclasses import replace

    from victwin.physics import A_SE_VICTRE, detect

    det = replace(A_SE_VICTRE, noise_model="mcgpu")
    n, e = 40.0, 19.0
    e1 = np.full((300, 300), n * e)
    q = detect(e1, e1 * e, det, np.random.default_rng(7))
    m = n * e * 20.0
    var = n * (e * 20.0) ** 2 + (math.sqrt(m * math.sqrt(1 / 0.99 - 1)) + math.sqrt(5200)) ** 2
    return (f"mean {q.mean():.0f} e (formula {m + 5200:.0f}), variance {q.var():.4g} "
            f"(formula {var:.4g})",
            abs(q.mean() - m - 5200) < 4 * math.sqrt(var / q.size)
            and abs(q.var() / var - 1) < 0.03)


def _check_focal_spot():
    from victwin.physics import focal_spot_rule

    sigma = 0.3 / (2 * math.sqrt(2 * math.log(2)))
    x, w = focal_spot_rule(0.3, 4, "mcgpu")
    eg2 = 0.7737413   # E[g^2 | |g| < 2] of a standard normal
    rms = math.sqrt(float(np.dot(w, x * x)))
    ref = sigma * math.sqrt(eg2 / 3)
    return f"per-axis rms {1000 * rms:.1f} um (analytic {1000 * ref:.1f} um)", \
        abs(rms / ref - 1) < 0.003


# MC-GPU's log of VICTRE's hetero run (DIDSR/VICTRE_MCGPU 84612ee, example_simulations/results/
# MC-GPU_v1.5b_hetero_phantom_mammo+DBT.out): "Simulated x rays: 170002560000" (l. 277) and
# "Maximum pixel value = 88.411251 eV/cm^2 per hist" (l. 282), an open-field pixel of the DM.
MCGPU_HETERO_DM_HISTORIES = 1.7000256e11
MCGPU_HETERO_DM_MAX_EV_CM2 = 88.411251


def _check_victre_exposure():
    from types import SimpleNamespace

    from victwin import systems
    from victwin.acquisition import build_beam

    dm = systems.load("victre-dm")
    ph = SimpleNamespace(meta={"thickness_mm": 45.0, "glandular_fraction_mass": 0.36},
                         labels=None, grid=None, materials={})
    beam = build_beam(dm, ph)
    sid = dm.geometry.sid_mm
    kev = (beam.photons_per_mas_mm2_1m * beam.mas_per_view * (1000.0 / sid) ** 2
           * 0.085 ** 2 * beam.flat_kev_per_photon * beam.grid_primary)
    ref = MCGPU_HETERO_DM_MAX_EV_CM2 * MCGPU_HETERO_DM_HISTORIES * 0.0085 ** 2 / 1000.0
    return (f"{kev:.4g} keV per open 85 um pixel (MC-GPU {ref:.4g}, ratio {kev / ref:.3f})",
            abs(kev / ref - 1) <= 0.05)


def _check_victre_cluster():
    from scipy import ndimage
    from scipy.spatial.distance import pdist

    from victwin.phantom import victre_cluster

    counts, dists = [], []
    for seed in range(3):
        c = victre_cluster(seed)
        lab, n = ndimage.label(c.patch > 0, structure=np.ones((3, 3, 3)))
        counts.append(n)
        cen = np.array(ndimage.center_of_mass(c.patch > 0, lab, range(1, n + 1))) * 0.05
        dists.extend(pdist(cen))
    return (f"{sorted(set(counts))} calcifications, spacing {min(dists):.2f}-{max(dists):.2f} mm",
            set(counts) == {5} and min(dists) >= 1.61 and max(dists) <= 3.73)


#: (model, name, kind, reference, tolerance, function) of the breast trials' checks and of
#: the checks every trial shows, in report order (the chest ones: ``_chest_checks``).
_BREAST_CHECKS = (
    ("ray tracer", "path lengths per label vs exact slab chords", "verification",
     "analytic ray-box chords (slab method, Kay & Kajiya 1986) through random disjoint boxes, "
     "cone-beam view", "max error <= 1e-4 x longest chord", _check_chords),
    ("ray tracer", "backprojector is the exact adjoint of the projector", "verification",
     "dot-product test <A x, y> = <x, A^T y> (random x, y; 5-view DBT arc)",
     "relative difference <= 1e-5", _check_adjoint),
    ("X-ray physics", "water attenuation at 20 keV", "validation",
     f"NIST XCOM (Berger et al., SRD 8): mu/rho = {NIST_WATER_MU_RHO_20KEV} cm2/g",
     "within 0.5 %", _check_water_mu),
    ("X-ray physics", "HVL of W/Rh 28 kVp (1 mm Be, 50 um Rh)", "validation",
     "SpekPy (Poludniowski et al., Med Phys 48:3630, 2021) live, and its published 0.463 mm Al",
     "within 0.01 mm Al of both", _check_hvl),
    ("X-ray physics", "scatter-to-primary ratio, 4.5 cm x 15 cm breast", "calibration",
     "Boone et al., Med Phys 27:2408 (2000) field-centre SPR fit (Monte Carlo); the scatter "
     "model's parameters were fitted to it, so this is calibration (no held-out reference yet)",
     "within 10 %", _check_spr),
    ("X-ray physics", "a-Se detector presampled MTF (slanted edge)", "verification",
     "ideal 85 um aperture: MTF(Nyquist) = 2/pi (IEC 62220-1 slanted-edge method)",
     "within 0.03", _check_mtf),
    ("X-ray physics", "mean glandular dose, standard breast", "validation",
     "Dance et al., Phys Med Biol 45:3225 (2000): g = 0.183 at 4.5 cm, 50 %, HVL 0.30 mm Al",
     "HVL within 0.01 mm Al; MGD/K within 10 %", _check_mgd),
    ("phantoms", "glandular fraction of fatty and dense breasts", "calibration",
     "VICTRE configurations (Badano et al., JAMA Netw Open 2018; DIDSR/breastPhantom "
     "VICTRE_fatty.cfg, VICTRE_dense.cfg): glandular fraction 0.05 and 0.60",
     "fatty 0.03-0.08, dense 0.52-0.68", _check_glandular),
    ("X-ray physics", "VICTRE spectrum as loaded (W/Rh 28 kVp .spc)", "verification",
     "MC-GPU's own log of VICTRE's run: mean energy 19.247 keV", "within 0.002 keV",
     _check_victre_spectrum),
    ("X-ray physics", "VICTRE tissue attenuation at MC-GPU's densities", "validation",
     "MC-GPU's PENELOPE 2006 material files (glandular, adipose, calcium oxalate) at 20 keV",
     "within 2.5 %", _check_victre_materials),
    ("X-ray physics", "MC-GPU detector charge model, flat field", "verification",
     "MC-GPU_v1.5b.cu lines 3357-3360: mean E/W + 5200, std sqrt(E/W r) + sqrt(5200)",
     "mean within 4 SE, variance within 3 %", _check_mcgpu_detector),
    ("X-ray physics", "MC-GPU focal spot (300 um FWHM, cut at 2 sigma)", "verification",
     "MC-GPU kernel lines 459-481: isotropic offset, radius |g| sigma, |g| < 2", "within 0.3 %",
     _check_focal_spot),
    ("X-ray physics", "VICTRE exposure: detected energy, open DM pixel, 45 mm breast",
     "validation",
     "MC-GPU's log of VICTRE's hetero DM (88.41 eV/cm2 per history x 1.70e11 histories); "
     "victwin sets VICTRE's histories per view (VICTRE_PIPELINE Constants.py), the detector "
     "and grid are its own", "within 5 %", _check_victre_exposure),
    ("phantoms", "VICTRE calcification cluster (3 seeds)", "calibration",
     "VICTRE's cluster file heteroCalc2_121_100.raw (DIDSR/VICTRE), measured: 5 "
     "calcifications, 1.66-3.68 mm apart (the generator's parameters come from it)", "count 5; spacing within 0.05 mm of the range",
     _check_victre_cluster),
    ("phantoms", "texture power-law exponent", "verification",
     "Burgess et al., Med Phys 28:419 (2001): mammographic texture P(f) ~ f^-beta, beta ~ 3; "
     "projection keeps the exponent", "within 0.3 of beta", _check_texture),
    ("statistics", "Van Dyke OR-jackknife RRRC test", "verification",
     f"Iowa OR-DBM MRMC 2.51 / RJafroc: F = {VANDYKE_F:.6f}, ddf = {VANDYKE_DDF:.4f}, "
     f"p = {VANDYKE_P:.6f}", "relative 1e-6", _check_vandyke),
    ("statistics", "empirical AUC and DeLong variance (aSAH, WFNS)", "verification",
     f"pROC (Robin et al., BMC Bioinformatics 12:77, 2011) tests: AUC {PROC_AUC_WFNS}, "
     f"variance {PROC_VAR_WFNS}", "absolute 1e-12", _check_proc),
)


#: Every check, breast and chest, in report order: by model (ray tracer, X-ray physics,
#: phantoms, statistics), each model's checks in the order written.
_MODEL_ORDER = ("ray tracer", "X-ray physics", "phantoms", "statistics")
CHECKS = tuple(sorted(_BREAST_CHECKS + CHEST_CHECKS, key=lambda c: _MODEL_ORDER.index(c[0])))

#: The checks every trial shows, whatever its body part: the ray tracer and the statistics.
_EVERY_TRIAL = ("path lengths per label vs exact slab chords",
                "backprojector is the exact adjoint of the projector",
                "Van Dyke OR-jackknife RRRC test",
                "empirical AUC and DeLong variance (aSAH, WFNS)")

#: Check name -> the phantom families (``cohort.family``) whose trials it is evidence for.
#: The breast checks (MGD of a standard breast, a-Se MTF, Boone's breast SPR, VICTRE's
#: spectrum, tissues, detector, focal spot, exposure and calcifications, glandular fraction,
#: mammographic texture) are the breast trials'; the chest checks (chest PA beam, RQA5,
#: water at 60 keV, the twins' anatomy, nodule draws) the chest trials'.
FAMILIES = {**{c[1]: ("breast",) for c in _BREAST_CHECKS},
            **{c[1]: ("chest",) for c in CHEST_CHECKS},
            **{name: ("breast", "chest") for name in _EVERY_TRIAL}}

#: What a model is, for a chest trial, where it differs from :data:`MODELS`.
_CHEST_MODELS = {
    "phantoms": "procedural chest twins: NHANES bodies, lungs sized by the ERS equations, "
                "ribs, mediastinum, vessel trees and screening nodules (victwin.phantom.chest)",
}


def checks_for(family: str) -> tuple:
    """The checks of :data:`CHECKS` that apply to trials of phantom ``family``.

    Parameters
    ----------
    family : {"breast", "chest"}
        The trial's ``cohort.family``.

    Returns
    -------
    tuple
        ``(model, name, kind, reference, tolerance, function)`` entries, in report order.
    """
    families = sorted({f for fs in FAMILIES.values() for f in fs})
    if family not in families:
        raise ValueError(f"family must be one of {families}; got {family!r}")
    return tuple(c for c in CHECKS if family in FAMILIES[c[1]])


def for_family(results, family: str) -> list:
    """The :class:`CheckResult` values of ``results`` that apply to ``family`` (a check not
    in :data:`CHECKS`, e.g. one a caller wrote, is kept)."""
    names = {c[1] for c in checks_for(family)}
    return [r for r in results if r.name in names or r.name not in FAMILIES]


def models_for(family: str) -> dict:
    """Model name -> what it is, in the words of a ``family`` trial's report."""
    return {**MODELS, **(_CHEST_MODELS if family == "chest" else {})}


def run_checks(checks=None, *, family=None) -> list[CheckResult]:
    """Run the checks and return their results (failures included).

    Parameters
    ----------
    checks : sequence, optional
        ``(model, name, kind, reference, tolerance, function)`` tuples to run instead of
        :data:`CHECKS`; ``function()`` returns ``(measured text, passed)``.
    family : {"breast", "chest"}, optional
        Run only the checks that apply to trials of this phantom family
        (:func:`checks_for`); ignored with ``checks``. Default: every check.

    Returns
    -------
    list of CheckResult
        In the order of :data:`CHECKS`. A check whose code raises is a failed result whose
        ``measured`` holds the error.
    """
    if checks is None:
        checks = CHECKS if family is None else checks_for(family)
    out = []
    for model, name, kind, reference, tolerance, func in checks:
        t0 = time.perf_counter()
        try:
            measured, passed = func()
        except Exception as exc:  # noqa: BLE001 - a broken model is shown failed, not hidden
            measured, passed = f"error: {type(exc).__name__}: {exc}"[:300], False
        out.append(CheckResult(model=model, name=name, kind=kind, reference=reference,
                               measured=measured, tolerance=tolerance, passed=bool(passed),
                               seconds=time.perf_counter() - t0))
    return out
