"""Runtime reliability criteria: healthchecks, restart policy, bounded startup, backoff/retry, limits.

The static parts read Compose's resolved model (and the judged Dockerfile stage for HEALTHCHECK); what a
healthcheck proves is decided by ``pytest_readiness.healthcheck`` (the shell's own exit rules, scripts
read from the build context). The live parts (container health, applied limits) ask Docker and are
combined with the static verdict by ``pytest_readiness.live.combine`` (``static only`` when unobserved).
The L3 criteria observe the running stack only: a start-to-healthy restart drill (``--readiness-drills``)
and the containers' memory use, OOM kills and restart counts.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from ..artifacts import ArtifactError
from ..compose import ComposeService, parse_duration
from ..compose.model import test_text
from ..context import Service
from ..dockerfile import Dockerfile, exec_form
from ..errors import InputError
from ..healthcheck import Classification, HealthcheckKind, ScriptLocator, classify_healthcheck
from ..live import (
    DrillLockTimeout,
    DrillResult,
    LivePart,
    Unobservable,
    drill_containers,
    drill_precondition,
    missing_container,
    row_containers,
    with_live,
)
from ..live.drills import DEFAULT_INTERVAL_S, DEFAULT_RETRIES, DEFAULT_START_PERIOD_S
from ..results import Evidence, Outcome, Scope, Verdict
from .common import (
    add_key,
    containers_of,
    dockerfile_of,
    fixes,
    has_own_code,
    input_failure,
    is_job,
    join_reasons,
    limited,
)
from .retry import (
    code_retry_evidence,
    config_retry_settings,
    env_dependencies,
    env_retry_settings,
    mounted_config_files,
)

GOOD_RESTART = frozenset({"always", "unless-stopped", "on-failure"})
GOOD_DEPLOY_RESTART = frozenset({"any", "on-failure"})
HEALTHY_CONDITIONS = frozenset({"service_healthy", "service_completed_successfully"})
MAX_START_PERIOD = 300.0
MAX_INTERVAL = 60.0
RETRIES_RANGE = (1, 10)
HEALTHCHECK_FIX = (
    'healthcheck: {test: ["CMD", "curl", "-fsS", "http://127.0.0.1:PORT/healthz"], interval: 10s, timeout: 3s, '
    "retries: 3, start_period: 30s}"
)


def _job_na(service: Service, what: str) -> Verdict | None:
    if is_job(service):
        return Verdict.not_applicable(f"{service.name} is a one-shot job: it exits when done, so {what} does not apply")
    return None


# ---------------------------------------------------------------------------------------------------
# The healthcheck a container actually gets: compose, else its Dockerfile's HEALTHCHECK
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveHealthcheck:
    """A container's healthcheck after compose overrides the image's: test, timings and where it is set."""

    test: tuple[str, ...]
    disabled: bool
    interval: float | None
    timeout: float | None
    retries: int | None
    start_period: float | None
    where: str
    source: str

    @property
    def command_text(self) -> str:
        return test_text(self.test)


_HC_OPTION = re.compile(r"--(interval|timeout|start-period|start-interval|retries)(?:=|\s+)(\S+)\s*")


def dockerfile_healthcheck(dockerfile: Dockerfile) -> EffectiveHealthcheck | None:
    """The judged stage's HEALTHCHECK instruction (``NONE`` gives a disabled one); InputError if malformed."""
    ins = dockerfile.last("HEALTHCHECK")
    if ins is None:
        return None
    where = dockerfile.where(ins)
    text = ins.value.strip()
    if text.upper() == "NONE":
        return EffectiveHealthcheck(("NONE",), True, None, None, None, None, where, "Dockerfile")
    options: dict[str, str] = {}
    while (match := _HC_OPTION.match(text)) is not None:
        options[match.group(1)] = match.group(2)
        text = text[match.end() :]
    if not text.upper().startswith("CMD"):
        raise InputError(dockerfile.shown, ins.line, "HEALTHCHECK must be 'HEALTHCHECK [OPTIONS] CMD command' or NONE")
    body = text[3:].strip()
    argv = exec_form(body)
    test = ("CMD", *argv) if argv is not None else ("CMD-SHELL", body)
    try:
        retries = int(options["retries"]) if "retries" in options else None
        durations = {
            k: parse_duration(options[k]) if k in options else None for k in ("interval", "timeout", "start-period")
        }
    except ValueError as exc:
        raise InputError(dockerfile.shown, ins.line, f"HEALTHCHECK option: {exc}") from None
    return EffectiveHealthcheck(
        test,
        False,
        durations["interval"],
        durations["timeout"],
        retries,
        durations["start-period"],
        where,
        "Dockerfile",
    )


