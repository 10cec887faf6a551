#pragma once
// Running CNI operations as a runtime does: a plugin exec'd with a CNI environment and the
// network config on stdin, either Debian's `bridge` (which calls `warren` for IPAM) or the
// `warren` plugin directly. Results are parsed with nlohmann::json.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_process.hpp"
#include "process.hpp"

namespace warren::it {

using nlohmann::json;

inline constexpr const char* kBridgePlugin = "/usr/lib/cni/bridge";

// CNI_PATH for every call: our plugin first, then Debian's.
inline std::string cni_path() { return bin_dir() + ":/usr/lib/cni"; }

struct CniCall {
    std::string command;        // ADD, DEL, CHECK, GC, STATUS, VERSION
    std::string container_id;
    std::string netns;          // a path
    std::string ifname = "eth0";
    std::string args;           // CNI_ARGS, when not empty
    Env extra_env;              // set last (may override the above)
    std::vector<std::string> unset;  // removed after everything else
    std::chrono::milliseconds timeout = 20s;
};

struct CniResult : RunResult {
    json j;  // stdout as JSON; null when stdout is empty or not JSON

    // The CNI error code of an error result, 0 otherwise.
    int code() const;
    std::string msg() const;
    // `ips[].address` of a success result, in order.
    std::vector<std::string> addresses() const;
};

// {"type":"warren","socket":socket} plus `extra`'s keys.
json warren_ipam(const std::string& socket, const json& extra = json::object());
// A bridge network config (cniVersion 1.0.0, the newest bridge 1.1.1 speaks), no gateway, no NAT.
json bridge_conf(const std::string& network, const std::string& bridge, const json& ipam,
                 const std::string& version = "1.0.0");
// A config for exec'ing `warren` directly (type "warren").
json plugin_conf(const std::string& network, const json& ipam, const std::string& version = "1.1.0");

// Execs `plugin` with `conf` on stdin.
CniResult cni_exec(const std::string& plugin, const json& conf, const CniCall& call);
// Same with raw stdin bytes (for malformed input).
CniResult cni_exec_raw(const std::string& plugin, const std::string& input, const CniCall& call);

inline CniResult bridge(const json& conf, const CniCall& call) { return cni_exec(kBridgePlugin, conf, call); }
inline CniResult warren_plugin(const json& conf, const CniCall& call) { return cni_exec(plugin_path(), conf, call); }

// Address without its prefix length: "10.1.0.5/24" -> "10.1.0.5".
std::string strip_prefix(const std::string& cidr);

}  // namespace warren::it
