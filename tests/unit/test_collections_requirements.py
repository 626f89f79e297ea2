"""collections/requirements.yml pins exactly the collections the project references by FQCN,
at the version bundled in the venv's `ansible` wheel (the one CI tests)."""

import json
import re
import sysconfig
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUNDLED = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
REQUIREMENTS = REPO / "collections/requirements.yml"
SCANNED = [
    "roles",
    "playbooks",
    "plugins",
    "inventories",
    "molecule",
    "awx",
    "tests",
    "lab",
    "meta",
    "ansible.cfg",
    "execution-environment.yml",
]
SUFFIXES = {".yml", ".yaml", ".py", ".ps1", ".psm1", ".j2", ".cfg", ".json", ".cs", ".sh"}
# Not collections to install: the core's own namespace and this collection.
NOT_INSTALLED = {"ansible.builtin", "ansible.legacy", "federated.ssm_runas"}
# Collections that exist for one purpose only, and the only paths allowed to use them.
CONFINED = {
    "awx.awx": ("awx/", "docs/", "tests/unit/test_awx_"),
    "containers.podman": ("inventories/lab/", "molecule/", "lab/", "tests/"),
}
# A name in documentation markup, C(ns.name.module) or M(...), mentions; it does not use.
FQCN = re.compile(r"(?<![\w.])(?<![CMPLO]\()([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*")
IMPORT = re.compile(r"ansible_collections\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)")


def pinned():
    data = yaml.safe_load(REQUIREMENTS.read_text())
    return {entry["name"]: entry["version"] for entry in data["collections"]}


def bundled_version(name):
    manifest = BUNDLED.joinpath(*name.split("."), "MANIFEST.json")
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["collection_info"]["version"]


def files():
    me = Path(__file__).resolve()
    for entry in SCANNED:
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


def referenced():
    """{collection: [files]} for every installed-or-pinned collection named by FQCN or import."""
    known = {p.parent.name + "." + p.name for p in BUNDLED.glob("*/*") if p.is_dir()}
    known |= set(pinned())
    found = {}
    for file in files():
        text = file.read_text(errors="replace")
        for ns, name in FQCN.findall(text) + IMPORT.findall(text):
            collection = f"{ns}.{name}"
            if collection in known and collection not in NOT_INSTALLED:
                found.setdefault(collection, set()).add(str(file.relative_to(REPO)))
    return found


def test_every_referenced_collection_is_pinned_and_nothing_else():
    used, pins = referenced(), pinned()
    missing = sorted(set(used) - set(pins))
    assert not missing, {name: sorted(used[name])[:3] for name in missing}
    unused = sorted(set(pins) - set(used))
    assert not unused, f"pinned but never referenced, remove from {REQUIREMENTS.name}: {unused}"


def test_pins_are_the_bundled_versions():
    for name, version in pinned().items():
        bundled = bundled_version(name)
        if name == "awx.awx":
            assert bundled is None, "awx.awx is bundled now: pin the bundled version"
            continue
        assert bundled is not None, f"{name} is pinned but not in the venv's ansible wheel"
        assert str(version) == bundled, f"{name}: pinned {version}, bundled {bundled}"


def test_single_purpose_collections_stay_confined():
    used = referenced()
    for name, allowed in CONFINED.items():
        stray = sorted(f for f in used.get(name, ()) if not f.startswith(allowed))
        assert not stray, f"{name} is for {allowed} only but is used in {stray}"


def test_the_scanner_sees_known_references():
    used = referenced()
    assert "roles/aws_federation/tasks/main.yml" in used["amazon.aws"]
    assert "plugins/modules/session_preferences.py" in used["amazon.aws"]
    assert "ansible.builtin" not in used and "federated.ssm_runas" not in used
    doc_only = "C(community.general.ini_file) and M(community.general.ini_file)"
    assert not FQCN.findall(doc_only)
    assert FQCN.findall("group/community.aws.aws:") == [("community", "aws")]
