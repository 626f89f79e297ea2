"""The environment data model: declared once as a schema, checked once with every side's rules."""

import copy

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    check,
    group_names,
    role_inputs,
    schema_default,
    sudo_rules,
)

GOOD = {
    "realm": "example.test",
    "adfs": {},
    "groups": [
        {"name": "NetworkAdmins", "sudo": {"runas": "ALL", "nopasswd": True, "commands": ["ip"]}},
        {"name": "SysAdmins", "sudo": {"runas": "ALL:ALL", "commands": ["ALL"]}},
        {"name": "Auditors"},
    ],
    "aws": {"account_id": "123456789012", "federation_roles": [{"name": "Run-As"}]},
}
UNSET = "\0unset"


def with_change(path, value):
    model = copy.deepcopy(GOOD)
    node = model
    *parents, last = path
    for key in parents:
        node = node[key]
    node[last] = value
    return model


def errors_of(model):
    with pytest.raises(ModelError) as caught:
        check(model)
    return caught.value.errors


def test_defaults_are_filled_and_realm_normalised():
    out = check(GOOD)
    assert out["realm"] == "EXAMPLE.TEST"
    assert out["domain"] == "example.test"
    assert out["upn_suffix"] == "example.test"
    assert out["tag_key"] == "SSMSessionRunAs"
    assert out["ldap_attribute"] == "userPrincipalName"
    assert out["fully_qualified_names"] is True
    assert out["aws"]["policy_name"] == "EC2SSMPermissions"
    assert out["aws"]["federation_roles"][0]["max_session_duration"] == 3600
    assert out["adfs"] == {
        "mode": "winrm",
        "relying_party": "Amazon Web Services",
        "rule_name": "SSMSessionRunAs",
        "standard_rules": [],
    }
    assert out["groups"][0]["sudo"] == {"runas": "ALL", "nopasswd": True, "commands": ["ip"]}
    assert out["groups"][2]["sudo"] is None


def test_rule_name_follows_the_tag_key_unless_given():
    assert check(dict(GOOD, tag_key="RunAsUser"))["adfs"]["rule_name"] == "RunAsUser"
    changed = dict(GOOD, tag_key="RunAsUser", adfs={"rule_name": "Run as"})
    assert check(changed)["adfs"]["rule_name"] == "Run as"


@pytest.mark.parametrize(
    ("attribute", "suffix"),
    [("userPrincipalName", "example.test"), ("sAMAccountName", ""), ("mail", "")],
)
def test_tag_values_carry_the_upn_suffix_only_when_the_tag_is_the_upn(attribute, suffix):
    model = dict(GOOD, ldap_attribute=attribute)
    if attribute == "sAMAccountName":
        model["fully_qualified_names"] = False
    assert check(model)["tag_suffix"] == suffix


def test_sudo_rules_follow_groups_with_rights_in_order():
    assert sudo_rules(check(GOOD)) == [
        {"group": "NetworkAdmins", "runas": "ALL", "nopasswd": True, "commands": ["ip"]},
        {"group": "SysAdmins", "runas": "ALL:ALL", "nopasswd": False, "commands": ["ALL"]},
    ]


def test_group_names_include_groups_without_sudo():
    assert group_names(check(GOOD)) == ["NetworkAdmins", "SysAdmins", "Auditors"]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            dict(GOOD, upn_sufix="x"),
            "ssm_runas.upn_sufix is not a known key: did you mean upn_suffix?",
        ),
        (
            with_change(("groups", 1, "sudo"), {"comands": ["ALL"]}),
            "ssm_runas.groups[1].sudo.comands is not a known key: did you mean commands?",
        ),
        (
            with_change(("aws", "federation_roles", 0, "max_duration"), 3600),
            "ssm_runas.aws.federation_roles[0].max_duration is not a known key: did you mean "
            "max_session_duration?",
        ),
        (dict(GOOD, colour="red"), "ssm_runas.colour is not a known key: known keys are adfs,"),
    ],
)
def test_unknown_keys_are_refused_with_their_path_and_the_nearest_key(model, message):
    assert any(e.startswith(message) for e in errors_of(model)), errors_of(model)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("realm",), "", "ssm_runas.realm is required"),
        (("realm",), "EXAMPLE", 'ssm_runas.realm "EXAMPLE" is not a DNS-style realm'),
        (("upn_suffix",), "bad suffix", "ssm_runas.upn_suffix 'bad suffix': give the AD UPN"),
        (("tag_key",), "aws:RunAs", "ssm_runas.tag_key 'aws:RunAs': the 'aws:' prefix"),
        (("tag_key",), "SSM RunAs", "ssm_runas.tag_key 'SSM RunAs' contains ' ': a session"),
        (("tag_key",), "Run\\As", "ssm_runas.tag_key 'Run\\\\As' contains"),
        (("tag_key",), 12, "ssm_runas.tag_key 12 must be a string; quote it in YAML"),
        (("ldap_attribute",), "cn", 'ssm_runas.ldap_attribute "cn" must be one of'),
        (("aws", "account_id"), "12345", "ssm_runas.aws.account_id '12345': an AWS account id"),
        (("aws", "policy_name"), "EC2 SSM", "ssm_runas.aws.policy_name 'EC2 SSM': a managed"),
        (("fully_qualified_names",), "maybe", 'ssm_runas.fully_qualified_names "maybe" must be'),
        (("fully_qualified_names",), False, "ssm_runas.fully_qualified_names false cannot go"),
        (("groups",), [], "ssm_runas.groups [] must not be empty"),
        (("groups", 0, "name"), "Ops/Net", 'ssm_runas.groups[0].name "Ops/Net" contains "/"'),
        (("groups", 0, "name"), "Domain Admins,ALL", '"Domain Admins,ALL" contains ","'),
        (
            ("groups", 1, "name"),
            "networkadmins",
            'ssm_runas.groups[1].name "networkadmins" repeats',
        ),
        (("groups", 0, "name"), " NetworkAdmins", "leading or trailing spaces"),
        (("groups", 0, "name"), "evil\nALL ALL=(ALL) ALL", "contains a newline"),
        (("groups", 0, "sudo"), "ALL", 'ssm_runas.groups[0].sudo "ALL" must be a mapping'),
        (("groups", 2), "Auditors", 'ssm_runas.groups[2] "Auditors" must be a mapping'),
        (
            ("groups", 1, "sudo", "commands"),
            ["ALL", "/usr/bin/*"],
            'ssm_runas.groups[1].sudo.commands[1] "/usr/bin/*"',
        ),
        (("groups", 0, "sudo", "runas"), "root,bob", 'ssm_runas.groups[0].sudo.runas "root,bob"'),
        (("command_aliases",), {"nw": ["ip"]}, 'ssm_runas.command_aliases: alias name "nw"'),
        (("adfs", "mode"), "ssh", 'ssm_runas.adfs.mode "ssh" must be one of winrm, export'),
        (("adfs", "rule_name"), 'Run "as"', "ssm_runas.adfs.rule_name 'Run \"as\"' contains"),
        (
            ("aws", "session_preferences"),
            {"idle_session_timeout": 90},
            "ssm_runas.aws.session_preferences.idle_session_timeout",
        ),
    ],
)
def test_bad_values_name_the_path_the_user_wrote(path, value, message):
    errors = errors_of(with_change(path, value))
    assert any(message in e for e in errors), errors


