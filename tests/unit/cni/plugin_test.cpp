// cni::run() end to end with a fake Host: every command, every failure path.
#include "plugin.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "cni_test_util.hpp"

namespace warren::cni {
namespace {

using nlohmann::json;
using testing::attach_env;
using testing::FakeEnv;

class FakeHost : public Host {
  public:
    std::function<Result<proto::Response>(const proto::Request&)> agent =
        [](const proto::Request&) {
            return Result<proto::Response>(
                proto::Response{true, Code::internal, {}, {}, {{"10.1.0.5/24", "10.1.0.1"}}});
        };
    Status enqueue_result;
    std::map<std::string, std::string> files;

    std::vector<std::pair<std::string, proto::Request>> calls;   // socket, request
    std::vector<std::pair<std::string, proto::Request>> queued;  // dir, request
    std::vector<std::string> logs;
    std::vector<std::string> reads;  // paths read_file was asked for
    int timeout_ms = 0;
    std::optional<uid_t> agent_uid;
    Result<uint64_t> cookie = 0;
    std::vector<std::string> cookie_paths;

    Result<proto::Response> call(const std::string& socket, const proto::Request& req,
                                 const proto::CallOptions& opts) override {
        calls.emplace_back(socket, req);
        timeout_ms = opts.timeout_ms;
        agent_uid = opts.agent_uid;
        return agent(req);
    }
    Status enqueue_delete(const std::string& dir, const proto::Request& req) override {
        if (enqueue_result) queued.emplace_back(dir, req);
        return enqueue_result;
    }
    Result<std::string> read_file(const std::string& path) override {
        reads.push_back(path);
        auto it = files.find(path);
        if (it == files.end()) return fail_errno("cannot open " + path, ENOENT);
        return it->second;
    }
    Result<uint64_t> netns_cookie(const std::string& path) override {
        cookie_paths.push_back(path);
        return cookie;
    }
    void log(std::string_view line) override { logs.emplace_back(line); }
};

Result<proto::Response> down(const proto::Request&) {
    return fail_errno("cannot reach warrend at /run/warren/warren.sock", ECONNREFUSED,
                      Code::try_again);
}

const std::string kConf =
    R"({"cniVersion":"1.0.0","name":"podnet","type":"bridge","ipam":{"type":"warren","routes":[{"dst":"0.0.0.0/0"}]}})";

struct Run {
    Outcome outcome;
    json out;  // parsed stdout, null when empty
};

Run run_cmd(FakeHost& host, std::map<std::string, std::string> vars,
            const std::string& stdin_data) {
    FakeEnv env{std::move(vars)};
    Run r{cni::run(env.lookup(), stdin_data, host), nullptr};
    if (!r.outcome.out.empty()) r.out = json::parse(r.outcome.out);
    return r;
}

void expect_error(const Run& r, int code, const std::string& version = "1.0.0") {
    EXPECT_EQ(r.outcome.exit_code, 1);
    ASSERT_TRUE(r.out.is_object()) << r.outcome.out;
    EXPECT_EQ(r.out["code"], code) << r.outcome.out;
    EXPECT_EQ(r.out["cniVersion"], version) << r.outcome.out;
    EXPECT_TRUE(r.out["msg"].is_string());
}

TEST(Plugin, AddPrintsResultAndSendsTheRequest) {
    FakeHost host;
    auto r = run_cmd(host, attach_env("ADD"), kConf);
    EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.out;
    EXPECT_EQ(
        r.out,
        json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"}],
        "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})"));
    ASSERT_EQ(host.calls.size(), 1u);
    auto& [socket, req] = host.calls[0];
    EXPECT_EQ(socket, "/run/warren/warren.sock");
    EXPECT_EQ(host.timeout_ms, 10000);
    EXPECT_EQ(req.op, proto::Op::add);
    EXPECT_EQ(req.network, "podnet");
    EXPECT_EQ(req.container_id, "c0ffee");
    EXPECT_EQ(req.pod.name, "web-0");
}

TEST(Plugin, AddSendsTheNetnsCookie) {
    FakeHost host;
    host.cookie = 0xfeedf00d1234ULL;
    auto r = run_cmd(host, attach_env("ADD"), kConf);
    EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.out;
    EXPECT_EQ(host.cookie_paths, std::vector<std::string>{"/var/run/netns/pod1"});
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.netns_cookie, 0xfeedf00d1234ULL);
}

