"""site.yml run the way AWX runs it: ansible-runner with a private data dir (project/ is the
repository), secrets only as environment variables (as AWX's credential injectors set them),
no vault password and no stdin. Controller-side plays only (--tags aws,adfs): AWS against
moto, ADFS in export mode. Checks what IAM/SSM say and that no secret reaches the output."""

# ruff: noqa: S106 - the fake secrets below are what this test traces through.

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml

ansible_runner = pytest.importorskip(
    "ansible_runner", reason="ansible-runner missing: run `make setup`"
)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
METADATA = REPO / "tests/integration/iam_eval/adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ROLE = "ADFS-SSMRunAs-AWX"
PROVIDER = "ADFS-AWX"
POLICY = "EC2SSMPermissions-AWX"
SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAAWXRUNNERTEST01",
    "AWS_SECRET_ACCESS_KEY": "awx-runner-aws-secret-4b1d",
    "SSM_RUNAS_JOIN_PASSWORD": "awx-runner-join-pw-7e2a",
    "SSM_RUNAS_WINRM_PASSWORD": "awx-runner-winrm-pw-93c0",
}


def model(export_dir):
    """The dev data model with the lab's identities, pointed at moto and export mode."""
    data = yaml.safe_load(
        (REPO / "examples/inventories/dev/group_vars/all/ssm_runas.yml").read_text()
    )
    data["ssm_runas"]["aws"].update(
        account_id=ACCOUNT, region=REGION, saml_provider=PROVIDER, policy_name=POLICY
    )
    data["ssm_runas"]["aws"]["federation_roles"] = [{"name": ROLE, "max_session_duration": 3600}]
    automation = data["ssm_runas"]["automation"]
    automation["iam_principals"] = [
        arn.replace(":111111111111:", f":{ACCOUNT}:") for arn in automation["iam_principals"]
    ]
    data["ssm_runas"]["adfs"]["mode"] = "export"
    data["aws_federation_saml_metadata_file"] = str(METADATA)
    data["adfs_claims_export_dir"] = str(export_dir)
    return data


def inline_vault(tmp_path):
    """vault.yml as a user following the README would have it: values encrypted inline with a
    password this run never gets."""
    password = tmp_path / "vault-password"
    password.write_text("not-given-to-the-run\n")
    parts = ["---\n"]
    for name in (
        "vault_ssm_runas_join_password",
        "vault_ssm_runas_winrm_password",
        "vault_ssm_runas_aws_access_key",
        "vault_ssm_runas_aws_secret_key",
    ):
        done = subprocess.run(
            [
                str(BIN / "ansible-vault"),
                "encrypt_string",
                "--vault-password-file",
                str(password),
                "--name",
                name,
                "vault-value-that-must-not-be-used",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        parts.append(done.stdout)
    return "".join(parts)


def private_data_dir(tmp_path, moto_endpoint):
    pdd = tmp_path / "runner"
    (pdd / "inventory/group_vars/all").mkdir(parents=True)
    (pdd / "inventory/host_vars").mkdir()
    (pdd / "project").symlink_to(REPO)
    export_dir = tmp_path / "adfs-export"
    inventory = pdd / "inventory"
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "aws_accounts": {"hosts": {"awx-account": None}},
                        "adfs_servers": {"hosts": {"adfs-export": None}},
                        "ssm_instances": {"hosts": {}},
                    }
                }
            }
        )
    )
    (inventory / "group_vars/all/ssm_runas.yml").write_text(yaml.safe_dump(model(export_dir)))
    # The dev inventory's env-first secret lookups, unchanged.
    shutil.copy(
        REPO / "examples/inventories/dev/group_vars/all/credentials.yml",
        inventory / "group_vars/all/credentials.yml",
    )
    (inventory / "group_vars/all/vault.yml").write_text(inline_vault(tmp_path))
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    (inventory / "host_vars/adfs-export.yml").write_text(yaml.safe_dump(local))
    (inventory / "host_vars/awx-account.yml").write_text(
        yaml.safe_dump(
            dict(
                local,
                **{
                    "aws_federation_connection": {
                        "endpoint_url": moto_endpoint,
                        "profile": "",
                        "access_key": "{{ ssm_runas_aws_access_key }}",
                        "secret_key": "{{ ssm_runas_aws_secret_key }}",
                    }
                },
            )
        )
    )
    return pdd, export_dir


