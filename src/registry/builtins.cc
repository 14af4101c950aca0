// The built-in processors. Registered explicitly (not by static initializers) so that linking
// the static library never drops one.
#include "counter/counter.h"
#include "null_sink/null_sink.h"
#include "sequence_source/sequence_source.h"
#include "streamlib/registry.h"

namespace streamlib {

void register_builtin_processors(ProcessorFactory& factory) {
  (void)factory.register_type<Counter>();
  (void)factory.register_type<NullSink>();
  (void)factory.register_type<SequenceSource>();
}

}  // namespace streamlib
