"""The enrolment bundle built from this checkout: reproducible, only what an instance needs, no
secret, and runnable: unpacked by the enroller, its own ansible-core runs the enrol playbook."""

import gzip
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import enrol_bundle
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.enrol_bundle import (
    ARC_COLLECTION,
    BundleError,
    pick_vars,
)

REPO = Path(__file__).resolve().parents[2]
# The Linux side as the aws_federation role names it (roles/aws_federation/vars/main.yml).
SIDE = enrol_bundle.LinuxSide(
    roles=("runas_accounts", "ad_sudoers", "ad_join"),
    secret_var="ad_join_password",  # noqa: S106 - a variable's name
    join_method_var="ad_join_join_method",
)
LOOKUP = "{{ lookup('federated.ssm_runas.inherited_secret') }}"
VARS = {
    "ssm_runas": {"realm": "corp.example", "groups": [{"name": "Ops"}]},
    "ad_join_domain": "corp.example",
    "ad_sudoers_rules": [{"group": "Ops", "commands": ["/usr/sbin/ip"]}],
}


@pytest.fixture(scope="module")
def built():
    return enrol_bundle.build(REPO, VARS, SIDE)


@pytest.fixture(scope="module")
def members(built):
    with tarfile.open(fileobj=io.BytesIO(built), mode="r:gz") as tar:
        return {m.name: (m, tar.extractfile(m).read() if m.isfile() else None) for m in tar}


def test_the_same_inputs_give_the_same_bytes(built):
    assert enrol_bundle.build(REPO, dict(reversed(list(VARS.items()))), SIDE) == built
    assert gzip.decompress(built)  # a whole gzip stream
    assert built[4:8] == b"\0\0\0\0"  # gzip header time


@pytest.mark.parametrize(
    "changed",
    [
        dict(VARS, ad_join_domain="other.example"),
        dict(VARS, ad_sudoers_rules=[{"group": "Ops", "commands": ["/usr/sbin/ss"]}]),
        {k: v for k, v in VARS.items() if k != "ad_join_domain"},
    ],
)
def test_a_changed_variable_changes_the_sha(built, changed):
    rebuilt = enrol_bundle.build(REPO, changed, SIDE)
    assert enrol_bundle.sha256(rebuilt) != enrol_bundle.sha256(built)


def test_members_are_the_collection_ansible_core_and_the_enrol_files(members):
    tops = {n.split("/", 1)[0] for n in members}
    assert tops == {"collections", "python", "enrol"}
    inside = {n[len(ARC_COLLECTION) + 1 :].split("/", 1)[0] for n in members if n[0] == "c"}
    assert inside == {"galaxy.yml", "LICENSE", "meta", "playbooks", "plugins", "roles"}
    for must in [
        "playbooks/enrol.yml",
        "playbooks/linux.yml",
        "playbooks/preflight.yml",
        "playbooks/accounts.yml",
        "plugins/lookup/inherited_secret.py",
        "plugins/module_utils/enrol_agent.py",
        "roles/ad_join/tasks/main.yml",
        "roles/ad_join/meta/argument_specs.yml",
        "meta/runtime.yml",
        "galaxy.yml",
    ]:
        assert f"{ARC_COLLECTION}/{must}" in members, must
    assert "python/ansible/cli/playbook.py" in members
    assert "python/ansible/release.py" in members
    assert any(n.startswith("python/ansible_core-") and n.endswith("/METADATA") for n in members)
    assert set(n for n in members if n.startswith("enrol/")) == {
        "enrol/inventory.yml",
        "enrol/ansible.cfg",
    }


def test_no_caches_tests_or_molecule_are_shipped(members):
    for name in members:
        parts = name.split("/")
        assert "__pycache__" not in parts, name
        assert not name.endswith((".pyc", ".pyo")), name
        if name.startswith(ARC_COLLECTION):  # ansible-core has galaxy skeletons with tests/
            assert "tests" not in parts, name
            assert "molecule" not in parts, name
        assert ".git" not in parts, name
        assert not parts[-1].endswith(".tar.gz"), name


