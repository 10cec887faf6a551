#pragma once
// HostNetworkReader over libnl-route-3 (rtnl_addr and rtnl_route caches, one dump each) in the
// calling thread's network namespace. Blocking; a fresh socket per read(), none kept.
#include <memory>

#include "netcheck/host_network.hpp"

namespace warren::netcheck {

std::unique_ptr<HostNetworkReader> make_nl_host_network_reader();

}  // namespace warren::netcheck
