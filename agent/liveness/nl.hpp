#pragma once
// libnl-3 glue for the liveness probes: owners for libnl objects, route sockets, link queries,
// and libnl error codes as warren::Error.
//
// Logging: libnl has no log callback; it only prints debug output to stderr when built with
// debugging and NLDBG is set. Every socket made here first sets libnl's debug level to 0, so the
// agent's log (spdlog) stays the only output and libnl failures reach it as Errors.
//
// Thread-safety: a socket is used by one thread at a time; the functions keep no state.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liveness/link_info.hpp"
#include "warren/error.hpp"

struct nl_sock;
struct nlmsghdr;

namespace warren::liveness::nl {

struct SockFree {
    void operator()(nl_sock* s) const noexcept;
};
using Sock = std::unique_ptr<nl_sock, SockFree>;

// A connected NETLINK_ROUTE socket (close-on-exec, blocking) in the calling thread's network
// namespace; it stays in that namespace whatever the thread does later.
Result<Sock> connect_route();

// "<what>: <libnl message>"; `nl_err` is a libnl code (negative or positive NLE_*).
Error error(std::string what, int nl_err);

// The link `ifindex` (or, when ifindex is 0, the one named `name`) in the socket's namespace;
// nullopt when there is none (ENODEV).
Result<std::optional<LinkInfo>> get_link(nl_sock* sock, int ifindex, const std::string& name = {});

// The link named `name` in the namespace the socket's namespace calls `nsid`, asked without
// entering it (RTM_GETLINK with IFLA_TARGET_NETNSID, kernel >= 4.20); nullopt when there is none.
Result<std::optional<LinkInfo>> get_link_in(nl_sock* sock, int nsid, const std::string& name);

// Every link of the socket's namespace (one RTM_GETLINK dump; restarted by libnl when the
// kernel flags it interrupted by a concurrent change).
Result<std::vector<LinkInfo>> list_links(nl_sock* sock);

// The id the socket's namespace gives to the namespace open at `netns_fd` (RTM_GETNSID with
// NETNSA_FD); -1 when it has none.
Result<int> netns_id(nl_sock* sock, int netns_fd);

// The link in one RTM_NEWLINK/RTM_DELLINK message (from an event socket).
Result<LinkInfo> parse_link(nlmsghdr* hdr);

}  // namespace warren::liveness::nl
