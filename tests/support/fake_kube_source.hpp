#pragma once
// A kube::Source the test drives: start() keeps the handler, push() hands it a NodeState (on the
// test's thread, as the real source does on its own), pod_running() answers from `running`
// (uid -> yes/no), else `otherwise` (yes: not synced, as the real source says then).
// namespace_labels() answers from `namespaces` while `namespaces_synced`; set_namespace(),
// delete_namespace() and sync_namespaces() change them and tell the namespaces handler (on the
// test's thread).
#include <map>
#include <mutex>
#include <string>

#include "kube/source.hpp"

namespace warren::testing {

struct FakeKubeSource final : kube::Source {
    Status start(NodeHandler on_node) override {
        ++starts;
        handler = std::move(on_node);
        return {};
    }
    void stop() override {
        ++stops;
        handler = {};
    }
    core::Tri pod_running(std::string_view uid) const override {
        std::lock_guard lock(mutex);
        ++asked;
        if (uid.empty()) return core::Tri::unknown;
        auto it = running.find(std::string(uid));
        return it == running.end() ? otherwise : it->second;
    }
    kube::SourceStatus status() const override {
        std::lock_guard lock(mutex);
        return source_status;
    }
    core::NamespaceLabels namespace_labels(std::string_view name) const override {
        std::lock_guard lock(mutex);
        core::NamespaceLabels out;
        out.synced = namespaces_synced;
        if (!out.synced) return out;
        if (auto it = namespaces.find(name); it != namespaces.end()) {
            out.exists = true;
            out.labels = it->second;
        }
        return out;
    }
    void set_namespaces_handler(NamespacesHandler on_change) override {
        namespaces_handler = std::move(on_change);
    }
    void set_namespace(const std::string& name, std::map<std::string, std::string> labels) {
        {
            std::lock_guard lock(mutex);
            namespaces[name] = std::move(labels);
        }
        if (namespaces_handler) namespaces_handler();
    }
    void delete_namespace(const std::string& name) {
        {
            std::lock_guard lock(mutex);
            namespaces.erase(name);
        }
        if (namespaces_handler) namespaces_handler();
    }
    void sync_namespaces(bool synced) {
        {
            std::lock_guard lock(mutex);
            namespaces_synced = synced;
        }
        if (synced && namespaces_handler) namespaces_handler();
    }
    // Hands `cidrs` to the handler as a version of Node `name`.
    void push(const std::string& name, std::vector<std::string> cidrs) {
        if (handler) handler(kube::NodeState{name, std::move(cidrs), std::to_string(++version)});
    }

    NodeHandler handler;
    mutable std::mutex mutex;
    std::map<std::string, core::Tri> running;
    core::Tri otherwise = core::Tri::no;
    kube::SourceStatus source_status;
    std::map<std::string, std::map<std::string, std::string>, std::less<>> namespaces;
    bool namespaces_synced = true;
    NamespacesHandler namespaces_handler;
    mutable int asked = 0;
    int starts = 0, stops = 0, version = 0;
};

}  // namespace warren::testing
