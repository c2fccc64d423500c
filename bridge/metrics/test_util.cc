#include "bridge/metrics/test_util.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace neobridge::metrics::testing {

std::optional<double> SampleValue(absl::string_view text,
                                  absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() <= series.size() + 1 ||
        line.substr(0, series.size()) != series || line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return std::nullopt;
}

}  // namespace neobridge::metrics::testing
