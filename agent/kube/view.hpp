#pragma once
// What the source knows of the API (the pods on the node, whether that view is complete, the
// last errors), shared between its watchers (on the source's thread) and pod_running() and
// status() (any thread). Pure state: no I/O.
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/objects.hpp"
#include "kube/source.hpp"

namespace warren::kube {

enum class Watcher { node, pods, namespaces };

class SourceView {
  public:
    // A complete list: replaces every pod; the view is synced.
    void replace_pods(std::vector<PodInfo> pods);
    // A watch event for one pod (ADDED/MODIFIED: upsert, DELETED: erase).
    void apply(EventType type, PodInfo pod);
    // The pod view is no longer complete (an error or a watch ended unexpectedly).
    void unsync_pods();
    void node_seen();
    // A successful list or watch event just now.
    void touch();
    // Records `watcher`'s error; true when the text differs from that watcher's last one (so the
    // caller logs once per change of error, not per retry).
    bool set_error(Watcher watcher, std::string text);
    // Clears `watcher`'s error; true when there was one.
    bool clear_error(Watcher watcher);

    core::Tri pod_running(std::string_view uid) const;
    SourceStatus status() const;

  private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, PodInfo> pods_;
    std::unordered_map<std::string, std::string> mirrors_;  // static pod UID -> its mirror pod's uid
    bool synced_ = false;
    bool node_seen_ = false;
    int64_t last_ok_ns_ = 0;
    std::string errors_[3];  // by Watcher
};

// The namespaces' labels (Settings::watch_namespaces), written by their watcher and read by
// Source::namespace_labels() from any thread.
class NamespaceView {
  public:
    // A complete list: replaces every namespace; the view is synced.
    void replace(std::vector<NamespaceInfo> all);
    // A watch event (ADDED/MODIFIED: upsert, DELETED: erase); true when it changed the view.
    bool apply(EventType type, NamespaceInfo ns);
    // Not complete any more (an error, a 410): namespace_labels() says not synced.
    void unsync();

    core::NamespaceLabels labels(std::string_view name) const;
    bool synced() const;
    size_t size() const;

  private:
    mutable std::mutex mu_;
    std::map<std::string, std::map<std::string, std::string>, std::less<>> labels_;
    bool synced_ = false;
};

}  // namespace warren::kube
