"""Unit tests of checks/check_policy.py: a good manifest passes, and every
rule fails on a manifest broken in just that way.

Run: .tools/helm-venv/bin/python -m unittest discover -s helm/tests
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKS = os.path.join(os.path.dirname(HERE), "checks")
sys.path.insert(0, CHECKS)

import check_policy  # noqa: E402

FAKE_TOKEN = "pul-" + "ab" * 20

GOOD = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: nb, labels: {app: nb}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Secret
metadata: {name: nb-service-token}
stringData: {token: %(token)s}
---
apiVersion: v1
kind: Service
metadata: {name: nb, labels: {app: nb, component: server}}
spec:
  selector: {app: nb, component: server}
  ports:
    - {name: grpc, port: 50051, targetPort: grpc, appProtocol: kubernetes.io/h2c}
    - {name: metrics, port: 9090, targetPort: metrics}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nb}
spec:
  selector: {matchLabels: {app: nb, component: server}}
  template:
    metadata: {labels: {app: nb, component: server}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: neo-bridge
          image: ghcr.io/neo-bridge/neo-bridge:0.2.0
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          ports:
            - {name: grpc, containerPort: 50051}
            - {name: metrics, containerPort: 9090}
          env:
            - {name: NEO_BRIDGE_SHUTDOWN_DRAIN_WINDOW, value: 5s}
            - {name: NEO_BRIDGE_SHUTDOWN_TIMEOUT, value: 25s}
            - {name: NEO_BRIDGE_SERVICE_TOKEN_POLICY, value: open}
            - {name: NEO_BRIDGE_TOKEN_FILE, value: /var/run/secrets/nb/token/token}
          livenessProbe: {grpc: {port: 50051, service: ""}}
          readinessProbe: {grpc: {port: 50051, service: neobridge.v1.AgentTasksService}}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 512Mi}
          volumeMounts:
            - {name: service-token, mountPath: /var/run/secrets/nb/token, readOnly: true}
      volumes:
        - name: service-token
          secret: {secretName: nb-service-token}
---
apiVersion: v1
kind: Pod
metadata: {name: nb-test, labels: {app: nb, component: test}}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: probe
      image: ghcr.io/grpc-ecosystem/grpc-health-probe:v0.4.37
      args: ["-addr=nb:50051"]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      resources:
        requests: {cpu: 10m, memory: 16Mi}
        limits: {memory: 64Mi}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: nb}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: nb, component: server}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nb}
spec:
  podSelector: {matchLabels: {app: nb, component: server}}
  policyTypes: [Ingress, Egress]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: nb}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: nb}
  minReplicas: 2
  maxReplicas: 4
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: nb}
spec:
  selector: {matchLabels: {app: nb, component: server}}
  endpoints: [{port: metrics}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: nb-dashboard}
data:
  neo-bridge.json: |
    {"panels": [{"type": "row", "panels": [
      {"targets": [{"expr": "sum(rate(grpc_server_handled_total[5m]))"}]},
      {"targets": [{"expr": "histogram_quantile(0.99, sum by (le) (rate(neobridge_upstream_request_duration_seconds_bucket[5m])))"}]}
    ]}]}
""" % {"token": FAKE_TOKEN}


