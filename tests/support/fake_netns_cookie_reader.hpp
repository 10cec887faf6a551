#pragma once
// NetnsCookieReader for unit tests: answers from a table keyed by path; a path not in it is an
// ENOENT error. Records every path asked.
#include <map>
#include <string>
#include <vector>

#include "liveness/netns_cookie.hpp"

namespace warren::testing {

class FakeNetnsCookieReader final : public liveness::NetnsCookieReader {
  public:
    void put(const std::string& path, uint64_t cookie) { cookies_[path] = cookie; }
    const std::vector<std::string>& asked() const { return asked_; }

    Result<uint64_t> cookie_of(const std::string& path, uint64_t) override {
        asked_.push_back(path);
        auto it = cookies_.find(path);
        if (it == cookies_.end()) return fail_errno("cannot open " + path, ENOENT);
        return it->second;
    }

  private:
    std::map<std::string, uint64_t> cookies_;
    std::vector<std::string> asked_;
};

}  // namespace warren::testing
