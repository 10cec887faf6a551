#pragma once
// warrenctl's command line: global options (before or after the subcommand), the subcommand, its
// options and positional arguments, checked against the command table below. No I/O.
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warren::ctl {

struct OptionSpec {
    std::string_view name;   // "--pool"
    std::string_view value;  // placeholder ("P") when it takes a value; empty for a flag
    bool number = false;     // the value must be a non-negative integer
    std::string_view help;
};

struct CommandSpec {
    std::string_view name;
    std::string_view operands;  // "TARGET", "IP", "DIR", or empty
    size_t min_operands = 0, max_operands = 0;
    std::vector<OptionSpec> options;
    std::string_view summary;
};

// Every subcommand, in the order `warrenctl --help` lists them.
const std::vector<CommandSpec>& command_table();
const CommandSpec* find_command(std::string_view name);

struct Global {
    std::string admin_socket;  // --admin-socket; default kDefaultAdminSocket
    bool json = false;         // --json
    int timeout_ms = 30000;    // --timeout MS
    bool help = false;         // --help / -h (for the subcommand when one is named)
    bool version = false;      // --version
};

struct Invocation {
    Global global;
    std::string command;  // empty with --help or --version alone
    std::vector<std::string> operands;
    // Options given to the subcommand: "--pool" -> "P"; flags map to "".
    std::map<std::string, std::string, std::less<>> options;
    // Every subcommand option in the order given, repeats included (check-flags --from-args).
    std::vector<std::pair<std::string, std::string>> given;

    bool has(std::string_view option) const { return options.contains(option); }
    std::optional<std::string> value(std::string_view option) const;
    // A --number option's value (parse_args checked it).
    std::optional<uint64_t> number(std::string_view option) const;
    // Every value of a repeatable option, in order.
    std::vector<std::string> values(std::string_view option) const;
};

struct UsageError {
    std::string message;
    std::string command;  // whose usage to print; empty: the general usage
};

// `args` without argv[0]. "--opt=value" and "--opt value" both work; "--" ends the options.
std::expected<Invocation, UsageError> parse_args(std::span<const std::string_view> args);

// "usage: warrenctl [global options] list [--pool P] [--state S]" plus the options' help; the
// general usage (every command, the global options, the exit codes) for an empty name.
std::string usage(std::string_view command = {});

}  // namespace warren::ctl
