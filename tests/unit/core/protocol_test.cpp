#include <gtest/gtest.h>

#include "warren/protocol.hpp"

using namespace warren;
using namespace warren::proto;

namespace {
// An ADD with every field set.
Request full_add() {
    Request r;
    r.op = Op::add;
    r.network = "net";
    r.container_id = std::string(64, 'f');
    r.ifname = "eth0";
    r.netns = "/var/run/netns/cni-1";
    r.netns_inode = 4026532000;
    r.netns_cookie = 0x1234567890abcdefULL;
    r.pod = {"ns", "name", "uid"};
    r.pool = "default";
    r.ranges = nlohmann::json::parse(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])");
    r.ips = {"10.1.0.5", "fd00::5"};
    return r;
}

Request gc_request() {
    Request gc;
    gc.op = Op::gc;
    gc.network = "net";
    gc.valid_attachments = {{"a", "eth0"}, {"b", "net1"}};
    return gc;
}
}  // namespace

TEST(Protocol, RequestRoundTrip) {
    const Request r = full_add();
    auto back = decode_request(encode(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->op, Op::add);
    EXPECT_EQ(back->container_id, r.container_id);
    EXPECT_EQ(back->netns_inode, r.netns_inode);
    EXPECT_EQ(back->netns_cookie, r.netns_cookie);
    EXPECT_EQ(back->pod, r.pod);
    EXPECT_EQ(*back->pool, "default");
    EXPECT_EQ(*back->ranges, *r.ranges);
    EXPECT_EQ(back->ips, r.ips);

    const Request gc = gc_request();
    auto gback = decode_request(encode(gc));
    ASSERT_TRUE(gback);
    EXPECT_EQ(gback->valid_attachments, gc.valid_attachments);
}

TEST(Protocol, RejectsMalformedRequests) {
    EXPECT_EQ(decode_request("{nope").error().code, Code::decode);
    EXPECT_EQ(decode_request("[]").error().code, Code::decode);
    EXPECT_EQ(decode_request(R"({"op":"fly","network":"n"})").error().code, Code::decode);
    EXPECT_FALSE(decode_request(R"({"op":"add","network":"n"})"));  // no container
    EXPECT_FALSE(decode_request(R"({"op":"add","network":"n","containerId":"c","ips":"x"})"));
    EXPECT_TRUE(decode_request(R"({"op":"ping"})"));
}

TEST(Protocol, ResponseRoundTripAndFailure) {
    Response ok{true, Code::internal, "", "", {{"10.1.0.5/24", "10.1.0.1"}, {"fd00::5/64", ""}}};
    auto back = decode_response(encode(ok));
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->ok);
    EXPECT_EQ(back->ips, ok.ips);
    auto err = decode_response(encode(Response::failure(Error{Code::pool_exhausted, "full", "why", 0})));
    ASSERT_TRUE(err);
    EXPECT_FALSE(err->ok);
    EXPECT_EQ(err->code, Code::pool_exhausted);
    EXPECT_EQ(err->details, "why");
}

TEST(Protocol, HeaderValidation) {
    auto h = encode_header(Kind::request, 100);
    EXPECT_EQ(*decode_header(h.data(), Kind::request, 1000), 100u);
    EXPECT_EQ(decode_header(h.data(), Kind::request, 99).error().code, Code::decode);
    EXPECT_EQ(decode_header(h.data(), Kind::response, 1000).error().code, Code::decode);
    auto bad = h;
    bad[0] = 'G';
    EXPECT_NE(decode_header(bad.data(), Kind::request, 1000).error().message.find("magic"), std::string::npos);
    bad = h;
    bad[5] = 9;
    EXPECT_EQ(decode_header(bad.data(), Kind::request, 1000).error().code, Code::incompatible_version);
}

