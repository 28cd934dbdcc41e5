// What the read side's handlers share: the input checks, paging over view rows, and how a case is
// presented to a caller. Internal to services/queries.
#ifndef HOTSPOT_SERVICES_QUERIES_QUERY_UTIL_H_
#define HOTSPOT_SERVICES_QUERIES_QUERY_UTIL_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "hotspot/v1/views.pb.h"
#include "services/domain/checks.h"
#include "services/projections/projector.h"
#include "services/projections/view_util.h"
#include "services/security/disclosures.h"
#include "services/security/policy.h"
#include "services/security/principal.h"
#include "services/security/sealer.h"
#include "store/status_macros.h"

namespace hotspot::queries {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// The input checks of the command side (services/domain/checks.h), so that both sides say the
// same of the same field.
using domain::CheckId;
using domain::Invalid;

inline absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0) return Invalid("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

// Page tokens are the sort key of the last item returned, opaque to clients.
inline std::string Token(absl::string_view key) { return absl::WebSafeBase64Escape(key); }

inline absl::StatusOr<std::string> FromToken(absl::string_view token) {
  std::string key;
  if (!token.empty() && !absl::WebSafeBase64Unescape(token, &key)) {
    return Invalid("page_token", "not a token this service gave");
  }
  return key;
}

// A list's page token: its view's name, the `scope` of its filters that the index does not say
// ("" if the index says them all; else ";"-prefixed), and the last index key of the page
// before, opaque to clients.
inline std::string IndexToken(absl::string_view view, absl::string_view key,
                              absl::string_view scope = "") {
  return Token(absl::StrCat(view, scope, "|", key));
}

// The index key after which the page of `token` starts ("" for the first page);
// INVALID_ARGUMENT naming page_token for a token that is not one of `view`'s index under
// `prefix` with the same `scope` (garbled, or given by another list, or for another area or
// other filters).
inline absl::StatusOr<std::string> FromIndexToken(absl::string_view token, absl::string_view view,
                                                  absl::string_view prefix,
                                                  absl::string_view scope = "") {
  if (token.empty()) return std::string();
  std::string key;
  const std::string head = absl::StrCat(view, scope, "|", prefix);
  const bool ours =
      absl::WebSafeBase64Unescape(token, &key) && absl::StartsWith(key, head) &&
      key.size() > head.size() && std::all_of(key.begin() + head.size(), key.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || absl::StrContains("_.:-/", c);
      });
  if (!ours) {
    return Invalid("page_token", "not a token this list gave (for the same area and filters)");
  }
  return key.substr(view.size() + scope.size() + 1);
}

// Fills a page from rows visited in order (key, serialised row): those `keep` accepts, at most
// `page_size` of them into `out`; a visit past a full page is one more, which ends the visits
// and names the next page (IndexToken of `view`, `scope` and the page's last key). Every row
// parsed is counted in `parsed` (if not null); one that does not parse ends the visits with
// `unreadable`.
template <typename Row>
struct PageFill {
  absl::string_view view, scope;
  const std::function<bool(Row&)>& keep;
  size_t page_size;
  google::protobuf::RepeatedPtrField<Row>* out;
  std::atomic<uint64_t>* parsed;
  std::string last_returned, next;
  absl::Status unreadable;

  bool operator()(absl::string_view key, absl::string_view value) {
    Row row;
    if (parsed != nullptr) parsed->fetch_add(1, std::memory_order_relaxed);
    if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      unreadable = absl::DataLossError(absl::StrCat("the row of ", key, " is unreadable"));
      return false;
    }
    if (!keep(row)) return true;
    if (static_cast<size_t>(out->size()) == page_size) {  // one more: there is a next page
      next = IndexToken(view, last_returned, scope);
      return false;
    }
    *out->Add() = std::move(row);
    last_returned = std::string(key);
    return true;
  }
};

