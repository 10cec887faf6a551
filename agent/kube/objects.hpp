#pragma once
// The Kubernetes API objects the source reads, parsed from their JSON as the API server sends
// them (Node, Pod, PodList, Namespace, NamespaceList, a watch stream's event lines, a Status).
// Pure: no I/O.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/source.hpp"
#include "warren/error.hpp"

namespace warren::kube {

struct PodInfo {
    std::string uid;
    std::string phase;  // Pending, Running, Succeeded, Failed, Unknown; "" when not reported yet
    bool deleting = false;  // metadata.deletionTimestamp is set (terminating; still running)
    // A static pod's mirror: annotation kubernetes.io/config.mirror, the UID the kubelet gives
    // the static pod (and the runtime passes as K8S_POD_UID); "" for other pods.
    std::string mirror_of;
    bool finished() const { return phase == "Succeeded" || phase == "Failed"; }
};

struct NamespaceInfo {
    std::string name;
    std::map<std::string, std::string> labels;
};

// One page of a list.
template <class Item>
struct ObjectList {
    std::vector<Item> items;
    std::string resource_version;
    std::string continue_token;  // metadata.continue: more pages follow when not empty
};
using PodList = ObjectList<PodInfo>;
using NamespaceList = ObjectList<NamespaceInfo>;

enum class EventType { added, modified, deleted, bookmark, error };

struct WatchEvent {
    EventType type = EventType::error;
    nlohmann::json object;
};

// JSON from the API, depth-checked (warren/json_depth.hpp); Code::decode naming `what`.
Result<nlohmann::json> parse_api_json(std::string_view text, std::string_view what);
// Code::decode saying which field is missing or has the wrong type.
Result<NodeState> parse_node(const nlohmann::json& node);
Result<PodInfo> parse_pod(const nlohmann::json& pod);
Result<PodList> parse_pod_list(const nlohmann::json& list);
Result<NamespaceInfo> parse_namespace(const nlohmann::json& ns);
Result<NamespaceList> parse_namespace_list(const nlohmann::json& list);
// One line of a watch stream: {"type": "...", "object": {...}}.
Result<WatchEvent> parse_watch_line(std::string_view line);
// metadata.resourceVersion of any object; "" when absent.
std::string resource_version_of(const nlohmann::json& object);
// A Status object (an ERROR event's object or an error response body): its code (0 when
// absent) and message.
struct ApiStatus {
    int code = 0;
    std::string message;
};
ApiStatus parse_status(const nlohmann::json& status);

}  // namespace warren::kube
