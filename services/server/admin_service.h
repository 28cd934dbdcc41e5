// AdminService: probes and operations for operators (hotspot.v1.AdminService).
//
// Thread-safety: gRPC calls the handlers from its threads concurrently; they share no state.
#ifndef HOTSPOT_SERVICES_SERVER_ADMIN_SERVICE_H_
#define HOTSPOT_SERVICES_SERVER_ADMIN_SERVICE_H_

#include "hotspot/v1/admin_service.grpc.pb.h"

namespace hotspot::server {

// Ping payloads above this are INVALID_ARGUMENT.
inline constexpr size_t kMaxPingPayloadBytes = 1 << 20;

class AdminService final : public hotspot::v1::AdminService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const hotspot::v1::PingRequest* request,
                                 hotspot::v1::PingResponse* response) override;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_ADMIN_SERVICE_H_
