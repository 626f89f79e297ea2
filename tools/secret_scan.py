#!/usr/bin/env python3
"""Scan logs for lab passwords: every secret in every ``.lab/*/secrets.json``.

Looks for each password as written, base64-encoded (standard and URL-safe alphabets, at any
byte alignment inside a longer blob, e.g. HTTP Basic or WinRM auth headers) and URL-encoded.
A hit is printed as ``file:line: <lab> <secret path> (<form>)``; the secret itself is never
echoed. Exit status: 0 clean, 1 at least one hit, 2 usage error.

    tools/secret_scan.py [--state-dir .lab] [PATH ...]     (default PATH: .cache/test-logs)
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STATE = Path(os.environ.get("SSM_RUNAS_LAB_STATE", REPO / ".lab"))
DEFAULT_LOGS = REPO / ".cache" / "test-logs"
# Shorter needles (a base64 core of a tiny secret) would match by chance in large logs.
MIN_NEEDLE = 8


@dataclass(frozen=True)
class Needle:
    text: bytes
    label: str  # where the secret comes from, e.g. "lab 'bench' users.bob"
    form: str  # plain, base64, base64url, url-encoded


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int
    label: str
    form: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.label} ({self.form})"


def _leaves(data, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, value) for every non-empty string in a JSON document."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, f"{path}[{index}]")
    elif isinstance(data, str) and data:
        yield path, data


def load_secrets(state_dir: Path) -> list[tuple[str, str]]:
    """[(label, secret)] from every <state_dir>/*/secrets.json."""
    found = []
    for secrets_file in sorted(state_dir.glob("*/secrets.json")):
        try:
            data = json.loads(secrets_file.read_text())
        except (OSError, ValueError) as exc:
            raise SystemExit(f"secret_scan: cannot read {secrets_file}: {exc}") from None
        lab = secrets_file.parent.name
        found += [(f"lab {lab!r} {path}", value) for path, value in _leaves(data)]
    return found


def base64_cores(secret: bytes, altchars: bytes | None = None) -> set[bytes]:
    """The part of base64(secret) that is the same wherever the secret sits in a longer blob.

    Base64 works in 3-byte groups, so a secret embedded at offset 0, 1 or 2 (mod 3) encodes
    three ways; the characters that depend only on the secret's own bits are kept.
    """
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret, altchars=altchars)
        start = math.ceil(offset * 8 / 6)
        end = (offset + len(secret)) * 8 // 6
        core = encoded[start:end]
        if len(core) >= MIN_NEEDLE:
            cores.add(core)
    return cores


def needles(secrets: Iterable[tuple[str, str]]) -> list[Needle]:
    out: dict[tuple[bytes, str], Needle] = {}

    def add(text: bytes, label: str, form: str) -> None:
        if len(text) >= MIN_NEEDLE:
            out.setdefault((text, label), Needle(text, label, form))

    for label, secret in secrets:
        raw = secret.encode()
        add(raw, label, "plain")
        for core in base64_cores(raw):
            add(core, label, "base64")
        for core in base64_cores(raw, altchars=b"-_"):
            add(core, label, "base64url")
        for encoded in (urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)):
            add(encoded.encode(), label, "url-encoded")
            add(encoded.lower().encode(), label, "url-encoded")
    return list(out.values())


def files_under(paths: Iterable[Path], skip: set[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for root, _dirs, names in os.walk(path):
                for name in sorted(names):
                    candidate = Path(root) / name
                    if candidate.resolve() not in skip and candidate.is_file():
                        yield candidate
        elif path.resolve() not in skip:
            yield path


def scan_file(path: Path, found: list[Needle]) -> Iterator[Hit]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        print(f"secret_scan: cannot read {path}: {exc}", file=sys.stderr)
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            reported = set()
            for needle in found:
                if needle.text in line and needle.label not in reported:
                    reported.add(needle.label)
                    yield Hit(path, number, needle.label, needle.form)


def scan(paths: Iterable[Path], state_dir: Path) -> tuple[list[Hit], int, int]:
    """(hits, number of secrets, number of files scanned)."""
    secrets = load_secrets(state_dir)
    found = needles(secrets)
    skip = {p.resolve() for p in state_dir.glob("*/secrets.json")}
    hits: list[Hit] = []
    count = 0
    for path in files_under(paths, skip):
        count += 1
        hits += scan_file(path, found)
    return hits, len(secrets), count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help=f"default: {DEFAULT_LOGS}")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE, help="lab state root")
    args = parser.parse_args(argv)
    paths = args.paths or [DEFAULT_LOGS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"secret_scan: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    hits, secrets, files = scan(paths, args.state_dir)
    for hit in hits:
        print(hit)
    if not secrets:
        print(f"secret_scan: no secrets.json under {args.state_dir}: nothing to look for")
    verdict = f"{len(hits)} hit(s)" if hits else "clean"
    print(f"secret_scan: {files} file(s), {secrets} secret(s): {verdict}", file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
