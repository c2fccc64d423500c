#include "benchmarks/dashed_flags.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/flags/parse.h"

namespace neobridge::bench {

void ParseDashedCommandLine(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::vector<char*> arg_ptrs;
  for (std::string& arg : args) {
    if (arg.rfind("--", 0) == 0) {
      const size_t end = std::min(arg.find('='), arg.size());
      std::replace(arg.begin() + 2, arg.begin() + end, '-', '_');
    }
    arg_ptrs.push_back(arg.data());
  }
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
}

}  // namespace neobridge::bench
