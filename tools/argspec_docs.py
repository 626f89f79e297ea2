#!/usr/bin/env python3
"""Generate the variable tables in roles/*/README.md from meta/argument_specs.yml.

The argument spec is the single source of truth: the table between
``<!-- BEGIN ARGSPEC -->`` and ``<!-- END ARGSPEC -->`` is rewritten from it. With --check
nothing is written and the exit code says whether any README has drifted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
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


def describe(option: dict) -> str:
    desc = option.get("description", "")
    if isinstance(desc, list):
        desc = " ".join(desc)
    desc = " ".join(str(desc).split()).replace("|", "\\|")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args()
    drift = []
    for spec_file in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        role = spec_file.parent.parent
        readme_file = role / "README.md"
        if not readme_file.exists():
            drift.append(f"{readme_file.relative_to(REPO)} is missing")
            continue
        spec = yaml.safe_load(spec_file.read_text()) or {}
        current = readme_file.read_text()
        wanted = render(current, spec, readme_file)
        if wanted != current:
            if args.check:
                drift.append(f"{readme_file.relative_to(REPO)} differs from its argument_specs")
            else:
                readme_file.write_text(wanted)
                print(f"updated {readme_file.relative_to(REPO)}")
    for line in drift:
        print(f"argspec_docs: {line}; run `make docs`", file=sys.stderr)
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
