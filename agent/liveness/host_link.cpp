#include "liveness/host_link.hpp"

#include <fcntl.h>
#include <netlink/socket.h>
#include <sched.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "liveness/netns_cookie.hpp"
#include "liveness/netns_prober.hpp"

namespace warren::liveness {

std::string_view to_string(HostLinkOutcome outcome) {
    switch (outcome) {
        case HostLinkOutcome::found:
            return "found";
        case HostLinkOutcome::netns_gone:
            return "netns gone";
        case HostLinkOutcome::no_interface:
            return "no such interface";
        case HostLinkOutcome::no_host_peer:
            return "no host-side peer";
    }
    return "unknown";
}

Result<nl::Sock> connect_route_in(int netns_fd) {
    Result<nl::Sock> out = fail(Code::internal, "namespace thread did not run");
    try {
        // The thread dies in the other namespace; nothing else ever runs on it.
        std::thread t([&] {
            if (::setns(netns_fd, CLONE_NEWNET) != 0) {
                out = fail_errno("cannot enter the pod's network namespace (setns)");
                return;
            }
            out = nl::connect_route();
        });
        t.join();
    } catch (const std::system_error& e) {
        return fail_errno("cannot start a thread to enter the pod's network namespace",
                          e.code().value());
    }
    return out;
}

namespace {

// The network namespace at `path`, opened, when it is the recorded one (any, for inode 0);
// nullopt when nothing or another namespace is there. The file can go between the two opens:
// that is the pod going, not a failure.
Result<std::optional<Fd>> open_recorded(const std::string& path, uint64_t recorded_inode) {
    auto ns = open_ns_path(path);
    if (!ns) return std::unexpected(std::move(ns.error()));
    if (!*ns || !(*ns)->nsfs || (recorded_inode != 0 && (*ns)->inode != recorded_inode))
        return std::nullopt;
    auto fd = open_net_namespace(**ns, path);
    if (!fd) {
        if (fd.error().sys_errno == ENOENT) return std::nullopt;
        return std::unexpected(std::move(fd.error()));
    }
    return std::optional<Fd>(std::move(*fd));
}

}  // namespace

Result<std::unique_ptr<NlHostLinkFinder>> NlHostLinkFinder::open() {
    Fd own{::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)};
    if (!own) return fail_errno("cannot open our own network namespace /proc/thread-self/ns/net");
    auto sock = nl::connect_route();
    if (!sock) return std::unexpected(std::move(sock.error()));
    return std::unique_ptr<NlHostLinkFinder>{
        new NlHostLinkFinder(std::move(own), std::move(*sock))};
}

Result<HostLink> NlHostLinkFinder::find(const std::string& netns_path, const std::string& ifname,
                                        uint64_t recorded_inode) {
    HostLink out;
    auto ns_fd = open_recorded(netns_path, recorded_inode);
    if (!ns_fd) return std::unexpected(std::move(ns_fd.error()));
    if (!*ns_fd) return out;  // netns_gone
    auto pod = connect_route_in((*ns_fd)->get());
    if (!pod) return std::unexpected(std::move(pod.error()));
    // For pods an older plugin ADDed without a cookie; a kernel that cannot tell leaves 0.
    if (auto cookie = socket_netns_cookie(nl_socket_get_fd(pod->get()))) out.netns_cookie = *cookie;

    auto inner = nl::get_link(pod->get(), 0, ifname);
    if (!inner) return std::unexpected(std::move(inner.error()));
    if (!*inner) {
        out.outcome = HostLinkOutcome::no_interface;
        return out;
    }
    out.outcome = HostLinkOutcome::no_host_peer;
    out.container_ifindex = (*inner)->ifindex;
    if (!(*inner)->is_pod_facing_veth() || (*inner)->link <= 0) return out;

    // Is the peer's namespace ours? Ask the pod's namespace for its id of ours.
    auto our_id = nl::netns_id(pod->get(), own_netns_.get());
    if (!our_id) return std::unexpected(std::move(our_id.error()));
    if (*our_id < 0 || *our_id != (*inner)->link_netnsid) return out;

    auto host = nl::get_link(host_.get(), (*inner)->link);
    if (!host) return std::unexpected(std::move(host.error()));
    if (!*host || !(*host)->is_veth() || (*host)->link != (*inner)->ifindex) return out;
    out.outcome = HostLinkOutcome::found;
    out.host = std::move(**host);
    return out;
}

Result<std::optional<HostLink>> NlHostLinkFinder::find_from_outside(const std::string& netns_path,
                                                                    const std::string& ifname,
                                                                    uint64_t recorded_inode) {
    HostLink out;
    auto ns_fd = open_recorded(netns_path, recorded_inode);
    if (!ns_fd) return std::unexpected(std::move(ns_fd.error()));
    if (!*ns_fd) return out;  // netns_gone
    auto id = nl::netns_id(host_.get(), (*ns_fd)->get());
    if (!id) return std::nullopt;
    // The kernel gives the pod's namespace an id in ours as soon as a veth joins the two; none
    // means no link of ours leads there yet (ptp makes its veth after asking IPAM): answered as
    // no interface, which the GC asks about again later.
    if (*id < 0) {
        out.outcome = HostLinkOutcome::no_interface;
        return out;
    }
    auto inner = nl::get_link_in(host_.get(), *id, ifname);
    if (!inner) return std::nullopt;  // an older kernel: find() will do
    if (!*inner) {
        out.outcome = HostLinkOutcome::no_interface;
        return out;
    }
    out.outcome = HostLinkOutcome::no_host_peer;
    out.container_ifindex = (*inner)->ifindex;
    if (!(*inner)->is_veth() || (*inner)->link <= 0) return out;
    auto host = nl::get_link(host_.get(), (*inner)->link);
    if (!host) return std::unexpected(std::move(host.error()));
    if (!*host || !(*host)->is_veth() || (*host)->link != (*inner)->ifindex ||
        (*host)->link_netnsid != *id)
        return out;
    out.outcome = HostLinkOutcome::found;
    out.host = std::move(**host);
    return out;
}

}  // namespace warren::liveness
