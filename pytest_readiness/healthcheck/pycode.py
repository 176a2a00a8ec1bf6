"""Probes in Python healthcheck code (``python -c ...`` or a ``healthcheck.py`` script), read with ``ast``.

Finds HTTP requests, socket connects, datastore clients and file-age checks, resolving import aliases
and string constants; and whether the code can exit non-zero at all (``sys.exit(1)``, ``raise``, an
uncaught exception from a probe), since code that always exits 0 cannot fail.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from .hosts import Probe, split_host_port, url_host

NetworkProbe = Callable[[str, str | None, str | None, str, str], Probe]


class _PythonVisitor(ast.NodeVisitor):
    """Finds network, file and process probes in Python code, resolving import aliases."""

    def __init__(self, code: str, network: NetworkProbe, command: str) -> None:
        self.network_probe = network
        self.command = command
        self.probes: list[Probe] = []
        self.exits: list[int] = []
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
        segment = (ast.get_source_segment(self.code, node) or self.code)[:160]
        self.probes.append(Probe(kind, f"{self.command}: {segment}", target, detail))
        self.found = True

    def network(self, node: ast.AST, host: str | None, port: str | None, verb: str, noun: str) -> None:
        segment = (ast.get_source_segment(self.code, node) or self.code)[:160]
        self.probes.append(self.network_probe(f"{self.command}: {segment}", host, port, verb, noun))
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
                host, port = split_host_port(host)
            self.network(node, host, port, "requests", f"HTTP endpoint {host}")
        elif last in ("Redis", "StrictRedis", "MongoClient", "from_url", "create_engine") or name in _PY_DB_CONNECT:
            self.datastore(node, name, first, keywords)
        elif last in ("create_connection", "connect", "connect_ex") and isinstance(first, ast.Tuple) and first.elts:
            host = self.text(first.elts[0])
            port = self.text(first.elts[1]) if len(first.elts) > 1 else None
            self.network(node, host, port, "connects to", f"port {port}")
        elif name == "os.kill" and len(node.args) > 1 and self.text(node.args[1]) == "0":
            self.record("process", node, self.text(first), "only checks that a process exists (os.kill(pid, 0))")
        elif name.startswith("psutil.") and last in ("pid_exists", "process_iter", "Process"):
            self.record("process", node, self.text(first), "only checks that a process exists (psutil)")
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
        host, port = url_host(url)
        self.network(node, host, port, "requests", f"HTTP endpoint {url}")

    def datastore(self, node: ast.Call, name: str, first: ast.AST | None, keywords: dict[str, ast.expr]) -> None:
        text = self.text(first) if first is not None else None
        text = text or self.text(keywords.get("url")) or self.text(keywords.get("dsn"))
        host = self.text(keywords.get("host"))
        port = self.text(keywords.get("port"))
        if text and "://" in text:
            host, port = url_host(text)
        elif text and (match := re.search(r"\bhost=(\S+)", text)):
            host = match.group(1)
        elif text and host is None and "MongoClient" in name:
            host, port = split_host_port(text)
        self.network(node, host, port, "pings", f"{_product(name)} server")

    def file(self, node: ast.Call, name: str, first: ast.AST | None) -> None:
        path = self.text(first) if first is not None else None
        if path is None and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if isinstance(inner, ast.Call) and inner.args:
                path = self.text(inner.args[0])  # Path("/x").stat()
        if path is not None and (path == "/proc" or path.startswith("/proc/")) and not path.startswith("/proc/self"):
            self.record("process", node, path, f"only checks that a process exists through {path}")
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


def probes_of(tree: ast.AST, code: str, network: NetworkProbe, command: str) -> list[Probe]:
    """The probes of parsed Python code (``command`` prefixes each probe's text)."""
    visitor = _PythonVisitor(code, network, command)
    visitor.visit(tree)
    return visitor.probes


_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


def can_fail(tree: ast.AST) -> bool:
    """Whether the code can end with a non-zero status: an exit with a non-zero or computed code, a
    ``raise``, an ``assert``, or a call outside any ``try`` (an exception escapes)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for inner in node.body:
                guarded.update(id(n) for n in ast.walk(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise | ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in _EXIT_CALLS:
                arg = node.args[0] if node.args else None
                if arg is None:
                    continue
                if not (isinstance(arg, ast.Constant) and arg.value in (0, None, False)):
                    return True
            elif id(node) not in guarded and name not in ("print", "len", "str", "int", "float", "open"):
                return True
    return False