TEST(Plugin, AddWithAnUnreadableCookieSendsZeroAndSucceeds) {
    FakeHost host;  // the cookie could not be read: 0
    auto r = run_cmd(host, attach_env("ADD"), kConf);
    EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.out;
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.netns_cookie, 0u);
}

TEST(Plugin, AddStuckInThePodNamespaceFailsBeforeCallingTheAgent) {
    FakeHost host;
    host.cookie = fail(Code::internal, "cannot return to the plugin's own network namespace");
    auto r = run_cmd(host, attach_env("ADD"), kConf);
    expect_error(r, static_cast<int>(Code::internal));
    EXPECT_NE(r.out["msg"].get<std::string>().find("own network namespace"), std::string::npos);
    EXPECT_TRUE(host.calls.empty());
}

TEST(Plugin, OnlyAddReadsTheCookie) {
    FakeHost host;
    run_cmd(host, attach_env("DEL"), kConf);
    EXPECT_TRUE(host.cookie_paths.empty());
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.netns_cookie, 0u);
}

TEST(Plugin, AddInOldVersionCarriesIpVersion) {
    FakeHost host;
    auto conf = json::parse(kConf);
    conf["cniVersion"] = "0.3.1";
    auto r = run_cmd(host, attach_env("ADD"), conf.dump());
    ASSERT_EQ(r.outcome.exit_code, 0);
    EXPECT_EQ(r.out["cniVersion"], "0.3.1");
    EXPECT_EQ(r.out["ips"][0]["version"], "4");
}

TEST(Plugin, AddPassesRequestedIps) {
    FakeHost host;
    auto vars = attach_env("ADD");
    vars["CNI_ARGS"] += ";IP=10.1.0.42";
    run_cmd(host, vars, kConf);
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.ips, (std::vector<std::string>{"10.1.0.42"}));

    FakeHost bad;
    vars["CNI_ARGS"] += ",10.1.0.999";
    auto r = run_cmd(bad, vars, kConf);
    expect_error(r, 7);
    EXPECT_TRUE(bad.calls.empty());
}

TEST(Plugin, AddPassesThePodsPoolAskAndTheZoneRefusal) {
    FakeHost host;
    host.agent = [](const proto::Request& req) {
        EXPECT_EQ(req.requested_pool, "pci");
        return Result<proto::Response>(
            proto::Response{false,
                            Code::zone_refused,
                            "zone rule: namespace 'ns' is in zone 'web' (namespaces: ns), which "
                            "allows only pool 'web'; "
                            "runtimeConfig.pool asked for pool 'pci'",
                            "",
                            {}});
    };
    auto conf = nlohmann::json::parse(kConf);
    conf["runtimeConfig"] = {{"pool", "pci"}};
    auto r = run_cmd(host, attach_env("ADD"), conf.dump());
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.requested_pool, "pci");
    EXPECT_EQ(host.calls[0].second.requested_pool_from, "runtimeConfig.pool");
    expect_error(r, 103);
    EXPECT_NE(r.out["msg"].get<std::string>().find("zone rule:"), std::string::npos)
        << r.out.dump();

    FakeHost refused;
    conf["args"] = {{"cni", {{"pool", "web"}}}};
    auto both = run_cmd(refused, attach_env("ADD"), conf.dump());
    expect_error(both, static_cast<int>(Code::invalid_config));
    EXPECT_TRUE(refused.calls.empty());
}

TEST(Plugin, AddAgentErrorPassesThrough) {
    FakeHost host;
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(
            proto::Response{false,
                            Code::pool_exhausted,
                            "pool podnet (254 addresses, 3 quarantined) is exhausted",
                            "range 10.1.0.0/24",
                            {}});
    };
    auto r = run_cmd(host, attach_env("ADD"), kConf);
    expect_error(r, 100);
    EXPECT_EQ(r.out["msg"], "pool podnet (254 addresses, 3 quarantined) is exhausted");
    EXPECT_EQ(r.out["details"], "range 10.1.0.0/24");
}

