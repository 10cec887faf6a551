// Kubernetes as GC signal 5 (DESIGN §7) through the real GcRunner, and the "kubernetes" section
// of "status": a pod the API says runs is never released; an unsynced view keeps it; a synced
// view without it lets the other signals decide.
#include <gtest/gtest.h>

#include "admin_fixture.hpp"
#include "support/captured_log.hpp"
#include "support/fake_kube_source.hpp"
#include "support/requests.hpp"

using namespace warren;
using namespace warren::testing;
using nlohmann::json;

namespace {

class KubeGcTest : public AdminTest {
  protected:
    void SetUp() override {
        AdminTest::SetUp();
        gc->set_kube([this](std::string_view uid) { return source.pod_running(uid); });
    }
    // Two real passes a grace apart: the first marks the dead-netns pod a candidate (and keeps
    // it at once when a signal says it lives), the second may release it. Returns every decision
    // after the candidacy, both passes.
    std::vector<core::Decision> two_passes() {
        std::vector<core::Decision> got;
        gc->set_on_decided([&](auto& d, auto&) { got.insert(got.end(), d.begin(), d.end()); });
        gc->run_pass();
        pump();
        EXPECT_TRUE(state.find({"net", "c1", "eth0"})->candidate) << "the first pass marks it";
        clock.realtime_ns += 61 * kSec;
        wall.t += 61 * kSec;
        gc->run_pass();
        pump();
        gc->set_on_decided({});
        EXPECT_FALSE(got.empty());
        EXPECT_TRUE(!got.empty() && std::holds_alternative<core::CandidateMarked>(got[0].event));
        if (!got.empty()) got.erase(got.begin());
        return got;
    }
    FakeKubeSource source;
};

}  // namespace

TEST_F(KubeGcTest, ADeadNetnsPodTheApiSaysRunsIsKeptAsK8sRunning) {
    add("c1", "/run/netns/gone", "web");  // pod UID "uid-web"
    source.running["uid-web"] = core::Tri::yes;
    auto decided = two_passes();
    ASSERT_EQ(decided.size(), 1u);
    auto* z = std::get_if<core::ZombieMarked>(&decided[0].event);
    ASSERT_NE(z, nullptr) << decided[0].why;
    EXPECT_EQ(z->reason, core::GcReason::k8s_running);
    EXPECT_NE(decided[0].why.find("kubernetes running"), std::string::npos) << decided[0].why;
    ASSERT_NE(state.find({"net", "c1", "eth0"}), nullptr) << "kept";
    EXPECT_GT(source.asked, 0);
}

TEST_F(KubeGcTest, AnUnsyncedViewCountsThePodAsRunning) {
    add("c1", "/run/netns/gone", "web");
    source.otherwise = core::Tri::yes;  // what the real source answers while not synced
    auto decided = two_passes();
    ASSERT_EQ(decided.size(), 1u);
    auto* z = std::get_if<core::ZombieMarked>(&decided[0].event);
    ASSERT_NE(z, nullptr) << decided[0].why;
    EXPECT_EQ(z->reason, core::GcReason::k8s_running);
    ASSERT_NE(state.find({"net", "c1", "eth0"}), nullptr);
}

TEST_F(KubeGcTest, ASyncedViewWithoutThePodLetsTheOtherSignalsRelease) {
    add("c1", "/run/netns/gone", "web");
    source.otherwise = core::Tri::no;
    auto decided = two_passes();
    ASSERT_EQ(decided.size(), 1u);
    auto* r = std::get_if<core::Released>(&decided[0].event);
    ASSERT_NE(r, nullptr) << decided[0].why;
    EXPECT_EQ(r->reason, core::ReleaseReason::stale);
    EXPECT_NE(decided[0].why.find("kubernetes not running"), std::string::npos) << decided[0].why;
    EXPECT_EQ(state.find({"net", "c1", "eth0"}), nullptr);
}

TEST_F(KubeGcTest, ShowReportsTheKubernetesSignal) {
    const auto ip = add("c1", "/run/netns/gone", "web");
    source.running["uid-web"] = core::Tri::yes;
    gc->run_pass();
    pump();
    auto m = ok("show", {{"target", ip}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0]["signals"]["kubernetes"], "yes") << m[0].dump();
}

