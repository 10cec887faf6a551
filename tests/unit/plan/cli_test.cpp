// `warrenctl plan` end to end through ctl::run: flags or a cluster file in, the JSON parsed,
// exit codes 0 (clean or only notes/warnings), 1 (errors), 2 (usage). Never calls the agent.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run.hpp"
#include "support/temp_dir.hpp"

namespace warren::ctl::testing {
namespace {

using nlohmann::json;
using warren::testing::TempDir;

struct Ran {
    int code = -1;
    std::string out, err;
    int agent_calls = 0;
};

Ran run_plan(std::vector<std::string_view> args) {
    std::ostringstream out, err;
    Ran r;
    Io io{out, err,
          [&r](const std::string&, const json&, int) -> Result<json> {
              ++r.agent_calls;
              return fail(Code::io, "plan must not call the agent");
          },
          [] { return int64_t{0}; }};
    std::vector<std::string_view> all = {"plan", "--admin-socket", "/nonexistent/admin.sock"};
    all.insert(all.end(), args.begin(), args.end());
    r.code = run(all, io);
    r.out = out.str();
    r.err = err.str();
    return r;
}

std::vector<std::string> rules(const json& findings) {
    std::vector<std::string> out;
    for (auto& f : findings)
        out.push_back(f.at("severity").get<std::string>() + " " + f.at("rule").get<std::string>());
    return out;
}

TEST(PlanCli, CleanPlanExitsZeroWithCapacityJson) {
    auto r = run_plan({"--json", "--cluster-cidr", "10.244.0.0/16", "--service-cidr",
                       "10.96.0.0/12", "--node-cidr-mask-size", "24", "--max-pods", "110",
                       "--nodes", "200", "--node-network", "192.168.1.0/24"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.agent_calls, 0);
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("errors"), 0);
    EXPECT_EQ(j.at("warnings"), 0);
    EXPECT_EQ(j.at("notes"), 0);
    ASSERT_EQ(j.at("clusters").size(), 1u);
    const json& c = j["clusters"][0];
    EXPECT_EQ(c.at("name"), "");
    EXPECT_TRUE(c.at("findings").empty());
    ASSERT_EQ(c.at("capacity").size(), 1u);
    const json& cap = c["capacity"][0];
    EXPECT_EQ(cap.at("family"), "IPv4");
    EXPECT_EQ(cap.at("clusterCIDR"), "10.244.0.0/16");
    EXPECT_EQ(cap.at("nodeMask"), 24);
    EXPECT_EQ(cap.at("nodesMax"), 256);
    EXPECT_EQ(cap.at("podsPerNode"), 254);
    EXPECT_EQ(cap.at("maxPods"), 110);
    EXPECT_EQ(cap.at("serviceCIDR"), "10.96.0.0/12");
    EXPECT_EQ(cap.at("serviceIPs"), 1048574);
    EXPECT_EQ(cap.at("nodes"), 200);
    EXPECT_EQ(cap.at("nodeHeadroom"), 56);
    EXPECT_EQ(cap.at("saturated"), false);
    EXPECT_TRUE(j.at("overlaps").empty());
    EXPECT_FALSE(j.contains("suggestion"));
}

TEST(PlanCli, ErrorsExitOneAndNameTheFix) {
    auto r = run_plan({"--json", "--cluster-cidr=10.244.0.0/16", "--node-cidr-mask-size=24",
                       "--max-pods=300", "--service-cidr=10.244.0.0/20"});
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_EQ(r.agent_calls, 0);
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("errors"), 2);
    const json& findings = j["clusters"][0]["findings"];
    EXPECT_EQ(rules(findings),
              (std::vector<std::string>{"error node-mask-vs-max-pods",
                                        "error service-overlaps-pods", "note max-pods-above-110"}));
    EXPECT_EQ(findings[0].at("reason"),
              "--node-cidr-mask-size 24 gives 254 pod addresses per node, max-pods 300 needs /23");
    EXPECT_EQ(findings[0].at("fix"), "--node-cidr-mask-size 23 (or --max-pods 254)");
}

TEST(PlanCli, WarningsAndNotesAloneExitZero) {
    auto r = run_plan({"--json", "--cluster-cidr", "10.244.0.0/16", "--nodes", "250"});
    EXPECT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("errors"), 0);
    EXPECT_EQ(j.at("warnings"), 1);
    EXPECT_EQ(rules(j["clusters"][0]["findings"]),
              (std::vector<std::string>{"warning node-count", "note max-pods-default",
                                        "note no-service-cidr", "note node-mask-default"}));
}

