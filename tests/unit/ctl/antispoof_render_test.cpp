// warrenctl's anti-spoofing text: the status line and the show block (issue 11).
#include "antispoof_render.hpp"

#include <gtest/gtest.h>

#include "commands.hpp"

namespace warren::ctl {
namespace {

using nlohmann::json;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kNow = int64_t{1'796'068'800} * kSec;

json status_with(json antispoof) {
    return {{"antiSpoofing", std::move(antispoof)}};
}

TEST(CtlAntiSpoof, StatusLine) {
    EXPECT_EQ(antispoof_status_line(status_with({{"on", true},
                                                 {"links", {{"off", 1}, {"log", 8}, {"drop", 3}}},
                                                 {"offenders", 2},
                                                 {"packets", 140},
                                                 {"dropped", 120}})),
              "\nanti-spoofing  on: 11 links checked (3 drop, 8 log), 1 off; 2 offenders, 140 "
              "packets, 120 dropped\n");
    EXPECT_EQ(antispoof_status_line(status_with({{"on", true},
                                                 {"links", {{"off", 0}, {"log", 1}, {"drop", 0}}},
                                                 {"offenders", 0},
                                                 {"packets", 0},
                                                 {"dropped", 0}})),
              "\nanti-spoofing  on: 1 link checked (0 drop, 1 log), 0 off; 0 offenders\n");
    EXPECT_EQ(antispoof_status_line(status_with({{"on", true},
                                                 {"links", {{"off", 0}, {"log", 1}, {"drop", 0}}},
                                                 {"offenders", 1},
                                                 {"packets", 1},
                                                 {"dropped", 0},
                                                 {"why", "reading the spoof counts failed: EIO"}})),
              "\nanti-spoofing  on: 1 link checked (0 drop, 1 log), 0 off; 1 offender, 1 packet, "
              "0 dropped (reading the spoof counts failed: EIO)\n");
    EXPECT_EQ(antispoof_status_line(
                  status_with({{"on", false}, {"why", "eBPF is off (liveness.ebpf is \"off\")"}})),
              "\nanti-spoofing  off: eBPF is off (liveness.ebpf is \"off\")\n");
    // An agent from before anti-spoofing sends nothing: nothing is shown.
    EXPECT_EQ(antispoof_status_line(json::object()), "");
    // Another shape: shown as best it can, never a throw.
    EXPECT_EQ(antispoof_status_line(status_with({{"on", "yes"}, {"why", 3}})),
              "\nanti-spoofing  off\n");
}

json match_with(json antispoof) {
    return {{"antiSpoofing", std::move(antispoof)}};
}

TEST(CtlAntiSpoof, ShowBlock) {
    EXPECT_EQ(antispoof_show_block(match_with({{"on", true},
                                               {"link", "veth-a"},
                                               {"ifindex", 11},
                                               {"mode", "drop"},
                                               {"addresses", {"10.1.0.5", "fd00::5"}},
                                               {"offenders",
                                                {{{"source", "10.2.0.9"},
                                                  {"packets", 2},
                                                  {"dropped", 2},
                                                  {"bytes", 160},
                                                  {"firstSeenNs", kNow - 192 * kSec},
                                                  {"lastSeenNs", kNow - 5 * kSec}}}}}),
                                   kNow),
              "  anti-spoofing: drop on veth-a (ifindex 11), may send from 10.1.0.5, fd00::5\n"
              "    SOURCE    PACKETS  DROPPED  FIRST SEEN  LAST SEEN\n"
              "    10.2.0.9  2        2        3m12s ago   5s ago\n");
    EXPECT_EQ(antispoof_show_block(match_with({{"on", true},
                                               {"link", ""},
                                               {"ifindex", 11},
                                               {"mode", "log"},
                                               {"addresses", {"10.1.0.5"}},
                                               {"offenders", json::array()}}),
                                   kNow),
              "  anti-spoofing: log on (ifindex 11), may send from 10.1.0.5; no offenders\n");
    EXPECT_EQ(antispoof_show_block(match_with({{"on", true},
                                               {"link", "veth-a"},
                                               {"ifindex", 11},
                                               {"mode", "off"},
                                               {"addresses", {"10.1.0.5"}},
                                               {"offenders", json::array()}}),
                                   kNow),
              "  anti-spoofing: off for its zone, on veth-a (ifindex 11)\n");
    EXPECT_EQ(antispoof_show_block(match_with({{"on", true},
                                               {"link", ""},
                                               {"ifindex", 0},
                                               {"mode", ""},
                                               {"addresses", json::array()},
                                               {"offenders", json::array()}}),
                                   kNow),
              "  anti-spoofing: not protected (no host link known for it)\n");
    EXPECT_EQ(antispoof_show_block(match_with({{"on", false}, {"why", "eBPF is off"}}), kNow),
              "  anti-spoofing: off: eBPF is off\n");
    EXPECT_EQ(antispoof_show_block(json::object(), kNow), "");
}

TEST(CtlAntiSpoof, ShowPutsTheBlockAfterTheHistory) {
    json m = {{"ip", "10.1.0.5"},
              {"pool", "default"},
              {"state", "active"},
              {"history", json::array()},
              {"antiSpoofing", {{"on", false}, {"why", "eBPF is off"}}}};
    const std::string out = render_show(json{{"matches", {m}}}, kNow);
    EXPECT_TRUE(out.ends_with("  history: none\n  anti-spoofing: off: eBPF is off\n")) << out;
}

TEST(CtlAntiSpoof, StatusPutsTheLineAfterLiveness) {
    json s = {{"liveness", {{"ebpf", {{"mode", "off"}, {"on", false}}}}},
              {"antiSpoofing", {{"on", false}, {"why", "eBPF is off"}}}};
    const std::string out = render_status(s, kNow);
    EXPECT_NE(out.find("\nliveness\n  eBPF  off (mode off)\n\nanti-spoofing  off: eBPF is off\n\n"
                       "journal\n"),
              std::string::npos)
        << out;
}

}  // namespace
}  // namespace warren::ctl
