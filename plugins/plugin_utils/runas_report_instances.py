# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instance hops of the run-as report: `id`, the agent's HOME and `sudo -l`, judged on
every instance from what runas_probe saw there."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_agent as agent_side,
)
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
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.sudo_list import (
    allows_nothing,
    describe_rule,
    missing_sudo_rules,
    parse_sudo_list,
)

# What runas_probe returns whenever it ran.
SUCCESS_KEYS = ("names",)


def read_instances(results):
    """Host -> {names, agent_user, enrolment, error} from registered runas_probe results; error
    says why not read."""
    instances = {}
    for host, result in (results or {}).items():
        error = unread_reason(result, SUCCESS_KEYS)
        read = result if error is None else {}
        instances[host] = {
            "names": read.get("names") or {},
            "agent_user": read.get("agent_user"),
            "enrolment": read.get("enrolment"),
            "error": error,
        }
    return instances


def unread(instances):
    return [
        {"host": host, "side": "instance", "error": facts["error"]}
        for host, facts in sorted(instances.items())
        if facts.get("error")
    ]


def _per_host(name, value, instances, ctx, judge):
    """One hop over every instance: judge(host, probe) for each probed host, combined.

    A host whose probe is missing counts as unknown, never as passed.
    """
    if value is None:
        return hop(name, SKIPPED, "no tag value")
    if not instances:
        return hop(
            name,
            UNKNOWN,
            "no instances",
            "nothing was probed for %s: %s has no hosts; put the instances in it and re-run"
            % (value, ctx["instance_group"]),
        )
    results = []
    for host in sorted(instances):
        facts = instances[host]
        probe = (facts.get("names") or {}).get(value)
        if facts.get("error"):
            why = "not probed (%s)" % facts["error"]
        elif probe is None:
            why = "%s was not probed" % value
        else:
            results.append(judge(host, probe))
            continue
        results.append(
            hop(
                name,
                UNKNOWN,
                "%s: %s" % (host, why),
                "whether %s works for %s on %s is unknown: %s; fix the connection to the "
                "instance and re-run" % (name, value, host, why),
            )
        )
    return combine(name, results)


def hop_id(value, model, instances, ctx=None):
    """The agent's own resolution of <tag> (runas_probe's replay) succeeds on every instance."""
    ctx = ctx or CONTEXT

    def judge(host, probe):
        agent = probe.get("agent")
        if not probe.get("valid", True):
            return hop(
                "id",
                FAIL,
                "%s: %s was not probed (%s)" % (host, value, probe.get("reason")),
                "the run-as name %r %s, so it cannot be a user the agent resolves: change the "
                "user's %s in AD" % (value, probe.get("reason"), model["ldap_attribute"]),
            )
        if agent is None:
            return hop(
                "id",
                UNKNOWN,
                "%s: the agent's resolution was not replayed" % host,
                "whether the agent resolves %s on %s is unknown: the probe there did not replay "
                "it (an older runas_probe); update the collection and re-run" % (value, host),
            )
        if not agent.get("ok"):
            return hop(
                "id",
                FAIL,
                agent_side.failure_detail(host, agent),
                agent_side.failure_fix(value, host, probe, model, ctx),
            )
        ident = probe.get("id") or {}
        return hop(
            "id",
            PASS,
            "%s: %s uid %s gid %s, %d group(s)"
            % (
                host,
                ident.get("user") or value,
                agent.get("uid"),
                agent.get("gid"),
                len(agent.get("groups") or []),
            ),
        )

    return _per_host("id", value, instances, ctx, judge)


def hop_home(value, instances, ctx=None):
    """/home/<tag as given> exists and is the user's: the agent sets HOME to it, without PAM."""
    ctx = ctx or CONTEXT

    def judge(host, probe):
        ident = probe.get("id") or {}
        home = probe.get("home") or {}
        path = home.get("path") or "/home/%s" % value
        if not ident.get("ok"):
            return hop("home", SKIPPED, "%s: %s does not resolve" % (host, value))
        uid, canonical = ident.get("uid"), ident.get("user") or value
        if not home.get("exists"):
            fix = _missing_home_fix(
                value, host, path=path, ident=ident, canon=probe.get("canonical_home"), ctx=ctx
            )
            return hop("home", FAIL, "%s: %s missing" % (host, path), fix)
        if not home.get("is_dir"):
            return hop(
                "home",
                FAIL,
                "%s: %s is not a directory" % (host, path),
                "%s on %s is not a directory: replace it with a directory owned by %s"
                % (path, host, canonical),
            )
        if home.get("uid") != uid:
            return hop(
                "home",
                FAIL,
                "%s: %s owned by uid %s, not %s" % (host, path, home.get("uid"), uid),
                "%s on %s belongs to uid %s, not %s (uid %s): chown -R %s:%s '%s'"
                % (path, host, home.get("uid"), canonical, uid, uid, ident.get("gid"), path),
            )
        return hop("home", PASS, "%s: %s" % (host, path))

    return _per_host("home", value, instances, ctx, judge)


