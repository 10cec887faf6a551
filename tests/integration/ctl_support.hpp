#pragma once
// warrenctl against the real warrend: the agent's admin socket in its test dir, and warrenctl
// runs (as root or as another user) with their exit code and output.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "fixture.hpp"

namespace warren::it {

inline std::string warrenctl_path() {
    return bin_dir() + "/warrenctl";
}
inline std::string admin_socket(const Agent& a) {
    return a.dir() + "/admin.sock";
}

// `spec` with the agent's admin socket in its own dir (never the global /run/warren/admin.sock).
inline AgentSpec with_admin(const Agent& a, AgentSpec spec) {
    spec.extra_args.insert(spec.extra_args.end(), {"--admin-socket", admin_socket(a)});
    return spec;
}

// warrenctl <args...> --admin-socket <the agent's>, optionally behind a wrapper (setpriv ...).
inline RunResult warrenctl(const Agent& a, std::vector<std::string> args,
                           std::vector<std::string> wrapper = {}) {
    std::vector<std::string> argv = std::move(wrapper);
    argv.push_back(warrenctl_path());
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--admin-socket", admin_socket(a)});
    return run_cmd(argv, 30s);
}

// The --json output of a successful warrenctl run; null (and a test failure) otherwise.
inline json warrenctl_json(const Agent& a, std::vector<std::string> args) {
    args.push_back("--json");
    RunResult r = warrenctl(a, args);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.describe();
    return j.is_discarded() ? json() : j;
}

}  // namespace warren::it
