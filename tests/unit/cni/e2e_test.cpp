// The built `warren` binary as a runtime runs it: a subprocess with a CNI environment and the
// config on stdin, against a fake warrend on a Unix socket.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cni_test_util.hpp"
#include "warren/delete_queue.hpp"

#ifndef WARREN_PLUGIN_PATH
#error "WARREN_PLUGIN_PATH must name the built plugin"
#endif

namespace warren::cni {
namespace {

using nlohmann::json;
using testing::FakeAgent;
using testing::TempDir;

struct ProcResult {
    int exit_code = -1;
    std::string out, err;
    json out_json;  // null when stdout is empty
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs the plugin with exactly `vars` as its environment. Files carry stdin/stdout/stderr so a
// blocked pipe cannot deadlock the test.
ProcResult run_plugin(const TempDir& tmp, const std::map<std::string, std::string>& vars,
                      const std::string& input) {
    std::string in = tmp / "stdin", out = tmp / "stdout", err = tmp / "stderr";
    std::ofstream(in) << input;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> env_strings;
    for (auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string prog = WARREN_PLUGIN_PATH;
    char* argv[] = {prog.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, prog.c_str(), &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ProcResult r;
    if (rc != 0) {
        ADD_FAILURE() << "cannot spawn " << prog << ": " << std::strerror(rc);
        return r;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    if (!r.out.empty()) {
        r.out_json = json::parse(r.out, nullptr, false);
        EXPECT_FALSE(r.out_json.is_discarded()) << "stdout is not JSON: " << r.out;
    }
    return r;
}

class PluginBinary : public ::testing::Test {
  protected:
    std::string socket() const { return tmp_ / "warren.sock"; }
    std::string conf(const std::string& version = "1.0.0") const {
        return json{{"cniVersion", version},
                    {"name", "podnet"},
                    {"type", "bridge"},
                    {"ipam",
                     {{"type", "warren"},
                      {"socket", socket()},
                      {"subnet", "10.1.0.0/24"},
                      {"routes", {{{"dst", "0.0.0.0/0"}}}}}}}
            .dump();
    }
    TempDir tmp_;
};

TEST_F(PluginBinary, AddAgainstFakeAgent) {
    FakeAgent agent(socket(), [](const proto::Request& req) {
        proto::Response r{true};
        if (req.op == proto::Op::add) r.ips = {{"10.1.0.5/24", "10.1.0.1"}};
        return r;
    });
    auto r = run_plugin(tmp_, testing::attach_env("ADD"), conf());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(
        r.out_json,
        json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"}],
        "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})"));
    auto reqs = agent.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].op, proto::Op::add);
    EXPECT_EQ(reqs[0].network, "podnet");
    EXPECT_EQ(reqs[0].container_id, "c0ffee");
    EXPECT_EQ(reqs[0].ifname, "eth0");
    EXPECT_EQ(reqs[0].netns, "/var/run/netns/pod1");
    EXPECT_EQ(reqs[0].pod, (proto::PodRef{"default", "web-0", "u-1"}));
    ASSERT_TRUE(reqs[0].ranges);
    EXPECT_EQ(*reqs[0].ranges, json::parse(R"([[{"subnet":"10.1.0.0/24"}]])"));
}

TEST_F(PluginBinary, AgentErrorReachesStdout) {
    FakeAgent agent(socket(), [](const proto::Request&) {
        return proto::Response{
            false, Code::pool_exhausted, "pool podnet is exhausted", "254 of 254 in use", {}};
    });
    auto r = run_plugin(tmp_, testing::attach_env("ADD"), conf("0.4.0"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out_json,
              json::parse(R"({"cniVersion":"0.4.0","code":100,"msg":"pool podnet is exhausted",
        "details":"254 of 254 in use"})"));
}

TEST_F(PluginBinary, DelWithAgentDownIsQueued) {
    auto r = run_plugin(tmp_, testing::attach_env("DEL"), conf());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("queued"), std::string::npos) << r.err;
    auto list = proto::list_deletes(tmp_ / "delete-queue");
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), 1u);
    ASSERT_TRUE((*list)[0].request) << (*list)[0].request.error().message;
    EXPECT_EQ((*list)[0].request->op, proto::Op::del);
    EXPECT_EQ((*list)[0].request->container_id, "c0ffee");
    EXPECT_EQ((*list)[0].request->network, "podnet");
}

TEST_F(PluginBinary, DelWithAgentUpIsNotQueued) {
    FakeAgent agent(socket(), [](const proto::Request&) { return proto::Response{true}; });
    auto r = run_plugin(tmp_, testing::attach_env("DEL"), conf());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(agent.requests().size(), 1u);
    EXPECT_FALSE(std::filesystem::exists(tmp_ / "delete-queue"));
}

TEST_F(PluginBinary, AddWithNoSocketIsCode11SayingSo) {
    auto r = run_plugin(tmp_, testing::attach_env("ADD"), conf());
    EXPECT_NE(r.exit_code, 0);
    ASSERT_TRUE(r.out_json.is_object()) << r.out;
    EXPECT_EQ(r.out_json["code"], 11);
    EXPECT_EQ(r.out_json["cniVersion"], "1.0.0");
    EXPECT_EQ(r.out_json["msg"], "cannot reach warrend: there is no socket at " + socket() +
                                     "; start warrend, or set ipam.socket to the path warrend "
                                     "listens on (its --socket)");
}

// A socket file nobody listens on (warrend stopped without removing it).
TEST_F(PluginBinary, AddWithStaleSocketIsCode11SayingNothingListens) {
    {
        Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, socket().c_str(), sizeof addr.sun_path - 1);
        ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    auto r = run_plugin(tmp_, testing::attach_env("ADD"), conf());
    EXPECT_NE(r.exit_code, 0);
    ASSERT_TRUE(r.out_json.is_object()) << r.out;
    EXPECT_EQ(r.out_json["code"], 11);
    EXPECT_EQ(r.out_json["msg"], "cannot reach warrend: nothing listens on " + socket() +
                                     " (a socket left by a warrend that stopped); start warrend");
}

// An agent that accepts (its backlog does) but never answers: the message gives the timeout.
TEST_F(PluginBinary, AddWithSilentAgentIsCode11SayingItTimedOut) {
    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket().c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(s.get(), 4), 0);
    auto c = json::parse(conf());
    c["ipam"]["timeoutSeconds"] = 0.3;
    auto r = run_plugin(tmp_, testing::attach_env("ADD"), c.dump());
    EXPECT_NE(r.exit_code, 0);
    ASSERT_TRUE(r.out_json.is_object()) << r.out;
    EXPECT_EQ(r.out_json["code"], 11);
    EXPECT_EQ(r.out_json["msg"], "warrend at " + socket() +
                                     " did not answer within 0.3 s (ipam.timeoutSeconds): it is "
                                     "busy or hung; check its log, or raise ipam.timeoutSeconds");
}