// What the client reports when a call fails at `errno_value` (see warren/client.hpp).
std::function<Result<proto::Response>(const proto::Request&)> failing(int errno_value) {
    return [errno_value](const proto::Request&) -> Result<proto::Response> {
        return fail_errno("cannot reach warrend at /run/warren/warren.sock", errno_value,
                          Code::try_again);
    };
}

// Each way of not reaching warrend says once what happened and what to do, with code 11.
struct UnreachableCase {
    int err;
    std::string msg;
};

TEST(Plugin, AddUnreachableSaysWhatHappenedAndWhatToDo) {
    const std::string uid = std::to_string(::geteuid());
    const UnreachableCase cases[] = {
        {ENOENT,
         "cannot reach warrend: there is no socket at /run/warren/warren.sock; start warrend, or "
         "set ipam.socket to the path warrend listens on (its --socket)"},
        {ECONNREFUSED,
         "cannot reach warrend: nothing listens on /run/warren/warren.sock (a socket left by a "
         "warrend that stopped); start warrend"},
        {EACCES,
         "cannot reach warrend: the plugin (uid " + uid +
             ") may not connect to /run/warren/warren.sock (Permission denied); run the plugin "
             "as root, or allow its group with warrend's socketGroup (--socket-group)"},
        {EPERM,
         "cannot reach warrend: the plugin (uid " + uid +
             ") may not connect to /run/warren/warren.sock (Operation not permitted); run the "
             "plugin as root, or allow its group with warrend's socketGroup (--socket-group)"},
        {ETIMEDOUT,
         "warrend at /run/warren/warren.sock did not answer within 10 s (ipam.timeoutSeconds): "
         "it is busy or hung; check its log, or raise ipam.timeoutSeconds"},
        {ECONNRESET,
         "warrend at /run/warren/warren.sock closed the connection before answering (it may "
         "have restarted); check its log and try again"},
        {ENOTSOCK,
         "cannot reach warrend at /run/warren/warren.sock: Socket operation on non-socket; check "
         "that ipam.socket names warrend's socket"},
    };
    for (const auto& c : cases) {
        FakeHost host;
        host.agent = failing(c.err);
        auto r = run_cmd(host, attach_env("ADD"), kConf);
        expect_error(r, 11);
        EXPECT_EQ(r.out["msg"], c.msg) << std::strerror(c.err);
        EXPECT_FALSE(r.out.contains("details")) << "the cause is said once: " << r.outcome.out;
        EXPECT_TRUE(host.queued.empty());
    }
}

TEST(Plugin, TimeoutMessageGivesTheConfiguredTimeout) {
    auto conf = json::parse(kConf);
    conf["ipam"]["timeoutSeconds"] = 2.5;
    FakeHost host;
    host.agent = failing(ETIMEDOUT);
    auto r = run_cmd(host, attach_env("ADD"), conf.dump());
    expect_error(r, 11);
    EXPECT_EQ(r.out["msg"],
              "warrend at /run/warren/warren.sock did not answer within 2.5 s "
              "(ipam.timeoutSeconds): it is busy or hung; check its log, or raise "
              "ipam.timeoutSeconds");
}

// A socket served by someone other than root or ipam.agentUser: code 5, never code 11 (waiting
// would not help), and a DEL is not queued as if warrend were down.
TEST(Plugin, UntrustedAgentIsCode5AndNotQueued) {
    FakeHost host;
    host.agent = [](const proto::Request&) -> Result<proto::Response> {
        return fail_errno(
            "the socket /run/warren/warren.sock is served by pid 42 running as uid "
            "65534, which is neither root nor the agent user",
            EPERM, Code::io);
    };
    const std::string msg =
        "the socket /run/warren/warren.sock is served by pid 42 running as uid 65534, which is "
        "neither root nor the agent user; the plugin does not trust it. If warrend runs as that "
        "user, name it in ipam.agentUser; otherwise find out what listens on "
        "/run/warren/warren.sock and who can write its directory";
    for (const char* command : {"ADD", "DEL"}) {
        auto r = run_cmd(host, attach_env(command), kConf);
        expect_error(r, 5);
        EXPECT_EQ(r.out["msg"], msg) << command;
    }
    EXPECT_TRUE(host.queued.empty());
}

