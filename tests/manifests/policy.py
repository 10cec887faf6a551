"""What warren's manifests must say beyond being valid objects (issue 9 item 4, DESIGN section 9).

Each check takes every document of packaging/kubernetes/ and returns its failures as texts that
say what is wrong and what is expected; CHECKS lists them by name.
"""
import json
import posixpath
import re

AGENT = "warrend"
INIT = "install-cni"
IMAGE = "localhost/warren:0.1.0"
# DESIGN section 9's four, and SYS_PTRACE for reading the ns links of processes with other
# capabilities (every container's): without it the holder signal is degraded for every pod.
CAPABILITIES = {"BPF", "NET_ADMIN", "SYS_ADMIN", "PERFMON", "SYS_PTRACE"}
METRICS_PATH = "/metrics"
# The host paths the agent needs (state, sockets, pins, the runtimes' netns dirs) and the ones
# the init container writes (the CNI dirs); netns dirs need HostToContainer propagation.
AGENT_HOST_PATHS = {"/var/lib/warren", "/run/warren", "/sys/fs/bpf", "/run/netns", "/var/run/netns"}
INIT_HOST_PATHS = {"/opt/cni/bin", "/etc/cni/net.d"}
PROPAGATED_HOST_PATHS = {"/sys/fs/bpf", "/run/netns", "/var/run/netns"}
# The least rights: (apiGroup, resource) -> verbs. A watch with a fieldSelector is a request on
# the collection: it needs list + watch. Namespaces: their labels, for zones' namespaceSelector.
RBAC = {("", "nodes"): {"get", "list", "watch"}, ("", "pods"): {"list", "watch"},
        ("", "namespaces"): {"get", "list", "watch"}}
# And in kube-system only, a Role: get on the one ConfigMap kubeadm-config (its
# ClusterConfiguration's podSubnet/serviceSubnet drive the pool checks without --cluster-cidr).
KUBEADM_CONFIG_RULES = [{"apiGroups": [""], "resources": ["configmaps"],
                         "resourceNames": ["kubeadm-config"], "verbs": ["get"]}]


class Manifests:
    """The documents, with the objects the checks look at picked out."""

    def __init__(self, docs):
        self.docs = [d for d in docs if isinstance(d, dict)]

    def of_kind(self, kind):
        return [d for d in self.docs if d.get("kind") == kind]

    def one(self, kind):
        found = self.of_kind(kind)
        if len(found) != 1:
            raise LookupError(f"expected exactly one {kind}, found {len(found)}")
        return found[0]

    def pod(self):
        return self.one("DaemonSet")["spec"]["template"]["spec"]

    def container(self, name, init=False):
        key = "initContainers" if init else "containers"
        found = [c for c in self.pod().get(key) or [] if c.get("name") == name]
        if len(found) != 1:
            raise LookupError(f"expected one {'init ' if init else ''}container named {name!r} "
                              f"in the DaemonSet, found {len(found)}")
        return found[0]

    def all_containers(self):
        pod = self.pod()
        return (pod.get("initContainers") or []) + (pod.get("containers") or [])

    def host_path_mounts(self, container):
        """hostPath -> its volumeMount in `container`."""
        volumes = {v.get("name"): v for v in self.pod().get("volumes") or []}
        out = {}
        for m in container.get("volumeMounts") or []:
            hp = (volumes.get(m.get("name")) or {}).get("hostPath")
            if hp:
                out[hp.get("path")] = m
        return out


def _sc(container):
    return container.get("securityContext") or {}


def _caps(names):
    return [re.sub(r"^CAP_", "", str(n)) for n in names or []]


def _arg_after(args, flag):
    args = [str(a) for a in args or []]
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def check_host_network(m):
    return [] if m.pod().get("hostNetwork") is True else [
        "the DaemonSet's pod must set hostNetwork: true (the plugin on the host reaches the agent "
        "through /run/warren, the agent watches the host's links)"]


def check_host_pid(m):
    return [] if m.pod().get("hostPID") is True else [
        "the DaemonSet's pod must set hostPID: true (liveness signal 2 reads /proc/<pid>/ns/net of "
        "every process on the node)"]


def check_capabilities(m):
    errors = []
    caps = _sc(m.container(AGENT)).get("capabilities") or {}
    add, drop = _caps(caps.get("add")), _caps(caps.get("drop"))
    if sorted(add) != sorted(CAPABILITIES):
        errors.append(f"container {AGENT} must add exactly {sorted(CAPABILITIES)} "
                      f"(the least that work: see CAPABILITIES), it adds {add}")
    if drop != ["ALL"]:
        errors.append(f"container {AGENT} must drop [ALL] (then add back only what it needs), "
                      f"it drops {drop}")
    init_caps = _sc(m.container(INIT, init=True)).get("capabilities") or {}
    if init_caps.get("add") or _caps(init_caps.get("drop")) != ["ALL"]:
        errors.append(f"init container {INIT} needs no capability: it must drop [ALL] and add none, "
                      f"it has {init_caps}")
    return errors


