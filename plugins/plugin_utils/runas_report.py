# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run-as preflight report: for each AD user, every hop from AD to a sudo prompt.

Given facts that playbooks/verify.yml collected (AD over LDAP, IAM and SSM read-backs, one
probe per instance) these pure functions decide each hop, pick the first failing one with a
concrete fix, and render the result as a terminal table, Markdown and JSON. No I/O here.

Hops, in the order a session start crosses them:

directory   the AD account exists, is enabled and is in a run-as group (recursively)
claim       the claim rule emits the ssm_runas.ldap_attribute value, in the realm's suffix
sts_tag     that value is a valid STS session tag value the agent can pass to ``id``
trust       each federation role's trust policy allows AssumeRoleWithSAML + TagSession
preferences SSM-SessionManagerRunShell has runAsEnabled in its latest and default versions
id          ``id <tag>`` resolves on every instance, not to uid/gid 0
home        /home/<tag as given> exists and belongs to the user (the agent hard-codes it)
sudo        ``sudo -l -U <tag>`` shows the rules declared for the user's groups
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import unicodedata

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_conditions

HOPS = (
    ("directory", "AD account in a run-as group"),
    ("claim", "claim rule value"),
    ("sts_tag", "valid STS tag value"),
    ("trust", "trust policy allows"),
    ("preferences", "run-as enabled"),
    ("id", "id <tag> resolves"),
    ("home", "/home/<tag> owned"),
    ("sudo", "sudo as declared"),
)
HOP_NAMES = tuple(hop[0] for hop in HOPS)
HOP_TITLES = dict(HOPS)
PASS, FAIL, UNKNOWN, SKIPPED = "pass", "fail", "unknown", "skipped"
GREEN, RED, AMBER = "green", "red", "unknown"
SYMBOLS = {PASS: "ok", FAIL: "FAIL", UNKNOWN: "??", SKIPPED: "-"}
DEFAULT_AUDIENCE = "https://signin.aws.amazon.com/saml"
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
_TAG_EXTRA = set("_.:/=+-@")
_SUDO_TAGS = re.compile(r"^([A-Z_]+):\s*")
ADS_UF_ACCOUNTDISABLE = 2


NO_INSTANCES_FIX = (
    "the inventory's group ssm_instances has no hosts to probe: add the instances to "
    "ssm_instances and re-run"
)


class ReportInputError(ValueError):
    """A report option is wrong: the message names the variable, the value and the fix."""


# --------------------------------------------------------------------------- small helpers


def _hop(name, status, detail="", fix=""):
    return {"hop": name, "title": HOP_TITLES[name], "status": status, "detail": detail, "fix": fix}


def _combine(name, results):
    """Per-host (or per-role) results of one hop: first FAIL, else first UNKNOWN, else PASS."""
    if not results:
        return _hop(name, SKIPPED, "nothing to check")
    for status in (FAIL, UNKNOWN):
        bad = [r for r in results if r["status"] == status]
        if bad:
            detail = "; ".join(r["detail"] for r in bad)
            return _hop(name, status, detail, bad[0]["fix"])
    return _hop(name, PASS, "; ".join(r["detail"] for r in results if r["detail"]))


def _user_label(user):
    return user.get("sAMAccountName") or user.get("query") or "?"


def _pronoun_groups(names):
    return ", ".join(names) if names else "(none)"


def tag_value(user, attribute):
    """What the claim rule emits: the LDAP attribute as stored in AD (case kept)."""
    value = user.get(attribute)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value not in ("", None) else None


def sts_tag_problems(value):
    """Problems with value as an STS session tag value (FACTS 6), [] when valid."""
    problems = []
    if len(value) > 256:
        problems.append("is %d characters long; STS allows at most 256" % len(value))
    bad = sorted(
        {c for c in value if c not in _TAG_EXTRA and unicodedata.category(c)[0] not in "LZN"}
    )
    if bad:
        problems.append(
            "contains %s, which STS session tags refuse (allowed: letters, digits, "
            "spaces and _.:/=+-@)" % " ".join(repr(c) for c in bad)
        )
    return problems


