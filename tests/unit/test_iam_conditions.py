"""The trust-policy evaluator: table-driven over every operator our trust policies use.

CASES is also run through @cloud-copilot/iam-simulate by
tests/integration/test_report_evaluator_agreement.py, so each expectation here is checked
against the real evaluator's semantics, not only against this file.
"""

import copy

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_conditions as ic
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    trust_policy,
)

PROVIDER = "arn:aws:iam::123456789012:saml-provider/ADFS"
OTHER_PROVIDER = "arn:aws:iam::123456789012:saml-provider/Okta"
ROLE = "arn:aws:iam::123456789012:role/ADFS-SSMRunAs"
AUD = "https://signin.aws.amazon.com/saml"
KEY = "SSMSessionRunAs"

GENERATED = trust_policy(PROVIDER, [AUD], KEY, "@example.test")
GENERATED_NO_SUFFIX = trust_policy(PROVIDER, [AUD], KEY)
GENERATED_DEPT = trust_policy(PROVIDER, [AUD], KEY, "@example.test", ["Department"])


def ctx(tag=None, aud=AUD, keys=None, transitive=None, **extra):
    """A sign-in as ADFS sends it: the run-as tag, marked transitive unless told otherwise."""
    tags = {} if tag is None else {KEY: tag}
    if transitive is None:
        transitive = list(tags)
    out = ic.saml_context(aud, tags, transitive=transitive)
    if keys is not None:
        out["aws:TagKeys"] = keys
    out.update(extra)
    return out


def policy(
    condition, effect="Allow", action=("sts:AssumeRoleWithSAML", "sts:TagSession"), principal=None
):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": effect,
                "Principal": principal or {"Federated": PROVIDER},
                "Action": list(action),
                **({"Condition": condition} if condition else {}),
            }
        ],
    }


def with_deny(base, condition):
    out = copy.deepcopy(base)
    out["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:TagSession",
            "Condition": condition,
        }
    )
    return out


A, E, N, U = ic.ALLOW, ic.EXPLICIT_DENY, ic.IMPLICIT_DENY, ic.UNKNOWN  # N: not allowed
ASSUME, TAG = "sts:AssumeRoleWithSAML", "sts:TagSession"

