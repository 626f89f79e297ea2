#!/usr/bin/env python3
"""Generate the variable tables in roles/*/README.md from meta/argument_specs.yml, and the
data model's table in docs/data-model.md from plugins/plugin_utils/runas_schema.py.

The argument spec (and the schema) is the single source of truth: the table between
``<!-- BEGIN ARGSPEC -->`` and ``<!-- END ARGSPEC -->`` is rewritten from it. With --check
nothing is written and the exit code says whether any file has drifted.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
MODEL_DOC = REPO / "docs" / "data-model.md"
BEGIN = "<!-- BEGIN ARGSPEC -->"
END = "<!-- END ARGSPEC -->"


def cell(value: object) -> str:
    """One Markdown table cell: inline code for values, pipes and newlines escaped."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, (list, dict)):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    else:
        text = str(value)
    return "`" + text.replace("|", "\\|").replace("\n", " ") + "`"


# Ansible's semantic markup (V(value), O(option), C(code), P(plugin#type)) as Markdown code.
MARKUP = re.compile(r"\b[VOCP]\(([^()]*)\)")


def describe(option: dict) -> str:
    desc = option.get("description", "")
    if isinstance(desc, list):
        desc = " ".join(desc)
    desc = MARKUP.sub(lambda m: "`" + m.group(1).split("#")[0] + "`", " ".join(str(desc).split()))
    desc = desc.replace("|", "\\|")
    if option.get("choices"):
        desc += " Choices: " + ", ".join(cell(c) for c in option["choices"]) + "."
    return desc


def table(spec: dict) -> str:
    """Render every entry point's options as a Markdown table (nested options flattened)."""
    out: list[str] = []
    for entry, body in sorted(
        spec.get("argument_specs", {}).items(), key=lambda kv: (kv[0] != "main", kv[0])
    ):
        if entry != "main":
            out.append(f"\nEntry point `{entry}`:\n")
        out.append("| Variable | Type | Required | Default | Description |")
        out.append("|---|---|---|---|---|")
        for name, option in rows(body.get("options", {})):
            kind = option.get("type", "str")
            if option.get("elements"):
                kind = f"{kind} of {option['elements']}"
            out.append(
                f"| `{name}` | {kind} | {'yes' if option.get('required') else 'no'} "
                f"| {cell(option.get('default'))} | {describe(option)} |"
            )
    return "\n".join(out).strip("\n")


def rows(options: dict, prefix: str = ""):
    for name in sorted(options):
        option = options[name] or {}
        full = f"{prefix}{name}"
        yield full, option
        if option.get("options"):
            sep = "[]." if option.get("type") == "list" else "."
            yield from rows(option["options"], full + sep)


def render(readme: str, spec: dict, path: Path) -> str:
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"{path}: add the markers {BEGIN} and {END} where the table belongs")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table(spec)}\n{END}{tail}"


def model_spec() -> dict:
    """The data model's schema as an argument spec with one option, ssm_runas."""
    # Importable only once the checkout's collections directory is on the path.
    sys.path.insert(0, str(REPO / "collections"))
    schema = importlib.import_module(
        "ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema"
    )

    model = {"type": "dict", "required": True, "options": schema.SCHEMA}
    model["description"] = "The environment's data model, one per inventory."
    return {"argument_specs": {"main": {"options": {"ssm_runas": model}}}}


def documents():
    """(file to write, its spec) for every role README and the data model page."""
    for spec_file in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        yield spec_file.parent.parent / "README.md", yaml.safe_load(spec_file.read_text()) or {}
    yield MODEL_DOC, model_spec()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args()
    drift = []
    for readme_file, spec in documents():
        if not readme_file.exists():
            drift.append(f"{readme_file.relative_to(REPO)} is missing")
            continue
        current = readme_file.read_text()
        wanted = render(current, spec, readme_file)
        if wanted != current:
            if args.check:
                drift.append(f"{readme_file.relative_to(REPO)} differs from its argument spec")
            else:
                readme_file.write_text(wanted)
                print(f"updated {readme_file.relative_to(REPO)}")
    for line in drift:
        print(f"argspec_docs: {line}; run `make docs`", file=sys.stderr)
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
