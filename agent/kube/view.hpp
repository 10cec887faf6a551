#pragma once
// What the source knows of the API (the pods on the node, whether that view is complete, the
// last errors), shared between its watchers (on the source's thread) and pod_running() and
// status() (any thread). Pure state: no I/O.
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/objects.hpp"
#include "kube/source.hpp"

namespace warren::kube {

enum class Watcher { node, pods };

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
    std::string node_error_;
    std::string pods_error_;
};

}  // namespace warren::kube
