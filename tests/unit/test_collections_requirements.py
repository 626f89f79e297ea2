"""The collections the project depends on, declared where each reader looks, at the versions CI
tests: galaxy.yml's dependencies are exactly what the shipped code uses, with floors at the
versions the venv's `ansible` wheel bundles; collections/requirements.yml pins the same set at
those floors; requirements/collections.yml pins what only the repository uses (lab, molecule,
tests, the AWX loader)."""

import json
import re
import sysconfig
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUNDLED = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
GALAXY = REPO / "galaxy.yml"
RUNTIME = REPO / "collections/requirements.yml"
DEV = REPO / "requirements/collections.yml"
# What the tarball carries that can name a collection (galaxy.yml build_ignore drops the rest).
SHIPPED = ["roles", "playbooks", "plugins", "meta", "examples"]
# Everything else in the repository that may use a collection.
REPOSITORY = [
    *SHIPPED,
    "inventories",
    "molecule",
    "awx",
    "tests",
    "lab",
    "tools",
    "ansible.cfg",
    "execution-environment.yml",
]
SUFFIXES = {".yml", ".yaml", ".py", ".ps1", ".psm1", ".j2", ".cfg", ".json", ".cs", ".sh"}
# Not collections to install: the core's own namespace and this collection.
NOT_INSTALLED = {"ansible.builtin", "ansible.legacy", "federated.ssm_runas"}
# Collections that exist for one purpose only, and the only paths allowed to use them.
CONFINED = {
    "awx.awx": ("awx/", "docs/", "tests/unit/test_awx_"),
    "containers.podman": ("inventories/lab/", "molecule/", "lab/", "tests/", "tools/"),
}
# A name in documentation markup, C(ns.name.module) or M(...), mentions; it does not use.
FQCN = re.compile(r"(?<![\w.])(?<![CMPLO]\()([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*")
IMPORT = re.compile(r"ansible_collections\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)")
# Python's `from ansible.utils.vars import ...` is ansible-core's package, not a collection.
CORE_IMPORT = re.compile(r"^\s*(from|import)\s+ansible\.[\w.]+.*$", re.MULTILINE)


def pins(path):
    data = yaml.safe_load(path.read_text())
    return {entry["name"]: str(entry["version"]) for entry in data["collections"]}


def floors():
    """{collection: floor} from galaxy.yml, every dependency a plain `>=X.Y.Z`."""
    found = {}
    for name, spec in yaml.safe_load(GALAXY.read_text())["dependencies"].items():
        match = re.fullmatch(r">=(\d+\.\d+\.\d+)", str(spec))
        assert match, f"galaxy.yml: {name} {spec!r} is not a '>=X.Y.Z' floor"
        found[name] = match.group(1)
    return found


def bundled_version(name):
    manifest = BUNDLED.joinpath(*name.split("."), "MANIFEST.json")
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["collection_info"]["version"]


def files(entries):
    me = Path(__file__).resolve()
    for entry in entries:
        path = REPO / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in candidates:
            if (
                file.is_file()
                and file.suffix in SUFFIXES
                and file.resolve() != me
                and not {"__pycache__", "output", ".pytest_cache"} & set(file.parts)
            ):
                yield file


def referenced(entries):
    """{collection: {files}} for every installed-or-pinned collection named by FQCN or import."""
    known = {p.parent.name + "." + p.name for p in BUNDLED.glob("*/*") if p.is_dir()}
    known |= set(pins(RUNTIME)) | set(pins(DEV))
    found = {}
    for file in files(entries):
        text = file.read_text(errors="replace")
        if file.suffix == ".py":
            text = CORE_IMPORT.sub("", text)
        for ns, name in FQCN.findall(text) + IMPORT.findall(text):
            collection = f"{ns}.{name}"
            if collection in known and collection not in NOT_INSTALLED:
                found.setdefault(collection, set()).add(str(file.relative_to(REPO)))
    return found


def test_galaxy_dependencies_are_what_the_shipped_code_uses():
    used, declared = referenced(SHIPPED), floors()
    missing = sorted(set(used) - set(declared))
    assert not missing, {name: sorted(used[name])[:3] for name in missing}
    unused = sorted(set(declared) - set(used))
    assert not unused, f"galaxy.yml depends on what no shipped file uses: {unused}"


def test_floors_are_the_bundled_versions_ci_tests():
    for name, floor in floors().items():
        bundled = bundled_version(name)
        assert bundled == floor, f"{name}: floor {floor}, CI has {bundled}"


def test_runtime_requirements_pin_the_galaxy_floors():
    assert pins(RUNTIME) == floors(), f"{RUNTIME.name} and galaxy.yml disagree"


def test_every_other_collection_the_repository_uses_is_pinned_for_development():
    used = referenced(REPOSITORY)
    runtime, dev = pins(RUNTIME), pins(DEV)
    assert not set(runtime) & set(dev), "a collection is listed as runtime and development"
    missing = sorted(set(used) - set(runtime) - set(dev))
    assert not missing, {name: sorted(used[name])[:3] for name in missing}
    unused = sorted(set(dev) - set(used))
    assert not unused, f"pinned but never referenced, remove from {DEV.name}: {unused}"
    for name, version in dev.items():
        bundled = bundled_version(name)
        if name == "awx.awx":
            assert bundled is None, "awx.awx is bundled now: pin the bundled version"
            continue
        assert version == bundled, f"{name}: pinned {version}, bundled {bundled}"


def test_single_purpose_collections_stay_confined():
    used = referenced(REPOSITORY)
    for name, allowed in CONFINED.items():
        stray = sorted(f for f in used.get(name, ()) if not f.startswith(allowed))
        assert not stray, f"{name} is for {allowed} only but is used in {stray}"


def test_the_scanner_sees_known_references():
    used = referenced(SHIPPED)
    assert "roles/aws_federation/tasks/main.yml" in used["amazon.aws"]
    assert "plugins/modules/session_preferences.py" in used["amazon.aws"]
    assert "ansible.builtin" not in used and "federated.ssm_runas" not in used
    doc_only = "C(community.general.ini_file) and M(community.general.ini_file)"
    assert not FQCN.findall(doc_only)
    assert FQCN.findall("group/community.aws.aws:") == [("community", "aws")]
