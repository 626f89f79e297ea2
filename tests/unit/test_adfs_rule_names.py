"""Finding our rules by name in rule sets as AD FS returns them: behind a byte-order mark, and
under a @RuleName that differs from ours only in letter case. Either used to make upsert
append a second rule issuing the same claim."""

from pathlib import Path

import pytest
from adfs_strategies import ATTRS, SETTINGS, rule_bodies, rule_sets
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_rules as R
from hypothesis import assume, given
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures" / "adfs"
NEWLINES = {"lf": "\n", "crlf": "\r\n"}
BOM = "\ufeff"
STANDARD_NAMES = ["NameId", "RoleSessionName", "Get AD Groups", "Roles"]
# Names an administrator might give the run-as rule: spaces, punctuation the parser must not
# split on, comment openers, non-ASCII letters with case pairs.
ODD_NAMES = [
    "SSMSessionRunAs",
    "Run-as tag; => (UPN)",
    "run as // not a comment",
    "Sitzung für Ärzte",
    "Σύνοδος ρόλου",
    "Ǆemal ǈubljana",
]


def fixture(name, newline="\n"):
    return (FIXTURES / name).read_text().replace("\n", newline)


def runas(attr="userPrincipalName", name="SSMSessionRunAs", key="SSMSessionRunAs"):
    return R.runas_rule(name, key, attr)


def renamed(body, old, new):
    """The rule text with its @RuleName spelled ``new``, as someone may have typed it."""
    needle = f'@RuleName = "{old}"'
    assert needle in body
    return body.replace(needle, f'@RuleName = "{new}"', 1)


def recase(name, pick):
    """``name`` with each letter's case chosen by ``pick`` (0 keep, 1 upper, 2 lower), where
    that is a change of case only (the Kelvin sign lowers to 'k', which is another letter)."""
    out = []
    for c, p in zip(name, pick, strict=False):
        choice = (c, c.upper(), c.lower())[p]
        out.append(choice if len(choice) == 1 and R.name_key(choice) == R.name_key(c) else c)
    return "".join(out) + name[len(out) :]


# ---------------------------------------------------------------------------- byte-order mark


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
@pytest.mark.parametrize(
    ("fixture_name", "first", "template"),
    [("aws_standard.txt", "NameId", "MapClaims"), ("tricky.txt", "Email", "LdapClaims")],
)
def test_leading_bom_does_not_hide_the_first_rule(fixture_name, first, template, nl):
    plain = fixture(fixture_name, nl)
    ruleset = R.parse(BOM + plain)
    assert ruleset.names()[0] == first
    assert ruleset.rules[0].template == template
    assert ruleset.names() == R.parse(plain).names()
    assert ruleset.rules[0].lead == BOM
    assert ruleset.render() == BOM + plain


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (BOM, []),
        (BOM + "\r\n", []),
        (BOM + BOM, []),
        (BOM + '@RuleName = "a"\r\n => issue(claim = c);', ["a"]),
        (BOM + '// the AWS rules\r\n@RuleName = "a"\r\n => issue(claim = c);', ["a"]),
        ("\r\n" + BOM + '@RuleName = "a" => issue(claim = c);', ["a"]),
        (BOM + BOM + '@RuleName = "a" => issue(claim = c);', ["a"]),
        ('@RuleTemplate = "LdapClaims"\r\n' + BOM + '@RuleName = "a" => issue(claim = c);', ["a"]),
        (
            '@RuleName = "a" => issue(claim = c);' + BOM + '@RuleName = "b" => issue(claim = c);',
            ["a", "b"],
        ),
    ],
)
def test_bom_is_trivia_wherever_it_sits(text, names):
    ruleset = R.parse(text)
    assert ruleset.names() == names
    assert ruleset.render() == text


def test_bom_inside_a_rule_is_not_a_difference():
    body = runas().body("\r\n")
    assert R.same_rule(body, body.replace("\r\n => ", "\r\n" + BOM + " => "))


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_our_first_rule_behind_a_bom_is_updated_not_duplicated(nl):
    rest = fixture("aws_standard.txt", nl)
    text = BOM + runas("sAMAccountName").body(nl) + nl + nl + rest
    out = R.plan(text, [runas()])
    assert out["actions"] == [{"name": "SSMSessionRunAs", "action": "updated"}]
    assert out["after"] == BOM + runas().body(nl) + nl + nl + rest
    again = R.plan(out["after"], [runas()])
    assert again["actions"][0]["action"] == "unchanged" and not again["changed"]


