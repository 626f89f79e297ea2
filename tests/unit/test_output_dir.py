"""Where the collection writes on the controller: <cwd>/ssm-runas-output/<inventory name> or
ssm_runas_output_dir, never inside an installed collection; the ADFS action refuses a path there
and keeps the previous rule set in its result."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import output_dir as O
from test_adfs_action import STANDARD, FakeAdfs, run

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = str(Path(sys.executable).with_name("ansible"))


@pytest.mark.parametrize(
    ("sources", "name"),
    [
        (["/home/ops/infra/inventories/prod"], "prod"),
        (["/home/ops/infra/inventories/prod/"], "prod"),
        (["/home/ops/infra/prod.yml", "/other"], "prod"),
        (["/home/ops/hosts.ini"], "hosts"),
        (["/home/ops/lab.aws_ec2.yml"], "lab.aws_ec2"),
        (["host1,host2,"], "inventory"),
        ("/srv/inv/dev", "dev"),
        ([], "inventory"),
        (None, "inventory"),
    ],
)
def test_inventory_name(sources, name):
    assert O.inventory_name(sources) == name


def installed(tmp_path, ns="federated", name="ssm_runas"):
    root = tmp_path / "cols/ansible_collections" / ns / name
    (root / "playbooks").mkdir(parents=True)
    (root / "MANIFEST.json").write_text(json.dumps({"collection_info": {}}))
    return root


def test_default_is_under_the_current_directory_per_inventory(tmp_path):
    got = O.resolve(["adfs", "adfs/backups"], sources=["/x/inventories/prod"], cwd=str(tmp_path))
    base = tmp_path / "ssm-runas-output/prod"
    assert got == [str(base / "adfs"), str(base / "adfs/backups")]
    assert O.resolve([], sources=["/x/inventories/prod"], cwd=str(tmp_path)) == [str(base)]
    assert not (tmp_path / "ssm-runas-output").exists()  # resolving creates nothing


def test_root_set_by_the_user_wins_and_a_relative_one_is_taken_from_cwd(tmp_path):
    assert O.resolve(["adfs"], root="/srv/out", cwd=str(tmp_path)) == ["/srv/out/adfs"]
    assert O.resolve([], root="out/prod", cwd=str(tmp_path)) == [str(tmp_path / "out/prod")]


def test_a_sub_directory_cannot_leave_the_root(tmp_path):
    for bad in ("../elsewhere", "/etc", "adfs/../../x"):
        with pytest.raises(O.OutputDirError, match="leaves"):
            O.resolve([bad], root=str(tmp_path))


def test_inside_an_installed_collection_is_refused_naming_the_fix(tmp_path):
    root = installed(tmp_path)
    with pytest.raises(O.OutputDirError) as err:
        O.resolve([], root=str(root / "out"))
    assert "ssm_runas_output_dir" in str(err.value) and "federated.ssm_runas" in str(err.value)
    # Running from inside the installed collection: the default would land in it.
    with pytest.raises(O.OutputDirError, match="run ansible-playbook from another directory"):
        O.resolve(["adfs"], sources=["inv"], cwd=str(root / "playbooks"))
    # Any installed collection, through a symlink too.
    other = installed(tmp_path, "community", "general")
    (tmp_path / "link").symlink_to(other)
    assert O.installed_collection(str(tmp_path / "link/x/y")) == "community.general"


def test_a_source_checkout_is_not_an_installed_collection(tmp_path):
    checkout = tmp_path / "src/ansible_collections/federated/ssm_runas"
    checkout.mkdir(parents=True)
    (checkout / "galaxy.yml").write_text("namespace: federated\n")
    assert O.installed_collection(str(checkout / "ssm-runas-output/lab")) is None
    assert O.installed_collection("/") is None


def lookup(cwd, *extra):
    """The lookup as a play templates it: ansible's own option handling, vars included."""
    inventory = cwd / "inventories/dev"
    inventory.mkdir(parents=True, exist_ok=True)
    (inventory / "hosts.yml").write_text("all: {hosts: {localhost: {ansible_connection: local}}}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
        ANSIBLE_LOCAL_TEMP=str(cwd / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    msg = "{{ lookup('federated.ssm_runas.output_dir', 'adfs') }}"
    return subprocess.run(
        [ANSIBLE, "localhost", "-i", "inventories/dev", "-m", "debug", "-a", f"msg={msg}", *extra],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_lookup_reads_ssm_runas_output_dir_and_the_inventory_source(tmp_path):
    done = lookup(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f'"{tmp_path}/ssm-runas-output/dev/adfs"' in done.stdout
    done = lookup(tmp_path, "-e", "ssm_runas_output_dir=/srv/ssm-runas/dev")
    assert '"/srv/ssm-runas/dev/adfs"' in done.stdout, done.stdout + done.stderr
    root = installed(tmp_path)
    done = lookup(tmp_path, "-e", f"ssm_runas_output_dir={root}/out")
    assert done.returncode != 0 and "inside the installed collection" in done.stdout


def test_a_root_that_is_a_template_is_rendered_not_taken_literally(tmp_path):
    # As an inventory writes it: the root built from another variable.
    (tmp_path / "inventories/dev/group_vars").mkdir(parents=True)
    (tmp_path / "inventories/dev/group_vars/all.yml").write_text(
        f'state_root: "{tmp_path}/state"\nssm_runas_output_dir: "{{{{ state_root }}}}/out"\n'
    )
    done = lookup(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f'"{tmp_path}/state/out/adfs"' in done.stdout, done.stdout
    assert "{{" not in done.stdout


def test_action_refuses_to_write_inside_an_installed_collection(tmp_path):
    root = installed(tmp_path)
    store = FakeAdfs()
    with pytest.raises(AnsibleActionFail, match=r"^adfs_claims_backup_dir .* installed"):
        run(store, tmp_path, backup_dir=str(root / "backups"))
    assert (store.reads, store.writes) == (0, 0)
    with pytest.raises(AnsibleActionFail, match=r"^adfs_claims_export_dir .* installed"):
        run(store, tmp_path, mode="export", export_dir=str(root / "adfs"))
    assert not list(root.rglob("*.txt")) and not list(root.rglob("*.ps1"))


def test_the_previous_rule_set_is_in_the_result_of_a_write_only(tmp_path):
    store = FakeAdfs()
    first = run(store, tmp_path)
    assert first["previous_rules"] == STANDARD
    again = run(store, tmp_path)
    assert not again["changed"] and again["previous_rules"] is None
