import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
import lab_hosts


@pytest.fixture(scope="session", params=[h.backend.name for h in lab_hosts.hosts()])
def host(request):
    return testinfra.get_host(f"podman://{request.param}")


@pytest.fixture(scope="session")
def lab():
    return lab_hosts.lab_facts()