// Only root serves the socket unless ipam.agentUser names another user; a name is looked up in
// /etc/passwd, and only then.
TEST(Plugin, AgentUserReachesTheClient) {
    FakeHost host;
    ASSERT_EQ(run_cmd(host, attach_env("ADD"), kConf).outcome.exit_code, 0);
    EXPECT_EQ(host.agent_uid, std::nullopt);

    auto conf = json::parse(kConf);
    for (json uid : {json(998), json("998")}) {
        conf["ipam"]["agentUser"] = uid;
        auto r = run_cmd(host, attach_env("ADD"), conf.dump());
        ASSERT_EQ(r.outcome.exit_code, 0) << uid << ": " << r.outcome.out;
        EXPECT_EQ(host.agent_uid, 998u) << uid;
    }
    EXPECT_TRUE(host.reads.empty()) << "a uid needs no user lookup";

    conf["ipam"]["agentUser"] = "warren";
    host.files["/etc/passwd"] =
        "root:x:0:0:root:/root:/bin/bash\nwarren-x:x:997:997::/:/bin/false\n"
        "warren:x:998:998:warren agent:/var/lib/warren:/usr/sbin/nologin\n";
    auto named = run_cmd(host, attach_env("ADD"), conf.dump());
    ASSERT_EQ(named.outcome.exit_code, 0) << named.outcome.out;
    EXPECT_EQ(host.agent_uid, 998u);
    EXPECT_EQ(host.reads, std::vector<std::string>{"/etc/passwd"});
}

TEST(Plugin, UnknownAgentUserIsCode7BeforeAnyCall) {
    FakeHost host;
    auto conf = json::parse(kConf);
    conf["ipam"]["agentUser"] = "warren";
    auto unreadable = run_cmd(host, attach_env("ADD"), conf.dump());
    expect_error(unreadable, 7);
    EXPECT_EQ(unreadable.out["msg"],
              "ipam.agentUser names user 'warren', but /etc/passwd cannot be read (cannot open "
              "/etc/passwd: No such file or directory); give the uid instead");
    host.files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/bash\n";
    for (const char* command : {"ADD", "DEL"}) {
        auto r = run_cmd(host, attach_env(command), conf.dump());
        expect_error(r, 7);
        EXPECT_EQ(r.out["msg"],
                  "ipam.agentUser: there is no user 'warren' in /etc/passwd; name a user listed "
                  "there, or give the uid")
            << command;
    }
    EXPECT_TRUE(host.calls.empty());
    EXPECT_TRUE(host.queued.empty());
}

TEST(Plugin, StatusWithUntrustedAgentIsCode50SayingWhy) {
    auto conf = json::parse(kConf);
    conf["cniVersion"] = "1.1.0";
    FakeHost host;
    host.agent = [](const proto::Request&) -> Result<proto::Response> {
        return fail_errno(
            "the socket /run/warren/warren.sock is served by pid 42 running as uid "
            "65534, which is neither root nor the agent user",
            EPERM, Code::io);
    };
    auto r = run_cmd(host, {{"CNI_COMMAND", "STATUS"}, {"CNI_PATH", "/opt/cni/bin"}}, conf.dump());
    expect_error(r, 50, "1.1.0");
    EXPECT_NE(r.out["msg"].get<std::string>().find("the plugin does not trust it"),
              std::string::npos)
        << r.outcome.out;
}

TEST(Plugin, DelWithPermissionDeniedIsQueuedAsBefore) {
    FakeHost host;
    host.agent = failing(EACCES);
    auto r = run_cmd(host, attach_env("DEL"), kConf);
    EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.out;
    ASSERT_EQ(host.queued.size(), 1u);
    ASSERT_EQ(host.logs.size(), 1u);
    EXPECT_NE(host.logs[0].find("may not connect to /run/warren/warren.sock"), std::string::npos)
        << host.logs[0];
}

TEST(Plugin, AddAnswerWithoutAddressIsAnError) {
    FakeHost host;
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(proto::Response{true});
    };
    expect_error(run_cmd(host, attach_env("ADD"), kConf), 999);
}

