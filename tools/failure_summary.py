#!/usr/bin/env python3
"""Print what failed in a gate's log, short enough to survive a CI tail.

`make test` calls it when a step fails: CI keeps only the last lines of the output, and a
molecule scenario's failing task scrolls far above its destroy step. This prints Ansible's
`fatal:`/`failed:` results (msg, rc and the tail of stdout/stderr, including those of an
ansible-playbook run by a command task), pytest's failures and molecule's errors, last.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BOX = re.compile(r"^\s*[│┌└]\s?")
# One line (`=> {...}`) or, as ansible-core prints it now, `=> {` and the JSON on the next lines.
ANSIBLE_FAILED = re.compile(r"^(fatal|failed): \[(?P<host>[^\]]+)\].*?=> (?P<json>\{.*)$")
PLAIN = re.compile(
    r"^(FAILED |ERROR |E   |\[ERROR\]: |.*AssertionError|.*Traceback|ERROR!"
    r"|.*Molecule executed.*failed"
    # make lint: ruff's rule and location lines, yamllint's file and problem lines.
    r"|[A-Z]{1,4}\d{3,4} \S|\s*--> \S+:\d+:\d+|\./\S+\.ya?ml$|\s+\d+:\d+\s+error\s)"
)
TAIL = 15
WIDTH = 400


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 3] + "..."


def _result_lines(result: dict, depth: int) -> list[str]:
    """The parts of an Ansible task result that say why it failed."""
    out = []
    for key in ("msg", "rc", "cmd"):
        if key in result and result[key] not in ("", None, []):
            value = result[key]
            out.append(f"  {key}: {value if isinstance(value, str | int) else json.dumps(value)}")
    for key in ("stderr", "stdout"):
        text = result.get(key) or ""
        lines = [line for line in ANSI.sub("", text).splitlines() if line.strip()]
        inner = summarize(text, limit=40, depth=depth + 1) if depth < 2 else []
        if inner:  # an ansible-playbook or pytest run by the task: its own failures
            out.append(f"  {key}, what failed in it:")
            out.extend("    " + line for line in inner)
        elif lines:
            out.append(f"  {key} (last {min(TAIL, len(lines))} of {len(lines)} lines):")
            out.extend("    " + _clip(line) for line in lines[-TAIL:])
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            out.extend(_result_lines(item, depth))
    return out


def summarize(text: str, limit: int = 80, depth: int = 0) -> list[str]:
    """The failure lines of a log, the last `limit` of them."""
    out: list[str] = []
    task = ""
    # molecule frames a playbook's or verifier's output in a box ("  │ "): read what is inside.
    lines = [BOX.sub("", line) for line in ANSI.sub("", text).splitlines()]
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        index += 1
        if line.startswith("TASK ["):
            task = line
            continue
        match = ANSIBLE_FAILED.match(line)
        if match:
            body = match["json"]
            if body.strip() == "{":  # pretty-printed: up to the closing brace in column 0
                while index < len(lines) and not lines[index].startswith("}"):
                    body += "\n" + lines[index]
                    index += 1
                body += "\n}"
                index += 1
            try:
                result = json.loads(body)
            except ValueError:
                result = None
            if task:
                out.append(task)
            if isinstance(result, dict):
                out.append(f"{match[1]}: [{match['host']}]")
                out.extend(_result_lines(result, depth))
            else:
                out.append(_clip(line))
            continue
        if PLAIN.match(line):
            out.append(_clip(line))
    return out[-limit:]


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        lines = summarize(path.read_text(errors="replace")) if path.is_file() else []
        print(f"== what failed, from {path} ({len(lines)} lines)")
        print("\n".join(lines) if lines else "  (no failure lines found; read the log)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
