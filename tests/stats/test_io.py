"""iMRMC list format: reading the Van Dyke file, round trips, and one-line errors naming the line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from victwin.stats import ScoreTable, mrmc, read_imrmc, write_imrmc

DATA = Path(__file__).parent / "data"


def test_reads_van_dyke_counts_and_labels():
    t = read_imrmc(DATA / "vandyke.imrmc")
    assert (t.n_normal, t.n_abnormal) == (69, 45)          # README: 69 normal, 45 abnormal
    assert t.modalities == ("1", "2")
    assert t.readers == ("1", "2", "3", "4", "5")
    assert t.fully_crossed
    assert np.nanmin(t.scores) == 1 and np.nanmax(t.scores) == 5  # ratings 1-5


def test_reads_scores_record_by_record():
    """Each rating equals the line of the file it came from (parsed independently with csv)."""
    t = read_imrmc(DATA / "vandyke.imrmc")
    lines = (DATA / "vandyke.imrmc").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("BEGIN DATA:")) + 1
    n = 0
    for rdr, case, mod, val in csv.reader(lines[start:]):
        if rdr == "-1":
            assert t.truth[t.cases.index(case)] == int(val)
            continue
        assert t.scores[t.modalities.index(mod), t.readers.index(rdr), t.cases.index(case)] == float(val)
        n += 1
    assert n == 1140  # README: 1140 ratings


def test_write_read_round_trip_keeps_everything(tmp_path):
    t = read_imrmc(DATA / "vandyke.imrmc")
    p = tmp_path / "out.imrmc"
    write_imrmc(p, t, description="round trip\nsecond line")
    u = read_imrmc(p)
    assert u.cases == t.cases and u.readers == t.readers and u.modalities == t.modalities
    np.testing.assert_array_equal(u.truth, t.truth)
    np.testing.assert_array_equal(u.scores, t.scores)
    assert not (tmp_path / "out.imrmc.part").exists()


def test_round_trip_of_a_split_plot_table_with_real_scores(tmp_path):
    rng = np.random.default_rng(0)
    K = 12
    truth = np.array([0, 1] * 6)   # both classes in each half
    s = rng.normal(size=(2, 4, K))
    s[:, :2, 6:] = np.nan          # readers A, B read cases 0-5
    s[:, 2:, :6] = np.nan          # readers C, D read cases 6-11
    t = ScoreTable(tuple(f"c{k:02d}" for k in range(K)), truth, ("DM", "DBT"), tuple("ABCD"), s)
    p = tmp_path / "sp.imrmc"
    write_imrmc(p, t)
    u = read_imrmc(p)
    np.testing.assert_array_equal(u.scores, t.scores)   # repr() floats round-trip exactly
    assert not u.fully_crossed


def test_from_arrays_equals_reading_the_file():
    t = read_imrmc(DATA / "vandyke.imrmc")
    u = ScoreTable.from_arrays(*t.to_records())
    assert mrmc(u).rrrc["statistic"] == pytest.approx(mrmc(t).rrrc["statistic"], rel=1e-14)


def test_ids_are_strings():
    t = ScoreTable.from_arrays(["1", "01", "1", "01"], [0, 1, 0, 1], ["m"] * 4, ["r1", "r1", "r2", "r2"],
                               [1.0, 2.0, 1.0, 3.0])
    assert t.cases == ("1", "01")


HEADER = "free text\nN0:1\nN1:1\nNR:1\nNM:1\nBEGIN DATA:\n"
GOOD = "-1,1,truth,0\n-1,2,truth,1\nr1,1,A,1.5\nr1,2,A,2\n"


@pytest.mark.parametrize("body,line,match", [
    (GOOD + "r1,3,A,2\n", 11, "case '3' has no truth record"),
    ("-1,1,truth,0\nr1,1,A,1.5\nr1,2,A,2\n", 9, "case '2' has no truth record"),
    ("-1,1,truth,0\n-1,2,truth,1\nr1,1,A,abc\nr1,2,A,2\n", 9, "non-numeric score 'abc'"),
    ("-1,1,truth,0\n-1,2,truth,1\nr1,1,A\nr1,2,A,2\n", 9, "4 comma-separated fields"),
    ("-1,1,truth,0\n-1,2,truth,2\nr1,1,A,1\nr1,2,A,2\n", 8, "truth must be 0"),
    ("-1,1,truth,0\n-1,1,truth,1\nr1,1,A,1\n", 8, "second truth record for case '1'"),
    (GOOD + "r1,2,A,3\n", 11, "rated case '2' in modality 'A' twice"),
])
def test_malformed_file_gives_one_line_error_naming_the_line(tmp_path, body, line, match):
    p = tmp_path / "bad.imrmc"
    p.write_text(HEADER + body)
    with pytest.raises(ValueError, match=match) as e:
        read_imrmc(p)
    msg = str(e.value)
    assert f"line {line}:" in msg and "\n" not in msg


def test_header_count_disagreeing_with_data_names_its_line(tmp_path):
    p = tmp_path / "bad.imrmc"
    p.write_text("x\nN0:1\nN1:1\nNR:2\nNM:1\nBEGIN DATA:\n" + GOOD)   # NR:2 but one reader scored
    with pytest.raises(ValueError, match=r"line 4: header says NR:2 but the data have 1 readers with scores"):
        read_imrmc(p)


def test_missing_begin_data(tmp_path):
    p = tmp_path / "bad.imrmc"
    p.write_text("just text\n1,2,3,4\n")
    with pytest.raises(ValueError, match="no 'BEGIN DATA:' line"):
        read_imrmc(p)


def test_new_style_truth_reader_label(tmp_path):
    p = tmp_path / "new.imrmc"
    p.write_text("BEGIN DATA:\ntruth,1,truth,0\ntruth,2,truth,1\nr1,1,A,1\nr1,2,A,2\n")
    t = read_imrmc(p)
    assert t.truth.tolist() == [0, 1]


def test_reader_without_scores_in_a_modality_is_refused_by_the_analysis():
    s = np.array([[[1.0, 2.0], [1.0, 3.0]], [[1.0, 2.0], [np.nan, np.nan]]])
    t = ScoreTable(("1", "2"), np.array([0, 1]), ("A", "B"), ("r1", "r2"), s)
    with pytest.raises(ValueError, match="reader 'r2' in modality 'B' has 0 normal and 0 abnormal"):
        mrmc(t)


@pytest.mark.parametrize("kwargs,match", [
    (dict(truth=np.array([0, 3])), "truth must be 0 or 1"),
    (dict(scores=np.zeros((1, 1, 3))), "scores must have shape"),
    (dict(cases=("a", "a")), "cases must be unique"),
])
def test_table_is_validated_when_built(kwargs, match):
    base = dict(cases=("a", "b"), truth=np.array([0, 1]), modalities=("m",), readers=("r",),
                scores=np.zeros((1, 1, 2)))
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ScoreTable(**base)


def test_from_arrays_refuses_inconsistent_truth_and_duplicates():
    with pytest.raises(ValueError, match="case 'a' has both 0 and 1"):
        ScoreTable.from_arrays(["a", "a"], [0, 1], ["m", "m"], ["r1", "r2"], [1.0, 2.0])
    with pytest.raises(ValueError, match="rated more than once"):
        ScoreTable.from_arrays(["a", "a"], [0, 0], ["m", "m"], ["r1", "r1"], [1.0, 2.0])


def test_write_refuses_reserved_labels(tmp_path):
    t = ScoreTable(("1", "2"), np.array([0, 1]), ("truth",), ("r",), np.zeros((1, 1, 2)))
    with pytest.raises(ValueError, match="reserved"):
        write_imrmc(tmp_path / "x.imrmc", t)
