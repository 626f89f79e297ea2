"""federated.ssm_runas as its users get it: the tarball `ansible-galaxy collection build` makes,
installed with `ansible-galaxy collection install --offline` into an empty collections path and
used from a directory outside the checkout, with no ansible.cfg.

- The tarball holds what users run and read, and no development leftover.
- `ansible-doc` lists and renders every plugin and role from the installed copy; every module
  declares its attributes.
- site.yml and verify.yml run by FQCN (AWS on a loopback moto, ADFS in export mode, AD unreadable
  on a closed port): their outputs land in ssm-runas-output/<inventory> under the working
  directory or in ssm_runas_output_dir, a second site run changes nothing, and nothing is
  written inside the installed collection (Python's bytecode caches of its own plugins aside,
  which the interpreter writes wherever it may). Run from inside it, the play stops before
  writing.
The same with the lab's Samba DC and instances is molecule/default."""

# ruff: noqa: S106 - moto's stand-in keys and fake passwords.

import contextlib
import hashlib
import importlib
import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from as_user import ansible_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
METADATA = REPO / "tests/integration/iam_eval/adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
SUFFIX = uuid.uuid4().hex[:8]  # the moto server is shared by the whole test session
PROVIDER = f"UserADFS-{SUFFIX}"
ROLE = f"User-RunAs-{SUFFIX}"
POLICY = f"UserSSMRunAs-{SUFFIX}"
SHIPPED_TOP = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "CONTRIBUTING.md",
    "LICENSE",
    "requirements.txt",
    "bindep.txt",
    "meta",
    "plugins",
    "roles",
    "playbooks",
    "docs",
    "examples",
    "changelogs",
}
MUST_SHIP = {
    "LICENSE",
    "requirements.txt",
    "bindep.txt",
    "meta/execution-environment.yml",
    "meta/runtime.yml",
    "playbooks/site.yml",
    "playbooks/verify.yml",
    "examples/inventories/dev/group_vars/all/ssm_runas.yml",
    "examples/inventories/prod/group_vars/all/ssm_runas.yml",
    "docs/data-model.md",
    "docs/awx.md",
}
MODEL = {
    "realm": "CORP.EXAMPLE.ORG",
    "tag_key": "CorpRunAs",
    "groups": [{"name": "Ops Team", "sudo": {"runas": "ALL", "commands": ["ALL"]}}],
    "aws": {
        "account_id": ACCOUNT,
        "region": REGION,
        "saml_provider": PROVIDER,
        "federation_roles": [{"name": ROLE}],
        "policy_name": POLICY,
        "session_preferences": {"run_as_enabled": True},
    },
    "adfs": {"mode": "export"},
}


def shipped_files(tarball):
    with tarfile.open(tarball) as tar:
        return {m.name for m in tar.getmembers() if m.isfile()}


def test_tarball_holds_only_what_users_need(collection_tarball):
    files = shipped_files(collection_tarball)
    assert files >= MUST_SHIP, sorted(MUST_SHIP - files)
    tops = {name.split("/", 1)[0] for name in files}
    assert tops <= SHIPPED_TOP, f"not for users: {sorted(tops - SHIPPED_TOP)}"
    leftovers = [
        name
        for name in files
        if Path(name).name in {"ansible.cfg", "galaxy.yml", ".gitignore", ".ansible-lint"}
        or "__pycache__" in name
        or name.endswith((".pyc", ".tar.gz"))
        or name.startswith(("docs/toolchain-notes", "ssm-runas-output/"))
    ]
    assert not leftovers, leftovers
    with tarfile.open(collection_tarball) as tar:
        license_text = tar.extractfile("LICENSE").read().decode()
        texts = {
            name: tar.extractfile(name).read().decode()
            for name in files
            if name.endswith((".py", ".yml", ".j2", ".ps1")) and not name.startswith("changelogs/")
        }
    assert (
        "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 3, 29 June 2007" in license_text
    )
    # Shipped code and examples never point at what stays in the source repository.
    for name, text in texts.items():
        for unshipped in ("inventories/lab", "lab/lab.py", "tools/", ".lab/", "playbook_dir"):
            assert unshipped not in text, f"{name} refers to {unshipped}"


