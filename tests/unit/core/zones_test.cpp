#include "core/zones.hpp"

#include <gtest/gtest.h>

namespace warren::core {
namespace {

using nlohmann::json;

ZoneRules rules_of(const json& j, AntiSpoofing def = AntiSpoofing::log) {
    auto r = parse_zones(j, def);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(ZoneRules{});
}

LabelLookup synced(std::map<std::string, std::map<std::string, std::string>> by_ns) {
    return [by_ns](std::string_view ns) {
        NamespaceLabels out{.synced = true, .exists = false, .labels = {}};
        if (auto it = by_ns.find(std::string(ns)); it != by_ns.end()) {
            out.exists = true;
            out.labels = it->second;
        }
        return out;
    };
}

LabelLookup unsynced() {
    return [](std::string_view) { return NamespaceLabels{}; };
}

const json kTwo = {
    {"pci", {{"pool", "pci"}, {"namespaces", {"payments", "card-*"}}, {"antiSpoofing", "drop"}}},
    {"dev", {{"pool", "dev"}, {"namespaces", {"dev-?", "team-[ab]"}}}},
};

std::string zone_name(const Result<const Zone*>& r) {
    EXPECT_TRUE(r.has_value()) << r.error().message;
    if (!r || !*r) return "";
    return (*r)->name;
}

TEST(Zones, ParsesZonesSortedByNameWithModes) {
    auto rules = rules_of(kTwo, AntiSpoofing::off);
    ASSERT_EQ(rules.zones.size(), 2u);
    EXPECT_EQ(rules.zones[0].name, "dev");
    EXPECT_EQ(rules.zones[0].anti_spoofing, AntiSpoofing::log);
    EXPECT_EQ(rules.zones[1].name, "pci");
    EXPECT_EQ(rules.zones[1].anti_spoofing, AntiSpoofing::drop);
    EXPECT_EQ(rules.default_anti_spoofing, AntiSpoofing::off);
    EXPECT_FALSE(rules.strict);
    EXPECT_TRUE(rules.enabled());
    EXPECT_FALSE(rules.uses_selectors());
    EXPECT_EQ(rules.zone_owning("pci"), rules.find("pci"));
    EXPECT_EQ(rules.zone_owning("default"), nullptr);
}

TEST(Zones, ExactNameBeatsGlobBeatsSelector) {
    auto rules = rules_of({
        {"exact", {{"pool", "a"}, {"namespaces", {"card-1"}}}},
        {"glob", {{"pool", "b"}, {"namespaces", {"card-*"}}}},
        {"sel", {{"pool", "c"}, {"namespaceSelector", {{"matchLabels", {{"tier", "x"}}}}}}},
    });
    auto labels = synced(
        {{"card-1", {{"tier", "x"}}}, {"card-2", {{"tier", "x"}}}, {"other", {{"tier", "x"}}}});
    EXPECT_EQ(zone_name(zone_of(rules, "card-1", labels)), "exact");
    EXPECT_EQ(zone_name(zone_of(rules, "card-2", labels)), "glob");
    EXPECT_EQ(zone_name(zone_of(rules, "other", labels)), "sel");
}

TEST(Zones, GlobsUseFnmatch) {
    auto rules = rules_of(kTwo);
    EXPECT_EQ(zone_name(zone_of(rules, "card-visa", {})), "pci");
    EXPECT_EQ(zone_name(zone_of(rules, "dev-1", {})), "dev");
    EXPECT_EQ(zone_name(zone_of(rules, "dev-12", {})), "");
    EXPECT_EQ(zone_name(zone_of(rules, "team-a", {})), "dev");
    EXPECT_EQ(zone_name(zone_of(rules, "team-c", {})), "");
    EXPECT_EQ(zone_name(zone_of(rules, "payments", {})), "pci");
    EXPECT_EQ(zone_name(zone_of(rules, "", {})), "");
}

TEST(Zones, AmbiguityInTheBestTierIsRefusedNamingBoth) {
    auto rules = rules_of({
        {"a", {{"pool", "a"}, {"namespaces", {"shop-*"}}}},
        {"b", {{"pool", "b"}, {"namespaces", {"*-prod"}}}},
        {"c", {{"pool", "c"}, {"namespaces", {"x", "shop-x"}}}},
        {"d", {{"pool", "d"}, {"namespaces", {"x"}}}},
    });
    auto glob = zone_of(rules, "shop-prod", {});
    ASSERT_FALSE(glob.has_value());
    EXPECT_EQ(glob.error().code, Code::zone_refused);
    EXPECT_NE(glob.error().message.find("zone 'a'"), std::string::npos) << glob.error().message;
    EXPECT_NE(glob.error().message.find("zone 'b'"), std::string::npos) << glob.error().message;
    auto exact = zone_of(rules, "x", {});
    ASSERT_FALSE(exact.has_value());
    EXPECT_NE(exact.error().message.find("zone 'c'"), std::string::npos) << exact.error().message;
    EXPECT_NE(exact.error().message.find("zone 'd'"), std::string::npos) << exact.error().message;
    // The exact tier decides before the globs could be ambiguous.
    EXPECT_EQ(zone_name(zone_of(rules, "shop-x", {})), "c");
}

TEST(Zones, SelectorOperators) {
    auto sel = [](const json& j) {
        auto s = parse_label_selector(j, "sel");
        EXPECT_TRUE(s.has_value()) << s.error().message;
        return s.value_or(LabelSelector{});
    };
    const std::map<std::string, std::string> labels = {{"tier", "pci"}, {"env", "prod"}};
    EXPECT_TRUE(sel(json::object()).matches(labels));
    EXPECT_TRUE(sel(json::object()).matches({}));
    EXPECT_TRUE(sel({{"matchLabels", {{"tier", "pci"}}}}).matches(labels));
    EXPECT_FALSE(sel({{"matchLabels", {{"tier", "dev"}}}}).matches(labels));
    auto expr = [&](const json& e) {
        return sel({{"matchExpressions", json::array({e})}}).matches(labels);
    };
    EXPECT_TRUE(expr({{"key", "env"}, {"operator", "In"}, {"values", {"prod", "stage"}}}));
    EXPECT_FALSE(expr({{"key", "env"}, {"operator", "In"}, {"values", {"stage"}}}));
    EXPECT_FALSE(expr({{"key", "missing"}, {"operator", "In"}, {"values", {"x"}}}));
    EXPECT_TRUE(expr({{"key", "env"}, {"operator", "NotIn"}, {"values", {"stage"}}}));
    EXPECT_FALSE(expr({{"key", "env"}, {"operator", "NotIn"}, {"values", {"prod"}}}));
    EXPECT_TRUE(expr({{"key", "missing"}, {"operator", "NotIn"}, {"values", {"prod"}}}));
    EXPECT_TRUE(expr({{"key", "tier"}, {"operator", "Exists"}}));
    EXPECT_FALSE(expr({{"key", "missing"}, {"operator", "Exists"}}));
    EXPECT_TRUE(expr({{"key", "missing"}, {"operator", "DoesNotExist"}}));
    EXPECT_FALSE(expr({{"key", "tier"}, {"operator", "DoesNotExist"}}));
}

TEST(Zones, SelectorParseErrorsNameTheKey) {
    struct Case {
        json j;
        std::string want;
    };
    const std::vector<Case> cases = {
        {json::array(), "sel: must be an object"},
        {{{"matchLabel", json::object()}}, "unknown key 'matchLabel'"},
        {{{"matchLabels", {{"a", 1}}}}, "sel.matchLabels.a: must be a string"},
        {{{"matchExpressions", json::object()}}, "sel.matchExpressions: must be a list"},
        {{{"matchExpressions", {{{"key", "a"}, {"operator", "Like"}}}}}, "'Like' is not one of"},
        {{{"matchExpressions", {{{"key", "a"}, {"operator", "In"}}}}},
         "In needs at least one value"},
        {{{"matchExpressions", {{{"key", "a"}, {"operator", "NotIn"}, {"values", json::array()}}}}},
         "NotIn needs at least one value"},
        {{{"matchExpressions", {{{"key", "a"}, {"operator", "Exists"}, {"values", {"x"}}}}}},
         "Exists takes no values"},
        {{{"matchExpressions", {{{"key", "a"}, {"operator", "DoesNotExist"}, {"values", {"x"}}}}}},
         "DoesNotExist takes no values"},
        {{{"matchExpressions", {{{"operator", "Exists"}}}}},
         "sel.matchExpressions[0].key: missing"},
        {{{"matchExpressions", {{{"key", "a"}, {"operator", "Exists"}, {"bogus", 1}}}}},
         "unknown key 'bogus'"},
    };
    for (const auto& c : cases) {
        auto r = parse_label_selector(c.j, "sel");
        ASSERT_FALSE(r.has_value()) << c.j.dump();
        EXPECT_EQ(r.error().code, Code::invalid_config);
        EXPECT_NE(r.error().message.find(c.want), std::string::npos)
            << c.j.dump() << ": " << r.error().message;
    }
}

TEST(Zones, SelectorNeedsSyncedLabelsOnlyWhenItCouldDecide) {
    auto rules = rules_of({
        {"pci", {{"pool", "pci"}, {"namespaces", {"payments"}}}},
        {"sel", {{"pool", "sel"}, {"namespaceSelector", {{"matchLabels", {{"zone", "sel"}}}}}}},
    });
    EXPECT_TRUE(rules.uses_selectors());
    // A name match decides without labels.
    EXPECT_EQ(zone_name(zone_of(rules, "payments", unsynced())), "pci");
    auto waiting = zone_of(rules, "shop", unsynced());
    ASSERT_FALSE(waiting.has_value());
    EXPECT_EQ(waiting.error().code, Code::try_again);
    EXPECT_NE(waiting.error().message.find("not synced"), std::string::npos)
        << waiting.error().message;
    auto no_lookup = zone_of(rules, "shop", {});
    ASSERT_FALSE(no_lookup.has_value());
    EXPECT_EQ(no_lookup.error().code, Code::try_again);
    // Synced but the namespace is not listed yet: still not put in a default pool.
    auto missing = zone_of(rules, "shop", synced({}));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, Code::try_again);
    auto chosen = choose(rules, "shop", std::nullopt, unsynced());
    ASSERT_FALSE(chosen.has_value());
    EXPECT_EQ(chosen.error().code, Code::try_again);
    EXPECT_EQ(zone_name(zone_of(rules, "shop", synced({{"shop", {{"zone", "sel"}}}}))), "sel");
    EXPECT_EQ(zone_name(zone_of(rules, "shop", synced({{"shop", {{"zone", "other"}}}}))), "");
}

TEST(Zones, AmbiguousSelectorsAreRefused) {
    auto rules = rules_of({
        {"a", {{"pool", "a"}, {"namespaceSelector", {{"matchLabels", {{"x", "1"}}}}}}},
        {"b", {{"pool", "b"}, {"namespaceSelector", json::object()}}},
    });
    auto r = zone_of(rules, "n", synced({{"n", {{"x", "1"}}}}));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Code::zone_refused);
    EXPECT_NE(r.error().message.find("zone 'a'"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("zone 'b'"), std::string::npos) << r.error().message;
    EXPECT_EQ(zone_name(zone_of(rules, "m", synced({{"m", {}}}))), "b");
}

TEST(Zones, NoZonesAllowsEverything) {
    ZoneRules rules;
    EXPECT_FALSE(rules.enabled());
    auto c = choose(rules, "payments", PoolAsk{"anything", "args.cni.pool"}, {});
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->pool, std::nullopt);
    EXPECT_EQ(c->zone, "");
    auto none = choose(rules, "", std::nullopt, {});
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->pool, std::nullopt);
    EXPECT_EQ(none->zone, "");
}