def check_apparmor(m):
    annotations = m.one("DaemonSet")["spec"]["template"].get("metadata", {}).get("annotations") or {}
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    profiles = {k[len(prefix):]: v for k, v in annotations.items() if k.startswith(prefix)}
    if profiles != {AGENT: "unconfined"}:
        return [f"the pod template must annotate {prefix}{AGENT}: unconfined and nothing else (the "
                "default profile denies the pins under /sys/fs/bpf and reading other processes' "
                f"namespaces; the init container stays confined), it has {profiles}"]
    return []


def check_not_privileged(m):
    return [f"container {c.get('name')} must not be privileged (it gets the least capabilities instead)"
            for c in m.all_containers() if _sc(c).get("privileged") is True]


def check_tolerations(m):
    every = [t for t in m.pod().get("tolerations") or []
             if t.get("operator") == "Exists" and not t.get("key") and not t.get("effect")]
    return [] if every else [
        "the pod must tolerate every taint (a toleration with operator: Exists and no key or "
        f"effect): no node may be left without its agent; it has {m.pod().get('tolerations')}"]


def check_priority_class(m):
    pc = m.pod().get("priorityClassName")
    return [] if pc == "system-node-critical" else [
        f"priorityClassName must be system-node-critical (the node's pods have no addresses without "
        f"the agent), it is {pc!r}"]


def check_probes(m):
    agent = m.container(AGENT)
    ports = {p.get("name"): p.get("containerPort") for p in agent.get("ports") or []}
    metrics_port = ports.get("metrics")
    errors = []
    if metrics_port is None:
        return [f"container {AGENT} must declare a port named metrics"]
    address = _arg_after(agent.get("args"), "--metrics-address")
    if address is None or not address.endswith(f":{metrics_port}"):
        errors.append(f"container {AGENT} must listen for metrics on the metrics port "
                      f"({metrics_port}): --metrics-address is {address!r}")
    for kind in ("readinessProbe", "livenessProbe"):
        probe = agent.get(kind)
        get = (probe or {}).get("httpGet") or {}
        port = get.get("port")
        if probe is None:
            errors.append(f"container {AGENT} needs a {kind}")
        elif get.get("path") != METRICS_PATH or (port != "metrics" and port != metrics_port):
            errors.append(f"the {kind} must be an httpGet of {METRICS_PATH} on the metrics port "
                          f"({metrics_port}), it is {probe}")
    return errors


def check_rolling_update(m):
    strategy = m.one("DaemonSet")["spec"].get("updateStrategy") or {}
    ru = strategy.get("rollingUpdate") or {}
    if (strategy.get("type") == "RollingUpdate" and ru.get("maxSurge") in (0, "0%")
            and ru.get("maxUnavailable") == 1):
        return []
    return ["updateStrategy must be RollingUpdate with maxSurge 0 and maxUnavailable 1 (one node at "
            f"a time, never two agents on one node), it is {strategy}"]