// A page of a list read through an index of `view` (Projector::ScanIndex): the rows the index
// rows under `prefix` after `after` (FromIndexToken) and up to `last` ("": no bound) stand for
// (`row_key` of the id each ends in), those `keep` accepts, at most `page_size` of them into
// `out`. Reads one more than the page to know if there is another, and no further. Returns the
// next page's token (IndexToken with `scope`), "" on the last page. Every row parsed is counted
// in `parsed` (if not null).
template <typename Row>
absl::StatusOr<std::string> IndexPage(const projections::Projector& views, absl::string_view view,
                                      absl::string_view prefix, absl::string_view after,
                                      absl::string_view last,
                                      std::string (*row_key)(absl::string_view),
                                      const std::function<bool(Row&)>& keep, size_t page_size,
                                      google::protobuf::RepeatedPtrField<Row>* out,
                                      std::atomic<uint64_t>* parsed, absl::string_view scope = "") {
  PageFill<Row> fill{view, scope, keep, page_size, out, parsed};
  RETURN_IF_ERROR(views.ScanIndex(
      view, prefix, after, last,
      [row_key](absl::string_view key) { return row_key(projections::IdOfIndexKey(key)); },
      std::ref(fill)));
  RETURN_IF_ERROR(fill.unreadable);
  return fill.next;
}

// A page of the rows of `view` themselves under `prefix` (keyed in the list's order), after
// `after` (FromIndexToken): IndexPage without an index.
template <typename Row>
absl::StatusOr<std::string> RowPage(const projections::Projector& views, absl::string_view view,
                                    absl::string_view prefix, absl::string_view after,
                                    const std::function<bool(Row&)>& keep, size_t page_size,
                                    google::protobuf::RepeatedPtrField<Row>* out,
                                    std::atomic<uint64_t>* parsed) {
  PageFill<Row> fill{view, "", keep, page_size, out, parsed};
  RETURN_IF_ERROR(views.Scan(
      view, prefix,
      [&](absl::string_view key, absl::string_view value) {
        return (!after.empty() && key <= after) || fill(key, value);
      },
      after));
  RETURN_IF_ERROR(fill.unreadable);
  return fill.next;
}

// Each row the index rows under `prefix` stand for, in their order, after `after` and up to
// `last` if given, handed to `visit` one at a time: IndexPage without paging that keeps none, so
// that an aggregate over many rows (a dashboard's period) holds one row, not all of them.
template <typename Row>
absl::Status ForEachIndexedRow(const projections::Projector& views, absl::string_view view,
                               absl::string_view prefix, std::string (*row_key)(absl::string_view),
                               std::atomic<uint64_t>* parsed,
                               const std::function<void(Row&)>& visit, absl::string_view after = "",
                               absl::string_view last = "") {
  google::protobuf::RepeatedPtrField<Row> none;
  return IndexPage<Row>(
             views, view, prefix, after, last, row_key,
             [&](Row& row) {
               visit(row);
               return false;
             },
             SIZE_MAX, &none, parsed)
      .status();
}

// Every row the index rows under `prefix` stand for, in their order (IndexPage without paging),
// after `after` and up to `last` if given. For indexes of few rows (an area's agencies); an
// aggregate over many visits them (ForEachIndexedRow).
template <typename Row>
absl::StatusOr<google::protobuf::RepeatedPtrField<Row>> IndexedRows(
    const projections::Projector& views, absl::string_view view, absl::string_view prefix,
    std::string (*row_key)(absl::string_view), std::atomic<uint64_t>* parsed,
    absl::string_view after = "", absl::string_view last = "") {
  google::protobuf::RepeatedPtrField<Row> rows;
  RETURN_IF_ERROR(IndexPage<Row>(
                      views, view, prefix, after, last, row_key, [](Row&) { return true; },
                      SIZE_MAX, &rows, parsed)
                      .status());
  return rows;
}

