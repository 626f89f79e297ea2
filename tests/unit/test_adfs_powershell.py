"""Every PowerShell file or snippet the ADFS side ships parses with tree-sitter-powershell."""

from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_export as X
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_rules as R

REPO = Path(__file__).resolve().parents[2]
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def problems(source):
    tree = PARSER.parse(source.encode("utf-8"))
    found = []

    def walk(node):
        if node.type == "ERROR" or node.is_missing:
            found.append(f"{node.type} at {node.start_point}: {node.text[:60]!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def expandable_strings_with_variables(source):
    """Double-quoted strings that expand a variable: the way user data gets spliced into code."""
    tree = PARSER.parse(source.encode("utf-8"))
    found = []

    def walk(node):
        expandable = ("expandable_string_literal", "expandable_here_string_literal")
        if node.type in expandable and b"$" in node.text:
            found.append(node.text.decode())
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def scripts():
    runas = [
        R.runas_rule("SSMSessionRunAs", "SSMSessionRunAs", "userPrincipalName"),
        R.transitive_rule("SSMSessionRunAs", "SSMSessionRunAs"),
    ]
    odd = [
        R.runas_rule("Run-as $(x); => // ÄÖ @{}", "a.b:c/d=e+f-g@h_i", "mail"),
        R.transitive_rule("Run-as $(x); => // ÄÖ @{}", "a.b:c/d=e+f-g@h_i"),
    ]
    standard = R.standard_rules(list(R.STANDARD_RULES))
    yield "module adfs_rule_set.ps1", (REPO / "plugins/modules/adfs_rule_set.ps1").read_text()
    for label, desired, absent, trust in [
        ("export present", runas, [], None),
        ("export all rules + trust", [*standard, *runas], [], {"metadata_url": "https://x/m.xml"}),
        ("export absent", [], [d.name for d in runas], None),
        ("export odd relying party", runas, [], None),
        ("export odd rule names", odd, [], None),
        ("export odd rule names absent", [], [d.name for d in odd], None),
    ]:
        rp = "AWS 'prod' @'\n'@ $(x)" if "odd" in label else "Amazon Web Services"
        yield label, X.render_script(rp, desired, absent, trust=trust)


SCRIPTS = dict(scripts())


def test_checker_sees_errors():
    assert problems("if ($a { ")
    assert not problems("if ($a) { 'ok' }")


@pytest.mark.parametrize("label", SCRIPTS)
def test_parses_without_error_nodes(label):
    assert problems(SCRIPTS[label]) == []


@pytest.mark.parametrize("label", SCRIPTS)
def test_no_user_data_is_interpolated(label):
    # Only escape sequences (`r`n) may appear in double-quoted strings; values come as data.
    assert expandable_strings_with_variables(SCRIPTS[label]) == []


def test_odd_relying_party_stays_inside_the_json_here_string():
    script = SCRIPTS["export odd relying party"]
    # json.dumps escapes the newline, so no line of the data can close the here-string early.
    body = script.split("$spec = @'\r\n", 1)[1].split("\r\n'@ | ConvertFrom-Json", 1)[0]
    assert not any(line.startswith("'@") for line in body.split("\r\n"))
    assert "AWS 'prod' @'\\n'@ $(x)" in body