def check_rbac(m):
    errors = []
    got = {}
    for rule in m.one("ClusterRole").get("rules") or []:
        if rule.get("resourceNames") or rule.get("nonResourceURLs"):
            errors.append(f"ClusterRole rule {rule} uses resourceNames/nonResourceURLs; warren needs "
                          "neither")
        for group in rule.get("apiGroups") or []:
            for res in rule.get("resources") or []:
                got.setdefault((group, res), set()).update(rule.get("verbs") or [])
    if got != RBAC:
        errors.append(f"the ClusterRole must grant exactly {RBAC} (the agent reads its Node, "
                      f"the pods on its node and the namespaces' labels; a watch needs list + "
                      f"watch), it grants {got}")
    ds = m.one("DaemonSet")
    ns = ds["metadata"].get("namespace")
    sa = m.pod().get("serviceAccountName")
    binding = m.one("ClusterRoleBinding")
    role = m.one("ClusterRole")["metadata"].get("name")
    want_subject = {"kind": "ServiceAccount", "name": sa, "namespace": ns}
    if binding.get("roleRef") != {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": role} or binding.get("subjects") != [want_subject]:
        errors.append(f"the ClusterRoleBinding must bind ClusterRole {role!r} to exactly "
                      f"{want_subject}, it has roleRef {binding.get('roleRef')} and subjects "
                      f"{binding.get('subjects')}")
    if not [s for s in m.of_kind("ServiceAccount")
            if s["metadata"].get("name") == sa and s["metadata"].get("namespace") == ns]:
        errors.append(f"no ServiceAccount {sa!r} in namespace {ns!r} for the DaemonSet")
    return errors + _check_kubeadm_config_role(m, want_subject)


def _check_kubeadm_config_role(m, want_subject):
    errors = []
    role = m.one("Role")
    name = role["metadata"].get("name")
    if role["metadata"].get("namespace") != "kube-system":
        errors.append(f"the Role {name!r} must live in kube-system (where kubeadm-config is), it "
                      f"is in {role['metadata'].get('namespace')!r}")
    if role.get("rules") != KUBEADM_CONFIG_RULES:
        errors.append(f"the Role {name!r} must grant exactly {KUBEADM_CONFIG_RULES} (get on the "
                      f"one ConfigMap kubeadm-config, nothing wider), it grants {role.get('rules')}")
    binding = m.one("RoleBinding")
    if (binding["metadata"].get("namespace") != "kube-system"
            or binding.get("roleRef") != {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                          "name": name}
            or binding.get("subjects") != [want_subject]):
        errors.append(f"the RoleBinding in kube-system must bind Role {name!r} to exactly "
                      f"{want_subject}, it is in {binding['metadata'].get('namespace')!r} with "
                      f"roleRef {binding.get('roleRef')} and subjects {binding.get('subjects')}")
    return errors


def check_host_paths(m):
    errors = []
    for name, init, wanted in ((AGENT, False, AGENT_HOST_PATHS), (INIT, True, INIT_HOST_PATHS)):
        mounts = m.host_path_mounts(m.container(name, init))
        missing = sorted(wanted - set(mounts))
        if missing:
            errors.append(f"container {name} must mount the host paths {missing}")
        for path in sorted(PROPAGATED_HOST_PATHS & set(mounts)):
            if mounts[path].get("mountPropagation") != "HostToContainer":
                errors.append(f"the mount of {path} in {name} needs mountPropagation: HostToContainer "
                              "(mounts the host makes later must show in the container)")
    init = m.container(INIT, init=True)
    mounts = m.host_path_mounts(init)
    for flag, host in (("--cni-bin-dir", "/opt/cni/bin"), ("--cni-conf-dir", "/etc/cni/net.d")):
        where = (mounts.get(host) or {}).get("mountPath")
        if _arg_after(init.get("args"), flag) != where:
            errors.append(f"init container {INIT}: {flag} must be where {host} is mounted ({where}), "
                          f"it is {_arg_after(init.get('args'), flag)!r}")
    return errors


def _under(path, mount):
    return isinstance(path, str) and posixpath.commonpath([posixpath.normpath(path), mount]) == mount


def check_config_map(m):
    agent = m.container(AGENT)
    config_path = _arg_after(agent.get("args"), "--config")
    volumes = {v.get("name"): v for v in m.pod().get("volumes") or []}
    cm_mounts = [(mt, volumes[mt.get("name")]["configMap"]) for mt in agent.get("volumeMounts") or []
                 if "configMap" in (volumes.get(mt.get("name")) or {})]
    if len(cm_mounts) != 1 or not _under(config_path, cm_mounts[0][0].get("mountPath")):
        return [f"--config {config_path!r} must be a file of the one ConfigMap volume the agent mounts"]
    mount, source = cm_mounts[0]
    maps = [c for c in m.of_kind("ConfigMap") if c["metadata"].get("name") == source.get("name")]
    if len(maps) != 1:
        return [f"the ConfigMap {source.get('name')!r} the DaemonSet mounts is not among the manifests"]
    key = posixpath.relpath(config_path, mount.get("mountPath"))
    text = (maps[0].get("data") or {}).get(key)
    if text is None:
        return [f"ConfigMap {source.get('name')!r} has no key {key!r} (--config {config_path})"]
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"ConfigMap {source.get('name')!r} key {key!r} is not JSON: {e}"]
    if not isinstance(cfg, dict):
        return [f"ConfigMap {source.get('name')!r} key {key!r} must be a JSON object"]
    mounts = m.host_path_mounts(agent)
    errors = []
    for field, value, host in (("stateDir", cfg.get("stateDir"), "/var/lib/warren"),
                               ("socket", cfg.get("socket"), "/run/warren"),
                               ("admin.socket", (cfg.get("admin") or {}).get("socket"), "/run/warren"),
                               ("liveness.bpffsDir", (cfg.get("liveness") or {}).get("bpffsDir"),
                                "/sys/fs/bpf")):
        where = (mounts.get(host) or {}).get("mountPath")
        if where is None or not _under(value, where):
            errors.append(f"warrend.json {field} is {value!r}; it must lie under {where!r}, where the "
                          f"host's {host} is mounted, or it is lost with the pod")
    return errors


