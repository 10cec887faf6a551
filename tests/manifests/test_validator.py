#!/usr/bin/python3
"""The validator itself: broken documents are rejected with their path, and each policy check
fails on a copy of the real manifests broken in just what it checks, so neither can pass
everything. Run: /usr/bin/python3 test_validator.py (MANIFESTS_DIR names the manifests dir).
"""
import copy
import os
import unittest

import validate_manifests  # first: it exits 77 (skip) when the Debian modules are missing
import k8s_schema
import policy

MANIFESTS = os.environ.get(
    "MANIFESTS_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "kubernetes"))


def real_docs():
    return [d for _, d in validate_manifests.load(MANIFESTS)]


def of_kind(docs, kind):
    (doc,) = [d for d in docs if d["kind"] == kind]
    return doc


def pod(docs):
    return of_kind(docs, "DaemonSet")["spec"]["template"]["spec"]


def agent(docs):
    (c,) = [c for c in pod(docs)["containers"] if c["name"] == policy.AGENT]
    return c


def init(docs):
    (c,) = [c for c in pod(docs)["initContainers"] if c["name"] == policy.INIT]
    return c


def mount(container, path):
    (m,) = [m for m in container["volumeMounts"] if m["mountPath"] == path]
    return m


def daemonset(container=None, **spec_fields):
    c = container if container is not None else {"name": "c", "image": "busybox"}
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
          "spec": {"selector": {"matchLabels": {"a": "b"}},
                   "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [c]}}}}
    ds["spec"].update(spec_fields)
    return ds


class SchemaTest(unittest.TestCase):
    def assert_one_error(self, doc, *fragments):
        errors = k8s_schema.validate_document(doc)
        self.assertEqual(len(errors), 1, errors)
        for f in fragments:
            self.assertIn(f, errors[0])

    def test_real_manifests_are_valid(self):
        docs = real_docs()
        self.assertEqual(sorted(d["kind"] for d in docs),
                         ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Role",
                          "RoleBinding", "ServiceAccount"])
        for d in docs:
            self.assertEqual(k8s_schema.validate_document(d), [], k8s_schema.describe(d))

    def test_a_minimal_daemonset_is_valid(self):
        self.assertEqual(k8s_schema.validate_document(daemonset()), [])

    def test_unknown_field_is_rejected_with_its_path(self):
        self.assert_one_error(daemonset({"name": "c", "image": "busybox", "imagePullPolcy": "Always"}),
                              "spec.template.spec.containers[0].imagePullPolcy: unknown field",
                              "imagePullPolicy")

    def test_unknown_top_level_field_is_rejected(self):
        doc = daemonset()
        doc["metdata"] = {"name": "x"}
        self.assert_one_error(doc, "metdata: unknown field")

    def test_int_where_a_string_belongs_is_rejected(self):
        env = [{"name": "PORT", "value": 9464}]
        self.assert_one_error(daemonset({"name": "c", "env": env}),
                              "spec.template.spec.containers[0].env[0].value: expected str, got int")

    def test_string_where_an_int_belongs_is_rejected(self):
        ports = [{"containerPort": "9464"}]
        self.assert_one_error(daemonset({"name": "c", "ports": ports}),
                              "containers[0].ports[0].containerPort: expected int, got str")

    def test_mapping_where_a_list_belongs_is_rejected(self):
        self.assert_one_error(daemonset({"name": "c", "env": {"NODE_NAME": "x"}}),
                              "containers[0].env: expected a list")

    def test_bool_is_not_an_int(self):
        doc = daemonset(minReadySeconds=True)
        self.assert_one_error(doc, "spec.minReadySeconds: expected int, got bool")

    def test_missing_required_fields_are_rejected(self):
        self.assert_one_error(daemonset({"image": "busybox"}),
                              "spec.template.spec.containers[0].name: required field missing")
        binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": "b"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "name": "r"}}
        self.assert_one_error(binding, "roleRef.kind: required field missing")
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]}
        self.assert_one_error(role, "rules[0].verbs: required field missing")
        no_template = daemonset()
        del no_template["spec"]["template"]
        self.assert_one_error(no_template, "spec.template: required field missing")

    def test_int_or_string_takes_both_and_nothing_else(self):
        for value in (1, "10%"):
            ds = daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": value}})
            self.assertEqual(k8s_schema.validate_document(ds), [], value)
        probe = {"httpGet": {"path": "/metrics", "port": "metrics"}}
        self.assertEqual(k8s_schema.validate_document(daemonset({"name": "c", "livenessProbe": probe})), [])
        ds = daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": [1]}})
        self.assert_one_error(ds, "spec.updateStrategy.rollingUpdate.maxSurge: expected an int or a string")
        probe = {"httpGet": {"path": "/metrics", "port": True}}
        self.assert_one_error(daemonset({"name": "c", "livenessProbe": probe}),
                              "livenessProbe.httpGet.port: expected an int or a string")

    def test_quantities_take_numbers_and_strings(self):
        resources = {"requests": {"cpu": 1, "memory": "32Mi"}, "limits": {"cpu": 0.5}}
        self.assertEqual(k8s_schema.validate_document(daemonset({"name": "c", "resources": resources})), [])
        resources = {"requests": {"cpu": [1]}}
        self.assert_one_error(daemonset({"name": "c", "resources": resources}),
                              "resources.requests.cpu: expected str, got list")

    def test_unknown_kind_is_rejected(self):
        errors = k8s_schema.validate_document({"apiVersion": "apps/v1", "kind": "DaemonSett",
                                               "metadata": {"name": "x"}})
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("no model for apiVersion 'apps/v1' kind 'DaemonSett'", errors[0])

    def test_every_error_of_a_document_is_reported(self):
        c = {"image": 5, "imagePullPolcy": "Always"}
        errors = k8s_schema.validate_document(daemonset(c))
        self.assertEqual(len(errors), 3, errors)
        joined = "\n".join(errors)
        for f in ("containers[0].image: expected str", "containers[0].imagePullPolcy: unknown field",
                  "containers[0].name: required field missing"):
            self.assertIn(f, joined)


