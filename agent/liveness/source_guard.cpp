#include "liveness/source_guard.hpp"

#include <spdlog/spdlog.h>

namespace warren::liveness {

namespace {

// A pod sending from thousands of sources must not flood the log: the first few new
// offenders of a pass get a line each, the rest one line together.
constexpr size_t kMaxWarningsPerPoll = 16;
constexpr size_t kMaxRemembered = 4 * WARREN_SPOOFS_MAX_ENTRIES;

std::string join(std::span<const IpAddress> addresses) {
    std::string out;
    for (const IpAddress& a : addresses) out += (out.empty() ? "" : ", ") + a.str();
    return out.empty() ? "none recorded" : out;
}

}  // namespace

Status SourceGuard::protect(const std::string& owner, uint32_t ifindex, SpoofMode mode,
                            std::span<const IpAddress> addresses) {
    if (!maps_) return {};
    if (ifindex == 0)
        return fail(Code::internal, "anti-spoofing: " + owner + " has no host link to protect");
    if (addresses.size() > WARREN_LINK_ADDRS)
        return fail(
            Code::invalid_config,
            "anti-spoofing: " + owner + " has " + std::to_string(addresses.size()) +
                " addresses, more than the " + std::to_string(WARREN_LINK_ADDRS) +
                " a host link's entry holds",
            "give the attachment at most " + std::to_string(WARREN_LINK_ADDRS) + " range sets");
    Held held{owner, mode, {addresses.begin(), addresses.end()}};
    if (mode == SpoofMode::off) {
        if (auto ok = maps_->clear_link(ifindex); !ok) return ok;
    } else {
        LinkSources entry{ifindex, mode, held.addresses};
        if (auto ok = maps_->set_link(entry); !ok) return ok;
    }
    // The owner's previous link (a repeated ADD on a new veth) is no longer its own.
    if (auto prev = by_owner_.find(owner); prev != by_owner_.end() && prev->second != ifindex) {
        const uint32_t old = prev->second;
        by_owner_.erase(prev);
        links_.erase(old);
        if (auto ok = maps_->clear_link(old); !ok)
            spdlog::warn("anti-spoofing: cannot delete the entry of ifindex {} ({}'s old link): {}",
                         old, owner, ok.error().describe());
    }
    if (auto it = links_.find(ifindex); it != links_.end() && it->second.owner != owner)
        by_owner_.erase(it->second.owner);  // a new owner takes the ifindex over
    links_[ifindex] = std::move(held);
    by_owner_[owner] = ifindex;
    return {};
}

Status SourceGuard::release(const std::string& owner) {
    if (!maps_) return {};
    auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) return {};
    const uint32_t ifindex = it->second;
    if (auto ok = maps_->clear_link(ifindex); !ok) return ok;
    by_owner_.erase(it);
    links_.erase(ifindex);
    return {};
}

void SourceGuard::link_gone(uint32_t ifindex) {
    if (!maps_) return;
    if (auto it = links_.find(ifindex); it != links_.end()) {
        by_owner_.erase(it->second.owner);
        links_.erase(it);
    }
    std::erase_if(logged_, [&](const auto& kv) { return kv.first.first == ifindex; });
    std::erase_if(last_, [&](const Offender& o) { return o.spoof.ifindex == ifindex; });
    auto entry = maps_->clear_link(ifindex);
    auto spoofs = maps_->clear_spoofs(ifindex);
    if (!entry || !spoofs)
        spdlog::warn(
            "anti-spoofing: ifindex {} is gone but its {} could not be deleted: {}; a new link "
            "given that ifindex may be checked against the old addresses until its pod's ADD",
            ifindex, !entry ? "entry" : "spoof counts",
            (!entry ? entry.error() : spoofs.error()).describe());
}

