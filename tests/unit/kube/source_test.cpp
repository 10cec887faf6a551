// The whole client against FakeKubeApi: a real TLS handshake, CA and host verification, bearer
// tokens, chunked watch streams, 410 Gone, pagination and a server that hangs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "kube/api_source.hpp"
#include "kube/config.hpp"
#include "support/captured_log.hpp"
#include "support/fake_kube_api.hpp"
#include "support/temp_dir.hpp"

namespace warren::kube {
namespace {

using namespace std::chrono_literals;
using core::Tri;
using nlohmann::json;
using warren::testing::CapturedLog;
using warren::testing::FakeKubeApi;
using warren::testing::TempDir;

constexpr const char* kNode = "node-a";

// Polls `done` every 10 ms for at most `limit`; the caller asserts what it returns.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 15s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

class KubeSourceTest : public ::testing::Test {
  protected:
    Settings settings() const {
        Settings s;
        s.node = kNode;
        s.kubeconfig = api_.kubeconfig_path();
        s.request_timeout_ms = 5000;
        s.watch_timeout_seconds = 60;
        return s;
    }
    void start(const Settings& s) {
        auto made = make_api_source(s);
        ASSERT_TRUE(made) << made.error().message;
        start_source(std::move(*made));
    }
    void start_with(const Settings& s, ApiConfig config) {
        auto made = make_api_source(s, std::move(config));
        ASSERT_TRUE(made) << made.error().message;
        start_source(std::move(*made));
    }
    void start_source(std::unique_ptr<Source> source) {
        source_ = std::move(source);
        source_->set_networks_handler([this](const ClusterNetworks& n) {
            std::lock_guard lock(mu_);
            networks_.push_back(n);
        });
        source_->set_namespaces_handler([this] {
            // What the view says when the handler hears of a change: it must already hold it.
            const auto payments = source_->namespace_labels("payments");
            const auto zone = payments.labels.find("zone");
            std::lock_guard lock(mu_);
            namespace_calls_.push_back(fmt::format("{}:{}", source_->status().namespaces,
                                                   !payments.exists                ? "-"
                                                   : zone == payments.labels.end() ? ""
                                                                                   : zone->second));
        });
        auto st = source_->start([this](const NodeState& n) {
            std::lock_guard lock(mu_);
            nodes_.push_back(n);
        });
        ASSERT_TRUE(st) << st.error().message;
    }
    std::vector<NodeState> nodes() {
        std::lock_guard lock(mu_);
        return nodes_;
    }
    std::optional<NodeState> last_node() {
        std::lock_guard lock(mu_);
        if (nodes_.empty()) return std::nullopt;
        return nodes_.back();
    }
    std::vector<std::string> namespace_calls() {
        std::lock_guard lock(mu_);
        return namespace_calls_;
    }
    Settings with_namespaces() const {
        Settings s = settings();
        s.watch_namespaces = true;
        return s;
    }
    bool namespaces_synced() const { return source_->status().namespaces_synced; }
    size_t namespace_lists() const { return api_.count("/api/v1/namespaces?", false); }
    size_t namespace_watches() const { return api_.count("/api/v1/namespaces?", true); }
    std::vector<ClusterNetworks> networks() {
        std::lock_guard lock(mu_);
        return networks_;
    }
    size_t kubeadm_reads() const {
        return api_.count("/api/v1/namespaces/kube-system/configmaps/kubeadm-config", false);
    }
    bool synced() const { return source_->status().pods_synced; }
    size_t pod_lists() const { return api_.count("/api/v1/pods?", false); }
    size_t pod_watches() const { return api_.count("/api/v1/pods?", true); }

    TempDir dir_;
    FakeKubeApi api_{dir_.path()};
    std::mutex mu_;
    std::vector<NodeState> nodes_;
    std::vector<ClusterNetworks> networks_;
    std::vector<std::string> namespace_calls_;  // "<namespaces in the view>:<payments' zone>"
    std::unique_ptr<Source> source_;            // after api_: stopped and destroyed first
};

TEST_F(KubeSourceTest, ReadsTheNodeAndFollowsCidrChangesThroughTheWatch) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    start(settings());
    ASSERT_TRUE(eventually([&] { return !nodes().empty(); }));
    EXPECT_EQ(nodes().front().name, kNode);
    EXPECT_EQ(nodes().front().pod_cidrs, (std::vector<std::string>{"10.244.1.0/24"}));
    EXPECT_TRUE(source_->status().node_seen);
    ASSERT_TRUE(eventually([&] { return api_.count("/api/v1/nodes?", true) == 1; }));

    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.9.0/24"}));
    ASSERT_TRUE(eventually([&] {
        auto n = last_node();
        return n && n->pod_cidrs == std::vector<std::string>{"10.244.9.0/24"};
    }));
    EXPECT_EQ(api_.count("/api/v1/nodes/" + std::string(kNode), false), 1u);
    source_->stop();

