"""Drill: AWS throttles and answers 503. The aws_federation role (IAM modules and the
session_preferences module) gets through on retries, and IAM/SSM end up exactly as after a
run without faults: read back and compared, version counts included (a retried write must not
leave a second policy version or document version behind)."""

import json
import urllib.request

import pytest
from fault_proxy import FaultProxy
from harness import base_vars, changed_tasks, clients, failure, run_role

pytestmark = pytest.mark.quick
DOCUMENT = "SSM-SessionManagerRunShell"


def reset(endpoint):
    # endpoint is the loopback http URL of the test's own moto server.
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(req, timeout=10).close()  # noqa: S310


def aws_state(endpoint):
    """What IAM and SSM say, without ids and timestamps."""
    iam, ssm = clients(endpoint)
    state = {"providers": {}, "roles": {}, "policies": {}, "documents": {}}
    for p in iam.list_saml_providers()["SAMLProviderList"]:
        doc = iam.get_saml_provider(SAMLProviderArn=p["Arn"])["SAMLMetadataDocument"]
        state["providers"][p["Arn"]] = doc
    for r in iam.list_roles()["Roles"]:
        role = iam.get_role(RoleName=r["RoleName"])["Role"]
        state["roles"][r["RoleName"]] = {
            "path": role["Path"],
            "trust": role["AssumeRolePolicyDocument"],
            "max": role["MaxSessionDuration"],
            "description": role.get("Description"),
            "tags": sorted((t["Key"], t["Value"]) for t in role.get("Tags", [])),
            "attached": sorted(
                a["PolicyArn"]
                for a in iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"]
            ),
        }
    for p in iam.list_policies(Scope="Local")["Policies"]:
        versions = iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]
        default = next(v for v in versions if v["IsDefaultVersion"])
        doc = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=default["VersionId"])
        state["policies"][p["Arn"]] = {
            "versions": len(versions),
            "document": doc["PolicyVersion"]["Document"],
        }
    names = [
        d["Name"]
        for d in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])[
            "DocumentIdentifiers"
        ]
    ]
    for name in names:
        described = ssm.describe_document(Name=name)["Document"]
        content = ssm.get_document(Name=name, DocumentVersion="$LATEST")["Content"]
        state["documents"][name] = {
            "latest": described["LatestVersion"],
            "default": described["DefaultVersion"],
            "content": json.loads(content),
        }
    return state


@pytest.fixture
def reference(moto_endpoint, tmp_path_factory):
    """IAM/SSM state after a fault-free run of the role; moto is reset before and after."""
    reset(moto_endpoint)
    rc, tasks = run_role(tmp_path_factory.mktemp("clean"), base_vars(moto_endpoint))
    assert rc == 0, failure(tasks)
    state = aws_state(moto_endpoint)
    assert state["roles"] and state["policies"] and DOCUMENT in state["documents"]
    reset(moto_endpoint)
    return state


def test_every_call_throttled_or_503_once_converges_to_the_same_state(
    moto_endpoint, reference, tmp_path
):
    with FaultProxy(moto_endpoint, each_once=True) as proxy:
        rc, tasks = run_role(tmp_path, base_vars(proxy.url))
    assert rc == 0, failure(tasks)
    kinds = {kind for _action, kind, _status in proxy.faults}
    assert kinds == {"Throttling", "ThrottlingException", "ServiceUnavailable"}, proxy.faults
    faulted = {action for action, _kind, _status in proxy.faults}
    # Writes went through a retry too, on both services.
    assert {"CreateSAMLProvider", "CreatePolicy", "CreateRole"} <= faulted, faulted
    assert any(a.startswith("AmazonSSM.CreateDocument") for a in faulted), faulted
    assert aws_state(moto_endpoint) == reference

    # Idempotent under faults as well: nothing changes, nothing is written twice.
    with FaultProxy(moto_endpoint, each_once=True) as proxy:
        rc, tasks = run_role(tmp_path, base_vars(proxy.url))
    assert rc == 0, failure(tasks)
    assert proxy.faults, "no fault was injected on the second run"
    assert changed_tasks(tasks) == []
    assert aws_state(moto_endpoint) == reference


@pytest.mark.parametrize("first", [3, 6])
def test_a_burst_of_faults_at_the_start_is_ridden_out(moto_endpoint, reference, tmp_path, first):
    # 6 consecutive faults on one call exceed botocore's own retries (5 attempts in legacy
    # mode); AWSRetry in the modules has to take over.
    with FaultProxy(moto_endpoint, first=first) as proxy:
        rc, tasks = run_role(tmp_path, base_vars(proxy.url))
    assert rc == 0, f"{failure(tasks)} after faults {proxy.faults}"
    assert len(proxy.faults) == first
    assert aws_state(moto_endpoint) == reference