def agent_problems(value):
    """The agent runs sh -c "id <value>" unquoted and uses /home/<value> (FACTS 5)."""
    problems = []
    if any(unicodedata.category(c)[0] == "Z" or c.isspace() for c in value):
        problems.append(
            'contains whitespace: the agent runs sh -c "id %s" unquoted, which splits it' % value
        )
    if "/" in value:
        problems.append("contains '/': the agent's HOME /home/%s is not one directory" % value)
    if value.startswith("-"):
        problems.append("starts with '-': `id %s` would read it as an option" % value)
    return problems


# --------------------------------------------------------------------------- sudo -l


def parse_sudo_list(text):
    """Entries of `sudo -l -U user`: [{"runas": (user, group|None), "tags": set, "commands"}]."""
    entries = []
    active = False
    for line in (text or "").splitlines():
        stripped = line.strip()
        if re.match(r"^User \S.* may run the following commands", stripped):
            active = True
            continue
        if not active or not stripped:
            continue
        if not line.startswith((" ", "\t")):
            active = False
            continue
        match = re.match(r"^\(([^)]*)\)\s*(.*)$", stripped)
        if not match:
            continue
        runas, rest = match.groups()
        tags = set()
        while True:
            tag = _SUDO_TAGS.match(rest)
            if not tag:
                break
            tags.add(tag.group(1))
            rest = rest[tag.end() :]
        commands = [c.strip().replace("\\,", ",") for c in re.split(r"(?<!\\),", rest)]
        entries.append(
            {
                "runas": _runas_key(runas),
                "tags": tags,
                "commands": [c for c in commands if c],
            }
        )
    return entries


def _split2(text, sep):
    """'a<sep>b' -> ('a', 'b'); without sep -> (text, '')."""
    head, found, tail = str(text).partition(sep)
    return head, tail if found else ""


def _runas_key(text):
    user, group = _split2(text, ":")
    return (user.strip() or "root", group.strip() or None)


def _command_matches(declared, listed):
    """Does the listed sudo command cover the declared one (ALL, a name or a path + args)?"""
    if listed == "ALL":
        return True
    if declared == "ALL":
        return False
    d_path, d_args = _split2(declared, " ")
    l_path, l_args = _split2(listed, " ")
    same_program = d_path == l_path or (
        not d_path.startswith("/") and l_path.rsplit("/", 1)[-1] == d_path
    )
    if not same_program and d_path.startswith("/"):
        same_program = d_path.rsplit("/", 1)[-1] == l_path.rsplit("/", 1)[-1]
    return same_program and d_args.strip() == l_args.strip()


def expand_commands(commands, aliases):
    out = []
    for command in commands or []:
        members = aliases.get(command)
        out.extend(members if members else [command])
    return out


def missing_sudo_rules(entries, rules, aliases):
    """Declared rules (or their commands) that the sudo -l entries do not show."""
    missing = []
    for rule in rules:
        runas = _runas_key(rule.get("runas") or "root")
        nopasswd = bool(rule.get("nopasswd"))
        fitting = [
            e for e in entries if e["runas"] == runas and ("NOPASSWD" in e["tags"]) == nopasswd
        ]
        absent = []
        for command in rule.get("commands") or []:
            members = expand_commands([command], aliases)
            shown_as_alias = any(command in e["commands"] for e in fitting)
            if shown_as_alias:
                continue
            if not all(
                any(_command_matches(m, c) for e in fitting for c in e["commands"]) for m in members
            ):
                absent.append(command)
        if absent:
            missing.append(dict(rule, missing=absent))
    return missing


def describe_rule(rule, aliases):
    runas = rule.get("runas") or "root"
    shown = ", ".join(expand_commands(rule.get("commands"), aliases))
    return "(%s) %s%s for %s" % (
        runas.replace(":", " : "),
        "NOPASSWD: " if rule.get("nopasswd") else "",
        shown,
        rule["group"],
    )


# --------------------------------------------------------------------------- the hops


