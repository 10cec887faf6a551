#include "kube/view.hpp"

#include <algorithm>
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
    std::string& slot = errors_[static_cast<size_t>(watcher)];
    if (slot == text) return false;
    slot = std::move(text);
    return true;
}

bool SourceView::clear_error(Watcher watcher) {
    std::lock_guard lock(mu_);
    std::string& slot = errors_[static_cast<size_t>(watcher)];
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
    // Each watcher's error once, in a fixed order; the same text from two watchers once.
    std::vector<std::string_view> shown;
    for (const auto& e : errors_) {
        if (e.empty() || std::ranges::find(shown, e) != shown.end()) continue;
        if (!shown.empty()) out.error += "; ";
        out.error += e;
        shown.push_back(e);
    }
    return out;
}

void NamespaceView::replace(std::vector<NamespaceInfo> all) {
    std::lock_guard lock(mu_);
    labels_.clear();
    for (auto& ns : all) labels_.insert_or_assign(std::move(ns.name), std::move(ns.labels));
    synced_ = true;
}

bool NamespaceView::apply(EventType type, NamespaceInfo ns) {
    std::lock_guard lock(mu_);
    if (type == EventType::deleted) return labels_.erase(ns.name) > 0;
    if (type != EventType::added && type != EventType::modified) return false;
    auto it = labels_.find(ns.name);
    if (it != labels_.end() && it->second == ns.labels) return false;
    labels_.insert_or_assign(std::move(ns.name), std::move(ns.labels));
    return true;
}

void NamespaceView::unsync() {
    std::lock_guard lock(mu_);
    synced_ = false;
}

core::NamespaceLabels NamespaceView::labels(std::string_view name) const {
    std::lock_guard lock(mu_);
    core::NamespaceLabels out;
    out.synced = synced_;
    if (!synced_) return out;
    if (auto it = labels_.find(name); it != labels_.end()) {
        out.exists = true;
        out.labels = it->second;
    }
    return out;
}

bool NamespaceView::synced() const {
    std::lock_guard lock(mu_);
    return synced_;
}

size_t NamespaceView::size() const {
    std::lock_guard lock(mu_);
    return labels_.size();
}

}  // namespace warren::kube
