#pragma once
// Host-link learning (issue 7 item 3): for an attachment (netns path + container ifname), the
// host side of its veth, whose existence is signal 3 of DESIGN §7 and where its traffic shows.
//
// How NlHostLinkFinder looks without ever moving the agent's threads: a short-lived thread
// setns()es into the pod's namespace, opens a route socket there (a socket keeps the namespace
// it was made in) and exits; the calling thread then queries through that socket. It reads the
// container interface (must be a veth whose peer is in another namespace), checks the peer's
// namespace is ours (the pod's id for our namespace equals the interface's IFLA_LINK_NETNSID)
// and that our link IFLA_LINK names points back at the container interface.
//
// HostLinkFinder is the seam (fake: tests/support/fake_host_link_finder.hpp).
// Thread-safety: none; one thread uses an instance (each find() makes and joins its thread).
// Errors: values. A namespace or interface that is not (or no longer) there is an outcome, not an
// error; errors are failures to ask (permissions, netlink, thread creation).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "liveness/link_info.hpp"
#include "liveness/nl.hpp"
#include "warren/error.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {

enum class HostLinkOutcome {
    found,
    netns_gone,    // nothing at the path, not a namespace, or another one than recorded
    no_interface,  // the namespace has no interface by that name
    no_host_peer,  // the interface is not a veth with its peer in our namespace
};
std::string_view to_string(HostLinkOutcome outcome);

struct HostLink {
    HostLinkOutcome outcome = HostLinkOutcome::netns_gone;
    LinkInfo host;              // when found: the host-side veth (ifindex, name, ...)
    int container_ifindex = 0;  // when found or no_host_peer: the interface's ifindex in the pod
    // The namespace's cookie (netns_cookie.hpp), read on the socket made in it; 0 unless the
    // namespace was entered, or when the kernel cannot tell (before 5.14).
    uint64_t netns_cookie = 0;
};

class HostLinkFinder {
  public:
    virtual ~HostLinkFinder() = default;
    // `recorded_inode` 0: any network namespace at the path will do.
    virtual Result<HostLink> find(const std::string& netns_path, const std::string& ifname,
                                  uint64_t recorded_inode) = 0;
    // The same answer, when it can be had without entering the namespace (no thread: an ADD
    // waits for it); nullopt when it cannot (then ask find()). netns_cookie stays 0.
    virtual Result<std::optional<HostLink>> find_from_outside(const std::string& netns_path,
                                                              const std::string& ifname,
                                                              uint64_t recorded_inode) {
        (void)netns_path, (void)ifname, (void)recorded_inode;
        return std::nullopt;
    }
};

class NlHostLinkFinder final : public HostLinkFinder {
  public:
    // Remembers the calling thread's network namespace as "ours" (the host's).
    static Result<std::unique_ptr<NlHostLinkFinder>> open();
    Result<HostLink> find(const std::string& netns_path, const std::string& ifname,
                          uint64_t recorded_inode) override;
    // From our namespace: our id for the pod's (RTM_GETNSID), the pod's interface through that
    // id (IFLA_TARGET_NETNSID), then our link it names, which must point back at it and at that
    // id. No id (the kernel assigns one when a veth joins the namespaces) is no_interface; nullopt
    // when the kernel refuses the query (before 4.20).
    Result<std::optional<HostLink>> find_from_outside(const std::string& netns_path,
                                                      const std::string& ifname,
                                                      uint64_t recorded_inode) override;

  private:
    NlHostLinkFinder(Fd own_netns, nl::Sock host)
        : own_netns_(std::move(own_netns)), host_(std::move(host)) {}

    Fd own_netns_;
    nl::Sock host_;
};

// A route socket in the network namespace open at `netns_fd`, made on a short-lived thread; the
// calling thread never changes namespace.
Result<nl::Sock> connect_route_in(int netns_fd);

}  // namespace warren::liveness
