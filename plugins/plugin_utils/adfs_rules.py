# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse, edit and render AD FS issuance transform rule sets.

AD FS keeps all issuance transform rules of a relying party trust in one string
(``IssuanceTransformRules``). This module splits that string into rules, finds rules by their
``@RuleName`` annotation, inserts/replaces/removes only those, and renders the string back so
that every rule it did not touch keeps its exact bytes and position.

Pure Python, no Ansible imports: the action plugin, the export script generator and the unit
tests all use it. The regular expressions below are also shipped verbatim to the export
PowerShell script (.NET regex), so they stay within the syntax both engines read the same way:
no named groups, no possessive quantifiers, no ``\\p{}`` classes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.federated.ssm_runas.plugins.plugin_utils.adfs_render import (
    DEFAULT_NEWLINE,
    GROUPS_TEMP_TYPE,
    NAMEID_FORMAT,
    NAMEID_TYPE,
    PERSISTENT,
    PRINCIPAL_TAG_PREFIX,
    ROLE_SESSION_NAME_TYPE,
    ROLE_TYPE,
    TRANSITIVE_TAG_KEYS_TYPE,
    WINDOWS_ACCOUNT_NAME,
    Desired,
    claim_type_for,
    runas_rule,
    standard_rules,
    transitive_rule,
    transitive_rule_name,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.adfs_values import (
    AdfsRuleError,
    check_ldap_attribute,
    check_pattern,
    check_relying_party,
    check_rule_name,
    check_tag_key,
    name_key,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    LDAP_ATTRIBUTES,
    STANDARD_RULES,
)

__all__ = [
    "ANNOTATION",
    "BOM",
    "AdfsRuleError",
    "AdfsTrustMissing",
    "AdfsWriteMismatch",
    "CHUNK_PATTERN",
    "COMMENT",
    "DEFAULT_NEWLINE",
    "Desired",
    "GROUPS_TEMP_TYPE",
    "LDAP_ATTRIBUTES",
    "NAMEID_FORMAT",
    "NAMEID_TYPE",
    "NAME_PATTERN",
    "PERSISTENT",
    "PRINCIPAL_TAG_PREFIX",
    "ROLE_SESSION_NAME_TYPE",
    "ROLE_TYPE",
    "Rule",
    "RuleSet",
    "STANDARD_RULES",
    "STRING",
    "TEMPLATE_PATTERN",
    "TOKEN_PATTERN",
    "TRAILER_PATTERN",
    "TRANSITIVE_TAG_KEYS_TYPE",
    "TRIVIA",
    "WINDOWS_ACCOUNT_NAME",
    "check_ldap_attribute",
    "check_pattern",
    "check_relying_party",
    "check_rule_name",
    "check_tag_key",
    "claim_type_for",
    "name_key",
    "converge",
    "export_spec",
    "parse",
    "plan",
    "remove",
    "runas_rule",
    "same_rule",
    "standard_rules",
    "tokens",
    "transitive_rule",
    "transitive_rule_name",
    "upsert",
    "verify_stored",
]

# AD FS strings have no escapes: a double quote cannot occur inside one ("use single quotes").
STRING = r'"[^"]*"'
COMMENT = r"//[^\r\n]*|/\*[\s\S]*?\*/"
# A byte-order mark (U+FEFF, e.g. from a rule file saved as UTF-8 with BOM) is trivia like a
# space; neither engine's \s matches it, so it is named. Otherwise it would glue itself to the
# first rule and hide that rule's @RuleName.
BOM = "\ufeff"
TRIVIA = r"(?:\s|\uFEFF|" + COMMENT + r")*"
# One rule: leading trivia (group 1), then tokens up to the first ';' outside strings/comments.
# The alternatives never overlap (a lone '/' must not start a comment), so no backtracking can
# end a rule at a ';' that sits inside a string or comment.
CHUNK_PATTERN = r"(" + TRIVIA + r")((?:" + STRING + r"|" + COMMENT + r'|[^";/]|/(?![/*]))*;)'
TRAILER_PATTERN = r"^" + TRIVIA + r"$"
# The annotation @RuleName = "..." among the annotations that open a rule.
ANNOTATION = r"@\w+\s*=\s*" + STRING
NAME_PATTERN = r"^(?:" + TRIVIA + ANNOTATION + r")*?" + TRIVIA + r'@RuleName\s*=\s*"([^"]*)"'
TEMPLATE_PATTERN = (
    r"^(?:" + TRIVIA + ANNOTATION + r")*?" + TRIVIA + r'@RuleTemplate\s*=\s*"([^"]*)"'
)
# Tokens for comparing rules: AD FS re-flows whitespace when it stores a rule set.
TOKEN_PATTERN = STRING + r"|" + COMMENT + r"|\w+|=>|==|!=|=~|!~|&&|[^\s\uFEFF]"

_CHUNK_RE = re.compile(CHUNK_PATTERN)
_TRAILER_RE = re.compile(TRAILER_PATTERN)
_NAME_RE = re.compile(NAME_PATTERN)
_TEMPLATE_RE = re.compile(TEMPLATE_PATTERN)
_TOKEN_RE = re.compile(TOKEN_PATTERN)


def _leading_bom(text):
    return text[: len(text) - len(text.lstrip(BOM))]


class AdfsTrustMissing(AdfsRuleError):
    """The relying party trust does not exist and we were not asked to create it."""


class AdfsWriteMismatch(AdfsRuleError):
    """AD FS accepted the write but stores something other than what we wrote."""


class Rule:
    """One rule: ``lead`` is the whitespace/comments before it, ``body`` the rule through ';'."""

    __slots__ = ("body", "lead")

    def __init__(self, lead, body):
        self.lead = lead
        self.body = body

    @property
    def name(self):
        m = _NAME_RE.match(self.body)
        return m.group(1) if m else None

    @property
    def key(self):
        return name_key(self.name)

    @property
    def template(self):
        m = _TEMPLATE_RE.match(self.body)
        return m.group(1) if m else None

    def __eq__(self, other):
        return isinstance(other, Rule) and (self.lead, self.body) == (other.lead, other.body)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.lead, self.body))

    def __repr__(self):
        return "Rule(name=%r, body=%r)" % (self.name, self.body)