TEST(Protocol, RequestDecodingKeepsRangesAndSkipsUnknownKeys) {
    auto r = decode_request(R"({"future":{"op":"del","deep":[{"network":"x"}]},"op":"add","network":"n",
        "containerId":"c","netnsInode":4026531992,"ranges":[[{"subnet":"10.1.0.0/24","gateway":"10.1.0.1"}],
        [{"subnet":"fd00::/64"}]],"pod":{"namespace":"ns","extra":{"name":"wrong"},"name":"p"},
        "validAttachments":[],"ips":["10.1.0.9"]})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->op, Op::add);
    EXPECT_EQ(r->network, "n");
    EXPECT_EQ(r->netns_inode, 4026531992u);
    EXPECT_EQ(*r->ranges, nlohmann::json::parse(R"([[{"subnet":"10.1.0.0/24","gateway":"10.1.0.1"}],[{"subnet":"fd00::/64"}]])"));
    EXPECT_EQ(r->pod.namespace_, "ns");
    EXPECT_EQ(r->pod.name, "p");
    EXPECT_EQ(r->ips, std::vector<std::string>{"10.1.0.9"});

    Request in;
    in.op = Op::add;
    in.network = "n";
    in.container_id = "c";
    in.netns_inode = 77;
    EXPECT_EQ(decode_request(encode(in))->netns_inode, 77u);
}

TEST(Protocol, RequestDecodingNamesTheBadField) {
    auto msg = [](std::string_view j) { return decode_request(j).error().message; };
    EXPECT_EQ(msg(R"({"op":"add","network":"n","containerId":"c","ips":[1]})"), "request field 'ips' must hold strings");
    EXPECT_EQ(msg(R"({"op":"add","network":"n","containerId":"c","ips":{}})"), "request field 'ips' must be an array");
    EXPECT_EQ(msg(R"({"op":"add","network":"n","containerId":"c","pool":7})"), "request field 'pool' must be a string");
    EXPECT_EQ(msg(R"({"op":"gc","network":"n","validAttachments":["x"]})"), "'validAttachments' must hold objects");
    EXPECT_EQ(msg(R"("add")"), "request is not a JSON object");
    EXPECT_EQ(msg(R"({"op":"add","network":"n","containerId":"c"} trailing)"), "request is not a JSON object");
    EXPECT_EQ(msg(R"({"op":"add","network":"n"})"), "request has no container ID");
}

TEST(Protocol, ResponseEscapesWhatNeedsIt) {
    Response r = Response::failure(Error{Code::invalid_config, "bad \"pool\"\n\x01", "", 0});
    auto back = decode_response(encode(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->msg, r.msg);
    EXPECT_EQ(back->code, Code::invalid_config);
}

TEST(Protocol, CompactRequestRoundTrip) {
    const Request r = full_add();
    auto back = decode_request(Kind::request_binary, encode_binary(r).value());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->op, r.op);
    EXPECT_EQ(back->network, r.network);
    EXPECT_EQ(back->container_id, r.container_id);
    EXPECT_EQ(back->ifname, r.ifname);
    EXPECT_EQ(back->netns, r.netns);
    EXPECT_EQ(back->netns_inode, r.netns_inode);
    EXPECT_EQ(back->netns_cookie, r.netns_cookie);
    EXPECT_EQ(back->pod, r.pod);
    EXPECT_EQ(back->pool, r.pool);
    EXPECT_EQ(back->ranges, r.ranges);
    EXPECT_EQ(back->ips, r.ips);

    const Request gc = gc_request();
    auto gback = decode_binary_request(encode_binary(gc).value());
    ASSERT_TRUE(gback);
    EXPECT_EQ(gback->valid_attachments, gc.valid_attachments);
    EXPECT_FALSE(gback->pool);
    EXPECT_FALSE(gback->ranges);

    // The header of a compact request is accepted where a request is expected.
    auto frame = encode_frame(Kind::request_binary, encode_binary(gc).value());
    auto h = reinterpret_cast<const uint8_t*>(frame.data());
    EXPECT_TRUE(decode_header(h, Kind::request, 1000));
    EXPECT_EQ(header_kind(h), Kind::request_binary);
    EXPECT_FALSE(decode_header(h, Kind::response, 1000));
}

