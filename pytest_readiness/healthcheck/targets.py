"""What one simple command of a healthcheck probes, and whether that target is the service itself.

A healthcheck proves liveness only when it reaches the service's own process or port. This module
reads one command (``curl -fsS http://127.0.0.1:8000/healthz``, ``redis-cli -h redis ping``,
``pg_isready -U postgres``, ``find /data/x -mmin -2``) into :class:`Probe` records: what it targets
(a host and port, a file, a process) and of which kind:

* ``liveness``: the service's own port or health command;
* ``connectivity``: another host, a dependency (``redis-cli -h redis ping`` from an app);
* ``freshness``: a file's age or existence (a report the process writes);
* ``process``: only that a process exists (``pgrep``, ``kill -0 1``, ``ps | grep``), which holds
  while the container runs at all;
* ``other``: not understood (an unknown tool, a host only known at run time).

Host names are resolved before judging: ``${HOST:-localhost}`` takes the container's environment, then
the default. How the commands combine into an exit status is ``shell``'s job; reading a script the
healthcheck runs is ``scripts``'.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from . import pycode
from .hosts import Probe, split_host_port, url_host

# ---------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LOCAL_HOSTS = _words("localhost localhost.localdomain ip6-localhost ip6-loopback 0.0.0.0 :: ::1 0")
_SELF_HOST_WORDS = frozenset({"$hostname", "${hostname}", "$(hostname)", "`hostname`", "$(hostname -i)"})
_SHELLS = _words("sh bash dash ash zsh ksh mksh")
_WRAPPERS = _words("exec command builtin nohup time stdbuf ionice chpst tini")
_NEUTRAL = _words(
    "exit return true false : echo printf sleep expr let set export local read tr cut sort uniq tee base64"
    " seq bc xargs rm touch mkdir unset shift eval source . trap wait dirname basename"
)
_HEALTH_WORDS = _words(
    "health healthcheck health-check health_check healthz livez liveness alive ping --health --healthcheck"
    " --health-check --health_check -health -healthcheck --alive --liveness --ping"
)
_FILE_TEST_OPS = {
    "-e": "exists", "-a": "exists", "-f": "is a regular file", "-s": "is non-empty", "-d": "is a directory",
    "-r": "is readable", "-w": "is writable", "-x": "is executable", "-L": "is a symlink",
    "-h": "is a symlink", "-p": "is a pipe", "-S": "is a socket", "-N": "was modified since last read",
    **dict.fromkeys(("-O", "-G", "-b", "-c", "-g", "-u", "-k"), "exists"),
}  # fmt: skip
_FILE_READERS = _words("cat head tail wc ls readlink du md5sum sha256sum file realpath od")
_PATTERN_FIRST = _words("grep egrep fgrep zgrep rg awk gawk mawk sed jq yq")
_PROCESS_TOOLS = _words("pgrep pidof ps")
_SUPERVISORS = _words("supervisorctl s6-svstat sv systemctl monit")
_SCRIPT_LANGS = {"node": "-e", "nodejs": "-e", "bun": "-e", "ruby": "-e", "perl": "-e", "php": "-r"}
_URL_IN_TEXT = re.compile(r"""\b([a-z][a-z0-9+.-]*)://([^\s'"`/?#]+)""", re.IGNORECASE)
_FRESH_IN_TEXT = re.compile(r"mtime|statSync|\bstat\(|File\.mtime|-M\s|filemtime|getmtime|existsSync")


@dataclass(frozen=True)
class _Spec:
    """Which options of a CLI take a value, so its positional arguments can be found."""

    short: str = ""
    long: frozenset[str] = frozenset()
    attached_only: str = ""


