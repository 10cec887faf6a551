#pragma once
// What the components on one node say about addresses, gathered from their files under a root
// (or from command lines given instead): one Setting per flag that matters to address planning.
#include <optional>
#include <string>
#include <vector>

#include "plan/rules.hpp"
#include "warren/error.hpp"

namespace warren::check_flags {

inline constexpr std::string_view kApiserver = "kube-apiserver";
inline constexpr std::string_view kControllerManager = "kube-controller-manager";
inline constexpr std::string_view kKubelet = "kubelet";
inline constexpr std::string_view kKubeProxy = "kube-proxy";

struct Setting {
    std::string component;  // kube-apiserver | kube-controller-manager | kubelet | kube-proxy
    std::string key;        // the component's flag name: "--cluster-cidr", "--pod-cidr", ...
    std::string flag;       // as written where it was read: "--cluster-cidr", "podCIDR", ...
    std::string value;
    std::string source;  // "path:line", "path", or "--from-args"
};

struct Sources {
    std::string root = "/";         // prefixes every absolute path
    std::string kube_proxy_config;  // "" -> <root>/var/lib/kube-proxy/config.conf when present
    // "kube-apiserver --flag=value ...", one per component; replaces that component's files
    // (a kubelet's or kube-proxy's --config FILE is still read, under the root).
    std::vector<std::string> from_args;
};

struct Observed {
    std::vector<std::string> components;  // those found, in the order read
    std::vector<Setting> settings;
    std::vector<plan::Finding> findings;  // components missing (notes), unreadable files (errors)

    bool has(std::string_view component) const;
    const Setting* find(std::string_view component, std::string_view key) const;
};

// Fails (a usage error) only for a bad --from-args: an empty line, an unknown or repeated
// component, an unterminated quote. Files that cannot be read become error findings.
Result<Observed> gather(const Sources& sources);

// `root` + `path` for an absolute `path` ("/" leaves it as is).
std::string under_root(const std::string& root, const std::string& path);

}  // namespace warren::check_flags