    bool saw_watch = false;
    for (const auto& r : api_.requests()) {
        EXPECT_EQ(r.method, "GET");
        EXPECT_EQ(r.authorization, "Bearer " + api_.valid_token());
        if (r.target.starts_with("/api/v1/nodes?")) {
            saw_watch = true;
            EXPECT_NE(r.target.find("fieldSelector=metadata.name%3Dnode-a"), std::string::npos)
                << r.target;
            EXPECT_NE(r.target.find("watch=1"), std::string::npos) << r.target;
            EXPECT_NE(r.target.find("allowWatchBookmarks=true"), std::string::npos) << r.target;
            EXPECT_NE(r.target.find("timeoutSeconds=60"), std::string::npos) << r.target;
            EXPECT_NE(r.target.find("resourceVersion=" + nodes().front().resource_version),
                      std::string::npos)
                << r.target;
        }
    }
    EXPECT_TRUE(saw_watch);
}

TEST_F(KubeSourceTest, DualStackNodeGivesBothCidrsInOrder) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24", "fd00:10:244:1::/64"}));
    start(settings());
    ASSERT_TRUE(eventually([&] { return !nodes().empty(); }));
    EXPECT_EQ(nodes().front().pod_cidrs,
              (std::vector<std::string>{"10.244.1.0/24", "fd00:10:244:1::/64"}));
}

TEST_F(KubeSourceTest, NodeWithoutCidrsIsReportedThenTheAssignedOnes) {
    api_.set_node(FakeKubeApi::make_node(kNode, {}));
    start(settings());
    ASSERT_TRUE(eventually([&] { return !nodes().empty(); }));
    EXPECT_TRUE(nodes().front().pod_cidrs.empty());
    EXPECT_TRUE(source_->status().node_seen);
    ASSERT_TRUE(eventually([&] { return api_.open_watches() == 2; }));

    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.5.0/24"}));
    ASSERT_TRUE(eventually([&] { return nodes().size() == 2; }));
    EXPECT_EQ(nodes().back().pod_cidrs, (std::vector<std::string>{"10.244.5.0/24"}));
}

TEST_F(KubeSourceTest, MissingNodeIsReportedByName) {
    start(settings());
    ASSERT_TRUE(eventually([&] { return !source_->status().error.empty(); }));
    EXPECT_NE(source_->status().error.find("no Node \"node-a\""), std::string::npos)
        << source_->status().error;
    EXPECT_FALSE(source_->status().node_seen);
}

TEST_F(KubeSourceTest, PodsListThenWatchAddedModifiedDeleted) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_pod(FakeKubeApi::make_pod("a", "uid-a", kNode));
    api_.add_pod(FakeKubeApi::make_pod("b", "uid-b", kNode, "Succeeded"));
    api_.add_pod(FakeKubeApi::make_pod("elsewhere", "uid-x", "node-b"));
    start(settings());
    ASSERT_TRUE(eventually([&] { return synced(); }));
    EXPECT_EQ(source_->status().pods, 2u);
    EXPECT_EQ(source_->pod_running("uid-a"), Tri::yes);
    EXPECT_EQ(source_->pod_running("uid-b"), Tri::no);
    EXPECT_EQ(source_->pod_running("uid-x"), Tri::no);
    EXPECT_EQ(source_->pod_running("uid-c"), Tri::no);
    EXPECT_EQ(source_->pod_running(""), Tri::unknown);
    EXPECT_GT(source_->status().last_ok_ns, 0);
    EXPECT_EQ(source_->status().error, "");

    api_.add_pod(FakeKubeApi::make_pod("c", "uid-c", kNode, "Pending"));
    ASSERT_TRUE(eventually([&] { return source_->pod_running("uid-c") == Tri::yes; }));
    api_.modify_pod(FakeKubeApi::make_pod("a", "uid-a", kNode, "Failed"));
    ASSERT_TRUE(eventually([&] { return source_->pod_running("uid-a") == Tri::no; }));
    api_.delete_pod("uid-c");
    ASSERT_TRUE(eventually([&] { return source_->pod_running("uid-c") == Tri::no; }));
    EXPECT_EQ(source_->status().pods, 2u);
    EXPECT_EQ(pod_lists(), 1u);
    const auto reqs = api_.requests();
    bool saw_list = false;
    for (const auto& r : reqs) {
        if (r.target.starts_with("/api/v1/pods?") &&
            r.target.find("watch=1") == std::string::npos) {
            saw_list = true;
            EXPECT_NE(r.target.find("fieldSelector=spec.nodeName%3Dnode-a"), std::string::npos);
            EXPECT_NE(r.target.find("limit=500"), std::string::npos);
        }
    }
    EXPECT_TRUE(saw_list);
}