# (id, policy, principal ARN, action, context, expected)
CASES = [
    ("generated-good-upn", GENERATED, PROVIDER, ASSUME, ctx("bob@example.test"), A),
    ("generated-good-upn-tagsession", GENERATED, PROVIDER, TAG, ctx("bob@example.test"), A),
    ("generated-other-suffix", GENERATED, PROVIDER, TAG, ctx("mallory@partner.test"), N),
    ("generated-upper-suffix", GENERATED, PROVIDER, ASSUME, ctx("Bob@Example.Test"), N),
    ("generated-upper-local-part", GENERATED, PROVIDER, ASSUME, ctx("Bob@example.test"), A),
    ("generated-empty-local-part", GENERATED, PROVIDER, ASSUME, ctx("@example.test"), N),
    ("generated-no-tag", GENERATED, PROVIDER, ASSUME, ctx(None), N),
    (
        "generated-wrong-audience",
        GENERATED,
        PROVIDER,
        ASSUME,
        ctx("bob@example.test", aud="https://evil.example/saml"),
        N,
    ),
    ("generated-other-provider", GENERATED, OTHER_PROVIDER, ASSUME, ctx("bob@example.test"), N),
    (
        "generated-extra-tag-key",
        GENERATED,
        PROVIDER,
        TAG,
        ctx("bob@example.test", keys=[KEY, "Department"]),
        N,
    ),
    (
        "generated-not-transitive",
        GENERATED,
        PROVIDER,
        TAG,
        ctx("bob@example.test", transitive=[]),
        N,
    ),
    (
        "generated-not-transitive-assume",
        GENERATED,
        PROVIDER,
        ASSUME,
        ctx("bob@example.test", transitive=[]),
        N,
    ),
    (
        "generated-other-key-transitive",
        GENERATED_DEPT,
        PROVIDER,
        TAG,
        ctx("bob@example.test", keys=[KEY, "Department"], transitive=["Department"]),
        N,
    ),
    (
        "generated-run-as-key-other-case",
        GENERATED,
        PROVIDER,
        TAG,
        {
            "SAML:aud": AUD,
            "aws:TagKeys": [KEY.lower()],
            "aws:RequestTag/" + KEY.lower(): "bob@example.test",
            "sts:TransitiveTagKeys": [KEY.lower()],
        },
        N,
    ),
    (
        "generated-declared-key",
        GENERATED_DEPT,
        PROVIDER,
        TAG,
        ctx("bob@example.test", keys=[KEY, "Department"], **{"aws:RequestTag/Department": "net"}),
        A,
    ),
    (
        "generated-declared-and-undeclared-key",
        GENERATED_DEPT,
        PROVIDER,
        ASSUME,
        ctx("bob@example.test", keys=[KEY, "Department", "CostCenter"]),
        N,
    ),
    (
        "generated-unlisted-action",
        GENERATED,
        PROVIDER,
        "sts:AssumeRole",
        ctx("bob@example.test"),
        N,
    ),
    ("no-suffix-any-value", GENERATED_NO_SUFFIX, PROVIDER, TAG, ctx("root"), A),
    ("no-suffix-empty-value", GENERATED_NO_SUFFIX, PROVIDER, TAG, ctx(""), N),
    (
        "stringlike-star-matches-empty",
        policy({"StringLike": {"aws:RequestTag/" + KEY: "*"}}),
        PROVIDER,
        TAG,
        ctx(""),
        A,
    ),
    (
        "stringlike-question-one-char",
        policy({"StringLike": {"aws:RequestTag/" + KEY: "b?b"}}),
        PROVIDER,
        TAG,
        ctx("bob"),
        A,
    ),
    (
        "stringlike-question-not-two",
        policy({"StringLike": {"aws:RequestTag/" + KEY: "b?b"}}),
        PROVIDER,
        TAG,
        ctx("boob"),
        N,
    ),
    (
        "stringlike-dot-is-literal",
        policy({"StringLike": {"aws:RequestTag/" + KEY: "a.c"}}),
        PROVIDER,
        TAG,
        ctx("abc"),
        N,
    ),
    (
        "stringequals-case-sensitive",
        policy({"StringEquals": {"aws:RequestTag/" + KEY: "bob"}}),
        PROVIDER,
        TAG,
        ctx("Bob"),
        N,
    ),
    (
        "stringequals-list-is-or",
        policy({"StringEquals": {"aws:RequestTag/" + KEY: ["a", "bob"]}}),
        PROVIDER,
        TAG,
        ctx("bob"),
        A,
    ),
    (
        "stringequalsignorecase",
        policy({"StringEqualsIgnoreCase": {"aws:RequestTag/" + KEY: "bob"}}),
        PROVIDER,
        TAG,
        ctx("BOB"),
        A,
    ),
    (
        "stringnotequals-absent-key-true",
        policy({"StringNotEquals": {"aws:RequestTag/Other": "x"}}),
        PROVIDER,
        TAG,
        ctx("bob"),
        A,
    ),
    (
        "stringnotlike-match-denies",
        policy({"StringNotLike": {"aws:RequestTag/" + KEY: "root*"}}),
        PROVIDER,
        TAG,
        ctx("rooted"),
        N,
    ),
    (
        "stringnotlike-no-match-allows",
        policy({"StringNotLike": {"aws:RequestTag/" + KEY: ["root*", "admin*"]}}),
        PROVIDER,
        TAG,
        ctx("bob"),
        A,
    ),
    (
        "forallvalues-subset",
        policy({"ForAllValues:StringEquals": {"aws:TagKeys": [KEY, "Dept"]}}),
        PROVIDER,
        TAG,
        ctx("bob", keys=[KEY]),
        A,
    ),
    (
        "forallvalues-empty-is-true",
        policy({"ForAllValues:StringEquals": {"aws:TagKeys": [KEY]}}),
        PROVIDER,
        ASSUME,
        ctx(None),
        A,
    ),
    (
        "forallvalues-like",
        policy({"ForAllValues:StringLike": {"aws:TagKeys": ["SSM*"]}}),
        PROVIDER,
        TAG,
        ctx("bob", keys=[KEY, "SSMOther"]),
        A,
    ),
    (
        "forallvalues-like-miss",
        policy({"ForAllValues:StringLike": {"aws:TagKeys": ["SSM*"]}}),
        PROVIDER,
        TAG,
        ctx("bob", keys=[KEY, "Dept"]),
        N,
    ),
    (
        "foranyvalue-hit",
        policy({"ForAnyValue:StringEquals": {"aws:TagKeys": [KEY]}}),
        PROVIDER,
        TAG,
        ctx("bob", keys=["Dept", KEY]),
        A,
    ),
    (
        "foranyvalue-absent-false",
        policy({"ForAnyValue:StringEquals": {"aws:TagKeys": [KEY]}}),
        PROVIDER,
        ASSUME,
        ctx(None),
        N,
    ),
    (
        "null-true-absent",
        policy({"Null": {"aws:RequestTag/" + KEY: "true"}}),
        PROVIDER,
        ASSUME,
        ctx(None),
        A,
    ),
    (
        "null-false-present",
        policy({"Null": {"aws:RequestTag/" + KEY: "false"}}),
        PROVIDER,
        TAG,
        ctx("bob"),
        A,
    ),
    (
        "null-false-absent",
        policy({"Null": {"aws:RequestTag/" + KEY: "false"}}),
        PROVIDER,
        ASSUME,
        ctx(None),
        N,
    ),
    (
        "iflexists-absent",
        policy({"StringLikeIfExists": {"aws:RequestTag/" + KEY: "?*@x.test"}}),
        PROVIDER,
        ASSUME,
        ctx(None),
        A,
    ),
    (
        "iflexists-present-miss",
        policy({"StringLikeIfExists": {"aws:RequestTag/" + KEY: "?*@x.test"}}),
        PROVIDER,
        TAG,
        ctx("bob@y.test"),
        N,
    ),
    (
        "condition-key-case-insensitive",
        policy({"StringEquals": {"saml:AUD": AUD}}),
        PROVIDER,
        ASSUME,
        ctx("bob"),
        A,
    ),
    (
        "two-operators-and",
        policy({"StringEquals": {"SAML:aud": AUD}, "StringLike": {"aws:RequestTag/" + KEY: "x*"}}),
        PROVIDER,
        TAG,
        ctx("bob"),
        N,
    ),
    (
        "explicit-deny-wins",
        with_deny(GENERATED, {"StringLike": {"aws:RequestTag/" + KEY: "b*"}}),
        PROVIDER,
        TAG,
        ctx("bob@example.test"),
        E,
    ),
    (
        "deny-not-matching",
        with_deny(GENERATED, {"StringLike": {"aws:RequestTag/" + KEY: "x*"}}),
        PROVIDER,
        TAG,
        ctx("bob@example.test"),
        A,
    ),
    (
        "action-wildcard",
        policy(None, action=["sts:AssumeRoleWith*"]),
        PROVIDER,
        ASSUME,
        ctx("b"),
        A,
    ),
    (
        "action-case-insensitive",
        policy(None, action=["STS:assumerolewithsaml"]),
        PROVIDER,
        ASSUME,
        ctx("b"),
        A,
    ),
    ("principal-star", policy(None, principal="*"), OTHER_PROVIDER, ASSUME, ctx("b"), A),
    (
        "bool-operator",
        policy({"Bool": {"aws:SecureTransport": "true"}}),
        PROVIDER,
        ASSUME,
        ctx("b", **{"aws:SecureTransport": True}),
        A,
    ),
    # SAML:sub exists for AssumeRoleWithSAML only (iam-simulate ignores it for TagSession).
    (
        "policy-variable",
        policy({"StringEquals": {"aws:RequestTag/" + KEY: "${SAML:sub}"}}),
        PROVIDER,
        ASSUME,
        ctx("bob", **{"SAML:sub": "bob"}),
        A,
    ),
    (
        "policy-variable-differs",
        policy({"StringEquals": {"aws:RequestTag/" + KEY: "${SAML:sub}"}}),
        PROVIDER,
        ASSUME,
        ctx("root", **{"SAML:sub": "bob"}),
        N,
    ),
]

