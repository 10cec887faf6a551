#include "kube/objects.hpp"

#include <fmt/format.h>

#include "warren/json_depth.hpp"

namespace warren::kube {

using nlohmann::json;

namespace {

std::string string_at(const json& j, const char* a, const char* b) {
    if (!j.is_object()) return {};
    auto ia = j.find(a);
    if (ia == j.end() || !ia->is_object()) return {};
    auto ib = ia->find(b);
    return ib != ia->end() && ib->is_string() ? ib->get<std::string>() : std::string();
}

bool has_at(const json& j, const char* a, const char* b) {
    if (!j.is_object()) return false;
    auto ia = j.find(a);
    if (ia == j.end() || !ia->is_object()) return false;
    auto ib = ia->find(b);
    return ib != ia->end() && !ib->is_null();
}

}  // namespace

Result<json> parse_api_json(std::string_view text, std::string_view what) {
    if (auto st = check_json_depth(text); !st) {
        return fail(Code::decode, fmt::format("{}: {}", what, st.error().message));
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return fail(Code::decode, fmt::format("{} is not valid JSON", what));
    return j;
}

std::string resource_version_of(const json& object) {
    return string_at(object, "metadata", "resourceVersion");
}

Result<NodeState> parse_node(const json& node) {
    if (!node.is_object() || node.value("kind", "Node") != "Node") {
        return fail(Code::decode, "not a Node object");
    }
    NodeState out;
    out.name = string_at(node, "metadata", "name");
    if (out.name.empty()) return fail(Code::decode, "Node without metadata.name");
    out.resource_version = resource_version_of(node);
    auto spec = node.find("spec");
    if (spec == node.end() || !spec->is_object()) return out;
    auto cidrs = spec->find("podCIDRs");
    if (cidrs != spec->end() && !cidrs->is_null()) {
        if (!cidrs->is_array()) {
            return fail(Code::decode,
                        fmt::format("Node {}: spec.podCIDRs is not a list", out.name));
        }
        for (const auto& c : *cidrs) {
            if (!c.is_string()) {
                return fail(Code::decode,
                            fmt::format("Node {}: spec.podCIDRs holds a non-string", out.name));
            }
            out.pod_cidrs.push_back(c.get<std::string>());
        }
    }
    if (out.pod_cidrs.empty()) {
        auto one = spec->find("podCIDR");
        if (one != spec->end() && one->is_string() && !one->get<std::string>().empty()) {
            out.pod_cidrs.push_back(one->get<std::string>());
        }
    }
    return out;
}

Result<PodInfo> parse_pod(const json& pod) {
    if (!pod.is_object()) return fail(Code::decode, "not a Pod object");
    PodInfo out;
    out.uid = string_at(pod, "metadata", "uid");
    if (out.uid.empty()) {
        return fail(Code::decode,
                    fmt::format("Pod {} without metadata.uid", string_at(pod, "metadata", "name")));
    }
    out.phase = string_at(pod, "status", "phase");
    out.deleting = has_at(pod, "metadata", "deletionTimestamp");
    if (auto m = pod.find("metadata"); m != pod.end() && m->is_object()) {
        if (auto a = m->find("annotations"); a != m->end() && a->is_object()) {
            if (auto c = a->find("kubernetes.io/config.mirror"); c != a->end() && c->is_string())
                out.mirror_of = c->get<std::string>();
        }
    }
    return out;
}

namespace {

template <class Item, class ParseItem>
Result<ObjectList<Item>> parse_list(const json& list, const char* kind, ParseItem parse_item) {
    if (!list.is_object() || list.value("kind", kind) != kind) {
        return fail(Code::decode, fmt::format("not a {}", kind));
    }
    ObjectList<Item> out;
    out.resource_version = resource_version_of(list);
    out.continue_token = string_at(list, "metadata", "continue");
    auto items = list.find("items");
    if (items == list.end() || items->is_null()) return out;
    if (!items->is_array()) return fail(Code::decode, fmt::format("{} items is not a list", kind));
    for (const auto& item : *items) {
        auto parsed = parse_item(item);
        if (!parsed) return std::unexpected(parsed.error());
        out.items.push_back(std::move(*parsed));
    }
    return out;
}

}  // namespace

Result<PodList> parse_pod_list(const json& list) {
    return parse_list<PodInfo>(list, "PodList", parse_pod);
}

Result<NamespaceInfo> parse_namespace(const json& ns) {
    if (!ns.is_object()) return fail(Code::decode, "not a Namespace object");
    NamespaceInfo out;
    out.name = string_at(ns, "metadata", "name");
    if (out.name.empty()) return fail(Code::decode, "Namespace without metadata.name");
    auto m = ns.find("metadata");
    auto labels = m->find("labels");
    if (labels == m->end() || labels->is_null()) return out;
    if (!labels->is_object()) {
        return fail(Code::decode,
                    fmt::format("Namespace {}: metadata.labels is not a map", out.name));
    }
    for (const auto& [key, value] : labels->items()) {
        if (!value.is_string()) {
            return fail(Code::decode,
                        fmt::format("Namespace {}: label {} is not a string", out.name, key));
        }
        out.labels.emplace(key, value.get<std::string>());
    }
    return out;
}

Result<NamespaceList> parse_namespace_list(const json& list) {
    return parse_list<NamespaceInfo>(list, "NamespaceList", parse_namespace);
}

Result<WatchEvent> parse_watch_line(std::string_view line) {
    auto parsed = parse_api_json(line, "watch event");
    if (!parsed) return std::unexpected(parsed.error());
    json& j = *parsed;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
        return fail(Code::decode, "watch event without a type");
    }
    const std::string type = j["type"].get<std::string>();
    WatchEvent out;
    if (type == "ADDED") {
        out.type = EventType::added;
    } else if (type == "MODIFIED") {
        out.type = EventType::modified;
    } else if (type == "DELETED") {
        out.type = EventType::deleted;
    } else if (type == "BOOKMARK") {
        out.type = EventType::bookmark;
    } else if (type == "ERROR") {
        out.type = EventType::error;
    } else {
        return fail(Code::decode, fmt::format("watch event of unknown type \"{}\"", type));
    }
    auto object = j.find("object");
    if (object == j.end() || !object->is_object()) {
        return fail(Code::decode, fmt::format("{} watch event without an object", type));
    }
    out.object = std::move(*object);
    return out;
}

ApiStatus parse_status(const json& status) {
    ApiStatus out;
    if (!status.is_object()) return out;
    if (auto c = status.find("code"); c != status.end() && c->is_number_integer()) {
        out.code = c->get<int>();
    }
    if (auto m = status.find("message"); m != status.end() && m->is_string()) {
        out.message = m->get<std::string>();
    }
    return out;
}

}  // namespace warren::kube
