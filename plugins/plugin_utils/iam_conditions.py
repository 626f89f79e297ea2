# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small IAM policy evaluator for one question: may this principal do this action?

Enough of IAM to read back a federation role's trust policy and decide whether a SAML
principal may ``sts:AssumeRoleWithSAML`` and ``sts:TagSession`` with a given run-as tag
(session tag keys, transitive keys and all).
Three-valued: ALLOW, DENY (explicit or implicit) or UNKNOWN. Anything it does not
understand (an unknown operator, a policy variable it cannot fill, a single-valued operator
on a multi-valued key) makes the statement UNKNOWN, and an UNKNOWN statement that could
change the decision makes the decision UNKNOWN: it never allows by guessing.

Pure functions, no Ansible or AWS imports. tests/integration/test_report_evaluator_agreement.py
runs the same cases through @cloud-copilot/iam-simulate.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ALLOW = "allow"
EXPLICIT_DENY = "explicit_deny"
IMPLICIT_DENY = "implicit_deny"
UNKNOWN = "unknown"
SAML_ACTIONS = ("sts:AssumeRoleWithSAML", "sts:TagSession")


def _glob(pattern, ignore_case=False):
    """IAM wildcards: * any run of characters (also none), ? exactly one character."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _arn_like(value, pattern):
    """ArnLike: six colon-separated parts, each matched with wildcards."""
    val_parts = value.split(":", 5)
    pat_parts = pattern.split(":", 5)
    if len(val_parts) != 6 or len(pat_parts) != 6:
        return False
    return all(_glob(pat_parts[i]).match(val_parts[i]) is not None for i in range(6))


_STRING_OPS = {
    "StringEquals": (lambda v, p: v == p, False),
    "StringNotEquals": (lambda v, p: v == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), True),
    "StringLike": (lambda v, p: _glob(p).match(v) is not None, False),
    "StringNotLike": (lambda v, p: _glob(p).match(v) is not None, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda v, p: v.lower() == p.lower(), False),
}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Unknown(Exception):
    """This part of the policy cannot be evaluated here; the message says why."""


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lookup(context, key):
    """Condition keys are case-insensitive; returns (present, values, multi)."""
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            if isinstance(value, (list, tuple)):
                return True, [_text(v) for v in value], True
            return True, [_text(value)], False
    return False, [], False


def _substitute(pattern, context):
    """Fill ${key} policy variables from the request context; ${*} ${?} ${$} are escapes."""

    def fill(match):
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        present, values, multi = _lookup(context, name.split(",")[0].strip())
        if not present or multi:
            raise Unknown("policy variable ${%s} has no single value in the request" % name)
        return values[0]

    return _VARIABLE.sub(fill, pattern)


def _compare(base, value, policy_values, context):
    """One request value against the policy values: positive operators OR, negated NOR."""
    if base in _STRING_OPS:
        test, negated = _STRING_OPS[base]
        hit = any(test(value, _substitute(_text(p), context)) for p in policy_values)
        return not hit if negated else hit
    if base.startswith("Numeric"):
        return _numeric(base, value, policy_values)
    raise Unknown("condition operator %s is not supported by this evaluator" % base)


def _numeric(base, value, policy_values):
    ops = {
        "NumericEquals": (lambda a, b: a == b, False),
        "NumericNotEquals": (lambda a, b: a == b, True),
        "NumericLessThan": (lambda a, b: a < b, False),
        "NumericLessThanEquals": (lambda a, b: a <= b, False),
        "NumericGreaterThan": (lambda a, b: a > b, False),
        "NumericGreaterThanEquals": (lambda a, b: a >= b, False),
    }
    if base not in ops:
        raise Unknown("condition operator %s is not supported by this evaluator" % base)
    test, negated = ops[base]
    try:
        number = float(value)
        hit = any(test(number, float(_text(p))) for p in policy_values)
    except ValueError:
        hit = False
    return not hit if negated else hit


def _condition(operator, key, policy_values, context):
    """True/False for one operator/key pair; raises Unknown."""
    policy_values = _as_list(policy_values)
    present, values, multi = _lookup(context, key)
    if operator == "Null":
        if len(policy_values) != 1 or _text(policy_values[0]).lower() not in ("true", "false"):
            raise Unknown("Null takes 'true' or 'false', not %r" % (policy_values,))
        absent = not present or values == []
        return absent == (_text(policy_values[0]).lower() == "true")
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAllValues", "ForAnyValue"):
            raise Unknown("set operator %s is not supported" % qualifier)
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    if base not in _STRING_OPS and not base.startswith("Numeric"):
        raise Unknown("condition operator %s is not supported by this evaluator" % operator)
    if qualifier == "ForAllValues":
        return all(_compare(base, v, policy_values, context) for v in values)
    if qualifier == "ForAnyValue":
        return any(_compare(base, v, policy_values, context) for v in values)
    if not present:
        if if_exists:
            return True
        return _STRING_OPS.get(base, (None, False))[1] or base == "NumericNotEquals"
    if multi:
        raise Unknown(
            "%s on multi-valued key %s needs ForAllValues: or ForAnyValue:" % (operator, key)
        )
    return _compare(base, values[0], policy_values, context)


def conditions_hold(conditions, context):
    """All operators and all keys must hold (AND); values of one key are alternatives (OR).

    Returns (True|False|None, reason); None means the conditions cannot be evaluated.
    """
    unknown = None
    for operator, block in (conditions or {}).items():
        if not isinstance(block, dict):
            return None, "condition %s is not a mapping of keys" % operator
        for key, policy_values in block.items():
            try:
                if not _condition(operator, key, policy_values, context):
                    return False, "%s %s %s" % (operator, key, _as_list(policy_values))
            except Unknown as exc:
                unknown = unknown or str(exc)
    if unknown:
        return None, unknown
    return True, ""


def _principal_matches(element, principal):
    """principal: {"Federated": arn} (or AWS/Service/CanonicalUser). No wildcards but '*'."""
    if element == "*":
        return True
    if not isinstance(element, dict):
        raise Unknown("Principal %r is neither '*' nor a mapping" % (element,))
    for kind, wanted in principal.items():
        for candidate in _as_list(element.get(kind)):
            if candidate in ("*", wanted):
                return True
    return False


def _glob_any(patterns, value, ignore_case=False):
    return any(_glob(p, ignore_case).match(value) for p in _as_list(patterns))


def _scope_mismatch(statement, principal, action, resource):
    """Why the statement does not cover principal/action/resource, or None; raises Unknown."""
    if "Principal" in statement and not _principal_matches(statement["Principal"], principal):
        return "principal not listed"
    if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], principal):
        return "principal excluded by NotPrincipal"
    if "Action" not in statement and "NotAction" not in statement:
        raise Unknown("statement has neither Action nor NotAction")
    checks = [
        ("Action", action, True, "action not listed"),
        ("NotAction", action, True, "action excluded by NotAction"),
        ("Resource", resource, False, "resource not listed"),
        ("NotResource", resource, False, "resource excluded by NotResource"),
    ]
    for element, value, ignore_case, reason in checks:
        if element not in statement or value is None:
            continue
        hit = _glob_any(statement[element], value, ignore_case=ignore_case)
        if hit == element.startswith("Not"):
            return reason
    return None


def statement_applies(statement, principal, action, resource, context):
    """(True|False|None, reason) for one statement and one request."""
    try:
        mismatch = _scope_mismatch(statement, principal, action, resource)
    except Unknown as exc:
        return None, str(exc)
    if mismatch:
        return False, mismatch
    return conditions_hold(statement.get("Condition"), context)


def evaluate(policy, principal, action, context, resource=None):
    """Decide one request against one policy document.

    Returns {"decision": ALLOW|EXPLICIT_DENY|IMPLICIT_DENY|UNKNOWN, "reason": str,
    "statements": [{"sid", "effect", "applies", "reason"}]}.
    """
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return {"decision": UNKNOWN, "reason": "policy has no Statement list", "statements": []}
    seen = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            applies, reason = None, "statement %d has no Effect Allow or Deny" % index
        else:
            applies, reason = statement_applies(statement, principal, action, resource, context)
        seen.append(
            {
                "sid": (statement.get("Sid") if isinstance(statement, dict) else None)
                or "#%d" % index,
                "effect": statement.get("Effect") if isinstance(statement, dict) else None,
                "applies": applies,
                "reason": reason,
            }
        )
    denies = [s for s in seen if s["effect"] == "Deny"]
    allows = [s for s in seen if s["effect"] == "Allow"]
    undecided = [s for s in seen if s["effect"] not in ("Allow", "Deny")]
    for group, decision in ((denies, EXPLICIT_DENY),):
        hit = [s for s in group if s["applies"] is True]
        if hit:
            return _result(decision, "statement %s denies %s" % (hit[0]["sid"], action), seen)
    doubt = [s for s in denies + undecided if s["applies"] is None]
    if doubt:
        return _result(UNKNOWN, "statement %s: %s" % (doubt[0]["sid"], doubt[0]["reason"]), seen)
    hit = [s for s in allows if s["applies"] is True]
    if hit:
        return _result(ALLOW, "statement %s allows %s" % (hit[0]["sid"], action), seen)
    doubt = [s for s in allows if s["applies"] is None]
    if doubt:
        return _result(UNKNOWN, "statement %s: %s" % (doubt[0]["sid"], doubt[0]["reason"]), seen)
    near = [s for s in allows if s["reason"] not in ("principal not listed", "action not listed")]
    why = ("; ".join("%s: %s" % (s["sid"], s["reason"]) for s in near)) or (
        "no statement allows %s for this principal" % action
    )
    return _result(IMPLICIT_DENY, why, seen)


def _result(decision, reason, seen):
    return {"decision": decision, "reason": reason, "statements": seen}


def saml_context(audience, tags, extra=None, transitive=None):
    """Request context for AssumeRoleWithSAML with session tags {key: value}.

    ``transitive`` lists the keys the assertion marks transitive (the SAML attribute
    TransitiveTagKeys, seen by IAM as ``sts:TransitiveTagKeys``); none when not given.
    """
    context = {"SAML:aud": audience, "aws:TagKeys": list(tags)}
    for key, value in tags.items():
        context["aws:RequestTag/%s" % key] = value
    if transitive:
        context["sts:TransitiveTagKeys"] = list(transitive)
    context.update(extra or {})
    return context


def may_assume_with_saml(
    trust_policy, provider_arn, audience, tags, role_arn=None, *, transitive=None
):
    """Both actions a SAML sign-in with session tags needs; returns (decision, reason).

    ALLOW only if sts:AssumeRoleWithSAML and sts:TagSession are both allowed. ``transitive``
    defaults to every key of ``tags``: the sign-in as this collection's claim rules send it,
    with the run-as tag marked transitive.
    """
    transitive = list(tags) if transitive is None else transitive
    context = saml_context(audience, tags, transitive=transitive)
    principal = {"Federated": provider_arn}
    actions = ["sts:AssumeRoleWithSAML"] + (["sts:TagSession"] if tags else [])
    for action in actions:
        result = evaluate(trust_policy, principal, action, context, resource=role_arn)
        if result["decision"] != ALLOW:
            return result["decision"], "%s: %s" % (action, result["reason"])
    return ALLOW, "allowed: %s" % ", ".join(actions)
