#pragma once
// LinkWatcher for unit tests. The "kernel" is a map the test edits (add/remove); each edit also
// queues the notification and makes fd() (an eventfd) readable, so a test can drive an event
// loop the way the daemon does. get()/list() answer from the kernel map at once, links() only
// after process_events(): a link removed "after its event" is there in links() but get() says
// nullopt, as with the real watcher. lose_events() drops what is queued and makes the next
// process_events() resync, like ENOBUFS.
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <optional>

#include "liveness/link_watcher.hpp"
#include "warren/fd.hpp"

namespace warren::testing {

class FakeLinkWatcher final : public liveness::LinkWatcher {
  public:
    // `initial` links are present "at start" (in links() without events).
    explicit FakeLinkWatcher(std::vector<liveness::LinkInfo> initial = {})
        : efd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        for (auto& l : initial) kernel_[l.ifindex] = l;
        table_.resync(initial);
    }

    void add(liveness::LinkInfo link) {
        kernel_[link.ifindex] = link;
        queue_.push_back({true, std::move(link)});
        wake();
    }
    void remove(int ifindex) {
        auto it = kernel_.find(ifindex);
        if (it == kernel_.end()) return;
        queue_.push_back({false, it->second});
        kernel_.erase(it);
        wake();
    }
    void lose_events() {
        queue_.clear();
        lost_ = true;
        wake();
    }
    void fail_next_get(Error e) { get_failure_ = std::move(e); }

    int fd() const override { return efd_.get(); }
    Result<liveness::LinkDrain> process_events(const liveness::LinkSink& sink) override {
        uint64_t n = 0;
        (void)!::read(efd_.get(), &n, sizeof n);
        liveness::LinkDrain drain;
        if (lost_) {
            lost_ = false;
            ++drain.resyncs;
            std::vector<liveness::LinkInfo> now;
            for (auto& [i, l] : kernel_) now.push_back(l);
            for (auto& ev : table_.resync(now)) {
                ++drain.events;
                sink(ev);
            }
        }
        while (!queue_.empty()) {
            auto [present, link] = std::move(queue_.front());
            queue_.pop_front();
            ++drain.messages;
            auto ev = present ? table_.upsert(link) : table_.erase(link.ifindex);
            if (!ev) continue;
            ++drain.events;
            sink(*ev);
        }
        return drain;
    }
    const liveness::LinkMap& links() const override { return table_.links(); }
    Result<std::optional<liveness::LinkInfo>> get(int ifindex) override {
        if (get_failure_) {
            Error e = std::move(*get_failure_);
            get_failure_.reset();
            return std::unexpected(std::move(e));
        }
        auto it = kernel_.find(ifindex);
        if (it == kernel_.end()) return std::nullopt;
        return it->second;
    }
    Result<std::vector<liveness::LinkInfo>> list() override {
        std::vector<liveness::LinkInfo> out;
        for (auto& [i, l] : kernel_) out.push_back(l);
        return out;
    }

  private:
    void wake() {
        const uint64_t one = 1;
        (void)!::write(efd_.get(), &one, sizeof one);
    }

    Fd efd_;
    std::map<int, liveness::LinkInfo> kernel_;
    std::deque<std::pair<bool, liveness::LinkInfo>> queue_;
    bool lost_ = false;
    std::optional<Error> get_failure_;
    liveness::LinkTable table_;
};

}  // namespace warren::testing
