"""Table-driven tests of the IAM document generator and its input checks."""

import copy
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_documents as iam
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_model

METADATA = (
    Path(__file__).resolve().parents[1] / "integration" / "iam_eval" / "adfs-metadata.xml"
).read_text()
PROVIDER = "arn:aws:iam::123456789012:saml-provider/ADFS"
LAB_MODEL = Path(__file__).resolve().parents[2] / "inventories/lab/group_vars/all/ssm_runas.yml"


def spec(**extra):
    """A complete input, as the role hands it over (every key set)."""
    base = {
        "account_id": "123456789012",
        "saml_provider_name": "ADFS",
        "saml_metadata": METADATA,
        "tag_key": "SSMSessionRunAs",
        "upn_suffix": "example.test",
        "saml_audiences": ["https://signin.aws.amazon.com/saml"],
        "policy_name": "EC2SSMPermissions",
        "roles": [{"name": "ADFS-SSM-RunAs"}],
    }
    base.update(extra)
    return base


# What the role's filter call passes: each key named as the role variable.
LABELS = {
    key: "aws_federation_" + key
    for key in [
        *spec(),
        "state",
        "partition",
        "instance_tag",
        "allowed_tag_keys",
        "session_preferences",
    ]
}


BAD = [
    # (override, words that must appear in the message)
    ({"account_id": "12345"}, ["aws_federation_account_id", "'12345'", "12 digits"]),
    ({"account_id": 12345678901}, ["aws_federation_account_id", "12 digits"]),
    ({"account_id": None}, ["aws_federation_account_id", "12 digits"]),
    ({"saml_provider_name": "AD FS"}, ["aws_federation_saml_provider_name", "'AD FS'"]),
    ({"saml_provider_name": ""}, ["aws_federation_saml_provider_name"]),
    ({"tag_key": "aws:Run"}, ["aws_federation_tag_key", "reserved"]),
    ({"tag_key": "Run\\As"}, ["aws_federation_tag_key", "contains"]),
    ({"tag_key": "Run As"}, ["aws_federation_tag_key", "contains ' '", "claim type URI"]),
    ({"tag_key": "x" * 129}, ["aws_federation_tag_key", "at most 128"]),
    ({"upn_suffix": "*.test"}, ["aws_federation_upn_suffix", "without wildcards"]),
    ({"upn_suffix": "exa mple.test"}, ["aws_federation_upn_suffix"]),
    ({"saml_audiences": ["http://signin.aws.amazon.com/saml"]}, ["saml_audiences[0]", "https"]),
    ({"saml_audiences": ["https://*.aws.amazon.com/saml"]}, ["saml_audiences[0]", "wildcards"]),
    ({"allowed_tag_keys": ["ok", "aws:no"]}, ["aws_federation_allowed_tag_keys[1]"]),
    ({"policy_name": "has space"}, ["aws_federation_policy_name"]),
    ({"instance_tag": {"a": "1", "b": "2"}}, ["aws_federation_instance_tag", "exactly one"]),
    ({"roles": []}, ["aws_federation_roles", "at least one"]),
    ({"roles": [{"name": "a b"}]}, ["aws_federation_roles[0].name", "'a b'"]),
    ({"roles": [{"name": "r", "max_session_duration": 60}]}, ["max_session_duration", "3600"]),
    ({"roles": [{"name": "r", "colour": "red"}]}, ["aws_federation_roles[0]", "unknown keys"]),
    ({"roles": [{"name": "r", "permissions_boundary": "Boundary"}]}, ["permissions_boundary"]),
    ({"roles": [{"name": "r", "tags": {"k": 1}}]}, ["aws_federation_roles[0].tags.k", "quote"]),
    ({"roles": [{"name": "R"}, {"name": "r"}]}, ["unique"]),
    ({"state": "gone"}, ["aws_federation_state", "'gone'"]),
    ({"saml_metadata": ""}, ["aws_federation_saml_metadata", "FederationMetadata"]),
    ({"saml_metadata": "<x/>" * 300}, ["not well-formed XML"]),
    ({"saml_metadata": "<a>" + "x" * 1000 + "</a>"}, ["md:EntityDescriptor"]),
    ({"saml_metadata": "<?xml?>" + "x" * 10}, ["1000"]),
    (
        {"saml_metadata": METADATA.replace("IDPSSODescriptor", "SPSSODescriptor")},
        ["no IDPSSODescriptor"],
    ),
    (
        {"saml_metadata": '<!DOCTYPE x [<!ENTITY a "b">]>' + METADATA},
        ["DOCTYPE"],
    ),
    (
        {
            "saml_metadata": METADATA,
            "saml_metadata_source": "aws_federation_adfs_host",
            "account_id": "123456789012",
            "session_preferences": {"idle_session_timeout": 0},
        },
        ["aws_federation_session_preferences.idle_session_timeout", "1..60"],
    ),
]


