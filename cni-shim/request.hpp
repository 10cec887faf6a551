#pragma once
// From one invocation (environment + network config) to the request warrend serves.
#include <string>
#include <vector>

#include "env.hpp"
#include "netconf.hpp"
#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::cni {

// Requested addresses for ADD: CNI_ARGS IP=, then args.cni.ips, then runtimeConfig.ips, each
// with any "/len" stripped, normalised to canonical text (v6 compressed) and de-duplicated
// in first-seen order. Errors: Code::invalid_config naming the source of a bad address.
Result<std::vector<std::string>> requested_ips(const CniArgs& args, const NetConf& conf);

// The addresses of prevResult.ips[].address, "/len" stripped. Errors (Code::invalid_config):
// no prevResult, or one whose ips are not [{"address": "IP/len", ...}].
Result<std::vector<std::string>> prev_result_ips(const NetConf& conf);

// The request for env.command (not VERSION). ADD carries requested_ips(), CHECK
// prev_result_ips(), GC the valid attachments (refused with Code::invalid_config when the config
// has neither attachment key: an empty list would release every reservation of the network).
// A field longer than the compact request form carries (65535 bytes or entries) is refused
// naming its source: Code::invalid_env for CNI_* variables, Code::invalid_config for the config.
Result<proto::Request> build_request(const Env& env, const NetConf& conf);

}  // namespace warren::cni