def hop_directory(user, group_names, base_dn):
    name = _user_label(user)
    if not user.get("found", True):
        return _hop(
            "directory",
            FAIL,
            "%s not found in AD" % name,
            "%s was not found in AD (searched sAMAccountName and userPrincipalName under %s): "
            "check the spelling in runas_report_extra_users" % (name, base_dn or "the base DN"),
        )
    if user.get("enabled") is False:
        return _hop(
            "directory",
            FAIL,
            "%s's AD account is disabled" % name,
            "%s's AD account is disabled, so ADFS refuses the sign-in: enable it "
            "(Enable-ADAccount %s) or remove it from the run-as groups" % (name, name),
        )
    groups = user.get("groups") or []
    if not groups:
        return _hop(
            "directory",
            FAIL,
            "%s is in no run-as group" % name,
            "%s is in none of the run-as groups (%s): add %s to the group that carries the "
            "rights needed (Add-ADGroupMember -Identity '%s' -Members %s), or drop %s from "
            "runas_report_extra_users"
            % (
                name,
                _pronoun_groups(group_names),
                name,
                group_names[0] if group_names else "?",
                name,
                name,
            ),
        )
    return _hop("directory", PASS, "member of %s" % ", ".join(groups))


def hop_claim(user, model):
    name = _user_label(user)
    attribute = model["ldap_attribute"]
    value = tag_value(user, attribute)
    if value is None:
        return _hop(
            "claim",
            FAIL,
            "%s has no %s" % (name, attribute),
            "%s has no %s in AD, so the claim rule (ssm_runas.ldap_attribute: %s) emits no %s "
            "tag and AWS refuses the sign-in: set %s's %s in AD, or choose another "
            "ssm_runas.ldap_attribute"
            % (name, attribute, attribute, model["tag_key"], name, attribute),
        )
    if attribute != "userPrincipalName":
        return _hop("claim", PASS, "%s=%s" % (attribute, value))
    local, at, suffix = value.rpartition("@")
    wanted = model["upn_suffix"]
    if not at or not local:
        return _hop(
            "claim",
            FAIL,
            "UPN %r has no @suffix" % value,
            "%s's UPN %s has no @suffix: set it to %s@%s in AD" % (name, value, name, wanted),
        )
    if suffix.lower() != wanted.lower():
        return _hop(
            "claim",
            FAIL,
            "UPN suffix %s is not %s" % (suffix, wanted),
            "UPN suffix %s of %s is not the realm's %s (ssm_runas.upn_suffix): set %s's UPN "
            "suffix to %s (Set-ADUser %s -UserPrincipalName %s@%s), or, if every run-as user "
            "signs in with @%s and the instances resolve it, set ssm_runas.upn_suffix: %s"
            % (suffix, value, wanted, name, wanted, name, local, wanted, suffix, suffix),
        )
    return _hop("claim", PASS, "%s=%s" % (attribute, value))


def hop_sts_tag(value, model):
    if value is None:
        return _hop("sts_tag", SKIPPED, "no tag value")
    attribute = model["ldap_attribute"]
    problems = sts_tag_problems(value)
    if problems:
        return _hop(
            "sts_tag",
            FAIL,
            "%r %s" % (value, "; ".join(problems)),
            "tag value %r %s: AWS refuses the sign-in; change the user's %s in AD or choose "
            "another ssm_runas.ldap_attribute" % (value, problems[0], attribute),
        )
    if not value:
        return _hop(
            "sts_tag", FAIL, "empty tag value", "the tag value is empty: set %s" % attribute
        )
    problems = agent_problems(value)
    if problems:
        return _hop(
            "sts_tag",
            FAIL,
            "%r %s" % (value, "; ".join(problems)),
            "tag value %r %s: change the user's %s in AD" % (value, problems[0], attribute),
        )
    return _hop("sts_tag", PASS, "%s=%s" % (model["tag_key"], value))


def federation_target(model, account):
    """(provider ARN, audience) a SAML sign-in presents, from the model and the account."""
    aws = model.get("aws") or {}
    account_id = account.get("account_id") or aws.get("account_id") or "?"
    partition = aws.get("partition") or "aws"
    provider = "arn:%s:iam::%s:saml-provider/%s" % (
        partition,
        account_id,
        aws.get("saml_provider") or "ADFS",
    )
    audiences = aws.get("saml_audiences") or [DEFAULT_AUDIENCE]
    return provider, audiences[0]


