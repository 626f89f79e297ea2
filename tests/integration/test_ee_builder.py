"""Execution environments, without building an image.

The project's own (execution-environment.yml): `ansible-builder create` accepts it and the build
context carries our pins (ansible-core, runner, the collection's Python and system packages,
the collections it runs with, nothing else).

A user's, listing only this collection: the build context installs the tarball, and the step
the image build runs next (`ansible-builder introspect` over the installed collections) finds
the collection's Python and system packages through meta/execution-environment.yml."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).with_name("ansible-builder")
GALAXY = Path(sys.executable).with_name("ansible-galaxy")


def requirement_lines(path):
    """Requirement lines of a pip or bindep file, comments and blank lines dropped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def builder(*args, cwd=REPO):
    if not BUILDER.exists():
        pytest.skip(f"{BUILDER} missing: run `make setup`")
    done = subprocess.run(
        [str(BUILDER), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


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
    out = tmp_path_factory.mktemp("ee") / "context"
    builder("create", "-f", "execution-environment.yml", "-c", out)
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


def test_every_python_package_of_the_collection_is_pinned_within_its_floor(context):
    ee = {}
    for line in requirement_lines(context / "_build/requirements.txt"):
        req = Requirement(line)
        ee[req.name.lower()] = req
    for line in requirement_lines(REPO / "requirements.txt"):
        need = Requirement(line)
        pinned = ee.get(need.name.lower())
        assert pinned is not None, f"{need.name} (requirements.txt) is not in the EE"
        [version] = [s.version for s in pinned.specifier if s.operator == "=="]
        assert need.specifier.contains(version), f"{need.name}: EE {version}, needs {need}"
        assert pinned.extras == need.extras, f"{need.name}: extras differ"


def test_collections_are_only_those_jobs_use(context):
    built = yaml.safe_load((context / "_build/requirements.yml").read_text())
    source = yaml.safe_load((REPO / "collections/requirements.yml").read_text())
    assert built["collections"] == source["collections"]
    names = {c["name"] for c in built["collections"]}
    assert names >= {"amazon.aws", "microsoft.ad"}
    assert not names & {"awx.awx", "containers.podman", "community.general"}, names


def test_system_packages_are_the_collections_bindep(context):
    bindep = (context / "_build/bindep.txt").read_text()
    assert requirement_lines(context / "_build/bindep.txt") == requirement_lines(
        REPO / "bindep.txt"
    )
    assert "krb5-workstation [platform:rpm]" in bindep
    assert "krb5-devel [platform:rpm compile]" in bindep


def test_session_manager_plugin_is_pinned(context):
    text = (context / "Containerfile").read_text()
    assert re.search(r"ARG SESSION_MANAGER_PLUGIN_VERSION=\d+(\.\d+){3}\b", text), "not pinned"


def test_a_users_ee_listing_only_this_collection_gets_its_dependencies(
    tmp_path, collection_tarball
):
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(
        yaml.safe_dump(
            {
                "version": 3,
                "images": {"base_image": {"name": "quay.io/centos/centos:stream10"}},
                "dependencies": {
                    "ansible_core": {"package_pip": "ansible-core==2.21.5"},
                    "ansible_runner": {"package_pip": "ansible-runner==2.4.3"},
                    "galaxy": {
                        "collections": [
                            {"name": f"collections/{collection_tarball.name}", "type": "file"}
                        ]
                    },
                },
                "additional_build_files": [{"src": str(collection_tarball), "dest": "collections"}],
            }
        )
    )
    context = tmp_path / "context"
    builder("create", "-f", definition, "-c", context, cwd=tmp_path)
    build = context / "_build"
    assert (build / "collections" / collection_tarball.name).is_file()
    # The user asked for no Python or system package: whatever the image gets comes from the
    # collection.
    assert not (build / "requirements.txt").exists() and not (build / "bindep.txt").exists()
    containerfile = (context / "Containerfile").read_text()
    assert "introspect" in containerfile
    # The galaxy stage: the collection installed where the builder stage introspects it.
    staged = tmp_path / "usr/share/ansible/collections"
    # As the image's galaxy stage runs it: none of this checkout's Ansible settings (its
    # ansible.cfg would find the collection already installed and install nothing).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    done = subprocess.run(
        [str(GALAXY), "collection", "install", "--offline", "-rrequirements.yml", f"-p{staged}"],
        cwd=build,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The builder stage: the same introspection the Containerfile runs.
    found = yaml.safe_load(builder("introspect", staged).split("---", 1)[1])
    ours = " from collection federated.ssm_runas"
    python = {line.split("#")[0].strip() for line in found["python"] if ours in line}
    system = {line.split("#")[0].strip() for line in found["system"] if ours in line}
    assert python == set(requirement_lines(REPO / "requirements.txt")), found["python"]
    assert system == set(requirement_lines(REPO / "bindep.txt")), found["system"]
    assert {"ldap3>=2.9.1", "boto3>=1.44.5"} <= python
    assert "krb5-workstation [platform:rpm]" in system
