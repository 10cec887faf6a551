#pragma once
// Links of the agent's network namespace, and their changes as they happen (DESIGN §7, signal 3:
// "the host side of the pod's link still exists"; and where the tc classifier goes).
//
// LinkWatcher is the seam (fake: tests/support/fake_link_watcher.hpp); NlLinkWatcher is libnl's.
// It owns no thread: the daemon waits for fd() to become readable (e.g.
// asio::posix::stream_descriptor::async_wait(wait_read)) and then calls process_events(), which
// reads everything pending without blocking and reports the changes to links() as LinkEvents.
//
// Start-up: open() subscribes to RTNLGRP_LINK first and lists second, so no link is missed;
// links() then holds every link present at start (no event is reported for those).
// Lost events: when the kernel drops notifications (ENOBUFS, the socket's buffer overflowed),
// process_events() discards what is queued, lists again and reports the difference, so the
// table and the events stay right; LinkDrain::resyncs counts those.
// A link can vanish at any time after its event (a pod deleted): whoever acts on an event treats
// ENODEV as normal; get()/exists() ask the kernel now.
// Attaching: a veth made in our namespace whose peer is then moved into a pod is first `added`
// with both ends here, then `changed` when its peer leaves (the kernel says nothing about the
// veth that stays, so the watcher asks for it again when its peer's RTM_DELLINK comes); so
// attach on added or changed, when LinkInfo::is_pod_facing_veth() (or the name is in
// liveness.interfaces). A veth made inside the pod and moved out (CNI's bridge/ptp plugins) is
// `added` pod-facing already.
//
// Thread-safety: none; one thread (the daemon's event loop) uses an instance.
// Errors: values; nothing throws.
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "liveness/link_info.hpp"
#include "liveness/nl.hpp"
#include "warren/error.hpp"

namespace warren::liveness {

using LinkSink = std::function<void(const LinkEvent&)>;

struct LinkDrain {
    size_t messages = 0;  // netlink messages read
    size_t events = 0;    // LinkEvents reported
    size_t resyncs = 0;   // relistings after lost notifications
};

class LinkWatcher {
  public:
    virtual ~LinkWatcher() = default;

    // Readable when process_events() has something to do. Owned by the watcher; only wait on it.
    virtual int fd() const = 0;
    // Reads every pending notification (never blocks) and reports each change of links() to
    // `sink`, in the order they happened. Fails only when the socket itself fails.
    virtual Result<LinkDrain> process_events(const LinkSink& sink) = 0;
    // The links as of the last process_events() (or open()), by ifindex.
    virtual const LinkMap& links() const = 0;

    // The kernel's link `ifindex` now (not the table); nullopt when there is none.
    virtual Result<std::optional<LinkInfo>> get(int ifindex) = 0;
    // Every link now, from one dump: for a GC pass that checks many allocations at once.
    virtual Result<std::vector<LinkInfo>> list() = 0;

    Result<bool> exists(int ifindex) {
        auto link = get(ifindex);
        if (!link) return std::unexpected(std::move(link.error()));
        return link->has_value();
    }
};

class NlLinkWatcher final : public LinkWatcher {
  public:
    // Subscribes to link notifications (non-blocking socket, receive buffer raised so a burst of
    // pods does not overflow it) and lists the links of the calling thread's namespace.
    static Result<std::unique_ptr<NlLinkWatcher>> open();

    int fd() const override;
    Result<LinkDrain> process_events(const LinkSink& sink) override;
    const LinkMap& links() const override { return table_.links(); }
    Result<std::optional<LinkInfo>> get(int ifindex) override;
    Result<std::vector<LinkInfo>> list() override;

  private:
    NlLinkWatcher(nl::Sock events, nl::Sock query)
        : events_(std::move(events)), query_(std::move(query)) {}
    // Drops whatever is queued on the event socket, lists, reports the difference.
    Status resync(const LinkSink& sink, LinkDrain& drain);
    // Asks the kernel again about the veths whose same-namespace peer `ifindex` just left.
    Status refresh_peers_of(int ifindex, const LinkSink& sink, LinkDrain& drain);

    nl::Sock events_;  // subscribed to RTNLGRP_LINK, non-blocking, read by hand
    nl::Sock query_;   // blocking, for listings and single queries
    LinkTable table_;
    std::vector<char> buf_;
};

}  // namespace warren::liveness