def run(cwd, collections, *argv, home=None, timeout=300):
    """argv from cwd as a user runs it; Ansible's own home and temp files go to home (cwd)."""
    assert not (Path(cwd) / "ansible.cfg").exists()
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=cwd,
        env=ansible_env(Path(home or cwd), collections),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def expected_plugins():
    """{type: names} from the checkout: every module, filter, lookup and role it has."""
    modules = {p.stem for p in (REPO / "plugins/modules").glob("*.py")}
    filters = set()
    for path in (REPO / "plugins/filter").glob("*.py"):
        mod = importlib.import_module(
            f"ansible_collections.federated.ssm_runas.plugins.filter.{path.stem}"
        )
        filters |= set(mod.FilterModule().filters())
    lookups = {p.stem for p in (REPO / "plugins/lookup").glob("*.py")}
    roles = {p.parent.parent.name for p in (REPO / "roles").glob("*/meta/argument_specs.yml")}
    expected = {"module": modules, "filter": filters, "lookup": lookups, "role": roles}
    kinds = {p.name for p in (REPO / "plugins").iterdir() if p.is_dir()} - {"__pycache__"}
    kinds = {"module" if kind == "modules" else kind for kind in kinds}
    # Directories ansible-doc does not list on their own: an action plugin is documented by its
    # module stub, doc fragments and utils are not plugins.
    assert kinds - set(expected) <= {"action", "doc_fragments", "module_utils", "plugin_utils"}
    return expected


@pytest.mark.parametrize("kind", ["module", "filter", "lookup", "role"])
def test_ansible_doc_lists_and_renders_every_plugin_of_the_installed_copy(
    tmp_path, installed_collection, kind
):
    collections, _root = installed_collection
    expected = {f"federated.ssm_runas.{name}" for name in expected_plugins()[kind]}
    done = run(tmp_path, collections, "ansible-doc", "-t", kind, "-l", "federated.ssm_runas")
    assert done.returncode == 0, done.stderr
    for name in expected:
        assert re.search(rf"^{re.escape(name)}\b", done.stdout, re.MULTILINE), name
    done = run(
        tmp_path, collections, "ansible-doc", "-t", kind, "-l", "--json", "federated.ssm_runas"
    )
    assert set(json.loads(done.stdout)) == expected
    done = run(tmp_path, collections, "ansible-doc", "-t", kind, "--json", *sorted(expected))
    ours = [w for w in done.stderr.splitlines() if "[WARNING]" in w and "ssm_runas" in w]
    assert done.returncode == 0 and not ours, done.stderr
    docs = json.loads(done.stdout)
    assert set(docs) == expected
    if kind == "module":
        for name, doc in docs.items():
            attributes = doc["doc"].get("attributes") or {}
            assert {"check_mode", "diff_mode", "platform"} <= set(attributes), name


def tree(root):
    """{relative path: sha256} of every file and symlink under root, and its directories.

    Python's own bytecode caches are left out once checked to be caches of modules the
    collection ships: the interpreter writes them beside any module it imports from a writable
    path (not on a read-only one), whoever the module belongs to.
    """
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if "__pycache__" in path.parts:
            source = path.parent.parent / (path.name.split(".", 1)[0] + ".py")
            assert path.is_dir() or source.is_file(), f"{rel} caches no shipped module"
        elif path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[rel + "/"] = "dir"
    return found


def closed_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_inventory(project, endpoint, **extra):
    """A user's inventory (named "corp"): the AWS account on moto, ADFS in export mode, AD on a
    closed loopback port so verify.yml reports it unreadable; no instances."""
    inventory = project / "inventories/corp"
    (inventory / "group_vars/all").mkdir(parents=True)
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {
        "localhost": local,
        "aws_accounts": {"hosts": {"corp-account": local}},
        "adfs_servers": {"hosts": {"corp-adfs": local}},
        "ssm_instances": {"hosts": {}},
    }
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {"localhost": local},
                    "children": {k: v for k, v in hosts.items() if k != "localhost"},
                }
            }
        )
    )
    (inventory / "group_vars/all/ssm_runas.yml").write_text(yaml.safe_dump({"ssm_runas": MODEL}))
    settings = {
        "aws_federation_connection": {
            "endpoint_url": endpoint,
            "access_key": "testing",
            "secret_key": "testing",
        },
        "aws_federation_saml_metadata_file": str(METADATA),
        "runas_report_ldap": {"server": "127.0.0.1", "port": closed_port(), "use_ssl": False},
        "runas_report_fail": False,
        "ad_join_user": "svc-report",
        "ad_join_password": "not-a-real-password",
        **extra,
    }
    (inventory / "group_vars/all/settings.yml").write_text(yaml.safe_dump(settings))
    return "inventories/corp"