def hop_trust(value, model, accounts):
    if value is None:
        return _hop("trust", SKIPPED, "no tag value")
    if not accounts:
        return _hop(
            "trust",
            UNKNOWN,
            "no AWS account was read",
            "no host of group aws_accounts returned IAM facts: check the inventory and the "
            "AWS credentials (ssm_runas_aws_connection)",
        )
    tag_key = model["tag_key"]
    results = []
    for host, account in sorted(accounts.items()):
        if account.get("error"):
            results.append(
                _hop(
                    "trust",
                    UNKNOWN,
                    "%s: %s" % (host, account["error"]),
                    "IAM could not be read on %s (%s): fix the AWS connection and re-run"
                    % (host, account["error"]),
                )
            )
            continue
        provider, audience = federation_target(model, account)
        known = account.get("saml_providers")
        if known is not None and provider not in known:
            results.append(
                _hop(
                    "trust",
                    FAIL,
                    "%s: SAML provider %s missing" % (host, provider),
                    "SAML provider %s does not exist in %s: run playbooks/aws.yml "
                    "(aws_federation) or fix ssm_runas.aws.saml_provider" % (provider, host),
                )
            )
            continue
        for role in account.get("roles") or []:
            results.append(_trust_one(value, tag_key, provider, audience, host=host, role=role))
        if not account.get("roles"):
            results.append(
                _hop(
                    "trust",
                    FAIL,
                    "%s: no federation roles" % host,
                    "ssm_runas.aws.federation_roles lists no role to check on %s" % host,
                )
            )
    return _combine("trust", results)


def _trust_one(value, tag_key, provider, audience, *, host, role):
    name = role.get("name")
    if not role.get("found"):
        return _hop(
            "trust",
            FAIL,
            "%s: role %s missing" % (host, name),
            "IAM role %s does not exist in %s: run playbooks/aws.yml (aws_federation) or fix "
            "ssm_runas.aws.federation_roles" % (name, host),
        )
    policy = role.get("trust_policy") or {}
    decision, reason = iam_conditions.may_assume_with_saml(
        policy, provider, audience, {tag_key: value}, role.get("arn")
    )
    if decision == iam_conditions.ALLOW:
        return _hop("trust", PASS, "%s allows %s=%s" % (name, tag_key, value))
    if decision == iam_conditions.UNKNOWN:
        return _hop(
            "trust",
            UNKNOWN,
            "%s: %s" % (name, reason),
            "the trust policy of %s cannot be evaluated here (%s): check it in the IAM policy "
            "simulator or simplify it to the operators playbooks/aws.yml generates"
            % (name, reason),
        )
    lower = iam_conditions.may_assume_with_saml(
        policy, provider, audience, {tag_key: value.lower()}, role.get("arn")
    )
    if lower[0] == iam_conditions.ALLOW:
        fix = (
            "the trust policy of %s compares %s case-sensitively and allows %s but not %s: "
            "set the user's UPN in lower case in AD (Set-ADUser <user> -UserPrincipalName %s)"
            % (name, tag_key, value.lower(), value, value.lower())
        )
    else:
        fix = (
            "the trust policy of %s denies a sign-in with %s=%s (%s): run playbooks/aws.yml so "
            "the policy matches the data model, or fix the user's value in AD"
            % (name, tag_key, value, reason)
        )
    return _hop("trust", FAIL, "%s: %s" % (name, reason), fix)


