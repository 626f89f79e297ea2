# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-environment data model that the AWS, ADFS and Linux sides must agree on.

An inventory declares ``ssm_runas`` once; :func:`normalize` checks it and fills defaults, and
the ``derive_*`` helpers turn it into each role's inputs. Pure functions, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    FederationInputError,
    validate_account_id,
    validate_tag_key,
)

LDAP_ATTRIBUTES = ("userPrincipalName", "sAMAccountName", "mail")
_REALM = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_GROUP_FORBIDDEN = set(',:=!#"\\\n\r\t\0%')


class ModelError(ValueError):
    """A data model problem: the message names the path, the value and the fix."""


def _fail(path, value, problem):
    raise ModelError("ssm_runas.%s %r %s" % (path, value, problem))


def _need(model, key, path):
    if key not in model or model[key] in (None, ""):
        raise ModelError("ssm_runas.%s is required" % path)
    return model[key]


def _check_groups(groups):
    if not isinstance(groups, list) or not groups:
        raise ModelError("ssm_runas.groups must be a non-empty list of {name, sudo} entries")
    seen = {}
    out = []
    for index, group in enumerate(groups):
        path = "groups[%d]" % index
        if not isinstance(group, dict):
            _fail(path, group, "must be a mapping with at least 'name'")
        name = group.get("name")
        if not isinstance(name, str) or not name.strip():
            _fail(path + ".name", name, "must be a non-empty AD group name")
        bad = sorted(set(name) & _GROUP_FORBIDDEN)
        if bad:
            _fail(
                path + ".name",
                name,
                "contains %r: AD group names used for run-as may not "
                'contain , : = ! # " \\ %% or control characters' % "".join(bad),
            )
        if name != name.strip():
            _fail(path + ".name", name, "has leading or trailing spaces")
        key = name.lower()
        if key in seen:
            _fail(
                path + ".name",
                name,
                "repeats groups[%d] (AD names are case-insensitive)" % seen[key],
            )
        seen[key] = index
        sudo = group.get("sudo")
        if sudo is not None and not isinstance(sudo, dict):
            _fail(path + ".sudo", sudo, "must be a mapping {runas, nopasswd, commands}")
        out.append({"name": name, "sudo": dict(sudo) if sudo else None})
    return out


def normalize(model):
    """Return the checked model with defaults filled in; raise ModelError on the first problem."""
    if not isinstance(model, dict):
        raise ModelError("ssm_runas must be a mapping (see inventories/lab/group_vars/all)")
    realm = _need(model, "realm", "realm")
    if not _REALM.match(str(realm)):
        _fail("realm", realm, "is not a DNS-style realm such as EXAMPLE.TEST")
    realm = str(realm).upper()
    upn_suffix = str(model.get("upn_suffix") or realm.lower())
    if not _REALM.match(upn_suffix):
        _fail("upn_suffix", upn_suffix, "is not a DNS suffix such as example.test")
    tag_key = str(model.get("tag_key") or "SSMSessionRunAs")
    aws = dict(model.get("aws") or {})
    try:
        # The same rules the IAM side enforces, named after the data model's keys.
        validate_tag_key(tag_key, var="ssm_runas.tag_key")
        if aws.get("account_id") is not None:
            aws["account_id"] = validate_account_id(
                aws["account_id"], var="ssm_runas.aws.account_id"
            )
    except FederationInputError as exc:
        raise ModelError(str(exc)) from None
    attribute = str(model.get("ldap_attribute") or "userPrincipalName")
    if attribute not in LDAP_ATTRIBUTES:
        _fail("ldap_attribute", attribute, "must be one of %s" % ", ".join(LDAP_ATTRIBUTES))
    fq = model.get("fully_qualified_names", True)
    if not isinstance(fq, bool):
        _fail("fully_qualified_names", fq, "must be true or false")
    if not fq and attribute == "userPrincipalName":
        _fail(
            "fully_qualified_names",
            fq,
            "cannot be false while the tag carries "
            "userPrincipalName: the instance must resolve 'user@suffix' names",
        )
    return {
        "realm": realm,
        "domain": realm.lower(),
        "upn_suffix": upn_suffix.lower(),
        # The suffix every run-as tag value must end with; only a UPN tag carries one.
        "tag_suffix": upn_suffix.lower() if attribute == "userPrincipalName" else "",
        "tag_key": tag_key,
        "ldap_attribute": attribute,
        "fully_qualified_names": fq,
        "command_aliases": dict(model.get("command_aliases") or {}),
        "groups": _check_groups(model.get("groups")),
        "aws": aws,
        "adfs": dict(model.get("adfs") or {}),
    }


def sudo_rules(model):
    """ad_sudoers_rules from the groups that carry sudo rights, in declaration order."""
    rules = []
    for group in model["groups"]:
        if group["sudo"]:
            rule = {"group": group["name"]}
            rule.update(group["sudo"])
            rules.append(rule)
    return rules


def group_names(model):
    return [group["name"] for group in model["groups"]]
