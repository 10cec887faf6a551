#include "kube/kubeadm_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace warren::kube {

namespace {

// "a, b" -> [a, b]; empty items are skipped.
Result<std::vector<IpPrefix>> parse_cidr_list(const YAML::Node& networking, const char* key) {
    std::vector<IpPrefix> out;
    const YAML::Node v = networking[key];
    if (!v || v.IsNull()) return out;
    if (!v.IsScalar()) {
        return fail(Code::decode,
                    fmt::format("kubeadm-config: networking.{} is not a string", key));
    }
    const std::string text = v.as<std::string>();
    size_t at = 0;
    while (at <= text.size()) {
        size_t comma = text.find(',', at);
        if (comma == std::string::npos) comma = text.size();
        std::string item = text.substr(at, comma - at);
        const auto first = item.find_first_not_of(" \t");
        const auto last = item.find_last_not_of(" \t");
        item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
        if (!item.empty()) {
            auto p = IpPrefix::parse(item);
            if (!p) {
                return fail(Code::decode,
                            fmt::format("kubeadm-config: networking.{} holds \"{}\", not a CIDR "
                                        "such as 10.244.0.0/16",
                                        key, item));
            }
            out.push_back(*p);
        }
        at = comma + 1;
    }
    return out;
}

}  // namespace

Result<ClusterNetworks> parse_kubeadm_config(const nlohmann::json& configmap) {
    if (!configmap.is_object() || configmap.value("kind", "ConfigMap") != "ConfigMap") {
        return fail(Code::decode, "kubeadm-config: not a ConfigMap object");
    }
    auto data = configmap.find("data");
    if (data == configmap.end() || !data->is_object()) {
        return fail(Code::decode, "kubeadm-config: the ConfigMap has no data");
    }
    auto cc = data->find("ClusterConfiguration");
    if (cc == data->end() || !cc->is_string()) {
        return fail(Code::decode, "kubeadm-config: no data.ClusterConfiguration string");
    }
    YAML::Node doc;
    try {
        doc = YAML::Load(cc->get<std::string>());
    } catch (const YAML::Exception& e) {
        return fail(
            Code::decode,
            fmt::format("kubeadm-config: data.ClusterConfiguration is not YAML: {}", e.what()));
    }
    if (!doc.IsMap()) {
        return fail(Code::decode, "kubeadm-config: data.ClusterConfiguration is not a mapping");
    }
    ClusterNetworks out;
    const YAML::Node networking = doc["networking"];
    if (!networking || networking.IsNull()) return out;
    if (!networking.IsMap()) {
        return fail(Code::decode, "kubeadm-config: networking is not a mapping");
    }
    try {
        auto pods = parse_cidr_list(networking, "podSubnet");
        if (!pods) return std::unexpected(pods.error());
        auto services = parse_cidr_list(networking, "serviceSubnet");
        if (!services) return std::unexpected(services.error());
        out.pod_subnets = std::move(*pods);
        out.service_subnets = std::move(*services);
    } catch (const YAML::Exception& e) {
        return fail(Code::decode, fmt::format("kubeadm-config: networking: {}", e.what()));
    }
    return out;
}

}  // namespace warren::kube
