"""Trial specs: valid ones load; every mistake is one ValueError line naming the key."""

import copy
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from victwin.trial import VICTRE_DENSITY_MIX, load_spec, spec_from_dict

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
VALID = tomllib.loads((EXAMPLES / "demo.toml").read_text())


@pytest.mark.parametrize("name", ["demo.toml", "demo-victre.toml", "victre-replica.toml",
                                  "chest-nodules.toml"])
def test_examples_load(name):
    spec = load_spec(EXAMPLES / name)
    assert len(spec.modalities) >= 2
    assert spec_from_dict(spec.to_toml_dict()) == spec
    assert spec_from_dict(spec.to_toml_dict()).hash == spec.hash


def test_victre_mix_is_the_published_cohort():
    # Badano et al. 2018: 300 fatty, 1200 scattered, 1200 heterogeneous, 286 dense of 2986
    assert VICTRE_DENSITY_MIX["dense"] * 2986 == pytest.approx(286)
    assert sum(VICTRE_DENSITY_MIX.values()) == pytest.approx(1.0)


def mutate(path, value=None, delete=False):
    data = copy.deepcopy(VALID)
    node = data
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


def _no_sites(**cohort):
    data = copy.deepcopy(VALID)
    data["cohort"].pop("sites", None)
    data["cohort"].pop("lesions", None)
    data["cohort"].update(cohort)
    return data


BAD = [
    (mutate(["cohort", "sizee"], 3), r"unknown key cohort.sizee; did you mean size\?"),
    (mutate(["cohort", "szie"], 3), r"^trial spec: unknown key cohort.szie; did you mean size\?$"),
    (mutate(["cohort", "density_mix"], 0.5),
     r"cohort.density_mix must be one of 'victre' or a non-empty table of fractions, got 0.5"),
    (mutate(["cohort", "size"], -6), r"cohort.size must be >= 2, got -6"),
    (mutate(["cohort", "size"], "24"), r"cohort.size must be an integer, got '24'"),
    (mutate(["cohort", "size"], 2.5), r"cohort.size must be an integer, got 2.5"),
    (mutate(["trial", "seed"], delete=True), r"missing key trial.seed"),
    (mutate(["resolution", "voxel_mm"], 0.0), r"resolution.voxel_mm must be >= 0.02, got 0.0"),
    (mutate(["resolution", "voxel_um"], 100), r"unknown key resolution.voxel_um"),
    (mutate(["cohort", "density_mix"], {"fatty": 0.5, "dense": 0.6}),
     r"cohort.density_mix must be fractions that add up to 1 \(their sum\), got 1.1"),
    (mutate(["cohort", "density_mix"], {"fatty": 0.5, "medium": 0.5}),
     r"unknown key cohort.density_mix.medium"),
    (_no_sites(lesions={"tumour": 1.0}), r"unknown key cohort.lesions.tumour"),
    (mutate(["modality", 1, "system"], "mammomat-xyz"),
     r"modality\[1\].system names an unknown system 'mammomat-xyz'"),
    (mutate(["modality", 1, "reconstruction"], {"method": "magic"}),
     r"modality\[1\].reconstruction.method must be one of"),
    (mutate(["modality"], [VALID["modality"][0]]), r"at least two imaging arms"),
    (mutate(["readers", "observer"], "human"), r"readers.observer must be one of"),
    (mutate(["readers", "training_fraction"], 1.5), r"readers.training_fraction must be <= 0.9"),
    (mutate(["analysis", "covariance"], "bootstrap"), r"analysis.covariance must be one of"),
    (mutate(["analysis", "subgroups"], ["density", "shoe_size"]),
     r"analysis.subgroups\[1\] must be one of"),
    (mutate(["cohort", "age_years"], [80, 40]), r"cohort.age_years must be \[min, max\] with 18 <= min <= max <= 100, got \[80, 40\]"),
    (mutate(["trial", "name"], "a/b"), r"trial.name must be a non-empty name without slashes"),
    (mutate(["storage", "keep_images"], "yes"), r"storage.keep_images must be true or false"),
]


@pytest.mark.parametrize("data, message", BAD, ids=[m for _, m in BAD])
def test_bad_specs_name_the_key(data, message):
    with pytest.raises(ValueError, match=message) as info:
        spec_from_dict(data)
    assert "\n" not in str(info.value)


def test_toml_syntax_error_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[trial]\nname = demo\n")
    with pytest.raises(ValueError, match=r"bad.toml. is not valid TOML: .*line 2"):
        load_spec(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")


def _leaves(d, prefix=()):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, prefix + (k,))
    elif isinstance(d, list):
        for k, v in enumerate(d):
            yield from _leaves(v, prefix + (k,))
    else:
        yield prefix


LEAVES = list(_leaves(VALID))
JUNK = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=8), st.booleans(), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LEAVES), JUNK, st.sampled_from(["replace", "delete", "add"]))
def test_random_mutations_give_one_line_errors(path, junk, how):
    """Any mutation either still validates or raises one ValueError line naming a key."""
    data = copy.deepcopy(VALID)
    node = data
    for key in path[:-1]:
        node = node[key]
    last = path[-1]
    if how == "replace":
        node[last] = junk
    elif how == "delete":
        node.pop(last) if isinstance(node, dict) else node.pop(last)
    else:
        if not isinstance(node, dict):
            return
        node["zz_" + str(last)] = junk
    try:
        spec_from_dict(data)
    except ValueError as exc:
        text = str(exc)
        assert "\n" not in text and text
        named = [str(k) for k in path if isinstance(k, str)]
        assert any(k in text for k in named) or "modality" in text or "missing key" in text, text


