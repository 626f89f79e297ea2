#!/usr/bin/env python3
"""`make bench`: performance figures measured side by side in one run, as ratios.

Every timed figure is divided by Ansible's own floor (a one-task ping play over the same hosts)
measured right before it, so machine noise cancels; counted figures (module executions, AWS API
calls, WinRM round trips) need no denominator. Each figure is the median of --runs runs with min
and max. A figure whose prerequisite is missing prints "not measured: <reason>" instead.

Ours (playbooks/linux.yml) and the best-known alternative, linux-system-roles ad_integration
(read unmodified from --anchors DIR, else $SSM_RUNAS_ANCHORS, else <repo>/../shared/anchors),
each get a fresh instance of the bench's private lab in every run. The benchmark uses its own
lab (--lab, default "bench": own network, DC and instances) and its own moto server, clears
leftovers of that lab by label first and takes it down at the end, so `make bench` never
touches the main `lab`.

    tools/bench.py [--runs 3] [--fleet 8] [--only floor,linux,anchor,fleet,aws,adfs]
                   [--anchors DIR] [--lab bench] [--out .cache/bench] [--keep]
    tools/bench.py --write-docs     # README.md and docs/performance.md from bench.json
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
if str(TOOLS) not in sys.path:  # tools/ is a directory of scripts, not a package
    sys.path.insert(0, str(TOOLS))

from bench_lab import BIN, BenchLab, Run, cpu_per_host, log  # noqa: E402
from bench_report import (  # noqa: E402
    COUNT,
    DEFAULT_FLEET,
    DEFAULT_RUNS,
    RATIO,
    SECONDS,
    SECTIONS,
    Figure,
    NotMeasured,
    first_converge_markdown,
    markdown,
    text_table,
    write_docs,
)

REPO = TOOLS.parent
ANCHOR_ROLE = "ad_integration"
ANCHORS_ENV = "SSM_RUNAS_ANCHORS"
# Debian spells PackageKit in lower case; the role's list names the Fedora package.
ANCHOR_PACKAGES = ["realmd", "packagekit"]
LINUX_PLAYBOOK = REPO / "playbooks" / "linux.yml"


# ---------------------------------------------------------------------------------------
# prerequisites


def role_missing(role: str) -> str:
    """Why a role of ours cannot run yet, or '' when it can."""
    tasks = REPO / "roles" / role / "tasks" / "main.yml"
    if not tasks.exists():
        return f"role {role} is not in this checkout (roles/{role}/tasks/main.yml missing)"
    return ""


def tools_missing() -> str:
    for tool in ("podman", "ansible-playbook"):
        if not shutil.which(tool, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"):
            return f"{tool} not found: run `make setup`"
    return ""


def find_anchors(option: str | None, env: Mapping[str, str], repo: Path = REPO) -> Path:
    """The anchors directory: --anchors, else $SSM_RUNAS_ANCHORS, else <repo>/../shared/anchors."""
    if option:
        return Path(option)
    if env.get(ANCHORS_ENV):
        return Path(env[ANCHORS_ENV])
    return repo.parent / "shared" / "anchors"


def anchor_missing(anchors: Path) -> str:
    """Why the anchor role cannot run from anchors, or '' when it can."""
    if not (anchors / ANCHOR_ROLE / "tasks" / "main.yml").is_file():
        return f"no {ANCHOR_ROLE} in {anchors} (pass --anchors DIR or set ${ANCHORS_ENV})"
    return ""


def anchor_version(anchors: Path) -> str:
    """The newest version its CHANGELOG.md names ('[1.8.2] - 2026-06-24'), or ''."""
    changelog = anchors / ANCHOR_ROLE / "CHANGELOG.md"
    if changelog.is_file():
        match = re.search(r"^\[(\d[^\]]*)\]", changelog.read_text(errors="replace"), re.MULTILINE)
        if match:
            return match.group(1)
    return ""


def write_anchor_files(out: Path) -> tuple[Path, Path]:
    """The anchor's play and its extra vars (mode 0600).

    The vars only refer to the join secret the bench inventory reads from the lab's
    secrets.json, so the password is on no command line and in no file of ours. Extra vars
    because the Debian package names must beat the role's own vars/main.yml.
    """
    play = out / "anchor.yml"
    play.write_text(
        "---\n"
        f"- name: linux-system-roles {ANCHOR_ROLE}, unmodified\n"
        "  hosts: ssm_instances\n"
        "  gather_facts: false  # the role gathers the facts it needs itself\n"
        "  become: true\n"
        "  roles:\n"
        f"    - role: {ANCHOR_ROLE}\n"
    )
    extra = out / "anchor-vars.yml"
    fd = os.open(extra, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(
            "---\n"
            # The same realm and join account our roles get, from the same inventory.
            'ad_integration_realm: "{{ ssm_runas.realm }}"\n'
            'ad_integration_user: "{{ ad_join_user }}"\n'
            'ad_integration_password: "{{ ad_join_password }}"\n'
            f"__ad_integration_packages: {json.dumps(ANCHOR_PACKAGES)}\n"
        )
    os.chmod(extra, 0o600)
    return play, extra


def load_module(name: str, path: Path):
    if not path.exists():
        raise NotMeasured(f"{path.relative_to(REPO)} is missing")
    collections = str(REPO / "collections")
    if collections not in sys.path:
        sys.path.insert(0, collections)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# ours and the anchor, side by side


def linux_set(fleet: int) -> dict[str, Figure]:
    figs = [
        Figure("floor", "Ansible floor: one-task ping play, 1 instance", SECONDS),
        Figure("linux_first", "ours: first converge (ad_join + ad_sudoers) / floor", RATIO),
        Figure("linux_rerun", "ours: idempotent re-run / floor", RATIO, "<= 1.3"),
        Figure("anchor_first", f"{ANCHOR_ROLE}: first converge / floor", RATIO),
        Figure("anchor_rerun", f"{ANCHOR_ROLE}: idempotent re-run / floor", RATIO),
        Figure("anchor_vs_ours_rerun", f"{ANCHOR_ROLE} re-run / our re-run", RATIO, ">= 4"),
        Figure("anchor_vs_ours_first", f"{ANCHOR_ROLE} first converge / our first converge", RATIO),
        # One round trip for a converged host (the host_steps changelog).
        Figure("modules_ours", "ours: module executions per host, re-run", COUNT, "== 1"),
        Figure("modules_anchor", f"{ANCHOR_ROLE}: module executions per host, re-run", COUNT),
        Figure("cpu_ours", "ours: controller CPU of a re-run, 1 instance", SECONDS),
        Figure("cpu_anchor", f"{ANCHOR_ROLE}: controller CPU of a re-run, 1 instance", SECONDS),
        Figure("fleet", f"ours: re-run over {fleet} instances / over 1", RATIO, "<= 1.5"),
        Figure("fleet_floor", f"Ansible floor over {fleet} instances / over 1", RATIO),
        Figure("cpu_per_host", f"controller CPU per host, our re-run over {fleet}", SECONDS),
    ]
    for fig in figs:
        if fig.key.startswith(("modules_",)):
            fig.note = "podman exec calls that ran a module, tools/bench-podman"
    return {f.key: f for f in figs}


class Side:
    """One side of the comparison: how to run it and on which instance."""

    def __init__(self, name: str, playbook: Path, env=None, extra_vars: Path | None = None):
        self.name = name
        self.playbook = playbook
        self.env = env or {}
        self.extra_vars = extra_vars
        self.host = ""
        self.first: Run | None = None
        self.rerun: Run | None = None
        self.failed = ""

    def run(self, bench: BenchLab, label: str) -> Run:
        return bench.playbook(
            self.playbook, label, limit=[self.host], env=self.env, extra_vars=self.extra_vars
        )


def failure(run: Run) -> str:
    return f"rc={run.rc}, see logs/{run.log}"


def record_floor(figs: dict[str, Figure], floor: Run, run: int, host: str) -> float:
    figs["floor"].samples.append(floor.seconds)
    figs["floor"].raw.append({"run": run, "host": host, **floor.summary()})
    modules = floor.execs.get(host, {}).get("modules")
    if modules != 1:
        # The recorder must see exactly the one ping: else its counts mean nothing.
        why = f"the exec recorder saw {modules} module runs for one ping (logs/{floor.log})"
        figs["modules_ours"].reason = figs["modules_anchor"].reason = why
    return floor.seconds


def side_by_side_run(bench, run: int, sides: list[Side], figs: dict[str, Figure]) -> dict:
    """One run: a fresh instance per side; floor + first converge, then floor + re-run."""
    hosts = bench.fresh_instances(max(1, len(sides)))
    for side, host in zip(sides, hosts, strict=False):
        side.host, side.first, side.rerun, side.failed = host, None, None, ""
    if not sides:
        record_floor(figs, bench.floor(hosts[:1], f"floor-r{run}"), run, hosts[0])
        return {}
    # Alternate who goes first, so neither side always meets a busier or calmer machine.
    order = sides if run % 2 else sides[::-1]
    comparison: dict = {"run": run}
    for side in order:
        floor_s = record_floor(figs, bench.floor([side.host], f"floor-r{run}"), run, side.host)
        before = bench.host_before(side.host)
        side.first = side.run(bench, f"{side.name}-first-r{run}")
        comparison[side.name] = dict(
            bench.host_after(side.host, before),
            changed=side.first.changed.get(side.host, []),
            log=side.first.log,
        )
        if not side.first.ok:
            side.failed = f"run {run}: first converge failed ({failure(side.first)})"
            continue
        prefix = "linux" if side.name == "ours" else "anchor"
        figs[f"{prefix}_first"].samples.append(side.first.seconds / floor_s)
        figs[f"{prefix}_first"].raw.append({"run": run, "floor": floor_s, **side.first.summary()})
    for side in order:
        if side.failed:
            continue
        floor_s = record_floor(figs, bench.floor([side.host], f"floor-r{run}"), run, side.host)
        side.rerun = side.run(bench, f"{side.name}-rerun-r{run}")
        if not side.rerun.ok:
            side.failed = f"run {run}: re-run failed ({failure(side.rerun)})"
            continue
        prefix = "linux" if side.name == "ours" else "anchor"
        suffix = "ours" if side.name == "ours" else "anchor"
        rerun = figs[f"{prefix}_rerun"]
        rerun.samples.append(side.rerun.seconds / floor_s)
        rerun.raw.append({"run": run, "floor": floor_s, **side.rerun.summary()})
        if side.rerun.changed_count:
            rerun.note = f"NOT idempotent: changed={side.rerun.changed_count} in run {run}"
        figs[f"cpu_{suffix}"].samples.append(side.rerun.cpu)
        counts = side.rerun.execs.get(side.host, {"modules": 0, "execs": 0})
        figs[f"modules_{suffix}"].samples.append(counts["modules"])
        figs[f"modules_{suffix}"].raw.append({"run": run, **counts})
    both = {s.name: s for s in sides if not s.failed}
    if {"ours", "anchor"} <= set(both):
        ours, anchor = both["ours"], both["anchor"]
        ratio = figs["anchor_vs_ours_rerun"]
        ratio.samples.append(anchor.rerun.seconds / ours.rerun.seconds)
        ratio.raw.append({"run": run, "anchor": anchor.rerun.seconds, "ours": ours.rerun.seconds})
        ratio = figs["anchor_vs_ours_first"]
        ratio.samples.append(anchor.first.seconds / ours.first.seconds)
        ratio.raw.append({"run": run, "anchor": anchor.first.seconds, "ours": ours.first.seconds})
    log_comparison(comparison)
    return comparison


def log_comparison(comparison: dict) -> None:
    for name in ("ours", "anchor"):
        if name in comparison:
            side = comparison[name]
            log(
                f"run {comparison['run']}, {name} first converge: installed "
                f"{len(side['installed'])} packages, systemd jobs: "
                f"{', '.join(side['units']) or 'none'}; changed: "
                f"{', '.join(side['changed']) or 'nothing'}"
            )


def fleet_run(bench, run: int, hosts: list[str], figs: dict[str, Figure]) -> None:
    """Floor and re-run over every instance and over the first one, in alternating order."""
    groups = [hosts, hosts[:1]] if run % 2 else [hosts[:1], hosts]
    seen: dict[int, tuple[Run, Run]] = {}
    for group in groups:
        floor = bench.floor(group, f"fleet-floor-{len(group)}-r{run}")
        rerun = bench.playbook(LINUX_PLAYBOOK, f"fleet-rerun-{len(group)}-r{run}", limit=group)
        if not rerun.ok:
            raise NotMeasured(f"run {run}: re-run over {len(group)} failed ({failure(rerun)})")
        if rerun.changed_count:
            figs["fleet"].note = f"NOT idempotent: changed={rerun.changed_count} in run {run}"
        seen[len(group)] = (floor, rerun)
    (floor_n, rerun_n), (floor_1, rerun_1) = seen[len(hosts)], seen[1]
    figs["fleet"].samples.append(rerun_n.seconds / rerun_1.seconds)
    figs["fleet"].raw.append({"run": run, "all": rerun_n.summary(), "one": rerun_1.summary()})
    figs["fleet_floor"].samples.append(floor_n.seconds / floor_1.seconds)
    figs["fleet_floor"].raw.append({"run": run, "all": floor_n.seconds, "one": floor_1.seconds})
    figs["cpu_per_host"].samples.append(cpu_per_host(rerun_n.cpu, len(hosts)))
    figs["cpu_per_host"].raw.append({"run": run, "cpu": rerun_n.cpu, "hosts": len(hosts)})


SELECTED = {
    "floor": ("floor",),
    "linux": ("linux_first", "linux_rerun", "modules_ours", "cpu_ours"),
    "anchor": ("anchor_first", "anchor_rerun", "modules_anchor", "cpu_anchor"),
    "fleet": ("fleet", "fleet_floor", "cpu_per_host"),
}
RATIOS_OURS_ANCHOR = ("anchor_vs_ours_rerun", "anchor_vs_ours_first")


def preset_reasons(figs: dict[str, Figure], want: set[str], anchor_reason: str) -> str:
    """Figures that will not be measured, and why, before anything runs; what blocks them all."""
    for section, keys in SELECTED.items():
        if section not in want:
            for key in keys:
                figs[key].reason = "not selected"
    if not {"linux", "anchor"} <= want:
        for key in RATIOS_OURS_ANCHOR:
            figs[key].reason = "needs both linux and anchor selected"
    if "anchor" in want and anchor_reason:
        for key in (*SELECTED["anchor"], *RATIOS_OURS_ANCHOR):
            figs[key].reason = anchor_reason
    blocked = tools_missing() or role_missing("ad_join") or role_missing("ad_sudoers")
    for fig in figs.values() if blocked else ():
        fig.reason = fig.reason or blocked
    return blocked


def measure_fleet(bench, args, figs: dict[str, Figure]) -> None:
    log(f"fleet: {args.fleet} fresh instances, first converge together")
    hosts = bench.fresh_instances(args.fleet)
    converge = bench.playbook(LINUX_PLAYBOOK, f"fleet-first-{args.fleet}")
    figs["fleet"].raw.append({"first_converge": converge.summary()})
    if not converge.ok:
        raise NotMeasured(f"first converge of {args.fleet} instances failed ({failure(converge)})")
    for run in range(1, args.runs + 1):
        log(f"fleet run {run}/{args.runs}")
        fleet_run(bench, run, hosts, figs)


def linux_figures(bench, args) -> tuple[list[Figure], list[dict]]:
    """Floor, ours and the anchor side by side, then the fleet; what each first converge did."""
    figs = linux_set(args.fleet)
    want = args.sections
    anchor_reason = anchor_missing(args.anchors)
    if preset_reasons(figs, want, anchor_reason):
        return list(figs.values()), []  # tools or roles missing: nothing can run
    sides = []
    if "linux" in want:
        sides.append(Side("ours", LINUX_PLAYBOOK))
    if "anchor" in want and not anchor_reason:
        play, extra = write_anchor_files(bench.out)
        sides.append(Side("anchor", play, {"ANSIBLE_ROLES_PATH": str(args.anchors)}, extra))
    comparisons = []
    failures: dict[str, str] = {}
    try:
        for run in range(1, args.runs + 1) if sides or "floor" in want else ():
            log(f"side-by-side run {run}/{args.runs}: {', '.join(s.name for s in sides)}")
            comparisons.append(side_by_side_run(bench, run, sides, figs))
            for side in sides:
                if side.failed:
                    failures.setdefault(side.name, side.failed)
                    log(f"{side.name}: {side.failed}")
        if "fleet" in want:
            measure_fleet(bench, args, figs)
    except NotMeasured as exc:
        log(f"not measured: {exc}")
        failures["all"] = str(exc)
    for fig in figs.values():
        if not fig.samples and not fig.reason:
            side = "anchor" if "anchor" in fig.key else "ours"
            fig.reason = failures.get(side) or failures.get("all") or "no samples"
    return list(figs.values()), [c for c in comparisons if len(c) > 1]


# ---------------------------------------------------------------------------------------
# AWS and ADFS: counted, no lab instances


def aws_figures(bench: BenchLab, runs: int) -> list[Figure]:
    calls = Figure("aws_calls", "AWS idempotent run (aws.yml on moto): API calls", COUNT)
    # 12 reads, and two for the account guard (GetCallerIdentity, ListAccountAliases).
    calls.target = "<= 14"
    writes = Figure("aws_writes", "AWS idempotent run: write calls", COUNT, "== 0")
    figures = [calls, writes]
    try:
        if reason := role_missing("aws_federation") or tools_missing():
            raise NotMeasured(reason)
        # The AWS teammate's moto request-log counter, reused as is.
        harness = load_module(
            "bench_aws_harness", REPO / "tests" / "integration" / "iam_eval" / "harness.py"
        )
        bench.start_moto()
        bench.lab_cmd("up", "--aws-only", "--no-moto")  # secrets + SAML metadata only
        bench.write_inventory()
        playbook = REPO / "playbooks" / "aws.yml"
        converge = bench.playbook(playbook, "aws-converge")
        if converge.rc != 0:
            raise NotMeasured(f"playbooks/aws.yml failed against moto (rc={converge.rc})")
        for run in range(1, runs + 1):
            harness.recorder(bench.moto_url, "reset-recording")
            harness.recorder(bench.moto_url, "start-recording")
            try:
                again = bench.playbook(playbook, f"aws-idempotent-r{run}")
            finally:
                harness.recorder(bench.moto_url, "stop-recording")
            if again.rc != 0:
                raise NotMeasured(f"idempotent playbooks/aws.yml failed (rc={again.rc})")
            made = harness.recorded_calls(bench.moto_url)
            written = [c for c in made if harness.is_write(c[1])]
            calls.samples.append(len(made))
            writes.samples.append(len(written))
            detail = {"run": run, "seconds": again.seconds, "calls": made, "recap": again.recap}
            calls.raw.append(detail)
            writes.raw.append({"run": run, "writes": written})
    except NotMeasured as exc:
        for fig in figures:
            fig.reason = str(exc)
    finally:
        bench.kill_own_moto()
    return figures


def adfs_figures(runs: int) -> list[Figure]:
    change = Figure("adfs_change", "ADFS upsert with a change: WinRM round trips", COUNT)
    change.target = "== 2"
    same = Figure("adfs_same", "ADFS upsert without a change: WinRM round trips", COUNT)
    same.target = "== 1"
    try:
        # The ADFS teammate's fake rule store and action driver, reused as is.
        fake = load_module("bench_adfs_fake", REPO / "tests" / "unit" / "test_adfs_action.py")
        for run in range(1, runs + 1):
            with tempfile.TemporaryDirectory(prefix="bench-adfs-") as tmp:
                store = fake.FakeAdfs()
                fake.run(store, Path(tmp))
                trips = store.reads + store.writes + store.trusts_created
                change.samples.append(trips)
                change.raw.append({"run": run, "reads": store.reads, "writes": store.writes})
                store.reads = store.writes = store.trusts_created = 0
                fake.run(store, Path(tmp))
                trips = store.reads + store.writes + store.trusts_created
                same.samples.append(trips)
                same.raw.append({"run": run, "reads": store.reads, "writes": store.writes})
    except (NotMeasured, ImportError, AttributeError) as exc:
        for fig in (change, same):
            fig.reason = str(exc)
    for fig in (change, same):
        fig.note = "fake AD FS store; counts calls the action makes over the connection"
    return [change, same]


# ---------------------------------------------------------------------------------------


def machine() -> dict:
    def first(path: str, pattern: str) -> str:
        try:
            match = re.search(pattern, Path(path).read_text(), re.MULTILINE)
        except OSError:
            return ""
        return match.group(1).strip() if match else ""

    mem_kib = first("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    return {
        "cpu": first("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kib) / 1024**2, 1) if mem_kib else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def ansible_core() -> str:
    try:
        return importlib.metadata.version("ansible-core")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="runs per figure (median)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=",".join(SECTIONS))
    parser.add_argument("--fleet", type=int, default=DEFAULT_FLEET, help="instances in the fleet")
    parser.add_argument("--anchors", help=f"directory holding {ANCHOR_ROLE}/ (${ANCHORS_ENV})")
    parser.add_argument("--lab", default="bench", help="private lab name (never 'lab')")
    parser.add_argument("--out", default=str(REPO / ".cache" / "bench"))
    parser.add_argument("--keep", action="store_true", help="leave the bench lab up")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="measure nothing: rewrite README.md and docs/performance.md from bench.json",
    )
    args = parser.parse_args(argv)
    args.sections = set(filter(None, args.only.split(",")))
    unknown = args.sections - set(SECTIONS)
    if unknown:
        parser.error(f"--only {','.join(sorted(unknown))}: choose from {','.join(SECTIONS)}")
    if args.lab == "lab":
        parser.error("--lab lab is the user's main lab: pick a private name")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.fleet < 2:
        parser.error(f"--fleet {args.fleet}: a fleet is at least 2 instances (compared with 1)")
    args.anchors = find_anchors(args.anchors, os.environ)
    return args


def header(args, seconds: float) -> dict:
    reason = anchor_missing(args.anchors)
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "ansible_core": ansible_core(),
        "runs": args.runs,
        "fleet": args.fleet,
        "sections": sorted(args.sections),
        "lab": args.lab,
        "anchor": {
            "role": ANCHOR_ROLE,
            "path": str(args.anchors),
            "version": "" if reason else anchor_version(args.anchors),
            "packages": ANCHOR_PACKAGES,
            "missing": reason,
        },
        "seconds": round(seconds),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    if args.write_docs:
        source = out / "bench.json"
        if not source.exists():
            print(f"bench: {source} not found: run `make bench` first", file=sys.stderr)
            return 2
        data = json.loads(source.read_text())
        write_docs(data, REPO / "README.md", REPO / "docs" / "performance.md")
        print(f"bench: README.md and docs/performance.md rewritten from {source}")
        return 0
    bench = BenchLab(args.lab, out, keep=args.keep)
    shutil.rmtree(bench.logs, ignore_errors=True)
    bench.logs.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    comparisons: list[dict] = []
    started = time.monotonic()
    stop: Callable[[int, object], None] = lambda *_: sys.exit(130)  # noqa: E731
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if "adfs" in args.sections:
            figures += adfs_figures(args.runs)
        if "aws" in args.sections:
            bench.clear_leftovers()
            figures += aws_figures(bench, args.runs)
        if args.sections & {"floor", "linux", "anchor", "fleet"}:
            bench.clear_leftovers()
            bench.write_inventory()
            linux, comparisons = linux_figures(bench, args)
            figures = linux + figures
    finally:
        bench.teardown()
        signal.signal(signal.SIGTERM, previous)
    head = header(args, time.monotonic() - started)
    md = markdown(figures, head)
    if comparisons:
        md += "\n" + first_converge_markdown(comparisons)
    (out / "bench.md").write_text(md)
    data = {
        "header": head,
        "figures": [f.as_json() for f in figures],
        "first_converge": comparisons,
        # Before each floor (and so before each timed run) the machine was let settle.
        "settled": bench.settled,
    }
    (out / "bench.json").write_text(json.dumps(data, indent=2) + "\n")
    print(text_table(figures), end="")
    print(f"\nbench: {out / 'bench.md'} and bench.json; logs in {bench.logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
