#pragma once
// Reading a command's "args" object: each getter returns the default when the arg is absent,
// and Code::invalid_config naming the command, the arg and what it must be otherwise.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "warren/error.hpp"
#include "warren/ip.hpp"

namespace warren::admin {

class Args {
  public:
    Args(std::string command, const nlohmann::json& args)
        : command_(std::move(command)), args_(args) {}

    Result<bool> boolean(const char* name, bool def) const;
    Result<std::optional<std::string>> string(const char* name) const;
    Result<std::string> required_string(const char* name) const;
    Result<std::optional<uint64_t>> count(const char* name, uint64_t min, uint64_t max) const;
    Result<IpAddress> address(const char* name) const;
    // Code::invalid_config "<command>: arg 'name' <what>".
    std::unexpected<Error> bad(const char* name, const std::string& what) const;

  private:
    const nlohmann::json* find(const char* name) const;
    std::string command_;
    const nlohmann::json& args_;
};

}  // namespace warren::admin