class KubeGoneTest : public KubeSourceTest,
                     public ::testing::WithParamInterface<FakeKubeApi::Expiry> {};

TEST_P(KubeGoneTest, GoneForcesARelistAndAReread) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_pod(FakeKubeApi::make_pod("a", "uid-a", kNode));
    start(settings());
    ASSERT_TRUE(eventually([&] { return synced() && api_.open_watches() == 2; }));
    ASSERT_EQ(pod_lists(), 1u);
    ASSERT_EQ(api_.count("/api/v1/nodes/node-a", false), 1u);

    api_.add_pod(FakeKubeApi::make_pod("d", "uid-d", kNode));
    api_.expire_watches(GetParam());
    ASSERT_TRUE(eventually([&] { return pod_lists() == 2 && synced(); }));
    ASSERT_TRUE(eventually([&] { return api_.count("/api/v1/nodes/node-a", false) == 2; }));
    ASSERT_TRUE(eventually([&] { return api_.open_watches() == 2; }));
    ASSERT_TRUE(eventually([&] { return source_->pod_running("uid-d") == Tri::yes; }));
    EXPECT_EQ(source_->pod_running("uid-a"), Tri::yes);
    EXPECT_EQ(source_->status().error, "");
    EXPECT_GE(nodes().size(), 2u);
    EXPECT_EQ(api_.count("/api/v1/nodes/node-a", false), 2u) << "no 410 loop";
    EXPECT_EQ(pod_lists(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Expiry, KubeGoneTest,
                         ::testing::Values(FakeKubeApi::Expiry::error_event,
                                           FakeKubeApi::Expiry::http_status),
                         [](const auto& info) {
                             return info.param == FakeKubeApi::Expiry::error_event ? "ErrorEvent"
                                                                                   : "HttpStatus";
                         });

TEST_F(KubeSourceTest, WatchEndedByTheServerResumesWithoutARelist) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    Settings s = settings();
    s.watch_timeout_seconds = 1;
    start(s);
    ASSERT_TRUE(eventually([&] { return pod_watches() >= 3; }));
    EXPECT_EQ(pod_lists(), 1u);
    EXPECT_TRUE(synced());
    api_.add_pod(FakeKubeApi::make_pod("late", "uid-late", kNode));
    ASSERT_TRUE(eventually([&] { return source_->pod_running("uid-late") == Tri::yes; }));
    EXPECT_EQ(pod_lists(), 1u);
}

TEST_F(KubeSourceTest, BookmarksMoveTheResumePoint) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    Settings s = settings();
    s.watch_timeout_seconds = 1;
    start(s);
    ASSERT_TRUE(eventually([&] { return synced() && api_.open_watches() == 2; }));
    api_.add_pod(FakeKubeApi::make_pod("other", "uid-o", "node-b"));  // moves the rv only
    api_.send_bookmarks();
    const std::string rv = std::to_string(102);  // set_node 101, add_pod 102
    ASSERT_TRUE(eventually([&] {
        for (const auto& r : api_.requests()) {
            if (r.target.starts_with("/api/v1/pods?") &&
                r.target.find("resourceVersion=" + rv + "&") != std::string::npos) {
                return true;
            }
        }
        return false;
    }));
}

TEST_F(KubeSourceTest, WrongCaFailsClearlyAndPodsCountAsRunning) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    write(dir_ / "foreign.crt", api_.foreign_ca_pem());
    auto config = load_kubeconfig(api_.kubeconfig_path());
    ASSERT_TRUE(config) << config.error().message;
    std::ifstream in(api_.kubeconfig_path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find(api_.ca_path());
    ASSERT_NE(at, std::string::npos);
    text.replace(at, api_.ca_path().size(), dir_ / "foreign.crt");
    write(dir_ / "wrong-ca.kubeconfig", text);
    Settings s = settings();
    s.kubeconfig = dir_ / "wrong-ca.kubeconfig";
    start(s);
    ASSERT_TRUE(eventually([&] { return !source_->status().error.empty(); }));
    const auto st = source_->status();
    EXPECT_NE(st.error.find("certificate did not verify against " + (dir_ / "foreign.crt")),
              std::string::npos)
        << st.error;
    EXPECT_FALSE(st.pods_synced);
    EXPECT_FALSE(st.node_seen);
    EXPECT_EQ(source_->pod_running("uid-anything"), Tri::yes);
    EXPECT_TRUE(nodes().empty());
    EXPECT_TRUE(api_.requests().empty());
}