// A plugin that knows no cookie (0, or one built before the field) sends the old layout: no
// flag bit, no 8 bytes; the agent reads cookie 0 from it.
TEST(Protocol, CompactRequestWithoutCookieKeepsTheOldLayout) {
    Request with = full_add();
    Request without = with;
    without.netns_cookie = 0;
    const std::string a = encode_binary(with).value(), b = encode_binary(without).value();
    EXPECT_EQ(a.size(), b.size() + 8);
    EXPECT_EQ(static_cast<uint8_t>(b[2]), 1 | 2);  // pool | ranges: the layout before cookies
    EXPECT_EQ(static_cast<uint8_t>(a[2]), 1 | 2 | 4);
    auto back = decode_binary_request(b);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->netns_cookie, 0u);
    EXPECT_EQ(back->netns_inode, with.netns_inode);
    EXPECT_EQ(back->pod, with.pod);

    auto json = decode_request(R"({"op":"add","network":"n","containerId":"c","netnsInode":5})");
    ASSERT_TRUE(json) << json.error().message;
    EXPECT_EQ(json->netns_cookie, 0u);
    EXPECT_EQ(decode_request(R"({"op":"add","network":"n","containerId":"c","netnsCookie":9})")
                  ->netns_cookie,
              9u);
}

// A pod's pool ask (flag 8) rides after the valid attachments; a request without one keeps the
// layout it had before the flag.
TEST(Protocol, RequestedPoolRoundTripsInBothForms) {
    Request r = full_add();
    const std::string before = encode_binary(r).value();
    r.requested_pool = "pci";
    r.requested_pool_from = "args.cni.pool";
    const std::string with = encode_binary(r).value();
    EXPECT_EQ(with.size(), before.size() + 2 + 3 + 2 + 13);
    EXPECT_EQ(static_cast<uint8_t>(with[2]), 1 | 2 | 4 | 8);
    EXPECT_EQ(with.substr(0, 2), before.substr(0, 2));
    EXPECT_EQ(with.substr(3, before.size() - 3), before.substr(3));
    auto back = decode_binary_request(with);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->requested_pool, "pci");
    EXPECT_EQ(back->requested_pool_from, "args.cni.pool");
    EXPECT_EQ(back->ips, r.ips);
    auto old = decode_binary_request(before);
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_FALSE(old->requested_pool);
    EXPECT_EQ(old->requested_pool_from, "");

    auto json_back = decode_request(encode(r));
    ASSERT_TRUE(json_back) << json_back.error().message;
    EXPECT_EQ(json_back->requested_pool, "pci");
    EXPECT_EQ(json_back->requested_pool_from, "args.cni.pool");
    EXPECT_EQ(encode(full_add()).find("requestedPool"), std::string::npos);

    // Flag 8 promises two strings; a payload cut inside them names the field.
    auto cut = decode_binary_request(std::string_view(with).substr(0, with.size() - 14));
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().code, Code::decode);
    EXPECT_NE(cut.error().message.find("requestedPoolFrom"), std::string::npos)
        << cut.error().message;
    auto bad = decode_request(R"({"op":"add","network":"n","containerId":"c","requestedPool":5})");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "request field 'requestedPool' must be a string");
    auto bad_from = decode_request(
        R"({"op":"add","network":"n","containerId":"c","requestedPool":"p","requestedPoolFrom":[]})");
    ASSERT_FALSE(bad_from);
    EXPECT_EQ(bad_from.error().message, "request field 'requestedPoolFrom' must be a string");

    Request huge = full_add();
    huge.requested_pool = std::string(kMaxCompactField + 1, 'p');
    auto refused = encode_binary(huge);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("'requestedPool'"), std::string::npos)
        << refused.error().message;
}

// The cookie's flag promises 8 bytes; a payload cut inside them names the field.
TEST(Protocol, CompactRequestNamesATruncatedCookie) {
    const std::string full = encode_binary(full_add()).value();
    auto cut = decode_binary_request(std::string_view(full).substr(0, 4 + 8 + 5));
    ASSERT_FALSE(cut);
    EXPECT_NE(cut.error().message.find("netnsCookie"), std::string::npos) << cut.error().message;
}

