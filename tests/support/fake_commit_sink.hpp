#pragma once
// A CommitSink that holds every submission until the test completes it (with success or an
// error), and a clock the test sets: the service's seams for unit tests.
#include <deque>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "service/commit_sink.hpp"

namespace warren::testing {

struct FakeCommitSink : service::CommitSink {
    struct Job {
        std::string bytes;
        uint64_t epoch;
        Done done;
        bool snapshot;
    };
    std::deque<Job> jobs;
    void submit(std::string b, uint64_t epoch, Done done) override {
        jobs.push_back({std::move(b), epoch, std::move(done), false});
    }
    void submit_snapshot(uint64_t, std::vector<std::string>, uint64_t epoch, Done done) override {
        jobs.push_back({{}, epoch, std::move(done), true});
    }
    // Completes every held job in order with `st`.
    void complete_all(Status st = {}) {
        while (!jobs.empty()) {
            auto j = std::move(jobs.front());
            jobs.pop_front();
            j.done(st);
        }
    }
};

struct FixedClock : core::Clock {
    int64_t t = 1'000'000'000'000;
    int64_t now_ns() const override { return t; }
};

}  // namespace warren::testing

#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "core/ipam_state.hpp"
#include "core/range.hpp"
#include "service/ipam_service.hpp"

namespace warren::testing {

// An IpamService on a FakeCommitSink and a FixedClock, with the config pool "default" over
// `cidr`; every netns path has inode `netns_inode`.
struct ServiceHarness {
    explicit ServiceHarness(const std::string& cidr, uint64_t netns_inode = 0)
        : svc{io,
              state,
              sink,
              clock,
              1,
              {},
              [netns_inode](const std::string&) { return netns_inode; }} {
        auto sets = core::range_sets_from_cidrs({cidr});
        if (!sets || !state.define_pool("default", *sets, core::PoolSource::config))
            throw std::runtime_error("test pool " + cidr + " is invalid");
    }
    // Runs what the sink's completions posted to the I/O thread.
    void pump() {
        io.restart();
        io.poll();
    }

    boost::asio::io_context io;
    core::IpamState state{30'000'000'000};
    FakeCommitSink sink;
    FixedClock clock;
    service::IpamService svc;
};

}  // namespace warren::testing