def test_every_member_is_a_plain_file_owned_by_root_with_fixed_mode_and_time(members):
    for name, (info, _) in members.items():
        assert info.isreg(), name
        assert (info.mode, info.uid, info.gid, info.mtime) == (0o644, 0, 0, 0), name
        assert (info.uname, info.gname) == ("root", "root"), name
        assert not name.startswith("/"), name
        assert ".." not in name.split("/"), name
    assert list(members) == sorted(members)


def test_the_collection_files_are_the_checkouts_bytes(members):
    for rel in ["plugins/lookup/inherited_secret.py", "roles/ad_join/tasks/main.yml"]:
        assert members[f"{ARC_COLLECTION}/{rel}"][1] == (REPO / rel).read_bytes()


def test_the_inventory_is_this_host_alone_with_the_model_and_a_lookup_for_the_secret(members):
    inventory = yaml.safe_load(members["enrol/inventory.yml"][1])
    assert inventory == {
        "all": {
            "children": {
                "ssm_instances": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "/usr/bin/python3",
                            "ansible_become": False,
                        }
                    },
                    "vars": {**VARS, "ad_join_password": LOOKUP},
                }
            }
        }
    }


def test_the_config_names_the_instances_python(members):
    cfg = members["enrol/ansible.cfg"][1].decode()
    assert "interpreter_python = /usr/bin/python3\n" in cfg
    assert "gathering = explicit\n" in cfg


def test_what_the_enroller_runs_is_in_the_bundle(members):
    argv, env = enrol_agent.playbook_run("B")
    wanted = [argv[4], env["ANSIBLE_CONFIG"], env["PYTHONPATH"] + "/ansible/cli/playbook.py"]
    wanted.append(env["ANSIBLE_COLLECTIONS_PATH"] + "/ansible_collections/federated/ssm_runas/")
    for path in wanted:
        rel = path.removeprefix("B/")
        assert any(n == rel or n.startswith(rel) for n in members), path
    assert argv[5] == "federated.ssm_runas.enrol"


