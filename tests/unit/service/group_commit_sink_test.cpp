// The service over the real group committer (fake disk): a lone change is journaled on the
// caller's thread, a burst shares syncs, and every answer comes after its change is on disk.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "core/range.hpp"
#include "journal/codec.hpp"
#include "service/commit_sink.hpp"
#include "service/ipam_service.hpp"
#include "support/fake_storage.hpp"
#include "support/requests.hpp"

using namespace warren;
using namespace warren::service;
using namespace std::chrono_literals;

namespace {

struct SteadyClock : core::Clock {
    int64_t now_ns() const override { return 1'000'000'000'000; }
};

struct SinkTest : ::testing::Test {
    std::shared_ptr<warren::testing::FakeDisk> disk = std::make_shared<warren::testing::FakeDisk>();
    std::unique_ptr<journal::Journal> journal;
    boost::asio::io_context io;
    core::IpamState state{30'000'000'000};
    SteadyClock clock;

    void SetUp() override {
        auto opened = journal::Journal::open(std::make_unique<warren::testing::FakeStorage>(disk));
        ASSERT_TRUE(opened);
        journal = std::move(opened->first);
        auto sets = core::range_sets_from_cidrs({"10.1.0.0/16"});
        ASSERT_TRUE(state.define_pool("default", *sets, core::PoolSource::config));
    }
    static proto::Request add(const std::string& cid) { return warren::testing::add_request(cid); }
    size_t records_on_disk() const { return journal::decode_records(disk->journal(), 0).records.size(); }
};

TEST_F(SinkTest, ALoneChangeIsDurableWhenHandleReturns) {
    journal::GroupCommitter committer(*journal);
    GroupCommitSink sink(committer);
    {
        IpamService svc{io, state, sink, clock, 1, {}, [](const std::string&) { return uint64_t{1}; }};
        std::optional<proto::Response> got;
        svc.handle(add("a"), [&](proto::Response r) { got = r; });
        EXPECT_EQ(records_on_disk(), 1u);  // written and synced on this thread, inside handle()
        io.poll();                          // the answer needs no other thread
        ASSERT_TRUE(got);
        EXPECT_TRUE(got->ok);
        EXPECT_TRUE(svc.idle());
    }
}

TEST_F(SinkTest, ABurstSharesSyncsAndEveryAnswerFollowsItsSync) {
    disk->on_sync([] { std::this_thread::sleep_for(1ms); });
    journal::GroupCommitter committer(*journal);
    GroupCommitSink sink(committer);
    {
        IpamService svc{io, state, sink, clock, 1, {}, [](const std::string&) { return uint64_t{1}; }};
        constexpr int kN = 200;
        std::vector<proto::Response> got;
        std::set<std::string> addresses;
        for (int i = 0; i < kN; ++i)
            svc.handle(add(std::to_string(i)), [&](proto::Response r) {
                // Everything answered so far is on the disk already.
                EXPECT_LE(got.size() + 1, records_on_disk());
                got.push_back(r);
            });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (got.size() < kN && std::chrono::steady_clock::now() < deadline) {
            io.restart();
            io.run_for(10ms);
        }
        ASSERT_EQ(got.size(), size_t{kN});
        for (auto& r : got) {
            ASSERT_TRUE(r.ok) << r.msg;
            addresses.insert(r.ips.at(0).address);
        }
        EXPECT_EQ(addresses.size(), size_t{kN});
        EXPECT_EQ(records_on_disk(), size_t{kN});
        EXPECT_LT(disk->syncs(), uint64_t{kN / 4});  // group commit: far fewer syncs than changes
        EXPECT_TRUE(svc.idle());
    }
}

}  // namespace