TEST_F(KubeSourceTest, HostNameIsVerifiedAndSentAsSni) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    std::ifstream in(api_.kubeconfig_path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find(api_.server_url());
    ASSERT_NE(at, std::string::npos);
    text.replace(at, api_.server_url().size(), fmt::format("https://localhost:{}", api_.port()));
    write(dir_ / "by-name.kubeconfig", text);
    Settings s = settings();
    s.kubeconfig = dir_ / "by-name.kubeconfig";
    start(s);
    ASSERT_TRUE(eventually([&] { return !nodes().empty() && synced(); }));
    source_->stop();
    const auto reqs = api_.requests();
    ASSERT_FALSE(reqs.empty());
    for (const auto& r : reqs) EXPECT_EQ(r.server_name, "localhost") << r.target;
}

TEST(KubeTls, CertificateForAnotherHostIsRefused) {
    TempDir dir;
    FakeKubeApi api(dir.path(), "DNS:other.example");
    api.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    Settings s;
    s.node = kNode;
    s.kubeconfig = api.kubeconfig_path();
    auto made = make_api_source(s);
    ASSERT_TRUE(made) << made.error().message;
    std::unique_ptr<Source> source = std::move(*made);
    size_t calls = 0;
    ASSERT_TRUE(source->start([&](const NodeState&) { ++calls; }));
    ASSERT_TRUE(eventually([&] { return !source->status().error.empty(); }));
    const std::string error = source->status().error;
    source->stop();
    EXPECT_NE(
        error.find("certificate did not verify against " + api.ca_path() + ": IP address mismatch"),
        std::string::npos)
        << error;
    EXPECT_EQ(calls, 0u);
    EXPECT_TRUE(api.requests().empty());
}

TEST_F(KubeSourceTest, RejectedTokenIsReportedOnceAndRecovers) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    const std::string good = api_.valid_token();
    api_.set_valid_token("a-token-the-server-expects-instead");
    CapturedLog log;
    start(settings());
    ASSERT_TRUE(eventually([&] { return pod_lists() >= 3; }));  // retried with back-off
    const auto st = source_->status();
    EXPECT_NE(st.error.find("rejected the bearer token (401 Unauthorized: expired or rotated?)"),
              std::string::npos)
        << st.error;
    EXPECT_NE(st.error.find(api_.token_path()), std::string::npos) << st.error;
    EXPECT_EQ(st.error.find(good), std::string::npos) << "the token must never be shown";
    EXPECT_FALSE(st.pods_synced);
    EXPECT_EQ(source_->pod_running("uid-anything"), Tri::yes);

    api_.set_valid_token(good);
    ASSERT_TRUE(eventually([&] { return synced() && source_->status().error.empty(); }));
    source_->stop();
    EXPECT_EQ(log.count("kube: pods: the API server"), 1u) << log.text();
    EXPECT_EQ(log.count("kube: node: the API server"), 1u) << log.text();
    EXPECT_EQ(log.count(good), 0u) << "the token must never be logged";
    EXPECT_EQ(log.count("kube: pods: the API answers again"), 1u) << log.text();
}

TEST_F(KubeSourceTest, RotatedTokenFileIsUsedForTheNextRequest) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    start(settings());
    ASSERT_TRUE(eventually([&] { return synced() && api_.open_watches() == 2; }));
    const size_t before = api_.requests().size();
    write(api_.token_path(), "rotated-token-2\n");
    api_.set_valid_token("rotated-token-2");
    api_.expire_watches();
    ASSERT_TRUE(eventually([&] { return pod_lists() == 2 && synced(); }));
    ASSERT_TRUE(eventually([&] { return api_.open_watches() == 2; }));
    const auto reqs = api_.requests();
    ASSERT_GT(reqs.size(), before);
    for (size_t i = before; i < reqs.size(); ++i) {
        EXPECT_EQ(reqs[i].authorization, "Bearer rotated-token-2") << reqs[i].target;
    }
    EXPECT_EQ(source_->status().error, "");
}

TEST_F(KubeSourceTest, TokenFileGoneIsReportedByName) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    start(settings());
    ASSERT_TRUE(eventually([&] { return synced() && api_.open_watches() == 2; }));
    ASSERT_EQ(::unlink(api_.token_path().c_str()), 0);
    api_.expire_watches();
    ASSERT_TRUE(eventually([&] { return !synced(); }));
    ASSERT_TRUE(eventually([&] { return !source_->status().error.empty(); }));
    EXPECT_NE(source_->status().error.find("cannot read token file " + api_.token_path()),
              std::string::npos)
        << source_->status().error;
    EXPECT_EQ(source_->pod_running("uid-anything"), Tri::yes);
}

