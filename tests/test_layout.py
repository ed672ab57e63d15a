"""The package's layout (issue 24): subpackages that name the architecture, layers that import one way, no
import cycle at module level, a small model file and a public API at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
LAYERS = {"scenario": 0, "empirical": 0, "model": 1, "analysis": 2, "plots": 3, "dashboard": 4, "cli": 5}


def _module(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, top_level_only: bool) -> set[str]:
    """Modules of ``sim`` imported at run time (imports under ``if TYPE_CHECKING:`` left out); with
    ``top_level_only`` those executed when the module is imported (not inside functions)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if top_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module == "sim" or child.module.startswith("sim."):
                    found.add(child.module)
                    found.update(f"{child.module}.{a.name}" for a in child.names)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name == "sim" or a.name.startswith("sim."))
            visit(child)

    visit(tree)
    return found


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    files = {_module(p): p for p in SIM.rglob("*.py")}
    graph = {}
    for mod, path in files.items():
        deps = _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only)
        graph[mod] = {d for d in deps if d in files and d != mod}
    return graph


def _layer(mod: str) -> int | None:
    parts = mod.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_layers_import_one_way():
    """A module imports only its own layer and the layers below it (the model none of analysis, plots, dashboard,
    CLI; analysis draws nothing), function-local imports included."""
    wrong = []
    for mod, deps in _graph(top_level_only=False).items():
        mine = _layer(mod)
        if mine is None:
            continue
        wrong += [f"{mod} -> {d}" for d in deps if (_layer(d) or 0) > mine]
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every back edge of a depth-first search, as the cycle it closes ("a -> b -> a")."""
    state: dict[str, int] = {}
    cycles: list[str] = []

    def dfs(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*stack[stack.index(dep):], dep]))
            elif dep not in state:
                dfs(dep, [*stack, dep])
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            dfs(mod, [mod])
    return cycles


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a -> b -> c -> a"]
    assert _cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_at_module_level():
    """No module imports, when it is imported, a module that imports it back (a submodule importing its own
    package counts: the package imports the submodule)."""
    cycles = _cycles(_graph(top_level_only=True))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_package_top_holds_few_modules_and_subpackages_say_what_they_export():
    modules = sorted(p.name for p in SIM.glob("*.py"))
    assert len(modules) <= 4, modules
    for sub in LAYERS:
        init = SIM / sub / "__init__.py"
        assert init.is_file(), sub
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
                   for n in tree.body), f"sim/{sub}/__init__.py has no __all__"


def test_model_file_is_small():
    assert len((SIM / "model" / "ecosystem.py").read_text(encoding="utf-8").splitlines()) < 300


@pytest.mark.parametrize("sub", sorted(LAYERS))
def test_every_name_in_all_is_importable(sub):
    import importlib

    mod = importlib.import_module(f"sim.{sub}")
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing, f"sim.{sub}.__all__ names what it does not have: {missing}"


def test_public_api():
    import sim

    for name in ("load_scenario", "run_replications", "EcosystemModel", "load_results", "REGIONS"):
        assert name in sim.__all__ and getattr(sim, name) is not None
    from sim.model import EcosystemModel
    from sim.scenario import load_scenario, with_horizon

    assert sim.EcosystemModel is EcosystemModel and sim.load_scenario is load_scenario
    sc = with_horizon(load_scenario(SIM.parent / "scenarios" / "baseline.toml"), 2)
    assert sim.EcosystemModel(sc, seed=1).run().timeseries().shape[0] == 2
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sim.nope  # noqa: B018
