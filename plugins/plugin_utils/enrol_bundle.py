"""The enrolment bundle: what an instance needs to run the Linux side on itself.

A gzip'd tar, byte-for-byte the same for the same inputs (sorted names, fixed times, owners and
modes), so its SHA-256 names it and an unchanged environment uploads nothing:

- ``collections/ansible_collections/federated/ssm_runas/``: this collection's meta, plugins,
  roles and playbooks, as installed on the controller;
- ``python/``: the controller's own ansible-core package (pure Python), so the instance runs the
  ansible-core this collection requires whatever its distribution ships; its dependencies
  come from the instance's own repositories (module_utils/enrol_agent.PACKAGES);
- ``enrol/inventory.yml`` and ``enrol/ansible.cfg``: this host as the only member of
  ``ssm_instances``, with the environment's data model and Linux role variables, literal
  (templated on the controller), secrets left out; the join password is read in memory at run
  time (the inherited_secret lookup).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import yaml

COLLECTION_DIRS = ("meta", "plugins", "playbooks", "roles")
COLLECTION_FILES = ("galaxy.yml", "MANIFEST.json", "FILES.json", "LICENSE")
ARC_COLLECTION = "collections/ansible_collections/federated/ssm_runas"
MODEL_VAR = "ssm_runas"
# Never shipped, whatever the role: the bundle is readable by whoever may read the bucket.
_SECRET_NAME = re.compile(r"(password|secret|token|_key$)", re.IGNORECASE)
INSTANCE_PYTHON = "/usr/bin/python3"
_SKIP = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.git)(/|$)|\.py[co]$")


class BundleError(ValueError):
    pass


@dataclass(frozen=True)
class LinuxSide:
    """What the caller says of the Linux side: its roles (whose argument specs name the
    variables a bundle may carry), the variable of the join password (filled in memory on the
    instance, never shipped) and the variable of the join method."""

    roles: tuple
    secret_var: str
    join_method_var: str


def linux_var_names(collection_root: Path, side: LinuxSide) -> list[str]:
    """The public variables of the Linux side's roles, from their argument specs."""
    names = set()
    for role in side.roles:
        spec_file = collection_root / "roles" / role / "meta" / "argument_specs.yml"
        specs = yaml.safe_load(spec_file.read_text())["argument_specs"]
        for entry in specs.values():
            names.update((entry or {}).get("options") or {})
    return sorted(names)


def shippable(name: str, side: LinuxSide) -> bool:
    return name != side.secret_var and not _SECRET_NAME.search(name)


def pick_vars(
    available: dict, names: list[str], side: LinuxSide, extra: dict | None = None
) -> dict:
    """The model and the Linux role variables the caller has, plus extra; secrets refused."""
    chosen = {n: available[n] for n in [MODEL_VAR, *names] if n in available and shippable(n, side)}
    for name, value in (extra or {}).items():
        if not shippable(name, side):
            raise BundleError(
                f"{name}: a secret never goes into the bundle (whoever reads the bucket could "
                "read it); the join password reaches the instance from the secret store"
            )
        chosen[name] = value
    return chosen


def check_join_method(linux_vars: dict, side: LinuxSide) -> None:
    """An instance brings only the join password from the secret store: no keytab file, and a
    one-time password would be a secret in the bundle."""
    method = linux_vars.get(side.join_method_var, "password")
    if method != "password":
        raise BundleError(
            f"{side.join_method_var} is {method!r}: an instance that enrols itself joins with "
            f"the password from the secret store only; ship {side.join_method_var}: password"
        )


def inventory(linux_vars: dict, side: LinuxSide, python: str = INSTANCE_PYTHON) -> dict:
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": python,
        # The enroller runs as root; a connection variable beats the playbooks' become keyword,
        # so no sudo is needed (or used) on the instance.
        "ansible_become": False,
    }
    group_vars = dict(sorted(linux_vars.items()))
    group_vars[side.secret_var] = "{{ lookup('federated.ssm_runas.inherited_secret') }}"
    return {
        "all": {"children": {"ssm_instances": {"hosts": {"localhost": host}, "vars": group_vars}}}
    }


ANSIBLE_CFG = """\
# The bundle's own configuration; the enroller points ANSIBLE_CONFIG here.
[defaults]
interpreter_python = {python}
retry_files_enabled = False
gathering = explicit
host_key_checking = False
"""


def collection_members(root: Path) -> list[tuple[str, Path]]:
    members = []
    for name in COLLECTION_FILES:
        if (root / name).is_file():
            members.append((f"{ARC_COLLECTION}/{name}", root / name))
    for top in COLLECTION_DIRS:
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not _SKIP.search(rel):
                members.append((f"{ARC_COLLECTION}/{rel}", path))
    return members


def ansible_core_members() -> list[tuple[str, Path]]:
    """The controller's installed ansible-core: its package and its metadata, no caches."""
    dist = importlib.metadata.distribution("ansible-core")
    members = []
    for entry in dist.files or []:
        rel = entry.as_posix()
        top = rel.split("/", 1)[0]
        if (top == "ansible" or top.endswith(".dist-info")) and not _SKIP.search(rel):
            path = Path(entry.locate())
            if path.is_file():
                members.append((f"python/{rel}", path))
    if not any(arc == "python/ansible/cli/playbook.py" for arc, _path in members):
        raise BundleError("the controller's ansible-core lacks ansible/cli/playbook.py")
    return members


def _add(tar: tarfile.TarFile, arcname: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def build(
    collection_root: Path, linux_vars: dict, side: LinuxSide, python: str = INSTANCE_PYTHON
) -> bytes:
    """The bundle's bytes; the same inputs always give the same bytes."""
    files: dict[str, bytes] = {}
    for arcname, path in collection_members(collection_root) + ansible_core_members():
        files[arcname] = path.read_bytes()
    files["enrol/inventory.yml"] = (
        "# Built by federated.ssm_runas.enrol_bundle; this instance only.\n"
        + json.dumps(inventory(linux_vars, side, python), indent=2, sort_keys=True)
        + "\n"
    ).encode()
    files["enrol/ansible.cfg"] = ANSIBLE_CFG.format(python=python).encode()
    raw = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for arcname in sorted(files):
            _add(tar, arcname, files[arcname])
    return raw.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
