// `list` without a DOM (list_answer.hpp): the SAX reading of the agent's answer, the table it
// renders (the same bytes as render_list over a DOM of the same answer), --json's indentation,
// and run() taking that path when it has a call_text.
#include "list_answer.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "commands.hpp"
#include "run.hpp"

namespace warren::ctl {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kNow = int64_t{1'796'068'800} * kSec;

// The table render_list prints from a DOM of `answer`'s result.
std::string dom_table(std::string_view answer) {
    return render_list(json::parse(answer).at("result"), kNow);
}

TEST(CtlListAnswer, OddFieldOrderAndUnknownFields) {
    const std::string text =
        R"({"zz":[{"ok":false}],"ok":true,"result":{"more":{"entries":7},"entries":[)"
        R"({"sinceNs":1,"reason":"netns-gone","state":"zombie","lastSeenNs":)" +
        std::to_string(kNow - 5 * kSec) +
        R"(,"extra":{"ip":"9.9.9.9","a":[1,{"b":[]}]},"netns":"/run/netns/x","podName":"web",)"
        R"("podNamespace":"ns","ifname":"eth1","containerId":"0123456789abcdef","pool":"p",)"
        R"("allocatedNs":)" +
        std::to_string(kNow - 192 * kSec) + R"(,"ip":"10.1.0.17"}],"tail":[[]]}})";
    auto a = parse_list_answer(text);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->rows.size(), 1u);
    const ListRow& r = a->rows[0];
    EXPECT_EQ(r.ip, "10.1.0.17");
    EXPECT_EQ(r.pool, "p");
    EXPECT_EQ(r.pod_namespace, "ns");
    EXPECT_EQ(r.pod_name, "web");
    EXPECT_EQ(r.container_id, "0123456789abcdef");
    EXPECT_EQ(r.ifname, "eth1");
    EXPECT_EQ(r.netns, "/run/netns/x");
    EXPECT_EQ(r.state, "zombie");
    EXPECT_EQ(r.reason, "netns-gone");
    EXPECT_EQ(r.allocated_ns, kNow - 192 * kSec);
    EXPECT_EQ(r.last_seen_ns, kNow - 5 * kSec);
    EXPECT_EQ(render_list_rows(a->rows, kNow),
              "IP         POOL  POD     CONTAINER     IFNAME  NETNS         ALLOCATED  LAST SEEN  "
              "STATE\n"
              "10.1.0.17  p     ns/web  0123456789ab  eth1    /run/netns/x  3m12s ago  5s ago     "
              "zombie (netns-gone)\n");
    EXPECT_EQ(render_list_rows(a->rows, kNow), dom_table(text));
    // Not the agent's own layout ("zz" first): --json takes the DOM path.
    EXPECT_FALSE(a->result_text.has_value());
}

TEST(CtlListAnswer, ZoneFieldsGiveTheSameTableAsTheDomPath) {
    const std::string text =
        R"({"ok":true,"result":{"entries":[{"ip":"10.1.0.5","pool":"pci","zone":"pci","podName":"a"},)"
        R"({"ip":"10.1.0.6","pool":"default","zone":"","zoneMismatch":"why","podName":"b"},)"
        R"({"ip":"10.1.0.7","pool":"default","state":"quarantined"}]}})";
    auto a = parse_list_answer(text);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->rows.size(), 3u);
    EXPECT_TRUE(a->rows[0].has_zone);
    EXPECT_EQ(a->rows[0].zone, "pci");
    EXPECT_TRUE(a->rows[1].has_zone);
    EXPECT_EQ(a->rows[1].zone_mismatch, "why");
    EXPECT_FALSE(a->rows[2].has_zone);
    const std::string table = render_list_rows(a->rows, kNow);
    EXPECT_EQ(table, dom_table(text));
    EXPECT_NE(table.find("ZONE"), std::string::npos) << table;
    EXPECT_NE(table.find("  10.1.0.6 (b): why\n"), std::string::npos) << table;
    // A zone of another type is left to the DOM path.
    EXPECT_FALSE(parse_list_answer(R"({"ok":true,"result":{"entries":[{"zone":1}]}})").has_value());
}

TEST(CtlListAnswer, MissingFieldsAreDashes) {
    const std::string text =
        R"({"ok":true,"result":{"entries":[{"ip":"10.1.0.5"},{"podName":"solo","state":""}]}})";
    auto a = parse_list_answer(text);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->rows.size(), 2u);
    EXPECT_EQ(a->rows[1].ip, "");
    EXPECT_EQ(a->rows[1].allocated_ns, 0);
    EXPECT_EQ(render_list_rows(a->rows, kNow),
              "IP        POOL  POD   CONTAINER  IFNAME  NETNS  ALLOCATED  LAST SEEN  STATE\n"
              "10.1.0.5  -     -     -          -       -      -          -          -\n"
              "-         -     solo  -          -       -      -          -          -\n");
    EXPECT_EQ(render_list_rows(a->rows, kNow), dom_table(text));
}

