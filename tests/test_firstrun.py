"""The first-run notice: one line when numba compiles a victwin function, none otherwise."""

import io

import numba

import victwin._firstrun as firstrun


def _fresh_function(module: str):
    namespace = {}
    exec("def add_one(x):\n    return x + 1\n", namespace)
    f = namespace["add_one"]
    f.__module__ = module
    return numba.njit(f)  # not cached: compiles on the first call in this process


def test_a_compile_of_victwin_code_is_announced_once(capsys, monkeypatch):
    firstrun.announce_compiles()
    monkeypatch.setitem(firstrun._state, "said", False)
    _fresh_function("victwin.fake0")(1)  # stderr is not a terminal here: nothing printed
    assert firstrun.MESSAGE not in capsys.readouterr().err
    out = io.StringIO()
    monkeypatch.setitem(firstrun._state, "stream", out)
    _fresh_function("somebody.else")(1)
    assert out.getvalue() == ""
    f, g = _fresh_function("victwin.fake"), _fresh_function("victwin.fake2")
    assert f(1) == 2 and g(1.0) == 2.0
    assert out.getvalue().count("compiling kernels (first run only") == 1


def test_kernels_cached_is_false_without_a_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    uncached = _fresh_function("victwin.fake3")  # cache=False: no index, so "not cached"
    assert firstrun.kernels_cached(uncached) is False


def test_dir_of_victwin_lists_acquire():
    import victwin

    assert "acquire" in dir(victwin)
    from victwin.acquisition import acquire

    assert victwin.acquire is acquire
