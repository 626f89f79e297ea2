"""The environment data model: one place that the AWS, ADFS and Linux sides derive from."""

import copy

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    group_names,
    normalize,
    sudo_rules,
)

GOOD = {
    "realm": "example.test",
    "groups": [
        {"name": "NetworkAdmins", "sudo": {"runas": "ALL", "nopasswd": True, "commands": ["ip"]}},
        {"name": "SysAdmins", "sudo": {"runas": "ALL:ALL", "commands": ["ALL"]}},
        {"name": "Auditors"},
    ],
    "aws": {"account_id": "123456789012"},
}


def with_change(path, value):
    model = copy.deepcopy(GOOD)
    node = model
    *parents, last = path
    for key in parents:
        node = node[key]
    node[last] = value
    return model


def test_defaults_are_filled_and_realm_normalised():
    out = normalize(GOOD)
    assert out["realm"] == "EXAMPLE.TEST"
    assert out["domain"] == "example.test"
    assert out["upn_suffix"] == "example.test"
    assert out["tag_key"] == "SSMSessionRunAs"
    assert out["ldap_attribute"] == "userPrincipalName"
    assert out["fully_qualified_names"] is True


@pytest.mark.parametrize(
    ("attribute", "suffix"),
    [("userPrincipalName", "example.test"), ("sAMAccountName", ""), ("mail", "")],
)
def test_tag_values_carry_the_upn_suffix_only_when_the_tag_is_the_upn(attribute, suffix):
    model = dict(GOOD, ldap_attribute=attribute)
    if attribute == "sAMAccountName":
        model["fully_qualified_names"] = False
    assert normalize(model)["tag_suffix"] == suffix


def test_sudo_rules_follow_groups_with_rights_in_order():
    assert sudo_rules(normalize(GOOD)) == [
        {"group": "NetworkAdmins", "runas": "ALL", "nopasswd": True, "commands": ["ip"]},
        {"group": "SysAdmins", "runas": "ALL:ALL", "commands": ["ALL"]},
    ]


def test_group_names_include_groups_without_sudo():
    assert group_names(normalize(GOOD)) == ["NetworkAdmins", "SysAdmins", "Auditors"]


def test_renaming_a_group_is_one_change():
    renamed = with_change(("groups", 0, "name"), "NetOps")
    model = normalize(renamed)
    assert sudo_rules(model)[0]["group"] == "NetOps"
    assert group_names(model)[0] == "NetOps"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("realm",), "", r"ssm_runas.realm is required"),
        (("realm",), "EXAMPLE", r"ssm_runas.realm 'EXAMPLE' is not a DNS-style realm"),
        (("upn_suffix",), "bad suffix", r"ssm_runas.upn_suffix 'bad suffix' is not a DNS"),
        (("tag_key",), "aws:RunAs", r"ssm_runas.tag_key 'aws:RunAs': the 'aws:' prefix"),
        (("tag_key",), "Run\\As", r"ssm_runas.tag_key 'Run.*As': a session tag key is 1-128"),
        (("tag_key",), "k" * 129, r"a session tag key is 1-128 letters"),
        (("ldap_attribute",), "cn", r"ssm_runas.ldap_attribute 'cn' must be one of"),
        (("aws", "account_id"), "12345", r"ssm_runas.aws.account_id '12345': .* exactly 12 digits"),
        (("fully_qualified_names",), "yes", r"must be true or false"),
        (("fully_qualified_names",), False, r"cannot be false while the tag carries"),
        (("groups",), [], r"ssm_runas.groups must be a non-empty list"),
        (("groups", 0, "name"), "Domain Admins,ALL", r"groups\[0\].name .* contains ','"),
        (("groups", 1, "name"), "networkadmins", r"groups\[1\].name .* repeats groups\[0\]"),
        (("groups", 0, "name"), " NetworkAdmins", r"leading or trailing spaces"),
        (("groups", 0, "name"), "evil\nALL ALL=(ALL) ALL", r"contains"),
        (("groups", 0, "sudo"), "ALL", r"groups\[0\].sudo 'ALL' must be a mapping"),
        (("groups", 2), "Auditors", r"groups\[2\] 'Auditors' must be a mapping"),
    ],
)
def test_bad_models_are_rejected_with_path_value_and_fix(path, value, message):
    with pytest.raises(ModelError, match=message):
        normalize(with_change(path, value))


def test_not_a_mapping():
    with pytest.raises(ModelError, match="ssm_runas must be a mapping"):
        normalize(["realm"])
