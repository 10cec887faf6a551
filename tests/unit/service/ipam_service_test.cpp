// The durability pipeline with a fake journal: answers wait for the sync, share it, and a
// failed write undoes exactly the changes that were not durable.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>

#include "core/range.hpp"
#include "service/ipam_service.hpp"
#include "support/fake_commit_sink.hpp"
#include "support/requests.hpp"

using namespace warren;
using namespace warren::service;

namespace {

struct ServiceTest : ::testing::Test, warren::testing::ServiceHarness {
    ServiceTest() : ServiceHarness("10.1.0.0/24", 42) {}
    static proto::Request add(const std::string& cid) { return warren::testing::add_request(cid); }
};

}  // namespace

TEST_F(ServiceTest, AnswersOnlyAfterTheJournalSyncs) {
    std::optional<proto::Response> got;
    svc.handle(add("a"), [&](proto::Response r) { got = r; });
    EXPECT_FALSE(got);
    ASSERT_EQ(sink.jobs.size(), 1u);
    sink.complete_all();
    pump();
    ASSERT_TRUE(got);
    ASSERT_TRUE(got->ok);
    EXPECT_EQ(got->ips[0].address, "10.1.0.2/24");
    EXPECT_EQ(got->ips[0].gateway, "10.1.0.1");
    EXPECT_EQ(state.find({"net", "a", "eth0"})->netns_inode, 42u);
}

TEST_F(ServiceTest, RepeatedAddWaitsForTheFirstOnesDurability) {
    std::vector<proto::Response> got;
    svc.handle(add("a"), [&](proto::Response r) { got.push_back(r); });
    svc.handle(add("a"), [&](proto::Response r) { got.push_back(r); });
    EXPECT_EQ(sink.jobs.size(), 1u);  // the repeat changes nothing
    EXPECT_TRUE(got.empty());          // but is not answered before the first is durable
    sink.complete_all();
    pump();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].ips, got[1].ips);
}

TEST_F(ServiceTest, FailedWriteUndoesEverythingNotDurableAndAnswersTryAgain) {
    std::vector<proto::Response> got;
    svc.handle(add("a"), [&](proto::Response r) { got.push_back(r); });
    sink.complete_all();
    pump();
    ASSERT_EQ(got.size(), 1u);
    svc.handle(add("b"), [&](proto::Response r) { got.push_back(r); });
    proto::Request del = add("a");
    del.op = proto::Op::del;
    svc.handle(del, [&](proto::Response r) { got.push_back(r); });
    ASSERT_EQ(sink.jobs.size(), 2u);
    sink.complete_all(std::unexpected(Error::from_errno("write", ENOSPC)));
    pump();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_FALSE(got[1].ok);
    EXPECT_EQ(got[1].code, Code::try_again);
    EXPECT_NE(got[1].msg.find("No space left"), std::string::npos);
    EXPECT_FALSE(got[2].ok);
    EXPECT_EQ(state.find({"net", "b", "eth0"}), nullptr);  // undone
    ASSERT_NE(state.find({"net", "a", "eth0"}), nullptr);  // its release undone too
    EXPECT_TRUE(state.pool("default")->quarantine.empty());

    // The next request proceeds in a new epoch and gets the address b would have had.
    svc.handle(add("c"), [&](proto::Response r) { got.push_back(r); });
    ASSERT_EQ(sink.jobs.size(), 1u);
    EXPECT_EQ(sink.jobs.front().epoch, 2u);
    sink.complete_all();
    pump();
    ASSERT_TRUE(got.back().ok);
    EXPECT_EQ(got.back().ips[0].address, "10.1.0.3/24");
    EXPECT_TRUE(svc.idle());
}

