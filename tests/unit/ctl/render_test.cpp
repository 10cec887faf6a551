// Each command's table from a result the test builds, as the agent would send it.
#include "render.hpp"

#include <gtest/gtest.h>

#include <climits>

#include "commands.hpp"

namespace warren::ctl {
namespace {

using nlohmann::json;

constexpr int64_t kSec = 1'000'000'000;
// 2026-11-30 20:00:00 UTC
constexpr int64_t kNow = int64_t{1'796'068'800} * kSec;

TEST(CtlFormat, Durations) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(45), "45s");
    EXPECT_EQ(format_duration(192), "3m12s");
    EXPECT_EQ(format_duration(3600 + 5 * 60 + 9), "1h05m");
    EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600), "3d04h");
    EXPECT_EQ(format_duration(-5), "0s");
    EXPECT_EQ(format_rough_duration(3 * 3600 + 20 * 60), "~3h");
    EXPECT_EQ(format_rough_duration(40), "~40s");
    EXPECT_EQ(format_rough_duration(25 * 60), "~25m");
    EXPECT_EQ(format_rough_duration(5 * 86400), "~5d");
}

TEST(CtlFormat, AgesTimesAndSizes) {
    EXPECT_EQ(format_age(kNow - 12 * kSec, kNow), "12s ago");
    EXPECT_EQ(format_age(kNow - 192 * kSec, kNow), "3m12s ago");
    EXPECT_EQ(format_age(0, kNow), "-");
    // Not a time (negative): "-", and no overflow computing the age.
    EXPECT_EQ(format_age(INT64_MIN, kNow), "-");
    EXPECT_EQ(format_age(kNow + 5 * kSec, kNow), "0s ago");
    EXPECT_EQ(format_time(kNow), "2026-11-30 20:00:00 UTC");
    EXPECT_EQ(format_time(0), "-");
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(58163), "56.8 KiB");
    EXPECT_EQ(format_ms(0.42), "0.4 ms");
    EXPECT_EQ(format_ms(12.4), "12 ms");
    EXPECT_EQ(format_ms(1250), "1.25 s");
    EXPECT_EQ(format_percent(0.047), "4.7%");
}

TEST(CtlTable, AlignsColumnsUnderTheHeader) {
    Table t({"IP", "POD", "STATE"});
    t.add({"10.1.0.5", "default/web-1", "active"});
    t.add({"fd00::1234:5", "-", "zombie (netns-gone)"});
    EXPECT_EQ(t.str(),
              "IP            POD            STATE\n"
              "10.1.0.5      default/web-1  active\n"
              "fd00::1234:5  -              zombie (netns-gone)\n");
}

TEST(CtlCell, ValuesAsText) {
    json j = {{"s", "x"},  {"e", ""},     {"n", 12}, {"big", "18446744073709551616"},
              {"b", true}, {"z", nullptr}};
    EXPECT_EQ(cell(j, "s"), "x");
    EXPECT_EQ(cell(j, "e"), "-");
    EXPECT_EQ(cell(j, "n"), "12");
    EXPECT_EQ(cell(j, "big"), "18446744073709551616");
    EXPECT_EQ(cell(j, "b"), "true");
    EXPECT_EQ(cell(j, "z"), "-");
    EXPECT_EQ(cell(j, "missing"), "-");
    EXPECT_EQ(as_int(json{{"n", "254"}}, "n"), 254);
    EXPECT_EQ(as_int(json{{"n", "x"}}, "n"), 0);
    // Out of int64's range (found by fuzz_ctl_render: the cast was undefined): not a count.
    EXPECT_EQ(as_int(json{{"n", 6e50}}, "n"), 0);
    EXPECT_EQ(as_int(json{{"n", -6e50}}, "n"), 0);
    EXPECT_EQ(as_int(json{{"n", 18446744073709551615u}}, "n"), 0);
    EXPECT_EQ(as_int(json{{"n", 12.7}}, "n"), 12);
}

