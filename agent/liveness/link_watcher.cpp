#include "liveness/link_watcher.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cerrno>

namespace warren::liveness {
namespace {

// Big enough for any link notification of a sane host (a NIC with many VFs can exceed it; a
// truncated message is then treated like a lost one: relist).
constexpr size_t kBufSize = 64 * 1024;
// A burst of pod creations must not overflow the socket; SO_RCVBUFFORCE (root) passes
// net.core.rmem_max.
constexpr int kRcvBuf = 4 * 1024 * 1024;

void raise_rcvbuf(int fd) {
    int size = kRcvBuf;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

}  // namespace

Result<std::unique_ptr<NlLinkWatcher>> NlLinkWatcher::open() {
    auto events = nl::connect_route();
    if (!events) return std::unexpected(std::move(events.error()));
    nl_socket_disable_seq_check(events->get());
    if (int err = nl_socket_add_membership(events->get(), RTNLGRP_LINK); err < 0)
        return std::unexpected(nl::error("cannot subscribe to link notifications", err));
    if (int err = nl_socket_set_nonblocking(events->get()); err < 0)
        return std::unexpected(nl::error("cannot make the link event socket non-blocking", err));
    raise_rcvbuf(nl_socket_get_fd(events->get()));

    auto query = nl::connect_route();
    if (!query) return std::unexpected(std::move(query.error()));

    std::unique_ptr<NlLinkWatcher> w{new NlLinkWatcher(std::move(*events), std::move(*query))};
    w->buf_.resize(kBufSize);
    auto links = w->list();
    if (!links) return std::unexpected(std::move(links.error()));
    w->table_.resync(*links);
    return w;
}

int NlLinkWatcher::fd() const {
    return nl_socket_get_fd(events_.get());
}

Result<std::optional<LinkInfo>> NlLinkWatcher::get(int ifindex) {
    return nl::get_link(query_.get(), ifindex);
}

Result<std::vector<LinkInfo>> NlLinkWatcher::list() {
    return nl::list_links(query_.get());
}

Status NlLinkWatcher::resync(const LinkSink& sink, LinkDrain& drain) {
    const int fd = this->fd();
    while (::recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT) >= 0 || errno == EINTR ||
           errno == ENOBUFS) {
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        return fail_errno("cannot read link notifications");
    auto links = list();
    if (!links) return std::unexpected(std::move(links.error()));
    for (const LinkEvent& ev : table_.resync(*links)) {
        ++drain.events;
        sink(ev);
    }
    ++drain.resyncs;
    return {};
}

Status NlLinkWatcher::refresh_peers_of(int ifindex, const LinkSink& sink, LinkDrain& drain) {
    for (int peer : table_.same_netns_peers_of(ifindex)) {
        auto now = get(peer);
        if (!now) return std::unexpected(std::move(now.error()));
        auto ev = *now ? table_.upsert(std::move(**now)) : table_.erase(peer);
        if (!ev) continue;
        ++drain.events;
        sink(*ev);
    }
    return {};
}

Result<LinkDrain> NlLinkWatcher::process_events(const LinkSink& sink) {
    LinkDrain drain;
    const int fd = this->fd();
    for (;;) {
        sockaddr_nl from{};
        iovec iov{buf_.data(), buf_.size()};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        const ssize_t n = ::recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return drain;
            if (errno != ENOBUFS) return fail_errno("cannot read link notifications");
            if (auto s = resync(sink, drain); !s) return std::unexpected(std::move(s.error()));
            continue;
        }
        if (mh.msg_flags & MSG_TRUNC) {
            if (auto s = resync(sink, drain); !s) return std::unexpected(std::move(s.error()));
            continue;
        }
        if (from.nl_pid != 0) continue;  // only the kernel speaks on this socket
        bool unreadable = false;
        int len = static_cast<int>(n);
        for (auto* hdr = reinterpret_cast<nlmsghdr*>(buf_.data()); NLMSG_OK(hdr, len);
             hdr = NLMSG_NEXT(hdr, len)) {
            if (hdr->nlmsg_type != RTM_NEWLINK && hdr->nlmsg_type != RTM_DELLINK) continue;
            ++drain.messages;
            auto link = nl::parse_link(hdr);
            if (!link) {
                unreadable = true;  // a change we cannot read is a lost one
                break;
            }
            auto ev = hdr->nlmsg_type == RTM_NEWLINK ? table_.upsert(std::move(*link))
                                                     : table_.erase(link->ifindex);
            if (!ev) continue;
            ++drain.events;
            sink(*ev);
            if (ev->type == LinkEventType::removed)
                if (auto s = refresh_peers_of(ev->link.ifindex, sink, drain); !s)
                    return std::unexpected(std::move(s.error()));
        }
        if (unreadable)
            if (auto s = resync(sink, drain); !s) return std::unexpected(std::move(s.error()));
    }
}

}  // namespace warren::liveness
