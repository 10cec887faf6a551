// The delete queue drain with a fake journal and a real queue directory: decoded DELs are applied
// on the I/O thread in passes of bounded size, bad entries are moved aside, and a queue directory
// others may write is left alone.
#include "service/queue_drain.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/range.hpp"
#include "support/fake_commit_sink.hpp"
#include "support/requests.hpp"
#include "support/temp_dir.hpp"
#include "warren/delete_queue.hpp"

using namespace warren;
using namespace warren::service;

namespace {

struct QueueDrainTest : ::testing::Test, warren::testing::ServiceHarness {
    QueueDrainTest() : ServiceHarness("10.1.0.0/22") {}
    warren::testing::TempDir tmp;
    const std::string queue = tmp / "queue";

    void allocate(const std::string& cid) {
        svc.handle(warren::testing::add_request(cid), [](proto::Response) {});
        sink.complete_all();
        pump();
        ASSERT_NE(state.find({"net", cid, "eth0"}), nullptr) << cid;
    }
    void enqueue(const std::string& cid, int64_t ns) {
        auto del = warren::testing::add_request(cid);
        del.op = proto::Op::del;
        ASSERT_TRUE(proto::enqueue_delete_at(queue, del, ns));
    }
    bool held(const std::string& cid) const { return state.find({"net", cid, "eth0"}) != nullptr; }
    // Runs the I/O thread, completing journal writes, until `drain` finished `passes` passes
    // (bounded by `rounds` of at most 5 ms: false if it never does).
    bool run_until_passes(const QueueDrain& drain, size_t passes, int rounds = 4000) {
        auto guard = boost::asio::make_work_guard(io);
        for (int i = 0; i < rounds && drain.totals().passes < passes; ++i) {
            io.restart();
            io.run_for(std::chrono::milliseconds(5));
            sink.complete_all();
        }
        return drain.totals().passes >= passes;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (auto& e : std::filesystem::directory_iterator(queue))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

}  // namespace

TEST_F(QueueDrainTest, DrainsMoreEntriesThanOnePassTakesAndCountsWhatItDid) {
    const int n = static_cast<int>(QueueDrain::kMaxEntriesPerPass) + 44;
    for (int i = 0; i < n; ++i) allocate("c" + std::to_string(i));
    allocate("readded");
    std::filesystem::create_directories(queue);
    ::chmod(queue.c_str(), 0700);
    std::ofstream(queue + "/del-00000000000000000001-1.json") << "{ broken";
    enqueue("readded", clock.t - 1);  // queued before its ADD: superseded
    for (int i = 0; i < n; ++i) enqueue("c" + std::to_string(i), clock.t + 1 + i);

    std::optional<QueueDrain> drain(std::in_place, io, svc, queue);
    drain->start_pass();
    ASSERT_TRUE(run_until_passes(*drain, 2));
    const auto totals = drain->totals();
    drain.reset();  // joins the worker: every removal it was given is done

    EXPECT_EQ(totals.passes, 2u) << "one full pass, then the rest";
    EXPECT_EQ(totals.applied, static_cast<size_t>(n));
    EXPECT_EQ(totals.released, static_cast<size_t>(n));
    EXPECT_EQ(totals.superseded, 1u);
    EXPECT_EQ(totals.foreign, 0u);
    EXPECT_EQ(totals.moved, 1u);
    EXPECT_EQ(totals.retry, 0u);
    for (int i = 0; i < n; ++i) EXPECT_FALSE(held("c" + std::to_string(i))) << i;
    EXPECT_TRUE(held("readded"));
    EXPECT_EQ(names(), std::vector<std::string>{"bad-del-00000000000000000001-1.json"});
    EXPECT_TRUE(svc.idle());
}

// A queue directory that turned writable by others is not drained; once fixed, it is.
TEST_F(QueueDrainTest, QueueDirWritableByOthersIsNotDrained) {
    allocate("a");
    enqueue("a", clock.t + 1);
    ASSERT_EQ(::chmod(queue.c_str(), 0777), 0);

    QueueDrain drain(io, svc, queue);
    drain.start_pass();
    ASSERT_TRUE(run_until_passes(drain, 1));
    EXPECT_EQ(drain.totals().applied, 0u);
    EXPECT_TRUE(held("a"));
    EXPECT_EQ(names().size(), 1u);

    ASSERT_EQ(::chmod(queue.c_str(), 0700), 0);
    drain.start_pass();
    ASSERT_TRUE(run_until_passes(drain, 2));
    EXPECT_EQ(drain.totals().applied, 1u);
    EXPECT_FALSE(held("a"));
}

TEST_F(QueueDrainTest, StoppedDrainStartsNoPass) {
    allocate("a");
    enqueue("a", clock.t + 1);
    QueueDrain drain(io, svc, queue);
    drain.stop();
    drain.start_pass();
    EXPECT_FALSE(run_until_passes(drain, 1, 40));
    EXPECT_TRUE(held("a"));
    EXPECT_EQ(names().size(), 1u);
}
