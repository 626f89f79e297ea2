"""The example inventories (dev, prod): they load offline, their data model is valid, secrets
come from the environment before the vault (without a vault prompt), and the fleet's
connection can be switched between ssh and amazon.aws.aws_ssm."""
# ruff: noqa: S105, S106 - the fake secrets below are what this test traces through.

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import normalize

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENVS = {
    "dev": {"account": "aws-dev", "adfs": "adfs01.corp-dev.example.org", "fleet": "ssh"},
    "prod": {"account": "aws-prod", "adfs": "adfs01.corp.example.org", "fleet": "aws_ssm"},
}
SECRET_VARS = ("SSM_RUNAS_", "AWS_", "ANSIBLE_VAULT")


def offline_env(**extra):
    """The caller's environment without any AWS or run-as credential, IMDS off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_VARS)}
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
    )
    env.update(extra)
    return env


def run(args, env, cwd=REPO):
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=180,
        check=False,
    )


def load(path):
    return yaml.safe_load((REPO / path).read_text())


def graph_groups(text):
    """{group: [hosts]} from `ansible-inventory --graph` output."""
    groups, current = {}, None
    for line in text.splitlines():
        name = line.strip(" |-")
        if name.startswith("@"):
            current = name[1:].rstrip(":")
            groups[current] = []
        elif name and current:
            groups[current].append(name)
    return groups


@pytest.mark.parametrize("env_name", ENVS)
def test_inventory_loads_offline_with_static_groups(env_name):
    expected = ENVS[env_name]
    result = run(
        [str(BIN / "ansible-inventory"), "-i", f"examples/inventories/{env_name}", "--graph"],
        offline_env(),
    )
    assert result.returncode == 0, result.stderr
    groups = graph_groups(result.stdout)
    assert groups["aws_accounts"] == [expected["account"]], result.stdout
    assert groups["adfs_servers"] == [expected["adfs"]], result.stdout
    assert groups["ssm_instances"] == [], result.stdout
    # The EC2 source was really tried, and failed for lack of credentials, not of syntax.
    assert "Failed to describe instances" in result.stderr, result.stderr


@pytest.mark.parametrize("env_name", ENVS)
def test_data_model_is_valid(env_name):
    data = load(f"examples/inventories/{env_name}/group_vars/all/ssm_runas.yml")["ssm_runas"]
    lab_data = load("inventories/lab/group_vars/all/ssm_runas.yml")["ssm_runas"]
    model, lab = normalize(data), normalize(lab_data)
    # Same keys as the lab's model: a documented example covers everything the lab uses.
    assert set(data) == set(lab_data)
    assert model["tag_key"] == lab["tag_key"] == "SSMSessionRunAs"
    assert model["adfs"]["mode"] == "winrm"
    assert model["upn_suffix"] == model["domain"]
    assert len(model["aws"]["account_id"]) == 12


PROBE = """\
- name: Probe what the inventory resolves to
  hosts: {host}
  gather_facts: false
  tasks:
    - name: Write the resolved values for the test
      ansible.builtin.copy:
        content: "{{{{ probe | to_json }}}}"
        dest: "{out}"
        mode: "0600"
      delegate_to: localhost
      vars:
        probe:
          join_password: "{{{{ ad_join_password }}}}"
          join_user: "{{{{ ad_join_user }}}}"
          winrm_password: "{{{{ hostvars[groups.adfs_servers[0]].ansible_password }}}}"
          aws: "{{{{ aws_federation_connection }}}}"
          adfs: "{{{{ hostvars[groups.adfs_servers[0]] | dict2items
                     | selectattr('key', 'match', 'ansible_(connection|winrm|psrp)')
                     | items2dict }}}}"
          fleet: "{{{{ {{'connection': hostvars['i-0fake'].ansible_connection,
                       'bucket': hostvars['i-0fake'].ansible_aws_ssm_bucket_name}} }}}}"
