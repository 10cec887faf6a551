// Writes the seed corpus of every fuzz target from the real encoders:
//   build/tests/fuzz/make_corpus tests/fuzz/corpus
// Seeds are small and each shows one shape the target must handle; libFuzzer grows the rest.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/ipam_state.hpp"
#include "core/range.hpp"
#include "journal/codec.hpp"
#include "warren/protocol.hpp"

using namespace warren;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path root;

void put(const std::string& target, const std::string& name, std::string_view bytes) {
    fs::create_directories(root / target);
    std::ofstream out(root / target / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s/%s\n", target.c_str(), name.c_str());
        std::exit(1);
    }
}

std::vector<std::pair<std::string, proto::Request>> requests() {
    using proto::Op;
    const json ranges = json::parse(R"([[{"subnet":"10.22.0.0/24","rangeStart":"10.22.0.10","rangeEnd":"10.22.0.50","gateway":"10.22.0.1"}],
                                        [{"subnet":"fd00:22::/120"}]])");
    proto::Request add{Op::add, "net1", "c0ffee", "eth0", "/run/netns/pod1"};
    add.netns_inode = 4026532001;
    add.netns_cookie = 8193;
    add.pod = {"default", "web-0", "4f1c2d3e-aaaa-bbbb-cccc-1234567890ab"};
    proto::Request add_ranges = add;
    add_ranges.ranges = ranges;
    proto::Request add_pool = add;
    add_pool.pool = "default";
    add_pool.ips = {"10.1.0.7", "fd00:1::7/120"};
    proto::Request add_range_ip = add_ranges;
    add_range_ip.ips = {"10.22.0.20"};
    proto::Request del{Op::del, "net1", "c0ffee", "eth0", "/run/netns/pod1"};
    proto::Request check{Op::check, "net1", "c0ffee", "eth0", "/run/netns/pod1"};
    check.ips = {"10.1.0.2"};
    proto::Request gc{Op::gc, "net1"};
    gc.valid_attachments = {{"c0ffee", "eth0"}, {"existing", "eth1"}};
    proto::Request status{Op::status, "net1"};
    status.ranges = ranges;
    proto::Request ping{Op::ping};
    proto::Request add_no_cookie = add;
    add_no_cookie.netns_cookie = 0;  // an old plugin's ADD
    proto::Request add_requested_pool = add_pool;  // a pod's pool ask (compact flag 8)
    add_requested_pool.requested_pool = "pci";
    add_requested_pool.requested_pool_from = "runtimeConfig.pool";
    return {{"add", add},
            {"add-ranges", add_ranges},
            {"add-pool-ips", add_pool},
            {"add-ranges-ip", add_range_ip},
            {"del", del},
            {"check", check},
            {"gc", gc},
            {"status-ranges", status},
            {"ping", ping},
            {"add-no-cookie", add_no_cookie},
            {"add-requested-pool", add_requested_pool}};
}

