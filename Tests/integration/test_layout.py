"""The README tells the same story as the code: its module table lists exactly the modules in
Package.swift and Sources/, its configuration table every environment variable the sources name,
and its `_HANDLER` table exactly the registry's handlers. Also the guard that keeps Foundation out
of every module linked into `bootstrap` (the 2 ms cold start and 6 MB zip depend on it)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PACKAGE = (ROOT / "Package.swift").read_text()

# Targets that are tools or C shims, not modules of the function.
NOT_MODULES = {"CCurl", "CCrypto", "ImageSnifferFuzz", "EventDecoderFuzz", "s3-record", "sigv4-sign", "TestSupport"}


def readme_table(heading: str) -> list[list[str]]:
    """Rows (cells without backticks) of the first table after `heading`."""
    section = README.split(heading, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header row


def swift_sources(target: str) -> list[Path]:
    return sorted((ROOT / "Sources" / target).rglob("*.swift"))


def test_module_table_matches_package_and_sources():
    targets = re.findall(r'\.(?:target|executableTarget)\(name: "([^"]+)"', PACKAGE)
    modules = [t for t in targets if t not in NOT_MODULES]
    documented = [re.sub(r"`", "", row[0]) for row in readme_table("### Modules")]
    assert documented == modules, "README's module table and Package.swift disagree (names or order)"
    on_disk = {p.name for p in (ROOT / "Sources").iterdir() if p.is_dir()}
    assert set(modules) <= on_disk
    assert on_disk - set(modules) <= NOT_MODULES, f"undocumented Sources folders: {on_disk - set(modules) - NOT_MODULES}"


def test_every_environment_variable_read_is_documented():
    names = set()
    for path in (ROOT / "Sources").rglob("*.swift"):
        text = path.read_text()
        names |= set(re.findall(r'"(_?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', text))
        names |= set(re.findall(r'"(_HANDLER)"', text))
    documented = set()
    for row in readme_table("### Configuration"):
        documented |= set(re.findall(r"`([A-Z_][A-Z0-9_]*)`", row[0]))
    assert names, "the scan found no variables: the pattern is broken"
    assert names - documented == set(), f"read under Sources/ but missing from README's configuration table: {sorted(names - documented)}"
    assert documented - names == set(), f"documented but read nowhere: {sorted(documented - names)}"


def test_handler_table_matches_the_registry():
    registry = (ROOT / "Sources/Handlers/HandlerRegistry.swift").read_text()
    known = re.search(r"knownNames = \[([^\]]*)\]", registry).group(1)
    names = set(re.findall(r'"([a-z]+)"', known))
    rows = readme_table("`_HANDLER` picks what it does:")
    documented = {re.search(r"`([a-z]+)`", row[0]).group(1) for row in rows}
    assert documented == names
    default = re.search(r'defaultName = "([a-z]+)"', registry).group(1)
    assert any(f"`{default}` (default)" in row[0] for row in rows)


def binary_targets() -> set[str]:
    """`bootstrap` and every target it depends on, transitively, from Package.swift."""
    deps = {}
    for name, body in re.findall(r'\.(?:target|executableTarget)\(name: "([^"]+)"(.*?)\)\s*,\s*$', PACKAGE, re.M | re.S):
        listed = re.search(r"dependencies: \[([^\]]*)\]", body)
        deps[name] = re.findall(r'"([^"]+)"', listed.group(1)) if listed else []
    seen, todo = set(), ["bootstrap"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += deps.get(name, [])
    return seen


def test_no_foundation_import_in_the_binary():
    targets = binary_targets()
    assert {"bootstrap", "Handlers", "CatalogSync", "S3", "LambdaRuntime", "Basics"} <= targets
    offenders = []
    for target in targets:
        for path in swift_sources(target):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.match(r"\s*(@\w+\s+)*import\s+(Foundation|FoundationEssentials|FoundationNetworking)\b", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == [], f"Foundation imported into bootstrap's modules: {offenders}"


# Paths that reach out of the checkout: a sibling folder, or the repository root's parent.
OUTSIDE = re.compile(r"\.\./shared|\.parent\s*/\s*[\"']shared[\"']|REPO_ROOT\.parent|ROOT\.parent\b")
SCANNED = ("scripts", "Tests", "Sources", "docs", ".ci", "README.md", "BENCHMARKS.md", "Package.swift",
           "template.yaml")


def test_nothing_reads_or_names_a_folder_outside_the_repository():
    """A user who clones the repository has only the repository: the peers, fixtures and tools
    all live inside it, and no code or doc builds a path beside the checkout."""
    offenders = []
    for name in SCANNED:
        top = ROOT / name
        for path in ([top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())):
            relative = path.relative_to(ROOT).as_posix()
            if "__pycache__" in relative:
                continue
            try:
                text = path.read_text()
            except UnicodeDecodeError:
                continue  # an image fixture
            offenders += [f"{relative}:{n}" for n, line in enumerate(text.splitlines(), 1)
                          if OUTSIDE.search(line) and "OUTSIDE = re.compile" not in line]
    assert offenders == [], f"paths outside the repository: {offenders}"


def test_every_target_declares_exactly_the_modules_it_imports():
    """Package.swift tells the truth: a target's dependencies are the project modules its Swift
    files import, no more (a dependency kept for nothing) and no fewer (a module reached only
    through another's dependencies)."""
    declared = {m.group(1): set(re.findall(r'"([^"]+)"', m.group(2) or ""))
                for m in re.finditer(r'\.(?:target|testTarget|executableTarget)\(name: "([^"]+)"'
                                     r'(?:, dependencies: \[([^\]]*)\])?', PACKAGE)}
    wrong = {}
    for target, dependencies in declared.items():
        folder = ROOT / "Sources" / target
        if not folder.is_dir():
            folder = ROOT / "Tests" / target
        imported = set()
        for path in folder.rglob("*.swift"):
            imported |= set(re.findall(r"^\s*(?:@testable\s+)?import\s+(\w+)", path.read_text(), re.M))
        imported &= set(declared)                       # project modules only, not XCTest or Glibc
        if imported != dependencies:
            wrong[target] = {"imported, not declared": sorted(imported - dependencies),
                             "declared, not imported": sorted(dependencies - imported)}
    assert not wrong, wrong