TEST(Zones, ZonePicksItsPoolWhenNothingNamesOne) {
    auto rules = rules_of(kTwo);
    auto c = choose(rules, "card-visa", std::nullopt, {});
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->pool, "pci");
    EXPECT_EQ(c->zone, "pci");
    EXPECT_EQ(c->anti_spoofing, AntiSpoofing::drop);
}

TEST(Zones, AskForTheZonesOwnPoolIsAllowed) {
    auto rules = rules_of(kTwo);
    for (const char* from :
         {"args.cni.pool", "runtimeConfig.pool", "ipam.pool", "the network's ranges"}) {
        auto c = choose(rules, "payments", PoolAsk{"pci", from}, {});
        ASSERT_TRUE(c.has_value()) << from << ": " << c.error().message;
        EXPECT_EQ(c->pool, std::nullopt) << from;
        EXPECT_EQ(c->zone, "pci") << from;
    }
}

TEST(Zones, AskForAnotherPoolIsRefusedNamingTheRule) {
    auto rules = rules_of(kTwo);
    for (const char* from :
         {"args.cni.pool", "runtimeConfig.pool", "ipam.pool", "the network's ranges"}) {
        auto c = choose(rules, "payments", PoolAsk{"default", from}, {});
        ASSERT_FALSE(c.has_value()) << from;
        EXPECT_EQ(c.error().code, Code::zone_refused);
        const auto& m = c.error().message;
        EXPECT_NE(m.find("zone rule: namespace 'payments' is in zone 'pci' (namespaces: payments, "
                         "card-*), which "
                         "allows only pool 'pci'; " +
                         std::string(from) + " asked for pool 'default'"),
                  std::string::npos)
            << m;
    }
}

