#pragma once
// One plugin invocation, from environment and stdin to exit code and stdout. All I/O goes
// through Host, so every command is unit-testable with a fake agent.
#include <string>
#include <string_view>

#include "env.hpp"
#include "warren/client.hpp"
#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::cni {

// The I/O seam of the plugin.
class Host {
  public:
    virtual ~Host() = default;
    // One exchange with warrend, with proto::call's errors: Code::try_again means it could
    // not be reached (or did not answer in time), proto::untrusted_peer that someone else
    // serves the socket; any other error is a broken exchange.
    virtual Result<proto::Response> call(const std::string& socket, const proto::Request& req,
                                         const proto::CallOptions& opts) = 0;
    virtual Status enqueue_delete(const std::string& dir, const proto::Request& req) = 0;
    virtual Result<std::string> read_file(const std::string& path) = 0;
    // Inode of the netns at `path`, 0 when unknown; the agent records it with the allocation.
    virtual uint64_t netns_inode(const std::string&) { return 0; }
    // The kernel's cookie of the netns at `path` (SO_NETNS_COOKIE: unlike the inode, never
    // reused), 0 when it cannot be read. An error only when the plugin could not return to its
    // own namespace afterwards: then it must stop, since it would talk to the agent from there.
    virtual Result<uint64_t> netns_cookie(const std::string&) { return 0; }
    // A line for the runtime's log (stderr); never stdout.
    virtual void log(std::string_view line) = 0;
};

struct Outcome {
    int exit_code = 0;
    std::string out;  // exactly what goes to stdout
};

// Runs the command named by CNI_COMMAND. Never throws for bad input; every failure becomes the
// CNI error JSON on `out` with exit code 1.
Outcome run(const EnvLookup& getenv, std::string_view stdin_data, Host& host);

// The Host of the real binary: proto::call, proto::enqueue_delete, read(2), stderr.
class SystemHost final : public Host {
  public:
    Result<proto::Response> call(const std::string& socket, const proto::Request& req,
                                 const proto::CallOptions& opts) override;
    Status enqueue_delete(const std::string& dir, const proto::Request& req) override;
    Result<std::string> read_file(const std::string& path) override;
    uint64_t netns_inode(const std::string& path) override;
    Result<uint64_t> netns_cookie(const std::string& path) override;
    void log(std::string_view line) override;
};

}  // namespace warren::cni