def check_image_and_args(m):
    errors = []
    for c in m.all_containers():
        if c.get("image") != IMAGE or c.get("imagePullPolicy") != "IfNotPresent":
            errors.append(f"container {c.get('name')} must run {IMAGE} with imagePullPolicy "
                          f"IfNotPresent, it has {c.get('image')!r} {c.get('imagePullPolicy')!r}")
    init = m.container(INIT, init=True)
    if (init.get("command") or ["/usr/bin/warrend"]) != ["/usr/bin/warrend"] or \
            (init.get("args") or [None])[0] != "install-cni":
        errors.append(f"init container {INIT} must run `warrend install-cni ...`")
    agent = m.container(AGENT)
    if _arg_after(agent.get("args"), "--kube-node") != "$(NODE_NAME)":
        errors.append(f"container {AGENT} must pass --kube-node $(NODE_NAME)")
    env = {e.get("name"): ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
           for e in agent.get("env") or []}
    for var, field in (("NODE_NAME", "spec.nodeName"), ("HOST_IP", "status.hostIP")):
        if env.get(var) != field:
            errors.append(f"container {AGENT} must set {var} from fieldRef {field}, it has {env.get(var)!r}")
    return errors


def check_api_rules(m):
    """What the API server refuses although the schema allows it."""
    errors = []
    pod = m.pod()
    ds = m.one("DaemonSet")
    selector = (ds["spec"].get("selector") or {}).get("matchLabels") or {}
    labels = (ds["spec"]["template"].get("metadata") or {}).get("labels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        errors.append(f"the DaemonSet's selector {selector} must match its template's labels {labels}")
    volumes = [v.get("name") for v in pod.get("volumes") or []]
    if len(volumes) != len(set(volumes)):
        errors.append(f"volume names must be unique: {volumes}")
    for c in m.all_containers():
        sc = _sc(c)
        for mt in c.get("volumeMounts") or []:
            if mt.get("name") not in volumes:
                errors.append(f"container {c.get('name')} mounts volume {mt.get('name')!r}, which the "
                              "pod does not define")
            if mt.get("mountPropagation") == "Bidirectional" and sc.get("privileged") is not True:
                errors.append(f"container {c.get('name')}: mountPropagation Bidirectional "
                              f"({mt.get('mountPath')}) is only allowed in a privileged container")
        # The server matches the literal CAP_SYS_ADMIN; spelled SYS_ADMIN the pair passes but
        # promises nothing either, so both are refused here.
        if sc.get("allowPrivilegeEscalation") is False and (
                sc.get("privileged") is True or
                "SYS_ADMIN" in _caps((sc.get("capabilities") or {}).get("add"))):
            errors.append(f"container {c.get('name')}: allowPrivilegeEscalation false is refused "
                          "together with privileged or CAP_SYS_ADMIN")
        if pod.get("hostNetwork") is True:
            for p in c.get("ports") or []:
                if p.get("hostPort") not in (None, p.get("containerPort")):
                    errors.append(f"container {c.get('name')}: with hostNetwork, hostPort must equal "
                                  f"containerPort ({p})")
    namespaces = {d["metadata"].get("namespace") for d in m.docs
                  if d.get("kind") in ("DaemonSet", "ServiceAccount", "ConfigMap")}
    if len(namespaces) != 1 or None in namespaces:
        errors.append(f"the DaemonSet, ServiceAccount and ConfigMap must name one namespace, they "
                      f"name {namespaces}")
    return errors


CHECKS = [
    ("hostNetwork", check_host_network),
    ("hostPID", check_host_pid),
    ("capabilities", check_capabilities),
    ("AppArmor", check_apparmor),
    ("not privileged", check_not_privileged),
    ("tolerations", check_tolerations),
    ("priorityClassName", check_priority_class),
    ("probes", check_probes),
    ("rolling update", check_rolling_update),
    ("RBAC", check_rbac),
    ("hostPaths", check_host_paths),
    ("ConfigMap", check_config_map),
    ("image and args", check_image_and_args),
    ("API rules", check_api_rules),
]


def run_checks(docs):
    """name -> failures (empty list: passed) for every check."""
    m = Manifests(docs)
    results = {}
    for name, check in CHECKS:
        try:
            results[name] = check(m)
        except (LookupError, KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
            results[name] = [f"the manifests lack what this check reads: {type(e).__name__}: {e}"]
    return results