TEST(Zones, UnzonedNamespaceKeepsItsPoolButNotAZonesPool) {
    auto rules = rules_of(kTwo);
    auto plain = choose(rules, "web", std::nullopt, {});
    ASSERT_TRUE(plain.has_value()) << plain.error().message;
    EXPECT_EQ(plain->pool, std::nullopt);
    EXPECT_EQ(plain->zone, "");
    auto other = choose(rules, "web", PoolAsk{"shared", "ipam.pool"}, {});
    ASSERT_TRUE(other.has_value()) << other.error().message;
    EXPECT_EQ(other->pool, std::nullopt);
    auto stolen = choose(rules, "web", PoolAsk{"pci", "args.cni.pool"}, {});
    ASSERT_FALSE(stolen.has_value());
    EXPECT_EQ(stolen.error().code, Code::zone_refused);
    EXPECT_NE(stolen.error().message.find("pool 'pci' belongs to zone 'pci'"), std::string::npos)
        << stolen.error().message;
    EXPECT_NE(stolen.error().message.find("namespace 'web' is in no zone"), std::string::npos);
    EXPECT_NE(stolen.error().message.find("args.cni.pool asked for pool 'pci'"), std::string::npos);
    auto no_ns = choose(rules, "", PoolAsk{"dev", "runtimeConfig.pool"}, {});
    ASSERT_FALSE(no_ns.has_value());
    EXPECT_NE(no_ns.error().message.find("no K8S_POD_NAMESPACE"), std::string::npos)
        << no_ns.error().message;
}