TEST_F(KubeSourceTest, HangingWatchIsDetectedAndStopReturns) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_pod(FakeKubeApi::make_pod("a", "uid-a", kNode, "Succeeded"));
    Settings s = settings();
    s.request_timeout_ms = 1000;
    s.watch_timeout_seconds = 1;  // idle limit: 2 s
    start(s);
    ASSERT_TRUE(eventually([&] { return synced() && api_.open_watches() == 2; }));
    EXPECT_EQ(source_->pod_running("uid-a"), Tri::no);
    api_.hang(true);
    ASSERT_TRUE(eventually([&] { return !synced(); }));
    const auto st = source_->status();
    EXPECT_TRUE(st.error.find("sent nothing for 2 s") != std::string::npos ||
                st.error.find("within 1000 ms") != std::string::npos)
        << st.error;
    EXPECT_EQ(source_->pod_running("uid-a"), Tri::yes);
    source_->stop();
    api_.hang(false);
}

TEST_F(KubeSourceTest, ServerThatNeverAnswersTimesOut) {
    api_.hang(true);
    Settings s = settings();
    s.request_timeout_ms = 1000;
    start(s);
    ASSERT_TRUE(eventually([&] { return !source_->status().error.empty(); }));
    EXPECT_NE(source_->status().error.find("no answer from the API server 127.0.0.1:" +
                                           std::to_string(api_.port()) + " within 1000 ms"),
              std::string::npos)
        << source_->status().error;
    EXPECT_EQ(source_->pod_running("uid-a"), Tri::yes);
    source_->stop();
    source_->stop();  // idempotent
    api_.hang(false);
}

TEST_F(KubeSourceTest, ListIsReadInPagesOf500) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    for (int i = 0; i < 1203; ++i) {
        api_.add_pod(FakeKubeApi::make_pod(fmt::format("p{}", i), fmt::format("uid-{}", i), kNode));
    }
    start(settings());
    ASSERT_TRUE(eventually([&] { return synced(); }));
    EXPECT_EQ(source_->status().pods, 1203u);
    EXPECT_EQ(source_->pod_running("uid-0"), Tri::yes);
    EXPECT_EQ(source_->pod_running("uid-1202"), Tri::yes);
    EXPECT_EQ(pod_lists(), 3u);
    size_t continued = 0;
    for (const auto& r : api_.requests()) {
        if (r.target.find("&continue=") != std::string::npos) ++continued;
    }
    EXPECT_EQ(continued, 2u);
}

TEST_F(KubeSourceTest, InClusterConfigReachesTheServer) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.7.0/24"}));
    TempDir sa;
    api_.write_service_account(sa.path());
    const std::map<std::string, std::string> env = {
        {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
        {"KUBERNETES_SERVICE_PORT", std::to_string(api_.port())}};
    auto config =
        load_in_cluster(sa.path(), [&](const std::string& k) -> std::optional<std::string> {
            auto it = env.find(k);
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        });
    ASSERT_TRUE(config) << config.error().message;
    Settings s = settings();
    s.kubeconfig.clear();
    start_with(s, std::move(*config));
    ASSERT_TRUE(eventually([&] { return !nodes().empty() && synced(); }));
    EXPECT_EQ(nodes().front().pod_cidrs, (std::vector<std::string>{"10.244.7.0/24"}));
}

TEST_F(KubeSourceTest, BadSettingsAndConfigAreClearErrors) {
    Settings s = settings();
    s.node.clear();
    auto made = make_api_source(s);
    ASSERT_TRUE(made) << made.error().message;
    auto st = (*made)->start([](const NodeState&) {});
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Code::invalid_config);
    EXPECT_NE(st.error().message.find("--kube-node"), std::string::npos);

    s = settings();
    s.kubeconfig = dir_ / "missing";
    auto missing = make_api_source(s);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Code::invalid_config);
    EXPECT_NE(missing.error().message.find(dir_ / "missing"), std::string::npos);

    auto once = make_api_source(settings());
    ASSERT_TRUE(once);
    (*once)->stop();
    auto restarted = (*once)->start([](const NodeState&) {});
    ASSERT_FALSE(restarted);
    EXPECT_NE(restarted.error().message.find("start() after stop()"), std::string::npos);

    auto config = load_kubeconfig(api_.kubeconfig_path());
    ASSERT_TRUE(config);
    config->ca_pem = "not a certificate";
    auto bad_ca = make_api_source(settings(), *config);
    ASSERT_FALSE(bad_ca);
    EXPECT_NE(bad_ca.error().message.find("the CA " + api_.ca_path() + " is not a PEM certificate"),
              std::string::npos)
        << bad_ca.error().message;
}

