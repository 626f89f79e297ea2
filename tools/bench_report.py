"""tools/bench.py's figures: statistics, targets, tables, bench.json and the docs it rewrites.

Nothing here measures: it turns samples into a median with min and max, decides met/MISSED
against a target, lays out the Markdown and text tables, and (``--write-docs``) replaces the
generated blocks of README.md and docs/performance.md from a saved bench.json.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Units: how a figure's value is written.
RATIO = "x"  # a ratio of two timings (to the floor, to ours, to one instance)
SECONDS = "s"
COUNT = "count"  # calls, round trips, module executions: no denominator

DOCS_BEGIN = "<!-- BEGIN BENCH (tools/bench.py --write-docs rewrites this block) -->"
DOCS_END = "<!-- END BENCH -->"


class NotMeasured(Exception):
    """A figure's prerequisite is missing; the message is the reason shown in the table."""


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    target: str = ""  # e.g. "<= 1.3"
    samples: list[float] = field(default_factory=list)
    raw: list[dict] = field(default_factory=list)  # per-run details (seconds, recap, calls)
    reason: str = ""  # set when not measured
    note: str = ""

    @property
    def measured(self) -> bool:
        return bool(self.samples) and not self.reason

    def summary(self) -> dict:
        if not self.measured:
            return {}
        return {
            "median": statistics.median(self.samples),
            "min": min(self.samples),
            "max": max(self.samples),
            "runs": len(self.samples),
        }

    def verdict(self) -> str:
        if not self.measured or not self.target:
            return ""
        return "met" if meets(statistics.median(self.samples), self.target) else "MISSED"

    def as_json(self) -> dict:
        return dict(asdict(self), summary=self.summary(), verdict=self.verdict())

    @classmethod
    def from_json(cls, data: dict) -> Figure:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def meets(value: float, target: str) -> bool:
    """True when value satisfies a target like '<= 2.5', '== 0', '>= 4'."""
    match = re.fullmatch(r"\s*(<=|>=|==|<|>)\s*([0-9.]+)\s*", target)
    if not match:
        raise ValueError(f"target {target!r}: write it as '<= 2.5', '== 0', ...")
    op, limit = match.group(1), float(match.group(2))
    return {
        "<=": value <= limit,
        ">=": value >= limit,
        "==": value == limit,
        "<": value < limit,
        ">": value > limit,
    }[op]


def fmt(value: float, unit: str) -> str:
    if unit == COUNT:
        return f"{value:g}"
    if unit == SECONDS:
        return f"{value:.2f} s"
    return f"{value:.2f}x"


def spread(fig: Figure) -> str:
    s = fig.summary()
    return f"{fmt(s['min'], fig.unit)} - {fmt(s['max'], fig.unit)}"


def cell(fig: Figure | None) -> str:
    """'1.21x (1.10x - 1.30x)', or the reason it was not measured."""
    if fig is None:
        return ""
    if not fig.measured:
        return f"not measured: {fig.reason or 'no samples'}"
    s = fig.summary()
    text = fmt(s["median"], fig.unit)
    if s["min"] != s["max"]:
        text += f" ({spread(fig)})"
    if fig.target:
        text += f", target {fig.target}: {fig.verdict()}"
    return text


# ---------------------------------------------------------------------------------------
# recaps and logs of ansible-playbook

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
TASK = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(.+?)\] \**$")
CHANGED = re.compile(r"^changed: \[([^\]]+)\]")


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """{host: {ok, changed, unreachable, failed}} from ansible-playbook's PLAY RECAP."""
    recap = {}
    for line in output.splitlines():
        match = RECAP.match(line.strip())
        if match:
            host, *counts = match.groups()
            recap[host] = dict(
                zip(("ok", "changed", "unreachable", "failed"), map(int, counts), strict=True)
            )
    return recap


def changed_tasks(output: str) -> dict[str, list[str]]:
    """{host: [names of tasks and handlers that reported changed, once each, in order]}."""
    found: dict[str, list[str]] = {}
    task = ""
    for line in output.splitlines():
        if match := TASK.match(line):
            task = match.group(1)
        elif (match := CHANGED.match(line)) and task:
            names = found.setdefault(match.group(1), [])
            if task not in names:
                names.append(task)
    return found


def count_execs(lines: list[str]) -> dict[str, dict[str, int]]:
    """{host: {modules, execs}} from the podman stand-in's log (one "<container> <kind>" a line).

    execs counts every `podman exec` the connection made; modules only those that ran a module
    (its payload on stdin, or an AnsiballZ file).
    """
    counts: dict[str, dict[str, int]] = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2:
            continue
        host, kind = parts
        entry = counts.setdefault(host, {"modules": 0, "execs": 0})
        entry["execs"] += 1
        entry["modules"] += kind == "module"
    return counts


