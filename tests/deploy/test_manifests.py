"""The Dockerfile, compose.yaml, the Kubernetes manifests and the app agree with each other:
the same image, the port `trellis serve` is told is the one every file points at, and every
probe path is a route of the app that answers 200.

The files themselves are linted by .ci/deploy (hadolint, actionlint, kubernetes-validate).
"""

from __future__ import annotations

import re
from dataclasses import fields
from importlib.metadata import version
from typing import Any

import pytest
import typer

from core.cli import app as cli
from core.plugins import read_plugins_file
from core.settings import Settings
from core.tasks.spec import Task
from core.testing import ClientFactory
from tests.deploy.files import (
    KUBERNETES,
    ROOT,
    command_line,
    compose,
    default_of,
    final_stage,
    generated_literals,
    kustomization,
    pod_spec,
    resources,
)

IMAGE = "trellis"
SECRETS = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN", "BROKER_URL"}
API = ("Deployment", "trellis")
MIGRATE = ("Job", "trellis-migrate")
WORKER = ("Deployment", "trellis-worker")
BEAT = ("Deployment", "trellis-beat")
WORKLOADS = (API, MIGRATE, WORKER, BEAT)
SERVERS = (API, WORKER, BEAT)  # long-running, with the image's writable paths


def serve_options() -> dict[str, Any]:
    """What the image's CMD tells `trellis serve`, parsed by the command's own options."""
    argv = command_line(final_stage())
    assert argv[:2] == ["trellis", "serve"], argv
    group: Any = typer.main.get_command(cli)
    params: dict[str, Any] = group.commands["serve"].make_context("serve", argv[2:]).params
    return params


def serve_port() -> int:
    port: int = serve_options()["port"]
    return port


def container(kind: str, name: str) -> dict[str, Any]:
    (only,) = pod_spec(kind, name)["containers"]
    return dict(only)


def container_port(name_or_number: str | int) -> int:
    """A probe's or the Service's port, a name resolved against the API container's ports."""
    for port in container(*API)["ports"]:
        if name_or_number in (port["name"], port["containerPort"]):
            return int(port["containerPort"])
    raise AssertionError(f"the API container has no port {name_or_number!r}")


def probes() -> dict[str, dict[str, Any]]:
    api = container(*API)
    return {
        kind: api[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }


def healthcheck_url() -> tuple[int, str]:
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", " ".join(final_stage().healthcheck))
    assert match, f"no loopback URL in the HEALTHCHECK: {final_stage().healthcheck}"
    return int(match.group(1)), match.group(2)


def test_the_image_serves_every_interface_on_the_port_it_exposes() -> None:
    options = serve_options()
    assert options["host"] == "0.0.0.0"  # noqa: S104 (in a container, that is the point)
    assert options["workers"] >= 1
    assert final_stage().exposed == [options["port"]]


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    user = final_stage().user.split(":")[0]
    assert user.isdigit(), "runAsNonRoot can only verify a numeric USER"
    assert int(user) != 0
    for workload in WORKLOADS:
        assert pod_spec(*workload)["securityContext"]["runAsUser"] == int(user), workload


def test_compose_and_kubernetes_run_the_same_image_at_the_app_version() -> None:
    tag = version("trellis")
    for service in ("api", "migrate", "worker"):
        assert default_of(compose()["services"][service]["image"]) == f"{IMAGE}:{tag}"
    for workload in WORKLOADS:
        assert container(*workload)["image"] == IMAGE
    (entry,) = kustomization()["images"]
    assert (entry["name"], entry["newTag"]) == (IMAGE, tag)


def test_every_port_is_the_one_trellis_serve_is_told() -> None:
    port = serve_port()
    published = default_of(compose()["services"]["api"]["ports"][0])
    assert int(published.rsplit(":", 1)[1]) == port
    assert container_port("http") == port
    (service_port,) = resources()["Service", "trellis"]["spec"]["ports"]
    assert container_port(service_port["targetPort"]) == port
    assert {container_port(probe["port"]) for probe in probes().values()} == {port}
    assert healthcheck_url()[0] == port


def test_the_api_runs_the_images_command_and_migrations_run_apart() -> None:
    assert "command" not in compose()["services"]["api"]
    assert not {"command", "args"} & set(container(*API))
    group: Any = typer.main.get_command(cli)
    assert "migrate" in group.commands
    assert compose()["services"]["migrate"]["command"] == ["trellis", "migrate"]
    assert container(*MIGRATE)["command"] == ["trellis", "migrate"]
    waits_for = compose()["services"]["api"]["depends_on"]["migrate"]
    assert waits_for["condition"] == "service_completed_successfully"


def test_task_workloads_run_commands_the_cli_accepts() -> None:
    commands = [
        container(*WORKER)["command"],
        container(*BEAT)["command"],
        compose()["services"]["worker"]["command"],
    ]
    assert commands == [
        ["trellis", "worker", "--metrics-host", "0.0.0.0"],  # noqa: S104
        ["trellis", "beat"],
        ["trellis", "worker", "--beat"],
    ]
    group: Any = typer.main.get_command(cli)
    for argv in commands:
        group.commands[argv[1]].make_context(argv[1], argv[2:])


def test_task_workloads_have_no_probe_and_run_one_beat() -> None:
    for workload in (WORKER, BEAT):
        assert not {"startupProbe", "livenessProbe", "readinessProbe"} & set(
            container(*workload)
        ), workload
    assert "ports" not in container(*BEAT)
    beat = resources()[BEAT]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}, "a rolling update would run two beats"


