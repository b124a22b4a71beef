// Owning handles for Hyperscan objects: every hs_* allocation lives in a
// unique_ptr with the matching free function.
#ifndef TAGWIRE_CORE_HYPERSCAN_HANDLES_H_
#define TAGWIRE_CORE_HYPERSCAN_HANDLES_H_

#include <hs/hs.h>

#include <memory>

namespace tagwire {

struct DatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* scratch) const { hs_free_scratch(scratch); }
};
struct CompileErrorDeleter {
  void operator()(hs_compile_error_t* error) const { hs_free_compile_error(error); }
};

using DatabasePtr = std::unique_ptr<hs_database_t, DatabaseDeleter>;
using ScratchPtr = std::unique_ptr<hs_scratch_t, ScratchDeleter>;
using CompileErrorPtr = std::unique_ptr<hs_compile_error_t, CompileErrorDeleter>;

}  // namespace tagwire

#endif  // TAGWIRE_CORE_HYPERSCAN_HANDLES_H_
