"""execution-environment.yml: `ansible-builder create` accepts it and the build context carries
our pins (ansible-core, runner, Python deps, collections). No image is built here."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).with_name("ansible-builder")


def pins(path):
    """{name: version} of every `name==version` line in a pip requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(3)
    return found


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    if not BUILDER.exists():
        pytest.skip(f"{BUILDER} missing: run `make setup`")
    out = tmp_path_factory.mktemp("ee") / "context"
    result = subprocess.run(
        [str(BUILDER), "create", "-f", "execution-environment.yml", "-c", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_containerfile_installs_the_pinned_core_and_runner(context):
    dev = pins(REPO / "requirements/dev.txt")
    text = (context / "Containerfile").read_text()
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text).group(1).split()
    assert f"ansible-core=={dev['ansible-core']}" in refs
    assert f"ansible-runner=={dev['ansible-runner']}" in refs
    assert 'EE_BASE_IMAGE="quay.io/centos/centos:stream10"' in text
    assert "session-manager-plugin" in text  # the aws_ssm connection needs it


def test_python_requirements_match_what_ci_tests(context):
    dev = pins(REPO / "requirements/dev.txt")
    ee = pins(context / "_build/requirements.txt")
    assert {"boto3", "botocore", "pywinrm", "pypsrp", "ldap3"} <= set(ee), ee
    for name, version in ee.items():
        if name in dev:
            assert version == dev[name], f"{name}: EE {version}, requirements/dev.txt {dev[name]}"


def test_collections_come_from_requirements_yml(context):
    built = yaml.safe_load((context / "_build/requirements.yml").read_text())
    source = yaml.safe_load((REPO / "collections/requirements.yml").read_text())
    assert built["collections"] == source["collections"]
    assert {c["name"] for c in built["collections"]} >= {"amazon.aws", "microsoft.ad"}


def test_kerberos_system_packages_are_declared(context):
    bindep = (context / "_build/bindep.txt").read_text()
    assert "krb5-workstation [platform:rpm]" in bindep
    assert "krb5-devel [platform:rpm compile]" in bindep
