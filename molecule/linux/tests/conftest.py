import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
import lab_hosts

DOMAIN = "example.test"


# The scenario's inventory, read once (ansible-inventory takes seconds).
_inventory = functools.cache(lab_hosts.inventory)


def _hostvars() -> dict:
    return _inventory()["_meta"]["hostvars"]


def fully_qualified(container: str) -> bool:
    """Whether the inventory asks this host for fully qualified names (group_vars/sudo_rs.yml
    does not: sudo-rs cannot read '@' in a sudoers name). Read from the inventory, the test's
    input, never from the host."""
    return bool(_hostvars()[container].get("ad_join_fully_qualified_names", True))


def sudo_rs(host) -> bool:
    """Whether the inventory puts this host in group sudo_rs (sudo-rs is its sudo)."""
    return host.backend.name in _inventory().get("sudo_rs", {}).get("hosts", [])


def ad_name(host, user: str) -> str:
    """An AD user's name as this host's NSS gives it, and as a run-as tag must say it."""
    return f"{user}@{DOMAIN}" if fully_qualified(host.backend.name) else user


@pytest.fixture(scope="session", params=[h.backend.name for h in lab_hosts.hosts()])
def host(request):
    return testinfra.get_host(f"podman://{request.param}")


@pytest.fixture(scope="session")
def first_host():
    return lab_hosts.hosts()[0].backend.name


@pytest.fixture(scope="session")
def lab():
    return lab_hosts.lab_facts()


@pytest.fixture(scope="session")
def secrets(lab):
    return json.loads(Path(lab["secrets_file"]).read_text())


def container_run(container, argv, stdin=None):
    """Run argv in the container; secrets go on stdin, never into any argv."""
    return subprocess.run(
        ["podman", "exec", "-i", container, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def ansible_playbook(*args, extra_vars=None):
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    argv = ["ansible-playbook", "-i", str(scenario / "inventory"), *args]
    if extra_vars is not None:
        argv += ["-e", json.dumps(extra_vars)]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
