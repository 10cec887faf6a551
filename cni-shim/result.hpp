#pragma once
// What the plugin prints on stdout: the abbreviated IPAM result, the VERSION answer, errors.
// All functions return one line of compact JSON ending in '\n'.
#include <string>
#include <string_view>
#include <vector>

#include "netconf.hpp"
#include "resolv_conf.hpp"
#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::cni {

// ADD's result in `version` (one of kSupportedVersions): ips (with "version":"4"/"6" before
// 1.0.0), routes (dst/gw only before 1.1.0; omitted when none), dns (always, {} when empty).
// No interfaces. Errors (Code::internal): an address that is not "IP/len", a bad gateway.
Result<std::string> format_add_result(std::string_view version,
                                      const std::vector<proto::IpResult>& ips,
                                      const std::vector<Route>& routes, const Dns& dns);

// {"cniVersion": version, "supportedVersions": [...]}
std::string format_version_result(std::string_view version);

// {"cniVersion": version, "code": N, "msg": ..., "details": ...}; details omitted when empty
// (as libcni's types.Error). The message falls back to the code's meaning when empty.
std::string format_error(std::string_view version, const Error& error);

// The version to write errors in: the config's when supported, else kLatestVersion.
std::string_view error_version(std::string_view config_version);

}  // namespace warren::cni