TEST(CtlListAnswer, NoEntriesIsNoAllocations) {
    for (std::string text :
         {R"({"ok":true,"result":{"entries":[]}})", R"({"ok":true,"result":{}})"}) {
        auto a = parse_list_answer(text);
        ASSERT_TRUE(a.has_value()) << text;
        EXPECT_EQ(render_list_rows(a->rows, kNow), "no allocations\n") << text;
        EXPECT_EQ(dom_table(text), "no allocations\n") << text;
    }
}

TEST(CtlListAnswer, UnicodeEscapesAreDecoded) {
    const std::string text =
        R"({"ok":true,"result":{"entries":[{"ip":"10.1.0.5","podNamespace":"caf\u00e9",)"
        R"("podName":"a\"b\\c\ud83d\ude00","state":"active"}]}})";
    auto a = parse_list_answer(text);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->rows.size(), 1u);
    EXPECT_EQ(a->rows[0].pod_namespace, "caf\xc3\xa9");
    EXPECT_EQ(a->rows[0].pod_name, "a\"b\\c\xf0\x9f\x98\x80");
    EXPECT_EQ(render_list_rows(a->rows, kNow), dom_table(text));
}

// Times as as_int reads them: numeric strings (big values are sent so), integers past int64 as
// 0, floats cut, anything else 0.
TEST(CtlListAnswer, BigNumbersAndNumericStrings) {
    const std::string text =
        R"({"ok":true,"result":{"entries":[)"
        R"({"ip":"a","allocatedNs":")" +
        std::to_string(kNow - 3 * kSec) +
        R"(","lastSeenNs":18446744073709551615},)"
        R"({"ip":"b","allocatedNs":1.7960688e18,"lastSeenNs":"12x"},)"
        R"({"ip":"c","allocatedNs":-5,"lastSeenNs":true},)"
        R"({"ip":"d","allocatedNs":"9223372036854775808","lastSeenNs":null}]}})";
    auto a = parse_list_answer(text);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->rows.size(), 4u);
    EXPECT_EQ(a->rows[0].allocated_ns, kNow - 3 * kSec);
    EXPECT_EQ(a->rows[0].last_seen_ns, 0);
    EXPECT_EQ(a->rows[1].allocated_ns, int64_t{1'796'068'800'000'000'000});
    EXPECT_EQ(a->rows[1].last_seen_ns, 0);
    EXPECT_EQ(a->rows[2].allocated_ns, -5);
    EXPECT_EQ(a->rows[2].last_seen_ns, 0);
    EXPECT_EQ(a->rows[3].allocated_ns, 0);
    EXPECT_EQ(a->rows[3].last_seen_ns, 0);
    EXPECT_EQ(render_list_rows(a->rows, kNow), dom_table(text));
}

// What render_list would print differently or refuse goes to the DOM path.
TEST(CtlListAnswer, OtherAnswersAreLeftToTheDomPath) {
    for (std::string text : {
             R"({oops)",
             R"([1])",
             R"({"ok":false,"code":3,"error":"no"})",
             R"({"ok":"yes","result":{}})",
             R"({"ok":true})",
             R"({"ok":true,"result":[]})",
             R"({"ok":true,"result":{"entries":{}}})",
             R"({"ok":true,"result":{"entries":3}})",
             R"({"ok":true,"result":{"entries":[1]}})",
             R"({"ok":true,"result":{"entries":[{"podName":5}]}})",
             R"({"ok":true,"result":{"entries":[{"ip":null}]}})",
             R"({"ok":true,"result":{"entries":[{"ip":["10.1.0.5"]}]}})",
             R"({"ok":true,"result":{"entries":[{"allocatedNs":{}}]}})",
             R"({"ok":true,"result":{"entries":[]}} trailing)",
         })
        EXPECT_FALSE(parse_list_answer(text).has_value()) << text;
}

TEST(CtlListAnswer, ResultTextOnlyInTheAgentsLayout) {
    const json result = {{"entries", {{{"ip", "10.1.0.5"}, {"state", "active"}}}}};
    // result_text views the answer's text, so the text must outlive it.
    const std::string text = json{{"ok", true}, {"result", result}}.dump() + "\n";
    auto a = parse_list_answer(text);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(a->result_text.has_value());
    EXPECT_EQ(*a->result_text, result.dump());

    auto extra = parse_list_answer(R"({"ok":true,"result":{"entries":[]},"x":1})");
    ASSERT_TRUE(extra.has_value());
    EXPECT_FALSE(extra->result_text.has_value());
}

