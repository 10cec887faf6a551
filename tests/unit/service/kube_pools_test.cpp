// The pool from the Node's spec.podCIDRs (DESIGN §9) through the real IpamService on a fake
// journal: defined and journaled like a config pool, refused clearly while waiting, redefined
// on a CIDR change without dropping allocations, untouched by an identical or malformed update.
#include "service/kube_pools.hpp"

#include <gtest/gtest.h>

#include "support/captured_log.hpp"
#include "support/fake_commit_sink.hpp"
#include "support/fake_kube_source.hpp"
#include "support/requests.hpp"

using namespace warren;
using namespace warren::service;
using warren::testing::CapturedLog;

namespace {

struct KubePoolsTest : ::testing::Test, warren::testing::ServiceHarness {
    KubePoolsTest() : ServiceHarness("10.1.0.0/24", 42) {
        svc.set_on_durable([this](std::vector<core::Event>& evs) {
            for (auto& e : evs)
                if (auto* p = std::get_if<core::PoolDefined>(&e)) defined.push_back(*p);
        });
        svc.set_pool_gate([this](std::string_view pool) { return pools.gate(pool); });
        EXPECT_TRUE(source.start(pools.handler()));
    }
    // A version of the Node through the source's handler, as the real source calls it, then
    // the I/O thread runs what it posted and the journal completes.
    void node(std::vector<std::string> cidrs) {
        source.push("node-1", std::move(cidrs));
        settle();
    }
    void settle() {
        for (int i = 0; i < 5; ++i) {
            pump();
            sink.complete_all();
        }
        pump();
    }
    proto::Response call(proto::Request r) {
        std::optional<proto::Response> got;
        svc.handle(std::move(r), [&](proto::Response x) { got = std::move(x); });
        settle();
        EXPECT_TRUE(got) << "never answered";
        return got.value_or(proto::Response::failure(Error{Code::internal, "no answer"}));
    }
    proto::Response add(const std::string& cid) {
        auto r = warren::testing::add_request(cid);
        r.pool = "k8s";
        return call(std::move(r));
    }
    proto::Response status() {
        proto::Request r;
        r.op = proto::Op::status;
        r.network = "net";
        r.pool = "k8s";
        return call(std::move(r));
    }
    std::vector<std::string> subnets() const {
        std::vector<std::string> out;
        for (auto& set : state.pool("k8s")->sets) out.push_back(set.front().subnet.str());
        return out;
    }

    KubePools pools{io, state, svc, "node-1", "k8s"};
    warren::testing::FakeKubeSource source;
    std::vector<core::PoolDefined> defined;  // durable PoolDefined events
};

}  // namespace

TEST_F(KubePoolsTest, ASingleStackNodeDefinesThePoolJournaledLikeAConfigPool) {
    node({"10.244.1.0/24"});
    ASSERT_NE(state.pool("k8s"), nullptr);
    EXPECT_EQ(subnets(), std::vector<std::string>{"10.244.1.0/24"});
    ASSERT_EQ(defined.size(), 1u) << "journaled";
    EXPECT_EQ(defined[0].pool, "k8s");
    EXPECT_EQ(defined[0].source, core::PoolSource::config);
    const auto sets = core::range_sets_from_cidrs({"10.244.1.0/24"});  // host-local's defaults
    ASSERT_TRUE(sets);
    EXPECT_EQ(defined[0].ranges_json, core::to_json(*sets).dump());
    auto r = add("a");
    ASSERT_TRUE(r.ok) << r.msg;
    EXPECT_EQ(r.ips[0].address, "10.244.1.2/24");
    EXPECT_EQ(r.ips[0].gateway, "10.244.1.1");
    EXPECT_FALSE(pools.status().waiting);
}

TEST_F(KubePoolsTest, ADualStackNodeGetsOneRangeSetPerFamilyInTheApisOrder) {
    node({"fd00:10:244:1::/64", "10.244.1.0/24"});
    EXPECT_EQ(subnets(), (std::vector<std::string>{"fd00:10:244:1::/64", "10.244.1.0/24"}));
    ASSERT_EQ(defined.size(), 1u);
    auto r = add("a");
    ASSERT_TRUE(r.ok) << r.msg;
    ASSERT_EQ(r.ips.size(), 2u);
    EXPECT_EQ(r.ips[0].address, "fd00:10:244:1::2/64");
    EXPECT_EQ(r.ips[1].address, "10.244.1.2/24");
    EXPECT_EQ(pools.status().cidrs,
              (std::vector<std::string>{"fd00:10:244:1::/64", "10.244.1.0/24"}));
}

TEST_F(KubePoolsTest, WaitingForCidrsRefusesStatusAndAddClearlyThenServes) {
    CapturedLog log;
    node({});
    node({});
    EXPECT_EQ(log.count("waiting for Node node-1's spec.podCIDRs (kube-controller-manager "
                        "--allocate-node-cidrs assigns them)"),
              1u)
        << log.text();
    EXPECT_TRUE(pools.status().waiting);
    auto st = status();
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.code, Code::unavailable);
    EXPECT_NE(st.msg.find("waiting for Node node-1's spec.podCIDRs"), std::string::npos) << st.msg;
    auto a = add("a");
    EXPECT_FALSE(a.ok);
    EXPECT_EQ(a.code, Code::unavailable);
    EXPECT_EQ(a.msg, st.msg);
    EXPECT_TRUE(state.allocations().empty());
    // Another pool is served meanwhile.
    auto other = call(warren::testing::add_request("b"));
    EXPECT_TRUE(other.ok) << other.msg;

    node({"10.244.1.0/24"});
    EXPECT_TRUE(status().ok);
    auto served = add("a");
    EXPECT_TRUE(served.ok) << served.msg;
}

