# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run-as preflight report: for each AD user, every hop from AD to a sudo prompt.

From what was read (the directory, each AWS account, each instance) these pure functions
decide each hop, and pick the first failing one with a concrete fix. A side that could not
be read leaves its hops unknown, never failed. No I/O here.

Hops, in the order a session start crosses them:

directory   the AD account exists, is enabled and is in a run-as group (recursively)
claim       the claim rule emits the ssm_runas.ldap_attribute value, in the realm's suffix
sts_tag     that value is a valid STS session tag value the agent can pass to ``id``
trust       each federation role's trust policy allows AssumeRoleWithSAML + TagSession
preferences SSM-SessionManagerRunShell has runAsEnabled in its latest and default versions
id          the agent's own resolution of <tag> succeeds on every instance: ``id``, ``id -u``,
            ``id -g`` run as its ``sh -c`` runs them, every ``groups=`` entry named, uid and
            gid not 0 (runas_probe replays it; the failure quotes the agent)
home        /home/<tag as given> exists and belongs to the user (the agent hard-codes it)
sudo        ``sudo -l -U <tag>`` shows the rules declared for the user's groups

and, once per instance (runas_report_accounts): what a session without a tag gets, the
automation account, the agent's own ssm-user, and whether the instance enrolled itself at
launch.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