TEST(Plugin, AddReadsResolvConfBeforeAllocating) {
    FakeHost host;
    auto conf = json::parse(kConf);
    conf["ipam"]["resolvConf"] = "/etc/pod-resolv.conf";
    auto missing = run_cmd(host, attach_env("ADD"), conf.dump());
    expect_error(missing, 5);
    EXPECT_TRUE(host.calls.empty()) << "no allocation when the result cannot be completed";

    host.files["/etc/pod-resolv.conf"] = "nameserver 10.96.0.10\nsearch svc.cluster.local\n";
    auto r = run_cmd(host, attach_env("ADD"), conf.dump());
    ASSERT_EQ(r.outcome.exit_code, 0) << r.outcome.out;
    EXPECT_EQ(r.out["dns"],
              json::parse(R"({"nameservers":["10.96.0.10"],"search":["svc.cluster.local"]})"));
}

TEST(Plugin, DelSuccessPrintsNothing) {
    FakeHost host;
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(proto::Response{true});
    };
    auto vars = attach_env("DEL");
    vars.erase("CNI_NETNS");
    auto r = run_cmd(host, vars, kConf);
    EXPECT_EQ(r.outcome.exit_code, 0);
    EXPECT_EQ(r.outcome.out, "");
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.op, proto::Op::del);
    EXPECT_TRUE(host.queued.empty());
}

TEST(Plugin, DelWithAgentDownIsQueued) {
    FakeHost host;
    host.agent = down;
    auto r = run_cmd(host, attach_env("DEL"), kConf);
    EXPECT_EQ(r.outcome.exit_code, 0);
    EXPECT_EQ(r.outcome.out, "");
    ASSERT_EQ(host.queued.size(), 1u);
    EXPECT_EQ(host.queued[0].first, "/run/warren/delete-queue");
    EXPECT_EQ(host.queued[0].second.op, proto::Op::del);
    EXPECT_EQ(host.queued[0].second.container_id, "c0ffee");
    EXPECT_EQ(host.queued[0].second.ifname, "eth0");
    ASSERT_EQ(host.logs.size(), 1u);
    EXPECT_NE(host.logs[0].find("queued in /run/warren/delete-queue"), std::string::npos);
}

TEST(Plugin, DelQueueFailureIsCode11WithBothReasons) {
    FakeHost host;
    host.agent = down;
    host.enqueue_result = fail_errno("cannot create directory /run/warren", EROFS);
    auto r = run_cmd(host, attach_env("DEL"), kConf);
    expect_error(r, 11);
    auto msg = r.out["msg"].get<std::string>();
    EXPECT_NE(msg.find("nothing listens on /run/warren/warren.sock"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Read-only file system"), std::string::npos) << msg;
}

TEST(Plugin, DelAgentAnswerIsNotQueued) {
    FakeHost host;
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(
            proto::Response{false, Code::invalid_config, "ranges differ", {}, {}});
    };
    auto r = run_cmd(host, attach_env("DEL"), kConf);
    expect_error(r, 7);
    EXPECT_TRUE(host.queued.empty());
}

TEST(Plugin, DelBrokenExchangeIsNotQueued) {
    FakeHost host;
    host.agent = [](const proto::Request&) -> Result<proto::Response> {
        return fail(Code::decode, "response is not a JSON object");
    };
    auto r = run_cmd(host, attach_env("DEL"), kConf);
    expect_error(r, 6);
    EXPECT_TRUE(host.queued.empty());
}

TEST(Plugin, Check) {
    auto conf = json::parse(kConf);
    FakeHost host;
    auto no_prev = run_cmd(host, attach_env("CHECK"), conf.dump());
    expect_error(no_prev, 7);
    EXPECT_TRUE(host.calls.empty());

    conf["prevResult"] = json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]})");
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(proto::Response{true});
    };
    auto ok = run_cmd(host, attach_env("CHECK"), conf.dump());
    EXPECT_EQ(ok.outcome.exit_code, 0);
    EXPECT_EQ(ok.outcome.out, "");
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.op, proto::Op::check);
    EXPECT_EQ(host.calls[0].second.ips, (std::vector<std::string>{"10.1.0.5"}));

    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(
            proto::Response{false, Code::check_failed, "10.1.0.5 is not held", {}, {}});
    };
    expect_error(run_cmd(host, attach_env("CHECK"), conf.dump()), 102);

    conf["cniVersion"] = "0.3.1";
    auto old = run_cmd(host, attach_env("CHECK"), conf.dump());
    expect_error(old, 1, "0.3.1");
    EXPECT_EQ(old.out["msg"], "config version does not allow CHECK");
}