def hop_preferences(accounts):
    if not accounts:
        return _hop("preferences", UNKNOWN, "no AWS account was read", "check aws_accounts")
    results = []
    for host, account in sorted(accounts.items()):
        prefs = account.get("preferences") or {}
        doc = prefs.get("name") or PREFERENCES_DOCUMENT
        if account.get("error"):
            results.append(
                _hop(
                    "preferences",
                    UNKNOWN,
                    "%s: %s" % (host, account["error"]),
                    "SSM could not be read on %s: fix the AWS connection" % host,
                )
            )
            continue
        if not prefs.get("found"):
            results.append(
                _hop(
                    "preferences",
                    FAIL,
                    "%s: %s missing" % (host, doc),
                    "Session Manager preferences (%s) do not exist in %s, so sessions run as "
                    "ssm-user: set ssm_runas.aws.session_preferences.run_as_enabled: true and "
                    "run playbooks/aws.yml" % (doc, host),
                )
            )
            continue
        latest = (prefs.get("latest") or {}).get("runAsEnabled")
        default = (prefs.get("default") or {}).get("runAsEnabled")
        if latest is not True:
            results.append(
                _hop(
                    "preferences",
                    FAIL,
                    "%s: runAsEnabled is %s in version %s"
                    % (host, json.dumps(latest), prefs.get("latest_version")),
                    "runAsEnabled is %s in the latest version of %s in %s, so sessions run as "
                    "ssm-user: set ssm_runas.aws.session_preferences.run_as_enabled: true and "
                    "run playbooks/aws.yml" % (json.dumps(latest), doc, host),
                )
            )
        elif default is not True:
            results.append(
                _hop(
                    "preferences",
                    FAIL,
                    "%s: default version %s has runAsEnabled %s"
                    % (host, prefs.get("default_version"), json.dumps(default)),
                    "the default version %s of %s in %s does not enable run-as while the latest "
                    "(%s) does: make %s the default (aws ssm update-document-default-version) or "
                    "run playbooks/aws.yml"
                    % (
                        prefs.get("default_version"),
                        doc,
                        host,
                        prefs.get("latest_version"),
                        prefs.get("latest_version"),
                    ),
                )
            )
        else:
            results.append(_hop("preferences", PASS, "%s: runAsEnabled" % host))
    return _combine("preferences", results)


def _probe_for(instances, host, value):
    """(probe, problem hop kwargs) for one host and one tag value."""
    facts = instances.get(host) or {}
    if facts.get("error") or not facts.get("ok", False):
        why = facts.get("error") or "no probe result"
        return None, "%s: not probed (%s)" % (host, why)
    probe = (facts.get("names") or {}).get(value)
    if probe is None:
        return None, "%s: %s was not probed" % (host, value)
    return probe, ""


def _unknown_host(name, host, why):
    return _hop(
        name,
        UNKNOWN,
        why,
        "%s could not be probed (%s): fix the connection to the instance and re-run" % (host, why),
    )


def _per_host(name, value, instances, judge):
    """One hop over every instance: judge(host, probe) -> hop for each probed host, combined.

    Hosts whose probe is missing count as unknown, never as passed.
    """
    if value is None:
        return _hop(name, SKIPPED, "no tag value")
    if not instances:
        return _hop(name, UNKNOWN, "no instances", NO_INSTANCES_FIX)
    results = []
    for host in sorted(instances):
        probe, why = _probe_for(instances, host, value)
        results.append(_unknown_host(name, host, why) if probe is None else judge(host, probe))
    return _combine(name, results)


def hop_id(value, user, model, instances):
    def judge(host, probe):
        ident = probe.get("id") or {}
        if not ident.get("ok"):
            message = (ident.get("stderr") or "no such user").strip()
            if model["ldap_attribute"] == "sAMAccountName" and model["fully_qualified_names"]:
                fix = (
                    "`id %s` fails on %s (%s): with ssm_runas.fully_qualified_names true SSSD "
                    "resolves only %s@%s; set ssm_runas.fully_qualified_names: false or use "
                    "ssm_runas.ldap_attribute: userPrincipalName"
                    % (value, host, message, value, model["domain"])
                )
            else:
                fix = (
                    "`id %s` fails on %s (%s) and the agent refuses the session: join %s to %s "
                    "(playbooks/linux.yml, ad_join) and check `sssctl user-checks %s`"
                    % (value, host, message, host, model["realm"], value)
                )
            return _hop("id", FAIL, "%s: %s" % (host, message), fix)
        if ident.get("uid") == 0 or ident.get("gid") == 0:
            return _hop(
                "id",
                FAIL,
                "%s: uid %s gid %s" % (host, ident.get("uid"), ident.get("gid")),
                "%s resolves to uid/gid 0 on %s, which the agent refuses: fix the user's "
                "uidNumber/gidNumber in AD or the local account that shadows it" % (value, host),
            )
        return _hop("id", PASS, "%s: %s uid %s" % (host, ident.get("user"), ident.get("uid")))

    return _per_host("id", value, instances, judge)


