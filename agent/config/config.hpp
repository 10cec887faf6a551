#pragma once
// warrend's configuration: built-in defaults, then the JSON file (--config), then flags.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/range.hpp"
#include "core/zones.hpp"
#include "kube/source.hpp"
#include "warren/default_paths.hpp"
#include "warren/error.hpp"

namespace warren::config {

struct PoolSpec {
    std::string name;
    std::vector<core::RangeSet> sets;
};

struct AgentConfig {
    std::string config_path;  // --config; empty when none (a reload then has nothing to read)
    std::string state_dir{kDefaultStateDir};
    std::string socket{kDefaultSocket};
    std::string socket_group;      // empty: root (and warrend's own uid) only
    std::string delete_queue_dir;  // empty: <socket dir>/delete-queue
    std::string log_level = "info";
    std::vector<PoolSpec> pools;
    int64_t cooldown_seconds = 30;
    int64_t gc_interval_seconds = 30;  // one GC pass (all probes, all allocations) per interval
    int64_t gc_grace_seconds = 60;     // a stale candidate is released no sooner than this
    uint32_t max_frame_bytes = 64 * 1024;
    int request_timeout_ms = 5000;      // a client must send its whole request within this
    uint64_t snapshot_after_bytes = 16ull << 20;  // compact the journal past this size
    int queue_scan_interval_ms = 2000;
    uint32_t max_connections = 1024;             // CNI connections open at once
    uint64_t max_buffered_bytes = 64ull << 20;   // unfinished requests held across connections
    std::string ebpf = "auto";                   // liveness.ebpf: "auto" | "on" | "off"
    std::string bpffs_dir{kDefaultBpffsDir};      // liveness.bpffsDir: pinned maps and programs
    std::vector<std::string> liveness_interfaces;  // liveness.interfaces: attach to these too
    std::string admin_socket;  // admin.socket; empty: admin.sock next to the CNI socket
    std::string admin_group;   // admin.group; empty: root (and warrend's own uid) only, mode 0600
    std::string metrics_address{kDefaultMetricsAddress};  // metrics.address: HOST:PORT, "" or "off"
    double alert_warn = 0.80;  // alerts.warnUtilization: 0 < warn < crit <= 1
    double alert_crit = 0.95;  // alerts.critUtilization
    // kubernetes.{node,kubeconfig,pool}, --kube-node/--kubeconfig/--kube-pool: with a node, the
    // pool kubernetes.pool is the Node's spec.podCIDRs (no configured pool may have its name).
    kube::Settings kubernetes;
    // cluster.clusterCIDR / --cluster-cidr and cluster.serviceCIDR / --service-cidr: the cluster's
    // pod and service ranges (at most one per family), only for the pool checks (pool_checks.hpp).
    std::vector<IpPrefix> cluster_cidrs;
    std::vector<IpPrefix> service_cidrs;
    // "zones" (core::parse_zones) and the top-level "antiSpoofing" ("off" | "log" | "drop",
    // default "log"; the mode for pods in no zone) as zones.default_anti_spoofing.
    core::ZoneRules zones;

    std::string effective_delete_queue_dir() const;
    // admin_socket, or admin.sock in the CNI socket's directory (kDefaultAdminSocket by default).
    std::string effective_admin_socket() const;
};

// Parses the JSON config file. Errors are Code::invalid_config naming the file and the key.
Result<AgentConfig> load_file(const std::string& path, AgentConfig base = {});

// Re-reads only "zones" and "antiSpoofing" from the config file (SIGHUP, `warrenctl reload`);
// errors as load_file's. A file without them gives zones off and "log".
Result<core::ZoneRules> load_zones(const std::string& config_path);

struct CommandLine {
    AgentConfig config;
    bool help = false;
    bool version = false;
    bool detach_all = false;  // --detach-all: remove warren's filters and pins under bpffs_dir, exit
};

// Applies `--config` first, then every other flag over it. Errors name the flag.
Result<CommandLine> parse_command_line(int argc, char** argv);
std::string usage();

// Every number's allowed range (README's config table); errors name the key, the value and
// the range. A value outside it is refused, never clamped or wrapped.
struct Bounds {
    int64_t min, max;
    const char* unit;
};
inline constexpr Bounds kCooldownSeconds{0, 86'400, "seconds"};
inline constexpr Bounds kGcIntervalSeconds{1, 3'600, "seconds"};
inline constexpr Bounds kGcGraceSeconds{1, 86'400, "seconds"};
inline constexpr Bounds kMaxFrameBytes{1024, 16 << 20, "bytes"};
inline constexpr Bounds kRequestTimeoutMs{100, 600'000, "milliseconds"};
inline constexpr Bounds kSnapshotAfterBytes{1024, 1ll << 40, "bytes"};
inline constexpr Bounds kQueueScanIntervalMs{100, 3'600'000, "milliseconds"};
inline constexpr Bounds kMaxConnections{1, 65'536, "connections"};
inline constexpr Bounds kMaxBufferedBytes{64 << 10, 4ll << 30, "bytes"};

// Cross-checks: pools do not overlap each other, every number in its range, maxBufferedBytes
// holds a frame of maxFrameBytes, the admin socket is not the CNI socket, a Kubernetes node name
// is a DNS subdomain, its pool is named and no configured pool has that name, and a kubeconfig
// is given only with a node.
Status validate(const AgentConfig& c);

// "10.244.0.0/16,fd00:10:244::/56" (or the list's items) as prefixes: at most one per family, as
// the kube components take them. Errors are Code::invalid_config naming `key`.
Result<std::vector<IpPrefix>> parse_cidr_list(const std::string& key,
                                              const std::vector<std::string>& items);

}  // namespace warren::config