class RuleSet:
    """A parsed rule set: ``render()`` returns the original string exactly."""

    def __init__(self, rules, trailer=""):
        self.rules = list(rules)
        self.trailer = trailer

    def render(self):
        return "".join(r.lead + r.body for r in self.rules) + self.trailer

    def names(self):
        return [r.name for r in self.rules]

    def newline(self):
        text = self.render()
        if "\r\n" in text:
            return "\r\n"
        if "\n" in text:
            return "\n"
        return DEFAULT_NEWLINE

    def copy(self):
        return RuleSet([Rule(r.lead, r.body) for r in self.rules], self.trailer)


def parse(text):
    """Split a rule set string into rules; raise AdfsRuleError with line and column if it
    does not parse (an unterminated string, comment or rule)."""
    if text is None:
        text = ""
    rules = []
    pos = 0
    while True:
        m = _CHUNK_RE.match(text, pos)
        if not m:
            break
        rules.append(Rule(m.group(1), m.group(2)))
        pos = m.end()
    trailer = text[pos:]
    if not _TRAILER_RE.match(trailer):
        bad = pos + len(re.match(TRIVIA, trailer).group(0))
        line = text.count("\n", 0, bad) + 1
        col = bad - (text.rfind("\n", 0, bad) + 1) + 1
        snippet = text[bad : bad + 60].splitlines()[0] if text[bad:].strip() else ""
        raise AdfsRuleError(
            "rule set does not parse at line %d, column %d (%r): a rule must end with ';' and "
            "strings and /* comments must be closed" % (line, col, snippet)
        )
    return RuleSet(rules, trailer)


def tokens(body):
    """The rule's tokens without comments: equal tokens mean AD FS treats the rules alike."""
    return [t for t in _TOKEN_RE.findall(body) if not t.startswith(("//", "/*"))]


def same_rule(a, b):
    return tokens(a) == tokens(b)


def _index(ruleset, names):
    """Index of the first rule named (in any letter case) one of ``names``, else None."""
    keys = {name_key(n) for n in names}
    for i, rule in enumerate(ruleset.rules):
        if rule.key in keys:
            return i
    return None


def _insert(ruleset, idx, body, sep):
    """Insert a new rule at ``idx``; at the end of an empty set it keeps a leading BOM first."""
    rules = ruleset.rules
    if idx < len(rules):
        # The new rule takes the place (and leading comments) of the rule it goes before.
        pushed = rules[idx]
        rules[idx] = Rule(sep, pushed.body)
        rules.insert(idx, Rule(pushed.lead, body))
    elif rules:
        rules.append(Rule(sep, body))
    else:
        bom = _leading_bom(ruleset.trailer)
        ruleset.trailer = ruleset.trailer[len(bom) :]
        rules.append(Rule(bom, body))


def _drop(ruleset, i):
    """Remove rule ``i``; when it was the first, the set keeps its leading text and BOM."""
    rules = ruleset.rules
    gone = rules.pop(i)
    if i:
        return
    bom = _leading_bom(gone.lead)
    if not rules:
        ruleset.trailer = bom + ruleset.trailer
    elif not rules[0].lead.strip():
        rules[0] = Rule(gone.lead, rules[0].body)
    else:
        rules[0] = Rule(bom + rules[0].lead, rules[0].body)