def test_a_fake_collection_sheds_its_caches(tmp_path):
    for rel in [
        "galaxy.yml",
        "roles/r/tasks/main.yml",
        "plugins/modules/m.py",
        "plugins/modules/__pycache__/m.cpython-312.pyc",
        "plugins/modules/old.pyc",
        "plugins/.pytest_cache/v/x",
        "roles/r/.git/HEAD",
        "tests/unit/test_x.py",
        "molecule/default/molecule.yml",
        "docs/index.md",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    shipped = [a for a, _ in enrol_bundle.collection_members(tmp_path)]
    assert shipped == [
        f"{ARC_COLLECTION}/galaxy.yml",
        f"{ARC_COLLECTION}/plugins/modules/m.py",
        f"{ARC_COLLECTION}/roles/r/tasks/main.yml",
    ]


# Which variables ship


def test_linux_var_names_come_from_the_linux_roles_argument_specs():
    names = enrol_bundle.linux_var_names(REPO, SIDE)
    assert names == sorted(names)
    assert "ad_join_domain" in names
    assert "ssm_runas" in names
    assert any(n.startswith("ad_sudoers_") for n in names)
    assert any(n.startswith("runas_accounts_") for n in names)
    assert not [n for n in names if n.startswith(("aws_federation_", "adfs_claims_"))]
    assert {n.split("_", 1)[0] for n in names} == {"ad", "runas", "ssm"}


def test_the_real_secret_variables_are_known_and_never_shipped():
    names = enrol_bundle.linux_var_names(REPO, SIDE)
    assert {"ad_join_password", "ad_join_one_time_password"} <= set(names)
    available = {n: f"value of {n}" for n in names}
    shipped = pick_vars(available, names, SIDE)
    assert "ad_join_password" not in shipped
    assert "ad_join_one_time_password" not in shipped
    assert "ad_join_domain" in shipped


KNOWN = [
    "ad_join_domain",
    "ad_join_keytab",
    "ad_join_password",
    "ad_join_one_time_password",
    "ad_join_admin_secret",
    "ad_join_api_token",
    "ad_join_ssh_key",
    "AD_JOIN_PASSWORD_FILE",
    "ad_sudoers_rules",
]


def test_pick_vars_ships_the_model_and_known_non_secret_variables_only():
    available = {n: n for n in [*KNOWN, "ssm_runas", "aws_federation_region", "unrelated"]}
    assert pick_vars(available, KNOWN, SIDE) == {
        "ssm_runas": "ssm_runas",
        "ad_join_domain": "ad_join_domain",
        "ad_join_keytab": "ad_join_keytab",
        "ad_sudoers_rules": "ad_sudoers_rules",
    }


def test_pick_vars_ships_only_what_the_caller_has():
    assert pick_vars({"ad_join_domain": "x"}, KNOWN, SIDE) == {"ad_join_domain": "x"}
    assert pick_vars({}, KNOWN, SIDE) == {}


def test_extra_linux_vars_are_added_and_win():
    chosen = pick_vars({"ad_join_domain": "a"}, KNOWN, SIDE, {"ad_join_domain": "b", "custom_x": 1})
    assert chosen == {"ad_join_domain": "b", "custom_x": 1}


@pytest.mark.parametrize(
    "name",
    ["ad_join_password", "my_password_file", "db_secret", "API_TOKEN", "ssh_key", "Vault_Key"],
)
def test_an_extra_secret_is_refused_naming_it(name):
    with pytest.raises(BundleError, match=f"^{name}: a secret never goes into the bundle"):
        pick_vars({}, KNOWN, SIDE, {"ad_join_domain": "a", name: "hunter2"})


@pytest.mark.parametrize(
    ("name", "ships"),
    [
        ("ad_join_keytab", True),
        ("ad_join_key_file", True),
        ("keys", True),
        ("ad_join_ssh_key", False),
        ("ad_join_passwords", False),
        ("tokenizer_name", False),
        ("ad_join_password", False),
    ],
)
def test_shippable_judges_by_the_name_alone(name, ships):
    assert enrol_bundle.shippable(name, SIDE) is ships


# The bundle runs


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("bundles")
    sha = enrol_bundle.sha256(built)
    enrol_agent.verify(built, sha)
    return Path(enrol_agent.unpack(built, sha, str(root)))


def clean_env(bundle, home):
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(bundle / "python"),
        "ANSIBLE_HOME": str(home / "ansible"),
        "ANSIBLE_LOCAL_TEMP": str(home / "ansible" / "tmp"),
    }


def test_the_bundles_ansible_core_is_the_one_that_runs(unpacked, tmp_path):
    env = clean_env(unpacked, tmp_path)
    # The venv has ansible-core too: PYTHONPATH must put the bundle's copy first.
    where = subprocess.run(
        [sys.executable, "-c", "import ansible; print(ansible.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert where == str(unpacked / "python" / "ansible" / "__init__.py")
    done = subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"ansible python module location = {unpacked}/python/ansible" in done.stdout


def test_the_enrol_playbook_parses_from_the_bundle_alone(unpacked, tmp_path):
    argv, env = enrol_agent.playbook_run(str(unpacked), python=sys.executable)
    env.update(clean_env(unpacked, tmp_path))
    # The instance has no collections of its own: the venv's must not be found either.
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    done = subprocess.run(
        [*argv, "--syntax-check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Found in the bundle's collection, not in the checkout.
    playbook = unpacked / "collections" / ARC_COLLECTION.split("/", 1)[1] / "playbooks/enrol.yml"
    assert done.stdout.strip() == f"playbook: {playbook}"


@pytest.mark.parametrize("method", ["keytab", "otp"])
def test_a_join_method_other_than_password_is_refused_naming_it(method):
    with pytest.raises(enrol_bundle.BundleError, match=f"ad_join_join_method is '{method}'"):
        enrol_bundle.check_join_method({"ad_join_join_method": method}, SIDE)
    enrol_bundle.check_join_method({"ad_join_join_method": "password"}, SIDE)
    enrol_bundle.check_join_method({}, SIDE)
