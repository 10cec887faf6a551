// The kubeadm fixture trees through warrenctl's run(): --root, --json parsed, exit codes.
// broken/RULE/ holds only the files that differ from the tree named in its BASE file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run.hpp"
#include "support/temp_dir.hpp"

namespace warren::check_flags {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using warren::testing::TempDir;

const std::string kFixtures = WARREN_KUBEADM_FIXTURES;

struct Ran {
    int code = -1;
    std::string out, err;
};

Ran warrenctl(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::ostringstream out, err;
    ctl::Io io{out, err, nullptr, [] { return int64_t{0}; }};
    Ran r;
    r.code = ctl::run(views, io);
    r.out = out.str();
    r.err = err.str();
    return r;
}

json run_json(const std::string& root) {
    Ran r = warrenctl({"check-flags", "--root", root, "--json"});
    EXPECT_TRUE(r.err.empty()) << r.err;
    return json::parse(r.out);
}

// A copy of broken/RULE's base tree with its files laid over it.
void materialize(const std::string& rule, const TempDir& into) {
    const std::string broken = kFixtures + "/broken/" + rule;
    std::ifstream base_file(broken + "/BASE");
    std::string base;
    std::getline(base_file, base);
    ASSERT_FALSE(base.empty()) << broken << "/BASE";
    fs::copy(kFixtures + "/" + base, into.path(), fs::copy_options::recursive);
    fs::copy(broken, into.path(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

TEST(Fixtures, GoodKubeadmClusterIsClean) {
    Ran r = warrenctl({"check-flags", "--root", kFixtures + "/good"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("no findings: the flags agree"), std::string::npos) << r.out;
    EXPECT_NE(
        r.out.find("kube-controller-manager  --cluster-cidr              10.244.0.0/16  " +
                   kFixtures + "/good/etc/kubernetes/manifests/kube-controller-manager.yaml:19"),
        std::string::npos)
        << r.out;

    const json j = run_json(kFixtures + "/good");
    EXPECT_EQ(j["errors"], 0);
    EXPECT_EQ(j["warnings"], 0);
    EXPECT_EQ(j["notes"], 0);
    EXPECT_EQ(j["components"],
              json({"kube-apiserver", "kube-controller-manager", "kubelet", "kube-proxy"}));
    std::map<std::string, std::string> read;
    for (auto& s : j["read"])
        read[s["component"].get<std::string>() + " " + s["flag"].get<std::string>()] = s["value"];
    const std::map<std::string, std::string> expected = {
        {"kube-apiserver --advertise-address", "192.168.1.10"},
        {"kube-apiserver --service-cluster-ip-range", "10.96.0.0/12"},
        {"kube-controller-manager --allocate-node-cidrs", "true"},
        {"kube-controller-manager --cluster-cidr", "10.244.0.0/16"},
        {"kube-controller-manager --node-cidr-mask-size", "24"},
        {"kube-controller-manager --service-cluster-ip-range", "10.96.0.0/12"},
        {"kubelet podCIDR", "10.244.1.0/24"},
        {"kubelet maxPods", "110"},
        {"kubelet clusterDNS", "10.96.0.10"},
        {"kubelet --node-ip", "192.168.1.10"},
        {"kube-proxy clusterCIDR", "10.244.0.0/16"},
    };
    EXPECT_EQ(read, expected);
}

TEST(Fixtures, DualStackClusterIsClean) {
    const json j = run_json(kFixtures + "/dual-stack");
    EXPECT_EQ(j["findings"], json::array());
    EXPECT_EQ(warrenctl({"check-flags", "--root", kFixtures + "/dual-stack"}).code, 0);
}

class Broken : public ::testing::TestWithParam<std::string> {};

TEST_P(Broken, FindsItsRuleAndExitsAccordingly) {
    TempDir root;
    materialize(GetParam(), root);
    const json j = run_json(root.path());
    ASSERT_EQ(j["findings"].size(), 1u) << j.dump(2);
    const json& f = j["findings"][0];
    EXPECT_EQ(f["rule"], GetParam());
    EXPECT_FALSE(f["reason"].get<std::string>().empty());
    EXPECT_FALSE(f["fix"].get<std::string>().empty());
    const bool error = f["severity"] == "error";
    EXPECT_EQ(j["errors"], error ? 1 : 0);
    Ran human = warrenctl({"check-flags", "--root", root.path()});
    EXPECT_EQ(human.code, error ? 1 : 0);
    EXPECT_NE(human.out.find(GetParam() + ": "), std::string::npos) << human.out;
}

INSTANTIATE_TEST_SUITE_P(Kubeadm, Broken,
                         ::testing::Values("service-range-mismatch", "cluster-cidr-mismatch",
                                           "pod-cidr-outside-cluster-cidr", "pod-cidr-mask",
                                           "cluster-dns-outside-service-range",
                                           "cluster-dns-is-network-address", "node-ip-in-pod-range",
                                           "node-ip-in-service-range", "node-mask-vs-max-pods",
                                           "node-mask-vs-cluster-cidr", "invalid-value",
                                           "config-unreadable", "dual-stack-order",
                                           "dual-stack-families"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(Fixtures, EveryBrokenTreeIsTested) {
    size_t trees = 0;
    for (auto& e : fs::directory_iterator(kFixtures + "/broken")) trees += e.is_directory();
    EXPECT_EQ(trees, 14u);
}

TEST(Fixtures, BrokenYamlNamesFileAndLine) {
    TempDir root;
    materialize("config-unreadable", root);
    const json j = run_json(root.path());
    ASSERT_EQ(j["findings"].size(), 1u);
    EXPECT_EQ(j["findings"][0]["reason"].get<std::string>().rfind(
                  "kubelet: " + root.path() + "/var/lib/kubelet/config.yaml:18: not valid YAML", 0),
              0u)
        << j["findings"][0]["reason"];
}

TEST(Fixtures, EmptyRootNotesEveryComponentMissing) {
    TempDir root;
    Ran r = warrenctl({"check-flags", "--root", root.path(), "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["notes"], 4);
    EXPECT_EQ(j["components"], json::array());
    for (auto& f : j["findings"]) EXPECT_EQ(f["rule"], "component-missing");
}

TEST(Fixtures, KubeProxyConfigOptionUnderRoot) {
    TempDir root;
    fs::copy(kFixtures + "/good", root.path(), fs::copy_options::recursive);
    fs::rename(root / "var/lib/kube-proxy/config.conf", root / "proxy.yaml");
    const json moved = run_json(root.path());
    EXPECT_EQ(moved["notes"], 1);
    EXPECT_EQ(moved["findings"][0]["rule"], "component-missing");

    Ran r = warrenctl(
        {"check-flags", "--root", root.path(), "--kube-proxy-config", "/proxy.yaml", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["findings"], json::array());

    Ran missing =
        warrenctl({"check-flags", "--root", root.path(), "--kube-proxy-config", "/nope.yaml"});
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.out.find("--kube-proxy-config " + root.path() + "/nope.yaml does not exist"),
              std::string::npos)
        << missing.out;
}

TEST(Fixtures, FromArgsReplacesAComponentsFiles) {
    Ran r = warrenctl({"check-flags", "--root", kFixtures + "/good", "--from-args",
                       "kube-proxy --cluster-cidr=10.245.0.0/16", "--json"});
    EXPECT_EQ(r.code, 1);
    const json j = json::parse(r.out);
    ASSERT_EQ(j["findings"].size(), 1u);
    EXPECT_EQ(j["findings"][0]["rule"], "cluster-cidr-mismatch");
    EXPECT_EQ(j["findings"][0]["reason"],
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 (" + kFixtures +
                  "/good/etc/kubernetes/manifests/kube-controller-manager.yaml:19) differs from "
                  "kube-proxy --cluster-cidr=10.245.0.0/16 (--from-args)");
}

TEST(Fixtures, FromArgsConfigFlagIsReadUnderRootAndFlagsOverrideIt) {
    Ran r = warrenctl({"check-flags", "--root", kFixtures + "/good", "--from-args",
                       "/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --max-pods 300",
                       "--json"});
    EXPECT_EQ(r.code, 1) << r.err;
    const json j = json::parse(r.out);
    std::map<std::string, std::string> sources;
    for (auto& s : j["read"])
        if (s["component"] == "kubelet") sources[s["flag"]] = s["source"];
    const std::string config = kFixtures + "/good/var/lib/kubelet/config.yaml";
    EXPECT_EQ(sources, (std::map<std::string, std::string>{{"podCIDR", config + ":39"},
                                                           {"--max-pods", "--from-args"},
                                                           {"clusterDNS", config + ":17"}}));
    ASSERT_EQ(j["findings"].size(), 1u);
    EXPECT_EQ(j["findings"][0]["rule"], "node-mask-vs-max-pods");

    Ran missing = warrenctl({"check-flags", "--root", kFixtures + "/good", "--from-args",
                             "kube-proxy --config=/etc/kube-proxy.yaml", "--json"});
    EXPECT_EQ(missing.code, 1);
    const json m = json::parse(missing.out);
    EXPECT_EQ(m["errors"], 1);
    ASSERT_EQ(m["findings"].size(), 2u);  // and the note that kube-proxy sets no clusterCIDR
    EXPECT_EQ(m["findings"][0]["rule"], "config-unreadable");
    EXPECT_EQ(m["findings"][1]["rule"], "flag-unset");
    EXPECT_NE(m["findings"][0]["reason"].get<std::string>().find("cannot read " + kFixtures +
                                                                 "/good/etc/kube-proxy.yaml"),
              std::string::npos)
        << m["findings"][0]["reason"];
}

TEST(Fixtures, UsageErrorsExitTwo) {
    Ran unknown = warrenctl({"check-flags", "--from-args", "etcd --listen=1"});
    EXPECT_EQ(unknown.code, 2);
    EXPECT_NE(unknown.err.find("the first word names the component"), std::string::npos)
        << unknown.err;
    EXPECT_TRUE(unknown.out.empty());
    Ran no_value = warrenctl({"check-flags", "--root"});
    EXPECT_EQ(no_value.code, 2);
    EXPECT_NE(no_value.err.find("--root needs a value (DIR)"), std::string::npos) << no_value.err;
    Ran operand = warrenctl({"check-flags", "extra"});
    EXPECT_EQ(operand.code, 2);
    EXPECT_NE(operand.err.find("unexpected argument 'extra' for check-flags"), std::string::npos)
        << operand.err;
}

TEST(Fixtures, HelpListsCheckFlags) {
    Ran r = warrenctl({"check-flags", "--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("usage: warrenctl [global options] check-flags [--root DIR]"),
              std::string::npos)
        << r.out;
}

}  // namespace
}  // namespace warren::check_flags
