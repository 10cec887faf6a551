#pragma once
// Requests as the plugin sends them, for tests that drive the agent's service directly.
#include <string>

#include "warren/protocol.hpp"

namespace warren::testing {

// ADD of `container_id`/eth0 on network "net", default pool.
inline proto::Request add_request(const std::string& container_id) {
    proto::Request r;
    r.op = proto::Op::add;
    r.network = "net";
    r.container_id = container_id;
    r.ifname = "eth0";
    return r;
}

}  // namespace warren::testing
