"""Session Manager sessions on lab instances, started the way amazon-ssm-agent starts them.

The tests' outside model of the agent (see agent_session_start.py, which runs in the instance
and cites the agent's source step by step); it imports nothing from the collection. Here: that
program runs as a transient systemd service with the agent unit's settings, so its environment,
working directory, cgroup and (unset) login uid are the ones systemd gives the agent. Unlike the
agent's, its output comes back here rather than to the journal (no JOURNAL_STREAM).
"""

import base64
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

START = Path(__file__).with_name("agent_session_start.py").read_bytes()
# packaging/linux/amazon-ssm-agent.service [Service]: no User=, Environment= or EnvironmentFile=,
# so systemd gives the agent its manager's environment; the agent's cwd is WorkingDirectory.
AGENT_SERVICE = {"Type": "simple", "WorkingDirectory": "/usr/bin/", "KillMode": "process"}
# The prompt of the session's interactive sh (dash) for a user other than root.
PROMPT = "$ "
_CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Session:
    """What the session showed. ``started`` is false when the agent refused it (``error``)."""

    started: bool
    error: str | None
    status: int | None
    transcript: str
    credentials: dict | None
    environment: dict

    @property
    def lines(self):
        """The terminal's lines as a user reads them: no carriage returns, no colour codes
        (TERM is xterm-256color, so ip and ls colour their output). Typed lines follow a prompt."""
        return _CSI.sub("", self.transcript).replace("\r\n", "\n").split("\n")

    def output_of(self, typed):
        """The lines a typed line printed: from the line it was typed on to the next prompt."""
        lines = self.lines
        starts = [i for i, line in enumerate(lines) if line.endswith(PROMPT + typed)]
        if not starts:
            raise LookupError(f"{typed!r} was not typed: {self.transcript!r}")
        out = []
        for line in lines[starts[0] + 1 :]:
            if line.startswith(PROMPT):
                break
            out.append(line)
        return out


def answer(after, text, newline=True):
    """A step that types ``text`` once the output shows ``after`` (a regex): a password at
    sudo's prompt, never echoed and never in the transcript."""
    return {"after": after, "answer": text, "newline": newline}


def start(container, user, steps=(), profile=""):
    """A run-as session as ``user`` (the name as the service sends it): the shell profile typed
    first, then each step: a line typed when the shell prompts, or an ``answer``; then exit.
    ``status`` is the shell's exit status (its last command's)."""
    request = {
        "user": user,
        "profile": profile,
        "steps": [step if isinstance(step, dict) else {"type": step} for step in steps],
    }
    settings = [f"--property={key}={value}" for key, value in AGENT_SERVICE.items()]
    # systemd expands $VARIABLES in a service's arguments: the program travels as base64.
    program = base64.b64encode(START).decode()
    proc = subprocess.run(
        [
            *("podman", "exec", "-i", container),
            *("systemd-run", "--quiet", "--wait", "--pipe", "--collect", *settings),
            *("/usr/bin/python3", "-c", "import base64, sys; exec(base64.b64decode(sys.argv[1]))"),
            program,
        ],
        input=json.dumps(request),  # answers (passwords) travel on stdin only
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the session start failed on {container}: {proc.stderr[-2000:]}")
    return Session(**json.loads(proc.stdout))