TEST(Plugin, GcSendsTheUnionAndPrintsNothing) {
    auto conf = json::parse(kConf);
    conf["cniVersion"] = "1.1.0";
    conf["cni.dev/valid-attachments"] = json::parse(R"([{"containerID":"a","ifname":"eth0"}])");
    conf["cni.dev/attachments"] =
        json::parse(R"([{"containerID":"a","ifname":"eth0"},{"containerID":"b","ifname":"eth0"}])");
    FakeHost host;
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(proto::Response{true});
    };
    auto r = run_cmd(host, {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/opt/cni/bin"}}, conf.dump());
    EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.out;
    EXPECT_EQ(r.outcome.out, "");
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.op, proto::Op::gc);
    EXPECT_EQ(host.calls[0].second.valid_attachments,
              (std::vector<proto::Attachment>{{"a", "eth0"}, {"b", "eth0"}}));

    conf["cniVersion"] = "1.0.0";
    auto old = run_cmd(host, {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/opt/cni/bin"}}, conf.dump());
    expect_error(old, 1);
    EXPECT_EQ(old.out["msg"], "config version does not allow GC");
}

TEST(Plugin, Status) {
    auto conf = json::parse(kConf);
    conf["cniVersion"] = "1.1.0";
    std::map<std::string, std::string> vars{{"CNI_COMMAND", "STATUS"},
                                            {"CNI_PATH", "/opt/cni/bin"}};
    FakeHost host;
    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(proto::Response{true});
    };
    auto ok = run_cmd(host, vars, conf.dump());
    EXPECT_EQ(ok.outcome.exit_code, 0);
    EXPECT_EQ(ok.outcome.out, "");
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.op, proto::Op::status);

    host.agent = [](const proto::Request&) {
        return Result<proto::Response>(
            proto::Response{false, Code::unavailable, "pool podnet is exhausted", {}, {}});
    };
    auto exhausted = run_cmd(host, vars, conf.dump());
    expect_error(exhausted, 50, "1.1.0");
    EXPECT_EQ(exhausted.out["msg"], "pool podnet is exhausted");

    host.agent = down;
    auto unreachable = run_cmd(host, vars, conf.dump());
    expect_error(unreachable, 50, "1.1.0");
    EXPECT_NE(unreachable.out["msg"].get<std::string>().find("/run/warren/warren.sock"),
              std::string::npos);
}

TEST(Plugin, Version) {
    FakeHost host;
    auto r = run_cmd(host, {{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"0.4.0"})");
    EXPECT_EQ(r.outcome.exit_code, 0);
    EXPECT_EQ(r.out["cniVersion"], "0.4.0");
    EXPECT_EQ(r.out["supportedVersions"],
              json::parse(R"(["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"])"));
    for (const char* in : {"", "not json"}) {
        auto d = run_cmd(host, {{"CNI_COMMAND", "VERSION"}}, in);
        EXPECT_EQ(d.outcome.exit_code, 0) << in;
        EXPECT_EQ(d.out["cniVersion"], "1.1.0") << in;
    }
    EXPECT_TRUE(host.calls.empty());
}

TEST(Plugin, MalformedStdinIsCode6) {
    FakeHost host;
    auto r = run_cmd(host, attach_env("ADD"), "{\"cniVersion\": \"1.0.0\", ");
    expect_error(r, 6, "1.1.0");
    EXPECT_TRUE(host.calls.empty());
}

TEST(Plugin, EnvErrorsAreCode4InTheConfigVersion) {
    FakeHost host;
    auto vars = attach_env("ADD");
    vars.erase("CNI_IFNAME");
    auto r = run_cmd(host, vars, kConf);
    expect_error(r, 4, "1.0.0");
    EXPECT_NE(r.out["msg"].get<std::string>().find("CNI_IFNAME"), std::string::npos);

    vars = attach_env("ADD");
    vars["CNI_COMMAND"] = "FROB";
    expect_error(run_cmd(host, vars, kConf), 4);
    EXPECT_TRUE(host.calls.empty());
}

TEST(Plugin, UnsupportedVersionIsCode1) {
    FakeHost host;
    auto conf = json::parse(kConf);
    conf["cniVersion"] = "0.2.0";
    auto r = run_cmd(host, attach_env("ADD"), conf.dump());
    expect_error(r, 1, "1.1.0");
    EXPECT_TRUE(host.calls.empty());
}

TEST(Plugin, ConfigErrorsAreCode7) {
    FakeHost host;
    auto conf = json::parse(kConf);
    conf.erase("ipam");
    expect_error(run_cmd(host, attach_env("DEL"), conf.dump()), 7);
    EXPECT_TRUE(host.calls.empty());
}

TEST(Plugin, CustomSocketQueueDirAndTimeout) {
    auto conf = json::parse(kConf);
    conf["ipam"]["socket"] = "/tmp/w/agent.sock";
    conf["ipam"]["timeoutSeconds"] = 3;
    FakeHost host;
    host.agent = down;
    run_cmd(host, attach_env("DEL"), conf.dump());
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].first, "/tmp/w/agent.sock");
    EXPECT_EQ(host.timeout_ms, 3000);
    ASSERT_EQ(host.queued.size(), 1u);
    EXPECT_EQ(host.queued[0].first, "/tmp/w/delete-queue");
}

