"""A Session Manager shell started the way amazon-ssm-agent starts one, run inside an instance.

The outside model the tests hold the collection to: written from the agent's source
(aws/amazon-ssm-agent, agent/session/shell/shell_unix.go, agent/session/shell/shell.go,
agent/session/utility/utility_unix.go, agent/session/shell/constants/constants_unix.go,
packaging/linux/amazon-ssm-agent.service), never from this collection's code. Each step names
the function it follows. Standard library only: it runs with the instance's python3, as root,
in the agent service's environment and working directory (agent_session.py arranges both).

Input (stdin, JSON): {"user": run-as name, "profile": shellProfile.linux,
"steps": [{"type": line} | {"after": regex, "answer": text, "newline": bool}]}.
Output (stdout, JSON): {"started", "error", "credentials", "environment", "status",
"transcript"}; an answer never appears in the transcript.
"""

import errno
import fcntl
import json
import os
import re
import select
import subprocess
import sys
import termios
import time

# utility_unix.go: ShellPluginCommandName, ShellPluginCommandArgs.
SHELL_COMMAND = ["sh", "-c"]
# shell_unix.go: termEnvVariable, langEnvVariable, groupsIdentifier, newLineCharacter.
TERM = ("TERM", "xterm-256color")
LANG = ("LANG", "C.UTF-8")
GROUPS = "groups="
NEWLINE = "\n"
# constants_unix.go: HomeEnvVariable = "HOME=" + UserDirectory ("/home/").
HOME_PREFIX = "/home/"
# An interactive sh (dash) shows this prompt when it waits for a line: "$ ", or "# " for root.
PROMPT = re.compile(r"[$#] $")
# sh prints a prompt before every line it reads: PS1 ($ or #) or, inside a construct that
# goes on, PS2 (>). Text typed ahead was echoed when it was typed, so such prompts stand at
# the start of a line or right after the prompt before ("$ $ ").
LINE_PROMPT = re.compile(r"(?:^|(?<=\n)|(?<=[$#>] ))[$#>] ")
# A hang guard for the whole session (not an assertion: a session that hangs is reported).
DEADLINE = 90


class SessionRefused(Exception):
    """The agent fails the session before a shell starts (StartCommandExecutor's errors)."""