void protocol_seeds() {
    for (auto& [name, r] : requests()) {
        put("request_json", name + ".json", proto::encode(r));
        put("request_binary", name + ".bin", proto::encode_binary(r).value());
        put("frame", name + "-json.frame", proto::encode_frame(proto::Kind::request, proto::encode(r)));
        put("frame", name + "-compact.frame",
            proto::encode_frame(proto::Kind::request_binary, proto::encode_binary(r).value()));
        if (r.op == proto::Op::del) put("delete_queue", name + ".entry", std::string(1, '\0') + proto::encode(r));
    }
    put("request_json", "not-an-object.json", "[1,2,3]");
    put("request_json", "legacy-ranges.json",
        R"({"op":"add","network":"n","containerId":"c","ifname":"eth0","ranges":[[{"subnet":"10.9.0.0/16","rangeStart":"10.9.1.1"}]]})");

    // Queue entries: a well-formed DEL under a foreign name, an ADD, a malformed name, garbage.
    const std::string del = proto::encode(requests()[4].second);
    const std::string name = "del-00000000000000000001-1.json";
    put("delete_queue", "named.entry", std::string(1, static_cast<char>(name.size())) + name + del);
    put("delete_queue", "add-is-refused.entry", std::string(1, '\0') + proto::encode(requests()[0].second));
    const std::string bad = "del-12x-1.json";
    put("delete_queue", "bad-name.entry", std::string(1, static_cast<char>(bad.size())) + bad + del);
    put("delete_queue", "not-json.entry", std::string(1, '\0') + "{\"op\":\"del\",");

    auto response = [](const proto::Response& r) {
        return proto::encode_frame(proto::Kind::response, proto::encode(r));
    };
    put("response", "ok-v4.frame", response({true, Code::internal, {}, {}, {{"10.1.0.5/24", "10.1.0.1"}}}));
    put("response", "ok-dual.frame",
        response({true, Code::internal, {}, {}, {{"10.1.0.5/24", "10.1.0.1"}, {"fd00:1::5/120", ""}}}));
    put("response", "ok-empty.frame", response({true}));
    put("response", "exhausted.frame",
        response({false, Code::pool_exhausted, "pool 'default' has no free address in 10.1.0.0/24",
                  "release addresses or widen the range", {}}));
    put("response", "try-again.frame", response({false, Code::try_again, "warrend is busy \"quoted\"\n", {}, {}}));
    for (auto& name : {"ok-v4.frame", "ok-dual.frame", "exhausted.frame"}) {
        std::ifstream f(root / "response" / name, std::ios::binary);
        put("client", name, std::string(std::istreambuf_iterator<char>(f), {}));
    }
    const std::string whole = response({true, Code::internal, {}, {}, {{"10.1.0.5/24", "10.1.0.1"}}});
    put("client", "header-only.frame", whole.substr(0, proto::kHeaderSize));
    put("client", "short-payload.frame", whole.substr(0, whole.size() - 3));
    put("client", "trailing-bytes.frame", whole + "{\"ok\":false}");
    put("client", "request-kind.frame", proto::encode_frame(proto::Kind::request, "{\"ok\":true}"));
}

std::string cni(const std::vector<std::string>& env, const std::string& config) {
    std::string out;
    for (auto& e : env) out += e + "\n";
    return out + "\n" + config;
}