from ansible_collections.federated.ssm_runas.plugins.module_utils.agent_resolve import (
    tag_value_problems,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_model
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_accounts as accounts_side,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_aws as aws,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_instances as instances_side,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_report_hop import (
    AMBER,
    CONTEXT,
    FAIL,
    GREEN,
    HOP_NAMES,
    HOPS,
    PASS,
    RED,
    SKIPPED,
    UNKNOWN,
    ReportInputError,
    hop,
    unread_reason,
)

# What runas_directory_info returns whenever it could search the directory.
DIRECTORY_KEYS = ("base_dn", "groups", "users")


def checked_model(model):
    """The checked data model; the only place the report calls the model check."""
    try:
        return runas_model.normalize(model)
    except runas_model.ModelError as exc:
        raise ReportInputError(str(exc)) from exc


def tag_value(user, attribute):
    """What the claim rule emits: the LDAP attribute as stored in AD (case kept)."""
    value = user.get(attribute)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value not in ("", None) else None


def tag_values(directory, model):
    """Distinct tag values of the directory's users, in directory order."""
    values = [
        tag_value(u, model["ldap_attribute"])
        for u in (directory or {}).get("users") or []
        if u.get("found", True)
    ]
    return list(dict.fromkeys(v for v in values if v))


def probe_names(directory, model):
    """Every name the instances are probed for: the tag values, the default user, the
    automation account."""
    return list(dict.fromkeys(tag_values(directory, model) + accounts_side.local_names(model)))


def sts_tag_problems(value):
    """Problems with value as an STS session tag value, [] when valid."""
    return tag_value_problems(value)


def agent_problems(value):
    """The agent runs sh -c "id <value>" unquoted and sets HOME=/home/<value>."""
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


def user_label(user):
    return user.get("sAMAccountName") or user.get("query") or "?"


def hop_directory(user, group_names, base_dn, ctx=None):
    ctx = ctx or CONTEXT
    name = user_label(user)
    if not user.get("found", True):
        return hop(
            "directory",
            FAIL,
            "%s not found in AD" % name,
            "%s was not found in AD (searched sAMAccountName and userPrincipalName under %s): "
            "check the spelling in %s" % (name, base_dn or "the base DN", ctx["extra_users_var"]),
        )
    if user.get("enabled") is False:
        return hop(
            "directory",
            FAIL,
            "%s's AD account is disabled" % name,
            "%s's AD account is disabled, so ADFS refuses the sign-in: enable it "
            "(Enable-ADAccount %s) or remove it from the run-as groups" % (name, name),
        )
    groups = user.get("groups") or []
    if not groups:
        return hop(
            "directory",
            FAIL,
            "%s is in no run-as group" % name,
            "%s is in none of the run-as groups (%s): add %s to the group that carries the "
            "rights needed (Add-ADGroupMember -Identity '%s' -Members %s), or drop %s from %s"
            % (
                name,
                ", ".join(group_names) or "(none)",
                name,
                group_names[0] if group_names else "?",
                name,
                name,
                ctx["extra_users_var"],
            ),
        )
    return hop("directory", PASS, "member of %s" % ", ".join(groups))


def hop_claim(user, model):
    name = user_label(user)
    attribute = model["ldap_attribute"]
    value = tag_value(user, attribute)
    if value is None:
        return hop(
            "claim",
            FAIL,
            "%s has no %s" % (name, attribute),
            "%s has no %s in AD, so the claim rule (ssm_runas.ldap_attribute: %s) emits no %s "
            "tag and AWS refuses the sign-in: set %s's %s in AD, or choose another "
            "ssm_runas.ldap_attribute"
            % (name, attribute, attribute, model["tag_key"], name, attribute),
        )
    if attribute != "userPrincipalName":
        return hop("claim", PASS, "%s=%s" % (attribute, value))
    local, at, suffix = value.rpartition("@")
    wanted = model["upn_suffix"]
    if not at or not local:
        return hop(
            "claim",
            FAIL,
            "UPN %r has no @suffix" % value,
            "%s's UPN %s has no @suffix: set it to %s@%s in AD" % (name, value, name, wanted),
        )
    if suffix.lower() != wanted.lower():
        return hop(
            "claim",
            FAIL,
            "UPN suffix %s is not %s" % (suffix, wanted),
            "UPN suffix %s of %s is not the realm's %s (ssm_runas.upn_suffix): set %s's UPN "
            "suffix to %s (Set-ADUser %s -UserPrincipalName %s@%s), or, if every run-as user "
            "signs in with @%s and the instances resolve it, set ssm_runas.upn_suffix: %s"
            % (suffix, value, wanted, name, wanted, name, local, wanted, suffix, suffix),
        )
    return hop("claim", PASS, "%s=%s" % (attribute, value))


def hop_sts_tag(value, model):
    if value is None:
        return hop("sts_tag", SKIPPED, "no tag value")
    attribute = model["ldap_attribute"]
    problems = sts_tag_problems(value)
    if problems:
        return hop(
            "sts_tag",
            FAIL,
            "%r %s" % (value, "; ".join(problems)),
            "tag value %r %s: AWS refuses the sign-in; change the user's %s in AD or choose "
            "another ssm_runas.ldap_attribute" % (value, problems[0], attribute),
        )
    problems = agent_problems(value)
    if problems:
        return hop(
            "sts_tag",
            FAIL,
            "%r %s" % (value, "; ".join(problems)),
            "tag value %r %s: change the user's %s in AD" % (value, problems[0], attribute),
        )
    return hop("sts_tag", PASS, "%s=%s" % (model["tag_key"], value))


def check_expectations(expect, ctx=None):
    """expect maps a user to 'green' or the hop expected to fail first."""
    var = (ctx or CONTEXT)["expect_var"]
    if expect in (None, ""):
        return {}
    if not isinstance(expect, dict):
        raise ReportInputError(
            "%s %r: give a mapping of user to 'green' or a hop name, e.g. {mallory: claim}"
            % (var, expect)
        )
    out = {}
    for user, first in expect.items():
        if first not in (GREEN, *HOP_NAMES):
            raise ReportInputError(
                "%s.%s %r: use 'green' or one of %s" % (var, user, first, ", ".join(HOP_NAMES))
            )
        out[str(user).lower()] = first
    return out


def evaluate_user(
    user, model, accounts, instances, *, group_names, base_dn="", aliases=None, ctx=None
):
    """Every hop for one user; the first failing hop (a failed one before an unknown one)."""
    found = user.get("found", True)
    value = tag_value(user, model["ldap_attribute"]) if found else None
    label = user_label(user)
    hops = [
        hop_directory(user, group_names, base_dn, ctx),
        hop_claim(user, model) if found else hop("claim", SKIPPED),
        hop_sts_tag(value, model),
        aws.hop_trust(label, value, model, accounts, ctx),
        aws.hop_preferences(accounts, ctx),
        instances_side.hop_id(value, model, instances, ctx),
        instances_side.hop_home(value, instances, ctx),
        instances_side.hop_sudo(value, user, model, instances, command_aliases=aliases, ctx=ctx),
    ]
    failed = [h for h in hops if h["status"] == FAIL]
    unknown = [h for h in hops if h["status"] == UNKNOWN]
    # A hop that could not be judged never hides one that was judged and failed.
    first = (failed or unknown or [None])[0]
    return {
        "user": label,
        "tag": value,
        "groups": list(user.get("groups") or []),
        "requested": bool(user.get("requested")),
        "status": RED if failed else AMBER if unknown else GREEN,
        "first_failure": first,
        "unknown_hops": [h["hop"] for h in unknown],
        "hops": hops,
    }


def _outcome(entry):
    """What an expectation is compared with: green, unknown, or the first failed hop."""
    if entry["status"] == RED:
        return entry["first_failure"]["hop"]
    return entry["status"]


def build_report(
    model,
    directory,
    accounts,
    instances,
    *,
    expect=None,
    command_aliases=None,
    env="",
    generated_at="",
    ctx=None,
):
    """The whole report as plain data (what report.json holds).

    model is the checked data model; directory, and each value of accounts (runas_aws_info)
    and instances (runas_probe), are registered module results keyed by host.
    """
    ctx = ctx or CONTEXT
    expect = check_expectations(expect, ctx)
    accounts = aws.read_accounts(accounts)
    instances = instances_side.read_instances(instances)
    directory = directory or {}
    group_names = [g["name"] for g in model["groups"]]
    problems = []
    directory_error = unread_reason(directory, DIRECTORY_KEYS)
    if directory_error:
        problems.append(
            "the directory could not be read (%s): no user was evaluated; fix the LDAP "
            "connection and re-run" % directory_error
        )
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
            accounts,
            instances,
            group_names=group_names,
            base_dn=directory.get("base_dn") or "",
            aliases=command_aliases or {},
            ctx=ctx,
        )
        for u in sorted(
            directory.get("users") or [],
            key=lambda u: (not u.get("found", True), user_label(u).lower()),
        )
    ]
    seen = {u["user"].lower() for u in users}
    for name in sorted(expect):
        if name not in seen:
            problems.append(
                "%s names %r, who is not in the report: add %s to %s or to a run-as group, or "
                "drop the entry" % (ctx["expect_var"], name, name, ctx["extra_users_var"])
            )
    instance_lines = accounts_side.instance_checks(model, instances, ctx)
    unexpected = []
    for entry in users:
        entry["expected"] = expect.get(entry["user"].lower(), GREEN)
        entry["as_expected"] = entry["expected"] == _outcome(entry)
        if not entry["as_expected"]:
            unexpected.append(entry["user"])
    return {
        "env": env,
        "generated_at": generated_at,
        "tag_key": model["tag_key"],
        "ldap_attribute": model["ldap_attribute"],
        "upn_suffix": model["upn_suffix"],
        "groups": group_names,
        "hosts": sorted(instances),
        "accounts": sorted(accounts),
        "hops": [{"hop": n, "title": t} for n, t in HOPS],
        "users": users,
        "instances": instance_lines,
        "problems": problems,
        "unread": aws.unread(accounts) + instances_side.unread(instances),
        "summary": {
            "users": len(users),
            "green": sum(1 for u in users if u["status"] == GREEN),
            "red": sum(1 for u in users if u["status"] == RED),
            "unknown": sum(1 for u in users if u["status"] == AMBER),
            "unexpected": unexpected,
            "instances_red": [i["host"] for i in instance_lines if i["status"] == FAIL],
            "instances_unknown": [i["host"] for i in instance_lines if i["status"] == UNKNOWN],
        },
    }
