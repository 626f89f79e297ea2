# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the values that go into the AD FS run-as rule; each raises AdfsRuleError naming
the caller's label for the value, the value and the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_inputs
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    LDAP_ATTRIBUTES,
    STANDARD_RULES,
)


class AdfsRuleError(ValueError):
    """Bad input or an unexpected rule set; the message names the variable and the fix."""


def check_tag_key(value, var="tag_key"):
    """The session tag key rule the AWS side applies (no spaces: it is part of a claim URI)."""
    try:
        return iam_inputs.validate_session_tag_key(value, var)
    except iam_inputs.FederationInputError as exc:
        raise AdfsRuleError(str(exc)) from None


def check_ldap_attribute(value, var="ldap_attribute"):
    if value not in LDAP_ATTRIBUTES:
        hint = ""
        for known in LDAP_ATTRIBUTES:
            if isinstance(value, str) and value.replace(" ", "").lower() == known.lower():
                hint = " (the LDAP display name is spelled %s)" % known
        raise AdfsRuleError(
            "%s %r is not an LDAP attribute this rule may send%s: use one of %s"
            % (var, value, hint, ", ".join(LDAP_ATTRIBUTES))
        )
    return value


def name_key(name):
    """What two @RuleNames must share to name the same rule.

    AD FS itself never reads @RuleName: the claims engine runs the rules in order and skips
    annotations, and nothing keeps names unique or looks a rule up by its name. The name is how
    administrators find a rule: in the AD FS snap-in, and from PowerShell, whose -eq and
    Where-Object ignore letter case (this collection finds the relying party trust that way).
    So a rule whose name differs from ours only in letter case is ours: it is updated in place,
    where a second rule would issue the same claim twice. Per-character simple upper case, as
    .NET's String.ToUpperInvariant that the export script compares with (a character whose
    upper case is longer, like 'ß', stays as it is in both).
    """
    if name is None:
        return None
    return "".join(u if len(u) == 1 else c for c, u in ((c, c.upper()) for c in name))


def check_rule_name(value, var="rule_name"):
    if not isinstance(value, str) or not value.strip():
        raise AdfsRuleError("%s is empty: give the rule a name, e.g. SSMSessionRunAs" % var)
    bad = sorted({c for c in value if c in "\"\\'`" or unicodedata.category(c)[0] == "C"})
    if bad:
        raise AdfsRuleError(
            "%s %r contains %s: AD FS rule names are quoted strings, so quotes, backslashes and "
            "control characters are not allowed; use letters, digits, spaces, '-', '_' or '.'"
            % (var, value, ", ".join(repr(c) for c in bad))
        )
    if value != value.strip() or len(value) > 128:
        raise AdfsRuleError(
            "%s %r has surrounding spaces or is longer than 128 characters: trim it" % (var, value)
        )
    if name_key(value) in {name_key(n) for n in STANDARD_RULES}:
        # It would overwrite (or on absent, delete) the AWS sign-in rule of that name.
        raise AdfsRuleError(
            "%s %r is the name of a standard AWS rule: pick another name, e.g. SSMSessionRunAs"
            % (var, value)
        )
    return value


_RP_BAD = set("\"'`*?[]\\")


def check_relying_party(value, var="relying_party"):
    if not isinstance(value, str) or not value.strip():
        raise AdfsRuleError(
            "%s is empty: set the relying party trust's name, e.g. Amazon Web Services" % var
        )
    bad = sorted({c for c in value if c in _RP_BAD or unicodedata.category(c)[0] == "C"})
    if bad:
        raise AdfsRuleError(
            "%s %r contains %s: quotes, wildcards, backslashes and control characters are not "
            "allowed in the relying party name we look up" % (var, value, ", ".join(map(repr, bad)))
        )
    return value


def check_pattern(value, pattern, var, what):
    if not isinstance(value, str) or not re.match(pattern + r"\Z", value):
        raise AdfsRuleError("%s %r is not %s" % (var, value, what))
    return value
