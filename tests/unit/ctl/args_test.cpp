// warrenctl's command line: global options anywhere, each command's options and operands, and
// every usage error giving exit 2 with that command's usage and no exchange with the agent.
#include "args.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "run.hpp"

namespace warren::ctl {
namespace {

std::expected<Invocation, UsageError> parse(std::vector<std::string_view> args) {
    return parse_args(args);
}

TEST(CtlArgs, GlobalOptionsBeforeOrAfterTheCommand) {
    for (auto args : std::vector<std::vector<std::string_view>>{
             {"--admin-socket", "/tmp/a.sock", "--json", "--timeout", "500", "list"},
             {"list", "--admin-socket", "/tmp/a.sock", "--json", "--timeout", "500"},
             {"--json", "list", "--admin-socket=/tmp/a.sock", "--timeout=500"}}) {
        auto inv = parse(args);
        ASSERT_TRUE(inv) << inv.error().message;
        EXPECT_EQ(inv->command, "list");
        EXPECT_EQ(inv->global.admin_socket, "/tmp/a.sock");
        EXPECT_TRUE(inv->global.json);
        EXPECT_EQ(inv->global.timeout_ms, 500);
    }
}

TEST(CtlArgs, Defaults) {
    auto inv = parse({"status"});
    ASSERT_TRUE(inv) << inv.error().message;
    EXPECT_EQ(inv->global.admin_socket, "/run/warren/admin.sock");
    EXPECT_FALSE(inv->global.json);
    EXPECT_EQ(inv->global.timeout_ms, 30000);
    EXPECT_TRUE(inv->operands.empty());
    EXPECT_TRUE(inv->options.empty());
}

TEST(CtlArgs, CommandOptionsAndOperands) {
    auto list = parse({"list", "--pool", "blue", "--state=zombie"});
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_EQ(list->value("--pool"), "blue");
    EXPECT_EQ(list->value("--state"), "zombie");

    auto release = parse({"release", "--force", "10.1.0.5", "--json"});
    ASSERT_TRUE(release) << release.error().message;
    EXPECT_TRUE(release->has("--force"));
    EXPECT_EQ(release->operands, std::vector<std::string>{"10.1.0.5"});
    EXPECT_TRUE(release->global.json);

    auto events = parse({"events", "--follow", "--since", "42", "--limit=7"});
    ASSERT_TRUE(events) << events.error().message;
    EXPECT_TRUE(events->has("--follow"));
    EXPECT_EQ(events->number("--since"), 42u);
    EXPECT_EQ(events->number("--limit"), 7u);

    auto import =
        parse({"import-host-local", "/var/lib/cni/networks/net1", "--pool", "p", "--dry-run"});
    ASSERT_TRUE(import) << import.error().message;
    EXPECT_EQ(import->operands, std::vector<std::string>{"/var/lib/cni/networks/net1"});
    EXPECT_EQ(import->value("--pool"), "p");
    EXPECT_TRUE(import->has("--dry-run"));

    // After "--", what looks like an option is an operand.
    auto show = parse({"show", "--", "--weird-pod"});
    ASSERT_TRUE(show) << show.error().message;
    EXPECT_EQ(show->operands, std::vector<std::string>{"--weird-pod"});
}

TEST(CtlArgs, HelpAndVersionNeedNoCommand) {
    auto help = parse({"--help"});
    ASSERT_TRUE(help);
    EXPECT_TRUE(help->global.help);
    EXPECT_EQ(help->command, "");
    auto list_help = parse({"list", "-h"});
    ASSERT_TRUE(list_help);
    EXPECT_TRUE(list_help->global.help);
    EXPECT_EQ(list_help->command, "list");
    // A command's help even when its operand is missing.
    auto show_help = parse({"show", "--help"});
    ASSERT_TRUE(show_help);
    EXPECT_EQ(show_help->command, "show");
    auto version = parse({"--version"});
    ASSERT_TRUE(version);
    EXPECT_TRUE(version->global.version);
}

struct UsageCase {
    std::vector<std::string_view> args;
    std::string message;   // the first line on stderr after "warrenctl: "
    std::string usage_of;  // the command whose usage follows ("" for the general one)
};

class CtlUsageError : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CtlUsageError, ExitsTwoWithTheCommandsUsageAndCallsNobody) {
    const UsageCase& c = GetParam();
    std::ostringstream out, err;
    int calls = 0;
    Io io{out, err,
          [&](const std::string&, const nlohmann::json&, int) -> Result<nlohmann::json> {
              ++calls;
              return nlohmann::json::object();
          },
          [] { return int64_t{0}; }};
    EXPECT_EQ(run(c.args, io), 2);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(out.str(), "");
    const std::string e = err.str();
    EXPECT_EQ(e.substr(0, e.find('\n')), "warrenctl: " + c.message);
    EXPECT_EQ(e.substr(e.find('\n') + 2), usage(c.usage_of));
}

INSTANTIATE_TEST_SUITE_P(
    All, CtlUsageError,
    ::testing::Values(
        UsageCase{{}, "no command given", ""}, UsageCase{{"--json"}, "no command given", ""},
        UsageCase{{"frobnicate"}, "unknown command 'frobnicate'", ""},
        UsageCase{{"--bogus", "status"}, "unknown option --bogus", ""},
        UsageCase{{"status", "--bogus"}, "unknown option --bogus for status", "status"},
        UsageCase{{"status", "extra"}, "unexpected argument 'extra' for status", "status"},
        UsageCase{{"list", "--pool"}, "--pool needs a value (P)", "list"},
        UsageCase{{"list", "--pool="}, "--pool needs a value (P)", "list"},
        UsageCase{{"list", "--force"}, "unknown option --force for list", "list"},
        UsageCase{{"--pool", "x", "list"}, "unknown option --pool", ""},
        UsageCase{{"list", "--state", "dead"},
                  "--state takes active, stale-candidate, zombie or quarantined, not 'dead'",
                  "list"},
        UsageCase{{"show"}, "show needs TARGET", "show"},
        UsageCase{{"show", "a", "b"}, "unexpected argument 'b' for show", "show"},
        UsageCase{{"release"}, "release needs IP", "release"},
        UsageCase{{"release", "10.1.0.5/24"},
                  "release takes an IP address without prefix length, not '10.1.0.5/24'",
                  "release"},
        UsageCase{{"release", "10.1.0.5", "--force=yes"}, "--force takes no value", "release"},
        UsageCase{{"gc", "--dry-run", "now"}, "unexpected argument 'now' for gc", "gc"},
        UsageCase{{"events", "--since", "x"}, "--since takes a whole number, not 'x'", "events"},
        UsageCase{{"events", "--limit", "-1"}, "--limit takes a whole number, not '-1'", "events"},
        UsageCase{{"events", "--limit", "0"}, "--limit takes 1 to 10000, not 0", "events"},
        UsageCase{{"events", "--limit", "10001"}, "--limit takes 1 to 10000, not 10001", "events"},
        UsageCase{{"metrics", "--timeout", "0"},
                  "--timeout takes milliseconds from 1 to 86400000, not 0",
                  "metrics"},
        UsageCase{{"metrics", "--timeout", "soon"},
                  "--timeout takes a whole number, not 'soon'",
                  "metrics"},
        UsageCase{{"metrics", "--admin-socket"}, "--admin-socket needs a value (PATH)", "metrics"},
        UsageCase{{"import-host-local"}, "import-host-local needs DIR", "import-host-local"},
        UsageCase{{"import-host-local", "/a", "/b"},
                  "unexpected argument '/b' for import-host-local",
                  "import-host-local"}));

TEST(CtlArgs, HelpPrintsUsageAndExitsZero) {
    std::ostringstream out, err;
    Io io{out, err, nullptr, [] { return int64_t{0}; }};
    std::vector<std::string_view> args{"list", "--help"};
    EXPECT_EQ(run(args, io), 0);
    EXPECT_EQ(out.str(), usage("list"));
    EXPECT_NE(out.str().find("usage: warrenctl [global options] list [--pool P] [--state S]"),
              std::string::npos)
        << out.str();
    EXPECT_EQ(err.str(), "");
    std::ostringstream out2;
    Io io2{out2, err, nullptr, [] { return int64_t{0}; }};
    std::vector<std::string_view> general{"--help"};
    EXPECT_EQ(run(general, io2), 0);
    for (auto* cmd : {"status", "list", "show", "release", "gc", "events", "metrics",
                      "import-host-local", "exit codes: 0 ok"})
        EXPECT_NE(out2.str().find(cmd), std::string::npos) << cmd;
}

TEST(CtlArgs, VersionPrintsTheVersion) {
    std::ostringstream out, err;
    Io io{out, err, nullptr, [] { return int64_t{0}; }};
    std::vector<std::string_view> args{"--version"};
    EXPECT_EQ(run(args, io), 0);
    EXPECT_EQ(out.str(), std::string("warrenctl ") + WARREN_VERSION + "\n");
}

}  // namespace
}  // namespace warren::ctl