TEST_F(KubeSourceTest, KubeadmConfigIsReadOnceAndHandedOver) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.set_kubeadm_config(
        FakeKubeApi::make_kubeadm_config("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/12"));
    start(settings());
    ASSERT_TRUE(eventually([&] { return !networks().empty(); }));
    const ClusterNetworks want{
        {*IpPrefix::parse("10.244.0.0/16"), *IpPrefix::parse("fd00:10:244::/56")},
        {*IpPrefix::parse("10.96.0.0/12")}};
    EXPECT_EQ(networks(), std::vector<ClusterNetworks>{want});
    EXPECT_EQ(source_->cluster_networks(), std::optional<ClusterNetworks>(want));
    ASSERT_TRUE(eventually([&] { return synced(); }));
    source_->stop();
    EXPECT_EQ(kubeadm_reads(), 1u);
    EXPECT_EQ(networks().size(), 1u);
}

TEST_F(KubeSourceTest, MissingKubeadmConfigIsOneInfoLineAndNoRetry) {
    CapturedLog log;
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    start(settings());
    const std::string line = "info|kube: kubeadm-config not readable (404 ";
    ASSERT_TRUE(eventually([&] { return log.count(line) == 1; })) << log.text();
    EXPECT_NE(log.text().find("): the pool checks use --cluster-cidr/--service-cidr only"),
              std::string::npos)
        << log.text();
    // Given up for good: a ConfigMap that appears later is not read, and the node and pods are
    // unaffected.
    api_.set_kubeadm_config(FakeKubeApi::make_kubeadm_config("10.244.0.0/16", "10.96.0.0/12"));
    ASSERT_TRUE(eventually([&] { return synced(); }));
    source_->stop();
    EXPECT_EQ(kubeadm_reads(), 1u);
    EXPECT_TRUE(networks().empty());
    EXPECT_EQ(source_->cluster_networks(), std::nullopt);
}

TEST_F(KubeSourceTest, ForbiddenKubeadmConfigIsOneInfoLineAndNoRetry) {
    CapturedLog log;
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.set_kubeadm_config(FakeKubeApi::make_kubeadm_config("10.244.0.0/16", "10.96.0.0/12"));
    api_.forbid_kubeadm_config(true);
    start(settings());
    const std::string line = "info|kube: kubeadm-config not readable (403 ";
    ASSERT_TRUE(eventually([&] { return log.count(line) == 1; })) << log.text();
    EXPECT_NE(log.text().find("cannot get resource \"configmaps\""), std::string::npos)
        << log.text();
    api_.forbid_kubeadm_config(false);
    ASSERT_TRUE(eventually([&] { return synced(); }));
    source_->stop();
    EXPECT_EQ(kubeadm_reads(), 1u);
    EXPECT_TRUE(networks().empty());
    EXPECT_EQ(source_->cluster_networks(), std::nullopt);
    EXPECT_EQ(log.count("warning|kube: kubeadm-config"), 0u) << log.text();
}

TEST_F(KubeSourceTest, KubeadmConfigIsRetriedAfterOtherErrorsUntilRead) {
    CapturedLog log;
    api_.set_kubeadm_config(FakeKubeApi::make_kubeadm_config("10.244.0.0/16", ""));
    const std::string token = api_.valid_token();
    api_.set_valid_token("not-the-file's-token");
    start(settings());
    ASSERT_TRUE(eventually([&] { return kubeadm_reads() >= 2; }));  // 401: retried
    EXPECT_TRUE(networks().empty());
    EXPECT_EQ(log.count("warning|kube: kubeadm-config: "), 1u) << log.text();  // once per error
    api_.set_valid_token(token);
    ASSERT_TRUE(eventually([&] { return !networks().empty(); })) << log.text();
    EXPECT_EQ(networks().front().pod_subnets,
              std::vector<IpPrefix>{*IpPrefix::parse("10.244.0.0/16")});
    EXPECT_TRUE(networks().front().service_subnets.empty());
}

TEST_F(KubeSourceTest, UnparsableKubeadmConfigIsOneWarningAndGivesUp) {
    CapturedLog log;
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.set_kubeadm_config(FakeKubeApi::make_kubeadm_config("10.244.0.0/16,banana", ""));
    start(settings());
    const std::string line =
        "warning|kube: kubeadm-config: networking.podSubnet holds \"banana\", not a CIDR";
    ASSERT_TRUE(eventually([&] { return log.count(line) == 1; })) << log.text();
    ASSERT_TRUE(eventually([&] { return synced(); }));
    source_->stop();
    EXPECT_EQ(kubeadm_reads(), 1u);
    EXPECT_TRUE(networks().empty());
}