def go_atoi(text):
    """strconv.Atoi: optional sign and decimal digits only, within int64."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise SessionRefused(f'strconv.Atoi: parsing "{text}": invalid syntax')
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise SessionRefused(f'strconv.Atoi: parsing "{text}": value out of range')
    return value


def sh_c(command, capture):
    """exec.Command("sh", "-c", command) run by the agent itself: its environment and working
    directory, stdin from /dev/null; Output() keeps stdout, Run() discards it."""
    return subprocess.run(
        [*SHELL_COMMAND, command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        check=False,
    )


def does_user_exist(name):
    """utility_unix.go DoesUserExist: `sh -c "id <name>"` (unquoted); any error means no."""
    try:
        return sh_c(f"id {name}", capture=False).returncode == 0
    except OSError:
        return False


def extract_group_id(value):
    """shell_unix.go extractGroupId: the number before "(", else "invalid group"."""
    parenthesis = value.find("(")
    if parenthesis <= 0:
        raise SessionRefused("invalid group")
    return go_atoi(value[:parenthesis].strip())


def get_user_credentials(name):
    """shell_unix.go getUserCredentials: `id -u`, `id -g`, then `id` parsed after "groups="."""
    found = []
    for command in (f"id -u {name}", f"id -g {name}"):
        out = sh_c(command, capture=True)
        if out.returncode != 0:
            raise SessionRefused(f"exit status {out.returncode}")
        found.append(go_atoi(out.stdout.decode("utf-8", "replace").strip()))
    uid, gid = found
    out = sh_c(f"id {name}", capture=True)
    if out.returncode != 0:
        raise SessionRefused(f"exit status {out.returncode}")
    text = out.stdout.decode("utf-8", "replace")
    groups = []
    index = text.find(GROUPS)
    if index > 0:
        for value in text[index + len(GROUPS) :].split(","):
            groups.append(extract_group_id(value) % 2**32)  # uint32(groupId)
    # "Make sure they are non-zero valid positive ids"
    if uid > 0 and gid > 0:
        return uid % 2**32, gid % 2**32, groups
    raise SessionRefused("invalid uid and gid")


def session_environment(name):
    """StartCommandExecutor: os.Environ() + TERM, + LANG when the agent has none, + HOME.
    os/exec drops duplicate keys in favour of the later value (dedupEnv)."""
    pairs = [*os.environ.items(), TERM]
    if os.environ.get(LANG[0], "") == "":
        pairs.append(LANG)
    pairs.append(("HOME", HOME_PREFIX + name))
    env = {}
    for key, value in pairs:
        env.pop(key, None)
        env[key] = value
    return env


def start_shell(uid, gid, groups, env):
    """pty.Start(cmd) with cmd = exec.Command("sh") and SysProcAttr.Credential{uid, gid,
    groups}: a new session whose controlling terminal is the pty, credentials set in the
    child (setgroups, setgid, setuid: setpriv here), no PAM, no chdir (the agent's cwd)."""
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            ids = ["--groups=" + ",".join(map(str, groups))] if groups else ["--clear-groups"]
            argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", *ids, "--", "sh"]
            os.execvpe("setpriv", argv, env)  # noqa: S606 - argv, as the agent passes it
        finally:
            os._exit(127)
    os.close(slave)
    return pid, master


class Terminal:
    """The agent's side of the pty: what it writes (runShellProfile, then the user's input
    through InputStreamMessageHandler) and everything the shell shows."""

    def __init__(self, master, secrets):
        self.master = master
        self.output = b""
        self.mark = 0  # output seen since the last write starts here
        self.closed = False
        self.secrets = secrets
        self.deadline = time.monotonic() + DEADLINE

    def write(self, text):
        self.mark = len(self.output)
        os.write(self.master, text.encode("utf-8"))

    def read(self, timeout):
        ready, _w, _x = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError as exc:  # EIO: every slave fd is closed, the shell has ended
            if exc.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self.closed = True
        self.output += data

    def wait_for(self, pattern):
        """Read until the output since the last write matches ``pattern`` (at its end)."""
        while not self.closed:
            tail = self.output[self.mark :].decode("utf-8", "replace")
            if pattern.search(tail):
                return
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"the session did not show {pattern.pattern!r}")
            self.read(1.0)
        raise EOFError(f"the shell ended before it showed {pattern.pattern!r}")

    def wait_for_prompts(self, count):
        """Read until the whole output shows ``count`` prompts and ends at one: text typed
        ahead (the profile) has then been read and run line by line. Counted from the start,
        as the shell may prompt before or after the typed text is echoed."""
        while not self.closed:
            text = self.output.decode("utf-8", "replace")
            if len(LINE_PROMPT.findall(text)) >= count and PROMPT.search(text):
                return
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"the session did not show {count} prompts: {text!r}")
            self.read(1.0)
        raise EOFError(f"the shell ended before it showed {count} prompts")

    def drain(self):
        while not self.closed and time.monotonic() < self.deadline:
            self.read(1.0)

    def transcript(self):
        text = self.output.decode("utf-8", "replace")
        for secret in self.secrets:
            if secret.strip():
                text = text.replace(secret, "<answer>")
        return text


def run(request):
    name = request["user"]
    result = {"started": False, "error": None, "credentials": None, "status": None}
    env = session_environment(name)
    result["environment"] = env
    result["transcript"] = ""
    # StartCommandExecutor with RunAsEnabled: the user must exist, then its credentials.
    try:
        if not does_user_exist(name):
            raise SessionRefused(f"failed to start pty since RunAs user {name} does not exist")
        uid, gid, groups = get_user_credentials(name)
    except SessionRefused as exc:
        result["error"] = str(exc)
        return result
    result["credentials"] = {"uid": uid, "gid": gid, "groups": groups}
    pid, master = start_shell(uid, gid, groups, env)
    result["started"] = True
    answers = [s["answer"] for s in request["steps"] if "answer" in s]
    term = Terminal(master, answers)
    try:
        # shell.go executeCommandsWithPty -> runShellProfile: typed at once when not blank.
        profile = request.get("profile") or ""
        if profile.strip():
            term.write(profile + NEWLINE)
            # A user types after the profile has run, at the prompt after its last line (one
            # prompt first, then one per line typed); the first prompt alone comes too early.
            term.wait_for_prompts((profile + NEWLINE).count(NEWLINE) + 1)
        # The user, afterwards: each line when the shell prompts, each answer when asked.
        for step in request["steps"]:
            if "type" in step:
                term.wait_for(PROMPT)
                term.write(step["type"] + NEWLINE)
            else:
                term.wait_for(re.compile(step["after"]))
                term.write(step["answer"] + (NEWLINE if step.get("newline", True) else ""))
        term.wait_for(PROMPT)
        term.write("exit" + NEWLINE)
        term.drain()
    except (TimeoutError, EOFError) as exc:
        result["error"] = str(exc)
    finally:
        if not term.closed:
            os.kill(pid, 9)
        _pid, status = os.waitpid(pid, 0)
        os.close(master)
    result["status"] = os.waitstatus_to_exitcode(status)
    result["transcript"] = term.transcript()
    return result


def main():
    json.dump(run(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
