// Zones by namespace label in DaemonSet mode end to end (issue 11): the real warrend with
// --kube-node and a zones config against the in-process HTTPS fake of the Kubernetes API, whose
// namespaces (and their labels) the agent lists and watches; the real plugin exec'd per ADD with
// the pod's namespace in CNI_ARGS.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "cni.hpp"
#include "ctl_support.hpp"
#include "kube_fixture.hpp"

using namespace warren::it;
using namespace std::chrono_literals;
using warren::testing::FakeKubeApi;

namespace {

constexpr const char* kNode = "node-z";
constexpr const char* kPci = "10.233.1.0/24";
constexpr const char* kGeneral = "10.233.2.0/24";
constexpr const char* kNodeCidr = "10.233.3.0/24";  // the pool "default", from the Node

// Pools "pci" and "general" from the file; zone pci by the label zone=pci (or by `pci_namespaces`
// when given instead), zone general by the namespace "web".
json zones_config(bool pci_by_label = true, const json& pci_namespaces = json{"payments"}) {
    json pci = {{"pool", "pci"}};
    if (pci_by_label)
        pci["namespaceSelector"] = {{"matchLabels", {{"zone", "pci"}}}};
    else
        pci["namespaces"] = pci_namespaces;
    return json{
        {"pools", {{"pci", {{"cidrs", {kPci}}}}, {"general", {{"cidrs", {kGeneral}}}}}},
        {"zones", {{"pci", pci}, {"general", {{"pool", "general"}, {"namespaces", {"web"}}}}}},
    };
}

size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
        ++n;
    return n;
}

class KubeZonesTest : public KubeApiTest {
  protected:
    void SetUp() override {
        KubeApiTest::SetUp();
        if (IsSkipped()) return;
        api_->set_node(FakeKubeApi::make_node(kNode, {kNodeCidr}));
        api_->add_namespace(FakeKubeApi::make_namespace("team-a", {{"zone", "pci"}}));
        api_->add_namespace(FakeKubeApi::make_namespace("team-b"));
        api_->add_namespace(FakeKubeApi::make_namespace("web"));
    }

    std::string config_path() const { return tmp("warrend.json"); }
    void write_config(const json& j) const { std::ofstream(config_path()) << j.dump(2); }

    ::testing::AssertionResult start(const json& config) {
        write_config(config);
        AgentSpec s;
        s.extra_args = {"--kube-node",           kNode,      "--kubeconfig",
                        api_->kubeconfig_path(), "--config", config_path()};
        return agent().start(with_admin(agent(), s));
    }
    CniResult add(const std::string& cid, const std::string& k8s_namespace,
                  const json& args = nullptr) {
        auto conf = plugin_conf("kzones", warren_ipam(agent().socket()));
        if (!args.is_null()) conf["args"] = args;
        auto c = call("ADD", cid, "/proc/self/ns/net");
        c.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + k8s_namespace + ";K8S_POD_NAME=" + cid +
                 ";K8S_POD_UID=uid-" + cid;
        return warren_plugin(conf, c);
    }
    // The pool "default" comes from the Node: STATUS answers once the agent has read it.
    bool node_read() {
        auto c = call("STATUS", "");
        return warren_plugin(plugin_conf("kzones", warren_ipam(agent().socket())), c).ok();
    }
    std::string first_ip(const CniResult& r) const {
        auto a = r.addresses();
        return a.empty() ? std::string{} : strip_prefix(a[0]);
    }
    json list_entry(const std::string& cid) {
        auto j = warrenctl_json(agent(), {"list"});
        for (auto& e : j.value("entries", json::array()))
            if (e.value("containerId", "") == cid) return e;
        return nullptr;
    }
    bool log_has(const std::string& text, std::chrono::milliseconds timeout = 15s) {
        return eventually([&] { return agent().log().find(text) != std::string::npos; }, timeout);
    }
};