def cleanup(iam, ssm):
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{POLICY}"
    for call in (
        lambda: iam.detach_role_policy(RoleName=ROLE, PolicyArn=arn),
        lambda: iam.delete_role(RoleName=ROLE),
        lambda: iam.delete_policy(PolicyArn=arn),
        lambda: iam.delete_saml_provider(
            SAMLProviderArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"
        ),
        lambda: ssm.delete_document(Name="SSM-SessionManagerRunShell"),
    ):
        # Best effort: leave moto as the other tests expect it.
        with contextlib.suppress(Exception):
            call()


def test_site_through_ansible_runner_with_env_credentials_only(tmp_path, moto_endpoint):
    pdd, export_dir = private_data_dir(tmp_path, moto_endpoint)
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    iam = session.client("iam", endpoint_url=moto_endpoint)
    ssm = session.client("ssm", endpoint_url=moto_endpoint)
    cleanup(iam, ssm)
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "SSM_RUNAS_", "ANSIBLE_VAULT"))
    }
    envvars = dict(
        SECRETS,
        PATH=f"{BIN}:{clean_env.get('PATH', '')}",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_DEPRECATION_WARNINGS="false",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(clean_env)  # the runner's child starts from os.environ + envvars
    try:
        result = ansible_runner.run(
            private_data_dir=str(pdd),
            playbook="playbooks/site.yml",
            inventory=str(pdd / "inventory"),
            envvars=envvars,
            tags="aws,adfs",
            quiet=True,
            timeout=300,
        )
        stdout = result.stdout.read()
        events = json.dumps(list(result.events))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        assert result.status == "successful" and result.rc == 0, stdout[-4000:]
        # AWS: the federation exists as the dev model says, read back from the API.
        role = iam.get_role(RoleName=ROLE)["Role"]
        trust = json.dumps(role["AssumeRolePolicyDocument"])
        assert f"saml-provider/{PROVIDER}" in trust and "SSMSessionRunAs" in trust
        attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == [POLICY]
        doc = ssm.get_document(Name="SSM-SessionManagerRunShell", DocumentVersion="$LATEST")
        inputs = json.loads(doc["Content"])["inputs"]
        # The dev model leaves the default user to the schema: a name no instance resolves.
        assert inputs["runAsEnabled"] is True
        assert inputs["runAsDefaultUser"] == "ssm-runas-untagged-denied"
        assert inputs["cloudWatchLogGroupName"] == "/ssm/sessions/dev"
        # ADFS: the change script for the ADFS team, with the run-as rules.
        scripts = list(export_dir.glob("*.ps1"))
        assert len(scripts) == 1, list(export_dir.iterdir()) if export_dir.exists() else []
        script = scripts[0].read_text()
        assert "PrincipalTag:SSMSessionRunAs" in script
        assert "SAML/Attributes/TransitiveTagKeys" in script
        # Only the controller-side plays ran: nothing targeted the (empty) fleet.
        hosts = {
            e["event_data"].get("host") for e in result.events if e.get("event") == "runner_on_ok"
        }
        assert hosts <= {"awx-account", "adfs-export", "localhost"}, hosts
        # No secret in the job output or event data (what AWX stores and shows).
        for name, value in SECRETS.items():
            assert value not in stdout, f"{name} leaked into stdout"
            assert value not in events, f"{name} leaked into the event data"
        assert "vault-value-that-must-not-be-used" not in stdout + events
        assert "Vault password" not in stdout
    finally:
        cleanup(iam, ssm)
