// Rows: the key-value rows of one view, as a projection reads and writes them while it applies
// events. The same view code runs over RocksDB (the live view, see Projector) and over memory
// (a view built up to a position, for as-of questions), so the two can never disagree.
//
// Thread-safety: a Rows belongs to one thread at a time.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace hotspot::projections {

class Rows {
 public:
  virtual ~Rows() = default;
  // The row's value, with this batch's own writes applied; nullopt if there is none.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) = 0;
  virtual void Put(absl::string_view key, absl::string_view value) = 0;
  virtual void Delete(absl::string_view key) = 0;
};

// Rows in memory, ordered by key.
class MemoryRows final : public Rows {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void Put(absl::string_view key, absl::string_view value) override {
    rows_[std::string(key)] = std::string(value);
  }
  void Delete(absl::string_view key) override { rows_.erase(std::string(key)); }
  const std::map<std::string, std::string>& rows() const { return rows_; }

 private:
  std::map<std::string, std::string> rows_;
};

// A row holding a proto message: false if there is none. DATA_LOSS if it does not parse.
template <typename Message>
absl::StatusOr<bool> GetRow(Rows& rows, absl::string_view key, Message* out) {
  auto value = rows.Get(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return false;
  if (!out->ParseFromString(**value)) {
    return absl::DataLossError(
        absl::StrCat("view row ", key, " is not a ", out->GetDescriptor()->full_name()));
  }
  return true;
}

inline void PutRow(Rows& rows, absl::string_view key, const google::protobuf::Message& message) {
  rows.Put(key, message.SerializeAsString());
}

// Reads the row at `key`, lets `change` edit it, and writes it back; a missing row is left
// alone. DATA_LOSS if it does not parse.
template <typename Message, typename Fn>
absl::Status UpdateRow(Rows& rows, absl::string_view key, Fn change) {
  Message row;
  absl::StatusOr<bool> found = GetRow(rows, key, &row);
  if (!found.ok()) return found.status();
  if (!*found) return absl::OkStatus();
  change(row);
  PutRow(rows, key, row);
  return absl::OkStatus();
}

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_
