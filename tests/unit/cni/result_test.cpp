#include "result.hpp"

#include <gtest/gtest.h>

#include "resolv_conf.hpp"
#include "version.hpp"

namespace warren::cni {
namespace {

using nlohmann::json;

json parse_line(const std::string& s) {
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(s.back(), '\n');
    EXPECT_EQ(s.find('\n'), s.size() - 1) << "one line";
    return json::parse(s);
}

const std::vector<proto::IpResult> kDualStack{{"10.1.0.5/24", "10.1.0.1"}, {"fd00::5/64", ""}};
const std::vector<Route> kRoutes{{"0.0.0.0/0", "10.1.0.1", 1400, 0, 7, 100, 253},
                                 {"::/0", "", {}, {}, {}, {}, {}}};

TEST(Version, ParseSemver) {
    EXPECT_EQ(parse_semver("1.1.0"), (SemVer{1, 1, 0}));
    EXPECT_EQ(parse_semver("0.10.2"), (SemVer{0, 10, 2}));
    for (const char* bad :
         {"", "1", "1.0", "1.0.0.0", "1.0.x", "v1.0.0", "1..0", "1.0.0-rc1", " 1.0.0"})
        EXPECT_FALSE(parse_semver(bad)) << bad;
    EXPECT_LT(*parse_semver("0.4.0"), *parse_semver("1.0.0"));
    EXPECT_LT(*parse_semver("0.3.1"), *parse_semver("0.4.0"));
}

TEST(Version, SupportedForAdd) {
    for (auto v : kSupportedVersions) EXPECT_TRUE(check_version(Command::add, v)) << v;
    for (const char* v : {"0.1.0", "0.2.0", "1.2.0", "2.0.0", "", "latest"}) {
        auto s = check_version(Command::add, v);
        ASSERT_FALSE(s) << v;
        EXPECT_EQ(s.error().code, Code::incompatible_version) << v;
    }
}

TEST(Version, CommandGatesFollowSkel) {
    auto check = check_version(Command::check, "0.3.1");
    ASSERT_FALSE(check);
    EXPECT_EQ(check.error().code, Code::incompatible_version);
    EXPECT_EQ(check.error().message, "config version does not allow CHECK");
    EXPECT_TRUE(check_version(Command::check, "0.4.0"));
    EXPECT_TRUE(check_version(Command::del, "0.3.0"));
    for (Command c : {Command::gc, Command::status}) {
        auto s = check_version(c, "1.0.0");
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, Code::incompatible_version);
        EXPECT_EQ(s.error().message,
                  "config version does not allow " + std::string(command_name(c)));
        EXPECT_TRUE(check_version(c, "1.1.0"));
    }
}

TEST(Result, VersionFieldOnlyBefore100) {
    for (auto v : kSupportedVersions) {
        auto out = format_add_result(v, kDualStack, {}, {});
        ASSERT_TRUE(out) << v;
        json j = parse_line(*out);
        EXPECT_EQ(j["cniVersion"], v);
        EXPECT_FALSE(j.contains("interfaces")) << v;
        ASSERT_EQ(j["ips"].size(), 2u);
        bool old = v[0] == '0';
        EXPECT_EQ(j["ips"][0].contains("version"), old) << v;
        EXPECT_EQ(j["ips"][1].contains("version"), old) << v;
        if (old) {
            EXPECT_EQ(j["ips"][0]["version"], "4");
            EXPECT_EQ(j["ips"][1]["version"], "6");
        }
        EXPECT_EQ(j["ips"][0]["address"], "10.1.0.5/24");
        EXPECT_EQ(j["ips"][0]["gateway"], "10.1.0.1");
        EXPECT_FALSE(j["ips"][1].contains("gateway"));
        EXPECT_FALSE(j["ips"][0].contains("interface"));
        EXPECT_FALSE(j.contains("routes")) << "no routes configured";
        EXPECT_EQ(j["dns"], json::object());
    }
}

TEST(Result, RouteFieldsFilteredByVersion) {
    for (auto v : kSupportedVersions) {
        auto out = format_add_result(v, kDualStack, kRoutes, {});
        ASSERT_TRUE(out);
        json routes = parse_line(*out)["routes"];
        ASSERT_EQ(routes.size(), 2u);
        EXPECT_EQ(routes[1], json::parse(R"({"dst":"::/0"})")) << v;
        if (v == "1.1.0") {
            // advmss 0 is omitted like libcni's omitempty; table and scope are kept when set.
            EXPECT_EQ(routes[0],
                      json::parse(R"({"dst":"0.0.0.0/0","gw":"10.1.0.1","mtu":1400,"priority":7,
                                                 "table":100,"scope":253})"));
        } else {
            EXPECT_EQ(routes[0], json::parse(R"({"dst":"0.0.0.0/0","gw":"10.1.0.1"})")) << v;
        }
    }
}

TEST(Result, Dns) {
    Dns dns{{"10.96.0.10"},
            "cluster.local",
            {"default.svc.cluster.local", "svc.cluster.local"},
            {"ndots:5"}};
    auto out = format_add_result("1.0.0", kDualStack, {}, dns);
    ASSERT_TRUE(out);
    EXPECT_EQ(parse_line(*out)["dns"],
              json::parse(R"({"nameservers":["10.96.0.10"],"domain":"cluster.local",
        "search":["default.svc.cluster.local","svc.cluster.local"],"options":["ndots:5"]})"));
}

TEST(Result, BadAgentAddressIsAnError) {
    for (auto ips : std::vector<std::vector<proto::IpResult>>{{{"10.1.0.5", ""}},
                                                              {{"nonsense/24", ""}},
                                                              {{"10.1.0.5/40", ""}},
                                                              {{"10.1.0.5/24", "fd00::1"}}}) {
        auto out = format_add_result("1.0.0", ips, {}, {});
        ASSERT_FALSE(out) << ips[0].address;
        EXPECT_EQ(out.error().code, Code::internal);
    }
}

TEST(Result, VersionAnswer) {
    json j = parse_line(format_version_result("0.4.0"));
    EXPECT_EQ(
        j,
        json::parse(
            R"({"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"));
}

TEST(Result, ErrorShape) {
    json j = parse_line(
        format_error("1.0.0", Error{Code::try_again, "agent down", "connect: refused", 0}));
    EXPECT_EQ(
        j,
        json::parse(
            R"({"cniVersion":"1.0.0","code":11,"msg":"agent down","details":"connect: refused"})"));

    j = parse_line(format_error("0.4.0", Error{Code::invalid_config, "bad", {}, 0}));
    EXPECT_EQ(j, json::parse(R"({"cniVersion":"0.4.0","code":7,"msg":"bad"})"))
        << "details omitted when empty";

    j = parse_line(format_error("1.1.0", Error{Code::io, "cannot open x", {}, ENOENT}));
    EXPECT_EQ(j["msg"], "cannot open x: No such file or directory");

    j = parse_line(format_error("1.1.0", Error{Code::unavailable, "", {}, 0}));
    EXPECT_EQ(j["msg"], "the plugin is not available");

    // Invalid UTF-8 from anywhere must not stop the error from being printed.
    j = parse_line(format_error("1.1.0", Error{Code::internal, "bad \xff byte", {}, 0}));
    EXPECT_EQ(j["code"], 999);
}

TEST(Result, ErrorVersion) {
    EXPECT_EQ(error_version("0.3.1"), "0.3.1");
    EXPECT_EQ(error_version("0.2.0"), kLatestVersion);
    EXPECT_EQ(error_version(""), kLatestVersion);
}

TEST(ResolvConf, ParsesLikeHostLocal) {
    auto dns = parse_resolv_conf(
        "# generated\n"
        "; also a comment\n"
        "nameserver 10.96.0.10\n"
        "  nameserver\t10.96.0.11  \n"
        "nameserver\n"  // one field: skipped
        "domain example.com\n"
        "domain cluster.local\n"  // last wins
        "search a.svc b.svc\n"
        "search c.svc\n"
        "options ndots:5 timeout:1\r\n"
        "sortlist 10.0.0.0\n"  // unknown directive
        "\n");
    EXPECT_EQ(dns.nameservers, (std::vector<std::string>{"10.96.0.10", "10.96.0.11"}));
    EXPECT_EQ(dns.domain, "cluster.local");
    EXPECT_EQ(dns.search, (std::vector<std::string>{"a.svc", "b.svc", "c.svc"}));
    EXPECT_EQ(dns.options, (std::vector<std::string>{"ndots:5", "timeout:1"}));
}

TEST(ResolvConf, EmptyGivesEmptyObject) {
    auto dns = parse_resolv_conf("");
    EXPECT_EQ(dns, Dns{});
    EXPECT_EQ(dns_to_json(dns), json::object());
    EXPECT_EQ(dns_to_json(Dns{{"1.1.1.1"}, {}, {}, {}}),
              json::parse(R"({"nameservers":["1.1.1.1"]})"));
}

}  // namespace
}  // namespace warren::cni
