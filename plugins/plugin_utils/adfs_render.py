# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AD FS rules this collection manages, rendered as AD FS shows them ("View Rule
Language"): the run-as rule and AWS's standard rules. Pure Python, no Ansible imports;
adfs_rules re-exports everything here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.plugin_utils.adfs_values import (
    AdfsRuleError,
    check_ldap_attribute,
    check_pattern,
    check_rule_name,
    check_tag_key,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    STANDARD_RULES,
    schema_default,
)

DEFAULT_NEWLINE = "\r\n"
WINDOWS_ACCOUNT_NAME = "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname"
PRINCIPAL_TAG_PREFIX = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
ROLE_SESSION_NAME_TYPE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
ROLE_TYPE = "https://aws.amazon.com/SAML/Attributes/Role"
NAMEID_TYPE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
NAMEID_FORMAT = "http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/format"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
GROUPS_TEMP_TYPE = "http://temp/variable"
TRANSITIVE_TAG_KEYS_TYPE = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"


class Desired:
    """A rule we manage: its name, its body for a given newline, the rules it must precede when
    it is inserted (so AD FS evaluates 'add' rules before the rules that read them), and the
    rule it must follow wherever it is (it reads a claim that rule issues)."""

    def __init__(self, name, lines, before=(), after=None):
        self.name = name
        self.lines = tuple(lines)
        self.before = tuple(before)
        self.after = after

    def body(self, newline=DEFAULT_NEWLINE):
        return newline.join(self.lines)

    def to_dict(self):
        return {
            "name": self.name,
            "lines": list(self.lines),
            "before": list(self.before),
            "after": self.after,
        }


def _ldap_rule(name, claim_type, attribute, verb="issue", template="LdapClaims"):
    lines = []
    if template:
        lines.append('@RuleTemplate = "%s"' % template)
    lines += [
        '@RuleName = "%s"' % name,
        'c:[Type == "%s", Issuer == "AD AUTHORITY"]' % WINDOWS_ACCOUNT_NAME,
        ' => %s(store = "Active Directory", types = ("%s"), query = ";%s;{0}", param = c.Value);'
        % (verb, claim_type, attribute),
    ]
    return lines


def claim_type_for(tag_key):
    return PRINCIPAL_TAG_PREFIX + tag_key


def runas_rule(rule_name, tag_key, ldap_attribute, prefix=""):
    """The run-as rule ('Send LDAP Attributes as Claims'), validated."""
    check_rule_name(rule_name, prefix + "rule_name")
    check_tag_key(tag_key, prefix + "tag_key")
    check_ldap_attribute(ldap_attribute, prefix + "ldap_attribute")
    return Desired(rule_name, _ldap_rule(rule_name, claim_type_for(tag_key), ldap_attribute))


def transitive_rule_name(rule_name):
    """Named after the run-as rule, so it needs no setting of its own."""
    return rule_name + "-Transitive"


def transitive_rule(rule_name, tag_key, prefix=""):
    """The rule that marks the run-as tag transitive, for exactly the users who get the tag.

    It reads the tag claim the run-as rule issues. Per Microsoft's "The Role of the Claim Rule
    Language" (AD FS technical reference), issue() puts its claim in the input claim set as
    well as the output set (add() only in the input set) and later rules read the input set:
    no add() is needed, but this rule must come after the run-as rule (Desired.after). The AD
    store issues one claim per value and none for an empty attribute; EXISTS issues
    TransitiveTagKeys once however many tag claims there are (same document, "Exists functions").
    """
    check_rule_name(rule_name, prefix + "rule_name")
    check_tag_key(tag_key, prefix + "tag_key")
    name = transitive_rule_name(rule_name)
    lines = [
        '@RuleName = "%s"' % name,
        'EXISTS([Type == "%s"])' % claim_type_for(tag_key),
        ' => issue(Type = "%s", Value = "%s");' % (TRANSITIVE_TAG_KEYS_TYPE, tag_key),
    ]
    return Desired(name, lines, after=rule_name)


def standard_rules(
    names,
    *,
    saml_provider=None,
    group_prefix="AWS-",
    role_prefix="",
    session_attribute="mail",
    prefix="",
):
    """AWS's standard rules, by name, in evaluation order; each one carries the names of the
    later standard rules so it is inserted ahead of them."""
    unknown = [n for n in names if n not in STANDARD_RULES]
    if unknown:
        raise AdfsRuleError(
            "%sstandard_rules has %s: choose from %s"
            % (prefix, ", ".join(map(repr, unknown)), ", ".join(STANDARD_RULES))
        )
    if saml_provider is None:
        saml_provider = schema_default("aws.saml_provider")
    check_pattern(
        saml_provider,
        r"[\w.-]{1,128}",
        prefix + "saml_provider_name",
        "an IAM SAML provider name (letters, digits, '.', '_', '-')",
    )
    check_pattern(
        group_prefix,
        r"[A-Za-z0-9_]+-?",
        prefix + "group_prefix",
        "a plain AD group name prefix (letters, digits, '_', optional trailing '-')",
    )
    check_pattern(
        role_prefix,
        r"[\w+=,.@-]{0,32}",
        prefix + "role_prefix",
        "an IAM role name prefix ([\\w+=,.@-], at most 32 characters)",
    )
    check_ldap_attribute(session_attribute, prefix + "role_session_attribute")
    arn = "arn:aws:iam::$1:saml-provider/%s,arn:aws:iam::$1:role/%s" % (saml_provider, role_prefix)
    texts = {
        "NameId": [
            '@RuleTemplate = "MapClaims"',
            '@RuleName = "NameId"',
            'c:[Type == "%s"]' % WINDOWS_ACCOUNT_NAME,
            ' => issue(Type = "%s", Issuer = c.Issuer, OriginalIssuer = c.OriginalIssuer, '
            'Value = c.Value, ValueType = c.ValueType, Properties["%s"] = "%s");'
            % (NAMEID_TYPE, NAMEID_FORMAT, PERSISTENT),
        ],
        "RoleSessionName": _ldap_rule("RoleSessionName", ROLE_SESSION_NAME_TYPE, session_attribute),
        "Get AD Groups": _ldap_rule(
            "Get AD Groups", GROUPS_TEMP_TYPE, "tokenGroups", verb="add", template=None
        ),
        "Roles": [
            '@RuleName = "Roles"',
            'c:[Type == "%s", Value =~ "(?i)^%s\\d{12}-"]' % (GROUPS_TEMP_TYPE, group_prefix),
            ' => issue(Type = "%s", Value = RegExReplace(c.Value, "(?i)^%s(\\d{12})-", "%s"));'
            % (ROLE_TYPE, group_prefix, arn),
        ],
    }
    ordered = [n for n in STANDARD_RULES if n in names]
    out = []
    for n in ordered:
        later = STANDARD_RULES[STANDARD_RULES.index(n) + 1 :]
        out.append(Desired(n, texts[n], before=later))
    return out