def recap(output):
    """{host: {ok, changed, unreachable, failed, ...}} from the PLAY RECAP."""
    found = {}
    for host, stats in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        found[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", stats)}
    return found


@pytest.fixture
def moto_clean(moto_endpoint):
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    iam = session.client("iam", endpoint_url=moto_endpoint)
    yield moto_endpoint
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{POLICY}"
    for call in (
        lambda: iam.detach_role_policy(RoleName=ROLE, PolicyArn=arn),
        lambda: iam.delete_role(RoleName=ROLE),
        lambda: iam.delete_policy(PolicyArn=arn),
        lambda: iam.delete_saml_provider(
            SAMLProviderArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"
        ),
    ):
        with contextlib.suppress(Exception):  # best effort: moto is shared by the session
            call()


def test_site_and_verify_by_fqcn_write_only_where_the_user_says(
    tmp_path, installed_collection, moto_clean
):
    collections, installed = installed_collection
    before = tree(installed)
    project = tmp_path / "ops-repo"
    inventory = write_inventory(project, moto_clean)
    site = ("ansible-playbook", "federated.ssm_runas.site", "-i", inventory, "--tags", "aws,adfs")

    first = run(project, collections, *site)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert recap(first.stdout)["corp-account"]["changed"] > 0
    out = project / "ssm-runas-output/corp"
    scripts = sorted(p.name for p in (out / "adfs").iterdir())
    assert scripts == [
        "adfs-claims-amazon-web-services.ps1",
        "adfs-claims-amazon-web-services.rules.txt",
    ]

    second = run(project, collections, *site)
    assert second.returncode == 0, second.stdout[-4000:]
    assert all(stats["changed"] == 0 for stats in recap(second.stdout).values()), second.stdout

    verify = run(
        project, collections, "ansible-playbook", "federated.ssm_runas.verify", "-i", inventory
    )
    assert verify.returncode == 0, verify.stdout[-4000:] + verify.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["env"] == "corp"
    assert "the directory could not be read" in report["problems"][0]  # AD unreadable: said so
    assert (out / "report.md").is_file()
    # Everything this run wrote is under the user's directory, nothing in the collection.
    assert tree(installed) == before


def test_ssm_runas_output_dir_moves_every_output(tmp_path, installed_collection, moto_clean):
    collections, installed = installed_collection
    before = tree(installed)
    project = tmp_path / "ops-repo"
    chosen = tmp_path / "shared/ssm-runas/corp"
    inventory = write_inventory(project, moto_clean, ssm_runas_output_dir=str(chosen))
    done = run(
        project,
        collections,
        "ansible-playbook",
        "federated.ssm_runas.site",
        "-i",
        inventory,
        "--tags",
        "adfs",
    )
    assert done.returncode == 0, done.stdout[-4000:]
    done = run(
        project, collections, "ansible-playbook", "federated.ssm_runas.verify", "-i", inventory
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert (chosen / "adfs/adfs-claims-amazon-web-services.ps1").is_file()
    assert (chosen / "report.json").is_file()
    assert not (project / "ssm-runas-output").exists()
    assert tree(installed) == before


def test_run_from_inside_the_installed_collection_stops_before_writing(
    tmp_path, installed_collection, moto_clean
):
    collections, installed = installed_collection
    before = tree(installed)
    inventory = Path(write_inventory(tmp_path / "ops-repo", moto_clean))
    done = run(
        installed,
        collections,
        "ansible-playbook",
        "federated.ssm_runas.site",
        "-i",
        str(tmp_path / "ops-repo" / inventory),
        "--tags",
        "adfs",
        home=tmp_path,
    )
    assert done.returncode != 0
    assert "inside the installed collection federated.ssm_runas" in done.stdout
    assert "run ansible-playbook from another directory" in done.stdout
    assert tree(installed) == before
