#pragma once
// GuardMaps in memory, with failure injection and the classifier's part (check()), so the
// agent's anti-spoofing is tested without root. Mirrors BpfGuardMaps' semantics.
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "liveness/guard_maps.hpp"

namespace warren::testing {

class FakeGuardMaps final : public liveness::GuardMaps {
  public:
    using LinkSources = liveness::LinkSources;
    using Spoof = liveness::Spoof;
    using SpoofMode = liveness::SpoofMode;
    enum class Verdict { pass, drop };

    explicit FakeGuardMaps(size_t spoofs_capacity = WARREN_SPOOFS_MAX_ENTRIES)
        : spoofs_capacity_(spoofs_capacity) {}

    // What the classifier does with one packet from `src` arriving on host link `ifindex`: no
    // entry or mode off passes unchecked; fe80::/10, :: and 0.0.0.0 pass; a listed source passes;
    // anything else is counted in spoofs and passed (log) or dropped (drop).
    Verdict check(uint32_t ifindex, const IpAddress& src, uint64_t bytes, uint64_t now_ns) {
        std::lock_guard lock(mu_);
        auto l = links_.find(ifindex);
        if (l == links_.end() || l->second.mode == SpoofMode::off) return Verdict::pass;
        if (always_passes(src)) return Verdict::pass;
        if (std::ranges::find(l->second.addresses, src) != l->second.addresses.end())
            return Verdict::pass;
        const bool drop = l->second.mode == SpoofMode::drop;
        auto key = std::pair{ifindex, src};
        auto s = spoofs_.find(key);
        if (s == spoofs_.end()) {
            if (spoofs_.size() >= spoofs_capacity_) evict_least_recent();
            s = spoofs_
                    .emplace(key, Spoof{.ifindex = ifindex, .source = src, .first_seen_ns = now_ns})
                    .first;
        }
        s->second.last_seen_ns = now_ns;
        ++s->second.packets;
        s->second.bytes += bytes;
        if (drop) ++s->second.dropped;
        return drop ? Verdict::drop : Verdict::pass;
    }

    // The next map operation fails with `e`.
    void fail_next(Error e) {
        std::lock_guard lock(mu_);
        fail_ = std::move(e);
    }
    // The next set_link or clear_link fails with `e` (reads still answer).
    void fail_next_write(Error e) {
        std::lock_guard lock(mu_);
        fail_write_ = std::move(e);
    }
    // Map writes and deletes so far (set_link, clear_link), to see what was left alone.
    int writes() const {
        std::lock_guard lock(mu_);
        return writes_;
    }
    int deletes() const {
        std::lock_guard lock(mu_);
        return deletes_;
    }
    // The entry of `ifindex` as the kernel has it.
    std::optional<LinkSources> link(uint32_t ifindex) const {
        std::lock_guard lock(mu_);
        auto it = links_.find(ifindex);
        if (it == links_.end()) return std::nullopt;
        return it->second;
    }

    Status set_link(const LinkSources& s) override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        if (auto e = std::exchange(fail_write_, std::nullopt)) return std::unexpected(*e);
        if (s.addresses.size() > WARREN_LINK_ADDRS)
            return fail(Code::invalid_config, "link " + std::to_string(s.ifindex) + " has " +
                                                  std::to_string(s.addresses.size()) +
                                                  " addresses, more than " +
                                                  std::to_string(WARREN_LINK_ADDRS));
        ++writes_;
        links_[s.ifindex] = s;
        return {};
    }
    Status clear_link(uint32_t ifindex) override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        if (auto e = std::exchange(fail_write_, std::nullopt)) return std::unexpected(*e);
        ++deletes_;
        links_.erase(ifindex);
        return {};
    }
    Result<std::vector<LinkSources>> links() const override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        std::vector<LinkSources> out;
        for (auto& [i, l] : links_) out.push_back(l);
        return out;
    }
    Result<std::vector<Spoof>> spoofs() const override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        std::vector<Spoof> out;
        for (auto& [k, s] : spoofs_) out.push_back(s);
        return out;
    }
    Status clear_spoofs(uint32_t ifindex) override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        std::erase_if(spoofs_, [&](const auto& kv) { return kv.first.first == ifindex; });
        return {};
    }

  private:
    static bool always_passes(const IpAddress& a) {
        if (a.value() == 0) return true;  // 0.0.0.0 (DHCP, ARP probes) and :: (DAD)
        return !a.is_v4() && (a.value() >> 118) == (u128{0xfe80} >> 6);  // fe80::/10
    }
    void evict_least_recent() {
        auto oldest = spoofs_.begin();
        for (auto it = spoofs_.begin(); it != spoofs_.end(); ++it)
            if (it->second.last_seen_ns < oldest->second.last_seen_ns) oldest = it;
        if (oldest != spoofs_.end()) spoofs_.erase(oldest);
    }
    std::optional<Error> take_failure() const { return std::exchange(fail_, std::nullopt); }

    mutable std::mutex mu_;
    size_t spoofs_capacity_;
    std::map<uint32_t, LinkSources> links_;
    std::map<std::pair<uint32_t, IpAddress>, Spoof> spoofs_;
    mutable std::optional<Error> fail_;
    std::optional<Error> fail_write_;
    int writes_ = 0;
    int deletes_ = 0;
};

}  // namespace warren::testing
