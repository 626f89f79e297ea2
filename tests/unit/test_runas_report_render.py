"""The report as an operator reads it: terminal table, Markdown (from its template) and JSON."""

import json

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_render as render,
)
from runas_report_env import AWS_IGNORED, MODEL, env, probe, run, user


def _report(**kw):
    e = env(users=[user(), user("mallory", upn="mallory@partner.test")], **kw)
    return run(e, expect={"mallory": "claim"}, env="lab", generated_at="2026-11-01T00:00:00+00:00")


def test_table_shows_every_user_hop_and_fix():
    lines = render.render_table(_report()).splitlines()
    header = next(line for line in lines if line.startswith("user "))
    for hop in rh.HOP_NAMES:
        assert hop in header
    bob = next(line for line in lines if line.startswith("bob "))
    assert "GREEN" in bob and "FAIL" not in bob
    mallory = next(line for line in lines if line.startswith("mallory "))
    assert "RED" in mallory and "FAIL" in mallory
    assert any(line.startswith("  fix: UPN suffix partner.test") for line in lines)
    assert lines[-1].startswith("2 users: 1 green, 1 red, 0 unknown")


def test_table_says_unknown_and_what_was_not_read():
    lines = render.render_table(_report(accounts={"lab-account": AWS_IGNORED})).splitlines()
    bob = next(line for line in lines if line.startswith("bob "))
    assert "UNKNOWN" in bob and "??" in bob
    assert any(line.startswith("bob: first unknown hop trust") for line in lines)
    assert any(line.startswith("mallory: first failing hop claim") for line in lines)
    assert any(line.startswith("not read: AWS lab-account: Reading") for line in lines)
    assert lines[-1].startswith("2 users: 0 green, 1 red, 1 unknown")


def test_markdown_is_a_table_with_a_fixes_section():
    text = render.render_markdown(_report())
    users, instances = text.split("## Instances")
    rows = [line for line in users.splitlines() if line.startswith("| ")]
    assert len(rows) == 3  # header + 2 users
    assert all(row.count("|") == rows[0].count("|") for row in rows)
    lines = [line for line in instances.splitlines() if line.startswith("| ")]
    assert len(lines) == 4  # header + untagged sessions, the agent's account, enrolment on i1
    assert all(line.count("|") == 5 for line in lines)
    assert "## Fixes" in text and "**mallory**" in text and "partner.test" in text
    assert "## Not read" not in text and "## Problems" not in text
    assert text.startswith("# Run-as preflight report: lab\n") and text.endswith("\n")


def test_markdown_names_unknown_hops_and_what_was_not_read():
    text = render.render_markdown(_report(accounts={"lab-account": AWS_IGNORED}))
    bob = next(line for line in text.splitlines() if line.startswith("| bob "))
    assert "| unknown |" in bob and "trust (unknown) |" in bob
    assert "hop *trust* (unknown)" in text
    assert "## Not read\n\n- AWS lab-account: Reading the run-as federation state failed" in text


def test_markdown_lists_problems():
    report = run(env(), expect={"zed": "claim"})
    assert "## Problems\n\n- runas_report_expect names 'zed'" in render.render_markdown(report)


def test_json_round_trips_with_first_failure_and_fix():
    data = json.loads(render.render_json(_report()))
    mallory = next(u for u in data["users"] if u["user"] == "mallory")
    assert mallory["first_failure"]["hop"] == "claim"
    assert "set mallory's UPN suffix to example.test" in mallory["first_failure"]["fix"]
    assert data["generated_at"] == "2026-11-01T00:00:00+00:00" and data["env"] == "lab"


def test_markdown_escapes_pipes_in_values():
    e = env(users=[user(mail="a|b")], probes={}, model=dict(MODEL, ldap_attribute="mail"))
    assert "a\\|b" in render.render_markdown(run(e))


def test_markdown_has_no_raw_html_from_placeholders():
    name = "Bob@example.test"
    e = env(
        users=[user(upn=name)], probes={name: probe(name, canonical="bob@example.test", home=False)}
    )
    text = render.render_markdown(run(e))
    assert "HOME=/home/&lt;tag as given&gt;" in text and "<tag" not in text