// How many index rows of `view` are under `prefix`, after `after` and up to `last` if given,
// counting no further than `at_most`: their keys only, no row parsed.
inline absl::StatusOr<int64_t> CountIndexRows(const projections::Projector& views,
                                              absl::string_view view, absl::string_view prefix,
                                              absl::string_view after = "",
                                              absl::string_view last = "",
                                              int64_t at_most = INT64_MAX) {
  int64_t count = 0;
  RETURN_IF_ERROR(views.Scan(
      view, prefix,
      [&](absl::string_view key, absl::string_view) {
        if (!after.empty() && key <= after) return true;
        if (!last.empty() && key > last) return false;
        return ++count < at_most;
      },
      after));
  return count;
}

// Rows of `view` under `prefix` that `keep` accepts, by the sort key it returns (empty: skip),
// after `after`. Reads every row under `prefix`: for rows no index orders as they are wanted.
template <typename Row>
absl::StatusOr<std::map<std::string, Row>> Collect(const projections::Projector& views,
                                                   absl::string_view view, absl::string_view prefix,
                                                   absl::string_view after,
                                                   const std::function<std::string(Row&)>& keep) {
  std::map<std::string, Row> matches;
  RETURN_IF_ERROR(projections::ScanRows<Row>(views, view, prefix, [&](absl::string_view, Row& row) {
    std::string sort = keep(row);
    if (sort.empty() || (!after.empty() && sort <= after)) return true;
    matches.emplace(std::move(sort), std::move(row));
    return true;
  }));
  return matches;
}

// The row `key` of `view` in the live views; nullopt if there is none; DATA_LOSS if unreadable.
template <typename Row>
absl::StatusOr<std::optional<Row>> LoadRow(const projections::Projector& views,
                                           absl::string_view view, const std::string& key) {
  ASSIGN_OR_RETURN(const std::optional<std::string> row, views.Get(view, key));
  if (!row.has_value()) return std::nullopt;
  Row parsed;
  if (!parsed.ParseFromString(*row)) {
    return absl::DataLossError(absl::StrCat("the row ", key, " of ", view, " is unreadable"));
  }
  return parsed;
}

// The case row of `youth_id` in the live view; nullopt if there is none.
absl::StatusOr<std::optional<v1::CaseView>> LoadCaseRow(const projections::Projector& views,
                                                        absl::string_view youth_id);

// The same row with its `youth_id` and `area_id` alone, read from the row's wire form without
// parsing the rest: a case's row grows with its history, and a check of who may read the case
// needs no more. nullopt if there is none; DATA_LOSS if unreadable.
absl::StatusOr<std::optional<v1::CaseView>> LoadCaseHead(const projections::Projector& views,
                                                         absl::string_view youth_id);

// What `who` is told of `youth_id`'s case as loaded (`view`; nullopt: it has none) before the
// read's own policy speaks: to anyone who may not learn of a case of its area
// (security::MayLearnOfCaseIn; for a youth with no case, of no area), the refusal
// security::RefuseOutsideCase(), the same for a youth of another area as for one with no case;
// NOT_FOUND for a youth with no case to one who may (an auditor of every area); else OK.
absl::Status CaseFor(const security::Principal& who, absl::string_view youth_id,
                     const std::optional<v1::CaseView>& view);

// The area of `youth_id`'s case in the live view; "" if it has none.
inline absl::StatusOr<std::string> AreaOfCase(const projections::Projector& views,
                                              absl::string_view youth_id) {
  ASSIGN_OR_RETURN(const std::optional<v1::CaseView> view, LoadCaseHead(views, youth_id));
  return view.has_value() ? view->area_id() : std::string();
}

// A case as its reader sees it: personal data unsealed if `allowed` (withheld otherwise), and
// the fields that depend on today's date (overdue commitments, the 18th birthday).
// Each shared concern's text, categories and necessity only if `who` may read it too (the
// policy's MaySeeConcern; a null `who` reads everything, as an auditor does). The youth is noted
// in `shown`.
absl::Status PresentCase(v1::CaseView* view, bool allowed, security::Sealer& sealer,
                         absl::CivilDay today, security::Disclosures& shown,
                         const security::Principal* who = nullptr);

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_QUERY_UTIL_H_