def test_every_problem_is_reported_at_once():
    model = dict(GOOD, upn_sufix="x", ldap_attribute="cn")
    model["aws"] = dict(GOOD["aws"], region=5)
    assert len(errors_of(model)) == 3


def test_not_a_mapping():
    with pytest.raises(ModelError, match="ssm_runas must be a mapping"):
        check(["realm"])


MAPPING = {
    "demo_policy": {"from": "aws.policy_name"},
    "demo_roles": {"from": "aws.federation_roles"},
    "demo_rules": {"from": "sudo_rules", "default": []},
    "demo_tag": {"from": "tag_key"},
    "demo_rule_name": {"from": "adfs.rule_name", "same_as": "demo_tag"},
}


def inputs(model, **given):
    return role_inputs(model, MAPPING, [given.get(name, UNSET) for name in MAPPING], UNSET)


def test_role_inputs_come_from_the_model():
    got = inputs(GOOD)
    assert got["demo_policy"] == "EC2SSMPermissions"
    assert got["demo_rules"] == sudo_rules(check(GOOD))
    assert "permissions_boundary" not in got["demo_roles"][0]  # unset keys are left out


def test_a_role_variable_that_agrees_with_the_model_is_accepted():
    assert inputs(GOOD, demo_roles=[{"name": "Run-As"}])["demo_roles"][0]["path"] == "/"
    assert inputs(GOOD, demo_policy="EC2SSMPermissions")["demo_policy"] == "EC2SSMPermissions"


def test_a_role_variable_that_disagrees_with_the_model_is_an_error_naming_both():
    with pytest.raises(ModelError) as caught:
        inputs(GOOD, demo_policy="Mine", demo_rules=[])
    assert caught.value.errors == [
        'demo_policy is set to "Mine", but ssm_runas.aws.policy_name says "EC2SSMPermissions": '
        "say it in one place, remove demo_policy (the model's value is used) or change the model",
        'demo_rules is set to [], but ssm_runas.groups[].sudo says [{"runas": "ALL", '
        '"nopasswd": true, "commands": ["ip"], "group": "NetworkAdmins"}, {"runas": "ALL:ALL", '
        '"nopasswd": false, "commands": ["ALL"], "group": "SysAdmins"}]: say it in one place, '
        "remove demo_rules (the model's value is used) or change the model",
    ]


def test_without_a_model_role_variables_then_schema_defaults_then_role_defaults():
    got = inputs(None, demo_roles=[{"name": "R"}], demo_tag="RunAs")
    assert got == {
        "demo_policy": "EC2SSMPermissions",
        "demo_roles": [{"name": "R"}],
        "demo_rules": [],
        "demo_tag": "RunAs",
        "demo_rule_name": "RunAs",
    }


def test_without_a_model_an_input_with_no_default_is_required():
    with pytest.raises(ModelError, match="demo_roles is required when no ssm_runas data model"):
        inputs(None)


def test_schema_defaults_by_path():
    assert schema_default("aws.saml_audiences") == ["https://signin.aws.amazon.com/saml"]
    assert schema_default("adfs.mode") == "winrm"
    assert schema_default("aws.nothing", "fallback") == "fallback"
