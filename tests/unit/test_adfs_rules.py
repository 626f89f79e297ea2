"""AD FS rule set parser/renderer: tables on rule sets as AD FS returns them, plus properties."""

from pathlib import Path

import pytest
from adfs_strategies import ATTRS as _attrs
from adfs_strategies import SETTINGS as _settings
from adfs_strategies import rule_sets
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_rules as R
from hypothesis import given
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures" / "adfs"
NEWLINES = {"lf": "\n", "crlf": "\r\n"}


def fixture(name, newline="\n"):
    return (FIXTURES / name).read_text().replace("\n", newline)


def runas(attr="userPrincipalName", name="SSMSessionRunAs", key="SSMSessionRunAs"):
    return R.runas_rule(name, key, attr)


def bodies_except(text, name):
    return [r.body for r in R.parse(text).rules if r.name != name]


# ---------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
@pytest.mark.parametrize(
    ("fixture_name", "names", "templates"),
    [
        (
            "aws_standard.txt",
            ["NameId", "RoleSessionName", "Get AD Groups", "Roles"],
            ["MapClaims", "LdapClaims", None, None],
        ),
        (
            "tricky.txt",
            [
                "Email",
                "Display name; with a semicolon => and an arrow",
                "Pass groups",
                None,
                "No condition",
                None,
            ],
            ["LdapClaims", "LdapClaims", "PassThroughClaims", None, None, None],
        ),
    ],
)
def test_fixture_parses_into_named_rules(fixture_name, names, templates, nl):
    text = fixture(fixture_name, nl)
    ruleset = R.parse(text)
    assert ruleset.names() == names
    assert [r.template for r in ruleset.rules] == templates
    assert ruleset.render() == text
    assert ruleset.newline() == nl
    assert all(r.body.endswith(";") for r in ruleset.rules)


@pytest.mark.parametrize(
    ("text", "count", "names"),
    [
        ("", 0, []),
        ("\r\n", 0, []),
        ("  // only a comment\n", 0, []),
        ('@RuleName = "a"\n=> issue(claim = c);', 1, ["a"]),
        ('@RuleName="tight"=>issue(Type="t",Value="v");', 1, ["tight"]),
        (
            'c:[Type == "x;y"] => issue(claim = c);c:[Type == "=>"] => issue(claim = c);',
            2,
            [None] * 2,
        ),
        ('@RuleName = "a" /* c; */ => issue(Value = "//;");\n\n', 1, ["a"]),
        ('@RuleTemplate = "x"\n@RuleName = "x"\n=> issue(Value = "\\");', 1, ["x"]),
        (";", 1, [None]),
    ],
)
def test_edge_rule_sets(text, count, names):
    ruleset = R.parse(text)
    assert len(ruleset.rules) == count
    assert ruleset.names() == names
    assert ruleset.render() == text


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('@RuleName = "a\n=> issue(claim = c);', "line 1, column 1"),
        ('@RuleName = "a"\n=> issue(claim = c)', "line 1, column 1"),
        ("=> issue(claim = c);\n/* never closed ;", "line 2, column 1"),
        ('=> issue(claim = c);\n\n   c:[Type == "x"] => issue(claim = c)', "line 3, column 4"),
    ],
)
def test_unparseable_rule_set_names_line_and_column(text, where):
    with pytest.raises(R.AdfsRuleError, match=where):
        R.parse(text)


def test_semicolon_and_arrow_inside_strings_and_comments_do_not_split():
    rules = R.parse(fixture("tricky.txt")).rules
    assert '"a;b=>c // not a comment"' in rules[4].body
    assert rules[3].lead.strip().startswith("/* A rule without annotations;")
    assert rules[2].lead.strip().startswith("// Groups pass through;")


def test_tokens_ignore_whitespace_and_comments_but_not_strings():
    a = 'c:[Type == "x"]\r\n => issue(claim = c);'
    assert R.same_rule(a, 'c:[Type=="x"]=>issue(claim=c); // reflowed')
    assert R.same_rule(a, '/* lead */ c:[Type ==\n"x"]\n\n=>  issue( claim = c ) ;')
    assert not R.same_rule(a, 'c:[Type == "x "] => issue(claim = c);')
    assert not R.same_rule("=> issue(Value = a);", "=> issue(Value = b);")


