"""What the criteria families share: a row's containers, whether it is the team's own code, the judged
Dockerfile stage, evidence lists of bounded length, and how a fix is worded.

A fix names the file and line to change and the change itself, e.g.
``compose.yaml:41: under services.worker add  restart: unless-stopped`` (two spaces before text to
insert, so a code-scanning UI can apply it as an edit).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from ..artifacts import ArtifactError
from ..compose import ComposeService
from ..context import Service
from ..dockerfile import Dockerfile, read_dockerfile
from ..errors import InputError
from ..results import CriterionOutcome, Evidence, Verdict

OWN_CODE_KINDS = frozenset({"service", "worker", "gate", "bot"})
MAX_LISTED = 12  # evidence items listed per verdict before summarising the rest


def has_own_code(service: Service) -> bool:
    """The team's own code: the row declares code or lockfiles, or the stack builds one of its images
    (``build:``); a row without containers counts by kind. A third-party image is not own code."""
    raw = service.spec.raw
    if raw.get("code") or raw.get("lockfiles"):
        return True
    if service.spec.compose_services:
        try:
            return any(c.builds for c in service.compose_services)
        except (InputError, CriterionOutcome):
            return service.kind in OWN_CODE_KINDS
    return service.kind in OWN_CODE_KINDS and service.kind != "bot"


def third_party_reason(service: Service) -> str:
    images = []
    with contextlib.suppress(InputError, CriterionOutcome):
        images = [c.image or c.name for c in service.compose_services]
    shown = ", ".join(images) or service.kind
    return f"third-party image ({shown}, no build: in compose): it ships no code, lockfile or tests of the team's"


def is_job(service: Service) -> bool:
    return service.kind == "job"


def containers_of(service: Service) -> tuple[list[ComposeService], Verdict | None]:
    """The row's compose services, or the verdict that ends the criterion (N/A for gates, failure on bad input)."""
    if service.kind == "gate":
        return [], Verdict.not_applicable("gate row has no containers")
    if not service.spec.compose_services:
        return [], Verdict.not_applicable(f"{service.name} declares no compose_services: no containers to check")
    try:
        return service.compose_services, None
    except InputError as exc:
        return [], input_failure(exc)
    except CriterionOutcome as exc:
        evidence = service.evidence or [Evidence(service.spec.where, "services.yaml")]
        return [], Verdict.failed(exc.reason, *evidence, fix=f"{service.spec.where}: {exc.reason}")


def dockerfile_of(service: Service, container: ComposeService) -> Dockerfile | None:
    """The judged stage of the container's Dockerfile (None without a build); parsed once per run.

    Raises InputError (located) when the build names a Dockerfile that is missing or unparsable."""
    if container.build_context is None or container.dockerfile is None:
        return None
    path, context, target = container.dockerfile, container.build_context, container.build_target

    def make() -> Dockerfile:
        try:
            return read_dockerfile(service.artifacts, path, context, target)
        except ArtifactError as exc:
            if exc.missing:
                raise InputError(
                    exc.path,
                    None,
                    f"Dockerfile does not exist (build of '{container.name}' at {container.where('build')})",
                ) from None
            raise

    result: Dockerfile = service.stack.memo("dockerfile", (str(path), target), make)
    return result


def limited(items: Sequence[Evidence]) -> tuple[Evidence, ...]:
    """Evidence capped at MAX_LISTED, with one summary line for the rest."""
    if len(items) <= MAX_LISTED:
        return tuple(items)
    rest = len(items) - MAX_LISTED
    return (*items[:MAX_LISTED], Evidence(items[MAX_LISTED].location, f"... and {rest} more"))


def join_reasons(parts: Sequence[str], limit: int = 3) -> str:
    """At most ``limit`` reasons joined with '; ' plus a count of the rest (one actionable line)."""
    shown = "; ".join(parts[:limit])
    return shown + (f"; and {len(parts) - limit} more" if len(parts) > limit else "")


def input_failure(exc: InputError) -> Verdict:
    """An artifact that cannot be used: failed, located, with the fix being the artifact itself."""
    where = exc.path if exc.line is None else f"{exc.path}:{exc.line}"
    return Verdict.failed(
        str(exc), Evidence(where, exc.message), fix=f"{where}: repair or regenerate the file ({exc.message})"
    )


def add_key(container: ComposeService, text: str) -> str:
    """A fix that adds compose keys to a service: ``FILE:LINE: under services.NAME add  KEY: VALUE``."""
    return f"{container.where()}: under services.{container.name} add  {text}"


def set_key(container: ComposeService, key: tuple[str, ...], text: str) -> str:
    """A fix that changes a key the service already writes (at its own line)."""
    return f"{container.where(*key)}: set  {text}"


def fixes(items: Sequence[str], limit: int = 3) -> str | None:
    """Several fixes as one line (``; ``-joined, the rest counted); None when there is none."""
    unique = list(dict.fromkeys(i for i in items if i))
    if not unique:
        return None
    shown = "; ".join(unique[:limit])
    return shown + (f"; and {len(unique) - limit} more" if len(unique) > limit else "")