TEST(Protocol, CompactRequestRefusesDamage) {
    Request r;
    r.op = Op::del;
    r.network = "net";
    r.container_id = "c";
    const std::string good = encode_binary(r).value();
    for (size_t cut = 0; cut < good.size(); ++cut) {
        auto d = decode_binary_request(std::string_view(good).substr(0, cut));
        ASSERT_FALSE(d) << "accepted a request cut at " << cut;
        EXPECT_EQ(d.error().code, Code::decode);
    }
    EXPECT_EQ(decode_binary_request(good + "x").error().message, "binary request is inconsistent: 1 byte(s) follow the last field");
    std::string bad_op = good;
    bad_op[1] = 99;
    EXPECT_EQ(decode_binary_request(bad_op).error().message, "binary request has an unknown op 99");
    std::string future = good;
    future[0] = 2;
    EXPECT_EQ(decode_binary_request(future).error().code, Code::incompatible_version);
    r.container_id.clear();
    EXPECT_EQ(decode_binary_request(encode_binary(r).value()).error().message, "request has no container ID");
    r.container_id = "c";
    r.ranges = nlohmann::json::array();
    std::string ranges = encode_binary(r).value();
    const auto at = ranges.find("[]");
    ASSERT_NE(at, std::string::npos);
    ranges[at + 1] = '{';  // "[{": not JSON
    EXPECT_EQ(decode_binary_request(ranges).error().message, "binary request carries 'ranges' that are not JSON");
}

namespace {
// Every string field of the compact form, by name, in a request that uses them all.
std::vector<std::pair<std::string, std::string* (*)(Request&)>> compact_strings() {
    return {
        {"network", [](Request& r) { return &r.network; }},
        {"containerId", [](Request& r) { return &r.container_id; }},
        {"ifname", [](Request& r) { return &r.ifname; }},
        {"netns", [](Request& r) { return &r.netns; }},
        {"pod namespace", [](Request& r) { return &r.pod.namespace_; }},
        {"pod name", [](Request& r) { return &r.pod.name; }},
        {"pod uid", [](Request& r) { return &r.pod.uid; }},
        {"pool", [](Request& r) { return &*r.pool; }},
        {"ips", [](Request& r) { return &r.ips[0]; }},
        {"validAttachments containerId", [](Request& r) { return &r.valid_attachments[0].container_id; }},
        {"validAttachments ifname", [](Request& r) { return &r.valid_attachments[0].ifname; }},
    };
}
Request every_field() {
    Request r = full_add();
    r.valid_attachments = {{"a", "eth0"}};
    return r;
}
}  // namespace