// Until the namespaces are synced, an ADD a selector could decide is answered "try again" (11),
// never an address from another pool; then the label picks the pool, a namespace in no zone gets
// the Node's pool, and may not ask for a zone's pool.
TEST_F(KubeZonesTest, TheNamespaceLabelPicksThePoolOnceTheNamespacesAreSynced) {
    api_->hold_namespaces(true);
    ASSERT_TRUE(start(zones_config()));
    ASSERT_TRUE(eventually([&] { return node_read(); })) << agent().log();
    for (const char* ns : {"team-a", "team-b"}) {
        auto early = add(std::string("early-") + ns, ns);
        EXPECT_EQ(early.code(), 11) << early.describe();
        EXPECT_NE(early.msg().find("not synced"), std::string::npos) << early.msg();
        EXPECT_TRUE(list_entry(std::string("early-") + ns).is_null())
            << "an ADD answered 11 allocated";
    }
    api_->hold_namespaces(false);

    std::vector<std::string> before_success;
    std::optional<CniResult> a;
    ASSERT_TRUE(eventually([&] {
        a = add("a-1", "team-a");
        if (!a->ok()) before_success.push_back(std::to_string(a->code()) + ": " + a->msg());
        return a->ok();
    })) << a->describe()
        << agent().log();
    for (auto& answer : before_success) EXPECT_EQ(answer.substr(0, 4), "11: ") << answer;
    EXPECT_TRUE(in_prefix(first_ip(*a), kPci)) << a->describe();

    auto b = add("b-1", "team-b");
    ASSERT_TRUE(b.ok()) << b.describe() << agent().log();
    EXPECT_TRUE(in_prefix(first_ip(b), kNodeCidr)) << b.describe();
    auto web = add("web-1", "web");
    ASSERT_TRUE(web.ok()) << web.describe();
    EXPECT_TRUE(in_prefix(first_ip(web), kGeneral)) << web.describe();

    auto refused = add("b-2", "team-b", json{{"cni", {{"pool", "pci"}}}});
    EXPECT_EQ(refused.code(), 103) << refused.describe();
    EXPECT_NE(refused.msg().find("zone 'pci'"), std::string::npos) << refused.msg();
    EXPECT_NE(refused.msg().find("args.cni.pool"), std::string::npos) << refused.msg();
    EXPECT_TRUE(list_entry("b-2").is_null()) << "a refused ADD allocated";
    EXPECT_EQ(list_entry("a-1").value("zone", ""), "pci");
}