def hop_home(value, user, instances):
    def judge(host, probe):
        ident = probe.get("id") or {}
        home = probe.get("home") or {}
        path = home.get("path") or "/home/%s" % value
        if not ident.get("ok"):
            return _hop("home", SKIPPED, "%s: %s does not resolve" % (host, value))
        uid, canonical = ident.get("uid"), ident.get("user") or value
        canon = probe.get("canonical_home") or {}
        if not home.get("exists"):
            if canon.get("exists") and canon.get("path") != path:
                fix = (
                    "%s is missing on %s while %s's home is %s: the agent sets "
                    "HOME=/home/<tag as given> (%s), so set the user's %s in AD to %s, or "
                    "create %s owned by %s"
                    % (
                        path,
                        host,
                        canonical,
                        canon.get("path"),
                        value,
                        "UPN" if "@" in value else "name",
                        canonical,
                        path,
                        canonical,
                    )
                )
            else:
                fix = (
                    "%s does not exist on %s and the agent does not create it (no PAM, no "
                    "pam_mkhomedir): run playbooks/linux.yml (ad_join creates homes for the "
                    "members of ssm_runas.groups) or create it owned by %s (uid %s)"
                    % (path, host, canonical, uid)
                )
            return _hop("home", FAIL, "%s: %s missing" % (host, path), fix)
        if not home.get("is_dir"):
            return _hop(
                "home",
                FAIL,
                "%s: %s is not a directory" % (host, path),
                "%s on %s is not a directory: replace it with a directory owned by %s"
                % (path, host, canonical),
            )
        if home.get("uid") != uid:
            return _hop(
                "home",
                FAIL,
                "%s: %s owned by uid %s, not %s" % (host, path, home.get("uid"), uid),
                "%s on %s belongs to uid %s, not %s (uid %s): chown -R %s:%s '%s'"
                % (path, host, home.get("uid"), canonical, uid, uid, ident.get("gid"), path),
            )
        return _hop("home", PASS, "%s: %s" % (host, path))

    return _per_host("home", value, instances, judge)


def _group_on_host(group, id_groups):
    wanted = group.lower()
    return any(g.lower().split("@", 1)[0] == wanted for g in id_groups or [])


def hop_sudo(value, user, model, instances):
    if value is None:
        return _hop("sudo", SKIPPED, "no tag value")
    user_groups = {g.lower() for g in user.get("groups") or []}
    rules = [
        dict(g["sudo"], group=g["name"])
        for g in model["groups"]
        if g.get("sudo") and g["name"].lower() in user_groups
    ]
    if not rules:
        return _hop("sudo", PASS, "no sudo rights declared for %s" % _user_label(user))
    aliases = model.get("command_aliases") or {}

    def judge(host, probe):
        if not (probe.get("id") or {}).get("ok"):
            return _hop("sudo", SKIPPED, "%s: %s does not resolve" % (host, value))
        sudo = probe.get("sudo") or {}
        text = sudo.get("stdout") or ""
        not_allowed = "is not allowed to run sudo" in text + (sudo.get("stderr") or "")
        if sudo.get("rc") not in (0, None) and not not_allowed:
            message = (sudo.get("stderr") or sudo.get("msg") or "sudo -l failed").strip()
            return _hop(
                "sudo",
                UNKNOWN,
                "%s: %s" % (host, message),
                "`sudo -l -U %s` failed on %s (%s): install sudo and check /etc/sudoers "
                "with visudo -c" % (value, host, message),
            )
        missing = missing_sudo_rules(parse_sudo_list(text), rules, aliases)
        if not missing:
            return _hop("sudo", PASS, "%s: %d rule(s)" % (host, len(rules)))
        first = missing[0]
        id_groups = (probe.get("id") or {}).get("groups") or []
        if not _group_on_host(first["group"], id_groups):
            fix = (
                "`id %s` on %s does not list group %s although AD does: SSSD's cached groups "
                "are stale or the group is filtered; run `sss_cache -E` on %s (or wait for the "
                "cache timeout) and check `id %s`" % (value, host, first["group"], host, value)
            )
        else:
            fix = (
                "`sudo -l -U %s` on %s does not show %s: run playbooks/linux.yml (ad_sudoers) "
                "on %s and check `sudo -l -U %s`"
                % (value, host, describe_rule(first, aliases), host, value)
            )
        return _hop(
            "sudo",
            FAIL,
            "%s: missing %s" % (host, "; ".join(describe_rule(m, aliases) for m in missing)),
            fix,
        )

    return _per_host("sudo", value, instances, judge)


