#include "core/events.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/bytes.hpp"
#include "core/range.hpp"

using namespace warren;
using namespace warren::core;

TEST(Events, RoundTripEveryType) {
    Allocated al{{"net", "c1", "eth0"}, "default",
                 {*IpAddress::parse("10.1.0.5"), *IpAddress::parse("fd00::5")},
                 "/var/run/netns/x", 4026532000ull, {"ns", "pod", "uid-1"}, 1234567890123};
    std::vector<Event> all{PoolDefined{"default", R"([[{"subnet":"10.1.0.0/24"}]])", PoolSource::cni}, al,
                           Released{{"net", "c1", "eth0"}, 99, ReleaseReason::gc},
                           QuarantineEnded{"default", {*IpAddress::parse("10.1.0.5")}},
                           CursorAt{"default", 1, *IpAddress::parse("fd00::5")},
                           Quarantined{"default", *IpAddress::parse("10.1.0.7"), 42}};
    for (auto& e : all) {
        auto bytes = encode_event(e);
        auto back = decode_event(bytes);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(back->index(), e.index());
        EXPECT_EQ(encode_event(*back), bytes);
    }
    auto back = decode_event(encode_event(al));
    auto& a2 = std::get<Allocated>(*back);
    EXPECT_EQ(a2.key, al.key);
    EXPECT_EQ(a2.addresses, al.addresses);
    EXPECT_EQ(a2.pod, al.pod);
    EXPECT_EQ(a2.netns_inode, al.netns_inode);
}

TEST(Events, RejectsTruncatedAndUnknownPayloads) {
    auto bytes = encode_event(Released{{"net", "c1", "eth0"}, 99, ReleaseReason::del});
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_event(bytes.substr(0, n))) << n;
    EXPECT_FALSE(decode_event(bytes + "x"));
    EXPECT_FALSE(decode_event(std::string("\x7f", 1)));
}

