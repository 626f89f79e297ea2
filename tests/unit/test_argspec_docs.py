"""The README variable tables are generated from argument_specs, never written by hand."""

import importlib.util
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("argspec_docs", REPO / "tools" / "argspec_docs.py")
argspec_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(argspec_docs)

SPEC = {
    "argument_specs": {
        "main": {
            "options": {
                "demo_state": {
                    "type": "str",
                    "default": "present",
                    "choices": ["present", "absent"],
                    "description": "Whether the thing exists.",
                },
                "demo_rules": {
                    "type": "list",
                    "elements": "dict",
                    "required": True,
                    "description": ["Rules,", "one per group | pipe."],
                    "options": {"group": {"type": "str", "required": True, "description": "G"}},
                },
            }
        }
    }
}


@pytest.mark.parametrize(
    ("needle"),
    [
        "| `demo_rules` | list of dict | yes |  | Rules, one per group \\| pipe. |",
        "| `demo_rules[].group` | str | yes |  | G |",
        "| `demo_state` | str | no | `present` | Whether the thing exists. "
        "Choices: `present`, `absent`. |",
    ],
)
def test_table_rows(needle):
    assert needle in argspec_docs.table(SPEC).splitlines()


def test_render_replaces_only_between_markers():
    readme = f"# Role\nintro\n{argspec_docs.BEGIN}\nstale\n{argspec_docs.END}\noutro\n"
    out = argspec_docs.render(readme, SPEC, Path("README.md"))
    assert out.startswith("# Role\nintro\n")
    assert out.endswith(f"{argspec_docs.END}\noutro\n")
    assert "stale" not in out
    assert argspec_docs.render(out, SPEC, Path("README.md")) == out


def test_missing_markers_is_an_error():
    with pytest.raises(SystemExit, match="add the markers"):
        argspec_docs.render("# no markers\n", SPEC, Path("roles/x/README.md"))


@pytest.mark.parametrize(
    "spec_file", sorted(REPO.glob("roles/*/meta/argument_specs.yml")), ids=lambda p: p.parts[-3]
)
def test_every_role_readme_matches_its_argspec(spec_file):
    # The same check `make lint` runs, kept here so `pytest` alone catches drift too.
    readme = spec_file.parent.parent / "README.md"
    current = readme.read_text()
    spec = yaml.safe_load(spec_file.read_text())
    assert argspec_docs.render(current, spec, readme) == current, "run `make docs`"
    assert "| Variable | Type |" in current
