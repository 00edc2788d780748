"""The readers of a breast trial (one CHO per lesion kind, no size classes) train only on
draws of twins that span their channels' covariance, as the chest size-class readers do.

Checked against: the rank of each fitted reader's pooled channel covariance, computed here
from its training ROIs and channels (numpy's ``cov`` and ``matrix_rank``), and the channel
count; a run too small for any full-rank draw is refused in one line by the command line.
"""

import numpy as np
import pytest

from .conftest import N_FAILED, build_run


@pytest.fixture
def fits(monkeypatch):
    """Every CHO fit of the analysis: (training ROIs, truth, channels)."""
    from victwin.readers import ChannelizedHotelling

    out = []
    fit = ChannelizedHotelling.fit

    def spy(self, X, y):
        out.append((np.array(X), np.array(y), np.array(self.channels)))
        return fit(self, X, y)

    monkeypatch.setattr(ChannelizedHotelling, "fit", spy)
    return out


def _rank(X, y, U):
    """Rank of the pooled channel covariance ``(K_0 + K_1) / 2`` of the training ROIs."""
    V = X.reshape(len(X), -1) @ U.reshape(len(U), -1).T
    K = 0.5 * sum(np.cov(V[y == c], rowvar=False) for c in (0, 1))
    return np.linalg.matrix_rank(K)


def test_breast_cho_readers_train_on_full_rank_draws(tmp_path, fits):
    """12 finished twins of one mass pair each, 6 of them training, 5 channels: a bootstrap
    of 6 twins holds d distinct twins (2d ROIs, pooled covariance rank <= 2d - 2), and
    d <= 3 in about 25 % of draws, so some draws are refused; every reader of both
    modalities then fits a covariance of rank 5."""
    n = 12 + N_FAILED
    store, _, res = build_run(tmp_path / "run", n_cases=n,
                              readers={"n_readers": 6, "channels": {
                                  "kind": "laguerre-gauss", "count": 5, "width_mm": 2.0}})
    store.close()
    assert res["n_train_cases"] == 6
    assert len(fits) == 2 * 6                    # 6 readers of each modality
    assert all(len(f[2]) == 5 for f in fits)
    assert [_rank(*f) for f in fits] == [5] * len(fits)
    # every reader's training ROIs: at least 7 distinct ones (5 + 2), counted here
    assert min(len(np.unique(f[0].reshape(len(f[0]), -1), axis=0)) for f in fits) >= 7
    refused = res["rejected_draws"]["mass"]
    assert set(refused) == {"DM", "DBT"} and sum(refused.values()) > 0


def test_a_run_too_small_for_its_channels_is_refused_in_one_line(tmp_path, capsys):
    """6 finished twins, 3 of them training: 6 training ROIs span at most 4 directions, so
    no draw can give 5 channels a full-rank covariance; ``victwin report`` says so in one
    line (exit 2) instead of training on pseudo-inverses."""
    from victwin.cli import main

    run = tmp_path / "run"
    store, _, _ = build_run(run, n_cases=6 + N_FAILED, analyse=False,
                            readers={"channels": {"kind": "laguerre-gauss", "count": 5,
                                                  "width_mm": 2.0}})
    store.close()
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith("victwin: error: the DM readers of the mass ROIs cannot be trained "
                          "(3 training twins, 6 ROIs, a 5-feature covariance)")
    assert "7 distinct ones in all" in err and err.endswith("or use fewer channels")
    assert not (run / "analysis" / "results.json").exists()
