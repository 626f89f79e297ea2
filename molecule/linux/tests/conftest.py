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
