#pragma once
// A plugin Host with canned answers, for targets that run whole plugin invocations.
#include <string>
#include <vector>

#include "plugin.hpp"

namespace warren::fuzz {

class FakeHost final : public cni::Host {
  public:
    Result<proto::Response> answer = proto::Response{true, Code::internal, {}, {}, {{"10.1.0.5/24", "10.1.0.1"}}};
    std::vector<proto::Request> sent, queued;

    Result<proto::Response> call(const std::string&, const proto::Request& req, int) override {
        sent.push_back(req);
        return answer;
    }
    Status enqueue_delete(const std::string&, const proto::Request& req) override {
        queued.push_back(req);
        return {};
    }
    Result<std::string> read_file(const std::string&) override {
        return std::string("nameserver 10.0.0.2\nsearch example.com\noptions ndots:5\n");
    }
    uint64_t netns_inode(const std::string&) override { return 4026532000; }
    void log(std::string_view) override {}
};

}  // namespace warren::fuzz