# --------------------------------------------------------------------------- the report


def check_expectations(expect, var="runas_report_expect"):
    """expect maps a user to 'green' or the hop expected to fail first."""
    if expect in (None, ""):
        return {}
    if not isinstance(expect, dict):
        raise ReportInputError(
            "%s %r: give a mapping of user to 'green' or a hop name, e.g. {mallory: claim}"
            % (var, expect)
        )
    out = {}
    for user, hop in expect.items():
        if hop not in (GREEN, *HOP_NAMES):
            raise ReportInputError(
                "%s.%s %r: use 'green' or one of %s" % (var, user, hop, ", ".join(HOP_NAMES))
            )
        out[str(user).lower()] = hop
    return out


def evaluate_user(user, model, accounts, instances, *, group_names, base_dn=""):
    value = tag_value(user, model["ldap_attribute"]) if user.get("found", True) else None
    hops = [
        hop_directory(user, group_names, base_dn),
        hop_claim(user, model) if user.get("found", True) else _hop("claim", SKIPPED),
        hop_sts_tag(value, model),
        hop_trust(value, model, accounts),
        hop_preferences(accounts),
        hop_id(value, user, model, instances),
        hop_home(value, user, instances),
        hop_sudo(value, user, model, instances),
    ]
    first = next((h for h in hops if h["status"] in (FAIL, UNKNOWN)), None)
    status = GREEN
    if first is not None:
        status = RED if any(h["status"] == FAIL for h in hops) else AMBER
    return {
        "user": _user_label(user),
        "tag": value,
        "groups": list(user.get("groups") or []),
        "requested": bool(user.get("requested")),
        "status": status,
        "first_failure": first,
        "hops": hops,
    }


def build_report(model, directory, accounts, instances, *, expect=None, env="", generated_at=""):
    """The whole report as plain data (what report.json holds)."""
    expect = check_expectations(expect)
    directory = directory or {}
    group_names = [g["name"] for g in model["groups"]]
    problems = []
    for group in directory.get("groups") or []:
        if not group.get("found"):
            problems.append(
                "AD group %r (ssm_runas.groups) was not found under %s: create it in AD or fix "
                "its name in ssm_runas.groups" % (group["name"], directory.get("base_dn") or "?")
            )
    users = [
        evaluate_user(
            u,
            model,
            accounts or {},
            instances or {},
            group_names=group_names,
            base_dn=directory.get("base_dn") or "",
        )
        for u in sorted(
            directory.get("users") or [],
            key=lambda u: (not u.get("found", True), _user_label(u).lower()),
        )
    ]
    seen = {u["user"].lower() for u in users}
    for name in sorted(expect):
        if name not in seen:
            problems.append(
                "runas_report_expect names %r, who is not in the report: add %s to "
                "runas_report_extra_users or to a run-as group, or drop the entry" % (name, name)
            )
    unexpected = []
    for entry in users:
        wanted = expect.get(entry["user"].lower(), GREEN)
        got = GREEN if entry["status"] == GREEN else entry["first_failure"]["hop"]
        entry["expected"] = wanted
        entry["as_expected"] = wanted == got
        if not entry["as_expected"]:
            unexpected.append(entry["user"])
    return {
        "env": env,
        "generated_at": generated_at,
        "tag_key": model["tag_key"],
        "ldap_attribute": model["ldap_attribute"],
        "upn_suffix": model["upn_suffix"],
        "groups": group_names,
        "hosts": sorted(instances or {}),
        "accounts": sorted(accounts or {}),
        "hops": [{"hop": n, "title": t} for n, t in HOPS],
        "users": users,
        "problems": problems,
        "summary": {
            "users": len(users),
            "green": sum(1 for u in users if u["status"] == GREEN),
            "red": sum(1 for u in users if u["status"] == RED),
            "unknown": sum(1 for u in users if u["status"] == AMBER),
            "unexpected": unexpected,
        },
    }


