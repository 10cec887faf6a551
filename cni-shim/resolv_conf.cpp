#include "resolv_conf.hpp"

namespace warren::cni {

namespace {
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}
}  // namespace

Dns parse_resolv_conf(std::string_view text) {
    Dns dns;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        auto f = fields(line);
        if (f.size() < 2 || f[0].front() == '#' || f[0].front() == ';') continue;
        if (f[0] == "nameserver") {
            dns.nameservers.emplace_back(f[1]);
        } else if (f[0] == "domain") {
            dns.domain = f[1];
        } else if (f[0] == "search") {
            for (size_t i = 1; i < f.size(); ++i) dns.search.emplace_back(f[i]);
        } else if (f[0] == "options") {
            for (size_t i = 1; i < f.size(); ++i) dns.options.emplace_back(f[i]);
        }
    }
    return dns;
}

nlohmann::json dns_to_json(const Dns& dns) {
    nlohmann::json j = nlohmann::json::object();
    if (!dns.nameservers.empty()) j["nameservers"] = dns.nameservers;
    if (!dns.domain.empty()) j["domain"] = dns.domain;
    if (!dns.search.empty()) j["search"] = dns.search;
    if (!dns.options.empty()) j["options"] = dns.options;
    return j;
}

}  // namespace warren::cni