# ---------------------------------------------------------------------------- editing


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_upsert_appends_after_standard_rules_and_keeps_them_byte_for_byte(nl):
    text = fixture("aws_standard.txt", nl)
    out = R.plan(text, [runas()])
    assert out["actions"] == [{"name": "SSMSessionRunAs", "action": "added"}]
    after = R.parse(out["after"])
    assert after.names() == [
        "NameId",
        "RoleSessionName",
        "Get AD Groups",
        "Roles",
        "SSMSessionRunAs",
    ]
    assert out["after"].startswith(text.rstrip())
    assert bodies_except(out["after"], "SSMSessionRunAs") == bodies_except(text, "x")
    ours = after.rules[-1].body
    assert ours == runas().body(nl)
    assert (
        "https://aws.amazon.com/SAML/Attributes/PrincipalTag:SSMSessionRunAs" in ours
        and ";userPrincipalName;{0}" in ours
    )
    if nl == "\n":
        assert "\r" not in out["after"]


def test_upsert_into_empty_rule_set_is_just_the_rule():
    out = R.plan("", [runas()])
    assert out["after"] == runas().body("\r\n")
    assert out["changed"]


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_changed_attribute_replaces_in_place(nl):
    text = R.plan(fixture("tricky.txt", nl), [runas("sAMAccountName")])["after"]
    # put ours in the middle, as an admin might have done by hand
    rs = R.parse(text)
    rs.rules.insert(2, rs.rules.pop())
    text = rs.render()
    out = R.plan(text, [runas("mail")])
    assert out["actions"][0]["action"] == "updated"
    after = R.parse(out["after"])
    assert after.names()[2] == "SSMSessionRunAs"
    assert ";mail;{0}" in after.rules[2].body
    assert bodies_except(out["after"], "SSMSessionRunAs") == bodies_except(text, "SSMSessionRunAs")


def test_equivalent_rule_reflowed_by_adfs_is_unchanged_and_untouched():
    reflowed = runas().body("\n").replace("\n => ", "\n=> ").replace(", ", ",  ")
    text = fixture("aws_standard.txt") + reflowed + "\n"
    out = R.plan(text, [runas()])
    assert out["actions"][0]["action"] == "unchanged"
    assert not out["changed"]
    assert out["after"] == text


def test_duplicates_left_by_append_collapse_into_the_first():
    old = runas("sAMAccountName").body("\r\n")
    text = "\r\n\r\n".join([old, fixture("aws_standard.txt", "\r\n").strip(), old, old]) + "\r\n"
    out = R.plan(text, [runas()])
    assert out["actions"][0]["action"] == "updated"
    after = R.parse(out["after"])
    assert after.names() == [
        "SSMSessionRunAs",
        "NameId",
        "RoleSessionName",
        "Get AD Groups",
        "Roles",
    ]
    assert after.rules[0].body == runas().body("\r\n")


def test_single_equivalent_rule_plus_duplicate_is_a_change():
    text = runas().body("\n") + "\n\n" + runas().body("\n")
    out = R.plan(text, [runas()])
    assert out["changed"] and R.parse(out["after"]).names() == ["SSMSessionRunAs"]


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_remove_takes_only_ours(nl):
    base = fixture("tricky.txt", nl)
    with_ours = R.plan(base, [runas()])["after"]
    out = R.plan(with_ours, [], absent=["SSMSessionRunAs"])
    assert out["actions"] == [{"name": "SSMSessionRunAs", "action": "removed"}]
    assert out["after"] == base
    assert bodies_except(out["after"], None) == bodies_except(base, None)
    again = R.plan(out["after"], [], absent=["SSMSessionRunAs"])
    assert again["actions"][0]["action"] == "absent" and not again["changed"]


def test_remove_first_rule_keeps_the_set_from_starting_with_blank_lines():
    text = R.plan("", [runas()])["after"] + "\r\n\r\n" + fixture("aws_standard.txt", "\r\n")
    out = R.plan(text, [], absent=["SSMSessionRunAs"])
    assert out["after"] == fixture("aws_standard.txt", "\r\n")


def test_standard_rules_go_in_aws_order_around_existing_ones():
    roles_only = R.standard_rules(["Roles"])[0].body("\n")  # an admin made only this one
    out = R.plan(roles_only + "\n", [*R.standard_rules(list(R.STANDARD_RULES)), runas()])
    assert R.parse(out["after"]).names() == [
        "NameId",
        "RoleSessionName",
        "Get AD Groups",
        "Roles",
        "SSMSessionRunAs",
    ]
    assert [a["action"] for a in out["actions"]] == ["added"] * 3 + ["unchanged", "added"]


