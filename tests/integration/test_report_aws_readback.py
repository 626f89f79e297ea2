"""runas_aws_info against moto, end to end through ansible: what IAM and SSM hold decides the
report's trust and preferences hops. moto stores policies without evaluating them (FACTS 8);
the decision comes from the report's evaluator, which test_report_evaluator_agreement.py
checks against iam-simulate."""

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report as rr
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    trust_policy,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import normalize

REPO = Path(__file__).resolve().parents[2]
METADATA = REPO / "tests" / "integration" / "iam_eval" / "adfs-metadata.xml"
ACCOUNT = "123456789012"  # moto's default account
PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/ADFS"
ROLE = "ADFS-SSMRunAs-Report"
DOC = "SSM-SessionManagerRunShell"
MODEL = normalize(
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


def read_back(endpoint, tmp_path, check=False):
    """Run the module through ansible (check mode too) and return its registered result."""
    argv = [
        str(Path(sys.executable).with_name("ansible")),
        "localhost",
        "-c",
        "local",
        "-i",
        "localhost,",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-m",
        "federated.ssm_runas.runas_aws_info",
        "-a",
        json.dumps(
            {
                "role_names": [ROLE, "Missing-Role"],
                "endpoint_url": endpoint,
                "region": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
            }
        ),
    ]
    if check:
        argv.append("--check")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
    )
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout[proc.stdout.index("{") :])
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def hops(result, tag):
    account = dict(result, error=None)
    trust = rr.hop_trust(tag, MODEL, {"acct": account})
    prefs = rr.hop_preferences({"acct": account})
    return trust, prefs


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
        assert trust["status"] == rr.PASS, trust
        assert prefs["status"] == rr.PASS, prefs


def test_red_for_other_suffix_missing_role_and_run_as_off(federation, moto_endpoint, tmp_path):
    _, ssm = federation
    ssm.create_document(
        Name=DOC, DocumentType="Session", DocumentFormat="JSON", Content=prefs_doc(False)
    )
    result = read_back(moto_endpoint, tmp_path)
    trust, prefs = hops(result, "mallory@partner.test")
    assert trust["status"] == rr.FAIL
    assert "role Missing-Role missing" in trust["detail"]
    assert "?*@example.test" in trust["detail"] and "mallory@partner.test" in trust["fix"]
    assert prefs["status"] == rr.FAIL and "runAsEnabled is false" in prefs["fix"]


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
    assert prefs["status"] == rr.FAIL and "update-document-default-version" in prefs["fix"]


def test_no_preferences_document_is_red(federation, moto_endpoint, tmp_path):
    result = read_back(moto_endpoint, tmp_path)
    assert result["preferences"] == {"name": DOC, "found": False}
    _, prefs = hops(result, "bob@example.test")
    assert prefs["status"] == rr.FAIL and "ssm-user" in prefs["fix"]