# Never a silent allow: what the evaluator cannot read makes the decision UNKNOWN.
UNKNOWN_CASES = [
    ("unknown-operator", policy({"StringMatchesRegex": {"aws:RequestTag/" + KEY: ".*"}})),
    ("date-operator", policy({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})),
    ("unknown-set-operator", policy({"ForSomeValues:StringEquals": {"aws:TagKeys": [KEY]}})),
    ("single-op-on-multivalued-key", policy({"StringEquals": {"aws:TagKeys": KEY}})),
    ("unfillable-variable", policy({"StringEquals": {"aws:RequestTag/" + KEY: "${aws:userid}"}})),
    (
        "deny-with-unknown-operator",
        with_deny(GENERATED, {"StringMatchesRegex": {"aws:RequestTag/" + KEY: ".*"}}),
    ),
    (
        "no-action",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Federated": PROVIDER}}],
        },
    ),
    ("no-statement", {"Version": "2012-10-17"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_decision(case):
    case_id, doc, principal, action, context, expected = case
    result = ic.evaluate(doc, {"Federated": principal}, action, context, resource=ROLE)
    assert result["decision"] == expected, (case_id, result)


@pytest.mark.parametrize(("case_id", "doc"), UNKNOWN_CASES, ids=[c[0] for c in UNKNOWN_CASES])
def test_what_it_cannot_read_is_unknown_never_allow(case_id, doc):
    result = ic.evaluate(doc, {"Federated": PROVIDER}, TAG, ctx("bob@example.test"), ROLE)
    assert result["decision"] == ic.UNKNOWN, result
    assert result["reason"]


def test_unknown_allow_statement_does_not_hide_a_known_explicit_deny():
    doc = with_deny(
        policy({"StringMatchesRegex": {"x": "y"}}), {"StringLike": {"aws:RequestTag/" + KEY: "*"}}
    )
    assert ic.evaluate(doc, {"Federated": PROVIDER}, TAG, ctx("bob"))["decision"] == E


@pytest.mark.parametrize(
    ("value", "expected"),
    [("bob@example.test", A), ("mallory@partner.test", N), ("Bob@Example.Test", N)],
)
def test_may_assume_with_saml_needs_both_actions(value, expected):
    decision, reason = ic.may_assume_with_saml(GENERATED, PROVIDER, AUD, {KEY: value}, ROLE)
    assert decision == expected
    assert ("sts:TagSession" in reason) or ("sts:AssumeRoleWithSAML" in reason)


def test_may_assume_with_saml_needs_the_run_as_key_transitive():
    tags = {KEY: "bob@example.test"}
    assert ic.may_assume_with_saml(GENERATED, PROVIDER, AUD, tags, ROLE)[0] == A
    decision, reason = ic.may_assume_with_saml(GENERATED, PROVIDER, AUD, tags, transitive=[])
    assert decision == N
    assert "sts:TransitiveTagKeys" in reason


def test_tagsession_missing_from_policy_is_denied():
    doc = policy({"StringEquals": {"SAML:aud": AUD}}, action=["sts:AssumeRoleWithSAML"])
    decision, reason = ic.may_assume_with_saml(doc, PROVIDER, AUD, {KEY: "bob@example.test"})
    assert decision == N
    assert reason.startswith("sts:TagSession")


def test_implicit_deny_names_the_failing_condition():
    result = ic.evaluate(GENERATED, {"Federated": PROVIDER}, TAG, ctx("mallory@partner.test"))
    assert "?*@example.test" in result["reason"]