@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
@pytest.mark.parametrize(
    ("after_ours", "expected_tail"),
    [
        # The next rule inherits the set's leading text, BOM included.
        ("{nl}{nl}" + "STANDARD", "STANDARD"),
        # The next rule has comments of its own: they stay, behind the BOM.
        ("{nl}// AWS sign-in{nl}" + "STANDARD", "{nl}// AWS sign-in{nl}STANDARD"),
        # Ours was the only rule: the BOM and the trailing newline stay.
        ("{nl}", "{nl}"),
    ],
)
def test_removing_our_first_rule_keeps_the_bom_first(after_ours, expected_tail, nl):
    standard = fixture("aws_standard.txt", nl)
    text = BOM + runas().body(nl) + after_ours.format(nl=nl).replace("STANDARD", standard)
    out = R.plan(text, [], absent=["SSMSessionRunAs"])
    assert out["actions"] == [{"name": "SSMSessionRunAs", "action": "removed"}]
    assert out["after"] == BOM + expected_tail.format(nl=nl).replace("STANDARD", standard)


@pytest.mark.parametrize(
    ("trailer", "lead", "tail"), [("", "", ""), ("\r\n", "", "\r\n"), (BOM, BOM, "")]
)
def test_rule_added_to_an_empty_set_behind_a_bom_comes_after_it(trailer, lead, tail):
    out = R.plan(BOM + trailer, [runas()])
    assert out["after"] == BOM + lead + runas().body() + tail


def test_standard_rule_inserted_first_keeps_the_bom_in_front():
    roles = R.standard_rules(["Roles"])[0].body("\r\n")
    out = R.plan(BOM + roles + "\r\n", R.standard_rules(STANDARD_NAMES))
    assert out["after"].startswith(BOM + '@RuleTemplate = "MapClaims"\r\n@RuleName = "NameId"')
    assert R.parse(out["after"]).names() == STANDARD_NAMES
    assert out["after"].count(BOM) == 1


@SETTINGS
@given(rule_sets())
def test_property_parse_render_identity_with_a_leading_bom(text):
    ruleset = R.parse(BOM + text)
    assert ruleset.render() == BOM + text
    assert ruleset.names() == R.parse(text).names()


@SETTINGS
@given(rule_sets(), ATTRS, st.booleans())
def test_property_a_leading_bom_changes_nothing_but_itself(text, attr, absent):
    desired, gone = ([], ["SSMSessionRunAs"]) if absent else ([runas(attr)], [])
    plain = R.plan(text, desired, gone)
    marked = R.plan(BOM + text, desired, gone)
    assert marked["after"] == BOM + plain["after"]
    assert marked["actions"] == plain["actions"]


# ---------------------------------------------------------------------------- letter case


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("SSMSessionRunAs", "ssmsessionrunas"),
        ("SSMSessionRunAs", "SSMSESSIONRUNAS"),
        ("SSMSessionRunAs", "sSmSeSsIoNrUnAs"),
        ("Run-as tag; => (UPN)", "RUN-AS TAG; => (upn)"),
        ("Sitzung für Ärzte", "SITZUNG FÜR ÄRZTE"),
        ("Σύνοδος ρόλου", "ΣΎΝΟΔΟΣ ΡΌΛΟΥ"),
        ("Ǆemal ǈubljana", "ǆemal ǉubljana"),
    ],
)
@pytest.mark.parametrize("nl", NEWLINES.values(), ids=NEWLINES.keys())
def test_rule_named_ours_in_another_case_is_updated_in_place(ours, theirs, nl):
    assert R.name_key(ours) == R.name_key(theirs)
    base = R.parse(fixture("tricky.txt", nl))
    old = renamed(runas("sAMAccountName", name=ours).body(nl), ours, theirs)
    base.rules.insert(2, R.Rule(nl + nl, old))
    text = base.render()
    out = R.plan(text, [runas(name=ours)])
    assert out["actions"] == [{"name": ours, "action": "updated"}]
    after = R.parse(out["after"])
    assert after.names()[2] == ours
    assert [R.name_key(n) for n in after.names()].count(R.name_key(ours)) == 1
    assert after.rules[2].body == runas(name=ours).body(nl)
    assert [r.body for i, r in enumerate(after.rules) if i != 2] == [
        r.body for i, r in enumerate(base.rules) if i != 2
    ]
    assert not R.plan(out["after"], [runas(name=ours)])["changed"]