def effective_healthcheck(service: Service, container: ComposeService) -> EffectiveHealthcheck | None:
    """Compose's healthcheck merged over the Dockerfile's (compose options without a test inherit it)."""
    hc = container.healthcheck
    image_hc: EffectiveHealthcheck | None = None
    if hc is None or not hc.test:
        dockerfile = dockerfile_of(service, container)
        image_hc = dockerfile_healthcheck(dockerfile) if dockerfile else None
    if hc is None:
        return image_hc
    where = container.where("healthcheck")
    if hc.disabled:
        return EffectiveHealthcheck(
            hc.test or ("NONE",), True, hc.interval, hc.timeout, hc.retries, hc.start_period, where, "compose"
        )
    if not hc.test:
        if image_hc is None:
            return EffectiveHealthcheck(
                (), False, hc.interval, hc.timeout, hc.retries, hc.start_period, where, "compose (options only)"
            )
        return EffectiveHealthcheck(
            image_hc.test,
            image_hc.disabled,
            hc.interval if hc.interval is not None else image_hc.interval,
            hc.timeout if hc.timeout is not None else image_hc.timeout,
            hc.retries if hc.retries is not None else image_hc.retries,
            hc.start_period if hc.start_period is not None else image_hc.start_period,
            f"{where} + {image_hc.where}",
            "compose over Dockerfile",
        )
    return EffectiveHealthcheck(hc.test, False, hc.interval, hc.timeout, hc.retries, hc.start_period, where, "compose")


def _gather(service: Service) -> tuple[list[tuple[ComposeService, EffectiveHealthcheck | None]], Verdict | None]:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return [], verdict
    out = []
    for container in containers:
        try:
            out.append((container, effective_healthcheck(service, container)))
        except InputError as exc:
            return [], input_failure(exc)
    return out, None


def _own_ports(container: ComposeService) -> list[str]:
    ports: list[str] = []
    for spec in (
        *(p.target for p in container.ports),
        *(p.published or "" for p in container.ports),
        *container.expose,
    ):
        low, _, high = spec.split("/")[0].partition("-")
        if low.isdigit() and (not high or (high.isdigit() and int(high) - int(low) <= 1024)):
            ports.extend(str(n) for n in range(int(low), int(high or low) + 1))
    return sorted(set(ports), key=int)


def classify(service: Service, container: ComposeService, hc: EffectiveHealthcheck) -> Classification:
    """What this container's healthcheck proves, with its environment, names, ports and scripts."""
    project = service.stack.compose
    others = set(project.services) if project else set()
    try:
        dockerfile = dockerfile_of(service, container)
    except InputError:
        dockerfile = None
    mounts = tuple((m.source, m.target, m.where) for m in container.volumes if m.type == "bind")
    scripts = ScriptLocator(service.artifacts, dockerfile, mounts, third_party=not container.builds)
    aliases = [n for n in (container.hostname, container.container_name) if n]
    return classify_healthcheck(
        hc.test,
        service=container.name,
        dependencies=sorted({*container.depends_on, *others} - {container.name}),
        own_ports=_own_ports(container),
        aliases=aliases,
        environment=container.environment,
        scripts=scripts,
    )


# ---------------------------------------------------------------------------------------------------
# runtime.healthcheck / runtime.healthcheck-liveness / runtime.startup-bounded
# ---------------------------------------------------------------------------------------------------