void cni_seeds() {
    const std::string base = "CNI_CONTAINERID=c0ffee\nCNI_NETNS=/run/netns/pod1\nCNI_IFNAME=eth0\nCNI_PATH=/opt/cni/bin";
    const std::string ranges =
        R"({"cniVersion":"1.0.0","name":"net1","type":"bridge","ipam":{"type":"warren","socket":"/run/warren/warren.sock",)"
        R"("timeoutSeconds":5,"ranges":[[{"subnet":"10.22.0.0/24","rangeStart":"10.22.0.10","rangeEnd":"10.22.0.50","gateway":"10.22.0.1"}],)"
        R"([{"subnet":"fd00:22::/120"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"fd00:22::1"}],"resolvConf":"/etc/resolv.conf"}})";
    const std::string legacy =
        R"({"cniVersion":"0.3.1","name":"legacy","type":"ptp","ipam":{"type":"warren","subnet":"10.30.0.0/16","rangeStart":"10.30.1.1","rangeEnd":"10.30.1.254","gateway":"10.30.0.1"}})";
    const std::string pool =
        R"({"cniVersion":"1.1.0","name":"net1","type":"bridge","args":{"cni":{"ips":["10.1.0.9"]}},)"
        R"("runtimeConfig":{"ips":["fd00:1::9/120"],"ipRanges":[[{"subnet":"10.40.0.0/24"}]]},)"
        R"("ipam":{"type":"warren","pool":"default","deleteQueueDir":"/run/warren/q","routes":[{"dst":"10.0.0.0/8","gw":"10.1.0.1","mtu":1400,"advmss":1360,"priority":10,"table":100,"scope":0}]}})";
    const std::string pool_ask =
        R"({"cniVersion":"1.0.0","name":"net1","type":"bridge","args":{"cni":{"pool":"pci"}},)"
        R"("runtimeConfig":{"pool":"pci"},"ipam":{"type":"warren","pool":"default"}})";
    const std::string check =
        R"({"cniVersion":"1.0.0","name":"net1","type":"bridge","ipam":{"type":"warren"},)"
        R"("prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"}]}})";
    const std::string gc =
        R"({"cniVersion":"1.1.0","name":"net1","type":"bridge","ipam":{"type":"warren"},)"
        R"("cni.dev/valid-attachments":[{"containerID":"c0ffee","ifname":"eth0"}],"cni.dev/attachments":null})";
    put("cni_invocation", "add-ranges.txt", cni({"CNI_COMMAND=ADD", base}, ranges));
    put("cni_invocation", "add-legacy.txt", cni({"CNI_COMMAND=ADD", base}, legacy));
    put("cni_invocation", "add-pool-args.txt",
        cni({"CNI_COMMAND=ADD", base,
             "CNI_ARGS=IgnoreUnknown=1;IP=10.1.0.8,fd00:1::8;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
             "K8S_POD_UID=4f1c;K8S_POD_INFRA_CONTAINER_ID=c0ffee;FOO=bar"},
            pool));
    put("cni_invocation", "add-pool-ask.txt",
        cni({"CNI_COMMAND=ADD", base, "CNI_ARGS=K8S_POD_NAMESPACE=payments;K8S_POD_NAME=card-0"},
            pool_ask));
    put("cni_invocation", "del.txt", cni({"CNI_COMMAND=DEL", base, "CNI_ARGS=K8S_POD_NAME=web-0"}, ranges));
    put("cni_invocation", "check.txt", cni({"CNI_COMMAND=CHECK", base}, check));
    put("cni_invocation", "gc.txt", cni({"CNI_COMMAND=GC", "CNI_PATH=/opt/cni/bin"}, gc));
    put("cni_invocation", "status.txt", cni({"CNI_COMMAND=STATUS", "CNI_PATH=/opt/cni/bin"}, ranges));
    put("cni_invocation", "version.txt", cni({"CNI_COMMAND=VERSION"}, R"({"cniVersion":"0.4.0"})"));
    put("cni_invocation", "bad-args.txt", cni({"CNI_COMMAND=ADD", base, "CNI_ARGS=IP"}, ranges));
}

std::string records(uint64_t first_seq, const std::vector<core::Event>& events) {
    std::string out;
    for (auto& e : events) journal::append_record(out, first_seq++, core::encode_event(e));
    return out;
}

// The journal target's 'F' form: the first `in_snapshot` payloads make a snapshot.
std::string framed_input(size_t in_snapshot, const std::vector<core::Event>& events) {
    std::string out = "F";
    out.push_back(static_cast<char>(in_snapshot));
    for (auto& e : events) {
        const std::string p = core::encode_event(e);
        out.push_back(static_cast<char>(p.size() & 0xff));
        out.push_back(static_cast<char>(p.size() >> 8));
        out += p;
    }
    return out;
}

// The journal target's 'R' form: the files' bytes.
std::string journal_input(const std::optional<std::string>& snapshot, std::string_view journal) {
    const uint32_t len = snapshot ? static_cast<uint32_t>(snapshot->size()) : 0xffffffffu;
    std::string out = "R";
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    if (snapshot) out += *snapshot;
    out += journal;
    return out;
}