def test_cli_plan_bad_spec_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    text = re.sub(r"voxel_mm = [0-9.]+", "voxel_mm = -1", (EXAMPLES / "demo.toml").read_text())
    bad.write_text(text)
    res = subprocess.run([sys.executable, "-m", "victwin", "plan", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == ("victwin: error: trial spec: resolution.voxel_mm must be >= "
                                  "0.02, got -1")
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("data, message", [
    (_no_sites(sites={"mass": 4, "tumour": 1}),
     r"^trial spec: unknown key cohort.sites.tumour; valid keys here: absent, calcification, mass, nodule$"),
    (_no_sites(sites={"mass": -1}), r"^trial spec: cohort.sites.mass must be >= 0, got -1$"),
    (_no_sites(sites={"mass": 1.5}), r"^trial spec: cohort.sites.mass must be an integer, got 1.5$"),
    (_no_sites(sites={"absent": 12}), r"^trial spec: cohort.sites must be a table with at least one "
                                      r"lesion site"),
    (_no_sites(sites={"mass": 1}, lesions={"mass": 1.0}),
     r"^trial spec: cohort.lesions must be absent when cohort.sites is given"),
    (_no_sites(sites="victre"), r"^trial spec: cohort.sites must be a table, got 'victre'$"),
])
def test_bad_sites_name_the_key(data, message):
    with pytest.raises(ValueError, match=message) as info:
        spec_from_dict(data)
    assert "\n" not in str(info.value)


def test_resolution_mode_default_and_its_rules():
    data = _no_sites(lesions={"mass": 1.0})
    data["resolution"].pop("mode", None)
    data["storage"] = {}
    spec = spec_from_dict(data)
    # lesion-local is the default for trials; it keeps no previews unless asked
    assert spec.resolution.mode == "lesion-local" and not spec.storage.previews
    data["resolution"]["mode"] = "full"
    assert spec_from_dict(data).storage.previews
    data["resolution"]["mode"] = "everything"
    with pytest.raises(ValueError, match=r"^trial spec: resolution.mode must be one of 'lesion-local', "
                                         r"'full', got 'everything'$"):
        spec_from_dict(data)
    data["resolution"]["mode"] = "lesion-local"
    data["modality"][1]["reconstruction"] = {"method": "sart"}
    with pytest.raises(ValueError, match=r"^trial spec: modality\[1\].reconstruction.method must "
                                         r"be fbp or sbp in resolution.mode \"lesion-local\""):
        spec_from_dict(data)


def test_sites_give_every_twin_every_kind():
    from victwin.trial import sample_cohort

    spec = spec_from_dict(_no_sites(sites={"mass": 4, "calcification": 4, "absent": 12}))
    assert spec.cohort.sites == {"mass": 4, "calcification": 4, "absent": 12}
    assert {a["lesion"] for _, a in sample_cohort(spec, range(10))} == {"calcification+mass"}
    assert spec_from_dict(spec.to_toml_dict()) == spec


def test_lesion_voxel_mm_rules():
    data = _no_sites(sites={"mass": 1, "calcification": 1, "absent": 1})
    data["resolution"].update(voxel_mm=0.1, mode="lesion-local")
    plain = spec_from_dict(data)
    assert plain.resolution.lesion_voxel_mm is None
    # left out of the canonical form: specs without the key keep their hash
    assert "lesion_voxel_mm" not in plain.to_dict()["resolution"]
    data["resolution"]["lesion_voxel_mm"] = 0.05
    spec = spec_from_dict(data)
    assert spec.resolution.lesion_voxel_mm == 0.05 and spec.hash != plain.hash
    assert spec_from_dict(spec.to_toml_dict()) == spec
    data["resolution"]["lesion_voxel_mm"] = 0.025          # 4 per voxel: also whole
    assert spec_from_dict(data).resolution.lesion_voxel_mm == 0.025
    bad = [(0.03, r"resolution.lesion_voxel_mm must be a whole divisor of resolution.voxel_mm "
                  r"\(0.1\), got 0.03$"),
           (0.2, r"resolution.lesion_voxel_mm must be a whole divisor of resolution.voxel_mm "
                 r"\(0.1\), got 0.2$"),
           (0.0, r"resolution.lesion_voxel_mm must be > 0, got 0.0$"),
           (-0.05, r"resolution.lesion_voxel_mm must be > 0, got -0.05$"),
           ("0.05", r"resolution.lesion_voxel_mm must be a number, got '0.05'$")]
    for value, message in bad:
        data["resolution"]["lesion_voxel_mm"] = value
        with pytest.raises(ValueError, match="^trial spec: " + message) as info:
            spec_from_dict(data)
        assert "\n" not in str(info.value)
    data["resolution"].update(lesion_voxel_mm=0.05, mode="full")
    with pytest.raises(ValueError, match=r"^trial spec: resolution.lesion_voxel_mm must be used "
                                         r"only with resolution.mode = \"lesion-local\""):
        spec_from_dict(data)
    data = _no_sites(lesions={"mass": 1.0})
    data["resolution"].update(voxel_mm=0.1, mode="lesion-local", lesion_voxel_mm=0.05)
    with pytest.raises(ValueError, match=r"^trial spec: resolution.lesion_voxel_mm must be used "
                                         r"only with cohort.sites"):
        spec_from_dict(data)