Result<SourceGuard::Reconciled> SourceGuard::reconcile(const std::vector<LinkSources>& want,
                                                       const std::vector<std::string>& owners) {
    Reconciled r;
    if (!maps_) return r;
    if (owners.size() != want.size())
        return fail(Code::internal, "anti-spoofing: reconcile got " + std::to_string(want.size()) +
                                        " entries but " + std::to_string(owners.size()) +
                                        " owners");
    auto have = maps_->links();
    if (!have) return std::unexpected(std::move(have.error()));
    std::map<uint32_t, const LinkSources*> now;
    for (const LinkSources& l : *have) now[l.ifindex] = &l;

    std::map<uint32_t, Held> links;
    std::map<std::string, uint32_t> by_owner;
    std::optional<Error> first;
    for (size_t i = 0; i < want.size(); ++i) {
        const LinkSources& w = want[i];
        auto it = now.find(w.ifindex);
        const bool present = it != now.end();
        Status ok;
        if (w.mode == SpoofMode::off) {
            if (present) {
                ok = maps_->clear_link(w.ifindex);
                if (ok) ++r.deleted;
            }
        } else if (present && *it->second == w) {
            ++r.kept;
        } else {
            ok = maps_->set_link(w);
            if (ok) ++r.written;
        }
        if (present) now.erase(it);
        if (!ok) {
            if (!first) first = ok.error();
            continue;
        }
        links[w.ifindex] = Held{owners[i], w.mode, w.addresses};
        by_owner[owners[i]] = w.ifindex;
    }
    for (const auto& [ifindex, l] : now) {
        auto ok = maps_->clear_link(ifindex);
        if (ok)
            ++r.deleted;
        else if (!first)
            first = ok.error();
    }
    links_ = std::move(links);
    by_owner_ = std::move(by_owner);
    if (first) return std::unexpected(std::move(*first));
    return r;
}

Result<std::vector<Offender>> SourceGuard::poll(
    const std::function<std::string(uint32_t)>& link_name) {
    if (!maps_) return last_;
    auto spoofs = maps_->spoofs();
    if (!spoofs) return std::unexpected(std::move(spoofs.error()));
    // Pairs the kernel evicted are forgotten once there are many (a pod spraying sources):
    // such a pair logs again if it comes back.
    if (logged_.size() > kMaxRemembered) {
        std::map<std::pair<uint32_t, IpAddress>, bool> still;
        for (const Spoof& s : *spoofs)
            if (logged_.contains({s.ifindex, s.source})) still[{s.ifindex, s.source}] = true;
        logged_ = std::move(still);
    }
    std::vector<Offender> now;
    now.reserve(spoofs->size());
    size_t logged_now = 0, unlogged = 0;
    for (Spoof& s : *spoofs) {
        Offender o;
        o.link = link_name ? link_name(s.ifindex) : std::string();
        if (o.link.empty()) o.link = "ifindex " + std::to_string(s.ifindex);
        const Held* held = nullptr;
        if (auto it = links_.find(s.ifindex); it != links_.end()) held = &it->second;
        o.owner = held ? held->owner : std::string();
        o.mode = held ? held->mode : s.dropped > 0 ? SpoofMode::drop : SpoofMode::log;
        o.spoof = std::move(s);
        const bool fresh = logged_.try_emplace({o.spoof.ifindex, o.spoof.source}, true).second;
        if (fresh && ++logged_now > kMaxWarningsPerPoll)
            ++unlogged;
        else if (fresh)
            spdlog::warn(
                "anti-spoofing: pod {} on {} sent from {}, which is not its address ({}); {} "
                "packet(s), {} (zone mode {})",
                o.owner.empty() ? "(unknown)" : o.owner, o.link, o.spoof.source.str(),
                held ? join(held->addresses) : std::string("none recorded"), o.spoof.packets,
                o.spoof.dropped > 0 ? "dropped" : "passed", to_string(o.mode));
        now.push_back(std::move(o));
    }
    if (unlogged > 0)
        spdlog::warn(
            "anti-spoofing: {} more new offender(s) this pass, not logged one by one (warrenctl "
            "show <pod> and warren_spoofed_packets_total list them)",
            unlogged);
    last_ = std::move(now);
    return last_;
}

GuardCounts SourceGuard::counts() const {
    GuardCounts c;
    for (const auto& [ifindex, h] : links_) {
        const auto m = static_cast<size_t>(h.mode);
        if (m < std::size(c.by_mode)) ++c.by_mode[m];
        if (h.mode != SpoofMode::off) ++c.links;
    }
    c.offenders = last_.size();
    for (const Offender& o : last_) {
        c.packets += o.spoof.packets;
        c.dropped += o.spoof.dropped;
    }
    return c;
}

uint32_t SourceGuard::link_of(const std::string& owner) const {
    auto it = by_owner_.find(owner);
    return it == by_owner_.end() ? 0 : it->second;
}

std::optional<LinkSources> SourceGuard::protection_of(const std::string& owner) const {
    auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) return std::nullopt;
    const Held& h = links_.at(it->second);
    return LinkSources{it->second, h.mode, h.addresses};
}

}  // namespace warren::liveness
