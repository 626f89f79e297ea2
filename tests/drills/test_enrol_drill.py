"""Drills: the join account is refused, then the DC is down, while a new instance enrols itself.

A private lab ("drill-enrol": Samba DC, one Debian 13 instance, moto on the lab network and the
metadata service emulator) gets the AWS side from molecule/enrol's inventory (the Secrets
Manager store this time). The instance already has the enroller's packages, as a prepared
image would.

1. The secret holds a wrong password: the service stops after one attempt (a retry is one more
   failed logon for an account lockout policy) and says the DC refused the account.
2. The right secret, the DC paused (it is also the lab's DNS): the service logs why and
   retries with backoff; the state file keeps what the last run ended with; the instance stays
   intact (not joined, no half-written SSSD or sudoers file).
3. The DC is back: a later attempt of the same run converges.

Lab drills take minutes; they run in `make drills`, not in `make test`.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "molecule" / "enrol"
sys.path.insert(0, str(REPO / "molecule" / "_shared"))

from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent  # noqa: E402


def _scenario_helpers():
    """molecule/enrol's instance helpers (its conftest), under a name of their own."""
    spec = importlib.util.spec_from_file_location(
        "enrol_scenario", SCENARIO / "tests" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _scenario_helpers()
CLOUD_INIT, SERVICE, TEMPLATE = _helpers.CLOUD_INIT, _helpers.SERVICE, _helpers.TEMPLATE
in_instance, journal, state = _helpers.in_instance, _helpers.journal, _helpers.state

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


def test_refused_account_stops_dc_down_retries_intact_then_converges(lab):
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
            # moto's dummy keys, as molecule/enrol's environment has them.
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106
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
    secrets = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy key
        region_name="us-east-1",
    ).client("secretsmanager", endpoint_url=lab["aws_endpoint_url"])
    password = json.loads(Path(lab["secrets_file"]).read_text())["admin_password"]

    # 1. The join account is refused: one attempt, no retry (a lockout policy counts each one).
    secrets.put_secret_value(SecretId=enrol["secret_name"], SecretString=password + "-wrong")
    launched = in_instance(instance, "python3", "-c", CLOUD_INIT, lab["imds_endpoint"])
    assert launched.returncode == 0, launched.stderr
    refused = in_instance(instance, "timeout", "600", "systemctl", "start", SERVICE)
    text = journal(instance)
    (LOGS / "journal-refused.txt").write_text(text)
    assert refused.returncode != 0
    assert "attempt 1:" not in text, text[-3000:]
    failed = state(instance)
    assert failed["result"] == "failed" and failed["attempts"] == 1, failed
    assert failed["reason"].startswith("the DC refused the join account (")
    assert in_instance(instance, "realm", "list").stdout.strip() == ""

    # 2. The right secret, but the DC is down: retried with backoff, the instance left intact.
    secrets.put_secret_value(SecretId=enrol["secret_name"], SecretString=password)
    since = in_instance(instance, "date", "+@%s").stdout.strip()
    assert subprocess.run(["podman", "pause", dc], check=False).returncode == 0
    restarted = in_instance(instance, "systemctl", "restart", "--no-block", SERVICE)
    assert restarted.returncode == 0, restarted.stderr

    def this_run():
        return in_instance(
            instance, "journalctl", "-u", SERVICE, "--since", since, "--no-pager", "-o", "cat"
        ).stdout

    # Attempt 1 fails, waits 10 s; attempt 2 fails, waits 20 s.
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and "attempt 2:" not in this_run():
        time.sleep(3)
    during = this_run()
    (LOGS / "journal-dc-down.txt").write_text(during)
    assert re.search(r"attempt 1: the enrol playbook failed \(rc \d+\).*next in 10s", during), (
        during[-3000:]
    )
    assert "attempt 2:" in during and "next in 20s" in during
    assert "refused the join account" not in during
    # Retried failures are the journal's: the state file still says what the last run ended with.
    assert state(instance) == failed
    # Intact: not joined, SSSD not configured halfway, sudo's files parse, no run-as rules yet.
    assert in_instance(instance, "realm", "list").stdout.strip() == ""
    assert in_instance(instance, "test", "-e", "/etc/sssd/sssd.conf").returncode != 0
    assert in_instance(instance, "visudo", "-c").returncode == 0
    assert in_instance(instance, "test", "-e", "/etc/sudoers.d/ssm-runas").returncode != 0

    # 3. The DC is back: a later attempt of the same run converges.
    assert subprocess.run(["podman", "unpause", dc], check=False).returncode == 0
    done = in_instance(instance, "timeout", "600", "systemctl", "start", SERVICE)
    after = this_run()
    (LOGS / "journal-dc-back.txt").write_text(after)
    assert done.returncode == 0, after[-3000:]
    enrolled = state(instance)
    assert enrolled["result"] == "converged" and enrolled["attempts"] >= 3, enrolled
    assert "reason" not in enrolled
    assert in_instance(instance, "id", "bob@example.test").returncode == 0
    assert in_instance(instance, "test", "-s", "/etc/sudoers.d/ssm-runas").returncode == 0