// Defect 7a: lengths were cut to 16 bits silently. 65535 bytes go through whole; 65536 are
// refused by the encoder, naming the field.
TEST(Protocol, CompactFormCarriesUpTo65535BytesPerStringAndRefusesMore) {
    for (auto& [name, field] : compact_strings()) {
        Request r = every_field();
        *field(r) = std::string(65'535, 'x');
        auto bytes = encode_binary(r);
        ASSERT_TRUE(bytes) << name << ": " << bytes.error().message;
        auto back = decode_binary_request(*bytes);
        ASSERT_TRUE(back) << name << ": " << back.error().message;
        EXPECT_EQ(*field(*back), *field(r)) << name;

        *field(r) += 'x';
        auto refused = encode_binary(r);
        ASSERT_FALSE(refused) << name << " of 65536 bytes was encoded";
        EXPECT_EQ(refused.error().code, Code::invalid_config);
        EXPECT_EQ(refused.error().message,
                  "request field '" + name + "' has 65536 bytes" + (name == "ips" ? " in one entry" : "") +
                      "; the compact form carries at most 65535");
        EXPECT_FALSE(check_compact_limits(r)) << name;
    }
}

TEST(Protocol, CompactFormCarriesUpTo65535EntriesPerListAndRefusesMore) {
    Request add = every_field();
    add.ips.assign(65'535, "10.1.0.5");
    auto bytes = encode_binary(add);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto back = decode_binary_request(*bytes);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->ips.size(), 65'535u);
    add.ips.push_back("10.1.0.6");
    auto refused = encode_binary(add);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "request field 'ips' has 65536 entries; the compact form carries at most 65535");

    Request gc = gc_request();
    gc.valid_attachments.assign(65'535, Attachment{"c", "eth0"});
    bytes = encode_binary(gc);
    ASSERT_TRUE(bytes) << bytes.error().message;
    back = decode_binary_request(*bytes);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->valid_attachments.size(), 65'535u);
    gc.valid_attachments.push_back({"d", "eth0"});
    refused = encode_binary(gc);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message,
              "request field 'validAttachments' has 65536 entries; the compact form carries at most 65535");
}

// The decoder names what does not add up instead of reading past it or guessing.
TEST(Protocol, CompactDecoderRejectsInconsistentLengths) {
    Request r;
    r.op = Op::del;
    r.network = "net";
    r.container_id = "c";
    const std::string good = encode_binary(r).value();
    auto msg = [](const std::string& bytes) {
        auto d = decode_binary_request(bytes);
        return d ? std::string("accepted") : d.error().message;
    };
    // containerId's length (at 12 + 2 + 3) claims more than is left.
    std::string longer = good;
    longer[17] = '\x10';
    longer[18] = '\x27';  // 10000
    EXPECT_EQ(msg(longer), "binary request is inconsistent: field 'containerId' needs 10000 bytes, " +
                               std::to_string(good.size() - 19) + " are left");
    // A count of ips that empty entries could not fill.
    std::string many = good;
    many[many.size() - 4] = '\xff';
    many[many.size() - 3] = '\xff';
    EXPECT_EQ(msg(many), "binary request is inconsistent: it declares 65535 ips in the 2 bytes left");
    std::string attachments = good;
    attachments[attachments.size() - 2] = '\x01';
    EXPECT_EQ(msg(attachments), "binary request is inconsistent: it declares 1 validAttachments in the 0 bytes left");
    std::string flags = good;
    flags[2] = '\x10';
    EXPECT_EQ(msg(flags), "binary request is inconsistent: it has unknown flags 16");
    std::string reserved = good;
    reserved[3] = '\x01';
    EXPECT_EQ(msg(reserved), "binary request is inconsistent: its reserved byte is not 0");
    // A ranges length past the end (4 bytes of length).
    r.ranges = nlohmann::json::array();
    std::string ranges = encode_binary(r).value();
    const auto at = ranges.find("[]");
    ASSERT_NE(at, std::string::npos);
    ranges[at - 2] = '\x01';
    EXPECT_NE(msg(ranges).find("field 'ranges' needs 65538 bytes"), std::string::npos) << msg(ranges);
}

// Defect 5: nesting is capped in both request forms and in answers, before anything recurses.
TEST(Protocol, DeeplyNestedJsonIsRefusedInEveryForm) {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    auto json_form = decode_request(R"({"op":"add","network":"n","containerId":"c","ranges":)" + deep + "}");
    ASSERT_FALSE(json_form);
    EXPECT_EQ(json_form.error().code, Code::decode);
    EXPECT_EQ(json_form.error().message, "JSON nested deeper than 64 levels at byte 116");

    Request r;
    r.op = Op::add;
    r.network = "n";
    r.container_id = "c";
    r.ranges = "RANGES";
    std::string compact = encode_binary(r).value();
    const std::string marker("\x08\x00\x00\x00\"RANGES\"", 12);
    const auto at = compact.find(marker);
    ASSERT_NE(at, std::string::npos);
    std::string len(4, '\0');
    for (int i = 0; i < 4; ++i) len[static_cast<size_t>(i)] = static_cast<char>((deep.size() >> (8 * i)) & 0xff);
    compact.replace(at, marker.size(), len + deep);
    auto c = decode_binary_request(compact);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "binary request field 'ranges': JSON nested deeper than 64 levels at byte 64");

    auto resp = decode_response(R"({"ok":true,"x":)" + deep + "}");
    ASSERT_FALSE(resp);
    EXPECT_NE(resp.error().message.find("nested deeper than 64 levels"), std::string::npos);

    // At the limit: decoded (the shape of `ranges` is the agent's business).
    const std::string at_limit = std::string(63, '[') + std::string(63, ']');
    auto ok = decode_request(R"({"op":"add","network":"n","containerId":"c","ranges":)" + at_limit + "}");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->ranges->dump(), at_limit);
}
