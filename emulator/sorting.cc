#include "emulator/sorting.h"

#include <tuple>

namespace neo_emulator {

absl::string_view SortFieldName(SortField field) {
  switch (field) {
    case SortField::kLastEvent:
      return "lastEvent";
    case SortField::kCreated:
      return "created";
    case SortField::kStatus:
      return "status";
    case SortField::kName:
      return "name";
    case SortField::kTokensUsed:
      return "tokensUsed";
  }
  return "lastEvent";
}

std::optional<SortField> ParseSortField(absl::string_view name) {
  for (SortField field :
       {SortField::kLastEvent, SortField::kCreated, SortField::kStatus,
        SortField::kName, SortField::kTokensUsed}) {
    if (SortFieldName(field) == name) return field;
  }
  return std::nullopt;
}

absl::string_view SortDirectionName(SortDirection direction) {
  return direction == SortDirection::kAsc ? "asc" : "desc";
}

std::optional<SortDirection> ParseSortDirection(absl::string_view name) {
  if (name == "asc") return SortDirection::kAsc;
  if (name == "desc") return SortDirection::kDesc;
  return std::nullopt;
}

bool ComesBefore(const SortKey& a, const SortKey& b, SortDirection direction) {
  const auto left = std::tie(a.value, a.seq);
  const auto right = std::tie(b.value, b.seq);
  return direction == SortDirection::kAsc ? left < right : right < left;
}

}  // namespace neo_emulator
