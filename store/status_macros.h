// RETURN_IF_ERROR and ASSIGN_OR_RETURN: abseil 20220623 has none of its own.
//
//   RETURN_IF_ERROR(DoThing());                 // returns the status if not OK
//   ASSIGN_OR_RETURN(auto value, MakeValue());  // declares `value` or returns the status
#ifndef HOTSPOT_STORE_STATUS_MACROS_H_
#define HOTSPOT_STORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HOTSPOT_STATUS_CONCAT_INNER_(a, b) a##b
#define HOTSPOT_STATUS_CONCAT_(a, b) HOTSPOT_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                                                 \
  do {                                                                                        \
    if (absl::Status hotspot_status_ = (expr); !hotspot_status_.ok()) return hotspot_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  HOTSPOT_ASSIGN_OR_RETURN_IMPL_(HOTSPOT_STATUS_CONCAT_(hotspot_statusor_, __LINE__), lhs, expr)

#define HOTSPOT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // HOTSPOT_STORE_STATUS_MACROS_H_