"""


def probe(tmp_path, inventory, host, env, *extra):
    """Resolve the interesting variables through ansible-playbook, as a real run would."""
    fake = tmp_path / "fake-instance.yml"
    fake.write_text("all:\n  children:\n    ssm_instances:\n      hosts:\n        i-0fake:\n")
    out = tmp_path / "probe.json"
    playbook = tmp_path / "probe.yml"
    playbook.write_text(PROBE.format(host=host, out=out))
    result = run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            "-i",
            str(fake),
            str(playbook),
            *extra,
        ],
        env,
    )
    return result, (json.loads(out.read_text()) if out.exists() else None)


@pytest.mark.parametrize("env_name", ENVS)
def test_secrets_come_from_the_environment_without_vault_prompt(tmp_path, env_name):
    expected = ENVS[env_name]
    env = offline_env(
        SSM_RUNAS_JOIN_PASSWORD="join-from-env",
        SSM_RUNAS_WINRM_PASSWORD="winrm-env",
        AWS_ACCESS_KEY_ID="AKIAENVENVENV",
        AWS_SECRET_ACCESS_KEY="env-secret",
    )
    result, seen = probe(
        tmp_path, REPO / f"examples/inventories/{env_name}", expected["account"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen["join_password"] == "join-from-env"
    assert seen["winrm_password"] == "winrm-env"
    assert seen["join_user"] == "svc-ssm-join"
    # Keys in the environment are left to boto3 (it also needs their session token).
    assert seen["aws"]["access_key"] == seen["aws"]["secret_key"] == seen["aws"]["profile"] == ""
    assert "region" not in seen["aws"]  # the model's ssm_runas.aws.region
    adfs = seen["adfs"]
    assert adfs["ansible_connection"] in ("ansible.builtin.winrm", "ansible.builtin.psrp")
    validation = adfs.get("ansible_winrm_server_cert_validation") or adfs.get(
        "ansible_psrp_cert_validation"
    )
    assert validation == "validate", adfs
    connection = {"ssh": "ansible.builtin.ssh", "aws_ssm": "amazon.aws.aws_ssm"}
    assert seen["fleet"]["connection"] == connection[expected["fleet"]]
    assert seen["fleet"]["bucket"].startswith(f"example-{env_name}-")


def test_prod_assumes_its_deployment_role(tmp_path):
    result, seen = probe(tmp_path, REPO / "examples/inventories/prod", "aws-prod", offline_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen["aws"]["assume_role_arn"] == "arn:aws:iam::222222222222:role/ssm-runas-deploy"
    assert seen["aws"]["profile"] == "ssm-runas-deployer"
    result, seen = probe(
        tmp_path,
        REPO / "examples/inventories/prod",
        "aws-prod",
        offline_env(SSM_RUNAS_AWS_ASSUME_ROLE_ARN="arn:aws:iam::1:role/x"),
    )
    assert seen["aws"]["assume_role_arn"] == "arn:aws:iam::1:role/x"


def test_fleet_connection_switches_to_aws_ssm(tmp_path):
    result, seen = probe(
        tmp_path,
        REPO / "examples/inventories/dev",
        "aws-dev",
        offline_env(),
        "-e",
        "ssm_runas_fleet_connection=aws_ssm",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen["fleet"]["connection"] == "amazon.aws.aws_ssm"


def vault_inventory(tmp_path, whole_file):
    """A copy of examples/inventories/dev whose vault.yml is encrypted (per value or as a whole)."""
    inventory = tmp_path / "dev"
    shutil.copytree(REPO / "examples/inventories/dev", inventory)
    password = tmp_path / "vault-pass"
    password.write_text("test-vault-password\n")
    vault = inventory / "group_vars/all/vault.yml"
    tool = [str(BIN / "ansible-vault")]
    if whole_file:
        vault.write_text(
            "vault_ssm_runas_join_password: join-from-vault\n"
            "vault_ssm_runas_winrm_password: winrm-from-vault\n"
        )
        done = run(
            [*tool, "encrypt", "--vault-password-file", str(password), str(vault)], offline_env()
        )
        assert done.returncode == 0, done.stderr
    else:
        parts = []
        for name, value in (
            ("vault_ssm_runas_join_password", "join-from-vault"),
            ("vault_ssm_runas_winrm_password", "winrm-from-vault"),
        ):
            done = run(
                [
                    *tool,
                    "encrypt_string",
                    "--vault-password-file",
                    str(password),
                    "--name",
                    name,
                    value,
                ],
                offline_env(),
            )
            assert done.returncode == 0, done.stderr
            parts.append(done.stdout)
        vault.write_text("---\n" + "".join(parts))
    assert "$ANSIBLE_VAULT" in vault.read_text()
    return inventory, password


def test_inline_vault_values_need_no_password_when_env_has_the_secrets(tmp_path):
    inventory, password = vault_inventory(tmp_path, whole_file=False)
    env = offline_env(SSM_RUNAS_JOIN_PASSWORD="join-from-env", SSM_RUNAS_WINRM_PASSWORD="w-env")
    result, seen = probe(tmp_path, inventory, "aws-dev", env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen["join_password"] == "join-from-env"
    # Without the environment the vault is used, and then its password is needed.
    (tmp_path / "probe.json").unlink()
    result, seen = probe(tmp_path, inventory, "aws-dev", offline_env())
    assert result.returncode != 0
    assert "no vault secrets" in result.stdout + result.stderr
    result, seen = probe(
        tmp_path, inventory, "aws-dev", offline_env(), "--vault-password-file", str(password)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen["join_password"] == "join-from-vault"
    assert seen["winrm_password"] == "winrm-from-vault"


def test_whole_file_vault_needs_its_password_even_when_env_has_the_secrets(tmp_path):
    """Why the README says encrypt_string: documents ansible-core's eager file decryption."""
    inventory, _vault = vault_inventory(tmp_path, whole_file=True)
    env = offline_env(SSM_RUNAS_JOIN_PASSWORD="join-from-env", SSM_RUNAS_WINRM_PASSWORD="w-env")
    result, seen = probe(tmp_path, inventory, "aws-dev", env)
    assert result.returncode != 0 and seen is None
    assert "no vault secrets" in result.stdout + result.stderr


def test_vault_examples_hold_placeholders_only():
    for env_name in ENVS:
        vault = load(f"examples/inventories/{env_name}/group_vars/all/vault.yml")
        assert vault and all(name.startswith("vault_") for name in vault)
        assert set(vault.values()) == {""}, f"{env_name}/vault.yml must hold placeholders only"
        credentials = (
            REPO / f"examples/inventories/{env_name}/group_vars/all/credentials.yml"
        ).read_text()
        for name in vault:
            assert name in credentials, f"{name} is never read in {env_name}/credentials.yml"


def test_readme_documents_the_vault_and_offline_behaviour():
    text = (REPO / "examples/inventories/dev/README.md").read_text()
    assert "encrypt_string" in text and "no vault secrets" in text
    assert "Failed to describe instances" in text
