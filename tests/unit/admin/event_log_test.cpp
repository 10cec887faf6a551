// EventLog (issue 8): a numbered ring, and its seed from the journal records recovered.
#include "admin/event_log.hpp"

#include <gtest/gtest.h>

#include "admin/json_text.hpp"

namespace warren::admin {
namespace {

TEST(EventLog, KeepsTheLastCapacityEventsNumberedFromOne) {
    EventLog log(3);
    for (int i = 0; i < 5; ++i)
        log.add({.kind = "allocated", .container_id = "c" + std::to_string(i)});
    ASSERT_EQ(log.events().size(), 3u);
    EXPECT_EQ(log.events().front().seq, 3u);
    EXPECT_EQ(log.events().back().seq, 5u);
    EXPECT_EQ(log.next_seq(), 6u);
    auto after = log.after(1, 10);  // older than the ring: from its start
    ASSERT_EQ(after.size(), 3u);
    EXPECT_EQ(after[0]->seq, 3u);
    auto two = log.after(3, 1);
    ASSERT_EQ(two.size(), 1u);
    EXPECT_EQ(two[0]->seq, 4u);
    EXPECT_TRUE(log.after(5, 10).empty());
    auto last = log.last(2);
    ASSERT_EQ(last.size(), 2u);
    EXPECT_EQ(last[0]->seq, 4u);
}

TEST(EventLog, SeededFromJournalRecordsWithTheAddressesOfReleases) {
    core::IpamState state(30'000'000'000);
    const core::AttachmentKey k{"net", "c1", "eth0"};
    const auto a = *IpAddress::parse("10.1.0.7");
    std::vector<journal::Record> records;
    uint64_t seq = 1;
    for (const core::Event& e : std::vector<core::Event>{
             core::Allocated{k, "default", {a}, "/n", 1, {"ns", "web", "u"}, 100},
             core::Released{k, 200, core::ReleaseReason::del}})
        records.push_back({seq++, core::encode_event(e)});
    records.push_back({seq++, "not an event"});
    EventLog log;
    seed_from_records(log, records, state);
    ASSERT_EQ(log.events().size(), 2u);
    EXPECT_EQ(log.events()[0].kind, "allocated");
    EXPECT_EQ(log.events()[0].ip, "10.1.0.7");
    EXPECT_EQ(log.events()[0].detail, "pod ns/web");
    EXPECT_EQ(log.events()[1].kind, "released");
    EXPECT_EQ(log.events()[1].ip, "10.1.0.7")
        << "the address of a release comes from its allocation";
    EXPECT_EQ(log.events()[1].reason, "del");
    EXPECT_EQ(log.events()[1].time_ns, 200);
}

}  // namespace
}  // namespace warren::admin

namespace warren::admin {
namespace {

// list writes its rows as text; names come from clients, so every byte must stay valid JSON.
TEST(JsonText, StringsFromClientsAreEscapedAndBadUtf8IsReplaced) {
    const std::string nasty = std::string("a\"b\\c\n\t\x01") + "\xff" + "z";
    std::string out;
    ObjectWriter(out)
        .str("id", nasty)
        .str("plain", "ok")
        .num("n", int64_t{-5})
        .num("u", uint64_t{1} << 63)
        .close();
    auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["id"], std::string("a\"b\\c\n\t\x01") + "\xef\xbf\xbd" + "z");
    EXPECT_EQ(j["plain"], "ok");
    EXPECT_EQ(j["n"], -5);
    EXPECT_EQ(j["u"], uint64_t{1} << 63);
    std::string ascii;
    append_json_string(ascii, std::string("q\"\x1f", 3));
    EXPECT_EQ(ascii, "\"q\\\"\\u001f\"");
}

}  // namespace
}  // namespace warren::admin