void journal_seeds() {
    constexpr int64_t kSec = 1'000'000'000;
    core::IpamState state(30 * kSec);
    std::vector<core::Event> log;
    auto take = [&](core::Change& c) { log.insert(log.end(), c.events.begin(), c.events.end()); };
    auto sets = core::range_sets_from_cidrs({"10.1.0.0/24", "fd00:1::/120"});
    auto def = state.define_pool("default", *sets, core::PoolSource::config);
    take(*def);
    int64_t now = 1'700'000'000 * kSec;
    for (int i = 0; i < 4; ++i) {
        core::Change c;
        core::AddRequest r{{"net1", "c" + std::to_string(i), "eth0"},
                           {},
                           {},
                           {},
                           "/run/netns/p" + std::to_string(i),
                           static_cast<uint64_t>(4026532000 + i),
                           {"default", "pod-" + std::to_string(i), "uid"},
                           i % 2 ? 0 : static_cast<uint64_t>(8193 + i)};  // c1, c3: an old plugin's
        (void)state.add(r, now + i, c);
        take(c);
    }
    {
        core::Change c;
        (void)state.learn_host_link({"net1", "c0", "eth0"}, 7, 0, c);
        (void)state.learn_host_link({"net1", "c3", "eth0"}, 9, 8200, c);
        take(c);
    }
    {
        core::Change c;
        core::AddRequest r{{"net2", "d0", "eth0"},
                           {},
                           *core::parse_range_sets(json::parse(R"([[{"subnet":"10.50.0.0/28"}]])")),
                           {},
                           "/run/netns/d0",
                           0,
                           {}};
        (void)state.add(r, now + 5, c);
        state.release({"net1", "c1", "eth0"}, core::ReleaseReason::del, now + 6, c);
        state.gc("net1", {{"c0", "eth0"}}, now + 7, c);
        take(c);
    }
    const size_t before_sweep = log.size();
    {
        core::Change c;
        state.sweep_quarantine(now + 60 * kSec, c);
        take(c);
    }
    const std::string all = records(1, log);
    put("journal", "journal-only.bin", journal_input(std::nullopt, all));
    put("journal", "torn-tail.bin", journal_input(std::nullopt, all.substr(0, all.size() - 5)));
    put("journal", "zero-tail.bin", journal_input(std::nullopt, all + std::string(64, '\0')));

    // A snapshot of the state before the sweep, and the sweep journaled after it.
    core::IpamState at(30 * kSec);
    for (size_t i = 0; i < before_sweep; ++i) (void)at.replay(log[i]);
    std::vector<std::string> payloads;
    for (auto& e : at.snapshot_events()) payloads.push_back(core::encode_event(e));
    auto snap = journal::encode_snapshot(before_sweep, payloads);
    const std::vector<core::Event> tail(log.begin() + static_cast<long>(before_sweep), log.end());
    put("journal", "snapshot-and-journal.bin", journal_input(*snap, records(before_sweep + 1, tail)));
    // A crash between the snapshot's rename and the journal's truncation.
    put("journal", "snapshot-covers-journal.bin", journal_input(*snap, records(1, {log.begin(), log.begin() + 3})));
    put("journal", "empty-snapshot.bin", journal_input(*journal::encode_snapshot(0, {}), ""));
    put("journal", "framed-journal.bin", framed_input(0, log));
    std::vector<core::Event> snapshot_then_tail = at.snapshot_events();
    const size_t in_snapshot = snapshot_then_tail.size();
    snapshot_then_tail.insert(snapshot_then_tail.end(), tail.begin(), tail.end());
    put("journal", "framed-snapshot.bin", framed_input(in_snapshot, snapshot_then_tail));
    // Every event kind alone, including the snapshot-only ones.
    put("journal", "cursor-quarantined.bin",
        journal_input(std::nullopt,
                      records(1, {core::PoolDefined{"p", core::to_json(*sets).dump(), core::PoolSource::cni},
                                  core::Quarantined{"p", *IpAddress::parse("10.1.0.9"), now},
                                  core::CursorAt{"p", 1, *IpAddress::parse("fd00:1::4")},
                                  core::QuarantineEnded{"p", {*IpAddress::parse("10.1.0.9")}}})));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
        return 2;
    }
    root = argv[1];
    protocol_seeds();
    cni_seeds();
    journal_seeds();
    std::printf("seed corpus written to %s\n", argv[1]);
    return 0;
}
