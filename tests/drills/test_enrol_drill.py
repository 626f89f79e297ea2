"""Drill: the DC is down while a new instance enrols itself at launch.

A private lab ("drill-enrol": Samba DC, one Debian 13 instance, moto on the lab network and the
metadata service emulator) gets the AWS side from molecule/enrol's inventory (the Secrets
Manager store this time). The instance already has the enroller's packages (as a prepared
image would); the DC, paused before the launch script runs, is also the lab's DNS, so the
enrol playbook fails at its first step that needs the network beyond moto.
Expected: the service logs why and retries with backoff, the state file says failed with the
reason, the instance stays intact (not joined, no half-written SSSD or sudoers file); once the
DC is back, a later attempt of the same run converges.

Lab drills take minutes; they run in `make drills`, not in `make test`.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "molecule" / "enrol"
sys.path.insert(0, str(SCENARIO / "tests"))
sys.path.insert(0, str(REPO / "molecule" / "_shared"))

from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent  # noqa: E402
from conftest import CLOUD_INIT, SERVICE, TEMPLATE, in_instance, journal, state  # noqa: E402

LAB = "drill-enrol"
PORT = "5661"
LOGS = REPO / ".cache" / "drills" / LAB  # kept: read and secret-scanned by make test
PACKAGES = " ".join(enrol_agent.PACKAGES["apt-get"])

pytestmark = pytest.mark.lab


def lab_tool(*argv):
    return subprocess.run(
        [sys.executable, str(REPO / "lab" / "lab.py"), *argv],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, CONTAINERS_CONF=str(REPO / "lab" / "containers.conf")),
    )


@pytest.fixture(scope="module")
def lab():
    if not shutil.which("podman"):
        pytest.skip("podman missing: run `make setup`")
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    lab_tool("down", "--name", LAB)
    up = lab_tool(
        "up",
        "--name",
        LAB,
        "--instance",
        "debian13",
        "--moto-port",
        PORT,
        "--moto-on-network",
        "--imds",
    )
    assert up.returncode == 0, up.stderr
    facts = json.loads((REPO / ".lab" / LAB / "lab.json").read_text())
    try:
        yield facts
    finally:
        subprocess.run(
            ["podman", "unpause", facts["dc_container"]], capture_output=True, check=False
        )
        lab_tool("down", "--name", LAB)


def test_dc_down_during_enrolment_retries_leaves_the_instance_intact_then_converges(lab):
    instance, dc = lab["instances"][0], lab["dc_container"]
    enrol = {
        "bucket": "drill.enrol-bundles",
        "secret_store": "secretsmanager",
        "secret_name": "drill/enrol/join",
        "instance_role": "DrillEnrol",
        "launch_template": TEMPLATE,
        "retry_seconds": 900,
    }
    aws = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            str(SCENARIO / "inventory"),
            str(REPO / "playbooks" / "aws.yml"),
            "-e",
            json.dumps({"molecule_lab_name": LAB, "molecule_enrol": enrol}),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=dict(
            os.environ,
            MOLECULE_PROJECT_DIRECTORY=str(REPO),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ),
    )
    (LOGS / "aws.log").write_text(aws.stdout + aws.stderr)
    assert aws.returncode == 0, aws.stdout[-3000:]
    Path(lab["imds_launch_template_file"]).write_text(TEMPLATE + "\n")
    prepared = in_instance(
        instance, "sh", "-c", f"apt-get update -qq && apt-get install -y -qq {PACKAGES} >/dev/null"
    )
    assert prepared.returncode == 0, prepared.stderr

    assert subprocess.run(["podman", "pause", dc], check=False).returncode == 0
    launched = in_instance(instance, "python3", "-c", CLOUD_INIT, lab["imds_endpoint"])
    assert launched.returncode == 0, launched.stderr
    # Attempt 1 fails, waits 10 s; attempt 2 fails, waits 20 s.
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and "attempt 2:" not in journal(instance):
        time.sleep(3)
    during = journal(instance)
    (LOGS / "journal-dc-down.txt").write_text(during)
    assert re.search(r"attempt 1: the enrol playbook failed \(rc \d+\).*next in 10s", during), (
        during[-3000:]
    )
    assert "attempt 2:" in during and "next in 20s" in during
    failed = state(instance)
    assert failed["result"] == "failed" and "enrol playbook failed" in failed["reason"]
    assert failed["enrolled_at"] is None
    # Intact: not joined, SSSD not configured halfway, sudo's files parse, no run-as rules yet.
    assert in_instance(instance, "realm", "list").stdout.strip() == ""
    assert in_instance(instance, "test", "-e", "/etc/sssd/sssd.conf").returncode != 0
    assert in_instance(instance, "visudo", "-c").returncode == 0
    assert in_instance(instance, "test", "-e", "/etc/sudoers.d/ssm-runas").returncode != 0

    assert subprocess.run(["podman", "unpause", dc], check=False).returncode == 0
    done = in_instance(instance, "timeout", "600", "systemctl", "start", SERVICE)
    after = journal(instance)
    (LOGS / "journal-dc-back.txt").write_text(after)
    assert done.returncode == 0, after[-3000:]
    enrolled = state(instance)
    assert enrolled["result"] == "converged" and enrolled["attempts"] >= 3, enrolled
    assert "reason" not in enrolled
    assert in_instance(instance, "id", "bob@example.test").returncode == 0
    assert in_instance(instance, "test", "-s", "/etc/sudoers.d/ssm-runas").returncode == 0
