"""Classify what a container healthcheck actually proves.

A healthcheck that pings Redis keeps reporting "healthy" while the service itself is wedged, so the
readiness score needs to know *what* the test probes.  The test is parsed, not pattern-matched:
shell strings go through ``bashlex`` and are walked down to simple commands (through ``&&``, ``||``,
``;``, pipes, ``$(...)``, ``[ ... ]`` and ``if``); ``python -c`` code goes through ``ast``.  Each
command becomes zero or more :class:`Probe` records, and the strongest kind decides:

liveness > freshness > connectivity > unknown.

Liveness: the service's own process, port or CLI health command.  Freshness: age or existence of a
file the process writes.  Connectivity: another host (a dependency).  Nothing here raises on odd
input; anything not understood becomes ``UNKNOWN`` with the reason saying what was not understood.
"""

from __future__ import annotations

import ast
import enum
import itertools
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import bashlex

if TYPE_CHECKING:
    from pytest_readiness.compose import ComposeService

__all__ = ["Classification", "HealthcheckKind", "Probe", "classify_healthcheck", "classify_service"]


class HealthcheckKind(enum.StrEnum):
    """What a healthcheck proves about its service."""

    LIVENESS = "liveness"
    CONNECTIVITY_ONLY = "connectivity-only"
    FRESHNESS_BASED = "freshness-based"
    NONE = "none"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Probe:
    """One thing the test checks.  ``kind`` is liveness, connectivity, freshness or other."""

    kind: str
    command: str
    target: str | None
    detail: str = ""


@dataclass(frozen=True)
class Classification:
    """The verdict plus a one-line reason that names the deciding command."""

    kind: HealthcheckKind
    reason: str
    probes: tuple[Probe, ...] = ()


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
_PROCESS_TOOLS = _words("pgrep pidof ps supervisorctl s6-svstat sv systemctl monit")
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


