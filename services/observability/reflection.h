// gRPC server reflection, versions v1 (grpc.reflection.v1.ServerReflection) and v1alpha (the
// same messages under grpc.reflection.v1alpha, for older clients), over the descriptors
// compiled into the process: hotspot.v1's, and grpc.health.v1's, which gRPC's own health
// service lacks. With them `buf curl`, grpcurl and Postman list, describe and call every served
// service without a copy of the protos.
//
// Answers: list_services (the names given, with both reflection services);
// file_by_filename, file_containing_symbol and file_containing_extension (the file with every
// file it imports, transitively, as serialized FileDescriptorProtos);
// all_extension_numbers_of_type. An unknown name answers an error_response NOT_FOUND, a request
// with none of these INVALID_ARGUMENT; the stream goes on either way.
//
// At the server's shutdown a stream ends UNAVAILABLE ("the server is shutting down; ...") at
// once, whatever is in flight: through the end each stream registers (RegisterEnd).
//
// Thread-safety: the services are stateless apart from their list; each stream has one read
// or one write in flight.
#ifndef HOTSPOT_SERVICES_OBSERVABILITY_REFLECTION_H_
#define HOTSPOT_SERVICES_OBSERVABILITY_REFLECTION_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpc/grpc.h"
#include "grpcpp/impl/service_type.h"

namespace hotspot::observability {

// How a stream registers the way it ends at the server's shutdown (rpc::EndsAtClose, which this
// library does not name): called with the stream's call and its end (which finishes it unless it
// has ended, and may run after the stream is gone); what it returns is held while the stream
// lives.
using RegisterEnd =
    std::function<std::shared_ptr<void>(grpc_call* call, std::function<void()> end)>;

// The two reflection services (v1, then v1alpha), listing `services` (full names, such as
// "hotspot.v1.QueryService") and themselves; each stream registers its end with `register_end`
// (null: none). Register both before the server starts; they must outlive it.
std::vector<std::unique_ptr<grpc::Service>> ReflectionServices(std::vector<std::string> services,
                                                               RegisterEnd register_end = nullptr);

}  // namespace hotspot::observability

#endif  // HOTSPOT_SERVICES_OBSERVABILITY_REFLECTION_H_
