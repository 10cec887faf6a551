#include <yaml-cpp/yaml.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "check_flags/readers.hpp"

namespace warren::check_flags {

namespace {

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(Code::io, "cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

int line_of(const YAML::Node& n) {
    return n.Mark().is_null() ? 0 : n.Mark().line + 1;
}

std::string at(const std::string& path, int line) {
    return line > 0 ? path + ":" + std::to_string(line) : path;
}

Result<YAML::Node> load(const std::string& path, std::string_view expected_kind) {
    auto text = read_text(path);
    if (!text) return std::unexpected(text.error());
    YAML::Node root;
    try {
        root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
        return fail(Code::invalid_config, at(path, e.mark.is_null() ? 0 : e.mark.line + 1) +
                                              ": not valid YAML: " + e.msg +
                                              "; fix the file or point at a copy that parses");
    }
    if (!root.IsMap())
        return fail(Code::invalid_config,
                    path + ": not a " + std::string(expected_kind) + " (expected a YAML mapping)");
    if (const YAML::Node kind = root["kind"];
        kind && kind.IsScalar() && kind.Scalar() != expected_kind)
        return fail(Code::invalid_config, at(path, line_of(kind)) + ": kind is " + kind.Scalar() +
                                              ", expected " + std::string(expected_kind) +
                                              "; is this the right file?");
    return root;
}

Result<std::vector<Word>> scalars(const YAML::Node& list, const std::string& path,
                                  std::string_view key) {
    std::vector<Word> words;
    if (!list) return words;
    if (!list.IsSequence())
        return fail(Code::invalid_config, at(path, line_of(list)) + ": " + std::string(key) +
                                              " must be a list of strings");
    for (const YAML::Node& item : list) {
        if (!item.IsScalar())
            return fail(Code::invalid_config, at(path, line_of(item)) + ": an entry of " +
                                                  std::string(key) + " is not a string");
        words.push_back({item.Scalar(), line_of(item)});
    }
    return words;
}

// A scalar key as a Flag, or nothing when absent or empty.
Result<std::optional<Flag>> scalar_field(const YAML::Node& root, const char* key,
                                         const std::string& path) {
    const YAML::Node v = root[key];
    if (!v || v.IsNull()) return std::nullopt;
    if (!v.IsScalar())
        return fail(Code::invalid_config,
                    at(path, line_of(v)) + ": " + key + " must be a single value");
    if (v.Scalar().empty()) return std::nullopt;
    return Flag{key, v.Scalar(), line_of(v)};
}

}  // namespace

Result<std::vector<Word>> read_manifest_command(const std::string& path,
                                                std::string_view component) {
    auto root = load(path, "Pod");
    if (!root) return std::unexpected(root.error());
    const YAML::Node containers = (*root)["spec"]["containers"];
    if (!containers || !containers.IsSequence() || containers.size() == 0)
        return fail(Code::invalid_config,
                    path + ": spec.containers is missing; not a static pod manifest");
    YAML::Node container = containers[0];
    for (const YAML::Node& c : containers)
        if (c["name"] && c["name"].IsScalar() && c["name"].Scalar() == component) container = c;
    auto command = scalars(container["command"], path, "spec.containers[].command");
    if (!command) return std::unexpected(command.error());
    auto args = scalars(container["args"], path, "spec.containers[].args");
    if (!args) return std::unexpected(args.error());
    command->insert(command->end(), args->begin(), args->end());
    if (command->empty())
        return fail(Code::invalid_config, path + ": the " + std::string(component) +
                                              " container has neither command nor args");
    return command;
}

Result<std::vector<Flag>> read_kubelet_config(const std::string& path) {
    auto root = load(path, "KubeletConfiguration");
    if (!root) return std::unexpected(root.error());
    std::vector<Flag> flags;
    for (const char* key : {"podCIDR", "maxPods"}) {
        auto f = scalar_field(*root, key, path);
        if (!f) return std::unexpected(f.error());
        if (*f) flags.push_back(**f);
    }
    const YAML::Node dns = (*root)["clusterDNS"];
    auto servers = scalars(dns, path, "clusterDNS");
    if (!servers) return std::unexpected(servers.error());
    if (!servers->empty()) {
        Flag f{"clusterDNS", "", line_of(dns)};
        for (auto& w : *servers) f.value += (f.value.empty() ? "" : ",") + w.text;
        flags.push_back(std::move(f));
    }
    return flags;
}

Result<std::vector<Flag>> read_kubelet_flags_env(const std::string& path) {
    auto text = read_text(path);
    if (!text) return std::unexpected(text.error());
    std::istringstream in(*text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        constexpr std::string_view kVar = "KUBELET_KUBEADM_ARGS=";
        if (!line.starts_with(kVar)) continue;
        // The value is one shell word ("--a=b --c=d"); its text holds the flags.
        auto value = split_command_line(std::string_view(line).substr(kVar.size()));
        std::string unquoted;
        for (auto& w : value.value_or(std::vector<Word>{})) unquoted += w.text + " ";
        auto words = value ? split_command_line(unquoted) : value;
        if (!words)
            return fail(Code::invalid_config,
                        at(path, n) + ": KUBELET_KUBEADM_ARGS: " + words.error().message);
        for (auto& w : *words) w.line = n;
        return parse_flags(*words);
    }
    return std::vector<Flag>{};
}

Result<std::vector<Flag>> read_kube_proxy_config(const std::string& path) {
    auto root = load(path, "KubeProxyConfiguration");
    if (!root) return std::unexpected(root.error());
    auto f = scalar_field(*root, "clusterCIDR", path);
    if (!f) return std::unexpected(f.error());
    std::vector<Flag> flags;
    if (*f) flags.push_back(**f);
    return flags;
}

}  // namespace warren::check_flags
