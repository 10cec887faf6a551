#include "config/config.hpp"

#include <getopt.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "metrics/http_server.hpp"

#include "warren/json_depth.hpp"
#include "warren/protocol.hpp"

namespace warren::config {

using nlohmann::json;

std::string AgentConfig::effective_delete_queue_dir() const {
    return delete_queue_dir.empty() ? default_delete_queue_dir(socket) : delete_queue_dir;
}

std::string AgentConfig::effective_admin_socket() const {
    if (!admin_socket.empty()) return admin_socket;
    const auto dir = std::filesystem::path(socket).parent_path();
    return (dir / std::filesystem::path(kDefaultAdminSocket).filename()).string();
}

namespace {

Status bad(const std::string& where, const std::string& what) {
    return fail(Code::invalid_config, where + ": " + what);
}

Status read_key(const json& j, const char* key, std::string& out, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string()) return bad(where, std::string("'") + key + "' must be a string");
    out = it->get<std::string>();
    return {};
}

std::string allowed(const Bounds& b) {
    return "it must be a whole number from " + std::to_string(b.min) + " to " + std::to_string(b.max) + " (" +
           b.unit + ")";
}

// A JSON value as it appears in the file, cut for a message.
std::string shown(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 40 ? s.substr(0, 40) + "..." : s;
}

// Integers only, checked against `b` before they meet the field's type: nothing is truncated,
// wrapped or rounded on the way.
template <class T>
Status read_number(const json& j, const char* key, const std::string& name, const Bounds& b, T& out,
                   const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    bool in_range = false;
    int64_t v = 0;
    if (it->is_number_unsigned()) {
        const auto u = it->get<uint64_t>();
        in_range = u <= static_cast<uint64_t>(b.max) && static_cast<int64_t>(u) >= b.min;
        v = static_cast<int64_t>(u);
    } else if (it->is_number_integer()) {
        v = it->get<int64_t>();
        in_range = v >= b.min && v <= b.max;
    }
    if (!in_range) return bad(where, "'" + name + "' is " + shown(*it) + "; " + allowed(b));
    out = static_cast<T>(v);
    return {};
}

Result<int64_t> flag_number(const std::string& flag, const std::string& text, const Bounds& b) {
    int64_t v = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc{} || p != end || v < b.min || v > b.max)
        return fail(Code::invalid_config, flag + " is '" + text + "'; " + allowed(b));
    return v;
}

template <class T>
Status check_range(const std::string& name, T value, const Bounds& b) {
    const bool in_range = std::is_signed_v<T> ? static_cast<int64_t>(value) >= b.min && static_cast<int64_t>(value) <= b.max
                                              : static_cast<uint64_t>(value) <= static_cast<uint64_t>(b.max) &&
                                                    static_cast<int64_t>(value) >= b.min;
    if (!in_range) return fail(Code::invalid_config, name + " is " + std::to_string(value) + "; " + allowed(b));
    return {};
}

Result<PoolSpec> pool_from_json(const std::string& name, const json& j, const std::string& where) {
    PoolSpec p{name, {}};
    const json* ranges = nullptr;
    if (j.is_object() && j.contains("ranges")) ranges = &j["ranges"];
    if (j.is_object() && j.contains("cidrs")) {
        std::vector<std::string> cidrs;
        try {
            cidrs = j["cidrs"].get<std::vector<std::string>>();
        } catch (const json::exception&) {
            return fail(Code::invalid_config, where + ": pool '" + name + "': 'cidrs' must be strings");
        }
        auto sets = core::range_sets_from_cidrs(cidrs);
        if (!sets) return fail(Code::invalid_config, where + ": pool '" + name + "': " + sets.error().message);
        p.sets = std::move(*sets);
        return p;
    }
    if (!ranges) return fail(Code::invalid_config, where + ": pool '" + name + "' needs 'ranges' or 'cidrs'");
    auto sets = core::parse_range_sets(*ranges);
    if (!sets) return fail(Code::invalid_config, where + ": pool '" + name + "': " + sets.error().message);
    p.sets = std::move(*sets);
    return p;
}

