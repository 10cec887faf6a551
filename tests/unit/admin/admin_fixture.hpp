#pragma once
// An AdminService over the real IpamService (on a FakeCommitSink and a FixedClock), a
// LivenessManager with eBPF off on fake seams, and a GcRunner: the commands as warrend runs them.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "admin/admin_service.hpp"
#include "support/fake_commit_sink.hpp"
#include "unit/liveness/manager_fixture.hpp"

namespace warren::testing {

class AdminTest : public ManagerTest {
  protected:
    static constexpr int64_t kSec = 1'000'000'000;

    void SetUp() override {
        auto sets = core::range_sets_from_cidrs({"10.1.0.0/24"});
        ASSERT_TRUE(sets);
        ASSERT_TRUE(state.define_pool("default", *sets, core::PoolSource::config));
        liveness::LivenessConfig lc;
        lc.ebpf = ebpf ? liveness::EbpfMode::on : liveness::EbpfMode::off;
        manager = started({}, lc);
        gc = std::make_unique<service::GcRunner>(
            io, state, svc, *manager, wall, service::GcRunnerSettings{30 * kSec, 60 * kSec, kSec});
        make_admin();
    }
    void TearDown() override {
        gc->stop();
        pump();
    }
    void make_admin(const service::PoolHealthSource* health = nullptr,
                    std::function<std::string()> metrics = {}) {
        admin.reset();
        admin = std::make_unique<admin::AdminService>(admin::AdminContext{state,
                                                                          svc,
                                                                          *manager,
                                                                          *gc,
                                                                          wall,
                                                                          events,
                                                                          health,
                                                                          {},
                                                                          std::move(metrics),
                                                                          "9.9.9",
                                                                          wall.t - 5 * kSec});
    }

    // Completes every journal write and runs what they posted.
    void pump() {
        for (int i = 0; i < 10; ++i) {
            sink.complete_all();
            io.restart();
            io.poll();
        }
    }

    // One command, answered (asserted) after the journal writes complete.
    nlohmann::json call(const std::string& command,
                        nlohmann::json args = nlohmann::json::object()) {
        std::optional<nlohmann::json> out;
        admin->handle({{"command", command}, {"args", std::move(args)}},
                      [&](std::string r) { out = nlohmann::json::parse(r); });
        pump();
        EXPECT_TRUE(out.has_value()) << command << " was never answered";
        return out.value_or(nlohmann::json{{"ok", false}, {"error", "no answer"}});
    }
    nlohmann::json ok(const std::string& command, nlohmann::json args = nlohmann::json::object()) {
        auto r = call(command, std::move(args));
        EXPECT_EQ(r.value("ok", false), true) << command << ": " << r.dump();
        return r.value("result", nlohmann::json::object());
    }

    // A CNI ADD through the service, durable; returns the first address.
    std::string add(const std::string& cid, const std::string& netns, const std::string& pod = "") {
        proto::Request r;
        r.op = proto::Op::add;
        r.network = "net";
        r.container_id = cid;
        r.ifname = "eth0";
        r.netns = netns;
        r.pod = {"ns", pod, "uid-" + pod};
        std::optional<proto::Response> resp;
        svc.handle(std::move(r), [&](proto::Response x) { resp = std::move(x); });
        pump();
        EXPECT_TRUE(resp && resp->ok) << cid;
        if (!resp || resp->ips.empty()) return {};
        return resp->ips[0].address.substr(0, resp->ips[0].address.find('/'));
    }
    void del(const std::string& cid) {
        proto::Request r;
        r.op = proto::Op::del;
        r.network = "net";
        r.container_id = cid;
        r.ifname = "eth0";
        bool answered = false;
        svc.handle(std::move(r), [&](proto::Response) { answered = true; });
        pump();
        EXPECT_TRUE(answered);
    }

    bool ebpf = false;  // set in a derived constructor: the fake datapath's wire
    core::IpamState state{30 * kSec};
    FakeCommitSink sink;
    FixedClock wall;
    service::IpamService svc{
        io, state, sink, wall, 1, {}, [](const std::string&) { return uint64_t{77}; }};
    std::unique_ptr<liveness::LivenessManager> manager;
    std::unique_ptr<service::GcRunner> gc;
    admin::EventLog events;
    std::unique_ptr<admin::AdminService> admin;
};

}  // namespace warren::testing