_CURL = _Spec(
    "AbcCdDeEFHKmoPQrtTuUwxXyYz",
    _words(
        "url header request data data-raw data-binary data-urlencode output user max-time "
        "connect-timeout retry retry-delay retry-max-time write-out user-agent resolve connect-to "
        "cacert cert key proxy unix-socket abstract-unix-socket interface dns-servers "
        "max-filesize limit-rate form cookie referer capath cert-type key-type oauth2-bearer "
        "proxy-user expect100-timeout json range"
    ),
)
_WGET = _Spec(
    "OoatTwPUeiBYQlAR",
    _words(
        "output-document output-file tries timeout header user-agent post-data post-file user "
        "password method body-data dns-timeout connect-timeout read-timeout wait directory-prefix "
        "execute input-file ca-certificate"
    ),
)
_NC = _Spec("wiqspWxXOITVe", frozenset({"wait", "source", "source-port", "proxy", "proxy-type"}))
_REDIS = _Spec("hpasunridD", frozenset({"user", "pass", "askpass", "cacert", "cert", "key", "sni", "tls-ciphers"}))
_PG_ISREADY = _Spec("hpUdt", frozenset({"host", "port", "username", "dbname", "timeout"}))
_PSQL = _Spec("hpUdcfvoTPFLRW", frozenset({"host", "port", "username", "dbname", "command", "file"}))
_MYSQL = _Spec("hPuSeDo", frozenset({"host", "port", "user", "socket", "execute", "database", "protocol"}), "p")
_MONGO = _Spec("uph", frozenset({"host", "port", "username", "password", "eval", "authenticationDatabase"}))
_GENERIC = _Spec()
_CQLSH = _Spec("eukpf", frozenset({"execute", "username", "password", "keyspace", "file"}))
_BOOTSTRAP = _Spec("", frozenset({"bootstrap-server", "endpoints", "server", "command-config"}))
_READER_SPECS = {
    "head": _Spec("nc"), "tail": _Spec("ncs"), "grep": _Spec("efmABCd"), "egrep": _Spec("efmABC"),
    "fgrep": _Spec("efmABC"), "zgrep": _Spec("efmABC"), "rg": _Spec("efmABCgt"), "awk": _Spec("fvF"),
    "gawk": _Spec("fvF"), "mawk": _Spec("fvF"), "sed": _Spec("ef"), "jq": _Spec(""), "yq": _Spec(""),
}  # fmt: skip


def _parse_args(args: Sequence[str], spec: _Spec) -> tuple[dict[str, list[str]], list[str]]:
    """Split a CLI's arguments into options (``-h``/``--host`` -> values) and positionals."""
    opts: dict[str, list[str]] = {}
    positionals: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            positionals.extend(args[index + 1 :])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and name in spec.long and index + 1 < len(args):
                index += 1
                value = args[index]
            opts.setdefault("--" + name, []).append(value)
        elif arg.startswith("-") and len(arg) > 1 and not arg[1:].isdigit():
            pos = 1
            while pos < len(arg):
                letter, rest = arg[pos], arg[pos + 1 :]
                if letter in spec.attached_only:
                    opts.setdefault("-" + letter, []).append(rest)
                    break
                if letter in spec.short:
                    if not rest and index + 1 < len(args):
                        index += 1
                        rest = args[index]
                    opts.setdefault("-" + letter, []).append(rest)
                    break
                opts.setdefault("-" + letter, []).append("")
                pos += 1
        else:
            positionals.append(arg)
        index += 1
    return opts, positionals


