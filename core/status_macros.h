// Status propagation helpers. abseil 20220623 (Debian bookworm) ships no status
// macros, so tagwire defines its own two.
#ifndef TAGWIRE_CORE_STATUS_MACROS_H_
#define TAGWIRE_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TAGWIRE_CONCAT_INNER_(a, b) a##b
#define TAGWIRE_CONCAT_(a, b) TAGWIRE_CONCAT_INNER_(a, b)

// Returns `expr`'s status from the current function if it is not OK.
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    ::absl::Status tagwire_status_ = (expr);    \
    if (!tagwire_status_.ok()) return tagwire_status_; \
  } while (false)

// Evaluates `rexpr` (a StatusOr<T>); returns its status if not OK, otherwise
// moves the value into `lhs` (which may be a declaration: `auto x`).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(TAGWIRE_CONCAT_(tagwire_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // TAGWIRE_CORE_STATUS_MACROS_H_
