#pragma once
// resolv.conf to the CNI result's "dns", the way host-local reads ipam.resolvConf.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace warren::cni {

struct Dns {
    std::vector<std::string> nameservers;
    std::string domain;
    std::vector<std::string> search;
    std::vector<std::string> options;
    bool operator==(const Dns&) const = default;
};

// `nameserver X` (each adds one), `domain X` (last wins), `search A B...` and `options A B...`
// (accumulate). Lines starting with '#' or ';' and lines with fewer than two fields are skipped.
Dns parse_resolv_conf(std::string_view text);

// CNI "dns" object; empty members are omitted, so an empty Dns is {}.
nlohmann::json dns_to_json(const Dns& dns);

}  // namespace warren::cni
