"""A fresh lab instance enrols itself the way an EC2 instance launched from the template would.

cloud-init's part, done here: read the user data from the metadata service (lab/imds.py, which
serves the launch template's user data from moto) and run it as root. Nothing else reaches the
instance from the controller but podman exec to start that and to read what happened.
"""

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
import lab_hosts

SERVICE = "ssm-runas-enrol.service"
STATE_FILE = "/var/lib/ssm-runas-enrol/enrolled.json"
TEMPLATE = "corp-fleet/web_tier"
REGION = "us-east-1"
LOGS = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ".")) / ".cache" / "test-logs" / "enrol"

# cloud-init's scripts-user step, as far as it matters here (IMDSv2: token, then user data).
CLOUD_INIT = r"""
import os, subprocess, sys, urllib.request
base = sys.argv[1]
token = urllib.request.urlopen(urllib.request.Request(
    base + "latest/api/token", method="PUT",
    headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})).read().decode()
data = urllib.request.urlopen(urllib.request.Request(
    base + "latest/user-data", headers={"X-aws-ec2-metadata-token": token})).read()
os.makedirs("/var/lib/cloud/instance/scripts", exist_ok=True)
path = "/var/lib/cloud/instance/scripts/part-001"
with open(path, "wb") as handle:
    handle.write(data)
os.chmod(path, 0o700)
sys.exit(subprocess.call([path]))
"""

# Every 0.2 s while the enrolment runs: each process's argv and environment.
SAMPLER = r"""
while :; do
  echo SAMPLE
  for p in /proc/[0-9]*; do
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null; echo
    tr '\0' ' ' < "$p/environ" 2>/dev/null; echo
  done
  sleep 0.2
done > /run/enrol-samples.log 2>&1
"""


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


def in_instance(container, *argv, stdin=None):
    return run(["podman", "exec", "-i", container, *argv], input=stdin)


@pytest.fixture(scope="session")
def lab():
    return lab_hosts.lab_facts()


@pytest.fixture(scope="session")
def secrets(lab):
    return json.loads(Path(lab["secrets_file"]).read_text())


@pytest.fixture(scope="session")
def instance(lab):
    return lab["instances"][0]


@pytest.fixture(scope="session")
def aws(lab):
    session = boto3.session.Session(
        # moto's dummy keys, as molecule.yml's environment has them.
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy key
        region_name=REGION,
    )
    return lambda service: session.client(service, endpoint_url=lab["aws_endpoint_url"])


@pytest.fixture(scope="session")
def stored_user_data(aws):
    versions = aws("ec2").describe_launch_template_versions(
        LaunchTemplateName=TEMPLATE, Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    return base64.b64decode(versions[0]["LaunchTemplateData"]["UserData"]).decode()


def state(container):
    res = in_instance(container, "cat", STATE_FILE)
    return json.loads(res.stdout) if res.returncode == 0 else None


def journal(container):
    return in_instance(container, "journalctl", "-u", SERVICE, "--no-pager", "-o", "cat").stdout


def wait_for_service(container, timeout=900):
    """systemctl start waits for the run the launch script queued (or starts one)."""
    res = in_instance(container, "timeout", str(timeout), "systemctl", "start", SERVICE)
    return res.returncode


def keep_log(name, text):
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / name).write_text(text)


@pytest.fixture(scope="session")
def launched(lab, instance):
    """The instance runs its user data once, as at launch; the argv/environ sampler runs along."""
    Path(lab["imds_launch_template_file"]).write_text(TEMPLATE + "\n")
    assert state(instance) is None, "the instance is not fresh: it has an enrolment state"
    sampler = run(["podman", "exec", "-d", instance, "sh", "-c", SAMPLER])
    assert sampler.returncode == 0, sampler.stderr
    started = time.monotonic()
    res = in_instance(instance, "python3", "-c", CLOUD_INIT, lab["imds_endpoint"])
    assert res.returncode == 0, res.stdout + res.stderr
    rc = wait_for_service(instance)
    in_instance(instance, "pkill", "-f", "enrol-samples")
    text = journal(instance)
    keep_log("journal-first-run.txt", text)
    return {"rc": rc, "journal": text, "seconds": time.monotonic() - started}
