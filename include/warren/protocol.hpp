#pragma once
// The plugin <-> agent wire protocol.
//
// Every message is one frame: a 12-byte header then a payload.
//   u32 magic "WRN1" (0x57524E31, big-endian) | u16 version (1) | u16 kind | u32 payload length
// One request frame, then one response frame, per exchange; a connection may carry several
// exchanges in sequence. Payloads larger than the receiver's cap are refused and the connection
// is closed.
//
// Kinds: 1 a request as JSON (what the plugin writes to the delete queue, and handy with socat);
// 3 the same request in the compact form below, which the plugin sends; 2 a response, JSON.
//
// Compact request (integers little-endian; str = u16 length + bytes):
//   u8 format (1) | u8 op (1 add, 2 del, 3 check, 4 gc, 5 status, 6 ping) | u8 flags (1 pool,
//   2 ranges, 4 netns cookie, 8 requested pool) | u8 0 | u64 netns inode | [u64 netns cookie] |
//   str network, containerId, ifname, netns, pod namespace, pod name, pod uid | [str pool] |
//   [u32 length + ranges JSON] | u16 count + str ips | u16 count + (str containerId, str ifname)
//   valid attachments | [str requested pool, str requested pool's origin]
// so a string carries at most 65535 bytes and a list at most 65535 entries (kMaxCompactField).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "warren/error.hpp"

namespace warren::proto {

inline constexpr uint32_t kMagic = 0x57524E31;
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 12;
inline constexpr uint32_t kDefaultMaxPayload = 64 * 1024;

// 4 and 5: the admin socket's request and response (admin_protocol.hpp).
enum class Kind : uint16_t { request = 1, response = 2, request_binary = 3, admin_request = 4, admin_response = 5 };

std::array<uint8_t, kHeaderSize> encode_header(Kind kind, uint32_t payload_len);
// Validates magic, version and the cap; returns the payload length. Expecting Kind::request also
// accepts Kind::request_binary (see header_kind).
Result<uint32_t> decode_header(const uint8_t* header, Kind expected, uint32_t max_payload);
Kind header_kind(const uint8_t* header);
std::string encode_frame(Kind kind, std::string_view payload);

enum class Op { add, del, check, gc, status, ping };
std::string_view op_name(Op op);
std::optional<Op> op_from_name(std::string_view name);

struct PodRef {
    std::string namespace_, name, uid;
    bool operator==(const PodRef&) const = default;
};

struct Attachment {
    std::string container_id, ifname;
    bool operator==(const Attachment&) const = default;
};

struct Request {
    Op op = Op::ping;
    std::string network;
    std::string container_id;
    std::string ifname;
    std::string netns;
    uint64_t netns_inode = 0;                  // of `netns`, as the plugin saw it; 0 = unknown
    uint64_t netns_cookie = 0;                 // SO_NETNS_COOKIE (never reused); 0 = unknown
    PodRef pod;
    std::optional<std::string> pool;           // agent pool name; absent = "default" unless ranges
    // A pool the pod asked for (args.cni.pool or runtimeConfig.pool), which zone rules may refuse;
    // `requested_pool_from` says where it came from ("args.cni.pool", "runtimeConfig.pool").
    std::optional<std::string> requested_pool;
    std::string requested_pool_from;
    std::optional<nlohmann::json> ranges;      // host-local "ranges" (drop-in mode), as given
    std::vector<std::string> ips;              // add: requested addresses; check: held addresses
    std::vector<Attachment> valid_attachments; // gc
};

struct IpResult {
    std::string address;  // CIDR form, "10.1.0.5/24"
    std::string gateway;  // empty when none
    bool operator==(const IpResult&) const = default;
};

struct Response {
    bool ok = false;
    Code code = Code::internal;  // meaningful when !ok
    std::string msg;
    std::string details;
    std::vector<IpResult> ips;

    static Response failure(const Error& e) {
        return Response{false, e.code, e.message, e.details, {}};
    }
};

std::string encode(const Request& r);
std::string encode(const Response& r);
Result<Request> decode_request(std::string_view payload);  // the JSON form
// The most bytes in a string, and entries in a list, of the compact form (a u16 length).
inline constexpr size_t kMaxCompactField = 0xffff;
// Names the first field of `r` the compact form cannot carry (Code::invalid_config): "request
// field 'containerId' is 70000 bytes; the compact form carries at most 65535".
Status check_compact_limits(const Request& r);
// Refuses what check_compact_limits() refuses; nothing is ever cut short.
Result<std::string> encode_binary(const Request& r);
// Errors (Code::decode) name the field whose length or count does not fit the payload, unknown
// flags, a non-zero reserved byte, trailing bytes; Code::incompatible_version another format.
Result<Request> decode_binary_request(std::string_view payload);
// Either form, by the frame's kind.
Result<Request> decode_request(Kind kind, std::string_view payload);
// What every decoded request must carry (a network name; a container ID for add/del/check).
Status check_request(const Request& r);
Result<Response> decode_response(std::string_view payload);

}  // namespace warren::proto