json status_fixture() {
    return {{"version", "0.1.0"},
            {"startedNs", kNow - 192 * kSec},
            {"uptimeSeconds", 192},
            {"pools",
             {{{"name", "default"},
               {"source", "config"},
               {"ranges", {"10.1.0.0/24"}},
               {"family", "ipv4"},
               {"size", 254},
               {"inUse", 200},
               {"quarantined", 3},
               {"free", 51},
               {"utilization", 0.7992},
               {"alert", "ok"},
               {"forecast", {{"netPerHour", 12.0}, {"exhaustionSeconds", 3 * 3600 + 600}}}},
              {{"name", "v6"},
               {"source", "cni"},
               {"ranges", {"fd00::/64"}},
               {"family", "ipv6"},
               {"size", "18446744073709551614"},
               {"inUse", 2},
               {"quarantined", 0},
               {"free", "18446744073709551612"},
               {"utilization", 0.0},
               {"alert", "ok"},
               {"forecast", {{"netPerHour", -2.0}}}}}},
            {"liveness",
             {{"ebpf",
               {{"mode", "auto"},
                {"on", true},
                {"why", ""},
                {"attached",
                 {{{"ifindex", 7}, {"name", "veth1"}}, {{"ifindex", 9}, {"name", "veth2"}}}}}},
              {"signals",
               {{"netns", {{"on", true}, {"why", ""}}},
                {"holders", {{"on", false}, {"why", "no CAP_SYS_PTRACE"}}},
                {"hostLink", {{"on", true}, {"why", ""}}},
                {"wire", {{"on", true}, {"why", ""}}}}}}},
            {"journal",
             {{"records", 1234},
              {"bytes", 58163},
              {"lastSnapshotNs", kNow - 60 * kSec},
              {"syncs", 99},
              {"lastSyncMs", 0.42},
              {"maxSyncMs", 12.4}}},
            {"gc",
             {{"passes", 4},
              {"lastPassNs", kNow - 12 * kSec},
              {"lastPassMs", 3.0},
              {"intervalSeconds", 60},
              {"graceSeconds", 120},
              {"cooldownSeconds", 30},
              {"candidates", 1},
              {"zombies", 0},
              {"released", {{"netns-gone", 2}}},
              {"decisions", json::object()},
              {"conflicts", 0}}}};
}

TEST(CtlRender, Status) {
    EXPECT_EQ(render_status(status_fixture(), kNow),
              "warrend 0.1.0, up 3m12s (since 2026-11-30 19:56:48 UTC)\n"
              "\n"
              "pool default (config, ipv4: 10.1.0.0/24)\n"
              "  size         254\n"
              "  in use       200\n"
              "  quarantined  3\n"
              "  free         51\n"
              "  utilization  79.9%\n"
              "  alert        ok\n"
              "  forecast     exhausted in ~3h at +12/h\n"
              "\n"
              "pool v6 (cni, ipv6: fd00::/64)\n"
              "  size         18446744073709551614\n"
              "  in use       2\n"
              "  quarantined  0\n"
              "  free         18446744073709551612\n"
              "  utilization  0.0%\n"
              "  alert        ok\n"
              "  forecast     not filling (-2/h)\n"
              "\n"
              "liveness\n"
              "  eBPF      on (mode auto), attached to 2 links (veth1, veth2)\n"
              "  holders   off: no CAP_SYS_PTRACE\n"
              "  hostLink  on\n"
              "  netns     on\n"
              "  wire      on\n"
              "\n"
              "journal\n"
              "  records        1234\n"
              "  bytes          56.8 KiB\n"
              "  last snapshot  1m00s ago\n"
              "  syncs          99\n"
              "  last sync      0.4 ms\n"
              "  slowest sync   12 ms\n"
              "\n"
              "gc\n"
              "  passes      4\n"
              "  last pass   12s ago (took 3.0 ms)\n"
              "  interval    1m00s\n"
              "  grace       2m00s\n"
              "  cooldown    30s\n"
              "  candidates  1\n"
              "  zombies     0\n"
              "  conflicts   0\n"
              "  released    netns-gone 2\n"
              "  decisions   -\n");
}

TEST(CtlRender, StatusWithEbpfOffAndNoPools) {
    json s = status_fixture();
    s["pools"] = json::array();
    s["liveness"]["ebpf"] = {
        {"mode", "auto"}, {"on", false}, {"why", "no CAP_BPF"}, {"attached", json::array()}};
    s["gc"]["lastPassNs"] = 0;
    std::string out = render_status(s, kNow);
    EXPECT_NE(out.find("\nno pools defined\n"), std::string::npos) << out;
    EXPECT_NE(out.find("  eBPF      off (mode auto): no CAP_BPF\n"), std::string::npos) << out;
    EXPECT_NE(out.find("  last pass   -\n"), std::string::npos) << out;
}

