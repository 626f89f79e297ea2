"""runas_aws_info against moto, end to end through ansible: what IAM and SSM hold decides the
report's trust and preferences hops, and an endpoint that does not answer leaves them unknown.
moto stores policies without evaluating them; the decision comes from the report's evaluator,
which test_report_evaluator_agreement.py checks against iam-simulate."""

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report as rr
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_aws as aws
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    trust_policy,
)

REPO = Path(__file__).resolve().parents[2]
METADATA = REPO / "tests" / "integration" / "iam_eval" / "adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/ADFS"
ROLE = "ADFS-SSMRunAs-Report"
DOC = "SSM-SessionManagerRunShell"
MODEL = rr.checked_model(
    {
        "realm": "EXAMPLE.TEST",
        "groups": [{"name": "NetworkAdmins"}],
        "aws": {"account_id": ACCOUNT, "federation_roles": [{"name": ROLE}]},
    }
)


def clients(endpoint):
    kwargs = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return boto3.client("iam", **kwargs), boto3.client("ssm", **kwargs)


def read_back(endpoint, tmp_path, check=False, register_as=None):
    """runas_aws_info in a play, registered as verify.yml registers it: the registered value."""
    task = {
        "federated.ssm_runas.runas_aws_info": {
            "role_names": [ROLE, "Missing-Role"],
            "endpoint_url": endpoint,
            "region": "us-east-1",
            "access_key": "testing",
            "secret_key": "testing",
        },
        "register": "read",
        **(register_as or {"failed_when": False}),
    }
    dump = {
        "ansible.builtin.copy": {
            "content": "{{ read | to_json }}",
            "dest": str(tmp_path / "read.json"),
        },
        "check_mode": False,
    }
    playbook = tmp_path / "read.yml"
    # JSON is YAML: the play is written as data, not as text to get right.
    playbook.write_text(
        json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [task, dump]}])
    )
    argv = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]
    if check:
        argv.append("--check")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
    )
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((tmp_path / "read.json").read_text())


def hops(result, tag):
    accounts = aws.read_accounts({"acct": result})
    return aws.hop_trust("bob", tag, MODEL, accounts), aws.hop_preferences(accounts)


@pytest.fixture
def federation(moto_endpoint):
    iam, ssm = clients(moto_endpoint)
    if not any(p["Arn"] == PROVIDER for p in iam.list_saml_providers()["SAMLProviderList"]):
        iam.create_saml_provider(Name="ADFS", SAMLMetadataDocument=METADATA.read_text())
    policy = trust_policy(
        PROVIDER,
        ["https://signin.aws.amazon.com/saml"],
        "SSMSessionRunAs",
        "@example.test",
        ["SSMSessionRunAs"],
    )
    try:
        iam.get_role(RoleName=ROLE)
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(policy))
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(policy))
    with contextlib.suppress(ssm.exceptions.InvalidDocument):
        ssm.delete_document(Name=DOC)
    return iam, ssm


def prefs_doc(run_as):
    return json.dumps(
        {
            "schemaVersion": "1.0",
            "sessionType": "Standard_Stream",
            "inputs": {"runAsEnabled": run_as, "runAsDefaultUser": "ssm-user"},
        }
    )


def test_green_when_role_trusts_the_tag_and_run_as_is_on(federation, moto_endpoint, tmp_path):
    _, ssm = federation
    ssm.create_document(
        Name=DOC, DocumentType="Session", DocumentFormat="JSON", Content=prefs_doc(True)
    )
    for check in (False, True):
        result = read_back(moto_endpoint, tmp_path, check=check)
        assert result["changed"] is False
        roles = {r["name"]: r for r in result["roles"]}
        assert roles["Missing-Role"] == {"name": "Missing-Role", "found": False}
        assert roles[ROLE]["trust_policy"]["Statement"][0]["Principal"] == {"Federated": PROVIDER}
        # Only the role that exists: the missing one is covered by the next test.
        trust, prefs = hops(dict(result, roles=[roles[ROLE]]), "bob@example.test")
        assert trust["status"] == rh.PASS, trust
        assert prefs["status"] == rh.PASS, prefs


def test_red_for_other_suffix_missing_role_and_run_as_off(federation, moto_endpoint, tmp_path):
    _, ssm = federation
    ssm.create_document(
        Name=DOC, DocumentType="Session", DocumentFormat="JSON", Content=prefs_doc(False)
    )
    result = read_back(moto_endpoint, tmp_path)
    trust, prefs = hops(result, "mallory@partner.test")
    assert trust["status"] == rh.FAIL
    assert "role Missing-Role missing" in trust["detail"]
    assert "?*@example.test" in trust["detail"] and "mallory@partner.test" in trust["fix"]
    assert prefs["status"] == rh.FAIL and "runAsEnabled is false" in prefs["fix"]


def test_default_version_lagging_behind_latest_is_red(federation, moto_endpoint, tmp_path):
    _, ssm = federation
    ssm.create_document(
        Name=DOC, DocumentType="Session", DocumentFormat="JSON", Content=prefs_doc(False)
    )
    ssm.update_document(
        Name=DOC, DocumentVersion="$LATEST", DocumentFormat="JSON", Content=prefs_doc(True)
    )
    result = read_back(moto_endpoint, tmp_path)
    assert result["preferences"]["latest_version"] == "2"
    assert result["preferences"]["default_version"] == "1"
    _, prefs = hops(result, "bob@example.test")
    assert prefs["status"] == rh.FAIL and "update-document-default-version" in prefs["fix"]


def test_no_preferences_document_is_red(federation, moto_endpoint, tmp_path):
    result = read_back(moto_endpoint, tmp_path)
    assert result["preferences"] == {"name": DOC, "found": False}
    _, prefs = hops(result, "bob@example.test")
    assert prefs["status"] == rh.FAIL and "ssm-user" in prefs["fix"]


def _closed_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "register_as", [{"failed_when": False}, {"ignore_errors": True}], ids=["failed_when", "ignore"]
)
def test_an_endpoint_that_does_not_answer_leaves_both_hops_unknown(tmp_path, register_as):
    result = read_back(f"http://127.0.0.1:{_closed_port()}", tmp_path, register_as=register_as)
    trust, prefs = hops(result, "bob@example.test")
    for hop in (trust, prefs):
        assert hop["status"] == rh.UNKNOWN, hop
        assert "Could not connect to the endpoint URL" in hop["detail"]
    assert "bob" in trust["fix"] and "no federation roles" not in trust["detail"]
