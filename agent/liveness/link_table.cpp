#include <algorithm>
#include <set>

#include "liveness/link_info.hpp"

namespace warren::liveness {

std::string_view to_string(LinkEventType type) {
    switch (type) {
        case LinkEventType::added:
            return "added";
        case LinkEventType::changed:
            return "changed";
        case LinkEventType::removed:
            return "removed";
    }
    return "unknown";
}

std::optional<LinkEvent> LinkTable::upsert(LinkInfo link) {
    auto [it, inserted] = links_.try_emplace(link.ifindex, link);
    if (inserted) return LinkEvent{LinkEventType::added, std::move(link)};
    if (it->second == link) return std::nullopt;
    it->second = link;
    return LinkEvent{LinkEventType::changed, std::move(link)};
}

std::optional<LinkEvent> LinkTable::erase(int ifindex) {
    auto it = links_.find(ifindex);
    if (it == links_.end()) return std::nullopt;
    LinkEvent ev{LinkEventType::removed, std::move(it->second)};
    links_.erase(it);
    return ev;
}

std::vector<LinkEvent> LinkTable::resync(const std::vector<LinkInfo>& listing) {
    std::set<int> present;
    for (const auto& l : listing) present.insert(l.ifindex);
    std::vector<LinkEvent> events;
    for (auto it = links_.begin(); it != links_.end();) {
        if (present.contains(it->first)) {
            ++it;
            continue;
        }
        events.push_back({LinkEventType::removed, std::move(it->second)});
        it = links_.erase(it);
    }
    std::vector<const LinkInfo*> sorted;
    for (const auto& l : listing) sorted.push_back(&l);
    std::ranges::sort(sorted, {}, [](const LinkInfo* l) { return l->ifindex; });
    for (const LinkInfo* l : sorted)
        if (auto ev = upsert(*l)) events.push_back(std::move(*ev));
    return events;
}

std::vector<int> LinkTable::same_netns_peers_of(int ifindex) const {
    std::vector<int> out;
    for (const auto& [i, l] : links_)
        if (l.is_veth() && l.link_netnsid < 0 && l.link == ifindex && i != ifindex)
            out.push_back(i);
    return out;
}

const LinkInfo* LinkTable::find(int ifindex) const {
    auto it = links_.find(ifindex);
    return it == links_.end() ? nullptr : &it->second;
}

}  // namespace warren::liveness