def healthcheck(service: Service) -> Verdict:
    """runtime.healthcheck: every container has a healthcheck (compose or Dockerfile) that is enabled and can
    fail; one that exits 0 whatever happens (``true``, ``|| true``, ``; exit 0``) is no healthcheck at all."""
    job = _job_na(service, "a healthcheck")
    if job:
        return job
    gathered, verdict = _gather(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    reasons: list[str] = []
    todo: list[str] = []
    for container, hc in gathered:
        if hc is None:
            reasons.append(f"'{container.name}' has no healthcheck at {container.where()}")
            seen = " or its Dockerfile" if container.dockerfile else ""
            unseen = "; an image's own HEALTHCHECK cannot be seen offline" if not container.builds else ""
            bad.append(Evidence(container.where(), f"{container.name}: no healthcheck in compose{seen}{unseen}"))
            todo.append(add_key(container, HEALTHCHECK_FIX))
            continue
        if hc.disabled:
            reasons.append(f"'{container.name}' healthcheck is disabled at {hc.where}")
            bad.append(Evidence(hc.where, f"{container.name}: healthcheck disabled"))
            todo.append(f"{hc.where}: replace the disabled healthcheck with  {HEALTHCHECK_FIX}")
            continue
        if not hc.test:
            reasons.append(f"'{container.name}' healthcheck sets options but no test at {hc.where}")
            bad.append(Evidence(hc.where, f"{container.name}: healthcheck without test (image's test not visible)"))
            todo.append(f"{hc.where}: add a test: under healthcheck (the image's own cannot be seen)")
            continue
        result = classify(service, container, hc)
        if result.kind is HealthcheckKind.CANNOT_FAIL:
            reasons.append(f"'{container.name}' healthcheck cannot fail at {hc.where}: {result.reason}")
            bad.append(Evidence(hc.where, f"{container.name}: {hc.command_text}: cannot fail"))
            todo.append(
                f"{hc.where}: make the test fail when the service does (drop `|| true` / `exit 0`; e.g. "
                'test: ["CMD", "curl", "-fsS", "http://127.0.0.1:PORT/healthz"])'
            )
            continue
        good.append(Evidence(hc.where, f"{container.name}: {hc.command_text}"))
    if reasons:
        return Verdict.failed(
            join_reasons(reasons) + "; add a healthcheck that probes the service itself and fails when it is down",
            *bad,
            fix=fixes(todo),
        )
    return Verdict.passed(f"{len(good)} container(s) have a healthcheck that can fail", *good)


def healthcheck_liveness(service: Service) -> Verdict:
    """runtime.healthcheck-liveness: each healthcheck's own probe decides its status: one that only pings a
    dependency, checks a file's age, proves a process exists or cannot fail stays green while the service is
    wedged. Live: every container of the row runs and its health is ``healthy``."""
    job = _job_na(service, "liveness")
    if job:
        return job
    return with_live(_static_healthcheck_liveness(service), lambda: live_health(service))


def live_health(service: Service) -> LivePart:
    """Live part of runtime.healthcheck-liveness: each container running and healthy (a declared compose
    service without a container in the running project fails)."""
    found = row_containers(service)
    if not isinstance(found, dict):
        return found
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for name, containers in found.items():
        if not containers:
            bad.append(missing_container(service, name))
        for c in containers:
            if not c.running:
                bad.append(Evidence(c.location, f"{c.state_text}: not running"))
            elif c.health is None:
                bad.append(Evidence(c.location, "running without a healthcheck: no health status"))
            elif c.health != "healthy":
                bad.append(Evidence(c.location, f"health {c.health}, not healthy"))
            else:
                good.append(Evidence(c.location, "running, health healthy"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.location}: {e.detail}" for e in bad], 2) + "; bring it up healthy", *limited(bad)
        )
    return Verdict.passed(f"{len(good)} container(s) running and healthy", *limited(good))


def _static_healthcheck_liveness(service: Service) -> Verdict:
    gathered, verdict = _gather(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    reasons: list[str] = []
    unseen: list[str] = []
    todo: list[str] = []
    for container, hc in gathered:
        if hc is None or hc.disabled or not hc.test:
            state = "disabled" if hc is not None and hc.disabled else "missing"
            where = hc.where if hc is not None else container.where()
            reasons.append(f"'{container.name}' healthcheck is {state} at {where}")
            bad.append(Evidence(where, f"{container.name}: healthcheck {state}"))
            todo.append(add_key(container, HEALTHCHECK_FIX) if hc is None else f"{where}: set  {HEALTHCHECK_FIX}")
            continue
        result = classify(service, container, hc)
        detail = f"{container.name}: {result.kind.value}: {result.reason}"
        if result.kind is HealthcheckKind.LIVENESS:
            good.append(Evidence(hc.where, detail))
            continue
        if result.kind is HealthcheckKind.NOT_OBSERVED:
            unseen.append(f"healthcheck of '{container.name}' ({hc.command_text}) at {hc.where}: {result.reason}")
            bad.append(Evidence(hc.where, detail))
            continue
        bad.append(Evidence(hc.where, detail))
        reasons.append(
            f"healthcheck of '{container.name}' is {result.kind.value} ({hc.command_text[:100]}) at "
            f"{hc.where}: {result.reason}"
        )
        todo.append(
            f"{hc.where}: probe {container.name}'s own process or port instead, e.g. "
            'test: ["CMD", "curl", "-fsS", "http://127.0.0.1:PORT/healthz"]'
        )
    if reasons:
        return Verdict.failed(
            join_reasons(reasons, 2) + "; probe the service's own process or port instead",
            *bad,
            scope=Scope.STATIC_ONLY,
            fix=fixes(todo),
        )
    if unseen:
        return Verdict.not_observed(join_reasons(unseen, 2), *bad, *good, scope=Scope.STATIC_ONLY)
    return Verdict.passed(f"{len(good)} healthcheck(s) probe their own process", *good, scope=Scope.STATIC_ONLY)


def _fmt(seconds: float) -> str:
    return f"{seconds:g}s"


def startup_bounded(service: Service) -> Verdict:
    """runtime.startup-bounded: interval, retries and start_period set and within bounds, so a container that
    never comes up is declared unhealthy within minutes."""
    job = _job_na(service, "a startup bound")
    if job:
        return job
    gathered, verdict = _gather(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    todo: list[str] = []
    for container, hc in gathered:
        if hc is None or hc.disabled:
            where = hc.where if hc else container.where()
            bad.append(Evidence(where, f"{container.name}: no enabled healthcheck, so startup is unbounded"))
            todo.append(add_key(container, HEALTHCHECK_FIX))
            continue
        problems = []
        if hc.start_period is None:
            problems.append("start_period not set")
        elif hc.start_period > MAX_START_PERIOD:
            problems.append(f"start_period {_fmt(hc.start_period)} > {_fmt(MAX_START_PERIOD)}")
        if hc.interval is None:
            problems.append("interval not set")
        elif not 0 < hc.interval <= MAX_INTERVAL:
            problems.append(f"interval {_fmt(hc.interval)} not in (0s, {_fmt(MAX_INTERVAL)}]")
        if hc.retries is None:
            problems.append("retries not set")
        elif not RETRIES_RANGE[0] <= hc.retries <= RETRIES_RANGE[1]:
            problems.append(f"retries {hc.retries} not in {RETRIES_RANGE[0]}..{RETRIES_RANGE[1]}")
        if problems:
            bad.append(Evidence(hc.where, f"{container.name}: {', '.join(problems)}"))
            todo.append(f"{hc.where}: under healthcheck set  interval: 10s, retries: 3, start_period: 30s")
        else:
            assert hc.start_period is not None
            assert hc.interval is not None
            assert hc.retries is not None
            bound = hc.start_period + hc.interval * hc.retries
            good.append(
                Evidence(
                    hc.where,
                    f"{container.name}: start_period {_fmt(hc.start_period)}, interval "
                    f"{_fmt(hc.interval)}, retries {hc.retries} (unhealthy after <= {_fmt(bound)})",
                )
            )
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.detail} at {e.location}" for e in bad], 2)
            + "; set healthcheck start_period (<= 5m), interval (<= 1m) and retries (1-10)",
            *bad,
            fix=fixes(todo),
        )
    return Verdict.passed(f"startup bounded for {len(good)} container(s)", *good)


# ---------------------------------------------------------------------------------------------------
# runtime.restart-policy / runtime.resource-limits
# ---------------------------------------------------------------------------------------------------


def restart_policy(service: Service) -> Verdict:
    """runtime.restart-policy: long-running containers restart on their own (always/unless-stopped/on-failure)."""
    job = _job_na(service, "a restart policy that keeps it running")
    if job:
        return job
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    todo: list[str] = []
    for container in containers:
        restart = (container.restart or "").strip().lower()
        deploy = (container.restart_policy or "").strip().lower()
        if restart.split(":")[0] in GOOD_RESTART:
            good.append(Evidence(container.where("restart"), f"{container.name}: restart: {container.restart}"))
        elif deploy in GOOD_DEPLOY_RESTART and restart in ("", "no"):
            good.append(
                Evidence(
                    container.where("deploy", "restart_policy", "condition"),
                    f"{container.name}: deploy.restart_policy.condition: {deploy}",
                )
            )
        elif restart or deploy:
            shown = f"restart: {container.restart}" if restart else f"deploy.restart_policy.condition: {deploy}"
            key = ("restart",) if restart else ("deploy", "restart_policy", "condition")
            bad.append(
                Evidence(
                    container.where(*key), f"{container.name}: {shown} never restarts a crashed long-running container"
                )
            )
            todo.append(f"{container.where(*key)}: set  restart: unless-stopped")
        else:
            bad.append(Evidence(container.where(), f"{container.name}: no restart policy (defaults to no)"))
            todo.append(add_key(container, "restart: unless-stopped"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.detail} ({e.location})" for e in bad], 2)
            + "; set restart: unless-stopped (or on-failure)",
            *bad,
            fix=fixes(todo),
        )
    return Verdict.passed(f"{len(good)} container(s) restart on failure", *good)


_SUGGESTED_LIMIT = {"memory": "512M", "cpus": "0.5", "pids": "256"}
"""What a fix proposes for a missing limit: a starting point to tune from the container's observed usage."""


def _human_bytes(value: int) -> str:
    for unit, size in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}b"


