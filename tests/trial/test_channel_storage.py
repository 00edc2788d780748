"""``[storage] rois = "channels"``: the readers' channel outputs stored instead of the pixels.

The independent computation is the ROI path itself: the same tiny trial run twice, once
keeping ROIs and VOIs (the shared ``tiny_reference``), once keeping channel outputs; the
channelized readers must give the same scores (up to the rounding of ``U^T g`` taken in the
worker instead of the analysis), hence the same AUCs and MRMC answer.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent


def _tiny_dict(**storage) -> dict:
    data = tomllib.loads((HERE / "tiny.toml").read_text())
    for m in data["modality"]:
        m["system"] = str(HERE / m["system"])
    data["storage"] = {**data.get("storage", {}), **storage}
    return data


@pytest.fixture(scope="module")
def channels_run(tmp_path_factory):
    from victwin.trial import run_trial, spec_from_dict

    spec = spec_from_dict(_tiny_dict(rois="channels"))
    out = tmp_path_factory.mktemp("tiny-channels") / "run"
    run_trial(spec, out, workers=1, backend="cpu", progress=False, report=False)
    return out, spec


def test_stored_entries_are_the_channel_outputs_of_the_reference_rois(tiny_reference,
                                                                       channels_run):
    from victwin.trial import TrialStore
    from victwin.trial._features import channel_outputs

    ref_dir, _ = tiny_reference
    ch_dir, spec = channels_run
    with TrialStore(ref_dir) as ref, TrialStore(ch_dir) as ch:
        records = {r.case_id: r for r in ref.case_records()}
        assert sorted(records) == sorted(r.case_id for r in ch.case_records())
        n_voi = 0
        for cid, rec in records.items():
            a, b = ref.read_arrays(cid), ch.read_arrays(cid)
            rois = [k for k in a if not k.startswith(("previews/", "images/"))]
            assert rois and sorted(rois) == sorted(k for k in b if k in rois)
            for k in rois:
                m, name = k.split("/", 1)
                pitch = rec.result.modalities[m].rois[name].pitch_mm
                want = channel_outputs(spec, a[k], pitch)
                n_ch = spec.readers.channels["count"]
                # [c] per ROI, [nz, c] per VOI: nothing else kept
                assert b[k].shape == ((n_ch,) if a[k].ndim == 2 else (a[k].shape[0], n_ch))
                np.testing.assert_array_equal(b[k], want)
                n_voi += a[k].ndim == 3
        assert n_voi > 0          # the DBT VOIs were covered, not only DM ROIs


def test_channel_outputs_equal_the_roi_readers_products():
    # the stored entry of a ROI is U^T g with U the channels the analysis builds for it
    from victwin import readers
    from victwin.trial import spec_from_dict
    from victwin.trial._features import channel_outputs

    spec = spec_from_dict(_tiny_dict(rois="channels"))
    rng = np.random.default_rng(3)
    voi = rng.standard_normal((4, 21, 21)).astype(np.float32)
    U = readers.laguerre_gauss((21, 21), n_channels=3, width_mm=3.0, spacing_mm=0.4)
    want = np.einsum("zyx,cyx->zc", voi.astype(np.float64), U)
    np.testing.assert_allclose(channel_outputs(spec, voi, 0.4), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(channel_outputs(spec, voi[2], 0.4), want[2], rtol=1e-12,
                               atol=1e-12)


def test_readers_and_answer_equal_the_roi_run(tiny_reference, channels_run):
    from victwin.trial import TrialStore, analyse, spec_from_dict

    ref_dir, _ = tiny_reference
    ch_dir, spec = channels_run
    ref_spec = spec_from_dict(_tiny_dict())
    with TrialStore(ref_dir) as ref, TrialStore(ch_dir) as ch:
        a, b = analyse(ref, ref_spec), analyse(ch, spec)
    ta, tb = a.table, b.table
    assert ta.cases == tb.cases and ta.readers == tb.readers and ta.modalities == tb.modalities
    np.testing.assert_array_equal(ta.truth, tb.truth)
    assert np.nanstd(ta.scores) > 0
    np.testing.assert_allclose(np.asarray(tb.scores), np.asarray(ta.scores), rtol=1e-9,
                               atol=1e-9)
    ra, rb = dict(a.results), dict(b.results)
    assert ra.pop("spec_hash") != rb.pop("spec_hash")      # the storage kind is in the spec
    _same(ra, rb, "results")


def _same(x, y, where):
    """Equal JSON trees, numbers to 1e-9 (NaN equal to NaN)."""
    if isinstance(x, dict):
        assert isinstance(y, dict) and sorted(x) == sorted(y), where
        for k in x:
            _same(x[k], y[k], f"{where}.{k}")
    elif isinstance(x, (list, tuple)):
        assert len(x) == len(y), where
        for i, (u, v) in enumerate(zip(x, y)):
            _same(u, v, f"{where}[{i}]")
    elif isinstance(x, float) or isinstance(y, float):
        np.testing.assert_allclose(float(y), float(x), rtol=1e-9, atol=1e-12, err_msg=where)
    else:
        assert x == y, where


def test_a_known_answer_run_reads_the_same_from_channel_outputs(tmp_path):
    # conftest's synthetic run (noise plus a known blob, 32 finished twins, DBT ahead): its
    # MRMC answer is not degenerate, unlike the 6-twin tiny trial's
    from .conftest import build_run

    _, _, a = build_run(tmp_path / "rois")
    _, _, b = build_run(tmp_path / "channels", rois="channels")
    assert 0.0 < a["mrmc"]["mean_auc"]["DM"] < a["mrmc"]["mean_auc"]["DBT"] < 1.0
    a, b = dict(a), dict(b)
    assert a.pop("spec_hash") != b.pop("spec_hash")
    _same(a, b, "results")


@pytest.mark.parametrize("readers, match", [
    ({"observer": "npwe"}, r"readers\.observer must be one of cho, msCHO, vCHO with "
                           r"storage\.rois = \"channels\""),
    ({"observer": "hotelling"}, r"readers\.observer must be one of cho"),
])
def test_observers_that_read_pixels_are_refused_in_one_line(readers, match):
    from victwin.trial import spec_from_dict

    data = _tiny_dict(rois="channels")
    data["readers"] = {**data["readers"], **readers}
    with pytest.raises(ValueError, match=match) as err:
        spec_from_dict(data)
    assert "\n" not in str(err.value)


def test_unknown_storage_kind_is_refused_and_full_keeps_old_hashes():
    from victwin.trial import spec_from_dict

    with pytest.raises(ValueError, match=r"storage\.rois"):
        spec_from_dict(_tiny_dict(rois="pixels"))
    # "full" is the default and left out of the canonical form: a spec that does not name it
    # keeps the hash its runs were recorded under
    plain, full = spec_from_dict(_tiny_dict()), spec_from_dict(_tiny_dict(rois="full"))
    assert plain.hash == full.hash and "rois" not in plain.to_dict()["storage"]
    ch = spec_from_dict(_tiny_dict(rois="channels"))
    assert ch.hash != plain.hash
    assert spec_from_dict(ch.to_toml_dict()) == ch