class KubeStatusTest : public AdminTest {
  protected:
    void SetUp() override {
        AdminTest::SetUp();
        pools = std::make_unique<service::KubePools>(io, state, svc, "node-1", "k8s");
        admin = std::make_unique<admin::AdminService>(
            admin::AdminContext{state,
                                svc,
                                *manager,
                                *gc,
                                wall,
                                events,
                                nullptr,
                                {},
                                {},
                                "9.9.9",
                                wall.t - 5 * kSec,
                                [this] {
                                    return admin::KubeInfo{pools->status(), source.status()};
                                }});
    }
    FakeKubeSource source;
    std::unique_ptr<service::KubePools> pools;
};

TEST_F(KubeStatusTest, StatusHasAKubernetesSectionWhileWaitingAndAfterTheCidrsArrive) {
    source.source_status = {.node_seen = true,
                            .pods_synced = false,
                            .pods = 0,
                            .last_ok_ns = 0,
                            .error = "GET /api/v1/pods: 403 Forbidden"};
    auto k = ok("status")["kubernetes"];
    EXPECT_EQ(k["node"], "node-1");
    EXPECT_EQ(k["pool"], "k8s");
    EXPECT_EQ(k["waiting"], true);
    EXPECT_EQ(k["podCidrs"], json::array());
    EXPECT_EQ(k["podsSynced"], false);
    EXPECT_EQ(k["error"], "GET /api/v1/pods: 403 Forbidden");
    EXPECT_EQ(k["lastOkNs"], 0);
    EXPECT_FALSE(k.contains("lastOkSecondsAgo"));

    pools->apply({"node-1", {"10.244.1.0/24", "fd00:10:244:1::/64"}, "7"});
    pump();
    source.source_status = {.node_seen = true,
                            .pods_synced = true,
                            .pods = 12,
                            .last_ok_ns = wall.t - 4 * kSec,
                            .error = ""};
    k = ok("status")["kubernetes"];
    EXPECT_EQ(k["waiting"], false);
    EXPECT_EQ(k["podCidrs"], json::array({"10.244.1.0/24", "fd00:10:244:1::/64"}));
    EXPECT_EQ(k["podsSynced"], true);
    EXPECT_EQ(k["pods"], 12);
    EXPECT_EQ(k["error"], "");
    EXPECT_EQ(k["poolError"], "");
    EXPECT_EQ(k["lastOkSecondsAgo"], 4);
    EXPECT_FALSE(k.contains("namespacesSynced")) << "namespaces are not watched";
}

TEST_F(KubeStatusTest, StatusSaysWhereTheNamespacesStandWhenTheyAreWatched) {
    source.source_status = {.node_seen = true,
                            .pods_synced = true,
                            .namespaces_watched = true,
                            .namespaces_synced = false};
    auto k = ok("status")["kubernetes"];
    EXPECT_EQ(k["namespacesSynced"], false);
    EXPECT_EQ(k["namespaces"], 0);
    source.source_status.namespaces_synced = true;
    source.source_status.namespaces = 7;
    k = ok("status")["kubernetes"];
    EXPECT_EQ(k["namespacesSynced"], true);
    EXPECT_EQ(k["namespaces"], 7);
}

TEST_F(AdminTest, StatusHasNoKubernetesSectionWithoutKubernetes) {
    EXPECT_FALSE(ok("status").contains("kubernetes"));
}

// A pod the runtime added without K8S_POD_UID: Kubernetes cannot say, and the log says so
// instead of calling the signal off.
TEST_F(KubeGcTest, APodWithoutAUidIsUnknownToKubernetesInTheLog) {
    proto::Request r = warren::testing::add_request("c1");
    r.netns = "/run/netns/gone";
    std::optional<proto::Response> resp;
    svc.handle(std::move(r), [&](proto::Response x) { resp = std::move(x); });
    pump();
    ASSERT_TRUE(resp && resp->ok);
    std::vector<core::Decision> got;
    gc->set_on_decided([&](auto& d, auto&) { got.insert(got.end(), d.begin(), d.end()); });
    gc->run_pass();
    pump();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].why.find("kubernetes unknown"), std::string::npos) << got[0].why;
}

TEST_F(AdminTest, WithoutKubernetesTheLogSaysTheSignalIsOff) {
    add("c1", "/run/netns/gone", "web");
    std::vector<core::Decision> got;
    gc->set_on_decided([&](auto& d, auto&) { got.insert(got.end(), d.begin(), d.end()); });
    gc->run_pass();
    pump();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].why.find("kubernetes off"), std::string::npos) << got[0].why;
}
