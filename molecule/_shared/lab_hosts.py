"""Testinfra hosts for a molecule scenario: the lab's containers, reached with `podman exec`.

testinfra's ansible backend does not know the containers.podman connection, so the scenario's
inventory is read with ansible-inventory and each host is opened with testinfra's podman://.
"""

import json
import os
import subprocess
from pathlib import Path

import testinfra


def inventory() -> dict:
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    out = subprocess.run(
        ["ansible-inventory", "--list", "-i", str(scenario / "inventory")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def hosts(group: str = "ssm_instances") -> list:
    inv = inventory()
    names = inv.get(group, {}).get("hosts", [])
    if not names:
        raise RuntimeError(f"no hosts in group {group!r}: is the scenario's lab up?")
    return [testinfra.get_host(f"podman://{name}") for name in names]


def lab_facts() -> dict:
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    lab = os.environ.get("MOLECULE_LAB_NAME") or f"mol-{scenario.name}"
    return json.loads((project / ".lab" / lab / "lab.json").read_text())
