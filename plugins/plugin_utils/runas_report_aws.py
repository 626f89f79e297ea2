# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS hops of the run-as report: the federation roles' trust and the Session Manager
preferences, judged from what runas_aws_info read in each account."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.federated.ssm_runas.plugins.module_utils.ssm_preferences import (
    DOCUMENT_NAME,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_conditions
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_report_hop import (
    CONTEXT,
    FAIL,
    PASS,
    SKIPPED,
    UNKNOWN,
    combine,
    hop,
    unread_reason,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    SIGN_IN_AUDIENCE,
    schema_default,
)

DEFAULT_AUDIENCE = SIGN_IN_AUDIENCE
PREFERENCES_DOCUMENT = DOCUMENT_NAME
# What runas_aws_info returns whenever it could read the account.
SUCCESS_KEYS = ("account_id", "saml_providers", "roles", "preferences")
_SET_AD_USER = {"userPrincipalName": "-UserPrincipalName", "mail": "-EmailAddress"}


def read_accounts(results):
    """Host -> registered runas_aws_info result; 'error' says why one holds no data."""
    accounts = {}
    for host, result in (results or {}).items():
        error = unread_reason(result, SUCCESS_KEYS)
        accounts[host] = dict(result if error is None else {}, error=error)
    return accounts


def unread(accounts):
    return [
        {"host": host, "side": "AWS", "error": account["error"]}
        for host, account in sorted(accounts.items())
        if account.get("error")
    ]


def federation_target(model, account):
    """(provider ARN, audience) a SAML sign-in presents, from the model and the account."""
    aws = model.get("aws") or {}
    account_id = account.get("account_id") or aws.get("account_id") or "?"
    provider = "arn:%s:iam::%s:saml-provider/%s" % (
        aws.get("partition") or schema_default("aws.partition"),
        account_id,
        aws.get("saml_provider") or schema_default("aws.saml_provider"),
    )
    audiences = aws.get("saml_audiences") or schema_default("aws.saml_audiences")
    return provider, audiences[0]


def hop_trust(user, value, model, accounts, ctx=None):
    """Does every federation role let user's tag value sign in with SAML and tag the session?"""
    ctx = ctx or CONTEXT
    if value is None:
        return hop("trust", SKIPPED, "no tag value")
    tag = "%s=%s" % (model["tag_key"], value)
    if not accounts:
        return hop(
            "trust",
            UNKNOWN,
            "no AWS account was read",
            "whether %s (%s) may assume the federation roles is unknown: nothing was read "
            "from %s; put the accounts in it, check %s and re-run"
            % (user, tag, ctx["account_group"], ctx["connection_var"]),
        )
    results = []
    for host, account in sorted(accounts.items()):
        if account.get("error"):
            results.append(
                hop(
                    "trust",
                    UNKNOWN,
                    "%s: IAM not read (%s)" % (host, account["error"]),
                    "whether %s (%s) may assume the federation roles of %s is unknown: IAM "
                    "could not be read there (%s); fix %s or the credentials' permissions and "
                    "re-run" % (user, tag, host, account["error"], ctx["connection_var"]),
                )
            )
            continue
        provider, audience = federation_target(model, account)
        if provider not in account["saml_providers"]:
            results.append(
                hop(
                    "trust",
                    FAIL,
                    "%s: SAML provider %s missing" % (host, provider),
                    "SAML provider %s does not exist in %s, so %s cannot sign in: %s, or fix "
                    "ssm_runas.aws.saml_provider" % (provider, host, user, ctx["aws_apply"]),
                )
            )
            continue
        if not account["roles"]:
            results.append(
                hop(
                    "trust",
                    FAIL,
                    "%s: no federation roles" % host,
                    "no federation role was read in %s, so no role lets %s sign in: list the "
                    "roles in ssm_runas.aws.federation_roles" % (host, user),
                )
            )
        for role in account["roles"]:
            results.append(
                _trust_one(
                    user,
                    value,
                    model,
                    provider=provider,
                    audience=audience,
                    host=host,
                    role=role,
                    ctx=ctx,
                )
            )
    return combine("trust", results)


