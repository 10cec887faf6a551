#pragma once
// NetnsProber for unit tests: a map of paths to the namespace inode "mounted" there.
#include <map>
#include <optional>
#include <string>

#include "liveness/netns_prober.hpp"

namespace warren::testing {

class FakeNetnsProber final : public liveness::NetnsProber {
  public:
    void put(const std::string& path, uint64_t inode) { paths_[path] = inode; }
    // A file that is not a namespace (inode 0 in the map).
    void put_not_namespace(const std::string& path) { paths_[path] = 0; }
    void remove(const std::string& path) { paths_.erase(path); }
    // Every probe of `path` fails with `error` until cleared (nullopt).
    void fail_on(const std::string& path, std::optional<Error> error) {
        if (error)
            failures_[path] = *error;
        else
            failures_.erase(path);
    }
    int probes() const { return probes_; }

    Result<liveness::NetnsProbe> probe(const std::string& path, uint64_t recorded) const override {
        ++probes_;
        if (auto f = failures_.find(path); f != failures_.end()) return std::unexpected(f->second);
        auto it = paths_.find(path);
        if (it == paths_.end()) return liveness::NetnsProbe{liveness::NetnsState::gone, 0};
        if (it->second == 0) return liveness::NetnsProbe{liveness::NetnsState::not_namespace, 0};
        if (recorded != 0 && recorded != it->second)
            return liveness::NetnsProbe{liveness::NetnsState::replaced, it->second};
        return liveness::NetnsProbe{liveness::NetnsState::present, it->second};
    }

  private:
    std::map<std::string, uint64_t> paths_;
    std::map<std::string, Error> failures_;
    mutable int probes_ = 0;
};

}  // namespace warren::testing
