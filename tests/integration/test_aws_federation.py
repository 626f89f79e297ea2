"""aws_federation role + session_preferences module against moto: the amazon.aws four steps
(check -> apply -> check no change -> apply no change) for every change, read back with boto3."""

import json
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.filter.runas_model import (
    runas_role_inputs,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    federation_plan,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    schema_default,
)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent / "iam_eval"))

from harness import (  # noqa: E402 - the harness sits beside the evaluator data
    ACCOUNT,
    METADATA,
    base_vars,
    changed_tasks,
    clients,
    failure,
    is_write,
    recorded_calls,
    recorder,
    run_role,
)

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/ADFS"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/EC2SSMPermissions"
ROLE = "ADFS-SSM-RunAs"
MAX_IDEMPOTENT_CALLS = 14  # 12, and two for the account check (on by default)


def four_steps(tmp_path, variables, expect_changed):
    """check -> apply -> check -> apply; returns the first check's task results."""
    rc, first_check = run_role(tmp_path, variables, check=True)
    assert rc == 0, failure(first_check)
    assert set(expect_changed) <= set(changed_tasks(first_check)), changed_tasks(first_check)
    rc, applied = run_role(tmp_path, variables)
    assert rc == 0, failure(applied)
    assert changed_tasks(applied) == changed_tasks(first_check)
    for check in (True, False):
        rc, again = run_role(tmp_path, variables, check=check)
        assert rc == 0, failure(again)
        assert changed_tasks(again) == [], f"not idempotent (check={check}): {changed_tasks(again)}"
    return first_check


def diff_of(result):
    diff = result["diff"]
    return diff[0] if isinstance(diff, list) else diff


def generated(variables):
    """The plan the role computes from these variables: its own mapping, without a model."""
    mapping = yaml.safe_load((REPO / "roles/aws_federation/vars/main.yml").read_text())[
        "__aws_federation_from_model"
    ]
    given = [variables.get(how["var"], "\0unset") for how in mapping.values()]
    spec = runas_role_inputs(None, mapping, given, "\0unset")
    spec.pop("region")
    spec["saml_metadata"] = METADATA.read_text()
    return federation_plan(spec)


def preferences(ssm):
    doc = ssm.get_document(Name="SSM-SessionManagerRunShell", DocumentVersion="$LATEST")
    described = ssm.describe_document(Name="SSM-SessionManagerRunShell")["Document"]
    assert described["DefaultVersion"] == described["LatestVersion"]
    return json.loads(doc["Content"])["inputs"]


BAD_INPUT = [
    ({"aws_federation_account_id": "12345"}, "aws_federation_account_id", "'12345'", "12 digits"),
    (
        {"aws_federation_saml_provider_name": "AD FS!"},
        "aws_federation_saml_provider_name",
        "'AD FS!'",
        "1-128 characters",
    ),
    ({"aws_federation_tag_key": "aws:RunAs"}, "aws_federation_tag_key", "'aws:RunAs'", "reserved"),
    ({"aws_federation_tag_key": "Run\\As"}, "aws_federation_tag_key", "Run", "contains"),
    (
        {"aws_federation_session_preferences": {"idle_session_timeout": 90}},
        "idle_session_timeout",
        "90",
        "1..60",
    ),
    (
        {"aws_federation_saml_metadata_file": str(Path(__file__))},
        "aws_federation_saml_metadata_file",
        "",
        "not well-formed XML",
    ),
    (
        {"aws_federation_upn_suffix": "*.test"},
        "aws_federation_upn_suffix",
        "'*.test'",
        "without wildcards",
    ),
]


@pytest.mark.parametrize(
    "case",
    BAD_INPUT,
    ids=[b[1] + "-" + b[3].split()[0] for b in BAD_INPUT],
)
def test_bad_input_is_rejected_before_any_api_call(moto_endpoint, tmp_path, case):
    override, var, value, fix = case
    recorder(moto_endpoint, "reset-recording")
    recorder(moto_endpoint, "start-recording")
    try:
        rc, tasks = run_role(tmp_path, base_vars(moto_endpoint, **override))
    finally:
        recorder(moto_endpoint, "stop-recording")
    message = failure(tasks)
    assert rc != 0
    assert var in message and value in message and fix in message, message
    assert recorded_calls(moto_endpoint) == [], "an AWS call was made before validation"