// Defect 1: every event the agent can write decodes to exactly what was written, at and far
// beyond every count and size limit; damaged payloads fail cleanly.
namespace {

IpAddress v6(uint64_t i) {
    return IpAddress{Family::v6, (u128{0xfd00} << 112) | i};
}
IpAddress v4(uint32_t i) {
    return IpAddress::v4(0x0a000000u | i);
}
std::vector<IpAddress> addrs(size_t n, bool six) {
    std::vector<IpAddress> out;
    for (size_t i = 0; i < n; ++i) out.push_back(six ? v6(i) : v4(static_cast<uint32_t>(i)));
    return out;
}
std::string text(size_t n, char c = 'x') {
    return std::string(n, c);
}

// host-local ranges JSON with `n` range sets of one /24 each, in canonical form.
std::string ranges_with_sets(int n) {
    nlohmann::json j = nlohmann::json::array();
    for (int i = 0; i < n; ++i)
        j.push_back({{{"subnet", "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
                                     ".0/24"}}});
    auto sets = parse_range_sets(j);
    EXPECT_TRUE(sets) << sets.error().message;
    return sets ? to_json(*sets).dump() : std::string{};
}

std::vector<Event> samples() {
    const AttachmentKey small{"net", "c1", "eth0"};
    const AttachmentKey at_limit{text(kMaxNameBytes, 'n'), text(kMaxNameBytes, 'c'),
                                 text(kMaxNameBytes, 'i')};
    const AttachmentKey beyond{text(300'000, 'n'), text(300'000, 'c'), text(300'000, 'i')};
    const PodInfo pod{"ns", "pod", "uid"};
    const PodInfo long_pod{text(kMaxNameBytes), text(kMaxNameBytes), text(kMaxNameBytes)};
    std::vector<Event> out{
        PoolDefined{"", "", PoolSource::config},
        PoolDefined{"default", ranges_with_sets(1), PoolSource::cni},
        PoolDefined{"wide", ranges_with_sets(1000), PoolSource::cni},
        PoolDefined{text(kMaxNameBytes), text(kMaxEventBytes - 100, '['), PoolSource::config},
        PoolDefined{text(2'000'000), text(3'000'000), PoolSource::cni},
        PoolRemoved{""},
        PoolRemoved{"net"},
        PoolRemoved{text(2'000'000)},
        Allocated{small, "default", {}, "", 0, {}, 0},
        Allocated{small,
                  "default",
                  {v4(5), v6(5)},
                  "/var/run/netns/x",
                  4026532000ull,
                  pod,
                  1234567890123},
        Allocated{at_limit, text(kMaxNameBytes), addrs(1000, true), text(kMaxNameBytes), UINT64_MAX,
                  long_pod, 0},
        Allocated{beyond, "default", addrs(100'000, true), text(300'000), 7, long_pod,
                  kMaxEventTimeNs},
        Allocated{small, "default", {v4(6)}, "/run/netns/y", 4026532001ull, pod, 5, 8193},
        Allocated{small, "default", {v4(6)}, "/run/netns/y", 0, pod, 5, UINT64_MAX},
        HostLinkLearned{small, 7, 8193},
        HostLinkLearned{small, 0, 0},
        HostLinkLearned{small, INT32_MAX, UINT64_MAX},
        HostLinkLearned{beyond, 12, 0},
        QuarantineEnded{"default", {}},
        QuarantineEnded{"default", addrs(1024, false)},
        QuarantineEnded{"default", addrs(1025, false)},
        QuarantineEnded{"default", addrs(1100, false)},
        QuarantineEnded{"default", addrs(100'000, false)},
        QuarantineEnded{text(kMaxNameBytes), addrs(100'000, true)},
        CursorAt{"default", 0, v4(1)},
        CursorAt{text(kMaxNameBytes), UINT64_MAX, v6(UINT64_MAX)},
        Quarantined{"default", v4(7), 42, {}},
        Quarantined{"default", v6(7), 0, small},
        Quarantined{text(kMaxNameBytes), v6(9), kMaxEventTimeNs, at_limit},
        Quarantined{"default", v4(9), 1, beyond},
    };
    for (uint8_t r = 1; r <= 6; ++r) {
        out.push_back(Released{small, 99, static_cast<ReleaseReason>(r)});
        out.push_back(Released{beyond, 0, static_cast<ReleaseReason>(r)});
    }
    for (uint8_t r = 1; r <= 10; ++r) {
        const auto why = static_cast<GcReason>(r);
        out.push_back(CandidateMarked{small, 99, why});
        out.push_back(CandidateCleared{at_limit, why});
        out.push_back(ZombieMarked{small, 0, why});
    }
    out.push_back(CandidateMarked{beyond, kMaxEventTimeNs, GcReason::cni_gc});
    out.push_back(CandidateCleared{beyond, GcReason::listed});
    out.push_back(ZombieMarked{at_limit, kMaxEventTimeNs, GcReason::traffic});
    out.push_back(QuarantineHeld{"default", v4(7), 42});
    out.push_back(QuarantineHeld{text(kMaxNameBytes), v6(9), 0});
    out.push_back(QuarantineHeld{text(2'000'000), v6(UINT64_MAX), kMaxEventTimeNs});
    return out;
}

// The encoding of a QuarantineEnded naming `n` addresses but holding `held`.
std::string quarantine_ended_claiming(uint64_t n, size_t held) {
    std::string out;
    ByteWriter w(out);
    w.u8(4);
    w.str("default");
    w.u64(n);
    for (size_t i = 0; i < held; ++i) w.addr(v4(static_cast<uint32_t>(i)));
    return out;
}

}  // namespace

TEST(EventsProperty, EveryKindRoundTripsAtAndFarBeyondEveryLimit) {
    std::set<size_t> kinds;
    for (auto& e : samples()) {
        kinds.insert(e.index());
        auto bytes = encode_event(e);
        EXPECT_EQ(bytes.size(), encoded_size(e)) << "kind " << e.index();
        auto back = decode_event(bytes);
        ASSERT_TRUE(back) << "kind " << e.index() << ", " << bytes.size()
                          << " bytes: " << back.error().message;
        EXPECT_TRUE(*back == e) << "kind " << e.index() << ", " << bytes.size() << " bytes";
    }
    EXPECT_EQ(kinds.size(), std::variant_size_v<Event>);
}

TEST(EventsProperty, TruncatedPayloadsFailCleanly) {
    for (auto& e : samples()) {
        auto bytes = encode_event(e);
        std::vector<size_t> cuts;
        if (bytes.size() <= 4096) {
            for (size_t n = 0; n < bytes.size(); ++n) cuts.push_back(n);
        } else {
            cuts = {0,
                    1,
                    9,
                    bytes.size() / 2,
                    bytes.size() - ByteReader::kAddrBytes,
                    bytes.size() - 8,
                    bytes.size() - 1};
        }
        for (size_t n : cuts)
            EXPECT_FALSE(decode_event(std::string_view(bytes).substr(0, n)))
                << e.index() << " cut at " << n;
        EXPECT_FALSE(decode_event(bytes + '\0')) << e.index();
    }
}

TEST(EventsProperty, GarbledPayloadsFailOrDecodeToAnEventThatRoundTrips) {
    for (auto& e : samples()) {
        const auto bytes = encode_event(e);
        if (bytes.size() > 600) continue;  // small ones: every byte, three ways
        for (size_t i = 0; i < bytes.size(); ++i)
            for (uint8_t mask : {0x01, 0x80, 0xff}) {
                std::string bad = bytes;
                bad[i] = static_cast<char>(bad[i] ^ mask);
                auto back = decode_event(bad);
                auto again = back ? decode_event(encode_event(*back)) : back;
                const bool clean = !back || (again && *again == *back);
                EXPECT_TRUE(clean) << e.index() << " byte " << i;
            }
    }
}

TEST(EventsProperty, CountsAndLengthsBeyondThePayloadAreDamage) {
    EXPECT_TRUE(decode_event(quarantine_ended_claiming(1100, 1100)));
    EXPECT_FALSE(decode_event(quarantine_ended_claiming(1101, 1100)));
    EXPECT_FALSE(decode_event(quarantine_ended_claiming(UINT64_MAX, 3)));
    EXPECT_FALSE(
        decode_event(quarantine_ended_claiming(UINT64_MAX / ByteReader::kAddrBytes + 1, 0)));
    EXPECT_FALSE(decode_event(quarantine_ended_claiming(uint64_t{1} << 63, 0)));

    std::string huge_string;
    ByteWriter w(huge_string);
    w.u8(7);  // PoolRemoved
    w.u64(UINT64_MAX);
    EXPECT_FALSE(decode_event(huge_string));

    auto bad_enum = encode_event(Released{{"n", "c", "i"}, 1, ReleaseReason::del});
    bad_enum.back() = 9;
    EXPECT_FALSE(decode_event(bad_enum));
    for (char bad : {'\0', '\x07'}) {  // one past admin_forced, the last reason
        auto bytes = encode_event(Released{{"n", "c", "i"}, 1, ReleaseReason::admin_forced});
        bytes.back() = bad;
        EXPECT_FALSE(decode_event(bytes)) << "release reason " << int(uint8_t(bad));
    }
    EXPECT_EQ(std::get<Released>(*decode_event(encode_event(
                                     Released{{"n", "c", "i"}, 1, ReleaseReason::admin_forced})))
                  .reason,
              ReleaseReason::admin_forced);
    for (Event e : {Event{CandidateMarked{{"n", "c", "i"}, 1, GcReason::netns_gone}},
                    Event{CandidateCleared{{"n", "c", "i"}, GcReason::listed}},
                    Event{ZombieMarked{{"n", "c", "i"}, 1, GcReason::traffic}}})
        for (char bad : {'\0', '\x0b', '\xff'}) {
            auto bytes = encode_event(e);
            bytes.back() = bad;
            EXPECT_FALSE(decode_event(bytes)) << e.index() << " reason " << int(uint8_t(bad));
        }
    auto bad_source = encode_event(PoolDefined{"p", "[]", PoolSource::cni});
    bad_source.back() = 0;
    EXPECT_FALSE(decode_event(bad_source));
    // A v4 address with bits above 32 set.
    auto bad_v4 = encode_event(CursorAt{"p", 0, v4(1)});
    bad_v4[bad_v4.size() - 9] = 1;
    EXPECT_FALSE(decode_event(bad_v4));
}

// Journals written before netns cookies hold Allocated under tag 2 without the cookie: they
// still replay, with cookie 0 (unknown). New ones are written under tag 13 with it.
TEST(Events, AllocatedWithoutCookieFromOldJournalsDecodes) {
    const Allocated al{{"net", "c1", "eth0"}, "default", {v4(5)}, "/run/netns/x", 4026532000ull,
                       {"ns", "pod", "uid"},  77,        0};
    std::string old;
    ByteWriter w(old);
    w.u8(2);
    for (auto* s : {&al.key.network, &al.key.container_id, &al.key.ifname, &al.pool}) w.str(*s);
    w.u64(1);
    w.addr(al.addresses[0]);
    w.str(al.netns);
    w.u64(al.netns_inode);
    for (auto* s : {&al.pod.namespace_, &al.pod.name, &al.pod.uid}) w.str(*s);
    w.i64(al.time_ns);
    auto back = decode_event(old);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(std::get<Allocated>(*back), al);
    // The same bytes with a cookie appended are damage under the old tag, not a cookie.
    EXPECT_FALSE(decode_event(old + std::string(8, '\x01')));

    Allocated with = al;
    with.netns_cookie = 0x0102030405060708ull;
    const std::string now = encode_event(with);
    EXPECT_EQ(static_cast<uint8_t>(now[0]), 13);
    EXPECT_EQ(now.size(), old.size() + 8);
    EXPECT_EQ(std::get<Allocated>(decode_event(now).value()).netns_cookie, with.netns_cookie);
}

TEST(Events, HostLinkLearnedWithAnIfindexOutOfRangeIsDamage) {
    for (int64_t ifindex : {int64_t{-1}, int64_t{INT32_MAX} + 1, INT64_MIN}) {
        std::string bytes;
        ByteWriter w(bytes);
        w.u8(14);
        for (const char* s : {"net", "c1", "eth0"}) w.str(s);
        w.i64(ifindex);
        w.u64(5);
        EXPECT_FALSE(decode_event(bytes).has_value()) << ifindex;
    }
}

// A time the agent never writes (negative, or near INT64_MAX where adding a cooldown overflows)
// is damage, found by the journal fuzzer as a signed overflow in the quarantine sweep.
TEST(Events, TimesOutsideTheirRangeAreDamage) {
    const AttachmentKey key{"net", "c1", "eth0"};
    const IpAddress v4 = *IpAddress::parse("10.0.0.9");
    for (int64_t t : {int64_t{-1}, INT64_MIN, kMaxEventTimeNs + 1, INT64_MAX}) {
        for (const Event& e : std::vector<Event>{Released{key, t, ReleaseReason::del},
                                                 Quarantined{"default", v4, t, key},
                                                 CandidateMarked{key, t, GcReason::netns_gone}}) {
            auto d = decode_event(encode_event(e));
            EXPECT_FALSE(d.has_value()) << "time " << t << " decoded (event index " << e.index() << ")";
        }
    }
    for (int64_t t : {int64_t{0}, kMaxEventTimeNs})
        EXPECT_TRUE(decode_event(encode_event(Released{key, t, ReleaseReason::del})).has_value()) << t;
}