TEST_F(ServiceTest, ErrorsAreAnsweredWithTheirCodes) {
    // Each case has its own answer; nothing is pending, so each is answered at once.
    auto answer = [&](proto::Request r) {
        auto got = std::make_shared<std::optional<proto::Response>>();
        svc.handle(std::move(r), [got](proto::Response x) { *got = std::move(x); });
        return *got;
    };
    auto missing_pool = add("a");
    missing_pool.pool = "missing";
    auto got = answer(missing_pool);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->ok);
    EXPECT_EQ(got->code, Code::invalid_config);
    EXPECT_NE(got->msg.find("missing"), std::string::npos) << got->msg;

    proto::Request bad = add("b");
    bad.ips = {"not-an-ip"};
    got = answer(bad);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->ok);
    EXPECT_EQ(got->code, Code::invalid_config);
    EXPECT_NE(got->msg.find("not-an-ip"), std::string::npos) << got->msg;

    proto::Request check = add("zz");
    check.op = proto::Op::check;
    got = answer(check);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->ok);
    EXPECT_EQ(got->code, Code::unknown_container);
    EXPECT_TRUE(sink.jobs.empty());
}

TEST_F(ServiceTest, QueuedDeleteSkipsAReallocatedAttachment) {
    svc.handle(add("a"), [](proto::Response) {});
    sink.complete_all();
    pump();
    proto::Request del = add("a");
    del.op = proto::Op::del;
    std::optional<bool> skipped, released;
    // Queued before the ADD: refused, and answered at once (nothing to make durable).
    EXPECT_EQ(svc.apply_queued_delete(del, clock.t - 1, [&](bool x) { skipped = x; }),
              IpamService::QueuedDelete::superseded);
    ASSERT_TRUE(skipped);
    EXPECT_TRUE(*skipped);
    EXPECT_NE(state.find({"net", "a", "eth0"}), nullptr);
    EXPECT_TRUE(sink.jobs.empty());
    EXPECT_EQ(svc.apply_queued_delete(del, clock.t + 1, [&](bool x) { released = x; }),
              IpamService::QueuedDelete::released);
    EXPECT_FALSE(released);  // not before the release is durable
    sink.complete_all();
    pump();
    ASSERT_TRUE(released);
    EXPECT_TRUE(*released);
    EXPECT_EQ(state.find({"net", "a", "eth0"}), nullptr);
}

TEST_F(ServiceTest, SnapshotIsRequestedPastTheThreshold) {
    IpamService small{io, state, sink, clock, 1, {1, 0}, [](const std::string&) { return uint64_t{0}; }};
    small.handle(add("a"), [](proto::Response) {});
    ASSERT_EQ(sink.jobs.size(), 2u);
    EXPECT_TRUE(sink.jobs.back().snapshot);
    sink.complete_all();
    pump();
    EXPECT_EQ(small.stats().snapshots, 1u);
    EXPECT_TRUE(small.idle());
}

TEST_F(ServiceTest, PoolDefinitionIsAnsweredWhenDurable) {
    std::optional<Status> got;
    svc.define_pool("second", *core::range_sets_from_cidrs({"10.2.0.0/24"}), core::PoolSource::config,
                    [&](Status st) { got = st; });
    EXPECT_FALSE(got);
    ASSERT_EQ(sink.jobs.size(), 1u);
    sink.complete_all();
    pump();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->has_value());
    EXPECT_NE(state.pool("second"), nullptr);
}

TEST_F(ServiceTest, PoolDefinitionIsUndoneWhenTheWriteFails) {
    std::optional<Status> got;
    svc.define_pool("second", *core::range_sets_from_cidrs({"10.2.0.0/24"}), core::PoolSource::config,
                    [&](Status st) { got = st; });
    sink.complete_all(std::unexpected(Error::from_errno("write", EIO)));
    pump();
    ASSERT_TRUE(got);
    ASSERT_FALSE(got->has_value());
    EXPECT_EQ(got->error().code, Code::try_again);
    EXPECT_EQ(state.pool("second"), nullptr);
}

TEST_F(ServiceTest, RefusedPoolDefinitionIsAnsweredAtOnce) {
    std::optional<Status> got;
    svc.define_pool("clash", *core::range_sets_from_cidrs({"10.1.0.128/25"}), core::PoolSource::config,
                    [&](Status st) { got = st; });
    ASSERT_TRUE(got);
    ASSERT_FALSE(got->has_value());
    EXPECT_EQ(got->error().code, Code::invalid_config);
    EXPECT_NE(got->error().message.find("overlap pool 'default'"), std::string::npos);
    EXPECT_TRUE(sink.jobs.empty());
}

