#include <gtest/gtest.h>

#include "warren/protocol.hpp"

using namespace warren;
using namespace warren::proto;

TEST(Protocol, RequestRoundTrip) {
    Request r;
    r.op = Op::add;
    r.network = "net";
    r.container_id = "abc";
    r.ifname = "eth0";
    r.netns = "/var/run/netns/p";
    r.pod = {"ns", "name", "uid"};
    r.pool = "default";
    r.ranges = nlohmann::json::parse(R"([[{"subnet":"10.1.0.0/24"}]])");
    r.ips = {"10.1.0.5"};
    auto back = decode_request(encode(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->op, Op::add);
    EXPECT_EQ(back->container_id, "abc");
    EXPECT_EQ(back->pod, r.pod);
    EXPECT_EQ(*back->pool, "default");
    EXPECT_EQ(*back->ranges, *r.ranges);
    EXPECT_EQ(back->ips, r.ips);

    Request gc;
    gc.op = Op::gc;
    gc.network = "net";
    gc.valid_attachments = {{"a", "eth0"}, {"b", "net1"}};
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