def resource_limits(service: Service) -> Verdict:
    """runtime.resource-limits: memory, CPU and pids limits on every container, so one runaway (a leak, a busy
    loop, a fork bomb) cannot starve the desk. Live: the limits are applied in every running container
    (HostConfig.Memory, NanoCpus or CpuQuota, PidsLimit)."""
    return with_live(_static_resource_limits(service), lambda: live_resource_limits(service))


def live_resource_limits(service: Service) -> LivePart:
    """Live part of runtime.resource-limits: memory, CPU and pids limits applied in each running container."""
    found = row_containers(service)
    if not isinstance(found, dict):
        return found
    running = [c for containers in found.values() for c in containers if c.running]
    if not running:
        return Unobservable(
            f"no running container of compose service(s) {', '.join(found)} in project {service.stack.live.project}",
            service.spec.where,
        )
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for c in running:
        memory = _human_bytes(c.memory) if c.memory > 0 else None
        cpus = c.cpus
        pids = c.pids_limit if c.pids_limit > 0 else None
        missing = [what for what, value in (("memory", memory), ("cpu", cpus), ("pids", pids)) if value is None]
        if missing:
            bad.append(Evidence(c.location, f"no {' and no '.join(missing)} limit applied (unlimited)"))
        else:
            assert cpus is not None
            good.append(Evidence(c.location, f"applied: memory {memory}, cpus {cpus:g}, pids {pids}"))
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.location}: {e.detail}" for e in bad], 2) + "; recreate it with the limits set",
            *limited(bad),
        )
    return Verdict.passed(f"limits applied in {len(good)} running container(s)", *limited(good))