TEST_F(KubePoolsTest, ACidrChangeRedefinesThePoolAndKeepsEveryAllocation) {
    node({"10.244.1.0/24"});
    ASSERT_TRUE(add("a").ok);
    CapturedLog log;
    node({"10.244.2.0/24"});
    EXPECT_EQ(subnets(), std::vector<std::string>{"10.244.2.0/24"});
    ASSERT_EQ(defined.size(), 2u);
    EXPECT_NE(
        log.text().find("Node node-1's pod CIDRs changed from 10.244.1.0/24 to 10.244.2.0/24"),
        std::string::npos)
        << log.text();
    const core::Allocation* kept = state.find({"net", "a", "eth0"});
    ASSERT_NE(kept, nullptr) << "an allocation outside the new ranges is kept";
    EXPECT_EQ(kept->addresses[0].str(), "10.244.1.2");
    auto again = add("a");  // the runtime repeats the ADD: the same address
    ASSERT_TRUE(again.ok) << again.msg;
    EXPECT_EQ(again.ips[0].address.substr(0, again.ips[0].address.find('/')), "10.244.1.2");
    auto fresh = add("b");
    ASSERT_TRUE(fresh.ok) << fresh.msg;
    EXPECT_EQ(fresh.ips[0].address, "10.244.2.2/24");
    // Releasing the old address still works and does not disturb the new range's counts.
    proto::Request del = warren::testing::add_request("a");
    del.op = proto::Op::del;
    EXPECT_TRUE(call(del).ok);
    EXPECT_EQ(state.find({"net", "a", "eth0"}), nullptr);
    EXPECT_EQ(state.usage().size(), 2u);
    for (auto& u : state.usage())
        if (u.name == "k8s") EXPECT_EQ(u.sets[0].used, 1u);
}

TEST_F(KubePoolsTest, TheSameCidrsAgainWriteNothing) {
    node({"10.244.1.0/24"});
    ASSERT_EQ(defined.size(), 1u);
    source.push("node-1", {"10.244.1.0/24"});
    pump();
    EXPECT_TRUE(sink.jobs.empty()) << "no journal write for an unchanged Node";
    settle();
    EXPECT_EQ(defined.size(), 1u);
}

TEST_F(KubePoolsTest, MalformedCidrsAreLoggedOnceAndLeaveThePoolAsItWas) {
    node({"10.244.1.0/24"});
    CapturedLog log;
    for (auto bad : {std::vector<std::string>{"10.244.300.0/24"},
                     std::vector<std::string>{"10.244.2.0/24", "10.244.3.0/24"},
                     std::vector<std::string>{"10.244.2.0/24", "fd00::/64", "fd01::/64"}}) {
        node(bad);
        node(bad);
        EXPECT_EQ(subnets(), std::vector<std::string>{"10.244.1.0/24"}) << bad[0];
        EXPECT_FALSE(pools.status().error.empty());
    }
    EXPECT_EQ(defined.size(), 1u);
    EXPECT_EQ(log.count("cannot be served as pool 'k8s'"), 3u) << log.text();
    EXPECT_NE(log.text().find("10.244.300.0/24"), std::string::npos);
    EXPECT_NE(log.text().find("two CIDRs of one family"), std::string::npos) << log.text();
    node({"10.244.1.0/24"});
    EXPECT_EQ(pools.status().error, "") << "served again: the error is over";
}

TEST_F(KubePoolsTest, ARefusedDefinitionLeavesThePoolAsItWas) {
    // Overlaps the config pool "default" (10.1.0.0/24): the state refuses it.
    node({"10.1.0.0/16"});
    EXPECT_EQ(state.pool("k8s"), nullptr);
    EXPECT_TRUE(pools.status().waiting);
    EXPECT_NE(pools.status().error.find("overlap"), std::string::npos) << pools.status().error;
    EXPECT_FALSE(add("a").ok);
}

TEST_F(KubePoolsTest, AJournaledPoolIsServedAtOnceAfterARestart) {
    auto sets = core::range_sets_from_cidrs({"10.244.1.0/24"});
    ASSERT_TRUE(sets);
    ASSERT_TRUE(state.define_pool("k8s", *sets, core::PoolSource::config));  // as recovered
    EXPECT_FALSE(pools.status().waiting);
    auto r = add("a");  // before the API answered at all
    ASSERT_TRUE(r.ok) << r.msg;
    EXPECT_TRUE(status().ok);
    node({"10.244.1.0/24"});  // then the Node: unchanged, nothing written
    EXPECT_TRUE(defined.empty());
    node({"10.244.5.0/24"});  // or changed: updated
    EXPECT_EQ(subnets(), std::vector<std::string>{"10.244.5.0/24"});
    EXPECT_EQ(defined.size(), 1u);
}

TEST_F(KubePoolsTest, TheHandlerOnlyPostsToTheIoThread) {
    source.push("node-1", {"10.244.1.0/24"});
    EXPECT_EQ(state.pool("k8s"), nullptr) << "nothing changes on the source's thread";
    settle();
    EXPECT_NE(state.pool("k8s"), nullptr);
}
