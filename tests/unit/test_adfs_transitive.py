"""The second run-as rule: TransitiveTagKeys names the run-as tag key, issued only for users the
run-as rule sends the tag for, kept right after that rule and managed with it by name."""

import re
from pathlib import Path

import pytest
from adfs_strategies import ATTRS, SETTINGS, rule_sets
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_rules as R
from hypothesis import given
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures" / "adfs"
NEWLINES = {"lf": "\n", "crlf": "\r\n"}
STANDARD_NAMES = ["NameId", "RoleSessionName", "Get AD Groups", "Roles"]
TAG = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
TRANSITIVE = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"


def fixture(name, newline="\n"):
    return (FIXTURES / name).read_text().replace("\n", newline)


def ours(attr="userPrincipalName", name="SSMSessionRunAs", key="SSMSessionRunAs"):
    return [R.runas_rule(name, key, attr), R.transitive_rule(name, key)]


def names(text):
    return R.parse(text).names()


# ---------------------------------------------------------------------------- claims engine

_ANNOTATIONS = re.compile(r'^(?:\s*@\w+\s*=\s*"[^"]*")*')
_LDAP = re.compile(
    r'c:\[Type == "(?P<cond>[^"]+)", Issuer == "AD AUTHORITY"\] => (?P<verb>issue|add)\('
    r'store = "Active Directory", types = \("(?P<type>[^"]+)"\), query = ";(?P<attr>\w+);\{0\}", '
    r"param = c\.Value\);"
)
_EXISTS = re.compile(
    r'EXISTS\(\[Type == "(?P<cond>[^"]+)"\]\) => issue\(Type = "(?P<type>[^"]+)", '
    r'Value = "(?P<value>[^"]*)"\);'
)


def claims_engine(text, user):
    """AD FS's claims engine for exactly the rule shapes we render, as "The Role of the Claims
    Engine" and "The Role of the Claim Rule Language" describe it: rules run once each, in
    order, over one shared input claim set; issue() adds to the input and the output set,
    add() to the input set only; the AD store yields one claim per attribute value. Rules of
    other shapes (other people's) issue nothing here."""
    claims = [(R.WINDOWS_ACCOUNT_NAME, user["account"])]
    issued = []
    for rule in R.parse(text).rules:
        body = " ".join(_ANNOTATIONS.sub("", rule.body).split())
        verb = "issue"
        if m := _LDAP.fullmatch(body):
            verb = m["verb"]
            values = user.get(m["attr"], []) if any(t == m["cond"] for t, _value in claims) else []
            new = [(m["type"], v) for v in values]
        elif m := _EXISTS.fullmatch(body):
            new = [(m["type"], m["value"])] if any(t == m["cond"] for t, _value in claims) else []
        else:
            continue
        claims += new
        if verb == "issue":
            issued += new
    out = {}
    for claim_type, value in issued:
        out.setdefault(claim_type, []).append(value)
    return out


BOB = {"account": "EXAMPLE\\bob", "userPrincipalName": ["bob@example.test"]}
NOBODY = {"account": "EXAMPLE\\svc-web"}
TWO_MAILS = {"account": "EXAMPLE\\carol", "mail": ["carol@example.test", "c@example.test"]}


@pytest.mark.parametrize(
    ("user", "attr", "expected"),
    [
        (
            BOB,
            "userPrincipalName",
            {TAG + "SSMSessionRunAs": ["bob@example.test"], TRANSITIVE: ["SSMSessionRunAs"]},
        ),
        # No run-as attribute, no tag: and then no TransitiveTagKeys naming a tag never sent.
        (NOBODY, "userPrincipalName", {}),
        (BOB, "mail", {}),
        # EXISTS issues the key once, however many tag values the store returns.
        (
            TWO_MAILS,
            "mail",
            {TAG + "SSMSessionRunAs": TWO_MAILS["mail"], TRANSITIVE: ["SSMSessionRunAs"]},
        ),
    ],
)
def test_transitive_key_is_issued_exactly_when_the_tag_is(user, attr, expected):
    text = R.plan(fixture("aws_standard.txt", "\r\n"), ours(attr))["after"]
    sent = claims_engine(text, user)
    assert {t: v for t, v in sent.items() if t.startswith((TAG, TRANSITIVE))} == expected


def test_in_the_wrong_order_the_transitive_rule_would_never_fire():
    runas, transitive = ours()
    # Why the rule carries `after`: AD FS runs rules top to bottom.
    text = transitive.body() + "\r\n\r\n" + runas.body()
    assert claims_engine(text, BOB) == {TAG + "SSMSessionRunAs": ["bob@example.test"]}
    fixed = R.plan(text, ours())["after"]
    assert claims_engine(fixed, BOB)[TRANSITIVE] == ["SSMSessionRunAs"]


# ---------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("rule_name", "key"),
    [
        ("SSMSessionRunAs", "SSMSessionRunAs"),
        ("Run-as tag; => (UPN)", "a.b:c/d=e+f-g@h_i"),
        ("Sitzung für Ärzte", "Ünïcode9"),
        ("x", "k" * 128),
    ],
)
def test_transitive_rule_names_the_key_the_run_as_rule_sends(rule_name, key):
    runas, transitive = ours(name=rule_name, key=key)
    assert transitive.name == rule_name + "-Transitive" == R.transitive_rule_name(rule_name)
    assert transitive.after == rule_name
    assert transitive.lines == (
        f'@RuleName = "{rule_name}-Transitive"',
        f'EXISTS([Type == "{TAG}{key}"])',
        f' => issue(Type = "{TRANSITIVE}", Value = "{key}");',
    )
    assert f'types = ("{TAG}{key}")' in runas.body()
    assert names(transitive.body()) == [transitive.name]
    assert R.parse(transitive.body()).rules[0].template is None  # a custom rule


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("SSMSessionRunAs", "Run As"), "tag_key 'Run As' contains ' '"),
        (("SSMSessionRunAs", 'a"b'), "contains '\"'"),
        (('Run "as"', "SSMSessionRunAs"), "AD FS rule names are quoted strings"),
        (("roles", "SSMSessionRunAs"), "standard AWS rule"),
    ],
)
def test_transitive_rule_checks_its_inputs(args, needle):
    with pytest.raises(R.AdfsRuleError, match=re.escape(needle)):
        R.transitive_rule(*args)


