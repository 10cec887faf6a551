#include "result.hpp"

#include "version.hpp"
#include "warren/ip.hpp"

namespace warren::cni {

using nlohmann::json;

namespace {

std::string dump_line(const json& j) {
    // Replace invalid UTF-8 rather than throw: an error message must always get out.
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string_view code_meaning(Code c) {
    switch (c) {
        case Code::incompatible_version:
            return "incompatible CNI version";
        case Code::unsupported_field:
            return "unsupported field in the network config";
        case Code::unknown_container:
            return "container unknown or does not exist";
        case Code::invalid_env:
            return "invalid or missing environment variables";
        case Code::io:
            return "I/O failure";
        case Code::decode:
            return "failed to decode content";
        case Code::invalid_config:
            return "invalid network config";
        case Code::try_again:
            return "try again later";
        case Code::unavailable:
            return "the plugin is not available";
        case Code::degraded:
            return "the plugin is not available; existing containers may be degraded";
        default:
            return "internal error";
    }
}

}  // namespace

std::string_view error_version(std::string_view config_version) {
    return is_supported_version(config_version) ? config_version : kLatestVersion;
}

Result<std::string> format_add_result(std::string_view version,
                                      const std::vector<proto::IpResult>& ips,
                                      const std::vector<Route>& routes, const Dns& dns) {
    auto v = parse_semver(version);
    bool with_ip_version = v && v->major == 0;
    bool full_routes = v && *v >= SemVer{1, 1, 0};

    json out{{"cniVersion", version}};
    json& jips = out["ips"] = json::array();
    for (auto& ip : ips) {
        auto slash = ip.address.find('/');
        auto addr = IpAddress::parse(std::string_view(ip.address).substr(0, slash));
        if (slash == std::string::npos || !addr || !IpPrefix::parse(ip.address))
            return fail(Code::internal, "warrend returned an invalid address '" + ip.address + "'");
        json e = json::object();
        if (with_ip_version) e["version"] = addr->is_v4() ? "4" : "6";
        e["address"] = ip.address;
        if (!ip.gateway.empty()) {
            auto gw = IpAddress::parse(ip.gateway);
            if (!gw || gw->family() != addr->family())
                return fail(Code::internal, "warrend returned an invalid gateway '" + ip.gateway +
                                                "' for " + ip.address);
            e["gateway"] = ip.gateway;
        }
        jips.push_back(std::move(e));
    }
    if (!routes.empty()) {
        json& jr = out["routes"] = json::array();
        for (auto& r : routes) {
            json e{{"dst", r.dst}};
            if (!r.gw.empty()) e["gw"] = r.gw;
            if (full_routes) {
                // libcni omits zero mtu/advmss/priority; table and scope are pointers (kept if
                // set).
                if (r.mtu && *r.mtu != 0) e["mtu"] = *r.mtu;
                if (r.advmss && *r.advmss != 0) e["advmss"] = *r.advmss;
                if (r.priority && *r.priority != 0) e["priority"] = *r.priority;
                if (r.table) e["table"] = *r.table;
                if (r.scope) e["scope"] = *r.scope;
            }
            jr.push_back(std::move(e));
        }
    }
    out["dns"] = dns_to_json(dns);
    return dump_line(out);
}

std::string format_version_result(std::string_view version) {
    json out{{"cniVersion", version}, {"supportedVersions", json::array()}};
    for (auto v : kSupportedVersions) out["supportedVersions"].push_back(v);
    return dump_line(out);
}

std::string format_error(std::string_view version, const Error& error) {
    json out{{"cniVersion", version}, {"code", static_cast<int>(error.code)}};
    std::string msg = error.describe();
    out["msg"] = msg.empty() ? std::string(code_meaning(error.code)) : msg;
    if (!error.details.empty()) out["details"] = error.details;
    return dump_line(out);
}

}  // namespace warren::cni