def _opt(opts: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if opts.get(name):
            return opts[name][-1]
    return None


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _is_python(name: str) -> bool:
    return re.fullmatch(r"python[0-9.]*|pypy[0-9.]*", name) is not None


def _is_path(word: str) -> bool:
    return bool(word) and word != "-" and not word.startswith("-") and ("/" in word or "." in word)


_EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand(word: str, env: Mapping[str, str | None]) -> str:
    """Resolve ``$VAR``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR-default}`` from the container's
    environment, then the default; a variable with neither stays as written (known only at run time)."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        op, default = match.group(2), match.group(3)
        value = env.get(name)
        if op in (":-", ":=") and not value:
            return default or ""
        if op in ("-", "=") and value is None:
            return default or ""
        return match.group(0) if value is None else value

    return _EXPANSION.sub(repl, word) if "$" in word else word


@dataclass(frozen=True)
class Nested:
    """A command that runs another program: ``sh -c BODY`` (shell text) or a script file."""

    kind: str  # "shell" | "script"
    text: str
    args: tuple[str, ...] = ()


@dataclass
class Reading:
    """What one simple command is, for the exit-status evaluation."""

    probes: list[Probe] = field(default_factory=list)
    neutral: bool = False  # cannot fail for a reason that concerns the service (echo, true, sleep, tee)
    constant: int | None = None  # a fixed exit status (false: 1)
    exit_code: int | None = None  # `exit N`
    exit_last: bool = False  # `exit` / `exit $?`
    filter: bool = False  # reads stdin and succeeds on what it reads (grep -q, jq -e): upstream decides
    sets: frozenset[str] = frozenset()  # `set -e`, `set -o pipefail`
    nested: Nested | None = None


@dataclass
class CommandReader:
    """Reads simple commands of one container's healthcheck (knows its name, ports and dependencies)."""

    service: str
    dependencies: frozenset[str]
    own_names: frozenset[str]
    own_ports: frozenset[str]
    environment: Mapping[str, str | None] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    neutral: bool = False
    nested: Nested | None = None

    def read(self, words: Sequence[str], command: str, redirects: Sequence[str] = ()) -> Reading:
        """One simple command (argv words as the shell passes them) -> what it does."""
        self.probes, self.neutral, self.nested = [], False, None
        args = [expand(w, self.environment) for w in words]
        for target in redirects:
            self.dev_tcp(expand(target, self.environment), command)
        while args and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", args[0]):
            args.pop(0)
        args = _strip_wrappers(args)
        reading = Reading()
        if not args:
            reading.neutral = not self.probes
            reading.probes = self.probes
            return reading
        name = _basename(args[0])
        rest = args[1:]
        if name == "exit" or name == "return":
            code = rest[0] if rest else "$?"
            if code.lstrip("-").isdigit():
                reading.exit_code = int(code) % 256
            else:
                reading.exit_last = True
            return reading
        if name == "false":
            reading.constant = 1
            return reading
        if name == "set":
            flags = {"e"} if any(a.startswith("-") and "e" in a[1:] for a in rest) else set()
            if "pipefail" in rest:
                flags.add("pipefail")
            reading.neutral, reading.sets = True, frozenset(flags)
            return reading
        for word in rest:
            self.dev_tcp(word, command)
        if name in _FILTERS and not self.filter_has_operand(name, rest):
            reading.filter = True
            return reading
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, name, rest, command)
        elif name in _SHELLS:
            self.run_shell(rest, command)
        elif _is_python(name):
            self.python(rest, command)
        elif name in _SCRIPT_LANGS:
            self.script_language(name, rest, command)
        elif name in ("[", "test", "[[") or name in _FILE_TEST_OPS:
            self.test_expr(args if name in _FILE_TEST_OPS else rest, command)
        elif name in _PROCESS_TOOLS:
            self.probes.append(
                Probe("process", command, rest[-1] if rest else None, f"only checks that a process exists ({name})")
            )
        elif name in _SUPERVISORS:
            self.probes.append(Probe("process", command, rest[-1] if rest else None, f"asks {name} about a process"))
        elif name in _FILE_READERS or name in _PATTERN_FIRST:
            self.file_reader(name, rest, command)
        elif name in _NEUTRAL:
            self.neutral = True
        elif any(a.lower() in _HEALTH_WORDS for a in rest) and not re.search(r"\.(sh|bash|py|js|mjs|cjs|rb|pl)$", name):
            self.own_health(command, args[0])  # the service's own binary with a health subcommand or flag
        elif "/" in args[0] or re.search(r"\.(sh|bash|py|js|mjs|cjs|rb|pl)$", name):
            self.nested = Nested("script", args[0], tuple(rest))
        else:
            self.fallback(name, args, command)
        reading.probes, reading.neutral, reading.nested = self.probes, self.neutral and not self.probes, self.nested
        return reading

    @staticmethod
    def filter_has_operand(name: str, rest: list[str]) -> bool:
        """``grep -q PONG`` reads stdin; ``grep -q x /file`` reads a file (a file probe, not a filter)."""
        opts, positionals = _parse_args(rest, _READER_SPECS.get(name, _GENERIC))
        if name in _PATTERN_FIRST and not (opts.get("-e") or opts.get("-f")) and positionals:
            positionals = positionals[1:]
        return any(p != "-" for p in positionals)

    # -- hosts -----------------------------------------------------------------------------------

    def host_kind(self, host: str | None) -> str:
        """own, dependency, other or unknown (a variable) for a hostname; no host means local."""
        if not host:
            return "own"
        lowered = host.strip("[]").lower()
        if lowered in _LOCAL_HOSTS or lowered.startswith("127.") or lowered in _SELF_HOST_WORDS:
            return "own"
        if lowered in self.own_names:
            return "own"
        if lowered in self.dependencies:
            return "dependency"
        if "$" in lowered or "{" in lowered or "`" in lowered:
            return "unknown"
        return "other"

    def network(self, command: str, host: str | None, port: str | None, verb: str, noun: str) -> None:
        """Record a probe of ``host`` (liveness if it is this service, else connectivity)."""
        kind = self.host_kind(host)
        if kind == "own":
            detail = f"probes {self.service}'s own {noun}"
            if port and self.own_ports and port.isdigit() and port not in self.own_ports:
                detail += f" (port {port} is not one of its ports {', '.join(sorted(self.own_ports, key=int))})"
            self.probes.append(Probe("liveness", command, host or "localhost", detail))
        elif kind == "unknown":
            detail = f"{verb} host '{host}', which is only known at run time"
            self.probes.append(Probe("other", command, host, detail))
        else:
            label = "dependency" if kind == "dependency" else "other host"
            detail = f"{verb} {label} '{host}'"
            self.probes.append(Probe("connectivity", command, host, detail))

    def own_health(self, command: str, target: str | None) -> None:
        self.probes.append(Probe("liveness", command, target, "runs the service's own health command"))

    def path_probe(self, command: str, path: str, what: str) -> None:
        """A file check: ``/proc`` means the process is alive, anything else a freshness marker."""
        if path.startswith("/proc/self"):
            self.probes.append(Probe("other", command, path, "inspects the healthcheck's own process"))
        elif path == "/proc" or path.startswith("/proc/"):
            self.probes.append(Probe("process", command, path, f"only checks that a process exists through {path}"))
        else:
            self.probes.append(Probe("freshness", command, path, f"checks that {path} {what}"))

    def network_probe(self, command: str, host: str | None, port: str | None, verb: str, noun: str) -> Probe:
        """The probe of ``host`` (liveness if it is this service, else connectivity), not recorded."""
        before = len(self.probes)
        self.network(command, host, port, verb, noun)
        return self.probes.pop(before)

    def dev_tcp(self, word: str, command: str) -> bool:
        match = re.match(r"/dev/(tcp|udp)/([^/]+)/(\S+)", word)
        if match is None:
            return False
        self.network(command, match.group(2), match.group(3), "connects to", f"port {match.group(3)}")
        return True

    def run_shell(self, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _Spec("o"))
        if "-c" in opts and positionals:
            prefix = "set -e\n" if "-e" in opts else ""  # sh -ec / -o pipefail apply to the body
            prefix += "set -o pipefail\n" if "pipefail" in opts.get("-o", []) else ""
            self.nested = Nested("shell", prefix + positionals[0])
        elif positionals:
            self.nested = Nested("script", positionals[0], tuple(positionals[1:]))
        else:
            self.probes.append(Probe("other", command, None, "starts a shell with no command"))

    def fallback(self, name: str, args: list[str], command: str) -> None:
        """Unknown tool: a URL argument is still a network probe; a health word is a health command."""
        for word in args[1:]:
            match = _URL_IN_TEXT.search(word)
            if match and match.group(1).lower() in ("http", "https", "tcp", "grpc"):
                host, port = split_host_port(match.group(2))
                self.network(command, host, port, "requests", f"endpoint {word}")
                return
        if any(a.lower() in _HEALTH_WORDS for a in args[1:]):
            self.own_health(command, args[0])  # the service's own binary with a health subcommand or flag
            return
        if "health" in name.lower():
            self.nested = Nested("script", args[0], tuple(args[1:]))  # a health program: read it, never trust its name
            return
        self.probes.append(Probe("other", command, None, f"runs '{name}', which is not a known probe"))

    def test_expr(self, args: list[str], command: str) -> None:
        if args and args[-1] in ("]", "]]"):
            args = args[:-1]
        found = False
        for index, arg in enumerate(args):
            operand = args[index + 1] if index + 1 < len(args) else "-"
            if arg in _FILE_TEST_OPS and not operand.startswith("-"):  # `-a`/`-o` may also be AND/OR
                self.path_probe(command, operand, _FILE_TEST_OPS[arg])
                found = True
            elif arg in ("-nt", "-ot") and 0 < index < len(args) - 1:
                verb = "is newer than" if arg == "-nt" else "is older than"
                self.path_probe(command, args[index - 1], f"{verb} {args[index + 1]}")
                found = True
        if not found:
            self.neutral = True

    def file_reader(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _READER_SPECS.get(name, _GENERIC))
        if name in _PATTERN_FIRST and not (opts.get("-e") or opts.get("-f")) and positionals:
            positionals = positionals[1:]
        paths = [p for p in positionals if _is_path(p)]
        if not paths:
            self.neutral = True
        for path in paths:
            self.path_probe(command, path, "exists and is readable")

    def http_client(self, name: str, rest: list[str], command: str) -> None:
        spec = _CURL if name == "curl" else _WGET if name == "wget" else _GENERIC
        opts, positionals = _parse_args(rest, spec)
        if _opt(opts, "--unix-socket", "--abstract-unix-socket"):
            self.network(command, None, None, "requests", "HTTP endpoint over its unix socket")
            return
        urls = [*opts.get("--url", []), *positionals]
        if name in ("http", "https", "xh") and urls and urls[0].isupper():
            urls = urls[1:]  # httpie: optional METHOD first
        urls = [u for u in urls if "=" not in u.split("/", 1)[0] or "://" in u]
        if not urls:
            self.probes.append(Probe("other", command, None, f"runs {name} without a URL"))
            return
        for url in urls if name == "curl" else urls[:1]:
            if url.startswith(":"):  # httpie shorthand for localhost
                host: str | None = "localhost"
                port = url[1:].split("/", 1)[0] or None
            else:
                host, port = url_host(url)
            self.network(command, host, port, "requests", f"HTTP endpoint {url}")

    def grpc(self, name: str, rest: list[str], command: str) -> None:
        address = None
        for index, arg in enumerate(rest):
            if arg.startswith(("-addr=", "--addr=")):
                address = arg.split("=", 1)[1]
            elif arg in ("-addr", "--addr") and index + 1 < len(rest):
                address = rest[index + 1]
        if name == "grpcurl":
            positionals = [a for a in rest if not a.startswith("-") and ":" in a and "/" not in a]
            address = positionals[0] if positionals else None
        host, port = split_host_port(address) if address else (None, None)
        self.network(command, host, port, "calls", f"gRPC endpoint {address or '(default address)'}")

    def tcp_client(self, name: str, rest: list[str], command: str) -> None:
        if name == "socat":
            for arg in rest:
                match = re.match(r"(?i)(?:tcp[46]?|tcp-connect|tcp[46]-connect|udp[46]?):([^:,]+):(\d+)", arg)
                if match:
                    self.network(command, match.group(1), match.group(2), "connects to", f"port {match.group(2)}")
                    return
            self.probes.append(Probe("other", command, None, "runs socat without a TCP address"))
            return
        opts, positionals = _parse_args(rest, _NC)
        if "-U" in opts or "--unixsock" in opts:
            self.network(command, None, None, "connects to", "unix socket")
            return
        if name == "ping":
            positionals = positionals[-1:]
            self.network(command, positionals[0] if positionals else None, None, "pings", "address")
            return
        host = positionals[0] if positionals else None
        port = positionals[1] if len(positionals) > 1 else None
        if host and host.isdigit() and port is None:
            host, port = None, host
        self.network(command, host, port, "connects to", f"port {port}" if port else "address")

    def redis(self, name: str, rest: list[str], command: str) -> None:
        opts, _ = _parse_args(rest, _REDIS)
        host, port = _opt(opts, "-h"), _opt(opts, "-p")
        uri = _opt(opts, "-u")
        if uri:
            host, port = url_host(uri)
        if _opt(opts, "-s"):
            host = None
        self.network(command, host, port, "pings", "redis server")

    def postgres(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _PSQL if name == "psql" else _PG_ISREADY)
        host, port = _opt(opts, "-h", "--host"), _opt(opts, "-p", "--port")
        target = _opt(opts, "-d", "--dbname") or (positionals[0] if positionals and name == "psql" else None)
        if target and "://" in target:
            host, port = url_host(target)
        elif target and (match := re.search(r"\bhost=(\S+)", target)):
            host = match.group(1)
        if host and host.startswith("/"):
            host = None  # a unix-socket directory is local
        self.network(command, host, port, "pings", "postgres server")

    def minio_client(self, name: str, rest: list[str], command: str) -> None:
        """``mc ready local``, ``mc admin info ALIAS``: the alias's URL comes from ``MC_HOST_<alias>``; the
        MinIO image predefines ``local`` as its own ``http://localhost:9000``."""
        words = [w for w in rest if not w.startswith("-")]
        if words[:1] == ["admin"] and len(words) >= 3 and words[1] == "info":
            alias = words[2]
        elif words[:1] in (["ready"], ["ping"]) and len(words) >= 2:
            alias = words[1]
        else:
            return
        url = self.environment.get(f"MC_HOST_{alias}")
        if url:
            host, port = url_host(url)
        elif alias == "local":
            host, port = None, "9000"
        else:
            return
        self.network(command, host, port, "pings", "minio server")

    def mysql(self, name: str, rest: list[str], command: str) -> None:
        opts, _ = _parse_args(rest, _MYSQL)
        host, port = _opt(opts, "-h", "--host"), _opt(opts, "-P", "--port")
        if _opt(opts, "-S", "--socket"):
            host = None
        self.network(command, host, port, "pings", "mysql server")

    def mongo(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _MONGO)
        host = _opt(opts, "--host")
        port = _opt(opts, "--port")
        for word in positionals:
            if "://" in word:
                host, port = url_host(word)
        if host and "/" in host:  # replica-set form "rs0/host:port"
            host = host.split("/", 1)[1]
        if host and ":" in host:
            host, port = split_host_port(host.split(",")[0])
        self.network(command, host, port, "pings", "mongo server")

    def bootstrap(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _CQLSH if name == "cqlsh" else _BOOTSTRAP)
        address = _opt(opts, "--bootstrap-server", "--endpoints", "--server")
        if address is None and name == "cqlsh" and positionals:
            address = positionals[0]
        if address is None:
            self.own_health(command, name)
            return
        host, port = url_host(address.split(",")[0])
        self.network(command, host, port, "connects to", f"{name.split('-')[0]} endpoint {address}")

    def own_tool(self, name: str, rest: list[str], command: str) -> None:
        self.own_health(command, name)

    def kill(self, name: str, rest: list[str], command: str) -> None:
        signal_zero = "-0" in rest or any(a in ("-s", "-n") and b == "0" for a, b in itertools.pairwise(rest))
        if signal_zero:
            target = next((a for a in rest if not a.startswith("-") and a != "0"), None)
            self.probes.append(Probe("process", command, target, "only checks that a process exists (kill -0)"))
        else:
            self.probes.append(Probe("other", command, None, "sends a signal instead of checking anything"))

    def find(self, name: str, rest: list[str], command: str) -> None:
        roots = []
        for arg in rest:
            if arg.startswith(("-", "(", "!")):
                break
            roots.append(arg)
        timed = [
            f"{arg} {value}"
            for arg, value in itertools.pairwise([*rest, ""])
            if arg in ("-mmin", "-mtime", "-cmin", "-ctime", "-amin", "-atime") or arg.startswith("-newer")
        ]
        what = f"was modified recently ({', '.join(timed)})" if timed else "exists"
        for root in roots or ["."]:
            self.path_probe(command, root, what)

    def stat(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _Spec("cf", frozenset({"format", "printf"})))
        fmt = _opt(opts, "-c", "-f", "--format", "--printf") or ""
        what = "is fresh (modification time read)" if re.search(r"%[YyZz]", fmt) else "exists"
        if not positionals:
            self.neutral = True
        for path in positionals:
            self.path_probe(command, path, what)

    def date(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _Spec("rd", frozenset({"reference", "date"})))
        reference = _opt(opts, "-r", "--reference")
        if reference:
            self.path_probe(command, reference, "is fresh (modification time read)")
        elif any(p.startswith("+") and "%s" in p for p in positionals):
            self.probes.append(Probe("freshness", command, None, "compares timestamps against the clock"))
        else:
            self.neutral = True

    def python(self, rest: list[str], command: str) -> None:
        code = module = None
        args: list[str] = []
        for index, arg in enumerate(rest):
            if arg in ("-c", "-m") and index + 1 < len(rest):
                code, module = (rest[index + 1], None) if arg == "-c" else (None, rest[index + 1])
                args = rest[index + 2 :]
                break
            if arg in ("-W", "-X"):
                continue
            if not arg.startswith("-") and (index == 0 or rest[index - 1] not in ("-W", "-X")):
                args = rest[index:]
                break
        if code is not None:
            self.python_code(code, command)
            return
        if module is not None:
            if "health" in module.lower() or any(a.lower() in _HEALTH_WORDS for a in args):
                self.own_health(command, module)
            else:
                self.probes.append(
                    Probe("other", command, module, f"runs module {module} without a recognised health command")
                )
            return
        if args:
            self.nested = Nested("script", args[0], tuple(args[1:]))
        else:
            self.probes.append(Probe("other", command, None, "starts python with no code"))

    def python_code(self, code: str, command: str) -> None:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            self.probes.append(Probe("other", command, None, f"python -c code does not parse: {exc.msg}"))
            return
        found = pycode.probes_of(tree, code, self.network_probe, "python -c")
        self.probes.extend(found)
        if not found:
            self.probes.append(Probe("other", command, None, "python -c code does not probe anything recognisable"))

    def script_language(self, name: str, rest: list[str], command: str) -> None:
        flag = _SCRIPT_LANGS[name]
        code = None
        for index, arg in enumerate(rest):
            if arg in (flag, "--eval", "-p", "--print") and index + 1 < len(rest):
                code = rest[index + 1]
                break
        if code is None:
            positionals = [a for a in rest if not a.startswith("-")]
            if positionals:
                self.nested = Nested("script", positionals[0], tuple(positionals[1:]))
            else:
                self.probes.append(Probe("other", command, None, f"starts {name} with no code"))
            return
        found = False
        for match in _URL_IN_TEXT.finditer(code):
            host, port = split_host_port(match.group(2))
            self.network(command, host, port, "requests", f"endpoint {match.group(0)} ({name} code)")
            found = True
        if _FRESH_IN_TEXT.search(code):
            self.probes.append(Probe("freshness", command, None, f"checks a file's age in {name} code"))
            found = True
        if not found:
            self.probes.append(Probe("other", command, None, f"{name} code does not probe anything recognisable"))