TEST(CtlRender, StatusShowsTheKubernetesSectionOnlyWhenTheAgentSendsOne) {
    EXPECT_EQ(render_status(status_fixture(), kNow).find("kubernetes"), std::string::npos);
    json s = status_fixture();
    s["kubernetes"] = {
        {"node", "worker-1"},  {"pool", "default"}, {"podCidrs", json::array()},
        {"waiting", true},     {"poolError", ""},   {"nodeSeen", true},
        {"podsSynced", false}, {"pods", 0},         {"error", "GET pods: 403 Forbidden"},
        {"lastOkNs", 0}};
    std::string out = render_status(s, kNow);
    EXPECT_NE(out.find("\nkubernetes\n"
                       "  node       worker-1\n"
                       "  pool       default: waiting for Node worker-1's spec.podCIDRs "
                       "(kube-controller-manager "
                       "--allocate-node-cidrs assigns them)\n"
                       "  pods       0 (not synced: every pod counts as running)\n"
                       "  last ok    never\n"
                       "  API error  GET pods: 403 Forbidden\n"),
              std::string::npos)
        << out;

    s["kubernetes"]["waiting"] = false;
    s["kubernetes"]["podCidrs"] = {"10.244.1.0/24", "fd00:10:244:1::/64"};
    s["kubernetes"]["podsSynced"] = true;
    s["kubernetes"]["pods"] = 12;
    s["kubernetes"]["error"] = "";
    s["kubernetes"]["lastOkNs"] = kNow - 4 * kSec;
    s["kubernetes"]["lastOkSecondsAgo"] = 4;
    out = render_status(s, kNow);
    EXPECT_NE(out.find("\nkubernetes\n"
                       "  node     worker-1\n"
                       "  pool     default: 10.244.1.0/24, fd00:10:244:1::/64\n"
                       "  pods     12 (synced)\n"
                       "  last ok  4s ago\n"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find("API error"), std::string::npos) << out;
    EXPECT_EQ(out.find("namespaces"), std::string::npos) << out;

    s["kubernetes"]["namespacesSynced"] = false;
    s["kubernetes"]["namespaces"] = 0;
    out = render_status(s, kNow);
    EXPECT_NE(out.find("  namespaces  0 (not synced: ADDs that a namespaceSelector could decide "
                       "answer try-again)\n"),
              std::string::npos)
        << out;
    s["kubernetes"]["namespacesSynced"] = true;
    s["kubernetes"]["namespaces"] = 7;
    out = render_status(s, kNow);
    EXPECT_NE(out.find("  namespaces  7 (synced)\n"), std::string::npos) << out;
}

TEST(CtlRender, StatusCountsEachSetOfADualStackPoolApart) {
    json s = status_fixture();
    s["pools"] = json::array({{{"name", "default"},
                               {"source", "config"},
                               {"family", "dual"},
                               {"ranges", {"10.1.0.0/24", "fd00::/64"}},
                               {"size", "18446744073709551868"},
                               {"inUse", 6},
                               {"quarantined", 0},
                               {"free", "18446744073709551862"},
                               {"utilization", 0.012},
                               {"alert", "ok"},
                               {"sets",
                                {{{"ranges", "10.1.0.0/24"}, {"size", 254}, {"inUse", 3}, {"quarantined", 0}, {"free", 251}},
                                 {{"ranges", "fd00::/64"},
                                  {"size", "18446744073709551614"},
                                  {"inUse", 3},
                                  {"quarantined", 0},
                                  {"free", "18446744073709551611"}}}}}});
    const std::string out = render_status(s, kNow);
    EXPECT_NE(out.find("  size         254 | 18446744073709551614\n"), std::string::npos) << out;
    EXPECT_NE(out.find("  in use       3 | 3\n"), std::string::npos) << out;
    EXPECT_NE(out.find("  free         251 | 18446744073709551611\n"), std::string::npos) << out;
}

json entry(std::string ip, std::string state, std::string reason) {
    return {{"ip", ip},
            {"pool", "default"},
            {"state", state},
            {"containerId", "0123456789abcdef0123456789abcdef"},
            {"ifname", "eth0"},
            {"network", "net1"},
            {"podNamespace", "default"},
            {"podName", "web-1"},
            {"podUid", "u-1"},
            {"netns", "/var/run/netns/cni-1"},
            {"allocatedNs", kNow - 192 * kSec},
            {"lastSeenNs", 0},
            {"reason", reason},
            {"sinceNs", kNow - 10 * kSec}};
}

TEST(CtlRender, List) {
    json second = entry("10.1.0.17", "zombie", "netns-gone");
    second["podName"] = "";
    second["podNamespace"] = "";
    second["lastSeenNs"] = kNow - 5 * kSec;
    json r = {{"entries", {entry("10.1.0.5", "active", ""), second}}};
    EXPECT_EQ(render_list(r, kNow),
              "IP         POOL     POD            CONTAINER     IFNAME  NETNS                 "
              "ALLOCATED  LAST SEEN  STATE\n"
              "10.1.0.5   default  default/web-1  0123456789ab  eth0    /var/run/netns/cni-1  "
              "3m12s ago  -          active\n"
              "10.1.0.17  default  -              0123456789ab  eth0    /var/run/netns/cni-1  "
              "3m12s ago  5s ago     zombie (netns-gone)\n");
    EXPECT_EQ(render_list(json{{"entries", json::array()}}, kNow), "no allocations\n");
}

TEST(CtlRender, ListHasAZoneColumnAndMismatchesOnlyWithZones) {
    json pci = entry("10.1.0.5", "active", "");
    pci["zone"] = "pci";
    json moved = entry("10.1.0.17", "active", "");
    moved["zone"] = "";
    moved["podName"] = "web-2";
    moved["zoneMismatch"] =
        "pool 'default' now belongs to zone 'pci', and namespace 'default' is not in it";
    json r = {{"entries", {pci, moved}}};
    EXPECT_EQ(
        render_list(r, kNow),
        "IP         POOL     ZONE  POD            CONTAINER     IFNAME  NETNS                 "
        "ALLOCATED  LAST SEEN  STATE\n"
        "10.1.0.5   default  pci   default/web-1  0123456789ab  eth0    /var/run/netns/cni-1  "
        "3m12s ago  -          active\n"
        "10.1.0.17  default  -!    default/web-2  0123456789ab  eth0    /var/run/netns/cni-1  "
        "3m12s ago  -          active\n"
        "\n"
        "zone mismatches (the zone rules now in force would not give these addresses):\n"
        "  10.1.0.17 (default/web-2): pool 'default' now belongs to zone 'pci', and namespace "
        "'default' is not in it\n");
    // The same answer without zone fields: no column, no list.
    EXPECT_EQ(render_list(json{{"entries", {entry("10.1.0.5", "active", "")}}}, kNow).find("ZONE"),
              std::string::npos);
}

TEST(CtlRender, ShowPrintsTheZoneMismatchAndAntiSpoofingMode) {
    json m = entry("10.1.0.5", "active", "");
    m["zone"] = "pci";
    m["zoneMismatch"] = "namespace 'default' is now in zone 'pci', which allows only pool 'pci'";
    m["antiSpoofing"] = {{"on", true},       {"ifindex", 11},       {"link", "veth1"},
                         {"mode", "drop"},   {"zoneMode", "drop"},  {"addresses", {"10.1.0.5"}},
                         {"offenders", json::array()}};
    const std::string out = render_show(json{{"matches", {m}}}, kNow);
    EXPECT_NE(out.find("  zone           pci\n"), std::string::npos) << out;
    EXPECT_NE(out.find("  zone mismatch  namespace 'default' is now in zone 'pci', which allows "
                       "only pool 'pci'\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("  anti-spoofing: drop on veth1 (ifindex 11), may send from 10.1.0.5; no "
                       "offenders\n"),
              std::string::npos)
        << out;
    m["antiSpoofing"] = {{"on", true}, {"ifindex", 0}, {"zoneMode", "off"}};
    const std::string zone_off = render_show(json{{"matches", {m}}}, kNow);
    EXPECT_NE(zone_off.find("  anti-spoofing: off (its zone's antiSpoofing)\n"), std::string::npos)
        << zone_off;
    const std::string off = render_show(json{{"matches", {entry("10.1.0.5", "active", "")}}}, kNow);
    EXPECT_EQ(off.find("zone"), std::string::npos) << off;
    EXPECT_EQ(off.find("anti-spoofing"), std::string::npos) << off;
}

TEST(CtlRender, Show) {
    json m = entry("10.1.0.5", "stale-candidate", "netns-gone");
    m["addresses"] = {"10.1.0.5", "fd00::5"};
    m["hostIfindex"] = 7;
    m["netnsInode"] = 4026532999;
    m["signals"] = {{"netns", "gone"}, {"holders", 0}};
    m["history"] = {{{"seq", 3},
                     {"timeNs", kNow - 192 * kSec},
                     {"kind", "allocated"},
                     {"ip", "10.1.0.5"},
                     {"pool", "default"},
                     {"containerId", "c1"},
                     {"ifname", "eth0"}},
                    {{"seq", 9},
                     {"timeNs", kNow - 10 * kSec},
                     {"kind", "candidate"},
                     {"ip", "10.1.0.5"},
                     {"reason", "netns-gone"}}};
    EXPECT_EQ(render_show(json{{"matches", {m}}}, kNow),
              "10.1.0.5  (pool default, stale-candidate (netns-gone))\n"
              "  addresses    10.1.0.5, fd00::5\n"
              "  container    0123456789abcdef0123456789abcdef\n"
              "  ifname       eth0\n"
              "  network      net1\n"
              "  pod          default/web-1 (uid u-1)\n"
              "  netns        /var/run/netns/cni-1 (inode 4026532999)\n"
              "  host link    ifindex 7\n"
              "  allocated    2026-11-30 19:56:48 UTC (3m12s ago)\n"
              "  last seen    -\n"
              "  state since  2026-11-30 19:59:50 UTC (10s ago)\n"
              "  signals      holders 0, netns gone\n"
              "  history:\n"
              "    SEQ  TIME                     KIND       IP        POOL     CONTAINER  IFNAME  "
              "REASON      DETAIL\n"
              "    3    2026-11-30 19:56:48 UTC  allocated  10.1.0.5  default  c1         eth0    "
              "-           -\n"
              "    9    2026-11-30 19:59:50 UTC  candidate  10.1.0.5  -        -          -       "
              "netns-gone  -\n");
}

TEST(CtlRender, Release) {
    json r = {{"released", {"10.1.0.5", "fd00::5"}},
              {"containerId", "c1"},
              {"ifname", "eth0"},
              {"network", "net1"},
              {"forced", true},
              {"quarantineEndsNs", kNow + 30 * kSec}};
    EXPECT_EQ(render_release(r, kNow),
              "released 10.1.0.5, fd00::5 (container c1, ifname eth0, network net1), forced past "
              "the liveness checks\n"
              "quarantined until 2026-11-30 20:00:30 UTC (30s from now)\n");
    r["forced"] = false;
    r["quarantineEndsNs"] = 0;
    EXPECT_EQ(render_release(r, kNow),
              "released 10.1.0.5, fd00::5 (container c1, ifname eth0, network net1)\n"
              "free again (no quarantine)\n");
}

TEST(CtlRender, Gc) {
    json r = {{"dryRun", true},
              {"ms", 3.2},
              {"allocations", 12},
              {"quarantined", 1},
              {"decisions",
               {{{"kind", "candidate"},
                 {"ip", "10.1.0.5"},
                 {"containerId", "c1"},
                 {"reason", "netns-gone"},
                 {"why", "its netns path is gone"}},
                {{"kind", "quarantine-ended"},
                 {"ip", "10.1.0.9"},
                 {"containerId", "c2"},
                 {"reason", "cooldown"},
                 {"why", ""}}}},
              {"conflicts",
               {{{"ip", "10.1.0.7"}, {"kind", "foreign-holder"}, {"holder", "eth3 on host"}}}}};
    EXPECT_EQ(
        render_gc(r, kNow),
        "GC dry run over 12 allocations and 1 quarantined addresses, 3.2 ms (nothing recorded)\n"
        "\n"
        "DECISION          IP        CONTAINER  REASON      WHY\n"
        "candidate         10.1.0.5  c1         netns-gone  its netns path is gone\n"
        "quarantine-ended  10.1.0.9  c2         cooldown    -\n"
        "\n"
        "CONFLICT        IP        HOLDER\n"
        "foreign-holder  10.1.0.7  eth3 on host\n");
    json none = {{"dryRun", false},
                 {"ms", 1},
                 {"allocations", 0},
                 {"quarantined", 0},
                 {"decisions", json::array()},
                 {"conflicts", json::array()}};
    EXPECT_EQ(render_gc(none, kNow),
              "GC pass over 0 allocations and 0 quarantined addresses, 1.0 ms\nno decisions\n");
}

// Container IDs are cut to 12 characters, as in list.
TEST(CtlRender, EventsWithAndWithoutHeader) {
    json r = {{"events",
               {{{"seq", 41},
                 {"timeNs", kNow},
                 {"kind", "allocated"},
                 {"ip", "10.1.0.5"},
                 {"pool", "default"},
                 {"containerId", "0123456789abcdef0123"},
                 {"ifname", "eth0"}},
                {{"seq", 42}, {"timeNs", kNow}, {"kind", "conflict"}, {"detail", "held by eth3"}}}},
              {"next", 42}};
    const std::string header =
        "SEQ  TIME                     KIND       IP        POOL     CONTAINER     IFNAME  REASON  "
        "DETAIL\n";
    const std::string rows =
        "41   2026-11-30 20:00:00 UTC  allocated  10.1.0.5  default  0123456789ab  eth0    -       "
        "-\n"
        "42   2026-11-30 20:00:00 UTC  conflict   -         -        -             -       -       "
        "held by eth3\n";
    EXPECT_EQ(render_events(r, kNow, true), header + rows);
    EXPECT_EQ(render_events(r, kNow, false), rows);
    json empty = {{"events", json::array()}, {"next", 42}};
    EXPECT_EQ(render_events(empty, kNow, true), "no events\n");
    EXPECT_EQ(render_events(empty, kNow, false), "");
}

TEST(CtlRender, Metrics) {
    EXPECT_EQ(render_metrics(json{{"text", "warren_up 1"}}, kNow), "warren_up 1\n");
    EXPECT_EQ(render_metrics(json{{"text", "warren_up 1\n"}}, kNow), "warren_up 1\n");
}

TEST(CtlRender, Import) {
    json r = {
        {"imported",
         {{{"ip", "10.1.0.2"}, {"containerId", "c1"}, {"ifname", "eth0"}, {"pool", "default"}}}},
        {"refused",
         {{{"ip", "10.9.0.1"}, {"file", "10.9.0.1"}, {"reason", "out of range"}},
          {{"ip", ""}, {"file", "junk"}, {"reason", "not named by an IP address"}}}}};
    EXPECT_EQ(render_import(r, kNow),
              "imported 1 address\n"
              "IP        CONTAINER  IFNAME  POOL\n"
              "10.1.0.2  c1         eth0    default\n"
              "\n"
              "refused 2\n"
              "IP        FILE      REASON\n"
              "10.9.0.1  10.9.0.1  out of range\n"
              "-         junk      not named by an IP address\n");
    json dry = {{"dryRun", true}, {"imported", json::array()}, {"refused", json::array()}};
    EXPECT_EQ(render_import(dry, kNow), "would import nothing\n");
}

TEST(CtlRender, StatusListsPoolWarningsAfterThePoolsOnlyWhenThereAreAny) {
    json s = status_fixture();
    EXPECT_EQ(render_status(s, kNow).find("pool warnings"), std::string::npos);
    s["poolWarnings"] = json::array();
    EXPECT_EQ(render_status(s, kNow).find("pool warnings"), std::string::npos);
    s["poolWarnings"] = {
        {{"pool", "default"},
         {"range", "10.1.0.0/24"},
         {"kind", "hostAddress"},
         {"message",
          "pool 'default' range 10.1.0.0/24: address 10.1.0.9/24 on eth1 lies inside it"}},
        {{"pool", "default"},
         {"range", "10.1.0.0/24"},
         {"kind", "serviceOverlap"},
         {"message", "pool 'default' range 10.1.0.0/24: it overlaps the service CIDR 10.0.0.0/8"}}};
    const std::string out = render_status(s, kNow);
    const auto block = out.find(
        "\npool warnings\n"
        "  pool 'default' range 10.1.0.0/24: address 10.1.0.9/24 on eth1 lies inside it\n"
        "  pool 'default' range 10.1.0.0/24: it overlaps the service CIDR 10.0.0.0/8\n"
        "\nliveness\n");
    EXPECT_NE(block, std::string::npos) << out;
    EXPECT_LT(out.find("pool v6 ("), block) << "after the pools";
}

}  // namespace
}  // namespace warren::ctl