TEST(Zones, ZoneOwningTheDefaultPoolRefusesUnzonedNamespacesWithoutAnAsk) {
    auto rules = rules_of({{"main", {{"pool", "default"}, {"namespaces", {"main"}}}}});
    auto c = choose(rules, "web", std::nullopt, {});
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().code, Code::zone_refused);
    EXPECT_NE(c.error().message.find("no pool was named, so the ADD would take pool 'default'"),
              std::string::npos)
        << c.error().message;
}

TEST(Zones, StrictRefusesUnzonedNamespacesAndMissingNamespace) {
    auto strict = kTwo;
    strict["strict"] = true;
    auto rules = rules_of(strict);
    EXPECT_TRUE(rules.strict);
    auto web = choose(rules, "web", std::nullopt, {});
    ASSERT_FALSE(web.has_value());
    EXPECT_EQ(web.error().code, Code::zone_refused);
    EXPECT_NE(web.error().message.find("namespace 'web' is in no zone and zones.strict is set"),
              std::string::npos)
        << web.error().message;
    auto none = choose(rules, "", PoolAsk{"other", "ipam.pool"}, {});
    ASSERT_FALSE(none.has_value());
    EXPECT_NE(none.error().message.find("no K8S_POD_NAMESPACE"), std::string::npos)
        << none.error().message;
    auto zoned = choose(rules, "payments", std::nullopt, {});
    ASSERT_TRUE(zoned.has_value()) << zoned.error().message;
    EXPECT_EQ(zoned->pool, "pci");
    // strict alone (no zones) turns zones on and refuses everything.
    auto only = rules_of({{"strict", true}});
    EXPECT_TRUE(only.enabled());
    EXPECT_FALSE(choose(only, "web", std::nullopt, {}).has_value());
}