def _missing_home_fix(value, host, *, path, ident, canon, ctx):
    canonical = ident.get("user") or value
    canon = canon or {}
    if canon.get("exists") and canon.get("path") != path:
        return (
            "%s is missing on %s while %s's home is %s: the agent sets HOME=/home/<tag as "
            "given> (%s), so set the user's %s in AD to %s, or create %s owned by %s"
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
    return (
        "%s does not exist on %s and the agent does not create it (no PAM, no pam_mkhomedir): "
        "%s (homes are created for the members of ssm_runas.groups), or create it owned by %s "
        "(uid %s)" % (path, host, ctx["instance_apply"], canonical, ident.get("uid"))
    )


def _group_on_host(group, id_groups):
    wanted = group.lower()
    return any(g.lower().split("@", 1)[0] == wanted for g in id_groups or [])


def hop_sudo(value, user, model, instances, *, command_aliases=None, ctx=None):
    """`sudo -l -U <tag>` shows every rule declared for the groups the user is in."""
    ctx = ctx or CONTEXT
    if value is None:
        return hop("sudo", SKIPPED, "no tag value")
    user_groups = {g.lower() for g in user.get("groups") or []}
    rules = [
        dict(g["sudo"], group=g["name"])
        for g in model["groups"]
        if g.get("sudo") and g["name"].lower() in user_groups
    ]
    if not rules:
        return hop("sudo", PASS, "no sudo rights declared for %s's groups" % value)
    aliases = command_aliases or {}

    def judge(host, probe):
        if not (probe.get("id") or {}).get("ok"):
            return hop("sudo", SKIPPED, "%s: %s does not resolve" % (host, value))
        sudo = probe.get("sudo")
        if sudo is None:
            return hop(
                "sudo",
                UNKNOWN,
                "%s: sudo -l was not run" % host,
                "whether sudo works for %s on %s is unknown: the probe did not list its sudo "
                "rights; probe with sudo enabled and re-run" % (value, host),
            )
        text = sudo.get("stdout") or ""
        if sudo.get("rc") is None and sudo.get("msg"):
            return hop(
                "sudo",
                FAIL,
                "%s: %s" % (host, sudo["msg"]),
                "%s on %s, so %s has no sudo rights there: install sudo, then %s"
                % (sudo["msg"], host, value, ctx["sudo_apply"]),
            )
        not_allowed = allows_nothing(text + (sudo.get("stderr") or ""))
        if sudo.get("rc") not in (0, None) and not not_allowed:
            message = (sudo.get("stderr") or sudo.get("msg") or "sudo -l failed").strip()
            return hop(
                "sudo",
                UNKNOWN,
                "%s: %s" % (host, message),
                "`sudo -l -U %s` failed on %s (%s): check /etc/sudoers with visudo -c"
                % (value, host, message),
            )
        missing = missing_sudo_rules(parse_sudo_list(text), rules, aliases)
        if not missing:
            return hop("sudo", PASS, "%s: %d rule(s)" % (host, len(rules)))
        first = missing[0]
        id_groups = (probe.get("id") or {}).get("groups") or []
        if not _group_on_host(first["group"], id_groups):
            fix = (
                "`id %s` on %s does not list group %s although AD does: SSSD's cached groups "
                "are stale or the group is filtered; run `sss_cache -E` on %s (or wait for the "
                "cache timeout) and check `id %s`" % (value, host, first["group"], host, value)
            )
        else:
            fix = "`sudo -l -U %s` on %s does not show %s: %s on %s and check `sudo -l -U %s`" % (
                value,
                host,
                describe_rule(first, aliases),
                ctx["sudo_apply"],
                host,
                value,
            )
        return hop(
            "sudo",
            FAIL,
            "%s: missing %s" % (host, "; ".join(describe_rule(m, aliases) for m in missing)),
            fix,
        )

    return _per_host("sudo", value, instances, ctx, judge)
