# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run-as report as a terminal table, Markdown (templates/runas_report.md.j2) or JSON."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import jinja2
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_report_hop import (
    FAIL,
    HOP_NAMES,
    HOPS,
    PASS,
    SKIPPED,
    UNKNOWN,
)

SYMBOLS = {PASS: "ok", FAIL: "FAIL", UNKNOWN: "??", SKIPPED: "-"}
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def _statuses(entry):
    return {h["hop"]: h["status"] for h in entry["hops"]}


def _summary_line(summary):
    return "%d users: %d green, %d red, %d unknown; not as expected: %s" % (
        summary["users"],
        summary["green"],
        summary["red"],
        summary["unknown"],
        ", ".join(summary["unexpected"]) or "none",
    )


def _row(cells, widths):
    return " | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(cells))


def render_table(report):
    """Plain-text table for the terminal (ASCII, fixed-width columns)."""
    head = ["user", "tag value", "status", *HOP_NAMES, "expected"]
    rows = []
    for entry in report["users"]:
        statuses = _statuses(entry)
        rows.append(
            [entry["user"], entry["tag"] or "-", entry["status"].upper()]
            + [SYMBOLS[statuses[n]] for n in HOP_NAMES]
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
        *(_row(r, widths) for r in rows),
        rule,
    ]
    for entry in report["users"]:
        first = entry["first_failure"]
        if first:
            lines.append(
                "%s: first %s hop %s (%s)"
                % (
                    entry["user"],
                    "unknown" if first["status"] == UNKNOWN else "failing",
                    first["hop"],
                    first["detail"],
                )
            )
            lines.append("  fix: %s" % first["fix"])
    lines += _instance_lines(report)
    lines += ["not read: %s %s: %s" % (u["side"], u["host"], u["error"]) for u in report["unread"]]
    lines += ["problem: %s" % problem for problem in report["problems"]]
    lines.append(_summary_line(report["summary"]))
    return "\n".join(lines)


def _instance_lines(report):
    lines = []
    for instance in report.get("instances") or []:
        for line in instance["checks"]:
            lines.append(
                "instance %s: %s %s: %s"
                % (instance["host"], line["title"], SYMBOLS[line["status"]], line["detail"])
            )
            if line["status"] != PASS and line["fix"]:
                lines.append("  fix: %s" % line["fix"])
    red = report["summary"].get("instances_red") or []
    if red:
        lines.append("%d instance(s) red: %s" % (len(red), ", ".join(red)))
    return lines


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


def _environment():
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_md,
        autoescape=False,  # noqa: S701 - Markdown, not HTML: finalize=_md escapes every value
    )


def render_markdown(report):
    users = [dict(entry, statuses=_statuses(entry)) for entry in report["users"]]
    template = _environment().get_template("runas_report.md.j2")
    return template.render(
        report=dict(report, users=users, instances=report.get("instances") or []),
        hop_names=HOP_NAMES,
        hops=HOPS,
        symbols=SYMBOLS,
        passed=PASS,
    )


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"
