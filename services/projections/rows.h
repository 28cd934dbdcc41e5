// Rows: the key-value rows of one view, as a projection reads and writes them while it applies
// events. The same view code runs over RocksDB (the live view, see Projector) and over memory
// (a view built up to a position, for as-of questions), so the two can never disagree.
//
// Thread-safety: a Rows belongs to one thread at a time.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace hotspot::projections {

// A view's rows. Rows read or written as messages (GetRow, PutRow, UpdateRow) stay decoded
// until Flush(), so a row changed by many events of a batch is parsed and serialised once.
class Rows {
 public:
  virtual ~Rows() = default;

  // The row's value, with this batch's own writes applied; nullopt if there is none.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) {
    if (auto it = decoded_.find(key); it != decoded_.end()) {
      if (it->second.row == nullptr) return std::nullopt;
      return it->second.row->SerializeAsString();
    }
    return Load(key);
  }
  void Put(absl::string_view key, absl::string_view value) {
    decoded_.erase(key);
    Store(key, value);
  }
  void Delete(absl::string_view key) {
    decoded_.erase(key);
    Erase(key);
  }

  // The row at `key` decoded as `Message`, to read; nullptr if there is none. DATA_LOSS if it
  // does not parse.
  template <typename Message>
  absl::StatusOr<const Message*> Find(absl::string_view key) {
    absl::StatusOr<Decoded*> found = Decode(key, Message::default_instance());
    if (!found.ok()) return found.status();
    return static_cast<const Message*>((*found)->row.get());
  }

  // The same, to change in place: the change is written at Flush().
  template <typename Message>
  absl::StatusOr<Message*> Edit(absl::string_view key) {
    absl::StatusOr<Decoded*> found = Decode(key, Message::default_instance());
    if (!found.ok()) return found.status();
    (*found)->dirty = (*found)->row != nullptr;
    return static_cast<Message*>((*found)->row.get());
  }

  // Replaces the row at `key` with `row` (written at Flush()).
  template <typename Message>
  void Set(absl::string_view key, Message row) {
    Decoded& entry = decoded_[key];
    entry.row = std::make_unique<Message>(std::move(row));
    entry.dirty = true;
  }

  // Writes every row changed through Edit() or Set() and forgets the decoded rows.
  void Flush() {
    for (const auto& [key, entry] : decoded_) {
      if (entry.dirty) Store(key, entry.row->SerializeAsString());
    }
    decoded_.clear();
  }

 protected:
  virtual absl::StatusOr<std::optional<std::string>> Load(absl::string_view key) = 0;
  virtual void Store(absl::string_view key, absl::string_view value) = 0;
  virtual void Erase(absl::string_view key) = 0;

 private:
  struct Decoded {
    std::unique_ptr<google::protobuf::Message> row;  // nullptr: there is no such row
    bool dirty = false;                              // changed since it was loaded
  };

  absl::StatusOr<Decoded*> Decode(absl::string_view key, const google::protobuf::Message& type) {
    auto it = decoded_.find(key);
    if (it == decoded_.end()) {
      absl::StatusOr<std::optional<std::string>> value = Load(key);
      if (!value.ok()) return value.status();
      Decoded entry;
      if (value->has_value()) {
        entry.row.reset(type.New());
        if (!entry.row->ParseFromString(**value)) {
          return absl::DataLossError(
              absl::StrCat("view row ", key, " is not a ", type.GetDescriptor()->full_name()));
        }
      }
      it = decoded_.emplace(std::string(key), std::move(entry)).first;
    }
    Decoded& entry = it->second;
    if (entry.row != nullptr && entry.row->GetDescriptor() != type.GetDescriptor()) {
      return absl::InternalError(absl::StrCat("view row ", key, " is a ",
                                              entry.row->GetDescriptor()->full_name(), ", not a ",
                                              type.GetDescriptor()->full_name()));
    }
    return &entry;
  }

  absl::flat_hash_map<std::string, Decoded> decoded_;  // rows decoded since the last Flush()
};

// Rows in memory, ordered by key.
class MemoryRows final : public Rows {
 public:
  // Every row (Flush() first if rows were changed as messages since).
  const std::map<std::string, std::string>& rows() const { return rows_; }

 protected:
  absl::StatusOr<std::optional<std::string>> Load(absl::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void Store(absl::string_view key, absl::string_view value) override {
    rows_[std::string(key)] = std::string(value);
  }
  void Erase(absl::string_view key) override { rows_.erase(std::string(key)); }

 private:
  std::map<std::string, std::string> rows_;
};

// A row holding a proto message, copied into `out`: false if there is none. DATA_LOSS if it
// does not parse.
template <typename Message>
absl::StatusOr<bool> GetRow(Rows& rows, absl::string_view key, Message* out) {
  absl::StatusOr<const Message*> row = rows.Find<Message>(key);
  if (!row.ok()) return row.status();
  if (*row == nullptr) return false;
  *out = **row;
  return true;
}

template <typename Message>
void PutRow(Rows& rows, absl::string_view key, Message message) {
  rows.Set(key, std::move(message));
}

// Lets `change` edit the row at `key` in place; a missing row is left alone. DATA_LOSS if it
// does not parse.
template <typename Message, typename Fn>
absl::Status UpdateRow(Rows& rows, absl::string_view key, Fn change) {
  absl::StatusOr<Message*> row = rows.Edit<Message>(key);
  if (!row.ok()) return row.status();
  if (*row != nullptr) change(**row);
  return absl::OkStatus();
}

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_