TEST_F(PluginBinary, StatusWithAgentDownIsCode50) {
    auto r =
        run_plugin(tmp_, {{"CNI_COMMAND", "STATUS"}, {"CNI_PATH", "/opt/cni/bin"}}, conf("1.1.0"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out_json["code"], 50) << r.out;
}

TEST_F(PluginBinary, Version) {
    auto r = run_plugin(tmp_, {{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"1.0.0"})");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out_json, json::parse(R"({"cniVersion":"1.0.0",
        "supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"));
}

TEST_F(PluginBinary, MalformedStdinIsCode6) {
    auto r = run_plugin(tmp_, testing::attach_env("ADD"), "{\"cniVersion\":");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out_json["code"], 6) << r.out;
}

TEST_F(PluginBinary, MissingEnvIsCode4) {
    auto vars = testing::attach_env("ADD");
    vars.erase("CNI_CONTAINERID");
    auto r = run_plugin(tmp_, vars, conf());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out_json["code"], 4) << r.out;
    EXPECT_EQ(r.out_json["msg"], "required env variables [CNI_CONTAINERID] missing");

    auto none = run_plugin(tmp_, {}, conf());
    EXPECT_NE(none.exit_code, 0);
    EXPECT_EQ(none.out_json["code"], 4) << none.out;
}

}  // namespace
}  // namespace warren::cni