# ---------------------------------------------------------------------------------------
# tables

SIDE_BY_SIDE = (
    # (row, ours, anchor)
    ("first converge / floor", "linux_first", "anchor_first"),
    ("idempotent re-run / floor", "linux_rerun", "anchor_rerun"),
    ("module executions per host, re-run", "modules_ours", "modules_anchor"),
    ("controller CPU of a re-run, 1 instance", "cpu_ours", "cpu_anchor"),
)
OTHERS = ("floor", "anchor_vs_ours_rerun", "anchor_vs_ours_first", "fleet", "fleet_floor",
          "cpu_per_host", "aws_calls", "aws_writes", "adfs_change", "adfs_same")  # fmt: skip
SECTIONS = ("floor", "linux", "anchor", "fleet", "aws", "adfs")
DEFAULT_RUNS = 3
DEFAULT_FLEET = 8


def header_line(header: dict) -> str:
    machine = header["machine"]
    if isinstance(machine, dict):
        machine = (
            f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
            f"Linux {machine['kernel']}"
        )
    parts = [f"Measured {header['date']} on {machine}"]
    if header.get("ansible_core"):
        parts.append(f"ansible-core {header['ansible_core']}")
    runs = header["runs"]
    parts.append(f"{runs} run{'' if runs == 1 else 's'} each (median, min - max)")
    if header.get("fleet"):
        parts.append(f"fleet of {header['fleet']}")
    if header.get("seconds") is not None:
        minutes, seconds = divmod(int(header["seconds"]), 60)
        parts.append(f"{minutes}m{seconds:02d}s in all")
    return "; ".join(parts) + "."


def side_by_side(figures: list[Figure], anchor: str = "ad_integration") -> str:
    """Ours and the anchor in two columns, then the ratios between them, as Markdown."""
    by_key = {f.key: f for f in figures}
    lines = [f"| figure | ours | {anchor} |", "|---|---|---|"]
    for row, ours, theirs in SIDE_BY_SIDE:
        if ours in by_key or theirs in by_key:
            lines.append(f"| {row} | {cell(by_key.get(ours))} | {cell(by_key.get(theirs))} |")
    rest = [by_key[k] for k in OTHERS if k in by_key]
    if rest:
        lines += ["", "| figure | value |", "|---|---|"]
        lines += [f"| {fig.title} | {cell(fig)} |" for fig in rest]
    return "\n".join(lines) + "\n"


def missed(figures: list[Figure]) -> list[str]:
    """One line per missed target: by how much, and what the measurements say of why where
    they can (the fleet beside Ansible's own floor over the same hosts)."""
    by_key = {f.key: f for f in figures}
    lines = []
    for fig in figures:
        if fig.verdict() != "MISSED":
            continue
        median = statistics.median(fig.samples)
        limit = float(re.sub(r"[^0-9.]", "", fig.target))
        line = (
            f"- {fig.title}: {fmt(median, fig.unit)} against {fig.target}, missed by "
            f"{fmt(abs(median - limit), fig.unit)}."
        )
        floor = by_key.get("fleet_floor")
        if fig.key == "fleet" and floor is not None and floor.measured:
            floor_median = statistics.median(floor.samples)
            beyond = not meets(floor_median, fig.target)
            line += (
                f" Ansible's own one-task ping over the same hosts costs {fmt(floor_median, RATIO)}"
                " one on this machine"
                + (" - above the target, so no role can meet it here" if beyond else "")
                + f"; ours over that: {fmt(median / floor_median, RATIO)}."
            )
        lines.append(line)
    return lines