bool valid_level(const std::string& l) {
    for (auto n : {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"})
        if (l == n) return true;
    return false;
}

Status read_admin(const json& j, AgentConfig& c, const std::string& where) {
    auto ad = j.find("admin");
    if (ad == j.end()) return {};
    if (!ad->is_object()) return fail(Code::invalid_config, where + ": 'admin' must be an object");
    for (auto s : {read_key(*ad, "socket", c.admin_socket, where),
                   read_key(*ad, "group", c.admin_group, where)})
        if (!s) return s;
    return {};
}

Status read_liveness(const json& j, AgentConfig& c, const std::string& where) {
    auto lv = j.find("liveness");
    if (lv == j.end()) return {};
    if (!lv->is_object()) return fail(Code::invalid_config, where + ": 'liveness' must be an object");
    for (auto s : {read_key(*lv, "ebpf", c.ebpf, where), read_key(*lv, "bpffsDir", c.bpffs_dir, where)})
        if (!s) return s;
    if (auto it = lv->find("interfaces"); it != lv->end() && !it->is_null()) {
        if (!it->is_array()) return bad(where, "'liveness.interfaces' must be a list of interface names");
        c.liveness_interfaces.clear();
        for (auto& n : *it) {
            if (!n.is_string() || n.get<std::string>().empty())
                return bad(where, "'liveness.interfaces' must hold interface names (non-empty strings), not " +
                                      shown(n));
            c.liveness_interfaces.push_back(n.get<std::string>());
        }
    }
    return {};
}

Status read_ratio(const json& j, const char* key, double& out, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_number())
        return bad(where, std::string("'alerts.") + key + "' is " + shown(*it) +
                              "; it must be a number above 0 and at most 1 (a fraction of the pool, e.g. 0.8)");
    out = it->get<double>();
    return {};
}

// metrics.address and alerts.{warn,crit}Utilization (DESIGN §8).
Status read_observability(const json& j, AgentConfig& c, const std::string& where) {
    if (auto m = j.find("metrics"); m != j.end() && !m->is_null()) {
        if (!m->is_object()) return bad(where, "'metrics' must be an object");
        if (auto s = read_key(*m, "address", c.metrics_address, where); !s) return s;
    }
    if (auto a = j.find("alerts"); a != j.end() && !a->is_null()) {
        if (!a->is_object()) return bad(where, "'alerts' must be an object");
        for (auto s : {read_ratio(*a, "warnUtilization", c.alert_warn, where),
                       read_ratio(*a, "critUtilization", c.alert_crit, where)})
            if (!s) return s;
    }
    return {};
}

// kubernetes.{node,kubeconfig,pool} (DESIGN §9).
Status read_kubernetes(const json& j, AgentConfig& c, const std::string& where) {
    auto k = j.find("kubernetes");
    if (k == j.end() || k->is_null()) return {};
    if (!k->is_object())
        return bad(where, "'kubernetes' must be an object with 'node', 'kubeconfig' and 'pool'");
    for (auto& [key, v] : k->items())
        if (key != "node" && key != "kubeconfig" && key != "pool")
            return bad(where,
                       "unknown key 'kubernetes." + key + "' (known: node, kubeconfig, pool)");
    for (auto s : {read_key(*k, "node", c.kubernetes.node, where),
                   read_key(*k, "kubeconfig", c.kubernetes.kubeconfig, where),
                   read_key(*k, "pool", c.kubernetes.pool, where)})
        if (!s) return s;
    return {};
}

// A Node's name is a DNS subdomain (RFC 1123): it goes into the API's paths and field selectors.
bool valid_node_name(const std::string& n) {
    if (n.empty() || n.size() > 253) return false;
    for (char ch : n)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
            return false;
    auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
    return alnum(n.front()) && alnum(n.back());
}

Status validate_kubernetes(const AgentConfig& c) {
    const auto& k = c.kubernetes;
    if (k.node.empty()) {
        if (!k.kubeconfig.empty())
            return fail(
                Code::invalid_config,
                "a kubeconfig (kubernetes.kubeconfig, --kubeconfig) is given but no node "
                "(kubernetes.node, --kube-node)",
                "name this node with --kube-node NAME (in a DaemonSet: spec.nodeName from the "
                "downward API), or drop the kubeconfig");
        return {};
    }
    if (!valid_node_name(k.node))
        return fail(
            Code::invalid_config,
            "the Kubernetes node name (kubernetes.node, --kube-node) '" + k.node +
                "' is not a valid Node name",
            "use the Node's name as `kubectl get nodes` shows it: lowercase letters, digits, "
            "'-' and '.', at most 253 characters");
    if (k.pool.empty())
        return fail(Code::invalid_config,
                    "the Kubernetes pool name (kubernetes.pool, --kube-pool) must not be empty",
                    "leave it out for \"default\"");
    for (auto& p : c.pools)
        if (p.name == k.pool)
            return fail(
                Code::invalid_config,
                "pool '" + p.name +
                    "' is defined by the configuration (pools or --pod-cidr) and also taken from "
                    "Kubernetes (kubernetes.pool, --kube-pool)",
                "a pool has one owner: drop it from 'pools' / --pod-cidr, or give the Kubernetes "
                "pool another name with --kube-pool");
    return {};
}

// cluster.{clusterCIDR,serviceCIDR}: a list of CIDRs or one comma-separated string.
Status read_cluster(const json& j, AgentConfig& c, const std::string& where) {
    auto k = j.find("cluster");
    if (k == j.end() || k->is_null()) return {};
    if (!k->is_object())
        return bad(where, "'cluster' must be an object with 'clusterCIDR' and 'serviceCIDR'");
    for (auto& [key, v] : k->items())
        if (key != "clusterCIDR" && key != "serviceCIDR")
            return bad(where,
                       "unknown key 'cluster." + key + "' (known: clusterCIDR, serviceCIDR)");
    for (auto [key, out] :
         {std::pair{"clusterCIDR", &c.cluster_cidrs}, std::pair{"serviceCIDR", &c.service_cidrs}}) {
        auto it = k->find(key);
        if (it == k->end() || it->is_null()) continue;
        const std::string name = std::string("cluster.") + key;
        std::vector<std::string> items;
        if (it->is_string()) {
            items.push_back(it->get<std::string>());
        } else if (it->is_array() &&
                   std::all_of(it->begin(), it->end(), [](auto& v) { return v.is_string(); })) {
            items = it->get<std::vector<std::string>>();
        } else {
            return bad(
                where,
                "'" + name + "' is " + shown(*it) +
                    "; it must be a list of CIDRs (one per family), e.g. [\"10.244.0.0/16\"]");
        }
        auto cidrs = parse_cidr_list("'" + name + "'", items);
        if (!cidrs) return bad(where, cidrs.error().message);
        *out = std::move(*cidrs);
    }
    return {};
}

// The top-level "antiSpoofing" and "zones".
Result<core::ZoneRules> read_zones(const json& j, const std::string& where) {
    auto mode = core::AntiSpoofing::log;
    if (auto it = j.find("antiSpoofing"); it != j.end() && !it->is_null()) {
        auto m = core::parse_anti_spoofing(it->is_string() ? it->get<std::string>() : shown(*it));
        if (!m)
            return fail(Code::invalid_config, where + ": 'antiSpoofing' is " + shown(*it) +
                                                  "; it must be one of off, log, drop");
        mode = *m;
    }
    auto it = j.find("zones");
    if (it == j.end() || it->is_null()) {
        core::ZoneRules off;
        off.default_anti_spoofing = mode;
        return off;
    }
    auto rules = core::parse_zones(*it, mode);
    if (!rules) return fail(Code::invalid_config, where + ": " + rules.error().message);
    return rules;
}

Result<json> read_config_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail_errno("cannot read config file " + path, errno, Code::invalid_config);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (auto s = check_json_depth(text); !s)
        return fail(Code::invalid_config, "config file " + path + ": " + s.error().message);
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(Code::invalid_config, "config file " + path + " is not a JSON object");
    return j;
}

