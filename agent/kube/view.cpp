#include "kube/view.hpp"

#include <chrono>

namespace warren::kube {

void SourceView::replace_pods(std::vector<PodInfo> pods) {
    std::lock_guard lock(mu_);
    pods_.clear();
    mirrors_.clear();
    for (auto& p : pods) {
        if (!p.mirror_of.empty()) mirrors_.insert_or_assign(p.mirror_of, p.uid);
        std::string uid = p.uid;
        pods_.insert_or_assign(std::move(uid), std::move(p));
    }
    synced_ = true;
}

void SourceView::apply(EventType type, PodInfo pod) {
    std::lock_guard lock(mu_);
    if (type == EventType::deleted) {
        if (!pod.mirror_of.empty()) mirrors_.erase(pod.mirror_of);
        pods_.erase(pod.uid);
    } else if (type == EventType::added || type == EventType::modified) {
        if (!pod.mirror_of.empty()) mirrors_.insert_or_assign(pod.mirror_of, pod.uid);
        std::string uid = pod.uid;
        pods_.insert_or_assign(std::move(uid), std::move(pod));
    }
}

void SourceView::unsync_pods() {
    std::lock_guard lock(mu_);
    synced_ = false;
}

void SourceView::node_seen() {
    std::lock_guard lock(mu_);
    node_seen_ = true;
}

void SourceView::touch() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    std::lock_guard lock(mu_);
    last_ok_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
}

bool SourceView::set_error(Watcher watcher, std::string text) {
    std::lock_guard lock(mu_);
    std::string& slot = watcher == Watcher::node ? node_error_ : pods_error_;
    if (slot == text) return false;
    slot = std::move(text);
    return true;
}

bool SourceView::clear_error(Watcher watcher) {
    std::lock_guard lock(mu_);
    std::string& slot = watcher == Watcher::node ? node_error_ : pods_error_;
    const bool had = !slot.empty();
    slot.clear();
    return had;
}

core::Tri SourceView::pod_running(std::string_view uid) const {
    if (uid.empty()) return core::Tri::unknown;
    std::lock_guard lock(mu_);
    if (!synced_) return core::Tri::yes;
    auto it = pods_.find(std::string(uid));
    if (it == pods_.end()) {
        // A static pod: the runtime knows it by the kubelet's UID, the API by its mirror's.
        if (auto m = mirrors_.find(std::string(uid)); m != mirrors_.end()) it = pods_.find(m->second);
    }
    if (it == pods_.end() || it->second.finished()) return core::Tri::no;
    return core::Tri::yes;
}

SourceStatus SourceView::status() const {
    std::lock_guard lock(mu_);
    SourceStatus out;
    out.node_seen = node_seen_;
    out.pods_synced = synced_;
    out.pods = pods_.size();
    out.last_ok_ns = last_ok_ns_;
    if (!pods_error_.empty() && !node_error_.empty() && pods_error_ != node_error_) {
        out.error = node_error_ + "; " + pods_error_;
    } else {
        out.error = !node_error_.empty() ? node_error_ : pods_error_;
    }
    return out;
}

}  // namespace warren::kube