// The label changes under the running agent: the earlier allocation is reported in a mismatch,
// the next ADD follows the new label.
TEST_F(KubeZonesTest, ALabelChangeMovesNewAddsAndReportsTheEarlierAllocation) {
    ASSERT_TRUE(start(zones_config()));
    ASSERT_TRUE(eventually([&] { return node_read(); })) << agent().log();
    std::optional<CniResult> a;
    ASSERT_TRUE(eventually([&] { return (a = add("a-1", "team-a"))->ok(); })) << a->describe();
    auto before = add("b-old", "team-b");
    ASSERT_TRUE(before.ok()) << before.describe();
    ASSERT_TRUE(in_prefix(first_ip(before), kNodeCidr)) << before.describe();
    auto entry = list_entry("b-old");
    EXPECT_EQ(entry.value("zone", "?"), "") << entry.dump();
    EXPECT_FALSE(entry.contains("zoneMismatch")) << entry.dump();

    api_->modify_namespace(FakeKubeApi::make_namespace("team-b", {{"zone", "pci"}}));
    ASSERT_TRUE(eventually([&] { return list_entry("b-old").contains("zoneMismatch"); }))
        << list_entry("b-old").dump() << agent().log();
    entry = list_entry("b-old");
    EXPECT_EQ(entry.value("zone", ""), "pci") << entry.dump();
    EXPECT_NE(entry.value("zoneMismatch", "").find("zone 'pci'"), std::string::npos)
        << entry.dump();

    auto after = add("b-new", "team-b");
    ASSERT_TRUE(after.ok()) << after.describe();
    EXPECT_TRUE(in_prefix(first_ip(after), kPci)) << after.describe();
    EXPECT_FALSE(list_entry("b-new").contains("zoneMismatch"));
    // The earlier pod keeps its address.
    auto again = add("b-old", "team-b");
    ASSERT_TRUE(again.ok()) << again.describe();
    EXPECT_EQ(first_ip(again), first_ip(before)) << again.describe();

    // A namespace created under the running agent: until the agent has seen it, its ADD answers
    // 11 (never the Node's pool); then its label decides.
    api_->add_namespace(FakeKubeApi::make_namespace("team-c", {{"zone", "pci"}}));
    std::vector<std::string> before_seen;
    std::optional<CniResult> c;
    ASSERT_TRUE(eventually([&] {
        c = add("c-1", "team-c");
        if (!c->ok()) before_seen.push_back(std::to_string(c->code()) + ": " + c->msg());
        return c->ok();
    })) << c->describe();
    for (auto& answer : before_seen) EXPECT_EQ(answer.substr(0, 4), "11: ") << answer;
    EXPECT_TRUE(in_prefix(first_ip(*c), kPci)) << c->describe();

    // The watch history is compacted while the label goes away again: the agent lists anew and
    // the change still arrives.
    api_->expire_watches(FakeKubeApi::Expiry::http_status);
    api_->modify_namespace(FakeKubeApi::make_namespace("team-b"));
    ASSERT_TRUE(eventually([&] { return list_entry("b-new").contains("zoneMismatch"); }))
        << list_entry("b-new").dump() << agent().log();
    EXPECT_FALSE(list_entry("b-old").contains("zoneMismatch")) << list_entry("b-old").dump();
}

// Without list/watch on namespaces (a ClusterRole that lacks them): every ADD a selector could
// decide answers 11, the log says why once, names still decide; once granted, labels decide.
TEST_F(KubeZonesTest, WithoutNamespaceAccessSelectorAddsAnswerTryAgainAndTheLogSaysWhyOnce) {
    api_->forbid_namespaces(true);
    ASSERT_TRUE(start(zones_config()));
    ASSERT_TRUE(eventually([&] { return node_read(); })) << agent().log();
    const std::string why = "forbids GET /api/v1/namespaces";
    ASSERT_TRUE(log_has(why)) << agent().log();

    for (const char* ns : {"team-a", "team-b"}) {
        auto r = add(std::string("x-") + ns, ns);
        EXPECT_EQ(r.code(), 11) << r.describe();
        EXPECT_NE(r.msg().find("namespaceSelector"), std::string::npos) << r.msg();
        EXPECT_TRUE(list_entry(std::string("x-") + ns).is_null()) << "an ADD answered 11 allocated";
    }
    auto web = add("web-1", "web");
    ASSERT_TRUE(web.ok()) << web.describe();
    EXPECT_TRUE(in_prefix(first_ip(web), kGeneral)) << web.describe();

    // The agent retried (list requests after the first) and said why only once.
    ASSERT_TRUE(eventually([&] { return api_->count("/api/v1/namespaces?", false) >= 3; }))
        << api_->count("/api/v1/namespaces?", false);
    EXPECT_EQ(occurrences(agent().log(), why), 1u) << agent().log();
    // warrenctl status says so too.
    auto kube = warrenctl_json(agent(), {"status"})["kubernetes"];
    EXPECT_EQ(kube.value("namespacesSynced", true), false) << kube.dump();
    EXPECT_NE(kube.value("error", "").find(why), std::string::npos) << kube.dump();
    auto text = warrenctl(agent(), {"status"});
    EXPECT_NE(text.out.find("(not synced: ADDs that a namespaceSelector"), std::string::npos)
        << text.describe();

    api_->forbid_namespaces(false);
    std::optional<CniResult> a;
    ASSERT_TRUE(eventually([&] { return (a = add("x-team-a", "team-a"))->ok(); }, 20s))
        << a->describe() << agent().log();
    EXPECT_TRUE(in_prefix(first_ip(*a), kPci)) << a->describe();
    kube = warrenctl_json(agent(), {"status"})["kubernetes"];
    EXPECT_EQ(kube.value("namespacesSynced", false), true) << kube.dump();
    EXPECT_EQ(kube.value("namespaces", 0), 3) << kube.dump();
}