# --------------------------------------------------------------------------- renderers


def _first_text(entry):
    first = entry["first_failure"]
    if first is None:
        return "-"
    return "%s: %s" % (first["hop"], first["detail"])


def _row(cells, widths):
    return " | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(cells))


def render_table(report):
    """Plain-text table for the terminal (ASCII, fixed-width columns)."""
    head = ["user", "tag value", "status", *HOP_NAMES, "expected"]
    rows = []
    for entry in report["users"]:
        statuses = {h["hop"]: SYMBOLS[h["status"]] for h in entry["hops"]}
        rows.append(
            [entry["user"], entry["tag"] or "-", entry["status"].upper()]
            + [statuses[n] for n in HOP_NAMES]
            + [("yes" if entry["as_expected"] else "NO (%s)" % entry["expected"])]
        )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    rule = "+".join("-" * (w + 2) for w in widths)
    lines = [
        "Run-as preflight report %s (tag %s from %s)"
        % (report.get("env") or "", report["tag_key"], report["ldap_attribute"]),
        rule,
        _row(head, widths),
        rule,
    ]
    lines += [_row(r, widths) for r in rows]
    lines.append(rule)
    for entry in report["users"]:
        if entry["first_failure"]:
            first = entry["first_failure"]
            lines.append(
                "%s: first failing hop %s (%s)" % (entry["user"], first["hop"], first["detail"])
            )
            lines.append("  fix: %s" % first["fix"])
    for problem in report["problems"]:
        lines.append("problem: %s" % problem)
    summary = report["summary"]
    lines.append(
        "%d users: %d green, %d red, %d unknown; not as expected: %s"
        % (
            summary["users"],
            summary["green"],
            summary["red"],
            summary["unknown"],
            ", ".join(summary["unexpected"]) or "none",
        )
    )
    return "\n".join(lines)


def _md(text):
    """Table-safe, and no raw HTML: fixes mention placeholders like /home/<tag>."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def render_markdown(report):
    summary = report["summary"]
    out = [
        "# Run-as preflight report: %s" % (report.get("env") or "environment"),
        "",
        "Generated %s. Tag `%s` from `%s`; run-as groups: %s; instances: %s; AWS: %s."
        % (
            report.get("generated_at") or "-",
            report["tag_key"],
            report["ldap_attribute"],
            ", ".join(report["groups"]),
            ", ".join(report["hosts"]) or "none",
            ", ".join(report["accounts"]) or "none",
        ),
        "",
        "**%d users: %d green, %d red, %d unknown; not as expected: %s.**"
        % (
            summary["users"],
            summary["green"],
            summary["red"],
            summary["unknown"],
            ", ".join(summary["unexpected"]) or "none",
        ),
        "",
        "| user | tag value | status | " + " | ".join(HOP_NAMES) + " | first failing hop |",
        "|---|---|---|" + "---|" * len(HOP_NAMES) + "---|",
    ]
    for entry in report["users"]:
        statuses = {h["hop"]: SYMBOLS[h["status"]] for h in entry["hops"]}
        first = entry["first_failure"]
        out.append(
            "| %s | `%s` | %s | %s | %s |"
            % (
                _md(entry["user"]),
                _md(entry["tag"] or "-"),
                entry["status"],
                " | ".join(statuses[n] for n in HOP_NAMES),
                _md(first["hop"] if first else "-"),
            )
        )
    fixes = [e for e in report["users"] if e["first_failure"]]
    if fixes:
        out += ["", "## Fixes", ""]
        for entry in fixes:
            first = entry["first_failure"]
            out.append(
                "- **%s** (`%s`), hop *%s*: %s. Fix: %s"
                % (
                    _md(entry["user"]),
                    _md(entry["tag"] or "-"),
                    first["hop"],
                    _md(first["detail"]),
                    _md(first["fix"]),
                )
            )
    if report["problems"]:
        out += ["", "## Problems", ""] + ["- %s" % _md(p) for p in report["problems"]]
    out += ["", "Hops: " + "; ".join("*%s* = %s" % (n, _md(t)) for n, t in HOPS), ""]
    return "\n".join(out)


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"
