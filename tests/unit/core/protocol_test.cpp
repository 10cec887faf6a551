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
    auto back = decode_request(Kind::request_binary, encode_binary(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->op, r.op);
    EXPECT_EQ(back->network, r.network);
    EXPECT_EQ(back->container_id, r.container_id);
    EXPECT_EQ(back->ifname, r.ifname);
    EXPECT_EQ(back->netns, r.netns);
    EXPECT_EQ(back->netns_inode, r.netns_inode);
    EXPECT_EQ(back->pod, r.pod);
    EXPECT_EQ(back->pool, r.pool);
    EXPECT_EQ(back->ranges, r.ranges);
    EXPECT_EQ(back->ips, r.ips);

    const Request gc = gc_request();
    auto gback = decode_binary_request(encode_binary(gc));
    ASSERT_TRUE(gback);
    EXPECT_EQ(gback->valid_attachments, gc.valid_attachments);
    EXPECT_FALSE(gback->pool);
    EXPECT_FALSE(gback->ranges);

    // The header of a compact request is accepted where a request is expected.
    auto frame = encode_frame(Kind::request_binary, encode_binary(gc));
    auto h = reinterpret_cast<const uint8_t*>(frame.data());
    EXPECT_TRUE(decode_header(h, Kind::request, 1000));
    EXPECT_EQ(header_kind(h), Kind::request_binary);
    EXPECT_FALSE(decode_header(h, Kind::response, 1000));
}

TEST(Protocol, CompactRequestRefusesDamage) {
    Request r;
    r.op = Op::del;
    r.network = "net";
    r.container_id = "c";
    const std::string good = encode_binary(r);
    for (size_t cut = 0; cut < good.size(); ++cut) {
        auto d = decode_binary_request(std::string_view(good).substr(0, cut));
        ASSERT_FALSE(d) << "accepted a request cut at " << cut;
        EXPECT_EQ(d.error().code, Code::decode);
    }
    EXPECT_EQ(decode_binary_request(good + "x").error().message, "binary request has trailing bytes");
    std::string bad_op = good;
    bad_op[1] = 99;
    EXPECT_EQ(decode_binary_request(bad_op).error().message, "binary request has an unknown op 99");
    std::string future = good;
    future[0] = 2;
    EXPECT_EQ(decode_binary_request(future).error().code, Code::incompatible_version);
    r.container_id.clear();
    EXPECT_EQ(decode_binary_request(encode_binary(r)).error().message, "request has no container ID");
    r.container_id = "c";
    r.ranges = nlohmann::json::array();
    std::string ranges = encode_binary(r);
    const auto at = ranges.find("[]");
    ASSERT_NE(at, std::string::npos);
    ranges[at + 1] = '{';  // "[{": not JSON
    EXPECT_EQ(decode_binary_request(ranges).error().message, "binary request carries 'ranges' that are not JSON");
}
