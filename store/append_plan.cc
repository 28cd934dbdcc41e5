#include "store/append_plan.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "store/status_macros.h"

namespace hotspot::store::internal {
namespace {

bool IsTypeChar(char c) { return IsStreamChar(c) && c != '-' && c != ':'; }

absl::Status ValidateName(absl::string_view field, absl::string_view value, size_t max_bytes,
                          bool (*allowed)(char), absl::string_view allowed_text) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value.size(), " bytes, at most ", max_bytes, " allowed"));
  }
  for (char c : value) {
    if (!allowed(c)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": character 0x",
                                                     absl::Hex(static_cast<uint8_t>(c)),
                                                     " is not allowed (", allowed_text, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMetadataField(absl::string_view field, absl::string_view value) {
  if (value.size() <= kMaxMetadataFieldBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", value.size(), " bytes, at most ",
                                                 kMaxMetadataFieldBytes, " allowed"));
}

}  // namespace

bool IsStreamChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

absl::Status ValidateStreamName(absl::string_view field, absl::string_view stream) {
  return ValidateName(field, stream, kMaxStreamNameBytes, IsStreamChar, "A-Z a-z 0-9 _ . : -");
}

absl::Status ValidateFilter(const SubscriptionFilter& filter) {
  for (size_t i = 0; i < filter.categories.size(); ++i) {
    RETURN_IF_ERROR(
        ValidateStreamName(absl::StrCat("filter.categories[", i, "]"), filter.categories[i]));
  }
  for (size_t i = 0; i < filter.stream_prefixes.size(); ++i) {
    RETURN_IF_ERROR(ValidateStreamName(absl::StrCat("filter.stream_prefixes[", i, "]"),
                                       filter.stream_prefixes[i]));
  }
  for (size_t i = 0; i < filter.event_types.size(); ++i) {
    RETURN_IF_ERROR(ValidateName(absl::StrCat("filter.event_types[", i, "]"), filter.event_types[i],
                                 kMaxEventTypeBytes, IsTypeChar, "A-Z a-z 0-9 _ ."));
  }
  return absl::OkStatus();
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::StatusOr<std::unique_ptr<PendingAppend>> PrepareAppend(const Options& options,
                                                             std::vector<StreamAppend> appends) {
  if (appends.empty()) return absl::InvalidArgumentError("appends: no streams given");
  if (appends.size() > options.max_streams_per_append) {
    return absl::InvalidArgumentError(absl::StrCat("appends: ", appends.size(),
                                                   " streams, at most ",
                                                   options.max_streams_per_append, " allowed"));
  }
  auto pending = std::make_unique<PendingAppend>();
  pending->streams.reserve(appends.size());
  absl::flat_hash_set<std::string> seen_streams;
  absl::flat_hash_set<EventId> seen_ids;
  size_t total_bytes = 0;
  for (size_t s = 0; s < appends.size(); ++s) {
    StreamAppend& append = appends[s];
    const std::string where = absl::StrCat("appends[", s, "]");
    RETURN_IF_ERROR(ValidateStreamName(absl::StrCat(where, ".stream"), append.stream));
    if (!seen_streams.insert(append.stream).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".stream: \"", append.stream, "\" appears twice in one call"));
    }
    pending->event_count += append.events.size();
    if (pending->event_count > options.max_events_per_append) {
      return absl::InvalidArgumentError(absl::StrCat(
          "appends: more than ", options.max_events_per_append, " events in one call"));
    }
    PreparedStream& prepared = pending->streams.emplace_back();
    prepared.expected = append.expected;
    prepared.events.reserve(append.events.size());
    for (size_t e = 0; e < append.events.size(); ++e) {
      ProposedEvent& event = append.events[e];
      const std::string ewhere = absl::StrCat(where, ".events[", e, "]");
      RETURN_IF_ERROR(ValidateName(absl::StrCat(ewhere, ".type"), event.type, kMaxEventTypeBytes,
                                   IsTypeChar, "A-Z a-z 0-9 _ ."));
      if (event.payload.size() > options.max_payload_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(ewhere, ".payload: ", event.payload.size(),
                                                       " bytes, at most ",
                                                       options.max_payload_bytes, " allowed"));
      }
      RETURN_IF_ERROR(
          ValidateMetadataField(absl::StrCat(ewhere, ".metadata.actor"), event.metadata.actor));
      RETURN_IF_ERROR(ValidateMetadataField(absl::StrCat(ewhere, ".metadata.correlation_id"),
                                            event.metadata.correlation_id));
      RETURN_IF_ERROR(ValidateMetadataField(absl::StrCat(ewhere, ".metadata.causation_id"),
                                            event.metadata.causation_id));
      if (!event.area.empty()) {
        RETURN_IF_ERROR(ValidateName(absl::StrCat(ewhere, ".area"), event.area, kMaxAreaBytes,
                                     IsStreamChar, "A-Z a-z 0-9 _ . : -"));
      }
      total_bytes += event.payload.size() + event.metadata.actor.size() +
                     event.metadata.correlation_id.size() + event.metadata.causation_id.size();
      if (total_bytes > options.max_append_bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("appends: more than ", options.max_append_bytes, " bytes in one call"));
      }
      PreparedEvent& p = prepared.events.emplace_back();
      if (event.id.IsNil()) {
        event.id = EventId::Generate();
        p.id_generated = true;
      }
      if (!seen_ids.insert(event.id).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(ewhere, ".id: ", event.id.ToString(), " appears twice in one call"));
      }
      p.occurred_at_given = event.metadata.occurred_at != absl::InfinitePast();
      // The log keeps microseconds: live readers must see exactly what disk readers see.
      if (p.occurred_at_given)
        event.metadata.occurred_at = TruncateToMicros(event.metadata.occurred_at);
      p.content = EncodeContent(append.stream, event);
      p.digest = Sha256(p.content);
      p.event = std::make_shared<RecordedEvent>();
      p.event->stream = append.stream;
      p.event->id = event.id;
      p.event->type = std::move(event.type);
      p.event->metadata = std::move(event.metadata);
      p.event->payload = std::move(event.payload);
      p.event->area = std::move(event.area);
    }
    prepared.stream = std::move(append.stream);
  }
  if (pending->event_count == 0) return absl::InvalidArgumentError("appends: no events given");
  return pending;
}

