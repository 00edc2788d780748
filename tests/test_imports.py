"""The package structure itself: no import cycles, no private names across packages, short modules.

Read from the source with ``ast`` (nothing is imported), so these checks see every module,
including the ones a test run never imports.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import victwin

ROOT = Path(victwin.__file__).resolve().parent

#: Longest module (lines) STYLE.md's "a few hundred lines" allows.
MAX_LINES = 600

#: Cycles through imports inside functions that are still there, with why. Each entry is the
#: set of modules on the cycle. Import-time (module-level) cycles are never allowed.
KNOWN_LAZY_CYCLES = {
    # Acquisition.save / load delegate to _io, which builds Acquisition records.
    frozenset({"victwin.acquisition._io", "victwin.acquisition._records"}),
}

#: Modules longer than MAX_LINES that another branch is splitting now.
KNOWN_LONG: set[str] = set()


def _modules(root: Path = ROOT) -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = ["victwin", *path.relative_to(root).with_suffix("").parts]
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


MODULES = _modules()


def _package(module: str) -> str:
    return module if MODULES[module][1] else module.rsplit(".", 1)[0]


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module
    base = _package(module).split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str):
    """``(target, lineno, at_import_time, names)`` for every victwin import of ``module``."""
    tree = ast.parse(MODULES[module][0].read_text(encoding="utf-8"))
    out = []

    def visit(node, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            now = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                 ast.Lambda, ast.ClassDef))
            if isinstance(child, ast.ClassDef):  # a class body runs at import time
                now = top
            if isinstance(child, ast.Import):
                for a in child.names:
                    out.append((a.name, child.lineno, now, a.asname or a.name.split(".")[0]))
            elif isinstance(child, ast.ImportFrom):
                base = _absolute(module, child)
                for a in child.names:
                    out.append((f"{base}.{a.name}", child.lineno, now, a.asname or a.name))
            visit(child, now)

    visit(tree, True)
    return [x for x in out if x[0] == "victwin" or x[0].startswith("victwin.")], tree


def _target_module(dotted: str) -> str:
    """The module a dotted import name loads (``victwin.a.b.name`` -> ``victwin.a.b``)."""
    while dotted not in MODULES:
        dotted = dotted.rsplit(".", 1)[0]
    return dotted


def _graph(*, lazy: bool) -> dict[str, set[str]]:
    graph = {m: set() for m in MODULES}
    for m in MODULES:
        for dotted, _, now, _ in _imports(m)[0]:
            if not (now or lazy):
                continue
            target = _target_module(dotted)
            graph[m].add(target)
            # Importing victwin.a.b runs victwin.a's __init__ first, unless m is inside a.
            parts = target.split(".")
            for k in range(2, len(parts)):
                parent = ".".join(parts[:k])
                if not (m == parent or m.startswith(parent + ".")):
                    graph[m].add(parent)
    return graph


def _cycles(graph) -> list[frozenset]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in graph:
        if v not in index:
            connect(v)
    return out


def _private_owner(dotted: str) -> str | None:
    """The package that owns the first private part of ``dotted`` (None when all public).

    ``victwin.physics._scatter.X`` and ``victwin.physics.MAMMOGRAPHY._x`` belong to
    ``victwin.physics``; top-level helpers such as ``victwin._json`` belong to all of victwin.
    """
    parts = dotted.split(".")
    for k, part in enumerate(parts):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            prefix = ".".join(parts[:k])
            while prefix not in MODULES:
                prefix = prefix.rsplit(".", 1)[0]
            return _package(prefix)
    return None


def private_imports_across_packages() -> list[str]:
    """Every use of another package's private module or name, as ``module:line name``."""
    bad = []
    for m in MODULES:
        mine = _package(m)
        imports, tree = _imports(m)
        bound = {}
        refs = []
        for dotted, line, _, name in imports:
            refs.append((dotted, line))
            bound[name] = dotted if name != dotted.split(".")[0] else "victwin"
        for node in ast.walk(tree):  # module.attribute on an imported victwin module
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound):
                refs.append((f"{bound[node.value.id]}.{node.attr}", node.lineno))
        for dotted, line in refs:
            owner = _private_owner(dotted)
            if owner is None or owner == "victwin":
                continue
            if mine == owner or mine.startswith(owner + "."):
                continue
            bad.append(f"{m}:{line} {dotted}")
    return sorted(set(bad))


def test_no_import_cycle_at_import_time():
    cycles = _cycles(_graph(lazy=False))
    assert not cycles, f"modules that import each other: {[sorted(c) for c in cycles]}"


def test_no_new_import_cycle_through_function_level_imports():
    cycles = set(_cycles(_graph(lazy=True)))
    new = [sorted(c) for c in cycles if c not in KNOWN_LAZY_CYCLES]
    assert not new, f"modules that import each other (inside functions): {new}"
    gone = [sorted(c) for c in KNOWN_LAZY_CYCLES if c not in cycles]
    assert not gone, f"cycle(s) gone: remove them from KNOWN_LAZY_CYCLES: {gone}"