TEST(CtlListAnswer, IndentJsonIsDump2) {
    const json values[] = {
        json::object(),
        json::array(),
        json{{"a", json::object()}, {"b", json::array()}, {"c", {1, -2, 3.25, 1e300, nullptr}}},
        json{{"s", "braces {} [] , : and \"quotes\" \\ \u00e9"}, {"t", true}, {"f", false}},
        json{{"entries", {{{"ip", "10.1.0.5"}, {"n", {{"deep", {json::array(), {{"x", ""}}}}}}}}}},
        json("just a string"),
        json(42),
    };
    for (const json& v : values) EXPECT_EQ(indent_json(v.dump()), v.dump(2)) << v.dump();
    EXPECT_EQ(indent_json(" { \"a\" :\n [ 1 , { } ] } "), json::parse(R"({"a":[1,{}]})").dump(2));
}

struct Ran {
    int code = -1;
    std::string out, err;
};

Ran run_text(std::vector<std::string_view> args, std::string answer) {
    std::ostringstream out, err;
    Io io{out, err,
          [](const std::string&, const json&, int) -> Result<json> {
              ADD_FAILURE() << "list called the DOM caller";
              return fail(Code::io, "unexpected");
          },
          [] { return kNow; }};
    io.call_text = [&](const std::string&, const json& request, int) -> Result<std::string> {
        EXPECT_EQ(request.at("command"), "list");
        return answer;
    };
    Ran r;
    r.code = run(args, io);
    r.out = out.str();
    r.err = err.str();
    return r;
}

const json kResult = {{"entries",
                       {{{"ip", "10.1.0.5"},
                         {"pool", "default"},
                         {"state", "active"},
                         {"containerId", "c1"},
                         {"podNamespace", "ns"},
                         {"podName", "web"},
                         {"allocatedNs", kNow - kSec},
                         {"lastSeenNs", 0},
                         {"reason", ""}}}}};

TEST(CtlListAnswer, RunPrintsTheTableAndJsonFromText) {
    const std::string answer = json{{"ok", true}, {"result", kResult}}.dump();
    Ran table = run_text({"list"}, answer);
    EXPECT_EQ(table.code, 0) << table.err;
    EXPECT_EQ(table.out, render_list(kResult, kNow));
    EXPECT_EQ(table.err, "");

    Ran j = run_text({"--json", "list"}, answer);
    EXPECT_EQ(j.code, 0) << j.err;
    EXPECT_EQ(j.out, kResult.dump(2) + "\n");
}

// Answers the SAX path leaves alone get call()'s checks and run()'s reports.
TEST(CtlListAnswer, RunReportsWhatTheDomPathReports) {
    Ran failed = run_text({"list", "--admin-socket", "/x.sock"},
                          R"({"ok":false,"code":3,"error":"boom","details":"more"})");
    EXPECT_EQ(failed.code, 1);
    EXPECT_EQ(failed.out, "");
    EXPECT_EQ(failed.err, "warrenctl: boom (code 3)\n  more\n");

    Ran malformed = run_text({"list", "--admin-socket", "/x.sock"}, "{oops");
    EXPECT_EQ(malformed.code, 1);
    EXPECT_EQ(malformed.err, "warrenctl: malformed answer from warrend at /x.sock: not JSON\n");

    Ran shape = run_text({"list"}, R"({"ok":true,"result":{"entries":[{"podName":5}]}})");
    EXPECT_EQ(shape.code, 1);
    EXPECT_TRUE(
        shape.err.starts_with("warrenctl: warrend's answer to list is not what this "
                              "warrenctl understands"))
        << shape.err;

    // Not the agent's layout: --json still prints the result, from the DOM.
    Ran reordered = run_text({"--json", "list"}, R"({"result":{"entries":[]},"ok":true})");
    EXPECT_EQ(reordered.code, 0) << reordered.err;
    EXPECT_EQ(reordered.out, (json{{"entries", json::array()}}.dump(2) + "\n"));
}

TEST(CtlListAnswer, RunUnreachableExitsThree) {
    std::ostringstream out, err;
    Io io{out, err, nullptr, [] { return kNow; }};
    io.call_text = [](const std::string&, const json&, int) -> Result<std::string> {
        return fail_errno("connect", ENOENT, Code::try_again);
    };
    const std::string_view args[] = {"list", "--admin-socket", "/x.sock"};
    EXPECT_EQ(run(args, io), 3);
    EXPECT_TRUE(
        err.str().starts_with("warrenctl: cannot reach warrend: there is no admin socket "
                              "at /x.sock"))
        << err.str();
}

}  // namespace
}  // namespace warren::ctl