# ---------------------------------------------------------------------------- placement


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_both_rules_go_after_the_standard_rules(nl):
    out = R.plan(fixture("aws_standard.txt", nl), ours())
    assert [a["action"] for a in out["actions"]] == ["added", "added"]
    assert names(out["after"]) == [*STANDARD_NAMES, "SSMSessionRunAs", "SSMSessionRunAs-Transitive"]
    assert out["after"].startswith(fixture("aws_standard.txt", nl).rstrip())
    assert [r.body for r in R.parse(out["after"]).rules[-2:]] == [d.body(nl) for d in ours()]


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_transitive_rule_is_added_right_after_a_run_as_rule_in_the_middle(nl):
    rs = R.parse(fixture("tricky.txt", nl))
    rs.rules.insert(2, R.Rule(nl + nl, ours()[0].body(nl)))
    before = rs.render()
    out = R.plan(before, ours())
    assert out["actions"] == [
        {"name": "SSMSessionRunAs", "action": "unchanged"},
        {"name": "SSMSessionRunAs-Transitive", "action": "added"},
    ]
    after = R.parse(out["after"])
    assert after.names()[2:4] == ["SSMSessionRunAs", "SSMSessionRunAs-Transitive"]
    # The rule after it keeps its own leading comment.
    assert after.rules[4].lead == rs.rules[3].lead
    assert [r.body for r in after.rules if r.name != "SSMSessionRunAs-Transitive"] == [
        r.body for r in rs.rules
    ]


@pytest.mark.parametrize(
    ("order", "action", "result"),
    [
        # Dragged above the run-as rule by hand: moved back right after it.
        (["T", "Roles", "R"], "updated", ["Roles", "R", "T"]),
        # Anywhere after the run-as rule is fine: left where it is.
        (["R", "Roles", "T"], "unchanged", ["R", "Roles", "T"]),
        # Duplicates on both sides of the run-as rule: one remains, after it.
        (["T", "R", "T"], "updated", ["R", "T"]),
    ],
)
def test_transitive_rule_stays_after_the_run_as_rule(order, action, result):
    runas, transitive = ours()
    roles = R.standard_rules(["Roles"])[0]
    bodies = {"R": runas.body(), "T": transitive.body(), "Roles": roles.body()}
    label = {"SSMSessionRunAs": "R", "SSMSessionRunAs-Transitive": "T", "Roles": "Roles"}
    text = "\r\n\r\n".join(bodies[o] for o in order) + "\r\n"
    out = R.plan(text, ours())
    assert out["actions"][1] == {"name": transitive.name, "action": action}
    assert [label[n] for n in names(out["after"])] == result
    assert not R.plan(out["after"], ours())["changed"]
    assert R.verify_stored(out["after"], ours(), []) == []


def test_transitive_rule_in_another_case_with_an_old_key_is_updated_in_place():
    runas, _transitive = ours()
    old = R.transitive_rule("SSMSessionRunAs", "OldKey").body()
    old = old.replace("SSMSessionRunAs-Transitive", "ssmsessionrunas-TRANSITIVE")
    text = runas.body() + "\r\n\r\n" + old + "\r\n\r\n" + fixture("aws_standard.txt", "\r\n")
    out = R.plan(text, ours())
    assert out["actions"][1]["action"] == "updated"
    assert names(out["after"]) == ["SSMSessionRunAs", "SSMSessionRunAs-Transitive", *STANDARD_NAMES]
    assert "OldKey" not in out["after"]


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_absent_removes_both_and_nothing_else(nl):
    base = fixture("tricky.txt", nl)
    added = R.plan(base, ours())["after"]
    gone = [d.name for d in ours()]
    out = R.plan(added, [], absent=gone)
    assert [a["action"] for a in out["actions"]] == ["removed", "removed"]
    assert out["after"] == base


def test_verify_stored_reports_a_transitive_rule_stored_first():
    runas, transitive = ours()
    stored = transitive.body() + "\r\n\r\n" + runas.body()
    assert R.verify_stored(stored, ours(), []) == [
        "rule 'SSMSessionRunAs-Transitive' is stored before rule 'SSMSessionRunAs'"
    ]


# ---------------------------------------------------------------------------- properties


@SETTINGS
@given(rule_sets(), ATTRS, st.sampled_from(["SSMSessionRunAs", "Run-as ÄÖ; => x"]))
def test_property_one_of_each_in_order_and_idempotent(text, attr, name):
    desired = ours(attr, name=name)
    once = R.plan(text, desired)
    keys = [r.key for r in R.parse(once["after"]).rules]
    runas_key, transitive_key = (R.name_key(d.name) for d in desired)
    assert keys.count(runas_key) == keys.count(transitive_key) == 1
    assert keys.index(runas_key) < keys.index(transitive_key)
    twice = R.plan(once["after"], desired)
    assert not twice["changed"] and twice["after"] == once["after"]
    removed = R.plan(once["after"], [], absent=[d.name for d in desired])["after"]
    keep = [r.body for r in R.parse(text).rules if r.key not in (runas_key, transitive_key)]
    assert [r.body for r in R.parse(removed).rules] == keep
