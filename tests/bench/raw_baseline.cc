#include "tests/bench/raw_baseline.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "raw_baseline.grpc.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "store/memory_budget.h"
#include "store/record_codec.h"

namespace hotspot::bench {
namespace {

// As hotspotd's Subscribe: a response is sent once it holds this many bytes.
constexpr size_t kMaxResponseBytes = 1 << 20;

class Service final : public RawBaseline::Service {
 public:
  Service(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) : db_(db), log_(log) {}

  grpc::Status History(grpc::ServerContext*, const RawReadRequest* request,
                       grpc::ServerWriter<RawBatch>* writer) override {
    std::vector<std::string> keys;
    keys.reserve(request->positions_size());
    for (uint64_t position : request->positions()) keys.push_back(store::internal::LogKey(position));
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), log_, slices.size(), slices.data(), values.data(),
                  statuses.data());
    const size_t batch = std::max<uint32_t>(request->max_batch(), 1);
    RawBatch out;
    for (size_t i = 0; i < values.size(); ++i) {
      if (!statuses[i].ok()) return grpc::Status(grpc::StatusCode::DATA_LOSS, statuses[i].ToString());
      out.add_records(values[i].data(), values[i].size());
      if (static_cast<size_t>(out.records_size()) == batch || i + 1 == values.size()) {
        if (!writer->Write(out)) return grpc::Status(grpc::StatusCode::CANCELLED, "gone");
        out.Clear();
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status CatchUp(grpc::ServerContext*, const RawReadRequest* request,
                       grpc::ServerWriter<RawBatch>* writer) override {
    const size_t batch = std::max<uint32_t>(request->max_batch(), 1);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
    RawBatch out;
    size_t bytes = 0;
    for (it->Seek(store::internal::LogKey(std::max<uint64_t>(request->from_position(), 1)));
         it->Valid(); it->Next()) {
      out.add_records(it->value().data(), it->value().size());
      bytes += it->value().size();
      if (static_cast<size_t>(out.records_size()) == batch || bytes >= kMaxResponseBytes) {
        if (!writer->Write(out)) return grpc::Status(grpc::StatusCode::CANCELLED, "gone");
        out.Clear();
        bytes = 0;
      }
    }
    if (!it->status().ok()) return grpc::Status(grpc::StatusCode::DATA_LOSS, it->status().ToString());
    if (out.records_size() > 0 && !writer->Write(out)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "gone");
    }
    return grpc::Status::OK;
  }

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const log_;
};

}  // namespace

struct RawBaselineServer::Impl {
  std::shared_ptr<store::MemoryBudget> memory;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;

  ~Impl() {
    if (server != nullptr) server->Shutdown();
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  }
};

RawBaselineServer::RawBaselineServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawBaselineServer::~RawBaselineServer() = default;
const std::string& RawBaselineServer::address() const { return impl_->address; }

absl::StatusOr<std::unique_ptr<RawBaselineServer>> RawBaselineServer::Start(
    const std::string& events_dir, const std::string& scratch_dir) {
  auto impl = std::make_unique<Impl>();
  // The cache and table settings hotspotd's event store reads with by default.
  impl->memory = store::MemoryBudget::Create(store::MemoryBudget::Options());
  rocksdb::DBOptions db_options;
  db_options.max_open_files = -1;  // what a secondary instance requires
  impl->memory->ApplyTo(db_options);
  rocksdb::ColumnFamilyOptions family;
  impl->memory->ApplyTo(family);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::OpenAsSecondary(
      db_options, events_dir, scratch_dir,
      {{rocksdb::kDefaultColumnFamilyName, family}, {"log", family}}, &impl->handles, &raw);
  if (!opened.ok()) {
    return absl::InternalError(absl::StrCat("raw baseline: opening ", events_dir, ": ",
                                            opened.ToString()));
  }
  impl->db.reset(raw);
  if (rocksdb::Status caught = impl->db->TryCatchUpWithPrimary(); !caught.ok()) {
    return absl::InternalError(absl::StrCat("raw baseline: catching up: ", caught.ToString()));
  }
  impl->service = std::make_unique<Service>(impl->db.get(), impl->handles[1]);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    return absl::InternalError("raw baseline: the gRPC server did not start");
  }
  impl->address = absl::StrCat("127.0.0.1:", port);
  return std::unique_ptr<RawBaselineServer>(new RawBaselineServer(std::move(impl)));
}

}  // namespace hotspot::bench