def _skip_options(args: list[str], with_value: set[str]) -> list[str]:
    """Drop a wrapper's leading options (and their values) up to the wrapped command."""
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "-":
        if args[index] == "--":
            return args[index + 1 :]
        index += 2 if args[index] in with_value else 1
    return args[index:]


def _strip_wrappers(args: list[str]) -> list[str]:
    """Drop ``exec``, ``timeout 5``, ``env A=B``, ``sudo -u x``, ``gosu user``... in front of a command."""
    while args:
        name = _basename(args[0])
        if name in _WRAPPERS:
            args = args[1:]
            while args and args[0].startswith("-"):
                args = args[1:]
        elif name == "env":
            args = args[1:]
            while args and (args[0].startswith("-") or "=" in args[0]):
                args = args[2:] if args[0] in ("-u", "--unset", "-C", "--chdir") else args[1:]
        elif name == "timeout":
            args = _skip_options(args[1:], {"-s", "-k", "--signal", "--kill-after"})[1:]
        elif name in ("nice", "sudo", "doas"):
            args = _skip_options(args[1:], {"-n", "-u", "-g", "-p", "--user", "--group", "--adjustment"})
        elif name in ("gosu", "su-exec", "setpriv", "s6-setuidgid"):
            args = args[2:]
        elif name == "busybox" and len(args) > 1:
            args = args[1:]
        else:
            break
    return args


