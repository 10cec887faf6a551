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