TEST(PlanCli, DualStackHugeIpv6CountsAreStrings) {
    auto r =
        run_plan({"--json", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/40", "--service-cidr",
                  "10.96.0.0/12,fd00:10:96::/108", "--node-cidr-mask-size-ipv4", "24",
                  "--node-cidr-mask-size-ipv6", "48", "--max-pods", "110"});
    const json j = json::parse(r.out);
    ASSERT_EQ(j["clusters"][0]["capacity"].size(), 2u);
    const json& v6 = j["clusters"][0]["capacity"][1];
    EXPECT_EQ(v6.at("family"), "IPv6");
    EXPECT_EQ(v6.at("podsPerNode"), "1208925819614629174706175");  // 2^80 - 1
    EXPECT_EQ(v6.at("serviceIPs"), 1048575);
    EXPECT_EQ(v6.at("nodesMax"), 256);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(j.at("errors"), 0);
}

TEST(PlanCli, HumanTableByDefault) {
    auto r = run_plan({"--cluster-cidr", "10.244.0.0/16", "--service-cidr", "10.96.0.0/12",
                       "--node-cidr-mask-size", "24", "--max-pods", "300", "--nodes", "100"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out,
              "cluster (from flags)\n"
              "  family  cluster CIDR   node mask  nodes max  pods/node  max-pods  service CIDR  "
              "service IPs  nodes  headroom\n"
              "  IPv4    10.244.0.0/16  /24        256        254        300       10.96.0.0/12  "
              "1048574      100    156\n"
              "  findings:\n"
              "    error   node-mask-vs-max-pods: --node-cidr-mask-size 24 gives 254 pod addresses "
              "per node, max-pods 300 needs /23\n"
              "            fix: --node-cidr-mask-size 23 (or --max-pods 254)\n"
              "    note    max-pods-above-110: max-pods 300 is above 110, the most Kubernetes "
              "tests per node\n"
              "\n"
              "1 error, 0 warnings, 1 note\n");
}

struct Usage {
    std::vector<std::string_view> args;
    std::string message;  // the first line of stderr
};

TEST(PlanCli, UsageErrorsExitTwoAndSayWhatIsWrong) {
    const Usage cases[] = {
        {{},
         "warrenctl: plan needs --cluster-cidr CIDR[,CIDR] (kube-controller-manager's) or "
         "--clusters FILE"},
        {{"--cluster-cidr", "10.244.0.0/33"},
         "warrenctl: --cluster-cidr: '10.244.0.0/33' is not a CIDR (e.g. 10.244.0.0/16, or a "
         "v4,v6 pair)"},
        {{"--cluster-cidr", "10.244.0.0/16,fd00::/56", "--node-cidr-mask-size", "24"},
         "warrenctl: --node-cidr-mask-size is not allowed with a dual-stack cluster CIDR "
         "(kube-controller-manager refuses it); use --node-cidr-mask-size-ipv4 and "
         "--node-cidr-mask-size-ipv6"},
        {{"--cluster-cidr", "10.244.0.0/16", "--max-pods", "lots"},
         "warrenctl: --max-pods takes a whole number, not 'lots'"},
        {{"--cluster-cidr", "10.244.0.0/16", "--max-pods", "0"},
         "warrenctl: --max-pods takes 1 to 4294967295, not 0"},
        {{"--cluster-cidr", "10.244.0.0/16", "--node-cidr-mask-size", "200"},
         "warrenctl: --node-cidr-mask-size 200 is not a prefix length (0-128)"},
        {{"--cluster-cidr", "10.244.0.0/16", "--suggest", "/16"},
         "warrenctl: --suggest needs --within SUPERNET (e.g. --within 10.0.0.0/8)"},
        {{"--cluster-cidr", "10.244.0.0/16", "--suggest", "big", "--within", "10.0.0.0/8"},
         "warrenctl: --suggest takes a prefix length like /16, not 'big'"},
        {{"--cluster-cidr", "10.244.0.0/16", "--within", "10.0.0.0/8"},
         "warrenctl: --within needs --suggest LEN"},
        {{"--clusters", "/nonexistent/clusters.yaml", "--max-pods", "5"},
         "warrenctl: --max-pods cannot be combined with --clusters: put it in the file's cluster "
         "entries"},
        {{"--clusters", "/nonexistent/clusters.yaml"},
         "warrenctl: cannot read the cluster file /nonexistent/clusters.yaml: No such file or "
         "directory"},
        {{"--cluster-cidr", "10.244.0.0/16", "--bogus"},
         "warrenctl: unknown option --bogus for plan"},
    };
    for (auto& c : cases) {
        auto r = run_plan(c.args);
        EXPECT_EQ(r.code, 2) << c.message;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err.substr(0, r.err.find('\n')), c.message);
        EXPECT_NE(r.err.find("usage: warrenctl [global options] plan"), std::string::npos) << r.err;
        EXPECT_EQ(r.agent_calls, 0);
    }
}