// A reload that would need namespace labels the agent does not watch (it started without a
// selector): refused, saying a restart is needed, and the old zones stay in force.
TEST_F(KubeZonesTest, ReloadThatAddsASelectorIsRefusedAndTheOldZonesStay) {
    ASSERT_TRUE(start(zones_config(false, json{"payments"})));
    ASSERT_TRUE(eventually([&] { return node_read(); })) << agent().log();
    auto pay = add("pay-1", "payments");
    ASSERT_TRUE(pay.ok()) << pay.describe();
    EXPECT_TRUE(in_prefix(first_ip(pay), kPci)) << pay.describe();

    write_config(zones_config(true));
    auto r = warrenctl(agent(), {"reload"});
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE((r.out + r.err).find("restart"), std::string::npos) << r.describe();
    EXPECT_NE((r.out + r.err).find("namespaceSelector"), std::string::npos) << r.describe();

    // The old zones: payments is still pci, team-a (zone=pci by label under the refused rules)
    // still gets the Node's pool.
    auto pay2 = add("pay-2", "payments");
    ASSERT_TRUE(pay2.ok()) << pay2.describe();
    EXPECT_TRUE(in_prefix(first_ip(pay2), kPci)) << pay2.describe();
    auto a = add("a-1", "team-a");
    ASSERT_TRUE(a.ok()) << a.describe();
    EXPECT_TRUE(in_prefix(first_ip(a), kNodeCidr)) << a.describe();
    EXPECT_FALSE(warrenctl_json(agent(), {"status"})["kubernetes"].contains("namespacesSynced"));
    EXPECT_EQ(api_->count("/api/v1/namespaces?", false), 0u)
        << "the agent started watching namespaces";
}

// An agent that watches namespaces (it started with a selector) takes a changed selector on
// reload: new ADDs follow it.
TEST_F(KubeZonesTest, ReloadOfASelectorWhileNamespacesAreWatchedApplies) {
    api_->add_namespace(FakeKubeApi::make_namespace("team-d", {{"zone", "card"}}));
    ASSERT_TRUE(start(zones_config()));
    std::optional<CniResult> a;
    ASSERT_TRUE(eventually([&] { return (a = add("a-1", "team-a"))->ok(); })) << a->describe();
    ASSERT_TRUE(in_prefix(first_ip(*a), kPci)) << a->describe();
    ASSERT_TRUE(eventually([&] { return node_read(); })) << agent().log();

    auto config = zones_config();
    config["zones"]["pci"]["namespaceSelector"] = {{"matchLabels", {{"zone", "card"}}}};
    write_config(config);
    auto r = warrenctl(agent(), {"reload"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.out.find("zones reloaded"), std::string::npos) << r.describe();

    auto d = add("d-1", "team-d");
    ASSERT_TRUE(d.ok()) << d.describe();
    EXPECT_TRUE(in_prefix(first_ip(d), kPci)) << d.describe();
    auto a2 = add("a-2", "team-a");
    ASSERT_TRUE(a2.ok()) << a2.describe();
    EXPECT_TRUE(in_prefix(first_ip(a2), kNodeCidr)) << a2.describe();
    EXPECT_TRUE(list_entry("a-1").contains("zoneMismatch")) << list_entry("a-1").dump();
}

}  // namespace
