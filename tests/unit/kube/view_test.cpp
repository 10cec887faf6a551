#include "kube/view.hpp"

#include <gtest/gtest.h>

#include <map>

namespace warren::kube {
namespace {

using core::Tri;

PodInfo pod(const std::string& uid, const std::string& phase) {
    return PodInfo{uid, phase, false};
}

TEST(KubeView, NotSyncedCountsEveryPodAsRunning) {
    SourceView view;
    EXPECT_EQ(view.pod_running("anything"), Tri::yes);
    EXPECT_EQ(view.pod_running(""), Tri::unknown);
    EXPECT_FALSE(view.status().pods_synced);
}

TEST(KubeView, SyncedViewAnswersPerPod) {
    SourceView view;
    view.replace_pods({pod("run", "Running"), pod("pend", "Pending"), pod("done", "Succeeded"),
                       pod("failed", "Failed"), pod("new", "")});
    EXPECT_EQ(view.pod_running("run"), Tri::yes);
    EXPECT_EQ(view.pod_running("pend"), Tri::yes);
    EXPECT_EQ(view.pod_running("new"), Tri::yes);
    EXPECT_EQ(view.pod_running("done"), Tri::no);
    EXPECT_EQ(view.pod_running("failed"), Tri::no);
    EXPECT_EQ(view.pod_running("absent"), Tri::no);
    EXPECT_EQ(view.pod_running(""), Tri::unknown);
    EXPECT_EQ(view.status().pods, 5u);
    EXPECT_TRUE(view.status().pods_synced);
}

TEST(KubeView, EventsUpdateAndUnsyncAnswersYes) {
    SourceView view;
    view.replace_pods({pod("a", "Running")});
    view.apply(EventType::added, pod("b", "Pending"));
    view.apply(EventType::modified, pod("a", "Failed"));
    EXPECT_EQ(view.pod_running("a"), Tri::no);
    EXPECT_EQ(view.pod_running("b"), Tri::yes);
    view.apply(EventType::deleted, pod("b", "Running"));
    EXPECT_EQ(view.pod_running("b"), Tri::no);
    view.unsync_pods();
    EXPECT_EQ(view.pod_running("b"), Tri::yes);
    EXPECT_EQ(view.pod_running("a"), Tri::yes);
}

TEST(KubeView, AStaticPodIsKnownByTheUidItsMirrorPodNames) {
    SourceView view;
    PodInfo mirror{"mirror-uid", "Running", false, "static-hash"};
    view.replace_pods({mirror});
    EXPECT_EQ(view.pod_running("static-hash"), Tri::yes);
    EXPECT_EQ(view.pod_running("mirror-uid"), Tri::yes);
    view.apply(EventType::deleted, mirror);
    EXPECT_EQ(view.pod_running("static-hash"), Tri::no);
    view.apply(EventType::added, PodInfo{"mirror-2", "Running", false, "static-hash"});
    EXPECT_EQ(view.pod_running("static-hash"), Tri::yes);
}

TEST(KubeView, ErrorsChangeOnlyWhenTheTextChanges) {
    SourceView view;
    EXPECT_TRUE(view.set_error(Watcher::pods, "boom"));
    EXPECT_FALSE(view.set_error(Watcher::pods, "boom"));
    EXPECT_TRUE(view.set_error(Watcher::pods, "bang"));
    EXPECT_EQ(view.status().error, "bang");
    EXPECT_TRUE(view.set_error(Watcher::node, "node boom"));
    EXPECT_EQ(view.status().error, "node boom; bang");
    EXPECT_TRUE(view.clear_error(Watcher::pods));
    EXPECT_FALSE(view.clear_error(Watcher::pods));
    EXPECT_EQ(view.status().error, "node boom");
    EXPECT_TRUE(view.set_error(Watcher::namespaces, "ns forbidden"));
    EXPECT_EQ(view.status().error, "node boom; ns forbidden");
    EXPECT_TRUE(view.set_error(Watcher::pods, "ns forbidden"));
    EXPECT_EQ(view.status().error, "node boom; ns forbidden");  // the same text once
}

TEST(KubeView, NamespacesAreUnknownUntilListedAndWhileUnsynced) {
    NamespaceView view;
    EXPECT_FALSE(view.labels("payments").synced);
    view.replace({{"payments", {{"zone", "pci"}}}, {"default", {}}});
    auto payments = view.labels("payments");
    EXPECT_TRUE(payments.synced);
    EXPECT_TRUE(payments.exists);
    EXPECT_EQ(payments.labels, (std::map<std::string, std::string>{{"zone", "pci"}}));
    auto none = view.labels("card-1");
    EXPECT_TRUE(none.synced);
    EXPECT_FALSE(none.exists);
    EXPECT_EQ(view.size(), 2u);

    view.unsync();
    EXPECT_FALSE(view.synced());
    payments = view.labels("payments");
    EXPECT_FALSE(payments.synced);
    EXPECT_FALSE(payments.exists);
    EXPECT_TRUE(payments.labels.empty());
}

TEST(KubeView, NamespaceEventsSayWhetherTheyChangedAnything) {
    NamespaceView view;
    view.replace({{"payments", {{"zone", "pci"}}}});
    EXPECT_FALSE(view.apply(EventType::modified, {"payments", {{"zone", "pci"}}}));
    EXPECT_TRUE(view.apply(EventType::modified, {"payments", {{"zone", "public"}}}));
    EXPECT_EQ(view.labels("payments").labels.at("zone"), "public");
    EXPECT_TRUE(view.apply(EventType::added, {"card-1", {}}));
    EXPECT_FALSE(view.apply(EventType::added, {"card-1", {}}));
    EXPECT_TRUE(view.apply(EventType::deleted, {"payments", {}}));
    EXPECT_FALSE(view.apply(EventType::deleted, {"payments", {}}));
    EXPECT_FALSE(view.labels("payments").exists);
    EXPECT_TRUE(view.labels("card-1").exists);
    EXPECT_FALSE(view.apply(EventType::bookmark, {"other", {}}));
    EXPECT_FALSE(view.labels("other").exists);
}

}  // namespace
}  // namespace warren::kube
