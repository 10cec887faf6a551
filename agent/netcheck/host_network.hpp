#pragma once
// The seam between the pool checks and the kernel: the addresses and main-table routes of the
// network namespace warrend runs in. The libnl implementation is nl_host_network.hpp; tests use
// tests/support/fake_host_network.hpp.
#include "core/pool_checks.hpp"
#include "warren/error.hpp"

namespace warren::netcheck {

class HostNetworkReader {
  public:
    virtual ~HostNetworkReader() = default;
    // Every interface address (IPv4 and IPv6) and every unicast route of the main table, each with
    // its interface's name. Errors (Code::io) name what could not be listed.
    virtual Result<core::HostNetwork> read() = 0;
};

}  // namespace warren::netcheck