def test_the_worker_outlasts_a_running_task_before_it_is_killed() -> None:
    """Warm shutdown lets running attempts finish; each is bounded by its task's timeout."""
    default_timeout = next(field.default for field in fields(Task) if field.name == "timeout")
    assert pod_spec(*WORKER)["terminationGracePeriodSeconds"] > default_timeout


def test_probes_are_liveness_and_readiness() -> None:
    assert probes()["livenessProbe"]["path"] == "/health"
    assert probes()["startupProbe"]["path"] == "/health"
    assert probes()["readinessProbe"]["path"] == "/health/ready"
    assert healthcheck_url()[1] == "/health"
    assert "preStop" in container(*API)["lifecycle"]


async def test_every_probe_path_is_a_route_that_answers_200(make_client: ClientFactory) -> None:
    config = read_plugins_file(ROOT / "plugins.toml")
    paths = {probe["path"] for probe in probes().values()} | {healthcheck_url()[1]}
    async with make_client(config.enabled, config.settings) as client:
        operations = client.app.openapi()["paths"]
        for path in sorted(paths):
            assert "get" in operations.get(path, {}), f"GET {path} is not a route of the app"
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)


def test_the_configmap_runs_the_repositorys_modules() -> None:
    generator = next(
        g for g in kustomization()["configMapGenerator"] if g["name"] == "trellis-plugins"
    )
    assert generator["files"] == ["plugins.toml"]
    assert read_plugins_file(KUBERNETES / "plugins.toml") == read_plugins_file(
        ROOT / "plugins.toml"
    ), "copy plugins.toml to deploy/kubernetes/plugins.toml"


def test_trellis_plugins_points_at_the_mounted_configmap() -> None:
    plugins_file = generated_literals("trellis-config")["TRELLIS_PLUGINS"]
    for workload in WORKLOADS:
        volumes = {v["name"]: v for v in pod_spec(*workload)["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container(*workload)["volumeMounts"]}
        directory, _, file = plugins_file.rpartition("/")
        assert volumes[mounts[directory]]["configMap"]["name"] == "trellis-plugins"
        assert file == "plugins.toml"


@pytest.mark.parametrize("workload", SERVERS, ids=lambda workload: workload[1])
def test_the_read_only_root_leaves_the_images_writable_paths_mounted(
    workload: tuple[str, str],
) -> None:
    env = final_stage().env
    writable = {env["TRELLIS_VAR_DIR"], env["PROMETHEUS_MULTIPROC_DIR"], "/tmp"}  # noqa: S108
    server = container(*workload)
    assert server["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in pod_spec(*workload)["volumes"]}
    mounted = {m["mountPath"]: volumes[m["name"]] for m in server["volumeMounts"]}
    for path in writable:
        assert "emptyDir" in mounted[path], f"{path} must be a writable emptyDir"
    tmpfs = set(compose()["x-trellis"]["tmpfs"])
    assert compose()["x-trellis"]["read_only"] is True
    assert writable <= tmpfs


@pytest.mark.parametrize(
    ("workload", "needed"),
    [
        (API, SECRETS),
        (MIGRATE, {"SECRET_KEY", "DATABASE_URL"}),
        (WORKER, SECRETS),
        (BEAT, {"SECRET_KEY", "DATABASE_URL", "BROKER_URL"}),
    ],
    ids=lambda value: value[1] if isinstance(value, tuple) else None,
)
def test_secrets_come_from_the_trellis_secret(workload: tuple[str, str], needed: set[str]) -> None:
    refs = {
        item["name"]: item["valueFrom"]["secretKeyRef"]
        for item in container(*workload).get("env", [])
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert set(refs) == needed
    assert all(ref == {"name": "trellis", "key": name} for name, ref in refs.items())
    assert not needed & set(generated_literals("trellis-config")), "a secret in a ConfigMap"


def test_beat_without_metrics_needs_no_metrics_token() -> None:
    """Production refuses METRICS_ENABLED without METRICS_TOKEN; beat serves no /metrics."""
    values = {item["name"]: item.get("value") for item in container(*BEAT)["env"]}
    assert values["METRICS_ENABLED"] == "false"


def test_the_worker_serves_metrics_on_its_port_on_every_interface() -> None:
    """The ConfigMap's METRICS_ENABLED reaches it unchanged; its METRICS_TOKEN is the API's."""
    worker = container(*WORKER)
    assert "METRICS_ENABLED" not in {item["name"] for item in worker["env"]}
    assert generated_literals("trellis-config")["METRICS_ENABLED"] == "true"
    (port,) = worker["ports"]
    assert port["name"] == "metrics"
    assert port["containerPort"] == Settings.model_fields["worker_metrics_port"].default
    argv = worker["command"]
    group: Any = typer.main.get_command(cli)
    options = group.commands["worker"].make_context("worker", argv[2:]).params
    assert options["metrics_host"] == "0.0.0.0"  # noqa: S104 (in a container, that is the point)


def test_the_kustomization_lists_every_manifest() -> None:
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization()["resources"]) == on_disk
    kinds = {kind for kind, _ in resources()}
    assert kinds == {
        "Deployment",
        "Service",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }


def test_compose_runs_postgresql_16_and_redis_7_2_with_health_checks() -> None:
    services = compose()["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7.2"
    for name in ("db", "redis"):
        assert services[name]["healthcheck"]["test"]
        assert services[name]["volumes"]
        assert services["api"]["depends_on"][name]["condition"] == "service_healthy"