def test_packages_use_only_each_others_public_names():
    bad = private_imports_across_packages()
    assert not bad, "private names used across packages:\n" + "\n".join(bad)


def test_every_module_is_short():
    long = {str(p.relative_to(ROOT.parent)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    new = {k: v for k, v in long.items() if k not in KNOWN_LONG}
    assert not new, f"modules over {MAX_LINES} lines: {new}"
    gone = sorted(KNOWN_LONG - set(long))
    assert not gone, f"no longer long (or moved): remove from KNOWN_LONG: {gone}"


#: ``except ImportError`` handlers that do not raise, with why: an optional dependency with a
#: documented stand-in (issue 17: no swallowed imports).
KNOWN_IMPORT_FALLBACKS = {
    # xraylib absent: the bundled cache of every value victwin asks for (victwin/data/physics)
    "victwin.physics._xraylib",
}

#: Modules that may import ``inspect``, with why (issue 17: no signature probing).
KNOWN_INSPECT = {
    # get_params / set_params read __init__'s parameters, as scikit-learn's estimators do
    "victwin.readers._observers",
}


def swallowed_imports() -> list[str]:
    """Every ``except ImportError`` / ``ModuleNotFoundError`` handler whose body does not
    raise, as ``module:line``."""
    bad = []
    for m, (path, _) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler) or node.type is None:
                continue
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
            if names & {"ImportError", "ModuleNotFoundError"} and not any(
                    isinstance(n, ast.Raise) for b in node.body for n in ast.walk(b)):
                bad.append(f"{m}:{node.lineno}")
    return bad


def inspect_users() -> list[str]:
    """Every module that imports ``inspect``."""
    out = []
    for m, (path, _) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Import) and any(a.name == "inspect" for a in node.names)) \
                    or (isinstance(node, ast.ImportFrom) and node.module == "inspect"):
                out.append(m)
    return sorted(set(out))


def test_no_swallowed_imports():
    bad = [b for b in swallowed_imports() if b.split(":")[0] not in KNOWN_IMPORT_FALLBACKS]
    assert not bad, f"ImportError caught and not raised again (a swallowed import): {bad}"
    gone = KNOWN_IMPORT_FALLBACKS - {b.split(":")[0] for b in swallowed_imports()}
    assert not gone, f"no longer a fallback: remove from KNOWN_IMPORT_FALLBACKS: {gone}"


def test_no_signature_probing():
    users = set(inspect_users())
    assert users <= KNOWN_INSPECT, f"modules importing inspect: {sorted(users - KNOWN_INSPECT)}"
    assert users == KNOWN_INSPECT, f"remove from KNOWN_INSPECT: {sorted(KNOWN_INSPECT - users)}"


# The checks above must be able to fail: run them on small sources that break each rule.

@pytest.fixture
def fake_tree(tmp_path, monkeypatch):
    def build(files: dict[str, str]):
        for rel, text in files.items():
            p = tmp_path / "victwin" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        here = sys.modules[__name__]
        monkeypatch.setattr(here, "ROOT", tmp_path / "victwin")
        monkeypatch.setattr(here, "MODULES", _modules(tmp_path / "victwin"))
    return build


def test_checks_catch_a_cycle_and_private_imports(fake_tree):
    fake_tree({
        "__init__.py": "",
        "_json.py": "",
        "a/__init__.py": "from ._x import f\n",
        "a/_x.py": "from victwin.b import g\n_SECRET = 1\nf = 1\n",
        "b/__init__.py": "from ._y import g\n",
        "b/_y.py": ("import victwin._json\nfrom victwin.a import f\ng = 1\n"
                    "def h():\n    from victwin.a._x import _SECRET\n"
                    "    from victwin import a\n    return a._x\n"),
    })
    assert [sorted(c) for c in _cycles(_graph(lazy=False))] == [
        ["victwin.a", "victwin.a._x", "victwin.b", "victwin.b._y"]]
    assert private_imports_across_packages() == [
        "victwin.b._y:5 victwin.a._x._SECRET", "victwin.b._y:7 victwin.a._x"]


def test_checks_catch_swallowed_imports_and_inspect(fake_tree):
    fake_tree({
        "__init__.py": "",
        "a.py": ("try:\n    import x\nexcept ImportError:\n    pass\n"
                 "try:\n    import y\nexcept (ModuleNotFoundError, OSError):\n    y = None\n"
                 "try:\n    import z\nexcept ImportError:\n    raise RuntimeError('z')\n"),
        "b.py": "import inspect\n",
        "c.py": "from inspect import signature\n",
    })
    assert swallowed_imports() == ["victwin.a:3", "victwin.a:7"]
    assert inspect_users() == ["victwin.b", "victwin.c"]