def test_role_lifecycle_against_moto(moto_endpoint, tmp_path):
    iam, ssm = clients(moto_endpoint)
    variables = base_vars(moto_endpoint)
    plan = generated(variables)

    # Create everything.
    first = four_steps(
        tmp_path,
        variables,
        [
            "SAML provider is present",
            "Session Manager managed policy is present",
            "Federation role is present",
            "Session Manager preferences are present",
        ],
    )
    diff = next(r for n, r in first if n == "Session Manager preferences are present")
    assert '"runAsEnabled": true' in diff_of(diff)["after"]

    provider = iam.get_saml_provider(SAMLProviderArn=PROVIDER_ARN)
    assert provider["SAMLMetadataDocument"].strip() == METADATA.read_text().strip()
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["AssumeRolePolicyDocument"] == plan["trust_policy"]
    assert role["MaxSessionDuration"] == 28800
    assert {t["Key"]: t["Value"] for t in role.get("Tags", [])} == {"purpose": "ssm-runas"}
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [POLICY_ARN]
    version = iam.get_policy(PolicyArn=POLICY_ARN)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=POLICY_ARN, VersionId=version)
    assert document["PolicyVersion"]["Document"] == plan["permissions_policy"]
    inputs = preferences(ssm)
    assert inputs["runAsEnabled"] is True and inputs["runAsDefaultUser"] == "ssm-fallback"
    assert inputs["idleSessionTimeout"] == "20" and inputs["maxSessionDuration"] == "480"
    assert inputs["cloudWatchStreamingEnabled"] is True
    assert inputs["shellProfile"] == {"linux": "cd $HOME", "windows": ""}

    # An idempotent run only reads, and reads little.
    recorder(moto_endpoint, "reset-recording")
    recorder(moto_endpoint, "start-recording")
    try:
        rc, tasks = run_role(tmp_path, variables)
    finally:
        recorder(moto_endpoint, "stop-recording")
    calls = recorded_calls(moto_endpoint)
    assert rc == 0 and changed_tasks(tasks) == []
    writes = [c for c in calls if is_write(c[1])]
    assert writes == [], f"idempotent run wrote: {writes}"
    print(f"idempotent run: {len(calls)} API calls: {calls}")
    assert len(calls) <= MAX_IDEMPOTENT_CALLS, calls

    # Change: one preference, the audience list and the role tags; other inputs are kept,
    # but the default user and the Linux shell profile, left out, are the schema's again (a
    # name no instance resolves; a profile that moves sessions home), replacing what is stored.
    changed = base_vars(
        moto_endpoint,
        aws_federation_saml_audiences=[
            "https://signin.aws.amazon.com/saml",
            "https://us-east-1.signin.aws.amazon.com/saml",
        ],
    )
    changed["aws_federation_session_preferences"] = {"idle_session_timeout": 30}
    changed["aws_federation_roles"][0]["tags"] = {"purpose": "ssm-runas", "owner": "net"}
    first = four_steps(
        tmp_path, changed, ["Federation role is present", "Session Manager preferences are present"]
    )
    predicted = next(r for n, r in first if n == "Session Manager preferences are present")
    diff = diff_of(predicted)
    assert '"idleSessionTimeout": "20"' in diff["before"]
    assert '"idleSessionTimeout": "30"' in diff["after"]
    home = schema_default("aws.session_preferences.shell_profile.linux")
    assert {"input": "shellProfile.linux", "before": "cd $HOME", "after": home} in predicted[
        "changes"
    ]
    assert json.dumps(home) in diff["after"] and '"linux": "cd $HOME"' in diff["before"]
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["AssumeRolePolicyDocument"] == generated(changed)["trust_policy"]
    assert {t["Key"] for t in role["Tags"]} == {"purpose", "owner"}
    inputs = preferences(ssm)
    assert inputs["idleSessionTimeout"] == "30"
    assert inputs["runAsEnabled"] is True and inputs["maxSessionDuration"] == "480"
    assert inputs["runAsDefaultUser"] == "ssm-runas-untagged-denied"
    assert inputs["shellProfile"] == {"linux": home, "windows": ""}

    # Back to the first settings: SSM refuses content equal to an older version; still works.
    four_steps(tmp_path, variables, ["Session Manager preferences are present"])
    assert preferences(ssm)["idleSessionTimeout"] == "20"

    # Remove everything, twice.
    gone = dict(variables, aws_federation_state="absent")
    four_steps(
        tmp_path,
        gone,
        [
            "SAML provider is absent",
            "Session Manager managed policy is absent",
            "Federation role is absent",
            "Session Manager preferences are absent",
        ],
    )
    assert iam.list_saml_providers()["SAMLProviderList"] == []
    assert ROLE not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert POLICY_ARN not in [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    names = [
        d["Name"]
        for d in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])[
            "DocumentIdentifiers"
        ]
    ]
    assert "SSM-SessionManagerRunShell" not in names