def _static_resource_limits(service: Service) -> Verdict:
    containers, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    bad: list[Evidence] = []
    good: list[Evidence] = []
    todo: list[str] = []
    for container in containers:
        limits = (("memory", container.memory_limit), ("cpus", container.cpu_limit), ("pids", container.pids_limit))
        missing = [what for what, value in limits if value is None]
        limits_at = container.where("deploy", "resources", "limits") if "deploy" in container.written else None
        if missing:
            where = limits_at or container.where()
            bad.append(Evidence(where, f"{container.name}: no {' and no '.join(missing)} limit"))
            wanted = ", ".join(f"{m}: {_SUGGESTED_LIMIT[m]}" for m in missing)
            if limits_at:
                todo.append(f"{limits_at}: under deploy.resources.limits add  {wanted}")
            else:
                todo.append(add_key(container, f"deploy: {{resources: {{limits: {{{wanted}}}}}}}"))
        else:
            assert container.memory_limit is not None
            where = limits_at or container.where("mem_limit")
            good.append(
                Evidence(
                    where,
                    f"{container.name}: memory {_human_bytes(container.memory_limit)}, cpus {container.cpu_limit:g},"
                    f" pids {container.pids_limit}",
                )
            )
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.detail} ({e.location})" for e in bad], 2)
            + "; set deploy.resources.limits.memory, .cpus and .pids (or mem_limit/cpus/pids_limit)",
            *bad,
            scope=Scope.STATIC_ONLY,
            fix=fixes(todo),
        )
    return Verdict.passed(f"memory, CPU and pids limits on {len(good)} container(s)", *good, scope=Scope.STATIC_ONLY)


# ---------------------------------------------------------------------------------------------------
# runtime.backoff-retry
# ---------------------------------------------------------------------------------------------------


