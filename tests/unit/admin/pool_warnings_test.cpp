// "status" carries the pool checks' warnings as the daemon hands them over.
#include <gtest/gtest.h>

#include "admin_fixture.hpp"

using namespace warren;
using namespace warren::testing;
using nlohmann::json;

TEST_F(AdminTest, StatusHasAnEmptyPoolWarningsListWithoutChecks) {
    const json r = ok("status");
    ASSERT_TRUE(r.contains("poolWarnings")) << r.dump();
    EXPECT_EQ(r["poolWarnings"], json::array());
}

TEST_F(AdminTest, StatusListsThePoolWarnings) {
    std::vector<core::PoolWarning> current{
        {"default", "10.1.0.0/24", core::PoolWarningKind::host_address,
         "pool 'default' range 10.1.0.0/24: address 10.1.0.9/24 on eth1 lies inside it"},
        {"default", "10.1.0.0/24", core::PoolWarningKind::outside_cluster,
         "pool 'default' range 10.1.0.0/24: it lies outside the cluster CIDR 10.244.0.0/16"}};
    admin.reset();
    admin::AdminContext ctx{state, svc, *manager, *gc, wall, events};
    ctx.pool_warnings = [&] { return current; };
    admin = std::make_unique<admin::AdminService>(std::move(ctx));

    const json r = ok("status");
    ASSERT_EQ(r["poolWarnings"].size(), 2u) << r.dump();
    EXPECT_EQ(
        r["poolWarnings"][0],
        (json{{"pool", "default"},
              {"range", "10.1.0.0/24"},
              {"kind", "hostAddress"},
              {"message",
               "pool 'default' range 10.1.0.0/24: address 10.1.0.9/24 on eth1 lies inside it"}}));
    EXPECT_EQ(r["poolWarnings"][1]["kind"], "outsideCluster");

    current.clear();  // the next check found nothing: status follows it
    EXPECT_EQ(ok("status")["poolWarnings"], json::array());
}