def upsert(ruleset, desired):
    """Return (new RuleSet, action) with exactly one rule named desired.name (names compare as
    name_key does).

    action: 'unchanged' (one equivalent rule, bytes kept), 'updated' (first one rewritten in
    place, our spelling of the name included, any duplicates removed; or moved right after
    desired.after when it sat before that rule), 'added' (right after the rule named
    desired.after, else before the first rule named in desired.before, else appended). The
    input is not modified.
    """
    out = ruleset.copy()
    newline = ruleset.newline()
    key = name_key(desired.name)
    hits = [i for i, r in enumerate(out.rules) if r.key == key]
    body = desired.body(newline)
    sep = newline * 2
    anchor = _index(out, [desired.after]) if desired.after else None
    if hits and (anchor is None or hits[0] > anchor):
        first = hits[0]
        if len(hits) == 1 and same_rule(out.rules[first].body, body):
            return out, "unchanged"
        out.rules[first] = Rule(out.rules[first].lead, body)
        for i in reversed(hits[1:]):
            del out.rules[i]
        return out, "updated"
    if hits:
        # It sits before the rule whose claim it reads: AD FS would run it too early.
        for i in reversed(hits):
            _drop(out, i)
        anchor = _index(out, [desired.after])
    if anchor is not None:
        out.rules.insert(anchor + 1, Rule(sep, body))
    else:
        idx = _index(out, desired.before)
        _insert(out, len(out.rules) if idx is None else idx, body, sep)
    return out, ("updated" if hits else "added")


def remove(ruleset, name):
    """Return (new RuleSet, action): every rule named ``name`` (in any letter case) removed
    ('removed'/'absent')."""
    out = ruleset.copy()
    key = name_key(name)
    hits = [i for i, r in enumerate(out.rules) if r.key == key]
    for i in reversed(hits):
        _drop(out, i)
    return out, ("removed" if hits else "absent")


def plan(text, desired, absent=()):
    """Apply our rules to a rule set string.

    Returns a dict: ``before`` and ``after`` (whole strings), ``changed``, ``actions`` (rule
    name -> added/updated/unchanged/removed/absent) in the order handled.
    """
    ruleset = parse(text or "")
    actions = []
    for d in desired:
        ruleset, action = upsert(ruleset, d)
        actions.append({"name": d.name, "action": action})
    for name in absent:
        ruleset, action = remove(ruleset, name)
        actions.append({"name": name, "action": action})
    after = ruleset.render()
    before = text or ""
    return {
        "before": before,
        "after": after,
        "changed": after != before,
        "actions": actions,
    }


def export_spec(relying_party, desired, absent, trust=None):
    """The JSON document the export script reads: data only, plus the shared regexes."""
    return json.dumps(
        {
            "relying_party": relying_party,
            "rules": [d.to_dict() for d in desired],
            "absent": list(absent),
            "trust": trust,
            "patterns": {
                "chunk": CHUNK_PATTERN,
                "trailer": TRAILER_PATTERN,
                "name": NAME_PATTERN,
                "token": TOKEN_PATTERN,
            },
        },
        indent=2,
        sort_keys=True,
        ensure_ascii=True,
    )


# ---------------------------------------------------------------------------- orchestration


def verify_stored(stored, desired, absent):
    """Problems with the rule set AD FS reports after a write (empty list: all good)."""
    problems = []
    ruleset = parse(stored or "")
    keys = [r.key for r in ruleset.rules]
    for d in desired:
        hits = [r for r in ruleset.rules if r.key == name_key(d.name)]
        if len(hits) != 1 or not same_rule(hits[0].body, d.body()):
            problems.append("rule %r is not stored as written (%d found)" % (d.name, len(hits)))
        elif d.after and name_key(d.after) in keys[keys.index(name_key(d.name)) :]:
            problems.append("rule %r is stored before rule %r" % (d.name, d.after))
    for name in absent:
        if name_key(name) in keys:
            problems.append("rule %r is still present" % name)
    return problems


def converge(read, write, desired, absent=(), *, check_mode=False, backup=None, create_trust=None):
    """Bring one relying party trust's rule set to the desired state.

    read() -> the rule set string, or None when the trust does not exist (one round trip).
    write(after, expected) -> dict with the stored ``rules`` (one round trip); it must refuse
    to write when the current set is not ``expected`` any more.
    backup(before) -> where the previous set was saved (called before write, never in check
    mode). create_trust() -> None, or None to fail when the trust is missing.

    No change costs one read; a change one read and one write. The whole set is written in a
    single call, so a failure anywhere leaves the previous set in place.
    """
    current = read()
    trust_created = False
    if current is None:
        if create_trust is None:
            raise AdfsTrustMissing("the relying party trust does not exist")
        if not check_mode:
            create_trust()
        trust_created = True
        current = ""
    result = plan(current, desired, absent)
    result["trust_created"] = trust_created
    result["backup_file"] = None
    result["remote"] = {}
    if not result["changed"] or check_mode:
        result["changed"] = result["changed"] or trust_created
        return result
    if backup is not None:
        result["backup_file"] = backup(current)
    remote = write(result["after"], current)
    result["remote"] = remote
    problems = verify_stored(remote.get("rules"), desired, absent)
    if problems:
        raise AdfsWriteMismatch(
            "AD FS took the new rule set but reads back differently: %s. The previous set "
            "is saved in %s" % ("; ".join(problems), result["backup_file"])
        )
    return result
