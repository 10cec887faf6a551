#pragma once
// Readers of the kube components' configuration as kubeadm leaves it on a node: static pod
// manifests, the kubelet's config file and flags env, a kube-proxy configuration and plain
// command lines. Each yields the flags it found with the line they came from; no checks here.
// Errors name the file, the line when the YAML parser gives one, and the key.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "warren/error.hpp"

namespace warren::check_flags {

struct Word {
    std::string text;
    int line = 0;  // 1-based line in the source file; 0 when unknown
};

// A flag as a component takes it: "--name=value" or "--name value"; a flag followed by another
// flag (or nothing) is a boolean and gets "true". Words that are not flags are skipped.
struct Flag {
    std::string name;  // "--cluster-cidr", or a config key such as "podCIDR"
    std::string value;
    int line = 0;
};

std::vector<Flag> parse_flags(std::span<const Word> words);

// Splits a command line the way a shell would for plain words: blanks separate, '...' and "..."
// quote, backslash escapes. Fails on an unterminated quote.
Result<std::vector<Word>> split_command_line(std::string_view line);

// The command and args of the static pod's container named `component` (or its only container):
// the binary first when `command` holds it. Not a pod manifest -> error.
Result<std::vector<Word>> read_manifest_command(const std::string& path,
                                                std::string_view component);

// KubeletConfiguration: podCIDR, clusterDNS (joined with ","), maxPods, as Flags named by key.
Result<std::vector<Flag>> read_kubelet_config(const std::string& path);

// kubeadm-flags.env: the flags in KUBELET_KUBEADM_ARGS="..." (none when the variable is absent).
Result<std::vector<Flag>> read_kubelet_flags_env(const std::string& path);

// KubeProxyConfiguration: clusterCIDR (absent when empty).
Result<std::vector<Flag>> read_kube_proxy_config(const std::string& path);

}  // namespace warren::check_flags