def write_yaml(path: str, objs: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(objs, f)


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def good() -> list[dict]:
    return [d for d in yaml.safe_load_all(GOOD) if d]


def find(objs: list[dict], kind: str) -> dict:
    return next(o for o in objs if o["kind"] == kind)


def pod(objs):
    return find(objs, "Deployment")["spec"]["template"]["spec"]


def bridge(objs):
    return pod(objs)["containers"][0]


def env(objs, name):
    return next(e for e in bridge(objs)["env"] if e["name"] == name)


class CheckPolicyTest(unittest.TestCase):
    def violations(self, objs, forbid=()):
        return [str(v) for v in check_policy.Checker(objs, forbid).run()]

    def assert_only_rule(self, objs, rule, part, forbid=()):
        """objs breaks exactly `rule`, with a message containing `part`."""
        found = self.violations(objs, forbid)
        self.assertTrue(found, f"no violation; expected [{rule}] {part}")
        for v in found:
            self.assertIn(f"[{rule}]", v, f"unexpected violation: {found}")
        self.assertTrue(any(part in v for v in found), f"{part!r} not in {found}")

    def test_good_manifest_passes(self):
        self.assertEqual(self.violations(good(), forbid=["sentinel-value"]), [])

    # non-root
    def test_run_as_root(self):
        objs = good()
        pod(objs)["securityContext"]["runAsUser"] = 0
        self.assert_only_rule(objs, "non-root", "runAsUser must be a numeric non-root user id")

    def test_run_as_non_root_missing(self):
        objs = good()
        del pod(objs)["securityContext"]["runAsNonRoot"]
        self.assert_only_rule(objs, "non-root", "runAsNonRoot must be true")

    def test_container_overrides_pod_non_root(self):
        objs = good()
        bridge(objs)["securityContext"]["runAsNonRoot"] = False
        self.assert_only_rule(objs, "non-root", "container neo-bridge: runAsNonRoot must be true")

    def test_no_numeric_user(self):
        objs = good()
        del find(objs, "Pod")["spec"]["securityContext"]["runAsUser"]
        self.assert_only_rule(objs, "non-root", "container probe: runAsUser")

    # read-only-root
    def test_writable_root(self):
        objs = good()
        bridge(objs)["securityContext"]["readOnlyRootFilesystem"] = False
        self.assert_only_rule(objs, "read-only-root", "readOnlyRootFilesystem must be true")

    # capabilities
    def test_capabilities_not_dropped(self):
        objs = good()
        bridge(objs)["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}
        self.assert_only_rule(objs, "capabilities", "capabilities.drop must contain ALL")

    def test_capability_added(self):
        objs = good()
        bridge(objs)["securityContext"]["capabilities"]["add"] = ["NET_BIND_SERVICE"]
        self.assert_only_rule(objs, "capabilities", "capabilities.add must be empty")

    def test_privilege_escalation(self):
        objs = good()
        del find(objs, "Pod")["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"]
        self.assert_only_rule(objs, "capabilities", "container probe: allowPrivilegeEscalation must be false")

    def test_privileged(self):
        objs = good()
        bridge(objs)["securityContext"]["privileged"] = True
        self.assert_only_rule(objs, "capabilities", "privileged must not be true")

    # seccomp
    def test_seccomp_missing(self):
        objs = good()
        del pod(objs)["securityContext"]["seccompProfile"]
        self.assert_only_rule(objs, "seccomp", "seccompProfile.type must be RuntimeDefault")

    def test_seccomp_unconfined_in_container(self):
        objs = good()
        bridge(objs)["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
        self.assert_only_rule(objs, "seccomp", "'Unconfined'")

    # host-namespaces
    def test_host_network(self):
        objs = good()
        pod(objs)["hostNetwork"] = True
        self.assert_only_rule(objs, "host-namespaces", "hostNetwork")

    # probes
    def test_liveness_missing(self):
        objs = good()
        del bridge(objs)["livenessProbe"]
        self.assert_only_rule(objs, "probes", "livenessProbe must be set")

    def test_readiness_missing(self):
        objs = good()
        del bridge(objs)["readinessProbe"]
        self.assert_only_rule(objs, "probes", "readinessProbe must be set")

    def test_readiness_checks_liveness_service(self):
        objs = good()
        bridge(objs)["readinessProbe"]["grpc"]["service"] = ""
        self.assert_only_rule(objs, "probes", "readinessProbe must check health service 'neobridge.v1.AgentTasksService'")

    def test_liveness_checks_readiness_service(self):
        objs = good()
        bridge(objs)["livenessProbe"]["grpc"]["service"] = "neobridge.v1.AgentTasksService"
        self.assert_only_rule(objs, "probes", "livenessProbe must check health service ''")

    def test_probe_on_wrong_port(self):
        objs = good()
        bridge(objs)["livenessProbe"]["grpc"]["port"] = 50052
        self.assert_only_rule(objs, "probes", "gRPC port 50052 is not a container port")

    def test_test_pod_needs_no_probes(self):
        objs = good()
        self.assertNotIn("readinessProbe", find(objs, "Pod")["spec"]["containers"][0])
        self.assertEqual(self.violations(objs), [])

    # resources
    def test_no_memory_limit(self):
        objs = good()
        del bridge(objs)["resources"]["limits"]
        self.assert_only_rule(objs, "resources", "resources.limits.memory must be set")

    def test_no_cpu_request(self):
        objs = good()
        del find(objs, "Pod")["spec"]["containers"][0]["resources"]["requests"]["cpu"]
        self.assert_only_rule(objs, "resources", "container probe: resources.requests.cpu must be set")

    # image
    def test_latest_tag(self):
        objs = good()
        bridge(objs)["image"] = "ghcr.io/neo-bridge/neo-bridge:latest"
        self.assert_only_rule(objs, "image", "uses the tag latest")

    def test_untagged_image(self):
        objs = good()
        find(objs, "Pod")["spec"]["containers"][0]["image"] = "ghcr.io/grpc-ecosystem/grpc-health-probe"
        self.assert_only_rule(objs, "image", "has no tag or digest")

    def test_registry_port_is_not_a_tag(self):
        objs = good()
        bridge(objs)["image"] = "registry.local:5000/neo-bridge"
        self.assert_only_rule(objs, "image", "has no tag or digest")

    def test_digest_without_tag_passes(self):
        objs = good()
        bridge(objs)["image"] = "ghcr.io/neo-bridge/neo-bridge@sha256:" + "a" * 64
        self.assertEqual(self.violations(objs), [])

    def test_bad_digest(self):
        objs = good()
        bridge(objs)["image"] = "ghcr.io/neo-bridge/neo-bridge:0.2.0@sha256:xyz"
        self.assert_only_rule(objs, "image", "is not sha256:<64 hex>")

    # token
    def test_pulumi_access_token_env(self):
        objs = good()
        bridge(objs)["env"].append({"name": "PULUMI_ACCESS_TOKEN",
                                    "valueFrom": {"secretKeyRef": {"name": "nb-service-token", "key": "token"}}})
        self.assert_only_rule(objs, "token", "PULUMI_ACCESS_TOKEN must not be set")

    def test_literal_credential_env(self):
        objs = good()
        bridge(objs)["env"].append({"name": "UPSTREAM_API_KEY", "value": "hunter2"})
        self.assert_only_rule(objs, "token", "UPSTREAM_API_KEY carries a literal value")

    def test_credential_from_configmap(self):
        objs = good()
        bridge(objs)["env"].append({"name": "SOME_SECRET",
                                    "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}})
        self.assert_only_rule(objs, "token", "SOME_SECRET comes from a ConfigMap")

    def test_token_shaped_value_under_any_name(self):
        objs = good()
        bridge(objs)["env"].append({"name": "UPSTREAM_AUTH", "value": FAKE_TOKEN})
        found = self.violations(objs)
        self.assertTrue(any("[token]" in v and "UPSTREAM_AUTH holds a Pulumi access token" in v for v in found), found)
        self.assertTrue(any("[secret-leak]" in v for v in found), found)

    def test_env_from_configmap(self):
        objs = good()
        bridge(objs)["envFrom"] = [{"configMapRef": {"name": "settings"}}]
        self.assert_only_rule(objs, "token", "envFrom imports")

    def test_token_file_outside_mounts(self):
        objs = good()
        env(objs, "NEO_BRIDGE_TOKEN_FILE")["value"] = "/etc/token"
        self.assert_only_rule(objs, "token", "NEO_BRIDGE_TOKEN_FILE=/etc/token is not inside a volume mount")

    def test_token_file_from_configmap_volume(self):
        objs = good()
        pod(objs)["volumes"][0] = {"name": "service-token", "configMap": {"name": "cm"}}
        self.assert_only_rule(objs, "token", "NEO_BRIDGE_TOKEN_FILE must be a file from a Secret volume")

    def test_token_file_subpath(self):
        objs = good()
        bridge(objs)["volumeMounts"][0]["subPath"] = "token"
        self.assert_only_rule(objs, "token", "mounted with subPath")

    def test_token_file_from_projected_secret_passes(self):
        objs = good()
        pod(objs)["volumes"][0] = {"name": "service-token",
                                   "projected": {"sources": [{"secret": {"name": "nb-service-token"}}]}}
        self.assertEqual(self.violations(objs), [])

    # secret-leak
    def test_token_in_configmap(self):
        objs = good()
        objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                     "data": {"PULUMI_TOKEN": FAKE_TOKEN}})
        self.assert_only_rule(objs, "secret-leak", "ConfigMap/settings")

    def test_forbidden_value_in_annotation(self):
        objs = good()
        find(objs, "Deployment")["metadata"]["annotations"] = {"note": "xx sentinel-value xx"}
        self.assert_only_rule(objs, "secret-leak", "forbidden secret value", forbid=["sentinel-value"])

    def test_forbidden_value_in_secret_passes(self):
        objs = good()
        find(objs, "Secret")["stringData"]["token"] = "sentinel-value"
        self.assertEqual(self.violations(objs, forbid=["sentinel-value"]), [])

    # settings
    def test_number_in_exponent_notation(self):
        objs = good()
        bridge(objs)["env"].append({"name": "NEO_BRIDGE_MAX_STREAMS", "value": "1e+06"})
        self.assert_only_rule(objs, "settings", "NEO_BRIDGE_MAX_STREAMS=1e+06 is in exponent notation")

    # grace
    def test_grace_not_longer_than_timeout(self):
        objs = good()
        pod(objs)["terminationGracePeriodSeconds"] = 25
        self.assert_only_rule(objs, "grace", "terminationGracePeriodSeconds (25) must exceed")

    def test_grace_default_too_short(self):
        objs = good()
        del pod(objs)["terminationGracePeriodSeconds"]
        env(objs, "NEO_BRIDGE_SHUTDOWN_TIMEOUT")["value"] = "45s"
        self.assert_only_rule(objs, "grace", "terminationGracePeriodSeconds (30) must exceed")

    def test_grace_counts_prestop_sleep(self):
        objs = good()
        bridge(objs)["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
        self.assert_only_rule(objs, "grace", "preStop sleep (5s)")

    def test_later_duplicate_env_wins(self):
        objs = good()
        bridge(objs)["env"].append({"name": "NEO_BRIDGE_SHUTDOWN_TIMEOUT", "value": "1m"})
        self.assert_only_rule(objs, "grace", "shutdown timeout (60s)")

    def test_drain_not_shorter_than_timeout(self):
        objs = good()
        env(objs, "NEO_BRIDGE_SHUTDOWN_DRAIN_WINDOW")["value"] = "25s"
        self.assert_only_rule(objs, "grace", "drain window (25s) must be shorter")

    def test_malformed_duration(self):
        objs = good()
        env(objs, "NEO_BRIDGE_SHUTDOWN_TIMEOUT")["value"] = "25"
        self.assert_only_rule(objs, "grace", "is not a duration")

    def test_parse_duration(self):
        self.assertEqual(check_policy.parse_duration("1m30s"), 90)
        self.assertEqual(check_policy.parse_duration("500ms"), 0.5)
        self.assertIsNone(check_policy.parse_duration("25"))
        self.assertIsNone(check_policy.parse_duration("inf"))

    # service-account
    def test_pod_automounts_token(self):
        objs = good()
        del pod(objs)["automountServiceAccountToken"]
        self.assert_only_rule(objs, "service-account", "pod spec must set automountServiceAccountToken: false")

    def test_service_account_automounts(self):
        objs = good()
        find(objs, "ServiceAccount")["automountServiceAccountToken"] = True
        self.assert_only_rule(objs, "service-account", "ServiceAccount/nb")

    # wiring
    def test_service_selects_nothing(self):
        objs = good()
        find(objs, "Service")["spec"]["selector"]["component"] = "svr"
        self.assert_only_rule(objs, "wiring", "Service/nb: [wiring] selector matches no workload's pods")

    def test_service_selects_test_pod(self):
        objs = good()
        find(objs, "Service")["spec"]["selector"] = {"app": "nb"}
        self.assert_only_rule(objs, "wiring", "also matches the bare pod Pod/nb-test")

    def test_service_target_port_missing(self):
        objs = good()
        find(objs, "Service")["spec"]["ports"][1]["targetPort"] = "prometheus"
        self.assert_only_rule(objs, "wiring", "targets 'prometheus'")

    def test_pdb_selects_test_pod(self):
        objs = good()
        find(objs, "PodDisruptionBudget")["spec"]["selector"] = {"matchLabels": {"app": "nb"}}
        self.assert_only_rule(objs, "wiring", "PodDisruptionBudget/nb: [wiring] selector also matches a bare (test) pod")

    def test_network_policy_ingress_only(self):
        objs = good()
        find(objs, "NetworkPolicy")["spec"]["policyTypes"] = ["Ingress"]
        self.assert_only_rule(objs, "wiring", "policyTypes must be Ingress and Egress")

    def test_hpa_target_missing(self):
        objs = good()
        find(objs, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] = "other"
        self.assert_only_rule(objs, "wiring", "scaleTargetRef Deployment/other is not rendered")

    def test_replicas_with_hpa(self):
        objs = good()
        find(objs, "Deployment")["spec"]["replicas"] = 2
        self.assert_only_rule(objs, "wiring", "sets replicas while an HPA scales it")

    def test_service_monitor_wrong_port(self):
        objs = good()
        find(objs, "ServiceMonitor")["spec"]["endpoints"][0]["port"] = "http-metrics"
        self.assert_only_rule(objs, "wiring", "endpoint port 'http-metrics'")

    def test_service_monitor_selects_nothing(self):
        objs = good()
        find(objs, "ServiceMonitor")["spec"]["selector"] = {"matchLabels": {"app": "other"}}
        found = self.violations(objs)
        self.assertTrue(any("selector matches no Service's labels" in v for v in found), found)

    # dashboard
    def test_dashboard_unknown_metric(self):
        objs = good()
        cm = find(objs, "ConfigMap")
        cm["data"]["neo-bridge.json"] = cm["data"]["neo-bridge.json"].replace(
            "grpc_server_handled_total", "grpc_server_handled_count")
        self.assert_only_rule(objs, "dashboard", "queries grpc_server_handled_count")

    def test_dashboard_invalid_json(self):
        objs = good()
        find(objs, "ConfigMap")["data"]["neo-bridge.json"] = "{not json"
        self.assert_only_rule(objs, "dashboard", "is not valid JSON")

    def test_dashboard_without_queries(self):
        objs = good()
        find(objs, "ConfigMap")["data"]["neo-bridge.json"] = '{"panels": []}'
        self.assert_only_rule(objs, "dashboard", "has no queries")

    def test_every_rule_is_tested(self):
        rules = {"non-root", "read-only-root", "capabilities", "seccomp", "host-namespaces", "probes",
                 "resources", "image", "token", "secret-leak", "settings", "grace", "service-account", "wiring",
                 "dashboard"}
        source = read_text(check_policy.__file__)
        for rule in rules:
            self.assertIn(f'"{rule}"', source)
        tests = read_text(__file__)
        for rule in rules:
            self.assertIn(f'"{rule}"', tests.split("def test_every_rule_is_tested")[0], rule)

    # command line
    def test_command_line_exit_codes(self):
        script = os.path.join(CHECKS, "check_policy.py")
        with tempfile.TemporaryDirectory() as tmp:
            ok = os.path.join(tmp, "ok.yaml")
            bad = os.path.join(tmp, "bad.yaml")
            write_yaml(ok, good())
            objs = good()
            bridge(objs)["image"] = "neo-bridge:latest"
            write_yaml(bad, objs)
            run = lambda *a: subprocess.run([sys.executable, script, *a], capture_output=True, text=True)
            self.assertEqual(run(ok).returncode, 0)
            r = run(bad)
            self.assertEqual(r.returncode, 1)
            self.assertIn("[image]", r.stdout)
            self.assertEqual(run(os.path.join(tmp, "missing.yaml")).returncode, 2)


class ValidateManifestsTest(unittest.TestCase):
    """checks/validate_manifests.py: strict, and unknown kinds are errors."""

    def run_on(self, objs):
        script = os.path.join(CHECKS, "validate_manifests.py")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.yaml")
            write_yaml(path, objs)
            return subprocess.run([sys.executable, script, "--quiet", "-k", "1.30.0", path],
                                  capture_output=True, text=True)

    def test_good_manifest_is_valid(self):
        r = self.run_on(good())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 skipped", r.stdout)  # the ServiceMonitor, by name

    def test_unknown_field_is_an_error(self):
        objs = good()
        pod(objs)["terminationGracePeriod"] = 30
        r = self.run_on(objs)
        self.assertEqual(r.returncode, 1)
        self.assertIn("'terminationGracePeriod' was unexpected", r.stdout)

    def test_unknown_kind_is_an_error(self):
        objs = good()
        find(objs, "PodDisruptionBudget")["apiVersion"] = "policy/v1beta2"
        r = self.run_on(objs)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Couldn't find schema", r.stdout)

    def test_wrong_type_is_an_error(self):
        objs = good()
        bridge(objs)["ports"][0]["containerPort"] = "50051"
        r = self.run_on(objs)
        self.assertEqual(r.returncode, 1)
        self.assertIn("containerPort", r.stdout)


if __name__ == "__main__":
    unittest.main()
