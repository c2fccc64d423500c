#!/usr/bin/env python3
"""Policy assertions on rendered Kubernetes manifests of the neo-bridge chart.

Usage: check_policy.py [--forbid STRING]... MANIFEST.yaml...

Reads every object of the given multi-document YAML files (the output of
`helm template`, test hooks included) and prints one line per violation:

    <kind>/<name>: [<rule>] <what is wrong and what to do>

Exit status: 0 when there is none, 1 otherwise, 2 on bad input.
--forbid names a string (e.g. a sentinel token passed with --set-file) that
may appear only inside Secret objects.

The rules (each has a unit test that makes it fail, tests/test_check_policy.py):
  non-root         every container runs as a non-root, numeric user
  read-only-root   readOnlyRootFilesystem: true
  capabilities     capabilities.drop has ALL, nothing added, not privileged,
                   no privilege escalation
  seccomp          seccompProfile RuntimeDefault (or Localhost)
  host-namespaces  no hostNetwork/hostPID/hostIPC
  probes           long-running containers have liveness and readiness probes;
                   native gRPC probes check "" (liveness) and
                   neobridge.v1.AgentTasksService (readiness) on a container port
  resources        requests.cpu, requests.memory and limits.memory set
  image            every image has a tag or digest, never `latest`
  token            the service token only reaches the pod as a Secret file: no
                   PULUMI_ACCESS_TOKEN, no literal or ConfigMap value for a
                   credential-looking variable, *_FILE credentials inside a
                   Secret volume mounted without subPath (rotation)
  secret-leak      no token-shaped or forbidden string outside Secret objects
  settings         NEO_BRIDGE_* values are literal text the bridge parses (no
                   1e+06: Helm renders large YAML numbers that way unless cast)
  grace            terminationGracePeriodSeconds > preStop sleep + shutdown
                   timeout, and drain window < shutdown timeout
  service-account  automountServiceAccountToken: false on pods and
                   ServiceAccounts
  wiring           Service/PDB/NetworkPolicy/HPA/ServiceMonitor point at the
                   server pods, ports and Deployment that exist
  dashboard        dashboard JSON parses and queries only the bridge's metrics
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import yaml

READINESS_SERVICE = "neobridge.v1.AgentTasksService"
# The bridge's defaults (README "Configuration").
DEFAULT_SHUTDOWN_TIMEOUT_S = 25.0
DEFAULT_DRAIN_WINDOW_S = 5.0
DEFAULT_GRACE_S = 30  # Kubernetes' default terminationGracePeriodSeconds.

# A Pulumi access token: "pul-" and 40 hex digits.
TOKEN_RE = re.compile(r"pul-[0-9a-fA-F]{40}")
CREDENTIAL_NAME_RE = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL|PRIVATE_KEY", re.I)
# Bridge settings whose names look like credentials but are not.
NOT_CREDENTIALS = {"NEO_BRIDGE_SERVICE_TOKEN_POLICY", "NEO_BRIDGE_SERVICE_TOKEN_MTLS_ALLOW"}
# File variables whose file must come from a Secret volume.
SECRET_FILE_VARS = ("NEO_BRIDGE_TOKEN_FILE", "NEO_BRIDGE_API_KEYS_FILE",
                    "NEO_BRIDGE_TLS_KEY_FILE")
EXPONENT_RE = re.compile(r"^[0-9.]+[eE][-+]?[0-9]+$")
DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)")
DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                  "h": 3600.0}
# Metrics the bridge exports (README "Metrics"); histograms add the suffixes.
KNOWN_METRICS = {
    "grpc_server_started_total", "grpc_server_handled_total",
    "grpc_server_msg_received_total", "grpc_server_msg_sent_total",
    "neobridge_upstream_requests_total", "neobridge_upstream_retries_total",
    "neobridge_stream_reconnects_total", "neobridge_active_streams",
    "neobridge_build_info",
}
KNOWN_HISTOGRAMS = {"grpc_server_handling_seconds",
                    "neobridge_upstream_request_duration_seconds"}
for _h in KNOWN_HISTOGRAMS:
    KNOWN_METRICS.update({_h + "_bucket", _h + "_sum", _h + "_count"})
METRIC_NAME_RE = re.compile(r"\b((?:grpc_server|neobridge)_[a-z_]+)\b")

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}


@dataclass(frozen=True)
class Violation:
    obj: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.obj}: [{self.rule}] {self.message}"


def parse_duration(text: str) -> float | None:
    """Seconds in a Go/absl duration ("25s", "1m30s"), None if malformed."""
    text = str(text).strip()
    if not text or DURATION_RE.sub("", text) != "":
        return None
    return sum(float(n) * DURATION_UNITS[u] for n, u in DURATION_RE.findall(text))


def obj_name(obj: dict) -> str:
    return f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"


def pod_spec_of(obj: dict) -> dict | None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in WORKLOAD_KINDS or kind == "Job":
        return (spec.get("template") or {}).get("spec")
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {})
                .get("template") or {}).get("spec")
    if kind == "Pod":
        return spec
    return None


def pod_labels_of(obj: dict) -> dict:
    if obj.get("kind") == "Pod":
        return (obj.get("metadata") or {}).get("labels") or {}
    return (((obj.get("spec") or {}).get("template") or {}).get("metadata")
            or {}).get("labels") or {}


def is_long_running(obj: dict) -> bool:
    """Workloads serve; bare pods (helm test hooks) and jobs run to completion."""
    return obj.get("kind") in WORKLOAD_KINDS


def all_containers(spec: dict) -> Iterator[tuple[str, dict]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(field) or []:
            yield field, c


def effective(pod_sc: dict, c_sc: dict, key: str) -> Any:
    return c_sc[key] if key in c_sc else pod_sc.get(key)


def last_env(container: dict) -> dict[str, dict]:
    """Env vars by name; a later duplicate wins, as in Kubernetes."""
    out: dict[str, dict] = {}
    for e in container.get("env") or []:
        out[e.get("name", "")] = e
    return out


def walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)


def selector_matches(selector: dict, labels: dict) -> bool:
    """matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Checker:
    def __init__(self, objects: list[dict], forbidden: Iterable[str] = ()):
        self.objects = [o for o in objects if isinstance(o, dict) and o]
        self.forbidden = [f for f in forbidden if f]
        self.violations: list[Violation] = []

    def fail(self, obj: dict, rule: str, message: str) -> None:
        self.violations.append(Violation(obj_name(obj), rule, message))

    def run(self) -> list[Violation]:
        for obj in self.objects:
            spec = pod_spec_of(obj)
            if spec is not None:
                self.check_pod(obj, spec)
            if obj.get("kind") == "ServiceAccount" and obj.get("automountServiceAccountToken") is not False:
                self.fail(obj, "service-account",
                          "automountServiceAccountToken must be false: the bridge never calls the Kubernetes API")
            if obj.get("kind") != "Secret":
                self.check_no_secret_values(obj)
            if obj.get("kind") == "ConfigMap":
                self.check_dashboards(obj)
        self.check_wiring()
        return self.violations

    # Pods -----------------------------------------------------------------

    def check_pod(self, obj: dict, spec: dict) -> None:
        pod_sc = spec.get("securityContext") or {}
        if spec.get("automountServiceAccountToken") is not False:
            self.fail(obj, "service-account", "pod spec must set automountServiceAccountToken: false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                self.fail(obj, "host-namespaces", f"{host} must not be true")
        volumes = {v.get("name"): v for v in spec.get("volumes") or []}
        for field, c in all_containers(spec):
            self.check_container(obj, spec, pod_sc, field, c, volumes)

    def check_container(self, obj: dict, spec: dict, pod_sc: dict, field: str,
                        c: dict, volumes: dict) -> None:
        name = c.get("name", "?")
        where = f"container {name}"
        sc = c.get("securityContext") or {}

        # non-root
        if effective(pod_sc, sc, "runAsNonRoot") is not True:
            self.fail(obj, "non-root", f"{where}: runAsNonRoot must be true")
        uid = effective(pod_sc, sc, "runAsUser")
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            self.fail(obj, "non-root", f"{where}: runAsUser must be a numeric non-root user id (got {uid!r})")

        if sc.get("readOnlyRootFilesystem") is not True:
            self.fail(obj, "read-only-root", f"{where}: readOnlyRootFilesystem must be true")

        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            self.fail(obj, "capabilities", f"{where}: capabilities.drop must contain ALL")
        if caps.get("add"):
            self.fail(obj, "capabilities", f"{where}: capabilities.add must be empty (got {caps['add']})")
        if sc.get("privileged"):
            self.fail(obj, "capabilities", f"{where}: privileged must not be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            self.fail(obj, "capabilities", f"{where}: allowPrivilegeEscalation must be false")

        seccomp = effective(pod_sc, sc, "seccompProfile") or {}
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            self.fail(obj, "seccomp", f"{where}: seccompProfile.type must be RuntimeDefault (got {seccomp.get('type')!r})")

        self.check_image(obj, where, c.get("image"))

        res = c.get("resources") or {}
        for part, key in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory")):
            if not (res.get(part) or {}).get(key):
                self.fail(obj, "resources", f"{where}: resources.{part}.{key} must be set")

        if field == "containers" and is_long_running(obj):
            self.check_probes(obj, where, c)
        self.check_env(obj, spec, where, c, volumes)

    def check_image(self, obj: dict, where: str, image: Any) -> None:
        if not isinstance(image, str) or not image:
            self.fail(obj, "image", f"{where}: no image")
            return
        ref, _, digest = image.partition("@")
        last = ref.rsplit("/", 1)[-1]
        tag = last.partition(":")[2] if ":" in last else ""
        if tag == "latest":
            self.fail(obj, "image", f"{where}: image {image} uses the tag latest; pin a version")
        elif not tag and not digest:
            self.fail(obj, "image", f"{where}: image {image} has no tag or digest (means latest)")
        if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            self.fail(obj, "image", f"{where}: image digest {digest!r} is not sha256:<64 hex>")

    def check_probes(self, obj: dict, where: str, c: dict) -> None:
        ports = {p.get("containerPort") for p in c.get("ports") or []}
        names = {p.get("name") for p in c.get("ports") or []}
        for kind, service in (("livenessProbe", ""), ("readinessProbe", READINESS_SERVICE)):
            probe = c.get(kind)
            if not probe:
                self.fail(obj, "probes", f"{where}: {kind} must be set")
                continue
            grpc = probe.get("grpc")
            if grpc is not None:
                if grpc.get("port") not in ports:
                    self.fail(obj, "probes", f"{where}: {kind} gRPC port {grpc.get('port')} is not a container port")
                if grpc.get("service", "") != service:
                    self.fail(obj, "probes", f"{where}: {kind} must check health service {service!r} (got {grpc.get('service', '')!r})")
            tcp = probe.get("tcpSocket")
            if tcp is not None and tcp.get("port") not in ports | names:
                self.fail(obj, "probes", f"{where}: {kind} TCP port {tcp.get('port')} is not a container port")

    def check_env(self, obj: dict, spec: dict, where: str, c: dict, volumes: dict) -> None:
        env = last_env(c)
        for e in c.get("env") or []:
            name = e.get("name", "")
            value = e.get("value")
            vf = e.get("valueFrom") or {}
            if isinstance(value, str) and TOKEN_RE.search(value):
                self.fail(obj, "token", f"{where}: {name} holds a Pulumi access token (pul-…); mount it from a Secret instead")
            if name == "PULUMI_ACCESS_TOKEN":
                self.fail(obj, "token", f"{where}: PULUMI_ACCESS_TOKEN must not be set; mount the token file (NEO_BRIDGE_TOKEN_FILE) from a Secret")
            if (CREDENTIAL_NAME_RE.search(name) and not name.endswith("_FILE")
                    and name not in NOT_CREDENTIALS):
                if value not in (None, ""):
                    self.fail(obj, "token", f"{where}: {name} carries a literal value; credentials come only from Secret files")
                if "configMapKeyRef" in vf:
                    self.fail(obj, "token", f"{where}: {name} comes from a ConfigMap; credentials belong in a Secret")
            if name.startswith("NEO_BRIDGE_") and isinstance(value, str) and EXPONENT_RE.match(value):
                self.fail(obj, "settings", f"{where}: {name}={value} is in exponent notation, which the bridge refuses; render the number as digits")
        for c_from in c.get("envFrom") or []:
            if "configMapRef" in c_from or "secretRef" in c_from:
                # Whole-map imports hide what reaches the environment.
                self.fail(obj, "token", f"{where}: envFrom imports a whole ConfigMap/Secret into the environment; mount files instead")

        mounts = c.get("volumeMounts") or []
        for var in SECRET_FILE_VARS:
            e = env.get(var)
            if not e:
                continue
            path = e.get("value") or ""
            mount = max((m for m in mounts if path.startswith(m.get("mountPath", "").rstrip("/") + "/")),
                        key=lambda m: len(m.get("mountPath", "")), default=None)
            if mount is None:
                self.fail(obj, "token", f"{where}: {var}={path} is not inside a volume mount")
                continue
            volume = volumes.get(mount.get("name")) or {}
            from_secret = "secret" in volume or any(
                "secret" in src for src in (volume.get("projected") or {}).get("sources") or [])
            if not from_secret:
                self.fail(obj, "token", f"{where}: {var} must be a file from a Secret volume (volume {mount.get('name')})")
            if mount.get("subPath") or mount.get("subPathExpr"):
                self.fail(obj, "token", f"{where}: {var} is mounted with subPath, so a rotated Secret never reaches it")

        self.check_grace(obj, spec, where, c, env)

    def check_grace(self, obj: dict, spec: dict, where: str, c: dict, env: dict) -> None:
        if not any(n.startswith("NEO_BRIDGE_") for n in env):
            return  # not the bridge
        timeout = DEFAULT_SHUTDOWN_TIMEOUT_S
        drain = DEFAULT_DRAIN_WINDOW_S
        for var, default in (("NEO_BRIDGE_SHUTDOWN_TIMEOUT", timeout), ("NEO_BRIDGE_SHUTDOWN_DRAIN_WINDOW", drain)):
            text = (env.get(var) or {}).get("value")
            if text is None:
                continue
            seconds = parse_duration(text)
            if seconds is None:
                self.fail(obj, "grace", f"{where}: {var}={text!r} is not a duration")
                return
            if var == "NEO_BRIDGE_SHUTDOWN_TIMEOUT":
                timeout = seconds
            else:
                drain = seconds
        pre_stop = ((((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {})
                    .get("seconds") or 0)
        grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S)
        if drain >= timeout:
            self.fail(obj, "grace", f"{where}: drain window ({drain:g}s) must be shorter than the shutdown timeout ({timeout:g}s)")
        if not isinstance(grace, int) or grace <= pre_stop + timeout:
            self.fail(obj, "grace", f"terminationGracePeriodSeconds ({grace}) must exceed preStop sleep ({pre_stop}s) + shutdown timeout ({timeout:g}s)")

    # Everything but Secrets -------------------------------------------------

    def check_no_secret_values(self, obj: dict) -> None:
        for text in walk_strings(obj):
            if TOKEN_RE.search(text):
                self.fail(obj, "secret-leak", "holds a Pulumi access token (pul-…); tokens belong only in Secrets")
                return
            for f in self.forbidden:
                if f in text:
                    self.fail(obj, "secret-leak", "holds a forbidden secret value; it belongs only in a Secret")
                    return

    def check_dashboards(self, obj: dict) -> None:
        for key, text in (obj.get("data") or {}).items():
            if not key.endswith(".json"):
                continue
            try:
                dash = json.loads(text)
            except ValueError as e:
                self.fail(obj, "dashboard", f"{key} is not valid JSON: {e}")
                continue
            exprs = []
            stack = list(dash.get("panels") or [])
            while stack:
                p = stack.pop()
                stack.extend(p.get("panels") or [])
                exprs.extend(t.get("expr", "") for t in p.get("targets") or [])
            if not exprs:
                self.fail(obj, "dashboard", f"{key} has no queries")
            for expr in exprs:
                for metric in METRIC_NAME_RE.findall(expr):
                    if metric not in KNOWN_METRICS:
                        self.fail(obj, "dashboard", f"{key} queries {metric}, which the bridge does not export")

    # Cross-object wiring -----------------------------------------------------

    def check_wiring(self) -> None:
        workloads = [o for o in self.objects if o.get("kind") in WORKLOAD_KINDS]
        bare_pods = [o for o in self.objects if o.get("kind") == "Pod"]
        services = [o for o in self.objects if o.get("kind") == "Service"]

        def ports_of(w: dict) -> tuple[set, set]:
            spec = pod_spec_of(w) or {}
            nums, names = set(), set()
            for c in spec.get("containers") or []:
                for p in c.get("ports") or []:
                    nums.add(p.get("containerPort"))
                    names.add(p.get("name"))
            return nums, names

        for svc in services:
            sel = (svc.get("spec") or {}).get("selector") or {}
            targets = [w for w in workloads if selector_matches({"matchLabels": sel}, pod_labels_of(w))]
            if not targets:
                self.fail(svc, "wiring", "selector matches no workload's pods")
            for p in bare_pods:
                if sel and selector_matches({"matchLabels": sel}, pod_labels_of(p)):
                    self.fail(svc, "wiring", f"selector also matches the bare pod {obj_name(p)}")
            for port in (svc.get("spec") or {}).get("ports") or []:
                tp = port.get("targetPort", port.get("port"))
                for w in targets:
                    nums, names = ports_of(w)
                    if tp not in nums | names:
                        self.fail(svc, "wiring", f"port {port.get('name')} targets {tp!r}, which {obj_name(w)} does not expose")

        for obj in self.objects:
            kind = obj.get("kind")
            spec = obj.get("spec") or {}
            if kind == "PodDisruptionBudget" or kind == "NetworkPolicy":
                sel = spec.get("selector") if kind == "PodDisruptionBudget" else spec.get("podSelector")
                if not any(selector_matches(sel, pod_labels_of(w)) for w in workloads):
                    self.fail(obj, "wiring", "selector matches no workload's pods")
                if any(selector_matches(sel, pod_labels_of(p)) for p in bare_pods):
                    self.fail(obj, "wiring", "selector also matches a bare (test) pod")
            if kind == "NetworkPolicy":
                types = set(spec.get("policyTypes") or [])
                if types != {"Ingress", "Egress"}:
                    self.fail(obj, "wiring", f"policyTypes must be Ingress and Egress (got {sorted(types)})")
            if kind == "HorizontalPodAutoscaler":
                ref = spec.get("scaleTargetRef") or {}
                target = [w for w in workloads if w.get("kind") == ref.get("kind")
                          and (w.get("metadata") or {}).get("name") == ref.get("name")]
                if not target:
                    self.fail(obj, "wiring", f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} is not rendered")
                for w in target:
                    if "replicas" in (w.get("spec") or {}):
                        self.fail(w, "wiring", "sets replicas while an HPA scales it (every upgrade would reset the scale)")
            if kind == "ServiceMonitor":
                sel = spec.get("selector") or {}
                matched = [s for s in services if selector_matches(sel, (s.get("metadata") or {}).get("labels") or {})]
                if not matched:
                    self.fail(obj, "wiring", "selector matches no Service's labels")
                for ep in spec.get("endpoints") or []:
                    if not any(ep.get("port") in {p.get("name") for p in (s.get("spec") or {}).get("ports") or []}
                               for s in matched):
                        self.fail(obj, "wiring", f"endpoint port {ep.get('port')!r} is not a port of the selected Services")


def load(paths: list[str]) -> list[dict]:
    objects = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            objects.extend(d for d in yaml.safe_load_all(f) if d)
    return objects


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forbid", action="append", default=[],
                        help="a string that may appear only inside Secret objects")
    parser.add_argument("manifests", nargs="+")
    args = parser.parse_args(argv)
    try:
        objects = load(args.manifests)
    except (OSError, yaml.YAMLError) as e:
        print(f"check_policy: cannot read manifests: {e}", file=sys.stderr)
        return 2
    if not objects:
        print("check_policy: no objects in the manifests", file=sys.stderr)
        return 2
    violations = Checker(objects, args.forbid).run()
    for v in violations:
        print(v)
    print(f"check_policy: {len(objects)} objects, {len(violations)} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
