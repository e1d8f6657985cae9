"""The Python tooling (scripts/imagecat_tools) keeps its shape: imports go one way (no cycle
among its modules, lazy and TYPE_CHECKING imports included), it is a package and not a folder of
scripts (no `#!`, no execute bit; only the commands' modules run a `main()` under `python3 -m`,
and each of them starts), and the storm's step numbers agree between its modules, its package
docstring and the README."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

from conftest import REPO_ROOT, tool_env

PACKAGE = REPO_ROOT / "scripts" / "imagecat_tools"
MAIN_GUARD = 'if __name__ == "__main__":\n    sys.exit(main())\n'


def module_name(path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, object]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(name: str, path, known: set[str]) -> set[str]:
    """The package's modules `name` imports, anywhere in the file (a lazy import inside a function
    is still a dependency); `from . import x` counts as x when x is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_sees_a_lazy_cycle_and_passes_a_chain():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_imports_among_the_tooling_modules_go_one_way():
    found = modules()
    graph = {name: imports_of(name, path, set(found)) for name, path in found.items()}
    assert graph["imagecat_tools.gallery"] >= {"imagecat_tools.local_api", "imagecat_tools.local_uploads"}
    assert "imagecat_tools.storm.synthesis" in graph["imagecat_tools.storm.planning"]  # the scan sees imports
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_modules_are_not_scripts_and_only_commands_run_main():
    """`python3 -m imagecat_tools.NAME` is how a command runs (scripts/NAME, docs); a module is
    never run as a file, so none carries a #! line or an execute bit, and the `__main__` guard
    sits only in the commands' modules, calling their main()."""
    commands = set()  # what the command scripts, the docs and the modules' own usage lines run
    documents = [*(REPO_ROOT / "scripts").iterdir(), *PACKAGE.rglob("*.py"), REPO_ROOT / "README.md",
                 *(REPO_ROOT / "docs").glob("*.md")]
    for path in documents:
        if path.is_file():
            commands |= set(re.findall(r"-m imagecat_tools\.([a-z_]+)", path.read_text(errors="replace")))
    guarded = set()
    for name, path in modules().items():
        text = path.read_text()
        assert not text.startswith("#!"), f"{path.name} has a #! line"
        assert not os.access(path, os.X_OK), f"{path.name} is executable"
        if "__main__" in text and path.name != "__main__.py":
            assert text.endswith(MAIN_GUARD) and "\ndef main(" in text, f"{path.name}: the guard only calls main()"
            guarded.add(name.split(".", 1)[1])
    assert guarded == commands - {"storm"}, (guarded, commands)  # storm is a package: storm/__main__.py
    # The two thin scripts import their module's main() (their modules are not run with -m).
    for script, module in (("s3_server.py", "s3_server"), ("local_runtime_api.py", "local_runtime_api")):
        assert f"from imagecat_tools.{module} import main" in (REPO_ROOT / "scripts" / script).read_text()


def test_every_command_module_starts():
    """Each `-m` entry and thin script answers --help (started together)."""
    found = modules()
    entries = sorted(n.split(".", 1)[1] for n, p in found.items()
                     if p.read_text().endswith(MAIN_GUARD) or p.name == "__main__.py")
    argvs = [[sys.executable, "-m", f"imagecat_tools.{e.removesuffix('.__main__')}", "--help"] for e in entries]
    argvs += [[sys.executable, str(REPO_ROOT / "scripts" / s), "--help"]
              for s in ("s3_server.py", "local_runtime_api.py")]
    processes = [(argv, subprocess.Popen(argv, cwd=REPO_ROOT, env=tool_env(), stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)) for argv in argvs]
    for argv, process in processes:
        out, err = process.communicate(timeout=120)  # quiet: 0.65 s
        assert process.returncode == 0 and "usage:" in out, (argv, err[-2000:])


STEP = re.compile(r'^"""Step (\d) of the storm: ')


def test_storm_step_numbers_agree_everywhere():
    storm = PACKAGE / "storm"
    numbered = {}
    for path in storm.glob("*.py"):
        match = STEP.match(path.read_text())
        if match:
            numbered[int(match.group(1))] = path.stem
    assert sorted(numbered) == [1, 2, 3, 4, 5], numbered
    package_doc = (storm / "__init__.py").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    readme_steps = re.search(r"`storm/` split by step \(([^)]*)\)", readme)
    assert readme_steps, "README names the storm's steps"
    for number, module in numbered.items():
        assert re.search(rf"^{number}\. {module}: ", package_doc, re.M), (number, module)
        assert f"{number} `{module}`" in " ".join(readme_steps.group(1).split()), (number, module)