TEST_F(KubeSourceTest, NamespacesListThenWatchChangesLabels) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    api_.add_namespace(FakeKubeApi::make_namespace("default"));
    start(with_namespaces());
    ASSERT_TRUE(eventually([&] { return namespaces_synced() && api_.open_watches() == 3; }));
    auto payments = source_->namespace_labels("payments");
    EXPECT_TRUE(payments.synced);
    EXPECT_TRUE(payments.exists);
    EXPECT_EQ(payments.labels, (std::map<std::string, std::string>{
                                   {"kubernetes.io/metadata.name", "payments"}, {"zone", "pci"}}));
    const auto missing = source_->namespace_labels("card-1");
    EXPECT_TRUE(missing.synced);
    EXPECT_FALSE(missing.exists);
    EXPECT_TRUE(missing.labels.empty());
    EXPECT_EQ(source_->status().namespaces, 2u);

    api_.modify_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "public"}}));
    auto same = FakeKubeApi::make_namespace("payments", {{"zone", "public"}});
    same["metadata"]["annotations"] = {{"owner", "team-a"}};
    api_.modify_namespace(same);  // labels unchanged: no call
    api_.add_namespace(FakeKubeApi::make_namespace("card-1", {{"zone", "pci"}}));
    api_.delete_namespace("payments");
    ASSERT_TRUE(eventually([&] { return namespace_calls().size() >= 4; }));
    EXPECT_EQ(namespace_calls(),
              (std::vector<std::string>{"2:pci", "2:public", "3:public", "2:-"}));
    payments = source_->namespace_labels("payments");
    EXPECT_TRUE(payments.synced);
    EXPECT_FALSE(payments.exists);
    EXPECT_EQ(source_->namespace_labels("card-1").labels.at("zone"), "pci");
    EXPECT_EQ(namespace_lists(), 1u);
    source_->stop();

    bool saw_list = false, saw_watch = false;
    for (const auto& r : api_.requests()) {
        if (!r.target.starts_with("/api/v1/namespaces?")) continue;
        if (r.target.find("watch=1") == std::string::npos) {
            saw_list = true;
            EXPECT_EQ(r.target, "/api/v1/namespaces?limit=500");
        } else {
            saw_watch = true;
            EXPECT_NE(r.target.find("allowWatchBookmarks=true"), std::string::npos) << r.target;
            EXPECT_NE(r.target.find("resourceVersion=103&"), std::string::npos) << r.target;
        }
    }
    EXPECT_TRUE(saw_list);
    EXPECT_TRUE(saw_watch);
}

TEST_F(KubeSourceTest, WithoutWatchNamespacesNoNamespaceIsRequested) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    start(settings());
    ASSERT_TRUE(eventually([&] { return synced() && api_.open_watches() == 2; }));
    source_->stop();
    for (const auto& r : api_.requests()) {
        EXPECT_FALSE(r.target.starts_with("/api/v1/namespaces?") ||
                     r.target == "/api/v1/namespaces")
            << r.target;
    }
    const auto labels = source_->namespace_labels("payments");
    EXPECT_FALSE(labels.synced);
    EXPECT_FALSE(labels.exists);
    EXPECT_FALSE(source_->status().namespaces_synced);
    EXPECT_TRUE(namespace_calls().empty());
}

TEST_F(KubeSourceTest, NamespaceListIsReadInPagesOf500) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    for (int i = 0; i < 1203; ++i) {
        api_.add_namespace(FakeKubeApi::make_namespace(fmt::format("ns-{}", i), {{"i", "x"}}));
    }
    start(with_namespaces());
    ASSERT_TRUE(eventually([&] { return namespaces_synced(); }));
    EXPECT_EQ(source_->status().namespaces, 1203u);
    EXPECT_TRUE(source_->namespace_labels("ns-0").exists);
    EXPECT_TRUE(source_->namespace_labels("ns-1202").exists);
    EXPECT_EQ(namespace_lists(), 3u);
    size_t continued = 0;
    for (const auto& r : api_.requests()) {
        if (r.target.starts_with("/api/v1/namespaces?") &&
            r.target.find("&continue=") != std::string::npos) {
            ++continued;
        }
    }
    EXPECT_EQ(continued, 2u);
    EXPECT_EQ(namespace_calls().size(), 1u);  // once for the whole list
}

