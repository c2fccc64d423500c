// ListTasks ordering: sort fields, directions and the comparable sort key.
#ifndef NEO_EMULATOR_SORTING_H_
#define NEO_EMULATOR_SORTING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"

namespace neo_emulator {

enum class SortField { kLastEvent, kCreated, kStatus, kName, kTokensUsed };
enum class SortDirection { kAsc, kDesc };

// Wire names: lastEvent, created, status, name, tokensUsed / asc, desc.
absl::string_view SortFieldName(SortField field);
std::optional<SortField> ParseSortField(absl::string_view name);
absl::string_view SortDirectionName(SortDirection direction);
std::optional<SortDirection> ParseSortDirection(absl::string_view name);

// Comma-separated allowed values, for error messages.
inline constexpr absl::string_view kSortFieldValues =
    "lastEvent, created, status, name, tokensUsed";
inline constexpr absl::string_view kSortDirectionValues = "asc, desc";

// The primary sort value of one task: microseconds (lastEvent, created),
// a rank (status: running=0 < idle=1), a count (tokensUsed) or a string
// (name, compared bytewise).
using SortValue = std::variant<int64_t, std::string>;

// A total order position: primary value, then the task's creation sequence
// number as the tiebreak (unique per task).
struct SortKey {
  SortValue value;
  uint64_t seq = 0;
};

// True when `a` comes strictly before `b` in `direction` (the tiebreak
// follows the same direction).
bool ComesBefore(const SortKey& a, const SortKey& b, SortDirection direction);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_SORTING_H_