TEST_F(ServiceTest, EmptySubmissionWaitsForEarlierChanges) {
    svc.handle(add("a"), [](proto::Response) {});
    std::optional<Status> got;
    svc.submit({}, [&](Status st) { got = st; });
    EXPECT_FALSE(got);
    sink.complete_all();
    pump();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->has_value());
}

// Ranges are parsed at the service boundary; the core gets typed range sets.
TEST_F(ServiceTest, RangesAreParsedAtTheBoundary) {
    auto answer = [&](proto::Request r) {
        auto got = std::make_shared<std::optional<proto::Response>>();
        svc.handle(std::move(r), [got](proto::Response x) { *got = std::move(x); });
        sink.complete_all();
        pump();
        return *got;
    };
    auto bad = add("r");
    bad.network = "dropin";
    bad.ranges = nlohmann::json::parse(R"([[{"subnet":"10.9.0.0/40"}]])");
    auto refused = answer(bad);
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->ok);
    EXPECT_EQ(refused->code, Code::invalid_config);
    EXPECT_NE(refused->msg.find("10.9.0.0/40"), std::string::npos) << refused->msg;
    EXPECT_EQ(state.pool("dropin"), nullptr);

    auto good = bad;
    good.ranges = nlohmann::json::parse(R"([[{"subnet":"10.9.0.0/24"}]])");
    auto first = answer(good);
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->ok) << first->msg;
    EXPECT_EQ(first->ips[0].address, "10.9.0.2/24");
    // A repeated ADD gets what the key holds, whatever ranges it names.
    auto again = answer(bad);
    ASSERT_TRUE(again);
    ASSERT_TRUE(again->ok) << again->msg;
    EXPECT_EQ(again->ips, first->ips);

    auto status = bad;
    status.op = proto::Op::status;
    auto st = answer(status);
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->ok);
    EXPECT_EQ(st->code, Code::invalid_config);
}

TEST_F(ServiceTest, AddTellsTheWatchHookItsAddressesBeforeTheAnswer) {
    std::vector<std::string> watched;
    svc.set_on_allocated([&](const core::Allocation& a) {
        for (auto& x : a.addresses) watched.push_back(x.str());
    });
    std::optional<proto::Response> got;
    svc.handle(add("a"), [&](proto::Response r) { got = r; });
    EXPECT_FALSE(got);  // not answered yet, already watched
    EXPECT_EQ(watched, (std::vector<std::string>{"10.1.0.2"}));
    sink.complete_all();
    pump();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->ok);

    std::optional<proto::Response> failed;
    auto outside = add("b");
    outside.ips = {"10.9.9.9"};  // not in the pool
    svc.handle(outside, [&](proto::Response r) { failed = r; });
    sink.complete_all();
    pump();
    ASSERT_TRUE(failed);
    EXPECT_FALSE(failed->ok);
    EXPECT_EQ(watched.size(), 1u);  // a refused ADD watches nothing
}

// The metrics' latency histograms hear each request once, when its answer is handed over (after
// the sync), with its op.
TEST_F(ServiceTest, OnAnsweredHearsEachRequestWhenItIsAnswered) {
    std::vector<proto::Op> heard;
    std::vector<int64_t> took;
    svc.set_on_answered([&](proto::Op op, int64_t ns) {
        heard.push_back(op);
        took.push_back(ns);
    });
    bool answered = false;
    svc.handle(add("a"), [&](proto::Response) { answered = true; });
    EXPECT_TRUE(heard.empty()) << "heard before the journal synced";
    sink.complete_all();
    pump();
    ASSERT_TRUE(answered);
    proto::Request del = add("a");
    del.op = proto::Op::del;
    svc.handle(del, [](proto::Response) {});
    sink.complete_all();
    pump();
    EXPECT_EQ(heard, (std::vector<proto::Op>{proto::Op::add, proto::Op::del}));
    for (auto ns : took) EXPECT_GE(ns, 0);
}