def test_only_the_spelling_of_the_name_differs_is_still_a_change_to_our_spelling():
    text = renamed(runas().body("\r\n"), "SSMSessionRunAs", "ssmSessionRunAs")
    out = R.plan(text, [runas()])
    assert out["actions"][0]["action"] == "updated"
    assert out["after"] == runas().body("\r\n")


def test_case_variants_left_by_hand_collapse_into_the_first():
    body = runas().body("\n")
    variants = [renamed(body, "SSMSessionRunAs", n) for n in ("ssmsessionrunas", "SSMSESSIONRUNAS")]
    text = "\n\n".join([variants[0], fixture("aws_standard.txt").strip(), variants[1], body])
    out = R.plan(text + "\n", [runas()])
    assert R.parse(out["after"]).names() == ["SSMSessionRunAs", *STANDARD_NAMES]


def test_absent_removes_our_rule_in_any_case():
    text = renamed(runas().body("\n"), "SSMSessionRunAs", "SsmSessionRunas") + "\n"
    out = R.plan(text + fixture("aws_standard.txt"), [], absent=["SSMSessionRunAs"])
    assert out["actions"] == [{"name": "SSMSessionRunAs", "action": "removed"}]
    assert out["after"] == fixture("aws_standard.txt")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        # Names that only look alike are not the same name.
        ("SSMSessionRunAs", "SSMSessionRunAs2"),
        ("SSMSessionRunAs", "SSMSession RunAs"),
        # 'ß' has no one-character upper case: .NET's ToUpperInvariant keeps it, so do we.
        ("Straße", "STRASSE"),
    ],
)
def test_names_that_differ_in_more_than_case_are_not_ours(ours, theirs):
    assert R.name_key(ours) != R.name_key(theirs)
    text = renamed(runas(name=ours).body("\n"), ours, theirs)
    out = R.plan(text, [runas(name=ours)])
    assert out["actions"] == [{"name": ours, "action": "added"}]
    assert R.parse(out["after"]).names() == [theirs, ours]


@pytest.mark.parametrize("name", ["roles", "ROLES", "nameid", "get ad groups"])
def test_a_standard_rule_name_in_another_case_is_refused(name):
    with pytest.raises(R.AdfsRuleError, match="name of a standard AWS rule"):
        runas(name=name)


def test_verify_stored_matches_names_in_any_case():
    stored = renamed(runas().body(), "SSMSessionRunAs", "SSMSESSIONRUNAS")
    # AD FS would not re-spell a name, but a check must not count a re-spelled rule twice.
    assert R.verify_stored(stored, [runas()], []) == [
        "rule 'SSMSessionRunAs' is not stored as written (1 found)"
    ]
    assert R.verify_stored(stored, [], ["SSMSessionRunAs"]) == [
        "rule 'SSMSessionRunAs' is still present"
    ]


_odd_names = st.one_of(
    st.sampled_from(ODD_NAMES),
    st.text(
        st.characters(codec="utf-8", exclude_characters="\"\\'`", exclude_categories=["C"]),
        min_size=1,
        max_size=16,
    ),
)
_picks = st.lists(st.integers(0, 2), max_size=20)


def _valid(name):
    try:
        R.check_rule_name(name)
    except R.AdfsRuleError:
        return False
    return True


@SETTINGS
@given(rule_sets(), ATTRS, _odd_names, _picks)
def test_property_upsert_is_idempotent_under_case_changes_of_our_names(text, attr, name, pick):
    assume(_valid(name))
    once = R.plan(text, [runas(attr, name=name)])["after"]
    ruleset = R.parse(once)
    variant = recase(name, pick)
    for rule in ruleset.rules:
        if rule.key == R.name_key(name):
            rule.body = renamed(rule.body, name, variant)
    twice = R.plan(ruleset.render(), [runas(attr, name=name)])
    assert twice["after"] == once


@SETTINGS
@given(st.data(), ATTRS, _odd_names, _picks)
def test_property_a_case_variant_is_replaced_where_it_stands(data, attr, name, pick):
    assume(_valid(name))
    variant = recase(name, pick)
    others = data.draw(st.lists(rule_bodies(), max_size=4))
    assume(all(R.parse(b).rules[0].key != R.name_key(name) for b in others))
    at = data.draw(st.integers(0, len(others)))
    bodies = [*others[:at], data.draw(rule_bodies(name=variant)), *others[at:]]
    out = R.parse(R.plan("\n\n".join(bodies), [runas(attr, name=name)])["after"])
    keys = [r.key for r in out.rules]
    assert keys.count(R.name_key(name)) == 1
    assert keys.index(R.name_key(name)) == at
    assert out.names()[at] == name
