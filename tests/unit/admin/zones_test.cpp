// list and show carry each allocation's zone (and a mismatch after a zone change) when zones are
// on.
#include <gtest/gtest.h>

#include "admin_fixture.hpp"

using namespace warren;
using namespace warren::testing;
using nlohmann::json;

namespace {

class AdminZonesTest : public AdminTest {
  protected:
    void use_zones(const json& zones) {
        auto parsed = core::parse_zones(zones, core::AntiSpoofing::log);
        ASSERT_TRUE(parsed) << parsed.error().message;
        rules = *parsed;
        admin.reset();
        admin::AdminContext ctx{state, svc, *manager, *gc, wall, events};
        ctx.zone = [this](const core::Allocation& a) {
            return core::report(rules, a.pod.namespace_, a.pool, {});
        };
        admin = std::make_unique<admin::AdminService>(std::move(ctx));
    }
    core::ZoneRules rules;
};

TEST_F(AdminTest, ListAndShowHaveNoZoneFieldsWhenZonesAreOff) {
    const auto a = add("c1", "/run/netns/a", "web-0");
    auto e = ok("list")["entries"];
    ASSERT_EQ(e.size(), 1u);
    EXPECT_FALSE(e[0].contains("zone")) << e.dump();
    EXPECT_FALSE(e[0].contains("zoneMismatch")) << e.dump();
    auto m = ok("show", {{"target", a}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_FALSE(m[0].contains("zone")) << m.dump();
    EXPECT_FALSE(m[0]["antiSpoofing"].contains("zoneMode")) << m.dump();
}

TEST_F(AdminZonesTest, ListAndShowNameTheZone) {
    const auto a = add("c1", "/run/netns/a", "web-0");
    use_zones({{"main", {{"pool", "default"}, {"namespaces", {"ns"}}, {"antiSpoofing", "drop"}}}});
    auto e = ok("list")["entries"];
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0]["zone"], "main");
    EXPECT_FALSE(e[0].contains("zoneMismatch")) << e.dump();
    auto m = ok("show", {{"target", a}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0]["zone"], "main");
    EXPECT_EQ(m[0]["antiSpoofing"]["zoneMode"], "drop") << m.dump();
    EXPECT_FALSE(m[0].contains("zoneMismatch"));
}

TEST_F(AdminZonesTest, AZoneChangeIsReportedAsAMismatch) {
    const auto a = add("c1", "/run/netns/a", "web-0");
    // Its namespace moved to a zone with another pool.
    use_zones({{"moved", {{"pool", "other"}, {"namespaces", {"ns"}}}}});
    auto e = ok("list")["entries"];
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0]["zone"], "moved");
    EXPECT_EQ(
        e[0]["zoneMismatch"],
        "namespace 'ns' is now in zone 'moved', which allows only pool 'other'; this allocation "
        "is in pool 'default'");
    // Its pool now belongs to a zone its namespace is not in.
    use_zones({{"pci", {{"pool", "default"}, {"namespaces", {"payments"}}}}});
    auto m = ok("show", {{"target", a}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0]["zone"], "pci");
    EXPECT_EQ(m[0]["zoneMismatch"],
              "pool 'default' now belongs to zone 'pci', and namespace 'ns' is not in it");
    EXPECT_EQ(m[0]["antiSpoofing"]["zoneMode"], "log") << m.dump();
}

TEST_F(AdminZonesTest, AnAllocationInNoZoneHasAnEmptyZone) {
    add("c1", "/run/netns/a", "web-0");
    use_zones({{"pci", {{"pool", "pci"}, {"namespaces", {"payments"}}}}});
    auto e = ok("list")["entries"];
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0]["zone"], "");
    EXPECT_FALSE(e[0].contains("zoneMismatch"));
}

}  // namespace