@pytest.mark.parametrize(("override", "words"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_variable_value_and_fix(override, words):
    with pytest.raises(iam.FederationInputError) as err:
        iam.federation_plan(spec(**override), labels=LABELS)
    for word in words:
        assert word in str(err.value)


def test_metadata_is_not_needed_to_remove():
    plan = iam.federation_plan(spec(state="absent", saml_metadata=None))
    assert plan["saml_metadata"] is None


AUD_ONLY = {"StringEquals": {"SAML:aud": ["https://signin.aws.amazon.com/saml"]}}
TRUST = [
    # (override, expected Condition): always the run-as key alone unless more are declared,
    # and always transitive.
    (
        {"upn_suffix": ""},
        {
            **AUD_ONLY,
            "StringLike": {"aws:RequestTag/SSMSessionRunAs": ["?*"]},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["SSMSessionRunAs"]},
            "ForAnyValue:StringEquals": {"sts:TransitiveTagKeys": ["SSMSessionRunAs"]},
        },
    ),
    (
        {"upn_suffix": "@example.test", "allowed_tag_keys": []},
        {
            **AUD_ONLY,
            "StringLike": {"aws:RequestTag/SSMSessionRunAs": ["?*@example.test"]},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["SSMSessionRunAs"]},
            "ForAnyValue:StringEquals": {"sts:TransitiveTagKeys": ["SSMSessionRunAs"]},
        },
    ),
    (
        {
            "allowed_tag_keys": ["Department", "RunAs"],
            "tag_key": "RunAs",
            "saml_audiences": ["https://a/saml", "https://a/saml"],
        },
        {
            "StringEquals": {"SAML:aud": ["https://a/saml"]},
            "StringLike": {"aws:RequestTag/RunAs": ["?*@example.test"]},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["RunAs", "Department"]},
            "ForAnyValue:StringEquals": {"sts:TransitiveTagKeys": ["RunAs"]},
        },
    ),
]


@pytest.mark.parametrize(("override", "condition"), TRUST)
def test_trust_policy(override, condition):
    plan = iam.federation_plan(spec(**override))
    (statement,) = plan["trust_policy"]["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER}
    assert statement["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert statement["Condition"] == condition
    assert plan["roles"][0]["trust_policy"] == plan["trust_policy"]


def test_permissions_policy_has_the_walkthrough_statements():
    plan = iam.federation_plan(spec())
    sids = [s["Sid"] for s in plan["permissions_policy"]["Statement"]]
    assert sids == ["ListInstancesAndSessions", "StartSessionWithRunShell", "EndOwnSessions"]
    start = plan["permissions_policy"]["Statement"][1]
    assert start["Resource"] == [
        "arn:aws:ec2:*:123456789012:instance/*",
        "arn:aws:ssm:*:123456789012:document/SSM-SessionManagerRunShell",
    ]
    assert start["Condition"] == {
        "BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"},
        "StringLike": {"aws:PrincipalTag/SSMSessionRunAs": ["?*@example.test"]},
    }
    end = plan["permissions_policy"]["Statement"][2]
    # The walkthrough's own-session rule: the session's tag, not its name.
    assert end["Resource"] == "arn:aws:ssm:*:123456789012:session/*"
    assert end["Condition"] == {
        "StringEquals": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}
    }


def test_start_session_needs_a_non_empty_run_as_tag_without_a_suffix():
    plan = iam.federation_plan(spec(upn_suffix=None, tag_key="RunAs"))
    start = plan["permissions_policy"]["Statement"][1]
    assert start["Condition"]["StringLike"] == {"aws:PrincipalTag/RunAs": ["?*"]}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({}, "ssm-runas-untagged-denied"),
        ({"run_as_enabled": True, "run_as_default_user": None}, "ssm-runas-untagged-denied"),
        ({"run_as_enabled": True, "run_as_default_user": "ops"}, "ops"),
    ],
)
def test_run_as_default_user_defaults_to_a_name_that_resolves_nowhere(given, stored):
    plan = iam.federation_plan(spec(session_preferences=given))
    assert plan["session_preferences"]["run_as_default_user"] == stored


def test_instance_tag_scopes_start_session_to_tagged_instances():
    plan = iam.federation_plan(spec(instance_tag={"SessionManager": "enabled"}, partition="aws-cn"))
    tagged = plan["permissions_policy"]["Statement"][1]
    assert tagged["Resource"] == "arn:aws-cn:ec2:*:123456789012:instance/*"
    assert tagged["Condition"]["StringEquals"] == {"ssm:resourceTag/SessionManager": "enabled"}
    assert plan["policy_arn"] == "arn:aws-cn:iam::123456789012:policy/EC2SSMPermissions"


def test_roles_get_the_managed_policy_first_and_defaults():
    extra = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    roles = [
        {"name": "A", "managed_policies": [extra]},
        {"name": "B", "max_session_duration": 43200},
    ]
    plan = iam.federation_plan(spec(roles=roles))
    assert plan["roles"][0]["managed_policies"] == [plan["policy_arn"], extra]
    assert plan["roles"][1]["max_session_duration"] == 43200
    assert plan["roles"][1]["path"] == "/" and plan["roles"][1]["tags"] == {}


def test_plan_does_not_mutate_its_input():
    data = spec(roles=[{"name": "A"}])
    before = copy.deepcopy(data)
    iam.federation_plan(data)
    assert data == before


def test_the_lab_model_leaves_the_default_user_to_the_schema():
    """The lab's preferences name no default user (ssm-user has passwordless sudo); the
    checked model, and so the AWS side, gets the schema's name that resolves nowhere."""
    lab = yaml.safe_load(LAB_MODEL.read_text())["ssm_runas"]
    assert "run_as_default_user" not in lab["aws"]["session_preferences"]
    checked = runas_model.check(lab)
    prefs = runas_model.aws_plan_input(checked)["session_preferences"]
    assert prefs["run_as_default_user"] == "ssm-runas-untagged-denied"
