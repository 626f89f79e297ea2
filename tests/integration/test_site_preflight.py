"""site.yml's preflight play, driven through ansible-playbook as a user runs it: from a directory
that is not the checkout, the collection found through ANSIBLE_COLLECTIONS_PATH (no ansible.cfg),
an inventory of its own (realm CORP.EXAMPLE.ORG, groups "Ops Team" and "Db-Admins", tag key
CorpRunAs) and a real moto server on 127.0.0.1.

A bad model, or a role variable that disagrees with it, must stop the run in the preflight play
with the path the user wrote, before anything changes: no task of the AWS, ADFS or Linux plays
runs, moto is as it was, the ADFS export directory is not created, and the instance host is
never reached (its Python interpreter is a tripwire that records every use)."""

# ruff: noqa: S106 - "testing" is moto's stand-in key, not a secret.

import contextlib
import copy
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from as_user import ansible_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON = sys.executable
METADATA = REPO / "tests/integration/iam_eval/adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
RUN_SHELL = "SSM-SessionManagerRunShell"
# Unique per run: the moto server is shared by the whole test session.
SUFFIX = uuid.uuid4().hex[:8]
PROVIDER = f"CorpADFS-{SUFFIX}"
ROLE = f"Corp-RunAs-{SUFFIX}"
POLICY = f"CorpSSMRunAs-{SUFFIX}"
SOLO_PROVIDER = f"SoloADFS-{SUFFIX}"
SOLO_ROLE = f"Solo-RunAs-{SUFFIX}"
# The role variable of the brief, used only by the tests below (cleaned up after each).
MINE = "Mine"

GOOD_MODEL = {
    "realm": "CORP.EXAMPLE.ORG",
    "upn_suffix": "corp.example.org",
    "tag_key": "CorpRunAs",
    "groups": [
        {"name": "Ops Team", "sudo": {"runas": "ALL", "commands": ["ALL"]}},
        {
            "name": "Db-Admins",
            "sudo": {
                "runas": "root",
                "nopasswd": True,
                "commands": ["/usr/bin/systemctl restart postgresql"],
            },
        },
    ],
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


def play_names(playbook):
    """The names of the plays a playbook runs, imported ones included, in order."""
    names = []
    for play in yaml.safe_load((REPO / "playbooks" / playbook).read_text()):
        if "ansible.builtin.import_playbook" in play:
            names += play_names(play["ansible.builtin.import_playbook"])
        else:
            names.append(play["name"])
    return names


def preflight_tasks():
    """The preflight play's own tasks and the inputs.yml tasks of the roles it includes."""
    play = yaml.safe_load((REPO / "playbooks/preflight.yml").read_text())[0]
    names = {task["name"] for task in play["tasks"]}
    for task in play["tasks"]:
        role = task["ansible.builtin.include_role"]["name"]
        short = role.rsplit(".", 1)[1]
        for step in yaml.safe_load((REPO / "roles" / short / "tasks/inputs.yml").read_text()):
            names.add(f"{role} : {step['name']}")
    return names


PREFLIGHT_PLAYS = play_names("preflight.yml")
PREFLIGHT_TASKS = preflight_tasks()
CHANGING_PLAYS = play_names("aws.yml") + play_names("adfs.yml") + play_names("linux.yml")


def run(cwd, *argv):
    proc = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=cwd,
        env=ansible_env(cwd),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def headers(stdout):
    """(kind, name) of every PLAY and TASK header, in order."""
    return re.findall(r"^(PLAY|TASK) \[(.*)\] \*+$", stdout, flags=re.MULTILINE)


def flat(text):
    """Output as one line with JSON escapes undone, so a message can be found whole."""
    return " ".join(text.replace('\\"', '"').split())


def clients(endpoint):
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return session.client("iam", endpoint_url=endpoint), session.client(
        "ssm", endpoint_url=endpoint
    )


def moto_state(iam, ssm):
    """Every SAML provider, role and customer policy in moto (with versions), and the run-shell
    document's latest and default versions."""
    roles = [
        (r["RoleName"], r["CreateDate"].isoformat(), json.dumps(r["AssumeRolePolicyDocument"]))
        for page in iam.get_paginator("list_roles").paginate()
        for r in page["Roles"]
    ]
    policies = [
        (p["PolicyName"], p["DefaultVersionId"], p["UpdateDate"].isoformat())
        for page in iam.get_paginator("list_policies").paginate(Scope="Local")
        for p in page["Policies"]
    ]
    try:
        doc = ssm.describe_document(Name=RUN_SHELL)["Document"]
        document = [doc["LatestVersion"], doc["DefaultVersion"], doc["CreatedDate"].isoformat()]
    except ssm.exceptions.InvalidDocument:
        document = None
    return {
        "saml_providers": sorted(p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]),
        "roles": sorted(roles),
        "policies": sorted(policies),
        "run_shell": document,
    }


