#pragma once
// A LivenessManager over fakes for every seam, on an io_context the test drives with poll().
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>

#include "liveness/manager.hpp"
#include "support/fake_datapath.hpp"
#include "support/fake_holder_scanner.hpp"
#include "support/fake_host_link_finder.hpp"
#include "support/fake_link_watcher.hpp"
#include "support/fake_netns_cookie_reader.hpp"
#include "support/fake_netns_prober.hpp"

namespace warren::testing {

inline IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

// A host-side veth whose peer is in a pod (pod-facing), or in our namespace (not).
inline liveness::LinkInfo veth(int ifindex, std::string name, bool pod_facing = true) {
    return {.ifindex = ifindex,
            .name = std::move(name),
            .kind = "veth",
            .link = 2,
            .link_netnsid = pod_facing ? 0 : -1};
}
inline liveness::LinkInfo bridge(int ifindex, std::string name) {
    return {.ifindex = ifindex, .name = std::move(name), .kind = "bridge"};
}

class ManagerTest : public ::testing::Test {
  protected:
    // The seams over this fixture's fakes; the watcher starts with `links`.
    liveness::LivenessSeams seams(std::vector<liveness::LinkInfo> links = {}) {
        liveness::LivenessSeams s;
        s.load_datapath =
            [this](const liveness::Options& o) -> Result<std::unique_ptr<liveness::Datapath>> {
            ++loads;
            loaded_with = o;
            if (load_error) return std::unexpected(*load_error);
            return std::make_unique<FakeDatapath>(dp);
        };
        auto w = std::make_unique<FakeLinkWatcher>(std::move(links));
        watcher = w.get();
        s.open_link_watcher = [this, w = std::shared_ptr<FakeLinkWatcher>(std::move(
                                         w))]() -> Result<std::unique_ptr<liveness::LinkWatcher>> {
            if (watcher_error) return std::unexpected(*watcher_error);
            // The fixture keeps `watcher` pointing at the instance handed over.
            return std::unique_ptr<liveness::LinkWatcher>(new FakeLinkWatcherHandle(w));
        };
        auto f = std::make_unique<FakeHostLinkFinder>();
        finder = f.get();
        s.open_host_link_finder = [this, f = std::shared_ptr<FakeHostLinkFinder>(std::move(f))]()
            -> Result<std::unique_ptr<liveness::HostLinkFinder>> {
            if (finder_error) return std::unexpected(*finder_error);
            return std::unique_ptr<liveness::HostLinkFinder>(new FakeFinderHandle(f));
        };
        auto p = std::make_unique<FakeNetnsProber>();
        prober = p.get();
        s.netns_prober = std::move(p);
        auto h = std::make_unique<FakeHolderScanner>();
        holders = h.get();
        s.holder_scanner = std::move(h);
        auto c = std::make_unique<FakeNetnsCookieReader>();
        cookies = c.get();
        s.cookie_reader = std::move(c);
        s.read_clock = [this] { return clock; };
        s.probe_host = [this](const std::filesystem::path&) { return host; };
        return s;
    }

    std::unique_ptr<liveness::LivenessManager> make(liveness::LivenessConfig config,
                                                    std::vector<liveness::LinkInfo> links = {}) {
        return std::make_unique<liveness::LivenessManager>(io, std::move(config),
                                                           seams(std::move(links)));
    }
    // A started manager in mode `auto` (asserts that start succeeded).
    std::unique_ptr<liveness::LivenessManager> started(std::vector<liveness::LinkInfo> links = {},
                                                       liveness::LivenessConfig config = {}) {
        auto m = make(std::move(config), std::move(links));
        auto ok = m->start();
        EXPECT_TRUE(ok) << ok.error().describe();
        return m;
    }

    boost::asio::io_context io;
    std::shared_ptr<FakeDatapathState> dp = std::make_shared<FakeDatapathState>();
    std::optional<Error> load_error;
    std::optional<Error> watcher_error;
    std::optional<Error> finder_error;
    int loads = 0;
    std::optional<liveness::Options> loaded_with;
    liveness::EbpfHost host{.root = true, .bpffs = true, .kernel_btf = true};
    liveness::WireClock clock{.realtime_ns = 1'700'000'000'000'000'000,
                              .monotonic_coarse_ns = 5'000'000'000,
                              .offset_ns = 1'699'999'990'000'000'000,
                              .tick_ns = 4'000'000};
    FakeLinkWatcher* watcher = nullptr;
    FakeHostLinkFinder* finder = nullptr;
    FakeNetnsProber* prober = nullptr;
    FakeHolderScanner* holders = nullptr;
    FakeNetnsCookieReader* cookies = nullptr;

  private:
    // The seams hand out owning pointers; these forward to fakes the fixture can still reach.
    class FakeLinkWatcherHandle final : public liveness::LinkWatcher {
      public:
        explicit FakeLinkWatcherHandle(std::shared_ptr<FakeLinkWatcher> w) : w_(std::move(w)) {}
        int fd() const override { return w_->fd(); }
        Result<liveness::LinkDrain> process_events(const liveness::LinkSink& sink) override {
            return w_->process_events(sink);
        }
        const liveness::LinkMap& links() const override { return w_->links(); }
        Result<std::optional<liveness::LinkInfo>> get(int ifindex) override {
            return w_->get(ifindex);
        }
        Result<std::vector<liveness::LinkInfo>> list() override { return w_->list(); }

      private:
        std::shared_ptr<FakeLinkWatcher> w_;
    };
    class FakeFinderHandle final : public liveness::HostLinkFinder {
      public:
        explicit FakeFinderHandle(std::shared_ptr<FakeHostLinkFinder> f) : f_(std::move(f)) {}
        Result<liveness::HostLink> find(const std::string& netns, const std::string& ifname,
                                        uint64_t inode) override {
            return f_->find(netns, ifname, inode);
        }

      private:
        std::shared_ptr<FakeHostLinkFinder> f_;
    };
};

}  // namespace warren::testing