def test_standard_rules_rendered_match_the_walkthrough_shape():
    rules = {d.name: d.body("\n") for d in R.standard_rules(list(R.STANDARD_RULES))}
    assert set(rules) == set(R.STANDARD_RULES)
    assert "nameid-format:persistent" in rules["NameId"]
    assert ";mail;{0}" in rules["RoleSessionName"]
    assert "add(store" in rules["Get AD Groups"] and ";tokenGroups;{0}" in rules["Get AD Groups"]
    assert "arn:aws:iam::$1:saml-provider/ADFS,arn:aws:iam::$1:role/" in rules["Roles"]
    for text in rules.values():
        assert R.parse(text).names() == [R.parse(text).rules[0].name]


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: runas(attr="User Principal Name"), "spelled userPrincipalName"),
        (lambda: runas(attr="displayName"), "use one of userPrincipalName, sAMAccountName, mail"),
        (lambda: runas(key="SSM Run As"), "contains ' '"),
        (lambda: runas(key='Run"As'), "contains '\"'"),
        (lambda: runas(key="aws:RunAs"), "reserved by AWS"),
        (lambda: runas(key="k" * 129), "at most 128"),
        (lambda: runas(name='Run "as"'), "AD FS rule names are quoted strings"),
        (lambda: runas(name="a\\b"), "quotes, backslashes"),
        (lambda: runas(name=""), "rule_name is empty"),
        (lambda: R.standard_rules(["Groups"]), "choose from NameId"),
        (lambda: R.standard_rules(["Roles"], saml_provider="A/B"), "saml_provider_name"),
        (lambda: R.standard_rules(["Roles"], group_prefix="AWS.*"), "group_prefix"),
    ],
)
def test_bad_input_names_variable_value_and_fix(call, needle):
    with pytest.raises(R.AdfsRuleError) as err:
        call()
    assert needle in str(err.value)


def test_tag_key_accepts_the_sts_character_class():
    for key in ("SSMSessionRunAs", "a.b:c/d=e+f-g@h_i", "Ünïcode9"):
        assert R.check_tag_key(key) == key


def test_error_names_the_role_variable_when_prefixed():
    with pytest.raises(R.AdfsRuleError, match=r"^adfs_claims_ldap_attribute 'cn'"):
        R.runas_rule("SSMSessionRunAs", "SSMSessionRunAs", "cn", prefix="adfs_claims_")


# ---------------------------------------------------------------------------- properties


@_settings
@given(rule_sets())
def test_property_render_of_parse_is_identity(text):
    assert R.parse(text).render() == text


@_settings
@given(rule_sets(), _attrs)
def test_property_upsert_keeps_every_other_rule_exactly(text, attr):
    out = R.plan(text, [runas(attr)])
    before = [r for r in R.parse(text).rules if r.name != "SSMSessionRunAs"]
    after = [r for r in R.parse(out["after"]).rules if r.name != "SSMSessionRunAs"]
    assert [r.body for r in after] == [r.body for r in before]
    assert R.parse(out["after"]).names().count("SSMSessionRunAs") == 1


@_settings
@given(rule_sets(), _attrs)
def test_property_upsert_twice_equals_upsert_once(text, attr):
    once = R.plan(text, [runas(attr)])
    twice = R.plan(once["after"], [runas(attr)])
    assert twice["after"] == once["after"]
    assert not twice["changed"]


@_settings
@given(rule_sets(), _attrs)
def test_property_remove_after_upsert_leaves_the_others(text, attr):
    added = R.plan(text, [runas(attr)])["after"]
    removed = R.plan(added, [], absent=["SSMSessionRunAs"])["after"]
    keep = [r.body for r in R.parse(text).rules if r.name != "SSMSessionRunAs"]
    assert [r.body for r in R.parse(removed).rules] == keep


@_settings
@given(st.lists(st.sampled_from(R.STANDARD_RULES), unique=True), rule_sets())
def test_property_standard_rules_end_in_aws_order(names, text):
    ours = R.standard_rules(names)
    out = R.parse(R.plan(text, ours)["after"])
    got = [n for n in out.names() if n in R.STANDARD_RULES]
    # Standard rules already present keep their place; a fresh set comes out in AWS order.
    if not any(n in R.STANDARD_RULES for n in R.parse(text).names()):
        assert got == [n for n in R.STANDARD_RULES if n in names]