def remove_federation(iam, role, policy, provider):
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{policy}"
    for call in (
        lambda: iam.detach_role_policy(RoleName=role, PolicyArn=arn),
        lambda: iam.delete_role(RoleName=role),
        lambda: iam.delete_policy(PolicyArn=arn),
        lambda: iam.delete_saml_provider(
            SAMLProviderArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/{provider}"
        ),
    ):
        # Best effort: what a test made goes, whatever state it stopped in.
        with contextlib.suppress(Exception):
            call()


@contextlib.contextmanager
def run_shell_restored(ssm):
    """Delete the run-shell document afterwards when it did not exist before."""
    try:
        ssm.get_document(Name=RUN_SHELL)
        existed = True
    except ssm.exceptions.InvalidDocument:
        existed = False
    try:
        yield
    finally:
        if not existed:
            with contextlib.suppress(Exception):
                ssm.delete_document(Name=RUN_SHELL)


@pytest.fixture(scope="module")
def tripwire(tmp_path_factory):
    """A Python interpreter for the instance host that records every use, proven to fire."""
    root = tmp_path_factory.mktemp("tripwire")
    marker = root / "instance-was-reached"
    script = root / "python"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{marker}"\nexec "{PYTHON}" "$@"\n')
    script.chmod(0o755)
    (root / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "corp-i1": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": str(script),
                        }
                    }
                }
            }
        )
    )
    rc, out, err = run(root, "ansible", "-i", "hosts.yml", "corp-i1", "-m", "ansible.builtin.ping")
    assert rc == 0, out + err
    assert marker.exists(), "the tripwire did not fire on a module run: it would prove nothing"
    marker.unlink()
    return script, marker


def write_inventory(root, endpoint, tripwire_python, model, aws_vars=None):
    """An inventory of its own: one AWS account, one ADFS host in export mode, one instance."""
    inventory = root / "inventory"
    (inventory / "group_vars/all").mkdir(parents=True)
    local = {"ansible_connection": "local", "ansible_python_interpreter": PYTHON}
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "aws_accounts": {"hosts": {"corp-account": local}},
                        "adfs_servers": {"hosts": {"corp-adfs": local}},
                        "ssm_instances": {
                            "hosts": {
                                "corp-i1": {
                                    "ansible_connection": "local",
                                    "ansible_python_interpreter": str(tripwire_python),
                                }
                            }
                        },
                    }
                }
            }
        )
    )
    (inventory / "group_vars/all/ssm_runas.yml").write_text(yaml.safe_dump({"ssm_runas": model}))
    export_dir = root / "adfs-export"
    (inventory / "group_vars/adfs_servers.yml").write_text(
        yaml.safe_dump({"adfs_claims_export_dir": str(export_dir)})
    )
    account = {
        "aws_federation_connection": {
            "endpoint_url": endpoint,
            "access_key": "testing",
            "secret_key": "testing",
        },
        "aws_federation_saml_metadata_file": str(METADATA),
    }
    account.update(aws_vars or {})
    (inventory / "group_vars/aws_accounts.yml").write_text(yaml.safe_dump(account))
    return inventory, export_dir


def with_model(change):
    model = copy.deepcopy(GOOD_MODEL)
    change(model)
    return model


def _typo(model):
    model["upn_sufix"] = model.pop("upn_suffix")


def _spaced_tag_key(model):
    model["tag_key"] = "Corp RunAs"


def _slash_group(model):
    model["groups"].append({"name": "Ops/Net"})


def _wildcard_command(model):
    model["groups"][1]["sudo"]["commands"].append("/usr/bin/pg_*")


