"""The layering promised in the developer guide, checked on the source with ``ast``.

* no import cycle among the modules of the four packages;
* no module imports a private name (``_x``) of a sibling module (private helpers
  stay private; shared ones are made public on purpose);
* in ``comparison`` imports point down the chain cli → pipeline →
  {report, sweep, paper_data, agreement} → {theory, estimate, runset} →
  {simulators, errors, _io}; nothing imports ``cli`` or ``pipeline``;
  ``estimate`` and ``runset`` never import matplotlib;
* every module is under 400 lines; every function of ``comparison`` under 80.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("perceptron_theory", "local_rules", "modular_rfm", "linear_grokking", "comparison")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


MODULES = _modules()


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(mod: str, path: Path) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(mod, is_pkg, node)
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((sub, None) if sub in MODULES else (target, a.name))
    return out


def _graph(top_level_only: bool = False) -> dict[str, set[str]]:
    g: dict[str, set[str]] = {}
    for mod, path in MODULES.items():
        deps = set()
        for target, _ in _imports(mod, path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != mod and not mod.startswith(target + "."):
                deps.add(target)
        g[mod] = deps
    return g


def test_no_import_cycles():
    g = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


# Being split/made public on their own branches (issue 9); this list must only shrink.
_PENDING: set[str] = set()  # nothing pending: every module is small and private helpers stay private


def test_no_private_names_imported_across_modules():
    bad = []
    for mod, path in MODULES.items():
        for target, name in _imports(mod, path):
            if name and name.startswith("_") and not name.startswith("__") and target in MODULES and target != mod:
                bad.append(f"{mod} imports {target}.{name}")
    bad = [b for b in bad if b not in _PENDING]
    assert not bad, bad


LAYERS = [  # a module may import only modules in its own layer or in later ones
    ("comparison.cli",),
    ("comparison.pipeline",),
    ("comparison.report",),
    ("comparison.sweep", "comparison.paper_data", "comparison.paper_table1", "comparison.testing"),
    ("comparison.agreement",),
    ("comparison.registry", "comparison.estimate", "comparison.runset"),
    ("comparison.simulators", "comparison.simulator_spec", "comparison.simulator_costs", "comparison.errors",
     "comparison._io", "comparison._json", "comparison.seeds",
     "comparison.safe_text"),
]


def _layer(mod: str) -> int | None:
    for i, names in enumerate(LAYERS):
        if any(mod == n or mod.startswith(n + ".") for n in names):
            return i
    return None


def test_comparison_imports_point_down_the_chain():
    g = _graph()
    bad = []
    for mod, deps in g.items():
        lm = _layer(mod)
        if lm is None:
            continue
        for d in deps:
            ld = _layer(d)
            if ld is not None and ld < lm:
                bad.append(f"{mod} (layer {lm}) imports {d} (layer {ld})")
    assert not bad, bad
    users = [m for m, deps in g.items() if any(d.startswith(("comparison.cli", "comparison.pipeline")) for d in deps)
             and not m.startswith(("comparison.cli", "comparison.pipeline", "comparison.__main__"))
             and m != "comparison"]
    assert not users, f"nothing may import cli or pipeline: {users}"


def test_estimators_and_runsets_do_not_plot():
    """All matplotlib lives in comparison.report: estimators, run sets, registries, verdicts and
    the command line never import it (the CLI writes bytes that report drew)."""
    for mod, path in MODULES.items():
        if mod.startswith(("comparison.estimate", "comparison.runset", "comparison.registry", "comparison.agreement",
                           "comparison.cli")):
            names = [t for t, _ in _imports(mod, path)]
            assert not any(n.startswith(("matplotlib", "seaborn")) for n in names), mod


def test_packages_respect_the_fixed_dependencies():
    allowed = {"perceptron_theory": set(), "modular_rfm": set(), "linear_grokking": set(), "local_rules": {"perceptron_theory"}}
    g = _graph()
    for mod, deps in g.items():
        pkg = mod.split(".")[0]
        if pkg in allowed:
            other = {d.split(".")[0] for d in deps} - {pkg}
            assert other <= allowed[pkg], f"{mod} imports {other - allowed[pkg]}"


def test_module_and_function_sizes():
    long_modules = [(m, n) for m, p in MODULES.items()
                    if (n := len(p.read_text().splitlines())) > 400 and m not in _PENDING]
    assert not long_modules, long_modules
    long_functions = []
    for mod, path in MODULES.items():
        if not mod.startswith("comparison"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    long_functions.append((mod, node.name, n))
    assert not long_functions, long_functions


def test_architecture_check_catches_a_cycle(tmp_path, monkeypatch):
    """The cycle detector itself fails on a planted cycle (so the test above is not vacuous)."""
    fake = {"comparison.a": tmp_path / "a.py", "comparison.b": tmp_path / "b.py"}
    fake["comparison.a"].write_text("from .b import x\n")
    fake["comparison.b"].write_text("from .a import y\n")
    monkeypatch.setattr(__import__(__name__), "MODULES", fake, raising=False)
    globals_backup = dict(MODULES)
    MODULES.clear()
    MODULES.update(fake)
    try:
        with pytest.raises(pytest.fail.Exception, match="import cycle"):
            test_no_import_cycles()
    finally:
        MODULES.clear()
        MODULES.update(globals_backup)
