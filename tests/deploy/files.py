"""Read the deployment files: the Dockerfile's final stage, compose.yaml, the manifests."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"


@dataclass
class Stage:
    """The final stage of a Dockerfile: its ENV, EXPOSEd ports, HEALTHCHECK and CMD."""

    env: dict[str, str] = field(default_factory=dict)
    exposed: list[int] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    user: str = ""


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            pairs.append((keyword.upper(), arguments.strip()))
    return pairs


def _exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not the exec (JSON) form: {arguments}"
    return [str(item) for item in value]


@cache
def final_stage() -> Stage:
    stage = Stage()
    for keyword, arguments in _instructions((ROOT / "Dockerfile").read_text()):
        if keyword == "FROM":
            stage = Stage()
        elif keyword == "ENV":
            stage.env.update(pair.partition("=")[::2] for pair in shlex.split(arguments))
        elif keyword == "EXPOSE":
            stage.exposed += [int(port.split("/")[0]) for port in arguments.split()]
        elif keyword == "HEALTHCHECK":
            stage.healthcheck = _exec_form(arguments[arguments.index("CMD ") + 4 :])
        elif keyword == "CMD":
            stage.cmd = _exec_form(arguments)
        elif keyword == "USER":
            stage.user = arguments
    return stage


def command_line(stage: Stage) -> list[str]:
    """The CMD as argv, a `sh -c "exec ..."` wrapper unwrapped and ${VAR}s from ENV filled in."""
    argv = stage.cmd
    if argv[:2] == ["sh", "-c"]:
        script = re.sub(r"\$\{(\w+)\}", lambda m: stage.env[m.group(1)], argv[2])
        argv = shlex.split(script)
        assert argv[0] == "exec", "the shell must exec the server, so it gets SIGTERM"
        argv = argv[1:]
    return argv


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def default_of(value: str) -> str:
    """`${NAME:-default}` -> `default`; anything else unchanged."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


@cache
def kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    return loaded


@cache
def resources() -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource kustomization.yaml lists, by (kind, name)."""
    found = {}
    for file in kustomization()["resources"]:
        for document in yaml.safe_load_all((KUBERNETES / file).read_text()):
            found[document["kind"], document["metadata"]["name"]] = document
    return found


def pod_spec(kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = resources()[kind, name]["spec"]["template"]["spec"]
    return spec


def generated_literals(name: str) -> dict[str, str]:
    """The literals of one of kustomization.yaml's configMapGenerator entries."""
    generator = next(g for g in kustomization()["configMapGenerator"] if g["name"] == name)
    return dict(literal.split("=", 1) for literal in generator.get("literals", []))