def _trust_one(user, value, model, *, provider, audience, host, role, ctx):
    name, tag_key = role.get("name"), model["tag_key"]
    if not role.get("found"):
        return hop(
            "trust",
            FAIL,
            "%s: role %s missing" % (host, name),
            "IAM role %s does not exist in %s, so %s cannot assume it: %s, or fix "
            "ssm_runas.aws.federation_roles" % (name, host, user, ctx["aws_apply"]),
        )
    policy = role.get("trust_policy") or {}
    decision, reason = iam_conditions.may_assume_with_saml(
        policy, provider, audience, {tag_key: value}, role.get("arn")
    )
    if decision == iam_conditions.ALLOW:
        return hop("trust", PASS, "%s allows %s=%s" % (name, tag_key, value))
    if decision == iam_conditions.UNKNOWN:
        return hop(
            "trust",
            UNKNOWN,
            "%s: %s" % (name, reason),
            "whether the trust policy of %s lets %s (%s=%s) sign in cannot be evaluated here "
            "(%s): check it in the IAM policy simulator, or simplify it to the operators of "
            "the generated trust policy" % (name, user, tag_key, value, reason),
        )
    lower = iam_conditions.may_assume_with_saml(
        policy, provider, audience, {tag_key: value.lower()}, role.get("arn")
    )
    attribute = model["ldap_attribute"]
    if lower[0] == iam_conditions.ALLOW:
        command = _SET_AD_USER.get(attribute)
        fix = (
            "the trust policy of %s compares %s case-sensitively and allows %s but not %s: set "
            "%s's %s in lower case in AD%s"
            % (
                name,
                tag_key,
                value.lower(),
                value,
                user,
                attribute,
                " (Set-ADUser %s %s %s)" % (user, command, value.lower()) if command else "",
            )
        )
    else:
        fix = (
            "the trust policy of %s denies %s a sign-in with %s=%s (%s): %s so the policy "
            "matches the data model, or fix %s's %s in AD"
            % (name, user, tag_key, value, reason, ctx["aws_apply"], user, attribute)
        )
    return hop("trust", FAIL, "%s: %s" % (name, reason), fix)


def hop_preferences(accounts, ctx=None):
    """Is run-as enabled in both the latest and the default version of the preferences?"""
    ctx = ctx or CONTEXT
    if not accounts:
        return hop(
            "preferences",
            UNKNOWN,
            "no AWS account was read",
            "whether run-as is enabled is unknown: nothing was read from %s; put the accounts "
            "in it, check %s and re-run" % (ctx["account_group"], ctx["connection_var"]),
        )
    results = []
    for host, account in sorted(accounts.items()):
        if account.get("error"):
            results.append(
                hop(
                    "preferences",
                    UNKNOWN,
                    "%s: SSM not read (%s)" % (host, account["error"]),
                    "whether run-as is enabled in %s is unknown: its Session Manager "
                    "preferences could not be read (%s); fix %s or the credentials' "
                    "permissions and re-run" % (host, account["error"], ctx["connection_var"]),
                )
            )
            continue
        results.append(_preferences_one(host, account["preferences"], ctx))
    return combine("preferences", results)


def _preferences_one(host, prefs, ctx):
    doc = prefs.get("name") or PREFERENCES_DOCUMENT
    enable = "set ssm_runas.aws.session_preferences.run_as_enabled: true and %s" % ctx["aws_apply"]
    if not prefs.get("found"):
        return hop(
            "preferences",
            FAIL,
            "%s: %s missing" % (host, doc),
            "Session Manager preferences (%s) do not exist in %s, so sessions run as ssm-user: "
            "%s" % (doc, host, enable),
        )
    latest = (prefs.get("latest") or {}).get("runAsEnabled")
    default = (prefs.get("default") or {}).get("runAsEnabled")
    if latest is not True:
        return hop(
            "preferences",
            FAIL,
            "%s: runAsEnabled is %s in version %s"
            % (host, json.dumps(latest), prefs.get("latest_version")),
            "runAsEnabled is %s in the latest version of %s in %s, so sessions run as "
            "ssm-user: %s" % (json.dumps(latest), doc, host, enable),
        )
    if default is not True:
        latest_version = prefs.get("latest_version")
        return hop(
            "preferences",
            FAIL,
            "%s: default version %s has runAsEnabled %s"
            % (host, prefs.get("default_version"), json.dumps(default)),
            "the default version %s of %s in %s does not enable run-as while the latest (%s) "
            "does: make %s the default (aws ssm update-document-default-version), or %s"
            % (
                prefs.get("default_version"),
                doc,
                host,
                latest_version,
                latest_version,
                ctx["aws_apply"],
            ),
        )
    return hop("preferences", PASS, "%s: runAsEnabled" % host)