Result<double> flag_ratio(const std::string& flag, const std::string& text) {
    double v = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc{} || p != end)
        return fail(Code::invalid_config,
                    flag + " is '" + text + "'; it must be a number above 0 and at most 1 (e.g. 0.8)");
    return v;
}

}  // namespace

Result<std::vector<IpPrefix>> parse_cidr_list(const std::string& key,
                                              const std::vector<std::string>& items) {
    std::vector<IpPrefix> out;
    for (auto& item : items) {
        std::string_view rest = item;
        while (true) {
            const auto comma = rest.find(',');
            const std::string text(rest.substr(0, comma));
            auto p = IpPrefix::parse(text);
            if (!p)
                return fail(Code::invalid_config,
                            key + ": '" + text + "' is not a CIDR (" + p.error().message +
                                "); give one CIDR per family, comma-separated, e.g. "
                                "10.244.0.0/16,fd00:10:244::/56");
            for (auto& seen : out)
                if (seen.family() == p->family())
                    return fail(
                        Code::invalid_config,
                        key + " has two " + (p->family() == Family::v4 ? "IPv4" : "IPv6") +
                            " CIDRs (" + seen.str() + ", " + p->str() +
                            "); give at most one per family, as the kube components take it");
            out.push_back(*p);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return out;
}

Result<core::ZoneRules> load_zones(const std::string& config_path) {
    auto j = read_config_json(config_path);
    if (!j) return std::unexpected(j.error());
    return read_zones(*j, "config file " + config_path);
}

Result<AgentConfig> load_file(const std::string& path, AgentConfig c) {
    auto parsed = read_config_json(path);
    if (!parsed) return std::unexpected(parsed.error());
    const json& j = *parsed;
    const std::string where = "config file " + path;
    for (auto s : {read_key(j, "stateDir", c.state_dir, where), read_key(j, "socket", c.socket, where),
                   read_key(j, "socketGroup", c.socket_group, where),
                   read_key(j, "deleteQueueDir", c.delete_queue_dir, where),
                   read_key(j, "logLevel", c.log_level, where),
                   read_number(j, "maxFrameBytes", "maxFrameBytes", kMaxFrameBytes, c.max_frame_bytes, where),
                   read_number(j, "requestTimeoutMs", "requestTimeoutMs", kRequestTimeoutMs, c.request_timeout_ms, where),
                   read_number(j, "snapshotAfterBytes", "snapshotAfterBytes", kSnapshotAfterBytes,
                               c.snapshot_after_bytes, where),
                   read_number(j, "maxConnections", "maxConnections", kMaxConnections, c.max_connections, where),
                   read_number(j, "maxBufferedBytes", "maxBufferedBytes", kMaxBufferedBytes, c.max_buffered_bytes,
                               where)})
        if (!s) return std::unexpected(s.error());
    if (auto gc = j.find("gc"); gc != j.end()) {
        if (!gc->is_object()) return fail(Code::invalid_config, where + ": 'gc' must be an object");
        for (auto s : {read_number(*gc, "cooldownSeconds", "gc.cooldownSeconds", kCooldownSeconds,
                                   c.cooldown_seconds, where),
                       read_number(*gc, "intervalSeconds", "gc.intervalSeconds", kGcIntervalSeconds,
                                   c.gc_interval_seconds, where),
                       read_number(*gc, "graceSeconds", "gc.graceSeconds", kGcGraceSeconds,
                                   c.gc_grace_seconds, where)})
            if (!s) return std::unexpected(s.error());
    }
    if (auto s = read_liveness(j, c, where); !s) return std::unexpected(s.error());
    if (auto s = read_admin(j, c, where); !s) return std::unexpected(s.error());
    if (auto s = read_observability(j, c, where); !s) return std::unexpected(s.error());
    if (auto s = read_kubernetes(j, c, where); !s) return std::unexpected(s.error());
    if (auto s = read_cluster(j, c, where); !s) return std::unexpected(s.error());
    auto zones = read_zones(j, where);
    if (!zones) return std::unexpected(zones.error());
    c.zones = std::move(*zones);
    if (auto pools = j.find("pools"); pools != j.end()) {
        c.pools.clear();
        if (pools->is_object()) {
            for (auto& [name, pj] : pools->items()) {
                auto p = pool_from_json(name, pj, where);
                if (!p) return std::unexpected(p.error());
                c.pools.push_back(std::move(*p));
            }
        } else if (pools->is_array()) {
            for (auto& pj : *pools) {
                if (!pj.is_object() || !pj.contains("name") || !pj["name"].is_string())
                    return fail(Code::invalid_config, where + ": each entry of 'pools' needs a 'name'");
                auto p = pool_from_json(pj["name"].get<std::string>(), pj, where);
                if (!p) return std::unexpected(p.error());
                c.pools.push_back(std::move(*p));
            }
        } else {
            return fail(Code::invalid_config, where + ": 'pools' must be an object or an array");
        }
    }
    return c;
}

std::string usage() {
    return R"(usage: warrend [options]

warren's node-local IPAM agent: serves pod addresses to the `warren` CNI plugin.

  --config FILE          JSON config file (flags override it)
  --state-dir DIR        journal and snapshot directory       [/var/lib/warren]
  --socket PATH          CNI socket                            [/run/warren/warren.sock]
  --socket-group GROUP   group allowed on the CNI socket       [root only]
  --admin-socket PATH    admin socket (warrenctl)              [admin.sock next to --socket]
  --admin-group GROUP    group allowed on the admin socket (mode 0660) [root only, 0600]
  --pod-cidr CIDR        pool "default": give once per family (IPv4 and/or IPv6)
  --cooldown N           seconds (0-86400) a released address rests before reuse [30]
  --gc-interval N        seconds (1-3600) between GC passes    [30]
  --gc-grace N           seconds (1-86400) a stale candidate must stay dead before
                         it is released                         [60]
  --ebpf MODE            eBPF liveness: auto (use it when it loads), on (start-up
                         error without it), off                [auto]
  --bpffs-dir DIR        where the liveness maps are pinned    [/sys/fs/bpf/warren]
  --detach-all           remove every tc filter and pin warren made (under
                         --bpffs-dir) and exit
  --delete-queue-dir DIR DELs queued by the plugin while warrend was down
                                                               [<socket dir>/delete-queue]
  --metrics-address A    Prometheus GET /metrics on HOST:PORT; "off" disables
                                                               [127.0.0.1:9464]
  --alert-warn F         pool utilization (0-1) that logs a warning and raises
                         the alert metric                      [0.80]
  --alert-crit F         critical utilization (above --alert-warn, at most 1)
                                                               [0.95]
  --kube-node NAME       Kubernetes: serve this Node's spec.podCIDRs as a pool and
                         ask the API which pods run here (GC)   [off]
  --kubeconfig PATH      the API server and credentials for --kube-node
                                                               [in-cluster service account]
  --kube-pool NAME       the pool the Node's CIDRs define      [default]
  --cluster-cidr CIDRS   the cluster's pod range(s), kube-controller-manager's
                         --cluster-cidr (comma-separated, one per family): a pool
                         outside it is warned about at start  [not checked]
  --service-cidr CIDRS   the service range(s), kube-apiserver's
                         --service-cluster-ip-range: a pool overlapping it is
                         warned about                          [not checked]
  --log-level LEVEL      trace|debug|info|warn|error           [info]
  --version              print the version
  -h, --help             this text
)";
}

Result<CommandLine> parse_command_line(int argc, char** argv) {
    enum {
        kConfig = 1000,
        kStateDir,
        kSocket,
        kSocketGroup,
        kPodCidr,
        kCooldown,
        kQueueDir,
        kLogLevel,
        kVersion,
        kGcInterval,
        kGcGrace,
        kEbpf,
        kBpffsDir,
        kDetachAll,
        kAdminSocket,
        kAdminGroup,
        kMetricsAddress,
        kAlertWarn,
        kAlertCrit,
        kKubeNode,
        kKubeconfig,
        kKubePool,
        kClusterCidr,
        kServiceCidr
    };
    static const option opts[] = {{"config", required_argument, nullptr, kConfig},
                                  {"state-dir", required_argument, nullptr, kStateDir},
                                  {"socket", required_argument, nullptr, kSocket},
                                  {"socket-group", required_argument, nullptr, kSocketGroup},
                                  {"pod-cidr", required_argument, nullptr, kPodCidr},
                                  {"cooldown", required_argument, nullptr, kCooldown},
                                  {"gc-interval", required_argument, nullptr, kGcInterval},
                                  {"gc-grace", required_argument, nullptr, kGcGrace},
                                  {"ebpf", required_argument, nullptr, kEbpf},
                                  {"bpffs-dir", required_argument, nullptr, kBpffsDir},
                                  {"detach-all", no_argument, nullptr, kDetachAll},
                                  {"admin-socket", required_argument, nullptr, kAdminSocket},
                                  {"admin-group", required_argument, nullptr, kAdminGroup},
                                  {"metrics-address", required_argument, nullptr, kMetricsAddress},
                                  {"alert-warn", required_argument, nullptr, kAlertWarn},
                                  {"alert-crit", required_argument, nullptr, kAlertCrit},
                                  {"kube-node", required_argument, nullptr, kKubeNode},
                                  {"kubeconfig", required_argument, nullptr, kKubeconfig},
                                  {"kube-pool", required_argument, nullptr, kKubePool},
                                  {"cluster-cidr", required_argument, nullptr, kClusterCidr},
                                  {"service-cidr", required_argument, nullptr, kServiceCidr},
                                  {"delete-queue-dir", required_argument, nullptr, kQueueDir},
                                  {"log-level", required_argument, nullptr, kLogLevel},
                                  {"version", no_argument, nullptr, kVersion},
                                  {"help", no_argument, nullptr, 'h'},
                                  {nullptr, 0, nullptr, 0}};
    CommandLine cl;
    // Pass 1: only --config, so every other flag can override the file.
    struct Flag {
        int id;
        std::string value;
    };
    std::vector<Flag> flags;
    ::optind = 1;
    ::opterr = 0;
    int ch;
    while ((ch = ::getopt_long(argc, argv, "h", opts, nullptr)) != -1) {
        if (ch == '?') {
            std::string arg = ::optind - 1 < argc ? argv[::optind - 1] : "?";
            return fail(Code::invalid_config, "unknown or incomplete option '" + arg + "' (see --help)");
        }
        flags.push_back({ch, ::optarg ? ::optarg : ""});
    }
    if (::optind < argc) return fail(Code::invalid_config, std::string("unexpected argument '") + argv[::optind] + "'");
    for (auto& f : flags)
        if (f.id == kConfig) {
            auto c = load_file(f.value, cl.config);
            if (!c) return std::unexpected(c.error());
            cl.config = std::move(*c);
            cl.config.config_path = f.value;
        }
    std::vector<std::string> cidrs;
    for (auto& f : flags) {
        switch (f.id) {
            case kStateDir: cl.config.state_dir = f.value; break;
            case kSocket: cl.config.socket = f.value; break;
            case kSocketGroup: cl.config.socket_group = f.value; break;
            case kPodCidr: cidrs.push_back(f.value); break;
            case kQueueDir: cl.config.delete_queue_dir = f.value; break;
            case kLogLevel: cl.config.log_level = f.value; break;
            case kVersion: cl.version = true; break;
            case kEbpf: cl.config.ebpf = f.value; break;
            case kBpffsDir: cl.config.bpffs_dir = f.value; break;
            case kDetachAll: cl.detach_all = true; break;
            case kAdminSocket:
                cl.config.admin_socket = f.value;
                break;
            case kAdminGroup:
                cl.config.admin_group = f.value;
                break;
            case kMetricsAddress: cl.config.metrics_address = f.value; break;
            case kKubeNode:
                cl.config.kubernetes.node = f.value;
                break;
            case kKubeconfig:
                cl.config.kubernetes.kubeconfig = f.value;
                break;
            case kKubePool:
                cl.config.kubernetes.pool = f.value;
                break;
            case kAlertWarn:
            case kAlertCrit: {
                const bool warn = f.id == kAlertWarn;
                auto v = flag_ratio(warn ? "--alert-warn" : "--alert-crit", f.value);
                if (!v) return std::unexpected(v.error());
                (warn ? cl.config.alert_warn : cl.config.alert_crit) = *v;
                break;
            }
            case kClusterCidr:
            case kServiceCidr: {
                const bool cluster = f.id == kClusterCidr;
                auto v = parse_cidr_list(cluster ? "--cluster-cidr" : "--service-cidr", {f.value});
                if (!v) return std::unexpected(v.error());
                (cluster ? cl.config.cluster_cidrs : cl.config.service_cidrs) = std::move(*v);
                break;
            }
            case 'h': cl.help = true; break;
            case kCooldown: {
                auto v = flag_number("--cooldown", f.value, kCooldownSeconds);
                if (!v) return std::unexpected(v.error());
                cl.config.cooldown_seconds = *v;
                break;
            }
            case kGcInterval:
            case kGcGrace: {
                const bool interval = f.id == kGcInterval;
                auto v = flag_number(interval ? "--gc-interval" : "--gc-grace", f.value,
                                     interval ? kGcIntervalSeconds : kGcGraceSeconds);
                if (!v) return std::unexpected(v.error());
                (interval ? cl.config.gc_interval_seconds : cl.config.gc_grace_seconds) = *v;
                break;
            }
            default: break;
        }
    }
    if (!cidrs.empty()) {
        for (auto& c : cidrs)
            if (auto p = IpPrefix::parse(c); !p) return fail(Code::invalid_config, "--pod-cidr: " + p.error().message);
        for (size_t i = 0; i < cidrs.size(); ++i)
            for (size_t k = i + 1; k < cidrs.size(); ++k)
                if (IpPrefix::parse(cidrs[i])->family() == IpPrefix::parse(cidrs[k])->family())
                    return fail(Code::invalid_config, "--pod-cidr given twice for one family (" + cidrs[i] +
                                                          ", " + cidrs[k] + "); give at most one IPv4 and one IPv6");
        auto sets = core::range_sets_from_cidrs(cidrs);
        if (!sets) return fail(Code::invalid_config, "--pod-cidr: " + sets.error().message);
        std::erase_if(cl.config.pools, [](const PoolSpec& p) { return p.name == "default"; });
        cl.config.pools.push_back({"default", std::move(*sets)});
    }
    if (auto s = validate(cl.config); !s) return std::unexpected(s.error());
    return cl;
}

Status validate(const AgentConfig& c) {
    if (!valid_level(c.log_level)) return fail(Code::invalid_config, "unknown log level '" + c.log_level + "'");
    for (auto s : {check_range("cooldown (gc.cooldownSeconds, --cooldown)", c.cooldown_seconds, kCooldownSeconds),
                   check_range("the GC interval (gc.intervalSeconds, --gc-interval)", c.gc_interval_seconds,
                               kGcIntervalSeconds),
                   check_range("the GC grace (gc.graceSeconds, --gc-grace)", c.gc_grace_seconds, kGcGraceSeconds),
                   check_range("maxFrameBytes", c.max_frame_bytes, kMaxFrameBytes),
                   check_range("requestTimeoutMs", c.request_timeout_ms, kRequestTimeoutMs),
                   check_range("snapshotAfterBytes", c.snapshot_after_bytes, kSnapshotAfterBytes),
                   check_range("the queue scan interval", c.queue_scan_interval_ms, kQueueScanIntervalMs),
                   check_range("maxConnections", c.max_connections, kMaxConnections),
                   check_range("maxBufferedBytes", c.max_buffered_bytes, kMaxBufferedBytes)})
        if (!s) return s;
    if (c.max_buffered_bytes < c.max_frame_bytes + proto::kHeaderSize)
        return fail(Code::invalid_config, "maxBufferedBytes (" + std::to_string(c.max_buffered_bytes) +
                                              ") must hold one frame of maxFrameBytes (" +
                                              std::to_string(c.max_frame_bytes) + ") and its " +
                                              std::to_string(proto::kHeaderSize) + "-byte header");
    if (c.ebpf != "auto" && c.ebpf != "on" && c.ebpf != "off")
        return fail(Code::invalid_config, "unknown eBPF mode '" + c.ebpf +
                                              "' (liveness.ebpf, --ebpf): use auto, on or off");
    if (c.bpffs_dir.empty())
        return fail(Code::invalid_config, "the bpffs directory (liveness.bpffsDir, --bpffs-dir) must not be empty");
    if (c.state_dir.empty()) return fail(Code::invalid_config, "state directory must not be empty");
    if (!(c.alert_warn > 0 && c.alert_warn < c.alert_crit && c.alert_crit <= 1))
        return fail(Code::invalid_config,
                    fmt::format("alert thresholds warn {} and crit {} (alerts.warnUtilization, --alert-warn; "
                                "alerts.critUtilization, --alert-crit) must satisfy 0 < warn < crit <= 1",
                                c.alert_warn, c.alert_crit));
    if (c.socket.empty()) return fail(Code::invalid_config, "socket path must not be empty");
    if (std::filesystem::path(c.effective_admin_socket()).lexically_normal() ==
        std::filesystem::path(c.socket).lexically_normal())
        return fail(Code::invalid_config,
                    "the admin socket (admin.socket, --admin-socket) is the CNI socket " + c.socket,
                    "give the admin socket its own path, e.g. " + std::string(kDefaultAdminSocket));
    if (!metrics::metrics_disabled(c.metrics_address))
        if (auto ep = metrics::parse_listen_address(c.metrics_address); !ep) return std::unexpected(ep.error());
    if (auto s = validate_kubernetes(c); !s) return s;
    for (size_t i = 0; i < c.pools.size(); ++i)
        for (size_t k = i + 1; k < c.pools.size(); ++k) {
            if (c.pools[i].name == c.pools[k].name)
                return fail(Code::invalid_config, "pool '" + c.pools[i].name + "' is defined twice");
            for (auto& si : c.pools[i].sets)
                for (auto& ri : si)
                    for (auto& sk : c.pools[k].sets)
                        for (auto& rk : sk)
                            if (core::ranges_overlap(ri, rk))
                                return fail(Code::invalid_config, "pools '" + c.pools[i].name + "' and '" +
                                                                      c.pools[k].name + "' overlap: " +
                                                                      core::describe({ri}) + " and " + core::describe({rk}));
        }
    return {};
}

}  // namespace warren::config