TEST_F(KubeSourceTest, BookmarksMoveTheNamespacesResumePoint) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments"));
    Settings s = with_namespaces();
    s.watch_timeout_seconds = 1;
    start(s);
    ASSERT_TRUE(eventually([&] { return namespaces_synced() && api_.open_watches() == 3; }));
    api_.add_pod(FakeKubeApi::make_pod("other", "uid-o", "node-b"));  // moves the rv only
    api_.send_bookmarks();
    const std::string rv = std::to_string(103);  // set_node 101, namespace 102, add_pod 103
    ASSERT_TRUE(eventually([&] {
        for (const auto& r : api_.requests()) {
            if (r.target.starts_with("/api/v1/namespaces?") &&
                r.target.find("resourceVersion=" + rv + "&") != std::string::npos) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_EQ(namespace_lists(), 1u);
}

class KubeNamespacesGoneTest : public KubeSourceTest,
                               public ::testing::WithParamInterface<FakeKubeApi::Expiry> {};

TEST_P(KubeNamespacesGoneTest, GoneRelistsTheNamespaces) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    start(with_namespaces());
    ASSERT_TRUE(eventually([&] { return namespaces_synced() && api_.open_watches() == 3; }));
    ASSERT_EQ(namespace_lists(), 1u);

    api_.add_namespace(FakeKubeApi::make_namespace("card-1", {{"zone", "pci"}}));
    api_.expire_watches(GetParam());
    ASSERT_TRUE(eventually([&] { return namespace_lists() == 2 && namespaces_synced(); }));
    ASSERT_TRUE(eventually([&] { return api_.open_watches() == 3; }));
    EXPECT_TRUE(source_->namespace_labels("card-1").exists);
    EXPECT_TRUE(source_->namespace_labels("payments").exists);
    EXPECT_EQ(source_->status().error, "");
    EXPECT_EQ(namespace_lists(), 2u) << "no 410 loop";
}

INSTANTIATE_TEST_SUITE_P(Expiry, KubeNamespacesGoneTest,
                         ::testing::Values(FakeKubeApi::Expiry::error_event,
                                           FakeKubeApi::Expiry::http_status),
                         [](const auto& info) {
                             return info.param == FakeKubeApi::Expiry::error_event ? "ErrorEvent"
                                                                                   : "HttpStatus";
                         });

TEST_F(KubeSourceTest, ForbiddenNamespacesAreNotSyncedAndSayWhy) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    api_.forbid_namespaces(true);
    CapturedLog log;
    start(with_namespaces());
    ASSERT_TRUE(eventually([&] { return namespace_lists() >= 2; }));  // retried with back-off
    ASSERT_TRUE(eventually([&] { return synced(); }));
    const auto st = source_->status();
    EXPECT_NE(st.error.find("forbids GET /api/v1/namespaces (403: namespaces is forbidden"),
              std::string::npos)
        << st.error;
    EXPECT_NE(st.error.find("get/list/watch on namespaces (the warren ClusterRole)"),
              std::string::npos)
        << st.error;
    EXPECT_FALSE(st.namespaces_synced);
    EXPECT_TRUE(st.pods_synced);
    EXPECT_FALSE(source_->namespace_labels("payments").synced);
    EXPECT_TRUE(namespace_calls().empty());

    api_.forbid_namespaces(false);
    ASSERT_TRUE(eventually([&] { return namespaces_synced(); }));
    EXPECT_TRUE(source_->namespace_labels("payments").exists);
    ASSERT_TRUE(eventually([&] { return source_->status().error.empty(); }));
    source_->stop();
    EXPECT_EQ(log.count("warning|kube: namespaces: the API server"), 1u) << log.text();
    EXPECT_EQ(log.count("kube: namespaces: the API answers again"), 1u) << log.text();
}

TEST_F(KubeSourceTest, NamespacesUnsyncAfterAnErrorUntilTheRelist) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    start(with_namespaces());
    ASSERT_TRUE(eventually([&] { return namespaces_synced() && api_.open_watches() == 3; }));
    ASSERT_TRUE(source_->namespace_labels("payments").synced);

    api_.forbid_namespaces(true);
    api_.expire_watches();
    ASSERT_TRUE(eventually([&] { return !source_->status().error.empty(); }));
    EXPECT_FALSE(namespaces_synced());
    const auto labels = source_->namespace_labels("payments");
    EXPECT_FALSE(labels.synced);
    EXPECT_FALSE(labels.exists);
    EXPECT_NE(source_->status().error.find("/api/v1/namespaces (403"), std::string::npos)
        << source_->status().error;

    api_.forbid_namespaces(false);
    ASSERT_TRUE(eventually([&] { return namespaces_synced(); }));
    EXPECT_TRUE(source_->namespace_labels("payments").exists);
}

TEST_F(KubeSourceTest, StopReturnsWhileTheNamespaceWatchHangs) {
    api_.set_node(FakeKubeApi::make_node(kNode, {"10.244.1.0/24"}));
    api_.add_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    start(with_namespaces());
    ASSERT_TRUE(eventually([&] { return namespaces_synced() && api_.open_watches() == 3; }));
    api_.hang(true);
    source_->stop();
    const size_t calls = namespace_calls().size();
    EXPECT_EQ(calls, 1u);
    api_.hang(false);
    // Answered from the last view after stop(), from this thread.
    EXPECT_TRUE(source_->namespace_labels("payments").exists);
}

}  // namespace
}  // namespace warren::kube