// Defect 5: nesting is capped before anything copies the config (a deep prevResult overflowed
// the stack); the error names the limit and where it was passed.
TEST(Plugin, ConfigNestedTooDeepIsADecodeError) {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    for (const char* key : {"prevResult", "args", "runtimeConfig"}) {
        FakeHost host;
        std::string conf = kConf;
        conf.insert(conf.size() - 1, std::string(",\"") + key + "\":" + deep);
        auto r = run_cmd(host, attach_env("CHECK"), conf);
        expect_error(r, 6, "1.1.0");  // a config refused unparsed: its cniVersion is unknown
        EXPECT_NE(r.out["msg"].get<std::string>().find("nested deeper than 64 levels"), std::string::npos)
            << key << ": " << r.outcome.out;
        EXPECT_TRUE(host.calls.empty()) << key;
    }
}

// Defect 7a: a field the compact request form cannot carry (more than 65535 bytes) is refused
// before connecting, naming the field: code 4 for what comes from the environment, 7 for what
// comes from the network config.
TEST(Plugin, FieldsTooLongForTheWireAreRefusedBeforeConnecting) {
    const std::string long_text(70'000, 'a');
    struct Case {
        std::string var, value;  // an environment variable to set, or "" for the config's name
        int code;
        std::string names;
    };
    const std::vector<Case> cases = {
        {"CNI_ARGS", "K8S_POD_NAME=" + long_text, 4, "K8S_POD_NAME"},
        {"CNI_ARGS", "K8S_POD_NAMESPACE=" + long_text, 4, "K8S_POD_NAMESPACE"},
        {"CNI_ARGS", "K8S_POD_UID=" + long_text, 4, "K8S_POD_UID"},
        {"CNI_CONTAINERID", long_text, 4, "CNI_CONTAINERID"},
        {"CNI_NETNS", "/" + long_text, 4, "CNI_NETNS"},
        {"", long_text, 7, "name"},
    };
    for (const auto& c : cases) {
        for (const char* command : {"ADD", "DEL"}) {
            FakeHost host;
            auto vars = attach_env(command);
            auto conf = json::parse(kConf);
            if (c.var.empty())
                conf["name"] = c.value;
            else
                vars[c.var] = c.value;
            auto r = run_cmd(host, vars, conf.dump());
            expect_error(r, c.code);
            const std::string msg = r.out.value("msg", "");
            EXPECT_NE(msg.find(c.names), std::string::npos) << command << " " << c.names << ": " << msg;
            EXPECT_NE(msg.find("65535"), std::string::npos) << command << " " << c.names << ": " << msg;
            EXPECT_TRUE(host.calls.empty()) << command << " " << c.names;
            EXPECT_TRUE(host.queued.empty()) << command << " " << c.names;
        }
    }
    // At the limit the request goes out whole.
    FakeHost host;
    auto vars = attach_env("ADD");
    vars["CNI_ARGS"] = "K8S_POD_NAME=" + std::string(65'535, 'p');
    auto r = run_cmd(host, vars, kConf);
    EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.out.substr(0, 300);
    ASSERT_EQ(host.calls.size(), 1u);
    EXPECT_EQ(host.calls[0].second.pod.name.size(), 65'535u);
}

}  // namespace
}  // namespace warren::cni
