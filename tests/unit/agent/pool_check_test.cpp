// netcheck::PoolCheck: reads the host through the seam, logs each warning once, keeps the list.
#include "netcheck/pool_check.hpp"

#include <gtest/gtest.h>

#include "support/captured_log.hpp"
#include "support/fake_host_network.hpp"

using namespace warren;
using namespace warren::testing;

namespace {

std::vector<core::PoolRanges> pool(const std::string& cidr) {
    return {{"default", *core::range_sets_from_cidrs({cidr})}};
}

}  // namespace

TEST(PoolCheck, LogsEachWarningOnceAndKeepsTheCurrentList) {
    CapturedLog log;
    auto fake = std::make_unique<FakeHostNetwork>();
    FakeHostNetwork& host = *fake;
    host.network.addresses.push_back({"dummy0", *IpAddress::parse("10.244.0.77"), 24});
    netcheck::PoolCheck check(std::move(fake), {});

    check.run(pool("10.244.0.0/24"));
    ASSERT_EQ(check.warnings().size(), 1u);
    EXPECT_EQ(check.warnings()[0].kind, core::PoolWarningKind::host_address);
    check.run(pool("10.244.0.0/24"));  // a redefinition with the same conflict
    EXPECT_EQ(host.reads, 2);
    EXPECT_EQ(log.count("warning|pool check: pool 'default' range 10.244.0.0/24: address "
                        "10.244.0.77/24 on dummy0"),
              1u)
        << log.text();

    check.run(pool("10.245.0.0/24"));  // redefined away from it
    EXPECT_TRUE(check.warnings().empty());
}

TEST(PoolCheck, AnUnreadableHostStillChecksThePlanAndSaysWhyOnce) {
    CapturedLog log;
    auto fake = std::make_unique<FakeHostNetwork>();
    fake->error = Error{Code::io, "cannot list routes: Permission denied", {}, 0};
    netcheck::PoolCheck check(std::move(fake), {{}, {*IpPrefix::parse("10.96.0.0/12")}});
    check.run(pool("10.96.0.0/24"));
    check.run(pool("10.96.0.0/24"));
    ASSERT_EQ(check.warnings().size(), 1u);
    EXPECT_EQ(check.warnings()[0].kind, core::PoolWarningKind::service_overlap);
    EXPECT_EQ(log.count("cannot read this node's addresses and routes"), 1u) << log.text();
    EXPECT_EQ(log.count("cannot list routes: Permission denied"), 1u) << log.text();
}

TEST(PoolCheck, APlanSetLaterIsUsedByTheNextRun) {
    netcheck::PoolCheck check(std::make_unique<FakeHostNetwork>(), {});
    check.run(pool("10.78.1.0/24"));
    EXPECT_TRUE(check.warnings().empty());
    check.set_plan({{*IpPrefix::parse("10.77.0.0/16")}, {}});
    check.run(pool("10.78.1.0/24"));
    ASSERT_EQ(check.warnings().size(), 1u);
    EXPECT_EQ(check.warnings()[0].kind, core::PoolWarningKind::outside_cluster);
}

TEST(PoolCheckPlan, FlagsWinAndTheApiFillsWhatTheyLeaveOut) {
    CapturedLog log;
    const auto p = [](const char* t) { return *IpPrefix::parse(t); };
    const core::ClusterPlan flags{{p("10.77.0.0/16")}, {}};
    const core::ClusterPlan api{{p("10.244.0.0/16"), p("fd00:10:244::/56")}, {p("10.96.0.0/12")}};
    const core::ClusterPlan merged = netcheck::merge_plan(flags, api, "kubeadm-config");
    EXPECT_EQ(merged.cluster_cidrs, std::vector<IpPrefix>{p("10.77.0.0/16")});
    EXPECT_EQ(merged.service_cidrs, std::vector<IpPrefix>{p("10.96.0.0/12")});
    EXPECT_EQ(merged.cluster_from, "--cluster-cidr");
    EXPECT_EQ(merged.service_from, "kubeadm-config's serviceSubnet");
    EXPECT_EQ(log.count("info|pool check: cluster CIDR 10.77.0.0/16 from --cluster-cidr, not "
                        "10.244.0.0/16,fd00:10:244::/56 from kubeadm-config's podSubnet"),
              1u)
        << log.text();
    EXPECT_EQ(log.count("info|pool check: service CIDR 10.96.0.0/12 from kubeadm-config's "
                        "serviceSubnet (no --service-cidr given)"),
              1u)
        << log.text();
}

TEST(PoolCheckPlan, NeitherSourceLeavesTheListEmptyAndSaysSo) {
    CapturedLog log;
    const core::ClusterPlan merged = netcheck::merge_plan({}, {}, "kubeadm-config");
    EXPECT_TRUE(merged.cluster_cidrs.empty());
    EXPECT_TRUE(merged.service_cidrs.empty());
    EXPECT_EQ(log.count("info|pool check: no service CIDR: neither --service-cidr nor "
                        "kubeadm-config's serviceSubnet names one; not checked"),
              1u)
        << log.text();
}

TEST(PoolCheckPlan, AWarningNamesTheApiAsTheSourceOfTheRangeItBreaks) {
    netcheck::PoolCheck check(std::make_unique<FakeHostNetwork>(), {});
    check.set_plan(
        netcheck::merge_plan({}, {{*IpPrefix::parse("10.77.0.0/16")}, {}}, "kubeadm-config"));
    check.run(pool("10.78.1.0/24"));
    ASSERT_EQ(check.warnings().size(), 1u);
    EXPECT_EQ(check.warnings()[0].message,
              "pool 'default' range 10.78.1.0/24: it lies outside the cluster CIDR 10.77.0.0/16 "
              "(kubeadm-config's podSubnet), so other nodes and kube-proxy do not treat it as pod "
              "addresses; give the pool a range inside it or fix kubeadm-config's podSubnet");
}
