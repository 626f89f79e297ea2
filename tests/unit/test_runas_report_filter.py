"""The report's filters as verify.yml calls them: raw model in, registered results in."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.federated.ssm_runas.plugins.filter import runas_report as flt
from runas_report_env import (
    ALIASES,
    AWS_FAILED_WHEN_FALSE,
    UNREACHABLE,
    VERIFY_NAMES,
    account,
    env,
    user,
)

RAW_MODEL = {
    "realm": "EXAMPLE.TEST",
    "command_aliases": ALIASES,
    "groups": [
        {
            "name": "NetworkAdmins",
            "sudo": {"runas": "ALL", "nopasswd": True, "commands": ["NW_CMDS"]},
        }
    ],
    "aws": {"account_id": "123456789012", "federation_roles": [{"name": "ADFS-SSMRunAs"}]},
}


def _call(e, **kw):
    return flt.runas_report(
        e["directory"],
        RAW_MODEL,
        accounts=e["accounts"],
        instances=e["instances"],
        command_aliases=ALIASES,
        env="lab",
        generated_at="2026-11-01T00:00:00Z",
        **kw,
    )


def test_verify_call_is_green_and_takes_the_callers_names():
    report = _call(env(), expect={}, **VERIFY_NAMES)
    assert report["summary"]["green"] == 1 and report["unread"] == []
    e = env(instances={"i1": UNREACHABLE}, accounts={"acct": AWS_FAILED_WHEN_FALSE})
    report = _call(e, **VERIFY_NAMES)
    assert report["summary"]["unknown"] == 1
    assert "ssm_runas_aws_connection" in report["users"][0]["first_failure"]["fix"]
    assert {u["host"] for u in report["unread"]} == {"acct", "i1"}


def test_without_names_the_fixes_are_neutral():
    report = _call(env(accounts={}))
    assert "the AWS account hosts" in report["users"][0]["first_failure"]["fix"]


def test_a_bad_model_fails_naming_the_model():
    with pytest.raises(AnsibleFilterError, match="ssm_runas"):
        flt.runas_report(env()["directory"], [], accounts={"a": account()})


def test_a_bad_expectation_fails_naming_the_callers_variable():
    with pytest.raises(AnsibleFilterError, match=r"runas_report_expect\.bob 'claims'"):
        _call(env(), expect={"bob": "claims"}, expect_var="runas_report_expect")


def test_tags_are_the_claim_values_of_found_users_once_each():
    users = [user(), user("bob2", upn="bob@example.test"), user("x", found=False)]
    directory = env(users=users)["directory"]
    assert flt.runas_report_tags(directory, RAW_MODEL) == ["bob@example.test"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_every_format_renders(fmt):
    assert "bob" in flt.runas_report_render(_call(env()), fmt)


def test_an_unknown_format_names_the_choices():
    with pytest.raises(AnsibleFilterError, match="table, markdown or json"):
        flt.runas_report_render(_call(env()), "html")
