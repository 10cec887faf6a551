// warrenctl end to end in-process: arguments -> request -> the fake agent -> output and exit code.
#include "run.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "fake_admin.hpp"
#include "warren/admin_protocol.hpp"

namespace warren::ctl::testing {
namespace {

using warren::testing::TempDir;

constexpr int64_t kNow = int64_t{1'796'068'800} * 1'000'000'000;

struct Ran {
    int code = -1;
    std::string out, err;
};

Ran run_with(std::vector<std::string_view> args, Caller call = admin::call) {
    std::ostringstream out, err;
    Io io{out, err, std::move(call), [] { return kNow; }};
    Ran r;
    r.code = run(args, io);
    r.out = out.str();
    r.err = err.str();
    return r;
}

json list_result() {
    return {{"entries",
             {{{"ip", "10.1.0.5"},
               {"pool", "default"},
               {"state", "active"},
               {"containerId", "c1"},
               {"ifname", "eth0"},
               {"network", "net1"},
               {"podNamespace", "ns"},
               {"podName", "web"},
               {"podUid", "u"},
               {"netns", "/run/netns/a"},
               {"allocatedNs", kNow},
               {"lastSeenNs", 0},
               {"reason", ""},
               {"sinceNs", kNow}}}}};
}

TEST(CtlRun, ListSendsItsFiltersAndPrintsTheTable) {
    FakeAdmin agent(ok_frame(list_result()));
    auto r = run_with(
        {"list", "--pool", "default", "--state", "active", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, render_list(list_result(), kNow));
    EXPECT_EQ(r.err, "");
    ASSERT_EQ(agent.requests().size(), 1u);
    EXPECT_EQ(agent.requests()[0],
              (json{{"command", "list"}, {"args", {{"pool", "default"}, {"state", "active"}}}}));
}

TEST(CtlRun, JsonPrintsTheResultObjectPretty) {
    FakeAdmin agent(ok_frame(list_result()));
    auto r = run_with({"--json", "list", "--admin-socket=" + agent.path()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, list_result().dump(2) + "\n");
}

TEST(CtlRun, RequestsOfEachCommand) {
    FakeAdmin agent(ok_frame(json::object()));
    const std::string s = "--admin-socket=" + agent.path();
    for (auto args :
         std::vector<std::vector<std::string_view>>{{"status", s},
                                                    {"show", "default/web", s},
                                                    {"release", "fd00::5", "--force", s},
                                                    {"release", "10.1.0.5", s},
                                                    {"gc", s},
                                                    {"gc", "--dry-run", s},
                                                    {"events", "--since", "7", "--limit", "3", s},
                                                    {"events", s},
                                                    {"metrics", s}})
        EXPECT_EQ(run_with(args).code, 0) << args[0];
    const std::vector<json> expected = {
        {{"command", "status"}, {"args", json::object()}},
        {{"command", "show"}, {"args", {{"target", "default/web"}}}},
        {{"command", "release"}, {"args", {{"ip", "fd00::5"}, {"force", true}}}},
        {{"command", "release"}, {"args", {{"ip", "10.1.0.5"}}}},
        {{"command", "gc"}, {"args", {{"dryRun", false}}}},
        {{"command", "gc"}, {"args", {{"dryRun", true}}}},
        {{"command", "events"}, {"args", {{"since", 7}, {"limit", 3}}}},
        {{"command", "events"}, {"args", json::object()}},
        {{"command", "metrics"}, {"args", json::object()}},
    };
    EXPECT_EQ(agent.requests(), expected);
}

TEST(CtlRun, AgentErrorExitsOneWithMessageAndDetails) {
    FakeAdmin agent(error_frame(3, "no allocation matches 10.9.9.9", "see warrenctl list"));
    auto r = run_with({"show", "10.9.9.9", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "warrenctl: no allocation matches 10.9.9.9 (code 3)\n  see warrenctl list\n");
}

TEST(CtlRun, AgentErrorWithJsonAlsoPrintsTheAnswer) {
    const std::string frame = error_frame(50, "its netns path still exists");
    FakeAdmin agent(frame);
    auto r = run_with({"release", "10.1.0.5", "--json", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(json::parse(r.out)["error"], "its netns path still exists");
    EXPECT_EQ(r.err, "warrenctl: its netns path still exists (code 50)\n");
}

TEST(CtlRun, PermissionRefusalExitsThree) {
    FakeAdmin agent(
        error_frame(5, "permission denied: uid 65534 is neither root nor in group warren"));
    auto r = run_with({"status", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.err,
              "warrenctl: warrend at " + agent.path() +
                  " refused this caller: permission denied: uid 65534 is neither root nor in "
                  "group warren\nrun warrenctl as root, or as a member of warrend's admin "
                  "group\n");
}

TEST(CtlRun, NoAgentExitsThreeNamingTheSocketErrnoAndFix) {
    TempDir tmp;
    auto r = run_with({"status", "--admin-socket", tmp / "admin.sock"});
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "warrenctl: cannot reach warrend: there is no admin socket at " +
                         (tmp / "admin.sock") +
                         " (No such file or directory); is warrend running (systemctl status "
                         "warrend)? If it listens elsewhere, name its socket with --admin-socket "
                         "PATH\n");
}

TEST(CtlRun, SocketPathTooLongIsAUsageError) {
    const std::string path = "/" + std::string(200, 'a');
    auto r = run_with({"status", "--admin-socket", path});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "warrenctl: socket path too long: " + path + "\n");
}

TEST(CtlRun, UnreachableMessages) {
    auto msg = [](int err) {
        return unreachable_message(Error{Code::try_again, "x", {}, err}, "/s.sock", 1500);
    };
    EXPECT_EQ(msg(ECONNREFUSED),
              "cannot reach warrend: nothing listens on /s.sock (Connection refused): warrend is "
              "not running (the socket was left by one that stopped); start it (systemctl start "
              "warrend)");
    EXPECT_EQ(msg(EACCES), "cannot reach warrend: this user (uid " + std::to_string(::geteuid()) +
                               ") may not connect to /s.sock (Permission denied); run warrenctl as "
                               "root (sudo), or as a member of warrend's admin group");
    EXPECT_EQ(msg(ETIMEDOUT),
              "warrend at /s.sock did not answer within 1500 ms: it is busy or hung; check its log "
              "(journalctl -u warrend), or raise --timeout");
    EXPECT_EQ(msg(ECONNRESET),
              "warrend at /s.sock closed the connection before answering (Connection reset by "
              "peer): it may have restarted, or refused this caller; check its log and try again");
}

TEST(CtlRun, MalformedAnswerExitsOne) {
    FakeAdmin agent(admin_frame("{oops"));
    auto r = run_with({"status", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err,
              "warrenctl: malformed answer from warrend at " + agent.path() + ": not JSON\n");
}

// A result whose fields have other types than the contract's (another version of warrend).
TEST(CtlRun, UnexpectedResultShapeExitsOne) {
    FakeAdmin agent(
        ok_frame({{"entries", {{{"ip", "10.1.0.5"}, {"allocatedNs", "soon"}, {"podName", 5}}}}}));
    auto r = run_with({"list", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(
        r.err.starts_with("warrenctl: warrend's answer to list is not what this warrenctl "
                          "understands (are they the same version?): "))
        << r.err;
}

TEST(CtlRun, EventsFollowPollsWithNextUntilStopped) {
    std::atomic<bool> stop{false};
    std::vector<json> requests;
    Caller call = [&](const std::string&, const json& req, int) -> Result<json> {
        requests.push_back(req);
        const int64_t n = static_cast<int64_t>(requests.size());
        if (n == 3) stop = true;
        json events = json::array();
        if (n != 2)
            events.push_back({{"seq", 10 * n},
                              {"timeNs", kNow},
                              {"kind", "allocated"},
                              {"ip", "10.1.0." + std::to_string(n)}});
        return json{{"ok", true}, {"result", {{"events", events}, {"next", 10 * n}}}};
    };
    std::ostringstream out, err;
    int follow_starts = 0;
    Io io{out, err, call, [] { return kNow; }, &stop, 1, [&] { ++follow_starts; }};
    std::vector<std::string_view> args{"events", "--follow", "--limit", "5"};
    EXPECT_EQ(run(args, io), 0) << err.str();
    EXPECT_EQ(follow_starts, 1);
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[0]["args"], (json{{"limit", 5}}));
    EXPECT_EQ(requests[1]["args"], (json{{"limit", 5}, {"since", 10}}));
    EXPECT_EQ(requests[2]["args"], (json{{"limit", 5}, {"since", 20}}));
    const std::string o = out.str();
    EXPECT_EQ(o.find("SEQ"), 0u) << o;
    EXPECT_EQ(o.find("SEQ", 1), std::string::npos) << "one header only: " << o;
    EXPECT_NE(o.find("10.1.0.1"), std::string::npos) << o;
    EXPECT_NE(o.find("10.1.0.3"), std::string::npos) << o;
}

TEST(CtlRun, EventsFollowJsonPrintsOneEventPerLine) {
    std::atomic<bool> stop{false};
    int calls = 0;
    Caller call = [&](const std::string&, const json&, int) -> Result<json> {
        if (++calls == 2) stop = true;
        json e = {{"seq", calls}, {"kind", "released"}};
        return json{{"ok", true}, {"result", {{"events", {e}}, {"next", calls}}}};
    };
    std::ostringstream out, err;
    Io io{out, err, call, [] { return kNow; }, &stop, 1};
    std::vector<std::string_view> args{"events", "--follow", "--json"};
    EXPECT_EQ(run(args, io), 0) << err.str();
    EXPECT_EQ(out.str(), "{\"kind\":\"released\",\"seq\":1}\n{\"kind\":\"released\",\"seq\":2}\n");
}

TEST(CtlRun, EventsFollowExitsThreeWhenTheAgentGoesAway) {
    int calls = 0;
    Caller call = [&](const std::string&, const json&, int) -> Result<json> {
        if (++calls == 2)
            return fail_errno("cannot reach warrend at /s", ECONNREFUSED, Code::try_again);
        return json{{"ok", true}, {"result", {{"events", json::array()}, {"next", 0}}}};
    };
    std::ostringstream out, err;
    std::atomic<bool> stop{false};
    Io io{out, err, call, [] { return kNow; }, &stop, 1};
    std::vector<std::string_view> args{"events", "--follow"};
    EXPECT_EQ(run(args, io), 3);
    EXPECT_EQ(calls, 2);
}

TEST(CtlRun, ImportSendsTheDirectoryAndMergesLocalRefusals) {
    TempDir tmp;
    const std::string dir = tmp / "cbr0";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    std::ofstream(dir + "/10.1.0.2") << "c1\r\neth0";
    std::ofstream(dir + "/10.1.0.3") << "c2";
    std::ofstream(dir + "/last_reserved_ip.0") << "10.1.0.3";
    std::ofstream(dir + "/lock") << "";
    std::ofstream(dir + "/notes.txt") << "hello";
    json answer = {
        {"imported",
         {{{"ip", "10.1.0.2"}, {"containerId", "c1"}, {"ifname", "eth0"}, {"pool", "p"}}}},
        {"refused", {{{"ip", "10.1.0.3"}, {"file", "10.1.0.3"}, {"reason", "held by c9/eth0"}}}}};
    FakeAdmin agent(ok_frame(answer));
    auto r = run_with({"import-host-local", dir, "--pool", "p", "--admin-socket", agent.path()});
    EXPECT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(agent.requests().size(), 1u);
    EXPECT_EQ(
        agent.requests()[0],
        (json{
            {"command", "import-host-local"},
            {"args",
             {{"network", "cbr0"},
              {"pool", "p"},
              {"dryRun", false},
              {"entries",
               {{{"ip", "10.1.0.2"},
                 {"containerId", "c1"},
                 {"ifname", "eth0"},
                 {"file", "10.1.0.2"}},
                {{"ip", "10.1.0.3"}, {"containerId", "c2"}, {"ifname", ""}, {"file", "10.1.0.3"}}}},
              {"lastReserved", {{{"set", 0}, {"ip", "10.1.0.3"}}}}}}}));
    EXPECT_EQ(r.out,
              "imported 1 address\n"
              "IP        CONTAINER  IFNAME  POOL\n"
              "10.1.0.2  c1         eth0    p\n"
              "\n"
              "refused 2\n"
              "IP        FILE       REASON\n"
              "-         notes.txt  not named by an IP address\n"
              "10.1.0.3  10.1.0.3   held by c9/eth0\n");
}

TEST(CtlRun, ImportOfAMissingDirectoryExitsOneWithoutCallingTheAgent) {
    TempDir tmp;
    int calls = 0;
    auto r = run_with({"import-host-local", tmp / "nope"},
                      [&](const std::string&, const json&, int) -> Result<json> {
                          ++calls;
                          return json::object();
                      });
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(r.err, "warrenctl: cannot open the host-local data dir " + (tmp / "nope") +
                         ": No such file or directory; give the directory of one network, e.g. "
                         "/var/lib/cni/networks/NET\n");
}

}  // namespace
}  // namespace warren::ctl::testing
