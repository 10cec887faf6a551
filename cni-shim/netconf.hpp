#pragma once
// The network configuration the runtime writes on stdin (CNI-CONTRACT "Standard input").
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warren/default_paths.hpp"
#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::cni {

inline constexpr int kDefaultTimeoutSeconds = 10;

// One entry of ipam.routes; the 1.1.0 fields are kept so results can carry them.
struct Route {
    std::string dst;  // CIDR, validated
    std::string gw;   // empty when absent
    std::optional<int64_t> mtu, advmss, priority, table, scope;
    bool operator==(const Route&) const = default;
};

struct IpamConf {
    std::string type;
    std::string socket{kDefaultSocket};
    std::optional<std::string> pool;
    // host-local ranges (drop-in mode), passed to the agent as given; a legacy top-level
    // subnet/rangeStart/rangeEnd/gateway becomes a one-range set prepended to them, and
    // runtimeConfig.ipRanges are prepended too, as host-local does.
    std::optional<nlohmann::json> ranges;
    std::vector<Route> routes;
    std::string resolv_conf;       // path, empty when none
    std::string delete_queue_dir;  // default: <dirname of socket>/delete-queue
    int timeout_ms = kDefaultTimeoutSeconds * 1000;
    // ipam.agentUser: who besides root may serve `socket` (the plugin refuses anyone else).
    // Given as a uid, or as a name (agent_user) looked up in /etc/passwd when the plugin runs.
    std::optional<uint32_t> agent_uid;
    std::string agent_user;
};

struct NetConf {
    std::string cni_version;
    std::string name;
    std::string type;
    IpamConf ipam;
    std::vector<std::string> args_ips;     // args.cni.ips, as given
    std::vector<std::string> runtime_ips;  // runtimeConfig.ips, as given
    // The pool the pod asks for (args.cni.pool or runtimeConfig.pool; both given must agree) and
    // which of the two keys named it; the agent's zone rules may refuse it.
    std::optional<std::string> requested_pool;
    std::string requested_pool_from;
    std::optional<nlohmann::json> prev_result;
    // Union of cni.dev/valid-attachments and cni.dev/attachments (a null counts as empty);
    // nullopt when neither key is present.
    std::optional<std::vector<proto::Attachment>> valid_attachments;
};

// Parses stdin as a JSON object; Code::decode when it is not one.
Result<nlohmann::json> parse_json_object(std::string_view text);

// The cniVersion string of a parsed config; empty when absent or not a string.
std::string config_version(const nlohmann::json& conf);

// Full parse and validation. Errors: Code::invalid_config for a missing/invalid `name`, a missing
// `ipam`, a wrongly typed or invalid field (route, socket, timeoutSeconds, pool together with
// ranges, a malformed attachment list, args.cni.pool / runtimeConfig.pool not a non-empty string
// or the two disagreeing...).
Result<NetConf> parse_netconf(const nlohmann::json& conf);

// The uid of user `name` in the text of /etc/passwd; nullopt when it has no such line. The plugin
// is static, so it reads the file rather than asking NSS (an agent user is a local system user).
std::optional<uint32_t> uid_in_passwd(std::string_view passwd, std::string_view name);

}  // namespace warren::cni