def backoff_retry(service: Service) -> Verdict:
    """runtime.backoff-retry: start order waits for healthy dependencies, and the row's own code retries with
    backoff when a dependency goes away later (environment, env_file, config or code; a task queue's job
    retry does not count). A third-party image or a job is judged on its start order only."""
    if service.kind == "gate":
        return Verdict.not_applicable("gate row is a job, retried by CI, not a long-running client")
    containers, verdict = containers_of(service)
    if verdict is not None and verdict.outcome is not Outcome.NOT_APPLICABLE:
        return verdict
    project = service.stack.compose
    names = set(project.services) if project else set()
    deps = [(c, name, cond) for c in containers for name, cond in c.depends_on.items()]
    env_deps = {c.name: env_dependencies(c, names) for c in containers}
    own_code = has_own_code(service)
    needs_retry = own_code and not is_job(service) and bool(deps or any(env_deps.values()))
    if not deps and not needs_retry:
        what = "no depends_on" + ("" if own_code else " and no code of its own")
        return Verdict.not_applicable(f"{service.name} has {what}: nothing to wait for or reconnect to")
    bad: list[Evidence] = []
    good: list[Evidence] = []
    reasons: list[str] = []
    todo: list[str] = []
    for container, name, cond in deps:
        where = container.where("depends_on", name)
        if container.depends_on_written_as_list:
            reasons.append(f"'{container.name}' depends_on is a list (waits for start, not health)")
            bad.append(
                Evidence(where, f"{container.name} -> {name}: list form; use {name}: {{condition: service_healthy}}")
            )
            todo.append(f"{container.where('depends_on')}: write depends_on as  {name}: {{condition: service_healthy}}")
        elif cond not in HEALTHY_CONDITIONS:
            reasons.append(f"'{container.name}' depends_on {name} with condition {cond}")
            bad.append(Evidence(where, f"{container.name} -> {name}: condition {cond}, not service_healthy"))
            todo.append(f"{where}: set  condition: service_healthy")
        else:
            good.append(Evidence(where, f"{container.name} waits for {name} ({cond})"))
    settings: list[Evidence] = []
    task_retries: list[Evidence] = []
    if needs_retry:
        for container in containers:
            settings.extend(env_retry_settings(container))
        for rel in service.spec.paths("config"):
            try:
                settings.extend(config_retry_settings(service, rel))
            except InputError as exc:
                return input_failure(exc)
        for mounted in mounted_config_files(service, containers):
            with contextlib.suppress(InputError, ArtifactError, ValueError):
                settings.extend(config_retry_settings(service, str(mounted)))
        code_dirs = []
        if service.spec.raw.get("code"):
            code_dirs.append(service.path(str(service.spec.raw["code"])))
        else:
            code_dirs.extend(c.build_context for c in containers if c.build_context is not None)
        tests = service.path(str(service.spec.raw["tests"])) if service.spec.raw.get("tests") else None
        for code_dir in dict.fromkeys(code_dirs):
            if not service.artifacts.exists(code_dir):
                return Verdict.failed(
                    f"declared code {service.show(code_dir)} does not exist",
                    Evidence(service.show(code_dir), "code in services.yaml"),
                    fix=f"{service.spec.where}: point code at the service's source folder",
                )
            found, task, broken = code_retry_evidence(service, code_dir, tests)
            if broken and not found:
                return Verdict.failed(
                    f"{broken[0].location}: {broken[0].detail}",
                    *broken,
                    fix=f"{broken[0].location}: fix the syntax error",
                )
            settings.extend(found)
            task_retries.extend(task)
        if not settings:
            looked = [*service.spec.paths("config"), *(service.show(d) for d in dict.fromkeys(code_dirs))]
            where = ", ".join(looked) or "no config/code"
            targets = sorted({n for _, n, _ in deps} | {d for ds in env_deps.values() for d in ds})
            note = (
                f" (only task-queue job retry: {task_retries[0].detail} at {task_retries[0].location})"
                if task_retries
                else ""
            )
            reasons.append(
                f"no reconnect/retry/backoff setting for {', '.join(targets)} in its environment, "
                f"config or code ({where}){note}"
            )
            bad.append(Evidence(service.spec.where, f"searched: environment, {where}"))
            bad.extend(task_retries[:3])
            first = containers[0]
            todo.append(
                add_key(first, "environment: {DB_CONNECT_RETRIES: '10', DB_RETRY_BACKOFF_SECONDS: '2'}")
                + " and make the client retry with backoff (e.g. tenacity) on connection errors"
            )
    if reasons:
        return Verdict.failed(
            join_reasons(reasons, 2) + "; wait for service_healthy and retry dependencies with "
            "backoff (e.g. tenacity, backoff, or retry settings in config)",
            *limited([*bad, *good]),
            fix=fixes(todo),
        )
    summary = f"{len(good)} healthy-gated dependenc{'y' if len(good) == 1 else 'ies'}"
    if needs_retry:
        summary += f", {len(settings)} retry/backoff setting(s)"
    return Verdict.passed(summary, *limited([*good, *settings]))


