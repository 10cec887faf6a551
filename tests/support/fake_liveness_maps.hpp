#pragma once
// LivenessMaps in memory, with the classifier's behaviour (see()) and failure injection, so GC
// and the service are tested without root. Mirrors BpfMaps' semantics (tests/bpf/maps_test.cpp
// runs the same cases on both).
#include <map>
#include <mutex>
#include <optional>

#include "liveness/liveness_maps.hpp"

namespace warren::testing {

class FakeLivenessMaps final : public liveness::LivenessMaps {
  public:
    using Observation = liveness::Observation;
    using Entry = liveness::Entry;

    explicit FakeLivenessMaps(size_t strangers_capacity = WARREN_STRANGERS_MAX_ENTRIES)
        : strangers_capacity_(strangers_capacity) {}

    // What the classifier does with one packet from `source` arriving on `ifindex`.
    void see(const IpAddress& source, uint32_t ifindex, uint64_t now_ns, uint64_t bytes = 100) {
        std::lock_guard lock(mu_);
        auto w = watch_.find(source);
        if (w != watch_.end()) return record(w->second, ifindex, now_ns, bytes);
        auto s = strangers_.find(source);
        if (s == strangers_.end()) {
            if (strangers_.size() >= strangers_capacity_) evict_oldest_stranger();
            strangers_[source] = Observation{now_ns, 1, bytes, ifindex, ifindex, false};
            return;
        }
        record(s->second, ifindex, now_ns, bytes);
    }
    // The next map operation fails with `e`.
    void fail_next(Error e) {
        std::lock_guard lock(mu_);
        fail_ = std::move(e);
    }

    Status watch(const IpAddress& a) override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        watch_.try_emplace(a);
        return {};
    }
    Status unwatch(const IpAddress& a) override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        watch_.erase(a);
        return {};
    }
    Result<std::optional<Observation>> observation(const IpAddress& a) const override {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        auto it = watch_.find(a);
        if (it == watch_.end()) return std::nullopt;
        return it->second;
    }
    Result<std::vector<Entry>> watched() const override { return dump(watch_); }
    Result<std::vector<Entry>> strangers() const override { return dump(strangers_); }

  private:
    static void record(Observation& o, uint32_t ifindex, uint64_t now_ns, uint64_t bytes) {
        ++o.packets;
        o.bytes += bytes;
        o.last_seen_ns = now_ns;
        o.ifindex = ifindex;
        if (o.first_ifindex == 0) o.first_ifindex = ifindex;
        if (o.first_ifindex != ifindex) o.multi_link = true;
    }
    void evict_oldest_stranger() {
        auto oldest = strangers_.begin();
        for (auto it = strangers_.begin(); it != strangers_.end(); ++it)
            if (it->second.last_seen_ns < oldest->second.last_seen_ns) oldest = it;
        if (oldest != strangers_.end()) strangers_.erase(oldest);
    }
    std::optional<Error> take_failure() const { return std::exchange(fail_, std::nullopt); }
    Result<std::vector<Entry>> dump(const std::map<IpAddress, Observation>& m) const {
        std::lock_guard lock(mu_);
        if (auto e = take_failure()) return std::unexpected(*e);
        std::vector<Entry> out;
        for (const auto& [a, o] : m) out.push_back({a, o});
        return out;
    }

    mutable std::mutex mu_;
    size_t strangers_capacity_;
    std::map<IpAddress, Observation> watch_;
    std::map<IpAddress, Observation> strangers_;
    mutable std::optional<Error> fail_;
};

}  // namespace warren::testing