def _split_host_port(text: str) -> tuple[str | None, str | None]:
    """``host:port``, ``[::1]:port``, ``:port`` or ``host`` -> (host, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest.lstrip(":") or None
    if text.count(":") > 1 and "$" not in text and "{" not in text:
        return text, None  # a bare IPv6 address
    host, _, port = text.partition(":")
    return host or None, port or None


def _url_host(url: str) -> tuple[str | None, str | None]:
    """Host and port of a URL; scheme-less ``host:port/path`` is read as http."""
    candidate = url if "://" in url else "http://" + url
    try:
        netloc = urlsplit(candidate).netloc
    except ValueError:
        return None, None
    netloc = netloc.rpartition("@")[2]
    return _split_host_port(netloc)


def _is_path(word: str) -> bool:
    return bool(word) and word != "-" and not word.startswith("-") and ("/" in word or "." in word)


# ---------------------------------------------------------------------------------------------------
# Shell pre-processing: bashlex does not implement $(( )) or [[ ]]
# ---------------------------------------------------------------------------------------------------


def _matching_paren(text: str, start: int) -> int:
    """Index just past the ``)`` closing the ``(`` at ``start``; -1 if unbalanced."""
    depth, pos, quote = 0, start, ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\" and quote == '"':
                pos += 1
            elif char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return -1


def _mask_arithmetic(text: str) -> tuple[str, list[str]]:
    """Blank out ``$(( ... ))`` (same length, so positions hold) and return the commands inside it."""
    inner: list[str] = []
    out = list(text)
    pos = 0
    while (start := text.find("$((", pos)) >= 0:
        end = _matching_paren(text, start + 1)
        if end < 0:
            break
        body = text[start + 3 : end - 2]
        scan = 0
        while (sub := body.find("$(", scan)) >= 0:
            close = _matching_paren(body, sub + 1)
            if close < 0:
                break
            if body.startswith("$((", sub):
                scan = sub + 3
                continue
            inner.append(body[sub + 2 : close - 1])
            scan = close
        inner.extend(re.findall(r"`([^`]*)`", body))
        out[start:end] = "1" * (end - start)
        pos = end
    masked = "".join(out)
    masked = re.sub(r"(^|[\s;&|(!])\[\[(?=\s)", r"\1[ ", masked)
    masked = re.sub(r"(?<=\s)\]\](?=$|[\s;&|)])", " ]", masked)
    return masked, inner


# ---------------------------------------------------------------------------------------------------
# The analyzer
# ---------------------------------------------------------------------------------------------------


class _ParseFailure(Exception):
    """A shell string bashlex cannot parse."""


@dataclass
class _Analyzer:
    service: str
    dependencies: frozenset[str]
    own_names: frozenset[str]
    own_ports: frozenset[str]
    probes: list[Probe] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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
            self.probes.append(Probe("liveness", command, path, f"checks the process through {path}"))
        else:
            self.probes.append(Probe("freshness", command, path, f"checks that {path} {what}"))

    # -- shell -----------------------------------------------------------------------------------

    def shell(self, text: str, depth: int = 0) -> None:
        """Parse a shell string and classify every simple command in it."""
        if depth > 6:
            self.probes.append(Probe("other", text, None, "nests shells too deeply to follow"))
            return
        masked, inner = _mask_arithmetic(text)
        try:
            trees = bashlex.parse(masked)
        except Exception as exc:  # bashlex raises ParsingError, NotImplementedError and others
            raise _ParseFailure(f"could not parse shell command {text!r}: {exc}") from None
        for tree in trees:
            self.walk(tree, text, depth)
        for command in inner:
            self.shell(command, depth + 1)

    def walk(self, node: Any, source: str, depth: int) -> None:
        kind = getattr(node, "kind", "")
        if kind == "command":
            self.simple_command(node, source, depth)
            return
        if kind == "list":
            self.note_always_true(node, source)
        if kind == "commandsubstitution":
            self.walk(node.command, source, depth)
            return
        for child in _children(node):
            self.walk(child, source, depth)

    def note_always_true(self, node: Any, source: str) -> None:
        parts = list(getattr(node, "parts", []))
        for op, after in itertools.pairwise(parts):
            if getattr(op, "kind", "") != "operator" or op.op != "||" or getattr(after, "kind", "") != "command":
                continue
            words = [p.word for p in after.parts if p.kind == "word"]
            if words in (["true"], [":"], ["exit", "0"]):
                self.notes.append(f"'|| {' '.join(words)}' makes the check always pass")

    def simple_command(self, node: Any, source: str, depth: int) -> None:
        text = source[node.pos[0] : node.pos[1]]
        words: list[str] = []
        for part in node.parts:
            for child in _children(part):
                self.walk(child, source, depth)
            if part.kind == "word":
                words.append(part.word)
            elif part.kind == "redirect" and hasattr(part.output, "word"):
                self.dev_tcp(part.output.word, text)
        self.argv(words, text, depth)

    def dev_tcp(self, word: str, command: str) -> bool:
        match = re.match(r"/dev/(tcp|udp)/([^/]+)/(\S+)", word)
        if match is None:
            return False
        self.network(command, match.group(2), match.group(3), "connects to", f"port {match.group(3)}")
        return True

    # -- argv ------------------------------------------------------------------------------------

    def argv(self, words: Sequence[str], command: str, depth: int) -> None:
        """Classify one simple command given as argv words."""
        args = list(words)
        while args and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", args[0]):
            args.pop(0)
        args = _strip_wrappers(args)
        if not args:
            return
        name = _basename(args[0])
        rest = args[1:]
        for word in rest:
            self.dev_tcp(word, command)
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, name, rest, command, depth)
        elif name in _SHELLS:
            self.run_shell(rest, command, depth)
        elif _is_python(name):
            self.python(rest, command)
        elif name in _SCRIPT_LANGS:
            self.script_language(name, rest, command)
        elif name in ("[", "test") or name in _FILE_TEST_OPS:
            self.test_expr(args if name in _FILE_TEST_OPS else rest, command)
        elif name in _PROCESS_TOOLS:
            self.probes.append(Probe("liveness", command, rest[-1] if rest else None, "checks the process"))
        elif name in _FILE_READERS or name in _PATTERN_FIRST:
            self.file_reader(name, rest, command)
        elif name in _NEUTRAL:
            self.neutral.append(command)
        else:
            self.fallback(name, args, command)

    def run_shell(self, rest: list[str], command: str, depth: int) -> None:
        opts, positionals = _parse_args(rest, _Spec("o"))
        if "-c" in opts and positionals:
            self.shell(positionals[0], depth + 1)
        elif positionals:
            self.script(positionals[0], positionals[1:], command)
        else:
            self.probes.append(Probe("other", command, None, "starts a shell with no command"))

    def script(self, path: str, args: Sequence[str], command: str) -> None:
        if "health" in _basename(path).lower() or any(a.lower() in _HEALTH_WORDS for a in args):
            self.own_health(command, path)
        else:
            self.probes.append(Probe("other", command, path, f"runs script {path}, whose contents are not inspected"))

    def fallback(self, name: str, args: list[str], command: str) -> None:
        """Unknown tool: a URL argument is still a network probe; a health word is a health command."""
        for word in args[1:]:
            match = _URL_IN_TEXT.search(word)
            if match and match.group(1).lower() in ("http", "https", "tcp", "grpc"):
                host, port = _split_host_port(match.group(2))
                self.network(command, host, port, "requests", f"endpoint {word}")
                return
        if "health" in name.lower() or any(a.lower() in _HEALTH_WORDS for a in args[1:]):
            self.own_health(command, args[0])
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
            self.neutral.append(command)

    def file_reader(self, name: str, rest: list[str], command: str) -> None:
        opts, positionals = _parse_args(rest, _READER_SPECS.get(name, _GENERIC))
        if name in _PATTERN_FIRST and not (opts.get("-e") or opts.get("-f")) and positionals:
            positionals = positionals[1:]
        paths = [p for p in positionals if _is_path(p)]
        if not paths:
            self.neutral.append(command)
        for path in paths:
            self.path_probe(command, path, "exists and is readable")

    # -- tool handlers ---------------------------------------------------------------------------

    def http_client(self, name: str, rest: list[str], command: str, depth: int) -> None:
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
                host, port = _url_host(url)
            self.network(command, host, port, "requests", f"HTTP endpoint {url}")

    def grpc(self, name: str, rest: list[str], command: str, depth: int) -> None:
        address = None
        for index, arg in enumerate(rest):
            if arg.startswith(("-addr=", "--addr=")):
                address = arg.split("=", 1)[1]
            elif arg in ("-addr", "--addr") and index + 1 < len(rest):
                address = rest[index + 1]
        if name == "grpcurl":
            positionals = [a for a in rest if not a.startswith("-") and ":" in a and "/" not in a]
            address = positionals[0] if positionals else None
        host, port = _split_host_port(address) if address else (None, None)
        self.network(command, host, port, "calls", f"gRPC endpoint {address or '(default address)'}")

    def tcp_client(self, name: str, rest: list[str], command: str, depth: int) -> None:
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

    def redis(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, _ = _parse_args(rest, _REDIS)
        host, port = _opt(opts, "-h"), _opt(opts, "-p")
        uri = _opt(opts, "-u")
        if uri:
            host, port = _url_host(uri)
        if _opt(opts, "-s"):
            host = None
        self.network(command, host, port, "pings", "redis server")

    def postgres(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, positionals = _parse_args(rest, _PSQL if name == "psql" else _PG_ISREADY)
        host, port = _opt(opts, "-h", "--host"), _opt(opts, "-p", "--port")
        target = _opt(opts, "-d", "--dbname") or (positionals[0] if positionals and name == "psql" else None)
        if target and "://" in target:
            host, port = _url_host(target)
        elif target and (match := re.search(r"\bhost=(\S+)", target)):
            host = match.group(1)
        if host and host.startswith("/"):
            host = None  # a unix-socket directory is local
        self.network(command, host, port, "pings", "postgres server")

    def mysql(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, _ = _parse_args(rest, _MYSQL)
        host, port = _opt(opts, "-h", "--host"), _opt(opts, "-P", "--port")
        if _opt(opts, "-S", "--socket"):
            host = None
        self.network(command, host, port, "pings", "mysql server")

    def mongo(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, positionals = _parse_args(rest, _MONGO)
        host = _opt(opts, "--host")
        port = _opt(opts, "--port")
        for word in positionals:
            if "://" in word:
                host, port = _url_host(word)
        if host and "/" in host:  # replica-set form "rs0/host:port"
            host = host.split("/", 1)[1]
        if host and ":" in host:
            host, port = _split_host_port(host.split(",")[0])
        self.network(command, host, port, "pings", "mongo server")

    def bootstrap(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, positionals = _parse_args(rest, _CQLSH if name == "cqlsh" else _BOOTSTRAP)
        address = _opt(opts, "--bootstrap-server", "--endpoints", "--server")
        if address is None and name == "cqlsh" and positionals:
            address = positionals[0]
        if address is None:
            self.own_health(command, name)
            return
        host, port = _url_host(address.split(",")[0])
        self.network(command, host, port, "connects to", f"{name.split('-')[0]} endpoint {address}")

    def own_tool(self, name: str, rest: list[str], command: str, depth: int) -> None:
        self.own_health(command, name)

    def kill(self, name: str, rest: list[str], command: str, depth: int) -> None:
        signal_zero = "-0" in rest or any(a in ("-s", "-n") and b == "0" for a, b in itertools.pairwise(rest))
        if signal_zero:
            target = next((a for a in rest if not a.startswith("-") and a != "0"), None)
            self.probes.append(Probe("liveness", command, target, "checks the process is alive (kill -0)"))
        else:
            self.probes.append(Probe("other", command, None, "sends a signal instead of checking anything"))

    def find(self, name: str, rest: list[str], command: str, depth: int) -> None:
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

    def stat(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, positionals = _parse_args(rest, _Spec("cf", frozenset({"format", "printf"})))
        fmt = _opt(opts, "-c", "-f", "--format", "--printf") or ""
        what = "is fresh (modification time read)" if re.search(r"%[YyZz]", fmt) else "exists"
        if not positionals:
            self.neutral.append(command)
        for path in positionals:
            self.path_probe(command, path, what)

    def date(self, name: str, rest: list[str], command: str, depth: int) -> None:
        opts, positionals = _parse_args(rest, _Spec("rd", frozenset({"reference", "date"})))
        reference = _opt(opts, "-r", "--reference")
        if reference:
            self.path_probe(command, reference, "is fresh (modification time read)")
        elif any(p.startswith("+") and "%s" in p for p in positionals):
            self.probes.append(Probe("freshness", command, None, "compares timestamps against the clock"))
        else:
            self.neutral.append(command)

    # -- embedded languages ----------------------------------------------------------------------

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
            self.script(args[0], args[1:], command)
        else:
            self.probes.append(Probe("other", command, None, "starts python with no code"))

    def python_code(self, code: str, command: str) -> None:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            self.probes.append(Probe("other", command, None, f"python -c code does not parse: {exc.msg}"))
            return
        visitor = _PythonVisitor(self, code)
        visitor.visit(tree)
        if not visitor.found:
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
                self.script(positionals[0], positionals[1:], command)
            else:
                self.probes.append(Probe("other", command, None, f"starts {name} with no code"))
            return
        found = False
        for match in _URL_IN_TEXT.finditer(code):
            host, port = _split_host_port(match.group(2))
            self.network(command, host, port, "requests", f"endpoint {match.group(0)} ({name} code)")
            found = True
        if _FRESH_IN_TEXT.search(code):
            self.probes.append(Probe("freshness", command, None, f"checks a file's age in {name} code"))
            found = True
        if not found:
            self.probes.append(Probe("other", command, None, f"{name} code does not probe anything recognisable"))


class _PythonVisitor(ast.NodeVisitor):
    """Finds network, file and process probes in ``python -c`` code, resolving import aliases."""

    def __init__(self, analyzer: _Analyzer, code: str) -> None:
        self.analyzer = analyzer
        self.code = code
        self.aliases: dict[str, str] = {}
        self.found = False
        self.constants: dict[str, str] = {}

    def text(self, node: ast.AST | None) -> str | None:
        """A string literal, or a name assigned one earlier (``url = "http://..."; urlopen(url)``)."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        return _string(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = _string(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and value is not None:
                self.constants[target.id] = value
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.aliases[root] = root
            self.health_import(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module or ''}.{alias.name}".lstrip(".")
            self.health_import(f"{node.module or ''}.{alias.name}", node)

    def health_import(self, name: str, node: ast.AST) -> None:
        if "health" in name.lower():
            self.record("liveness", node, name, "runs the service's own health command")

    def dotted(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            return f"{self.dotted(node.value)}.{node.attr}"
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "__import__" and node.args:
                return _string(node.args[0]) or "?"
            return f"{self.dotted(node.func)}()"
        if isinstance(node, ast.Subscript):
            return f"{self.dotted(node.value)}[]"
        return "?"

    def record(self, kind: str, node: ast.AST, target: str | None, detail: str) -> None:
        segment = ast.get_source_segment(self.code, node) or self.code
        self.analyzer.probes.append(Probe(kind, f"python -c: {segment}", target, detail))
        self.found = True

    def network(self, node: ast.AST, host: str | None, port: str | None, verb: str, noun: str) -> None:
        segment = ast.get_source_segment(self.code, node) or self.code
        self.analyzer.network(f"python -c: {segment}", host, port, verb, noun)
        self.found = True

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ("st_mtime", "st_ctime", "st_mtime_ns") and not self.found_file_in(node):
            self.record("freshness", node, None, "checks a file's modification time")
        self.generic_visit(node)

    def found_file_in(self, node: ast.AST) -> bool:
        return any(isinstance(sub, ast.Call) and self.file_call(sub) for sub in ast.walk(node))

    def file_call(self, node: ast.Call) -> bool:
        name = self.dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        return name in ("open", "io.open", "os.stat", "os.lstat", "os.access") or (
            name.startswith(("os.path.", "pathlib.Path")) and last in _PY_FILE_CALLS
        )

    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        first = node.args[0] if node.args else None
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if "health" in name.lower():
            self.record("liveness", node, name, "runs the service's own health command")
        elif last in ("urlopen", "Request") or (
            name.split(".")[0] in ("requests", "httpx", "urllib3", "aiohttp")
            and last in ("get", "head", "post", "put", "request", "options", "urlopen", "Client")
        ):
            self.http(node, first if first is not None else keywords.get("url"))
        elif last in ("HTTPConnection", "HTTPSConnection"):
            host = self.text(first) if first is not None else self.text(keywords.get("host"))
            port = self.text(node.args[1]) if len(node.args) > 1 else self.text(keywords.get("port"))
            if host and ":" in host:
                host, port = _split_host_port(host)
            self.network(node, host, port, "requests", f"HTTP endpoint {host}")
        elif last in ("Redis", "StrictRedis", "MongoClient", "from_url", "create_engine") or name in _PY_DB_CONNECT:
            self.datastore(node, name, first, keywords)
        elif last in ("create_connection", "connect", "connect_ex") and isinstance(first, ast.Tuple) and first.elts:
            host = self.text(first.elts[0])
            port = self.text(first.elts[1]) if len(first.elts) > 1 else None
            self.network(node, host, port, "connects to", f"port {port}")
        elif name == "os.kill" and len(node.args) > 1 and self.text(node.args[1]) == "0":
            self.record("liveness", node, self.text(first), "checks the process is alive (os.kill(pid, 0))")
        elif name.startswith("psutil.") and last in ("pid_exists", "process_iter", "Process"):
            self.record("liveness", node, self.text(first), "checks the process")
        elif self.file_call(node) or (last in _PY_FILE_CALLS and "Path" in name):
            self.file(node, name, first)
        elif "host" in keywords and self.text(keywords["host"]):
            self.network(node, self.text(keywords["host"]), self.text(keywords.get("port")), "connects to", name)
        self.generic_visit(node)

    def http(self, node: ast.Call, url_node: ast.AST | None) -> None:
        url = self.text(url_node) if url_node is not None else None
        if url is None:
            if isinstance(url_node, ast.Call | ast.Name):
                return  # urlopen(request): the Request(...) call is recorded on its own
            self.record("other", node, None, "requests a URL computed at runtime")
            return
        host, port = _url_host(url)
        self.network(node, host, port, "requests", f"HTTP endpoint {url}")

    def datastore(self, node: ast.Call, name: str, first: ast.AST | None, keywords: dict[str, ast.expr]) -> None:
        text = self.text(first) if first is not None else None
        text = text or self.text(keywords.get("url")) or self.text(keywords.get("dsn"))
        host = self.text(keywords.get("host"))
        port = self.text(keywords.get("port"))
        if text and "://" in text:
            host, port = _url_host(text)
        elif text and (match := re.search(r"\bhost=(\S+)", text)):
            host = match.group(1)
        elif text and host is None and "MongoClient" in name:
            host, port = _split_host_port(text)
        self.network(node, host, port, "pings", f"{_product(name)} server")

    def file(self, node: ast.Call, name: str, first: ast.AST | None) -> None:
        path = self.text(first) if first is not None else None
        if path is None and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if isinstance(inner, ast.Call) and inner.args:
                path = self.text(inner.args[0])  # Path("/x").stat()
        if path is not None and (path == "/proc" or path.startswith("/proc/")) and not path.startswith("/proc/self"):
            self.record("liveness", node, path, f"checks the process through {path}")
            return
        what = "modification time" if "time" in name or name.endswith("stat") else "existence or contents"
        self.record("freshness", node, path, f"checks {path or 'a file'}'s {what}")


_PY_FILE_CALLS = frozenset(
    {"getmtime", "getctime", "getatime", "exists", "isfile", "getsize", "stat", "lstat", "is_file",
     "read_text", "read_bytes", "open"}
)  # fmt: skip
_PY_DB_CONNECT = frozenset(
    {"psycopg2.connect", "psycopg.connect", "pymysql.connect", "MySQLdb.connect", "mysql.connector.connect",
     "asyncpg.connect", "pika.ConnectionParameters", "pika.BlockingConnection", "kombu.Connection",
     "pymongo.MongoClient", "redis.Redis", "redis.from_url"}
)  # fmt: skip


def _product(name: str) -> str:
    """The datastore a python client call talks to, for the reason text."""
    lowered = name.lower()
    products = {"redis": "redis", "mongo": "mongo", "psycopg": "postgres", "asyncpg": "postgres",
                "mysql": "mysql", "pika": "rabbitmq", "kombu": "message broker"}  # fmt: skip
    for needle, product in products.items():
        if needle in lowered:
            return product
    return "database"


def _string(node: ast.AST | None) -> str | None:
    """A string literal (or f-string / ``+`` concatenation with ``{}`` placeholders); None if dynamic."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int) and not isinstance(node.value, bool):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_string(v) or "{}" if not isinstance(v, ast.FormattedValue) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left), _string(node.right)
        if left is not None or right is not None:
            return (left or "{}") + (right or "{}")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _string(node.left)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        return _string(node.func.value)
    return None


def _children(node: Any) -> list[Any]:
    """The sub-nodes of a bashlex node, whatever attribute they hang from."""
    out: list[Any] = []
    for attr in ("parts", "list"):
        out.extend(getattr(node, attr, None) or [])
    for attr in ("command", "output"):
        child = getattr(node, attr, None)
        if child is not None and hasattr(child, "kind"):
            out.append(child)
    return out


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


_HANDLERS: dict[str, Callable[[_Analyzer, str, list[str], str, int], None]] = {
    **dict.fromkeys(("curl", "wget", "http", "https", "xh", "curlie"), _Analyzer.http_client),
    **dict.fromkeys(("grpc_health_probe", "grpcurl"), _Analyzer.grpc),
    **dict.fromkeys(("nc", "ncat", "netcat", "telnet", "socat", "ping"), _Analyzer.tcp_client),
    **dict.fromkeys(("redis-cli", "valkey-cli", "keydb-cli"), _Analyzer.redis),
    **dict.fromkeys(("pg_isready", "psql"), _Analyzer.postgres),
    **dict.fromkeys(("mysqladmin", "mysql", "mariadb-admin", "mariadb"), _Analyzer.mysql),
    **dict.fromkeys(("mongosh", "mongo"), _Analyzer.mongo),
    **dict.fromkeys(
        _words("kafka-topics kafka-topics.sh kafka-broker-api-versions etcdctl cqlsh nats"),
        _Analyzer.bootstrap,
    ),
    **dict.fromkeys(
        ("rabbitmq-diagnostics", "rabbitmqctl", "nodetool", "zkServer.sh", "consul", "vault", "celery"),
        _Analyzer.own_tool,
    ),
    "kill": _Analyzer.kill,
    "find": _Analyzer.find,
    "stat": _Analyzer.stat,
    "date": _Analyzer.date,
}


# ---------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------


def _normalize(test: Sequence[str] | str | None) -> str | list[str] | None:
    """A shell string or an argv list; None when there is no test at all."""
    if test is None:
        return None
    if isinstance(test, str):
        return test if test.strip() else None
    words = [str(w) for w in test]
    if not words:
        return None
    head = words[0].upper()
    if head == "NONE":
        return None
    if head == "CMD-SHELL":
        text = " ".join(words[1:])
        return text if text.strip() else None
    if head == "CMD":
        words = words[1:]
    return words or None


def classify_healthcheck(
    test: Sequence[str] | str | None,
    *,
    service: str,
    dependencies: Iterable[str] = (),
    own_ports: Iterable[int | str] = (),
    aliases: Iterable[str] = (),
) -> Classification:
    """Decide whether ``test`` probes the service itself, a dependency, or a freshness marker.

    ``test`` is a compose/Docker test (``["CMD", ...]``, ``["CMD-SHELL", s]``, ``["NONE"]``) or a
    shell string.  ``aliases`` are extra names that reach this container (hostname, container_name).
    """
    try:
        body = _normalize(test)
    except Exception as exc:  # a non-iterable or otherwise strange test value
        return Classification(HealthcheckKind.UNKNOWN, f"could not read healthcheck test {test!r}: {exc}")
    if body is None:
        reason = "healthcheck disabled (test: NONE)" if _is_none(test) else "no healthcheck test defined"
        return Classification(HealthcheckKind.NONE, reason)
    analyzer = _Analyzer(
        service=service,
        dependencies=frozenset(d.lower() for d in dependencies),
        own_names=frozenset(n.lower() for n in (service, *aliases)),
        own_ports=frozenset(p for p in (str(q).split("/")[0] for q in own_ports) if p.isdigit()),
    )
    shown = body if isinstance(body, str) else shlex.join(body)
    try:
        if isinstance(body, str):
            analyzer.shell(body)
        else:
            analyzer.argv(body, shown, 0)
    except _ParseFailure as exc:
        return Classification(HealthcheckKind.UNKNOWN, str(exc), tuple(analyzer.probes))
    except Exception as exc:  # never let a classifier bug break a readiness run
        return Classification(HealthcheckKind.UNKNOWN, f"could not classify {shown!r}: {exc}", tuple(analyzer.probes))
    return _decide(analyzer, shown)


def _is_none(test: object) -> bool:
    return isinstance(test, Sequence) and not isinstance(test, str) and len(test) > 0 and str(test[0]) == "NONE"


def _decide(analyzer: _Analyzer, shown: str) -> Classification:
    probes = tuple(analyzer.probes)
    order = (
        ("liveness", HealthcheckKind.LIVENESS),
        ("freshness", HealthcheckKind.FRESHNESS_BASED),
        ("connectivity", HealthcheckKind.CONNECTIVITY_ONLY),
    )
    for probe_kind, verdict in order:
        # a probe that names its target (a file, a host) explains more than e.g. a bare `date +%s`
        deciding = sorted((p for p in probes if p.kind == probe_kind), key=lambda p: p.target is None)
        if not deciding:
            continue
        first = deciding[0]
        reason = f"{first.detail} ({first.command})"
        if len(deciding) > 1:
            reason += f" and {len(deciding) - 1} more {probe_kind} probe{'s' if len(deciding) > 2 else ''}"
        if verdict is HealthcheckKind.CONNECTIVITY_ONLY:
            reason += f"; does not probe {analyzer.service}'s own process"
        if analyzer.notes:
            reason += "; note: " + "; ".join(dict.fromkeys(analyzer.notes))
        return Classification(verdict, reason, probes)
    others = [p for p in probes if p.kind == "other"]
    if others:
        reason = f"not understood: {others[0].detail} ({others[0].command})"
    elif analyzer.neutral:
        reason = f"probes nothing: only runs {' ; '.join(analyzer.neutral)}"
    else:
        reason = f"not understood: {shown}"
    return Classification(HealthcheckKind.UNKNOWN, reason, probes)


def classify_service(service: ComposeService, *, other_services: Iterable[str] = ()) -> Classification:
    """Classify a compose service's healthcheck, using its ports, names and the other services."""
    check = service.healthcheck
    if check is None:
        return Classification(HealthcheckKind.NONE, f"{service.name} defines no healthcheck")
    if check.disabled:
        return Classification(HealthcheckKind.NONE, "healthcheck disabled (disable: true or test: NONE)")
    if not check.test:
        return Classification(HealthcheckKind.UNKNOWN, "healthcheck sets options but inherits the image's test")
    ports: list[str] = []
    for spec in (*(p.target for p in service.ports), *service.expose):
        number = spec.split("/")[0]
        low, _, high = number.partition("-")
        if low.isdigit() and (not high or (high.isdigit() and int(high) - int(low) <= 1024)):
            ports.extend(str(n) for n in range(int(low), int(high or low) + 1))
    aliases = [n for n in (service.hostname, service.container_name) if n]
    dependencies = {*service.depends_on, *other_services} - {service.name}
    return classify_healthcheck(
        check.test, service=service.name, dependencies=dependencies, own_ports=ports, aliases=aliases
    )