# ---------------------------------------------------------------------------------------------------
# runtime.startup-drill (L3, a drill: --readiness-drills) / runtime.resource-usage (L3, live)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartupBound:
    """How long a container may take from start to healthy: start_period + interval x retries (compose)."""

    seconds: float
    text: str
    where: str


def startup_bound(hc: EffectiveHealthcheck) -> StartupBound:
    """The bound from the effective healthcheck; unset timings take Docker's defaults (said so)."""
    defaults = []
    start = hc.start_period
    if start is None:
        start = DEFAULT_START_PERIOD_S
        defaults.append("start_period")
    interval = hc.interval
    if interval is None:
        interval = DEFAULT_INTERVAL_S
        defaults.append("interval")
    retries = hc.retries
    if retries is None:
        retries = DEFAULT_RETRIES
        defaults.append("retries")
    text = f"start_period {_fmt(start)} + interval {_fmt(interval)} x {retries} retries"
    if defaults:
        text += f" (Docker default {', '.join(defaults)})"
    return StartupBound(start + interval * retries, text, hc.where)


def startup_drill(service: Service) -> Verdict:
    """runtime.startup-drill: restart each container of the row (a drill) and measure start to healthy; it
    passes when every container is healthy again within its bound (start_period + interval x retries) and
    the drill restored everything it touched. A drill that cannot restore a container is an error."""
    gathered, verdict = _gather(service)
    if verdict is not None:
        return verdict
    blocked = drill_precondition(service)  # not observed: drills not asked for, a row below L3, no engine
    if blocked is not None:
        return blocked
    bounds: dict[str, StartupBound] = {}
    unmeasurable: list[Evidence] = []
    for container, hc in gathered:
        if hc is None or hc.disabled or not hc.test:
            where = hc.where if hc is not None else container.where()
            unmeasurable.append(Evidence(where, f"{container.name}: no enabled healthcheck, no healthy state to time"))
        else:
            bounds[container.name] = startup_bound(hc)
    if unmeasurable:
        return Verdict.failed(
            join_reasons([f"{e.detail} ({e.location})" for e in unmeasurable], 2)
            + "; add a healthcheck so start-to-healthy can be measured (no drill was run)",
            *unmeasurable,
        )
    found = drill_containers(service)
    if isinstance(found, Verdict):
        return found
    runner = service.stack.live.drill_runner()
    if isinstance(runner, Unobservable):
        return Verdict.not_observed(f"drill not run: {runner.reason}")
    missing: list[Evidence] = []
    drilled: list[DrillResult] = []
    try:
        with runner.locked(f"runtime.startup-drill of {service.name}"):
            for name, containers in found.items():
                if not containers:
                    missing.append(missing_container(service, name))
                drilled.extend(runner.restart_drill(c) for c in containers)
    except DrillLockTimeout as exc:
        return Verdict.error(str(exc), Evidence(service.spec.where, "runtime.startup-drill: no drill was run"))
    return _judge_startup(drilled, bounds, missing)