TEST(Zones, ReportNamesTheZoneAndMismatchesBothWays) {
    auto rules = rules_of(kTwo);
    auto fine = report(rules, "payments", "pci", {});
    EXPECT_EQ(fine.zone, "pci");
    EXPECT_FALSE(fine.mismatch);
    EXPECT_EQ(fine.anti_spoofing, AntiSpoofing::drop);
    auto plain = report(rules, "web", "default", {});
    EXPECT_EQ(plain.zone, "");
    EXPECT_FALSE(plain.mismatch);
    EXPECT_EQ(plain.anti_spoofing, AntiSpoofing::log);
    // The namespace's zone now owns another pool.
    auto moved = report(rules, "payments", "default", {});
    EXPECT_EQ(moved.zone, "pci");
    EXPECT_TRUE(moved.mismatch);
    EXPECT_NE(
        moved.why.find("namespace 'payments' is now in zone 'pci', which allows only pool 'pci'"),
        std::string::npos)
        << moved.why;
    // The pool now belongs to a zone the namespace is not in.
    auto taken = report(rules, "web", "dev", {});
    EXPECT_EQ(taken.zone, "dev");
    EXPECT_TRUE(taken.mismatch);
    EXPECT_NE(
        taken.why.find("pool 'dev' now belongs to zone 'dev', and namespace 'web' is not in it"),
        std::string::npos)
        << taken.why;
    auto off = report(ZoneRules{}, "payments", "default", {});
    EXPECT_EQ(off.zone, "");
    EXPECT_FALSE(off.mismatch);
}

TEST(Zones, ParseErrorsNameTheKey) {
    struct Case {
        json j;
        std::string want;
    };
    const std::vector<Case> cases = {
        {json::array(), "zones: must be an object"},
        {{{"strict", "yes"}}, "zones.strict: must be true or false"},
        {{{"PCI", {{"pool", "p"}, {"namespaces", {"a"}}}}}, "zone name 'PCI' must be a DNS label"},
        {{{"pci", "p"}}, "zones.pci: must be an object"},
        {{{"pci", {{"namespaces", {"a"}}}}}, "zones.pci.pool: missing"},
        {{{"pci", {{"pool", ""}, {"namespaces", {"a"}}}}},
         "zones.pci.pool: must be a non-empty pool name"},
        {{{"pci", {{"pool", "p"}}}}, "zones.pci: needs namespaces or namespaceSelector"},
        {{{"pci", {{"pool", "p"}, {"namespaces", json::array()}}}},
         "zones.pci.namespaces: must not be empty"},
        {{{"pci", {{"pool", "p"}, {"namespaces", {1}}}}},
         "zones.pci.namespaces: every entry must be a non-empty"},
        {{{"pci", {{"pool", "p"}, {"namespaces", "a"}}}}, "zones.pci.namespaces: must be a list"},
        {{{"pci", {{"pool", "p"}, {"namespaces", {"a"}}, {"antiSpoofing", "block"}}}},
         "zones.pci.antiSpoofing: 'block' is not one of off, log, drop"},
        {{{"pci", {{"pool", "p"}, {"namespaces", {"a"}}, {"pools", "x"}}}},
         "zones.pci: unknown key 'pools'"},
        {{{"pci", {{"pool", "p"}, {"namespaceSelector", {{"matchLabels", 3}}}}}},
         "zones.pci.namespaceSelector.matchLabels"},
        {{{"a", {{"pool", "p"}, {"namespaces", {"a"}}}},
          {"b", {{"pool", "p"}, {"namespaces", {"b"}}}}},
         "zones.b.pool: pool 'p' is already owned by zone 'a'"},
    };
    for (const auto& c : cases) {
        auto r = parse_zones(c.j, AntiSpoofing::log);
        ASSERT_FALSE(r.has_value()) << c.j.dump();
        EXPECT_EQ(r.error().code, Code::invalid_config);
        EXPECT_NE(r.error().message.find(c.want), std::string::npos)
            << c.j.dump() << ": " << r.error().message;
    }
    auto unknown = parse_zones({{"pci", {{"pool", "pci"}, {"namespaces", {"a"}}}}},
                               AntiSpoofing::log, {"default", "dev"});
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().message.find(
                  "zones.pci.pool: no pool 'pci' is defined (pools: default, dev)"),
              std::string::npos)
        << unknown.error().message;
}

TEST(Zones, AntiSpoofingModes) {
    EXPECT_EQ(parse_anti_spoofing("off"), AntiSpoofing::off);
    EXPECT_EQ(parse_anti_spoofing("log"), AntiSpoofing::log);
    EXPECT_EQ(parse_anti_spoofing("drop"), AntiSpoofing::drop);
    EXPECT_FALSE(parse_anti_spoofing("Drop").has_value());
    EXPECT_EQ(to_string(AntiSpoofing::drop), "drop");
}

}  // namespace
}  // namespace warren::core
