// Rows: the key-value rows of one view, as a projection reads and writes them while it applies
// events. The same view code runs over RocksDB (the live view, see Projector) and over memory
// (a view built up to a position, for as-of questions), so the two can never disagree.
//
// Thread-safety: a Rows belongs to one thread at a time.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_ROWS_H_

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"

namespace hotspot::projections {

// The keys of the index rows a row of `Message` stands under (see Rows::Replace): a function of
// the row alone. Index rows are keys with empty values.
template <typename Message>
using IndexKeys = std::vector<std::string> (*)(const Message&);

// A view's rows. Rows read or written as messages (GetRow, PutRow, UpdateRow) stay decoded
// until Flush(), so a row changed by many events of a batch is parsed and serialised once; and a
// row written with its index (Replace, Edit with IndexKeys) moves its index rows once, at
// Flush(), from the ones it stood under when first read to the ones it stands under then.
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
  // Writes or deletes a row as bytes. A row decoded with its index loses its index rows.
  void Put(absl::string_view key, absl::string_view value) {
    Forget(key);
    Store(key, value);
  }
  void Delete(absl::string_view key) {
    Forget(key);
    Erase(key);
  }

  // The row at `key` decoded as `Message`, to read; nullptr if there is none. DATA_LOSS if it
  // does not parse.
  template <typename Message>
  absl::StatusOr<const Message*> Find(absl::string_view key) {
    absl::StatusOr<Decoded*> found = Decode(key, Message::default_instance());
    if (!found.ok()) return found.status();
    return static_cast<const Message*>((*found)->row);
  }

  // The same, to change in place: the change is written at Flush(). A row indexed by `index`
  // moves its index rows then, from the ones it stood under when first read in this batch to
  // the ones it stands under.
  template <typename Message>
  absl::StatusOr<Message*> Edit(absl::string_view key, IndexKeys<Message> index = nullptr) {
    absl::StatusOr<Decoded*> found = DecodeIndexed(key, Message::default_instance(), index);
    if (!found.ok()) return found.status();
    (*found)->dirty = (*found)->row != nullptr;
    return static_cast<Message*>((*found)->row);
  }

  // Replaces the row at `key` with `row` (written at Flush()).
  template <typename Message>
  void Set(absl::string_view key, Message row) {
    Decoded& entry = decoded_[key];
    entry.row = OnArena(std::move(row));
    entry.dirty = true;
  }

  // Set() of a row indexed by `index` (see Edit), in place of the row there, if any. DATA_LOSS if
  // the stored row does not parse.
  template <typename Message>
  absl::Status Replace(absl::string_view key, Message row, IndexKeys<Message> index) {
    absl::StatusOr<Decoded*> found = DecodeIndexed(key, Message::default_instance(), index);
    if (!found.ok()) return found.status();
    (*found)->row = OnArena(std::move(row));
    (*found)->dirty = true;
    return absl::OkStatus();
  }

  // Writes every row changed through Edit(), Set() or Replace(), moves the index rows of the
  // indexed ones, and forgets the decoded rows.
  void Flush() {
    flushing_ = true;
    std::string bytes;
    for (const auto& [key, entry] : decoded_) {
      if (!entry.dirty) continue;
      bytes.clear();
      entry.row->AppendToString(&bytes);
      Store(key, bytes);
      if (entry.index) MoveIndexRows(entry.indexed, entry.index(*entry.row));
    }
    decoded_.clear();
    arena_.Reset();
    flushing_ = false;
  }

 protected:
  // True while Flush() writes the decoded rows back: no read of the batch follows them.
  bool flushing() const { return flushing_; }

  virtual absl::StatusOr<std::optional<std::string>> Load(absl::string_view key) = 0;
  virtual void Store(absl::string_view key, absl::string_view value) = 0;
  virtual void Erase(absl::string_view key) = 0;

 private:
  using IndexOf = std::function<std::vector<std::string>(const google::protobuf::Message&)>;
  struct Decoded {
    google::protobuf::Message* row = nullptr;  // on arena_; nullptr: there is no such row
    bool dirty = false;                              // changed since it was loaded
    IndexOf index;                     // the row's index keys; empty: not indexed
    std::vector<std::string> indexed;  // with `index`: the index rows it stands under, stored
  };

  // Deletes the index rows `before` that are not in `after`, writes those of `after` that are
  // not in `before`.
  void MoveIndexRows(const std::vector<std::string>& before,
                     const std::vector<std::string>& after) {
    for (const std::string& key : before) {
      if (std::find(after.begin(), after.end(), key) == after.end()) Erase(key);
    }
    for (const std::string& key : after) {
      if (std::find(before.begin(), before.end(), key) == before.end()) Store(key, "");
    }
  }

  // Drops the decoded row at `key`, deleting its index rows if it was indexed.
  void Forget(absl::string_view key) {
    auto it = decoded_.find(key);
    if (it == decoded_.end()) return;
    if (it->second.index) MoveIndexRows(it->second.indexed, {});
    decoded_.erase(it);
  }

  // Decode() that learns the row's index (unless `index` is null): the index rows it stands
  // under as stored, from the row as decoded, or (if the batch changed it before its index was
  // given) as stored.
  template <typename Message>
  absl::StatusOr<Decoded*> DecodeIndexed(absl::string_view key, const Message& type,
                                         IndexKeys<Message> index) {
    absl::StatusOr<Decoded*> found = Decode(key, type);
    if (!found.ok() || index == nullptr || (*found)->index) return found;
    Decoded& entry = **found;
    entry.index = [index](const google::protobuf::Message& row) {
      return index(static_cast<const Message&>(row));
    };
    if (!entry.dirty) {
      if (entry.row != nullptr) entry.indexed = entry.index(*entry.row);
      return &entry;
    }
    absl::StatusOr<std::optional<std::string>> stored = Load(key);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      Message was;
      if (!was.ParseFromString(**stored)) {
        return absl::DataLossError(
            absl::StrCat("view row ", key, " is not a ", type.GetDescriptor()->full_name()));
      }
      entry.indexed = index(was);
    }
    return &entry;
  }

  absl::StatusOr<Decoded*> Decode(absl::string_view key, const google::protobuf::Message& type) {
    auto it = decoded_.find(key);
    if (it == decoded_.end()) {
      absl::StatusOr<std::optional<std::string>> value = Load(key);
      if (!value.ok()) return value.status();
      Decoded entry;
      if (value->has_value()) {
        entry.row = type.New(&arena_);
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

  template <typename Message>
  Message* OnArena(Message row) {
    Message* on_arena = google::protobuf::Arena::CreateMessage<Message>(&arena_);
    *on_arena = std::move(row);  // a copy: `row` is not on the arena
    return on_arena;
  }

  // Blocks of 4 to 64 KiB: below glibc's mmap threshold (hotspotd's --malloc_mmap_threshold_kb,
  // 128), so that a batch's rows do not map and unmap memory at every write.
  static google::protobuf::ArenaOptions RowArena() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 4 << 10;
    options.max_block_size = 64 << 10;
    return options;
  }

  // The decoded rows since the last Flush(), and the arena their messages are on.
  google::protobuf::Arena arena_{RowArena()};
  absl::flat_hash_map<std::string, Decoded> decoded_;
  bool flushing_ = false;
};

// Rows in memory, ordered by key.
class MemoryRows : public Rows {
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