_HANDLERS: dict[str, Callable[[CommandReader, str, list[str], str], None]] = {
    **dict.fromkeys(("curl", "wget", "http", "https", "xh", "curlie"), CommandReader.http_client),
    **dict.fromkeys(("grpc_health_probe", "grpcurl"), CommandReader.grpc),
    **dict.fromkeys(("nc", "ncat", "netcat", "telnet", "socat", "ping"), CommandReader.tcp_client),
    **dict.fromkeys(("redis-cli", "valkey-cli", "keydb-cli"), CommandReader.redis),
    **dict.fromkeys(("pg_isready", "psql"), CommandReader.postgres),
    **dict.fromkeys(("mysqladmin", "mysql", "mariadb-admin", "mariadb"), CommandReader.mysql),
    **dict.fromkeys(("mongosh", "mongo"), CommandReader.mongo),
    **dict.fromkeys(
        _words("kafka-topics kafka-topics.sh kafka-broker-api-versions etcdctl cqlsh nats"),
        CommandReader.bootstrap,
    ),
    **dict.fromkeys(
        ("rabbitmq-diagnostics", "rabbitmqctl", "nodetool", "zkServer.sh", "consul", "vault", "celery"),
        CommandReader.own_tool,
    ),
    "mc": CommandReader.minio_client,
    "kill": CommandReader.kill,
    "find": CommandReader.find,
    "stat": CommandReader.stat,
    "date": CommandReader.date,
}


_FILTERS = _words("grep egrep fgrep zgrep rg jq")
