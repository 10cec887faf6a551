#include "check_flags/gather.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "check_flags/readers.hpp"

namespace warren::check_flags {

namespace {

constexpr const char* kManifests = "/etc/kubernetes/manifests/";
constexpr const char* kKubeletConfig = "/var/lib/kubelet/config.yaml";
constexpr const char* kKubeletFlagsEnv = "/var/lib/kubelet/kubeadm-flags.env";
constexpr const char* kKubeProxyConfig = "/var/lib/kube-proxy/config.conf";

// The flags that matter, per component; config-file keys map to the flag they stand for.
const std::map<std::string_view, std::vector<std::string_view>>& wanted() {
    static const std::map<std::string_view, std::vector<std::string_view>> table = {
        {kApiserver, {"--service-cluster-ip-range", "--advertise-address"}},
        {kControllerManager,
         {"--cluster-cidr", "--service-cluster-ip-range", "--node-cidr-mask-size",
          "--node-cidr-mask-size-ipv4", "--node-cidr-mask-size-ipv6", "--allocate-node-cidrs"}},
        {kKubelet, {"--pod-cidr", "--cluster-dns", "--max-pods", "--node-ip"}},
        {kKubeProxy, {"--cluster-cidr"}},
    };
    return table;
}

std::string key_of(std::string_view name) {
    if (name == "podCIDR") return "--pod-cidr";
    if (name == "clusterDNS") return "--cluster-dns";
    if (name == "maxPods") return "--max-pods";
    if (name == "clusterCIDR") return "--cluster-cidr";
    return std::string(name);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string source_of(const std::string& path, int line) {
    return line > 0 ? path + ":" + std::to_string(line) : path;
}

// Adds (or, for a later source such as kubelet flags over its config file, replaces) settings.
void take(Observed& o, std::string_view component, const std::vector<Flag>& flags,
          const std::string& path) {
    const auto& keys = wanted().at(component);
    for (const Flag& f : flags) {
        const std::string key = key_of(f.name);
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
        Setting s{std::string(component), key, f.name, f.value, source_of(path, f.line)};
        auto same = std::find_if(o.settings.begin(), o.settings.end(), [&](const Setting& x) {
            return x.component == component && x.key == key;
        });
        if (same != o.settings.end())
            *same = std::move(s);
        else
            o.settings.push_back(std::move(s));
    }
}

void unreadable(Observed& o, std::string_view component, const Error& e) {
    o.findings.push_back({plan::Severity::error, "config-unreadable",
                          std::string(component) + ": " + e.describe(),
                          "fix or replace the file, or give the component's command line with "
                          "--from-args"});
}

void missing(Observed& o, std::string_view component, const std::string& looked) {
    o.findings.push_back(
        {plan::Severity::note, "component-missing",
         std::string(component) + ": no configuration at " + looked + "; its rules are skipped",
         "on a node without it this is expected; otherwise give --root or "
         "--from-args '" +
             std::string(component) + " --flag=value ...'"});
}

void read_manifest(Observed& o, std::string_view component, const std::string& root) {
    const std::string path = under_root(root, kManifests + std::string(component) + ".yaml");
    if (!exists(path)) return missing(o, component, path);
    o.components.emplace_back(component);
    auto words = read_manifest_command(path, component);
    if (!words) return unreadable(o, component, words.error());
    take(o, component, parse_flags(*words), path);
}

void read_kubelet(Observed& o, const std::string& root) {
    const std::string config = under_root(root, kKubeletConfig);
    const std::string env = under_root(root, kKubeletFlagsEnv);
    if (!exists(config) && !exists(env)) return missing(o, kKubelet, config);
    o.components.emplace_back(kKubelet);
    if (exists(config)) {
        auto flags = read_kubelet_config(config);
        if (!flags) return unreadable(o, kKubelet, flags.error());
        take(o, kKubelet, *flags, config);
    }
    if (exists(env)) {
        auto flags = read_kubelet_flags_env(env);
        if (!flags) return unreadable(o, kKubelet, flags.error());
        take(o, kKubelet, *flags, env);
    }
}

void read_kube_proxy(Observed& o, const Sources& s) {
    const std::string path =
        under_root(s.root, s.kube_proxy_config.empty() ? kKubeProxyConfig : s.kube_proxy_config);
    if (!exists(path)) {
        if (!s.kube_proxy_config.empty())
            return unreadable(o, kKubeProxy,
                              Error{Code::io, "--kube-proxy-config " + path + " does not exist"});
        return missing(o, kKubeProxy, path);
    }
    o.components.emplace_back(kKubeProxy);
    auto flags = read_kube_proxy_config(path);
    if (!flags) return unreadable(o, kKubeProxy, flags.error());
    take(o, kKubeProxy, *flags, path);
}

// A kubelet or kube-proxy command line's --config FILE (under the root) is read first, as the
// component does; its flags then override what the file says.
void from_config_flag(Observed& o, std::string_view component, const std::vector<Flag>& flags,
                      const std::string& root) {
    if (component != kKubelet && component != kKubeProxy) return;
    auto config = std::find_if(flags.begin(), flags.end(),
                               [](const Flag& f) { return f.name == "--config"; });
    if (config == flags.end()) return;
    const std::string path = under_root(root, config->value);
    auto read = component == kKubelet ? read_kubelet_config(path) : read_kube_proxy_config(path);
    if (!read) return unreadable(o, component, read.error());
    take(o, component, *read, path);
}

}  // namespace

bool Observed::has(std::string_view component) const {
    return std::find(components.begin(), components.end(), component) != components.end();
}

const Setting* Observed::find(std::string_view component, std::string_view key) const {
    for (auto& s : settings)
        if (s.component == component && s.key == key) return &s;
    return nullptr;
}

std::string under_root(const std::string& root, const std::string& path) {
    if (!path.starts_with("/")) return path;
    std::string r = root;
    while (r.size() > 1 && r.ends_with("/")) r.pop_back();
    return r == "/" || r.empty() ? path : r + path;
}

Result<Observed> gather(const Sources& sources) {
    std::map<std::string, std::vector<Flag>, std::less<>> given;
    for (const std::string& line : sources.from_args) {
        auto words = split_command_line(line);
        if (!words) return fail(Code::invalid_config, "--from-args: " + words.error().message);
        if (words->empty())
            return fail(Code::invalid_config,
                        "--from-args is empty; give a command line such as 'kube-apiserver "
                        "--service-cluster-ip-range=10.96.0.0/12'");
        std::string component = words->front().text;
        if (auto slash = component.rfind('/'); slash != std::string::npos)
            component = component.substr(slash + 1);
        if (!wanted().contains(component))
            return fail(Code::invalid_config,
                        "--from-args '" + line +
                            "': the first word names the component: one of "
                            "kube-apiserver, kube-controller-manager, kubelet, kube-proxy, not '" +
                            component + "'");
        if (given.contains(component))
            return fail(Code::invalid_config, "--from-args names " + component +
                                                  " twice; give each component's flags once");
        given[component] = parse_flags(std::span(*words).subspan(1));
    }
    Observed o;
    for (std::string_view component : {kApiserver, kControllerManager, kKubelet, kKubeProxy}) {
        if (auto it = given.find(component); it != given.end()) {
            o.components.emplace_back(component);
            from_config_flag(o, component, it->second, sources.root);
            take(o, component, it->second, "--from-args");
        } else if (component == kKubelet) {
            read_kubelet(o, sources.root);
        } else if (component == kKubeProxy) {
            read_kube_proxy(o, sources);
        } else {
            read_manifest(o, component, sources.root);
        }
    }
    return o;
}

}  // namespace warren::check_flags