StagedGroup StageGroup(std::vector<std::unique_ptr<PendingAppend>> appends, uint64_t next_position,
                       absl::Time recorded_at, std::string& last_hash, LogState& state,
                       const absl::Status& failed) {
  StagedGroup group;
  group.appends = std::move(appends);
  group.results.reserve(group.appends.size());
  absl::flat_hash_map<EventId, EventIdEntry> group_ids;
  uint64_t position = next_position;
  const int64_t recorded_at_micros = absl::ToUnixMicros(recorded_at);

  auto head_of = [&](const std::string& stream) -> absl::StatusOr<uint64_t> {
    if (auto it = group.heads.find(stream); it != group.heads.end()) return it->second;
    return state.StreamHead(stream);
  };
  auto stored_id = [&](const EventId& id) -> absl::StatusOr<std::optional<EventIdEntry>> {
    if (auto it = group_ids.find(id); it != group_ids.end()) return it->second;
    return state.StoredEventId(id);
  };

  // Returns the result of one append; stages its writes only if it returns a fresh result.
  auto stage = [&](PendingAppend& append) -> absl::StatusOr<AppendResult> {
    // Idempotency first: a retry of a committed call must succeed even though its expected
    // versions no longer hold. Ids the store generated itself are new by construction.
    AppendResult result;
    size_t known = 0;
    for (const PreparedStream& stream : append.streams) {
      for (const PreparedEvent& event : stream.events) {
        if (event.id_generated) continue;
        ASSIGN_OR_RETURN(std::optional<EventIdEntry> entry, stored_id(event.event->id));
        if (!entry.has_value()) continue;
        if (entry->content_digest != event.digest) {
          return absl::AlreadyExistsError(absl::StrCat("event id ", event.event->id.ToString(),
                                                       " is already stored with other content"));
        }
        ++known;
        result.positions.push_back(entry->position);
      }
    }
    if (known > 0 && known < append.event_count) {
      return absl::AlreadyExistsError(absl::StrCat(
          known, " of the call's ", append.event_count,
          " event ids are already stored; a retry must repeat the original call exactly"));
    }
    if (known == append.event_count) {
      // Every event was written before: report the original outcome.
      result.duplicate = true;
      for (const PreparedStream& stream : append.streams) {
        if (stream.events.empty()) {
          ASSIGN_OR_RETURN(uint64_t head, head_of(stream.stream));
          result.stream_versions.push_back(head);
        } else {
          ASSIGN_OR_RETURN(std::optional<EventIdEntry> last,
                           stored_id(stream.events.back().event->id));
          result.stream_versions.push_back(last->stream_version);
        }
      }
      return result;
    }

    std::vector<uint64_t> base_versions;
    base_versions.reserve(append.streams.size());
    for (const PreparedStream& stream : append.streams) {
      ASSIGN_OR_RETURN(uint64_t head, head_of(stream.stream));
      if (!stream.expected.IsMetBy(head)) {
        // ABORTED, as abseil's guidance has it for a read-modify-write to retry at a higher
        // level; FAILED_PRECONDITION is the domain's, for its broken rules.
        return absl::AbortedError(
            absl::StrCat("stream \"", stream.stream, "\": expected ", stream.expected.ToString(),
                         ", actual version ", head));
      }
      base_versions.push_back(head);
    }

    // Nothing below can fail: stage the writes.
    for (size_t s = 0; s < append.streams.size(); ++s) {
      PreparedStream& stream = append.streams[s];
      uint64_t version = base_versions[s];
      for (PreparedEvent& p : stream.events) {
        ++version;
        const RecordHeader header{position, version, recorded_at_micros, *p.event->area};
        std::string hash = ChainHash(last_hash, header, p.digest);
        const EventIdEntry entry{position, version, p.digest};
        group.writes.push_back(StagedEvent{position, stream.stream, version, p.event->id, entry,
                                           EncodeRecord(header, last_hash, hash, p.content)});
        last_hash = std::move(hash);
        group_ids[p.event->id] = entry;

        RecordedEvent& event = *p.event;
        event.position = position;
        event.stream_version = version;
        event.recorded_at = recorded_at;
        if (!p.occurred_at_given) event.metadata.occurred_at = recorded_at;
        event.hash = last_hash;
        group.events.push_back(std::move(p.event));
        result.positions.push_back(position);
        ++position;
      }
      if (!stream.events.empty()) group.heads[stream.stream] = version;
      result.stream_versions.push_back(version);
    }
    return result;
  };

  for (auto& append : group.appends) {
    group.results.push_back(failed.ok() ? stage(*append) : absl::StatusOr<AppendResult>(failed));
  }
  group.last_position = position - 1;
  return group;
}

}  // namespace hotspot::store::internal