def _judge_startup(drilled: list[DrillResult], bounds: dict[str, StartupBound], missing: list[Evidence]) -> Verdict:
    errors: list[str] = []
    bad: list[Evidence] = list(missing)
    good: list[Evidence] = []
    for r in drilled:
        bound = bounds.get(r.service)
        limit = f"bound {_fmt(bound.seconds)} ({bound.text}, {bound.where})" if bound else "no compose bound"
        detail = f"{r.timing_text()}; {limit}" + "".join(f"; {n}" for n in r.notes)
        if r.restore_error:
            errors.append(r.restore_error)
            bad.append(Evidence(r.location, f"NOT RESTORED: {r.restore_error}; {detail}"))
        elif r.problem:
            bad.append(Evidence(r.location, f"{r.problem}; {detail}"))
        elif not r.was_running:
            bad.append(Evidence(r.location, f"{r.before} before the drill (the drill started it); {detail}"))
        elif bound is None or r.start_to_healthy_s is None or r.start_to_healthy_s > bound.seconds:
            bad.append(Evidence(r.location, f"start -> healthy exceeds its bound; {detail}"))
        else:
            good.append(Evidence(r.location, f"restarted: {detail}"))
    if errors:
        return Verdict.error(
            join_reasons(errors, 2) + "; the stack is left disturbed: bring it back (docker compose up -d)",
            *bad,
            *good,
        )
    if bad:
        reasons = [f"{e.location}: {e.detail}" for e in bad]
        return Verdict.failed(join_reasons(reasons, 2), *bad, *good, scope=Scope.LIVE)
    slowest = max(drilled, key=lambda r: r.start_to_healthy_s or 0.0)
    return Verdict.passed(
        f"{len(drilled)} container(s) restarted and healthy again within their bound "
        f"(slowest: {slowest.container} {slowest.start_to_healthy_s or 0.0:.1f}s)",
        *good,
        scope=Scope.LIVE,
    )


MEMORY_USAGE_MAX = 0.9
MAX_RESTARTS = 3


def memory_used(stats: dict[str, Any]) -> int | None:
    """Memory in use from a ``docker stats`` sample, page cache excluded as the docker CLI does it
    (``usage`` minus ``total_inactive_file`` on cgroup v1, ``inactive_file`` on v2)."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if not isinstance(usage, int) or isinstance(usage, bool):
        return None
    inner = memory.get("stats") or {}
    for key in ("total_inactive_file", "inactive_file"):
        value = inner.get(key)
        if isinstance(value, int) and 0 <= value < usage:
            return usage - value
    return usage


def _mib(value: int) -> str:
    return f"{value / 1024**2:.1f} MiB"


def resource_usage(service: Service) -> Verdict:
    """runtime.resource-usage (live): every container of the row runs with its memory use below 90% of the
    applied limit (one ``docker stats`` sample each), was not OOM-killed, and the engine restarted it at most
    three times."""
    _, verdict = containers_of(service)
    if verdict is not None:
        return verdict
    found = row_containers(service)
    if found is None:
        return Verdict.not_applicable(f"{service.name} declares no compose_services: no containers to sample")
    if isinstance(found, Unobservable):
        return Verdict.not_observed(found.reason)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    unseen: list[str] = []
    for name, containers in found.items():
        if not containers:
            bad.append(missing_container(service, name))
        for c in containers:
            problems: list[str] = []
            seen: list[str] = []
            if c.oom_killed:
                problems.append("OOMKilled: the kernel killed its last run for memory")
            if c.restart_count > MAX_RESTARTS:
                problems.append(f"restarted {c.restart_count} times by the engine (> {MAX_RESTARTS})")
            if not c.running:
                problems.append(f"{c.state_text}: not running")
            else:
                stats = service.stack.live.stats(c)
                used = None if isinstance(stats, Unobservable) else memory_used(stats)
                if used is None:
                    unseen.append(stats.reason if isinstance(stats, Unobservable) else f"{c.location}: no memory usage")
                elif c.memory <= 0:
                    problems.append(f"memory {_mib(used)} in use with no memory limit applied (unbounded)")
                elif used >= MEMORY_USAGE_MAX * c.memory:
                    problems.append(
                        f"memory {_mib(used)} of {_mib(c.memory)} ({used / c.memory:.0%} >= {MEMORY_USAGE_MAX:.0%})"
                    )
                else:
                    seen.append(f"memory {_mib(used)} of {_mib(c.memory)} ({used / c.memory:.0%} < 90%)")
            if problems:
                bad.append(Evidence(c.location, "; ".join(problems)))
            elif seen:
                good.append(
                    Evidence(c.location, f"{seen[0]}, OOMKilled false, restarts {c.restart_count} (<= {MAX_RESTARTS})")
                )
    if bad:
        return Verdict.failed(
            join_reasons([f"{e.location}: {e.detail}" for e in bad], 2)
            + "; raise the limit or fix the leak, and find why it restarts",
            *limited(bad),
            scope=Scope.LIVE,
        )
    if unseen:
        return Verdict.not_observed(join_reasons(unseen, 2), *limited(good))
    return Verdict.passed(
        f"{len(good)} container(s) below {MEMORY_USAGE_MAX:.0%} of their memory limit, never OOM-killed, "
        f"restarted <= {MAX_RESTARTS} times",
        *limited(good),
        scope=Scope.LIVE,
    )