# (model, role variables of the account hosts, what the output must say)
CASES = {
    "unknown-key": (
        with_model(_typo),
        {},
        r"ssm_runas\.upn_sufix is not a known key: did you mean upn_suffix\?",
    ),
    "tag-key-with-space": (
        with_model(_spaced_tag_key),
        {},
        r"ssm_runas\.tag_key ['\"]Corp RunAs['\"] contains ['\"] ['\"]",
    ),
    "group-with-slash": (
        with_model(_slash_group),
        {},
        r'ssm_runas\.groups\[2\]\.name "Ops/Net" contains "/": AD group names may not contain',
    ),
    "sudo-wildcard": (
        with_model(_wildcard_command),
        {},
        r'ssm_runas\.groups\[1\]\.sudo\.commands\[1\] "/usr/bin/pg_\*" contains "\*"',
    ),
    "role-variable-disagrees": (
        copy.deepcopy(GOOD_MODEL),
        {"aws_federation_policy_name": MINE},
        rf'aws_federation_policy_name is set to "{MINE}", but ssm_runas\.aws\.policy_name '
        rf'says "{POLICY}"',
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_stops_in_preflight_before_any_change(tmp_path, moto_endpoint, tripwire, case):
    model, aws_vars, message = CASES[case]
    script, marker = tripwire
    inventory, export_dir = write_inventory(tmp_path, moto_endpoint, script, model, aws_vars)
    iam, ssm = clients(moto_endpoint)
    before = moto_state(iam, ssm)
    assert MINE not in [p[0] for p in before["policies"]], "a previous test left policy Mine"

    rc, out, err = run(
        tmp_path, "ansible-playbook", "-i", str(inventory), "federated.ssm_runas.site"
    )

    assert rc != 0, out
    assert re.search(message, flat(out + err)), out[-3000:] + err[-3000:]
    seen = headers(out)
    assert [name for kind, name in seen if kind == "PLAY"] == PREFLIGHT_PLAYS, seen
    assert not {name for _, name in seen} & set(CHANGING_PLAYS), seen
    assert {name for kind, name in seen if kind == "TASK"} <= PREFLIGHT_TASKS, seen
    assert "changed:" not in out
    assert re.findall(r"changed=(\d+)", out) and set(re.findall(r"changed=(\d+)", out)) == {"0"}
    assert moto_state(iam, ssm) == before
    assert not export_dir.exists()
    assert not marker.exists(), marker.read_text()


def test_good_model_and_agreeing_role_variable_pass_preflight(tmp_path, moto_endpoint, tripwire):
    script, marker = tripwire
    inventory, export_dir = write_inventory(
        tmp_path, moto_endpoint, script, GOOD_MODEL, {"aws_federation_policy_name": POLICY}
    )
    iam, ssm = clients(moto_endpoint)
    remove_federation(iam, ROLE, POLICY, PROVIDER)
    with run_shell_restored(ssm):
        try:
            rc, out, err = run(
                tmp_path,
                "ansible-playbook",
                "-i",
                str(inventory),
                "federated.ssm_runas.site",
                "--tags",
                "aws",
            )
            assert rc == 0, out[-4000:] + err[-2000:]
            plays = [name for kind, name in headers(out) if kind == "PLAY"]
            aws_plays = play_names("aws.yml")
            assert plays[: len(PREFLIGHT_PLAYS) + len(aws_plays)] == [*PREFLIGHT_PLAYS, *aws_plays]
            attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
            assert [p["PolicyName"] for p in attached] == [POLICY]
            policy = iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{POLICY}")
            assert policy["Policy"]["PolicyName"] == POLICY
            trust = json.dumps(iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"])
            # The model's names reached IAM: its provider, its tag key, its UPN suffix.
            assert f"saml-provider/{PROVIDER}" in trust
            assert "aws:RequestTag/CorpRunAs" in trust and "@corp.example.org" in trust
            assert "SSMSessionRunAs" not in trust
            # --tags aws: the ADFS side wrote nothing, and the instance was reached only by
            # the accounts play that must precede run-as (its lookup and its sudoers file; the
            # model declares no automation account).
            assert not export_dir.exists()
            modules = re.findall(r"AnsiballZ_(\w+)\.py", marker.read_text())
            assert set(modules) == {"runas_probe", "sudoers_file"}, marker.read_text()
        finally:
            remove_federation(iam, ROLE, POLICY, PROVIDER)
            marker.unlink(missing_ok=True)


def test_role_without_model_honours_its_role_variable(tmp_path, moto_endpoint):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "aws_accounts": {
                            "hosts": {
                                "solo-account": {
                                    "ansible_connection": "local",
                                    "ansible_python_interpreter": PYTHON,
                                }
                            }
                        }
                    }
                }
            }
        )
    )
    role = {
        "role": "federated.ssm_runas.aws_federation",
        "aws_federation_policy_name": MINE,
        "aws_federation_account_id": ACCOUNT,
        "aws_federation_region": REGION,
        "aws_federation_saml_provider_name": SOLO_PROVIDER,
        "aws_federation_upn_suffix": "corp.example.org",
        "aws_federation_roles": [{"name": SOLO_ROLE}],
        "aws_federation_saml_metadata_file": str(METADATA),
        # The run-shell document is account-wide state; the policy name is what is tested.
        "aws_federation_manage_session_preferences": False,
        "aws_federation_connection": {
            "endpoint_url": moto_endpoint,
            "access_key": "testing",
            "secret_key": "testing",
        },
    }
    playbook = tmp_path / "solo.yml"
    # JSON is YAML: the play is written as data.
    playbook.write_text(
        json.dumps([{"hosts": "aws_accounts", "gather_facts": False, "roles": [role]}])
    )
    iam, _ = clients(moto_endpoint)
    remove_federation(iam, SOLO_ROLE, MINE, SOLO_PROVIDER)
    try:
        rc, out, err = run(tmp_path, "ansible-playbook", "-i", str(inventory), str(playbook))
        assert rc == 0, out[-4000:] + err[-2000:]
        policy = iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{MINE}")
        assert policy["Policy"]["PolicyName"] == MINE
        attached = iam.list_attached_role_policies(RoleName=SOLO_ROLE)["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == [MINE]
    finally:
        remove_federation(iam, SOLO_ROLE, MINE, SOLO_PROVIDER)