TEST(PlanCli, ClusterFileOverlapsAndSuggestion) {
    TempDir dir;
    const std::string path = dir / "clusters.yaml";
    std::ofstream(path) << "clusters:\n"
                           "  - name: prod\n"
                           "    podCIDR: 10.0.0.0/16\n"
                           "    serviceCIDR: 10.1.0.0/20\n"
                           "    nodeCIDRMaskSize: 24\n"
                           "    maxPods: 110\n"
                           "  - name: staging\n"
                           "    podCIDRs: [10.1.0.0/16]\n"
                           "    serviceCIDRs: [10.2.0.0/20]\n"
                           "    nodeCIDRMaskSize: 24\n"
                           "    maxPods: 110\n";
    auto r = run_plan({"--json", "--clusters", path, "--suggest", "/16", "--within", "10.0.0.0/8"});
    EXPECT_EQ(r.code, 1) << r.err;
    const json j = json::parse(r.out);
    ASSERT_EQ(j.at("clusters").size(), 2u);
    EXPECT_EQ(j["clusters"][0].at("name"), "prod");
    EXPECT_EQ(j["clusters"][1].at("name"), "staging");
    ASSERT_EQ(j.at("overlaps").size(), 1u);
    EXPECT_EQ(j["overlaps"][0].at("reason"),
              "cluster prod's service CIDR 10.1.0.0/20 overlaps cluster staging's pod CIDR "
              "10.1.0.0/16");
    EXPECT_EQ(j["overlaps"][0].at("severity"), "error");
    EXPECT_EQ(j.at("errors"), 1);
    EXPECT_EQ(j.at("suggestion").at("podCIDR"), "10.3.0.0/16");
    EXPECT_EQ(j.at("suggestion").at("serviceCIDR"), "10.2.16.0/20");
    EXPECT_EQ(j.at("suggestion").at("whyNone"), "");
}

TEST(PlanCli, BrokenClusterFileNamesTheClusterAndKey) {
    TempDir dir;
    const std::string path = dir / "clusters.json";
    std::ofstream(path)
        << R"({"clusters": [{"name": "prod", "podCIDR": "10.0.0.0/16", "maxPods": -3}]})";
    auto r = run_plan({"--clusters", path});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(
        r.err.substr(0, r.err.find('\n')),
        "warrenctl: " + path + ": cluster 'prod' (#1): maxPods must be a whole number, not '-3'");
}

TEST(PlanCli, HelpListsPlanOptions) {
    auto r = run_plan({"--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("--node-cidr-mask-size-ipv6 N"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--suggest-service LEN"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace warren::ctl::testing