def markdown(figures: list[Figure], header: dict) -> str:
    lines = [
        header_line(header),
        "",
        "| figure | median | min - max | runs | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for fig in figures:
        if not fig.measured:
            reason = fig.reason or "no samples"
            lines.append(f"| {fig.title} | not measured: {reason} | | | {fig.target} | |")
            continue
        s = fig.summary()
        title = f"{fig.title} ({fig.note})" if fig.note else fig.title
        lines.append(
            f"| {title} | {fmt(s['median'], fig.unit)} | {spread(fig)} | {s['runs']} | "
            f"{fig.target} | {fig.verdict()} |"
        )
    return "\n".join(lines) + "\n"


def text_table(figures: list[Figure]) -> str:
    rows = [("figure", "median", "min - max", "runs", "target", "result")]
    for fig in figures:
        if not fig.measured:
            rows.append((fig.title, f"not measured: {fig.reason or 'no samples'}", "", "", "", ""))
            continue
        s = fig.summary()
        rows.append(
            (
                fig.title,
                fmt(s["median"], fig.unit),
                spread(fig),
                str(s["runs"]),
                fig.target,
                fig.verdict(),
            )
        )
    widths = [max(len(r[i]) for r in rows if not r[1].startswith("not measured")) for i in range(6)]
    out = []
    for row in rows:
        if row[1].startswith("not measured"):
            out.append(f"{row[0]:<{widths[0]}}  {row[1]}")
        else:
            out.append("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"


def first_converge_markdown(comparisons: list[dict], anchor: str = "ad_integration") -> str:
    """What each side installed, started and changed on its first converge, per run."""
    if not comparisons:
        return ""
    out = []
    for comp in comparisons:
        ours, theirs = comp.get("ours") or {}, comp.get("anchor") or {}
        mine, other = set(ours.get("installed", [])), set(theirs.get("installed", []))
        out += [
            f"First converge, run {comp['run']}:",
            "",
            f"| | ours | {anchor} |",
            "|---|---|---|",
            f"| packages installed | {len(mine)} | {len(other)} |",
            f"| installed by this side only | {names(mine - other)} | {names(other - mine)} |",
            f"| units started, restarted, stopped | {names(ours.get('units', []))} | "
            f"{names(theirs.get('units', []))} |",
            f"| systemd reloads | {ours.get('daemon_reloads', 0)} | "
            f"{theirs.get('daemon_reloads', 0)} |",
            f"| tasks and handlers that changed | {names(ours.get('changed', []), False)} | "
            f"{names(theirs.get('changed', []), False)} |",
            "",
        ]
    return "\n".join(out)


def names(items, sort: bool = True) -> str:
    items = sorted(items) if sort else list(items)
    return ", ".join(str(i).replace("|", "\\|") for i in items) or "none"


# ---------------------------------------------------------------------------------------
# docs


def replace_block(text: str, body: str, where: str) -> str:
    """text with what lies between DOCS_BEGIN and DOCS_END replaced by body."""
    begin, end = text.find(DOCS_BEGIN), text.find(DOCS_END)
    if begin < 0 or end < begin:
        raise ValueError(
            f"{where}: no generated block; put the lines {DOCS_BEGIN!r} and {DOCS_END!r} "
            "where the figures belong"
        )
    return text[: begin + len(DOCS_BEGIN)] + "\n" + body.rstrip("\n") + "\n" + text[end:]


def reproduce_command(header: dict) -> str:
    """`make bench`, with BENCH_ARGS for what the run did differently from the defaults."""
    args = []
    sections = header.get("sections") or SECTIONS
    if set(sections) != set(SECTIONS):
        args.append("--only " + ",".join(s for s in SECTIONS if s in sections))
    if header["runs"] != DEFAULT_RUNS:
        args.append(f"--runs {header['runs']}")
    if header.get("fleet", DEFAULT_FLEET) != DEFAULT_FLEET:
        args.append(f"--fleet {header['fleet']}")
    return f"`make bench BENCH_ARGS='{' '.join(args)}'`" if args else "`make bench`"


def docs_blocks(data: dict) -> tuple[str, str]:
    """(README block, docs/performance.md block) from a bench.json's contents."""
    header = data["header"]
    figures = [Figure.from_json(f) for f in data["figures"]]
    reproduce = f"Reproduce with {reproduce_command(header)}, then `tools/bench.py --write-docs`."
    misses = missed(figures)

    def misses_block(where: str) -> list[str]:
        title = f"Targets missed (the causes, measured task by task: {where}):"
        return [title, "", *misses, ""] if misses else []

    readme = "\n".join(
        [
            header_line(header),
            "",
            side_by_side(figures),
            *misses_block("[docs/performance.md](docs/performance.md)"),
            reproduce,
        ]
    )
    perf = "\n".join(
        [
            f"## Latest figures ({header['date']})",
            "",
            header_line(header),
            reproduce,
            "",
            side_by_side(figures),
            *misses_block("Worth knowing, below"),
            "All figures:",
            "",
            markdown(figures, header).split("\n", 2)[2],
            first_converge_markdown(data.get("first_converge", [])),
        ]
    )
    return readme, perf


def write_docs(data: dict, readme: Path, performance: Path) -> None:
    readme_block, perf_block = docs_blocks(data)
    for path, block in ((readme, readme_block), (performance, perf_block)):
        path.write_text(replace_block(path.read_text(), block, str(path.name)))
