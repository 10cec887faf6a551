#pragma once
// The CNI_* environment of one plugin invocation (CNI-CONTRACT "Environment").
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "version.hpp"
#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::cni {

// Parsed CNI_ARGS (`K=V;K=V`), the keys host-local and Kubernetes runtimes use.
struct CniArgs {
    bool ignore_unknown = false;
    std::vector<std::string>
        ips;            // IP=, split on ',' and trimmed; validated when the request is built
    proto::PodRef pod;  // K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID
    std::string infra_container_id;  // K8S_POD_INFRA_CONTAINER_ID
};

struct Env {
    Command command = Command::version;
    std::string container_id;  // CNI_CONTAINERID
    std::string netns;         // CNI_NETNS
    std::string ifname;        // CNI_IFNAME
    std::string path;          // CNI_PATH (unused: the plugin delegates to nothing)
    CniArgs args;              // CNI_ARGS, parsed for ADD, CHECK and DEL only
};

// Returns the variable's value, or nullptr when unset. An empty value counts as unset (as skel).
using EnvLookup = std::function<const char*(const char*)>;

// All errors are Code::invalid_env: missing CNI_COMMAND or a variable the command requires,
// an unknown command, a bad CNI_CONTAINERID or CNI_IFNAME, a malformed CNI_ARGS.
Result<Env> parse_env(const EnvLookup& getenv);

// Errors (Code::invalid_env): a pair without exactly one '=', an unknown key unless
// IgnoreUnknown is 1/true, an IgnoreUnknown that is not a boolean. Empty pairs are skipped.
Result<CniArgs> parse_cni_args(std::string_view text);

// libcni's rules: alnum first, then [A-Za-z0-9_.-].
Status validate_container_id(std::string_view id);
// libcni's rules: 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
Status validate_ifname(std::string_view ifname);
// Well-formed UTF-8 (the wire protocol is JSON).
bool valid_utf8(std::string_view s);

}  // namespace warren::cni