# Each check with a way to break the real manifests in just what it checks.
def _drop(d, key):
    del d[key]


BREAKAGES = {
    "hostNetwork": [lambda d: pod(d).update(hostNetwork=False)],
    "hostPID": [lambda d: _drop(pod(d), "hostPID")],
    "capabilities": [
        lambda d: agent(d)["securityContext"]["capabilities"]["add"].append("NET_RAW"),
        lambda d: agent(d)["securityContext"]["capabilities"]["add"].remove("PERFMON"),
        lambda d: agent(d)["securityContext"]["capabilities"]["add"].remove("SYS_PTRACE"),
        lambda d: agent(d)["securityContext"]["capabilities"].update(drop=["NET_RAW"]),
        lambda d: init(d)["securityContext"]["capabilities"].update(add=["NET_ADMIN"]),
    ],
    "AppArmor": [
        lambda d: of_kind(d, "DaemonSet")["spec"]["template"]["metadata"].pop("annotations"),
        lambda d: of_kind(d, "DaemonSet")["spec"]["template"]["metadata"]["annotations"].update(
            {"container.apparmor.security.beta.kubernetes.io/install-cni": "unconfined"}),
    ],
    "not privileged": [lambda d: agent(d)["securityContext"].update(privileged=True),
                       lambda d: init(d)["securityContext"].update(privileged=True)],
    "tolerations": [
        lambda d: pod(d).update(tolerations=[{"key": "node-role.kubernetes.io/control-plane",
                                              "operator": "Exists", "effect": "NoSchedule"}]),
        lambda d: _drop(pod(d), "tolerations"),
    ],
    "priorityClassName": [lambda d: _drop(pod(d), "priorityClassName"),
                          lambda d: pod(d).update(priorityClassName="system-cluster-critical")],
    "probes": [
        lambda d: agent(d)["livenessProbe"]["httpGet"].update(path="/healthz"),
        lambda d: agent(d)["readinessProbe"]["httpGet"].update(port=8080),
        lambda d: _drop(agent(d), "readinessProbe"),
        lambda d: agent(d)["args"].__setitem__(agent(d)["args"].index("--metrics-address") + 1,
                                               "$(HOST_IP):9100"),
    ],
    "rolling update": [
        lambda d: of_kind(d, "DaemonSet")["spec"]["updateStrategy"]["rollingUpdate"].update(maxSurge=1),
        lambda d: of_kind(d, "DaemonSet")["spec"]["updateStrategy"]["rollingUpdate"].update(maxUnavailable="50%"),
        lambda d: of_kind(d, "DaemonSet")["spec"].update(updateStrategy={"type": "OnDelete"}),
    ],
    "RBAC": [
        lambda d: of_kind(d, "ClusterRole")["rules"][0]["verbs"].append("patch"),
        lambda d: of_kind(d, "ClusterRole")["rules"].append(
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}),
        lambda d: of_kind(d, "ClusterRole")["rules"][1]["verbs"].remove("watch"),
        lambda d: of_kind(d, "ClusterRole")["rules"][2]["verbs"].remove("list"),
        lambda d: of_kind(d, "ClusterRole")["rules"][2]["verbs"].append("update"),
        lambda d: of_kind(d, "ClusterRole")["rules"].pop(2),
        lambda d: of_kind(d, "ClusterRoleBinding")["subjects"][0].update(namespace="default"),
        lambda d: pod(d).update(serviceAccountName="default"),
        # The kubeadm-config Role: any ConfigMap, another verb, another namespace, a second rule.
        lambda d: _drop(of_kind(d, "Role")["rules"][0], "resourceNames"),
        lambda d: of_kind(d, "Role")["rules"][0]["resourceNames"].append("kube-proxy"),
        lambda d: of_kind(d, "Role")["rules"][0]["verbs"].append("list"),
        lambda d: of_kind(d, "Role")["rules"][0]["resources"].append("secrets"),
        lambda d: of_kind(d, "Role")["rules"].append(
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}),
        lambda d: of_kind(d, "Role")["metadata"].update(namespace="default"),
        lambda d: of_kind(d, "RoleBinding")["subjects"][0].update(name="default"),
        lambda d: of_kind(d, "RoleBinding")["roleRef"].update(kind="ClusterRole", name="admin"),
    ],
    "hostPaths": [
        lambda d: agent(d)["volumeMounts"].remove(mount(agent(d), "/sys/fs/bpf")),
        lambda d: agent(d)["volumeMounts"].remove(mount(agent(d), "/var/run/netns")),
        lambda d: _drop(mount(agent(d), "/run/netns"), "mountPropagation"),
        lambda d: init(d)["volumeMounts"].remove(mount(init(d), "/host/etc/cni/net.d")),
        lambda d: init(d)["args"].__setitem__(init(d)["args"].index("--cni-bin-dir") + 1, "/opt/cni/bin"),
    ],
    "ConfigMap": [
        lambda d: of_kind(d, "ConfigMap")["data"].update({"warrend.json": "{ \"stateDir\": "}),
        lambda d: of_kind(d, "ConfigMap")["data"].update({"warrend.json": "{\"stateDir\": \"/tmp/w\"}"}),
        lambda d: of_kind(d, "ConfigMap").update(data={"other.json": "{}"}),
        lambda d: agent(d)["args"].__setitem__(agent(d)["args"].index("--config") + 1, "/etc/warrend.json"),
    ],
    "image and args": [
        lambda d: agent(d).update(image="localhost/warren:latest"),
        lambda d: init(d).update(imagePullPolicy="Always"),
        lambda d: agent(d)["env"][0]["valueFrom"]["fieldRef"].update(fieldPath="metadata.name"),
        lambda d: init(d).update(args=["--cni-bin-dir", "/host/opt/cni/bin"]),
    ],
    "API rules": [
        lambda d: mount(agent(d), "/sys/fs/bpf").update(mountPropagation="Bidirectional"),
        lambda d: agent(d)["securityContext"].update(allowPrivilegeEscalation=False),
        lambda d: agent(d)["volumeMounts"].append({"name": "nowhere", "mountPath": "/x"}),
        lambda d: of_kind(d, "ConfigMap")["metadata"].update(namespace="warren"),
        lambda d: of_kind(d, "DaemonSet")["spec"]["selector"]["matchLabels"].update(app="other"),
    ],
}


class PolicyTest(unittest.TestCase):
    def test_real_manifests_pass_every_check(self):
        results = policy.run_checks(real_docs())
        self.assertEqual(set(results), {name for name, _ in policy.CHECKS})
        self.assertEqual({k: v for k, v in results.items() if v}, {})

    def test_every_check_has_breakages(self):
        self.assertEqual(set(BREAKAGES), {name for name, _ in policy.CHECKS})

    def test_each_breakage_fails_its_check(self):
        for name, breakages in BREAKAGES.items():
            for i, breakage in enumerate(breakages):
                with self.subTest(check=name, breakage=i):
                    docs = copy.deepcopy(real_docs())
                    breakage(docs)
                    failures = policy.run_checks(docs)[name]
                    self.assertNotEqual(failures, [])
                    self.assertNotIn("lack what this check reads", failures[0])


if __name__ == "__main__":
    unittest.main()
