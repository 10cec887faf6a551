#pragma once
// What the liveness code knows about a network interface of the agent's (host) namespace, and
// LinkTable: the table of those links kept current from netlink, whose changes are LinkEvents.
// Pure: no sockets; LinkWatcher (link_watcher.hpp) feeds it.
//
// Thread-safety: none; a LinkTable belongs to one thread.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::liveness {

struct LinkInfo {
    int ifindex = 0;
    std::string name;
    std::string kind;  // IFLA_INFO_KIND: "veth", "bridge", ...; empty for a physical NIC
    int link = 0;      // IFLA_LINK: for a veth the peer's ifindex (in the peer's netns); 0 if none
    int link_netnsid = -1;  // IFLA_LINK_NETNSID: the peer's netns as an id of ours; -1 = same netns
    int master = 0;         // IFLA_MASTER: the bridge (or bond) it is enslaved to; 0 if none

    bool is_veth() const { return kind == "veth"; }
    // A veth whose other end lives in another network namespace: the host side of a pod's link,
    // where the classifier goes.
    bool is_pod_facing_veth() const { return is_veth() && link_netnsid >= 0; }

    bool operator==(const LinkInfo&) const = default;
};

enum class LinkEventType { added, changed, removed };
std::string_view to_string(LinkEventType type);

struct LinkEvent {
    LinkEventType type = LinkEventType::added;
    LinkInfo link;  // for `removed`, the link as it was last known
};

using LinkMap = std::map<int, LinkInfo>;  // by ifindex

class LinkTable {
  public:
    // A link reported present (RTM_NEWLINK or a listing): `added` when its ifindex is new,
    // `changed` when a field of LinkInfo differs, nothing when it is the same (the kernel sends
    // RTM_NEWLINK for every flag or carrier change).
    std::optional<LinkEvent> upsert(LinkInfo link);
    // A link reported gone (RTM_DELLINK): `removed` with its last known info, nothing if unknown.
    std::optional<LinkEvent> erase(int ifindex);
    // Makes the table equal to a complete `listing` (start-up, or after lost events): `removed`
    // for every link missing from it, then `added`/`changed` in ifindex order.
    std::vector<LinkEvent> resync(const std::vector<LinkInfo>& listing);

    // Veths of ours whose peer is `ifindex` in our namespace. When that peer leaves (deleted or
    // moved into a pod), the kernel sends nothing about them, so they must be asked again.
    std::vector<int> same_netns_peers_of(int ifindex) const;

    const LinkMap& links() const { return links_; }
    const LinkInfo* find(int ifindex) const;

  private:
    LinkMap links_;
};

}  // namespace warren::liveness
