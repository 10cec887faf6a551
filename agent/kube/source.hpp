#pragma once
// Kubernetes seen from one node (DESIGN §7 signal 5, §9): the Node's spec.podCIDRs and the pods
// scheduled on it, from the API server over HTTPS (list + watch), and the cluster's pod and
// service ranges from kubeadm-config (read once). The agent turns the CIDRs into its pool, checks
// its pools against the ranges and asks pod_running() during GC; it never writes to the API.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gc_signals.hpp"
#include "core/zones.hpp"
#include "warren/error.hpp"
#include "warren/ip.hpp"

namespace warren::kube {

struct Settings {
    std::string node;        // --kube-node / kubernetes.node; empty: Kubernetes is off
    std::string kubeconfig;  // --kubeconfig / kubernetes.kubeconfig; empty: in-cluster config
    std::string pool = "default";  // kubernetes.pool: the pool the node's CIDRs define
    // connect + TLS + one request's answer header; a watch silent for request_timeout_ms +
    // watch_timeout_seconds (the server ends each watch at timeoutSeconds) counts as hung
    int request_timeout_ms = 10'000;
    int watch_timeout_seconds = 300;  // timeoutSeconds asked of the server for each watch
    // Also list + watch every Namespace (cluster-wide; the ClusterRole's namespaces get/list/
    // watch) for zones' namespaceSelector; set when a zone has one.
    bool watch_namespaces = false;
};

// The Node as the agent needs it.
struct NodeState {
    std::string name;
    // spec.podCIDRs in the API's order (or [spec.podCIDR] from an old API); empty until the
    // controller manager assigns them. Strings as the API gives them ("10.244.1.0/24").
    std::vector<std::string> pod_cidrs;
    std::string resource_version;
};

// kube-system/kubeadm-config's networking.podSubnet and networking.serviceSubnet (each empty
// when the ClusterConfiguration does not name it): the cluster CIDRs and the service range.
struct ClusterNetworks {
    std::vector<IpPrefix> pod_subnets;
    std::vector<IpPrefix> service_subnets;
    bool operator==(const ClusterNetworks&) const = default;
};

// Where the view of the API stands, for logs, `warrenctl status` and metrics.
struct SourceStatus {
    bool node_seen = false;    // the Node was read at least once
    bool pods_synced = false;  // the pod list is complete and its watch is running
    size_t pods = 0;           // pods on the node the view holds
    int64_t last_ok_ns = 0;    // wall clock of the last successful list or watch event; 0: never
    std::string error;         // the last API error while not synced (empty when synced)
    bool namespaces_watched = false;  // Settings::watch_namespaces
    // When watched: the namespace list is complete and its watch is running
    bool namespaces_synced = false;
    size_t namespaces = 0;  // namespaces the view holds
};

// Thread-safety: start(), stop(), set_networks_handler() and set_namespaces_handler() from one
// thread (the agent's); the handlers run on the source's own thread, one call at a time;
// pod_running(), status(), cluster_networks() and namespace_labels() from any thread.
class Source {
  public:
    virtual ~Source() = default;
    using NodeHandler = std::function<void(const NodeState&)>;
    // Begins list + watch of the Node and of the pods with spec.nodeName = the node. `on_node`
    // hears every version of the Node: after each list, and each ADDED/MODIFIED event, also
    // ones without pod CIDRs. Errors only for what cannot work at all (no node name); API
    // errors are retried with back-off and show in status().
    virtual Status start(NodeHandler on_node) = 0;
    // Stops watching; no handler runs after it returns. Idempotent.
    virtual void stop() = 0;
    // Signal 5 for the pod with this UID: yes when the view holds it in a phase other than
    // Succeeded/Failed, or when the view is not synced (an API error or a stale watch counts as
    // alive); no when the synced view has no such pod or it finished; unknown for an empty uid.
    virtual core::Tri pod_running(std::string_view uid) const = 0;
    virtual SourceStatus status() const = 0;

    using NetworksHandler = std::function<void(const ClusterNetworks&)>;
    // Before start(): `on_networks` hears the cluster's ranges once, when kubeadm-config is read.
    // start() also reads kube-system/kubeadm-config once, retrying API errors with back-off until
    // it is read, or until a 403/404 (a cluster without kubeadm, or RBAC without the Role) or a
    // ConfigMap that does not parse, which end the read with one log line and no call.
    virtual void set_networks_handler(NetworksHandler on_networks) { (void)on_networks; }
    // The ranges once read; nullopt before, and for good when kubeadm-config was not readable.
    virtual std::optional<ClusterNetworks> cluster_networks() const { return std::nullopt; }

    // With Settings::watch_namespaces: a namespace's labels (core/zones.hpp). synced is false
    // until the first list completes and while a re-list is due (an error, a 410); a synced view
    // without the namespace says exists=false. Without watch_namespaces: never synced. Any thread.
    virtual core::NamespaceLabels namespace_labels(std::string_view name) const {
        (void)name;
        return {};
    }
    using NamespacesHandler = std::function<void()>;
    // Before start(): `on_change` hears (on the source's thread) that some namespace's labels
    // changed, or one was added or deleted, or the view became synced, so the agent can report
    // zone mismatches again. Optional.
    virtual void set_namespaces_handler(NamespacesHandler on_change) { (void)on_change; }
};

// The real source: HTTPS (Boost.Beast + OpenSSL, CA verified, bearer token re-read from its file
// before each request so rotation is picked up) to the API server of `settings.kubeconfig`, or of
// the in-cluster config (KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/
// serviceaccount/{token,ca.crt}). Code::invalid_config, naming the file or variable, when that
// configuration cannot be read.
Result<std::unique_ptr<Source>> make_api_source(const Settings& settings);

}  // namespace warren::kube
