#include "services/server/server_metrics.h"

#include <string>
#include <vector>

#include "services/observability/metrics_server.h"

namespace hotspot::server {
namespace {

using observability::FamilyBuilder;
using prometheus::MetricType;

double Seconds(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

std::vector<prometheus::MetricFamily> Collect(const MonitoredParts& parts, uint64_t access_base) {
  std::vector<prometheus::MetricFamily> out;
  const auto gauge = [&out](const char* name, const char* help, double value) {
    out.push_back(FamilyBuilder(name, help, MetricType::Gauge).Sample(value).Build());
  };
  const auto counter = [&out](const char* name, const char* help, double value) {
    out.push_back(FamilyBuilder(name, help, MetricType::Counter).Sample(value).Build());
  };

  const store::StoreStats stats = parts.events->Stats();
  counter("hotspot_store_appends_total", "Append calls completed by the event store",
          stats.appends);
  counter("hotspot_store_events_written_total", "Events committed to the log",
          stats.events_written);
  counter("hotspot_store_syncs_total", "Write-ahead log syncs (group commits)", stats.syncs);
  gauge("hotspot_store_head_position", "The log's last committed position",
        parts.events->HeadPosition());
  gauge("hotspot_store_witnessed_position",
        "The position the head witness holds (events/HEAD_WITNESS-*): a start refuses a log "
        "that ends before it; 0 without --sync",
        stats.witnessed_position);
  counter("hotspot_store_witness_failures_total",
          "Writes of the head witness that failed since the start (each tried again a second "
          "later; meanwhile what was acknowledged is not witnessed)",
          stats.witness_failures);
  gauge("hotspot_store_live_buffer_bytes",
        "Memory of the recent events kept for live subscribers (bounded: 64 MiB, 65,536 events)",
        stats.live_buffer_bytes);
  gauge("hotspot_store_accepting_writes",
        "1 while the event store accepts appends; 0 after a failed write or fsync (restart)",
        parts.events->WriteStatus().ok() ? 1 : 0);

  absl::Status projection;
  const std::vector<projections::ViewStatus> views = parts.views->Status(&projection);
  FamilyBuilder position("hotspot_view_position", "The last log position applied to the view",
                         MetricType::Gauge);
  FamilyBuilder lag("hotspot_view_lag_events", "Events the view is behind the log's head",
                    MetricType::Gauge);
  for (const projections::ViewStatus& view : views) {
    position.Sample(view.checkpoint, {{"view", view.name}});
    lag.Sample(view.lag(), {{"view", view.name}});
  }
  out.push_back(position.Build());
  out.push_back(lag.Build());
  FamilyBuilder rebuilds("hotspot_view_rebuild_lag_events",
                         "A rebuild in progress: events its new generation is behind the view",
                         MetricType::Gauge);
  for (const projections::RebuildProgress& rebuild : parts.views->Rebuilds()) {
    if (rebuild.done) continue;
    rebuilds.Sample(rebuild.target > rebuild.position ? rebuild.target - rebuild.position : 0,
                    {{"view", rebuild.view}});
  }
  out.push_back(rebuilds.Build());
  gauge("hotspot_projection_failed", "1 if the projection of the views stopped on an error",
        projection.ok() ? 0 : 1);

  if (parts.memory != nullptr) {
    const store::MemoryBudget::Usage memory = parts.memory->usage();
    gauge("hotspot_storage_block_cache_bytes",
          "Bytes in the block cache the four databases share (--storage_cache_mb)",
          memory.cache_bytes);
    gauge("hotspot_storage_block_cache_pinned_bytes",
          "Of those, bytes of blocks in use or pinned (index and filter blocks of level-0 tables)",
          memory.cache_pinned_bytes);
    gauge("hotspot_storage_memtable_bytes",
          "Bytes in the four databases' memtables (--storage_write_buffer_mb)",
          memory.write_buffer_bytes);
  }

  if (parts.commands != nullptr) {
    const commands::StreamCache::Usage cache = parts.commands->stream_cache_usage();
    gauge("hotspot_command_stream_cache_bytes",
          "Memory of the streams the command handler keeps parsed (--command_stream_cache_mb)",
          cache.bytes);
    gauge("hotspot_command_stream_cache_streams",
          "Streams the command handler keeps parsed (at most 10,000)", cache.streams);
  }

  gauge("hotspot_subscribers", "Subscribe calls open", parts.subscriptions->subscribers());
  gauge("hotspot_subscribers_max", "Subscribe calls allowed at once", parts.max_subscribers);

  counter("hotspot_access_log_records_written_total",
          "Access records (reads of youths' data, and refusals) written since the start",
          parts.access_log->last_sequence() - access_base);

  const ErasureExecutorStatus erasures = parts.erasures->Status();
  counter("hotspot_erasure_executor_erasures_total",
          "Data keys deleted for executed erasures since the start", erasures.erased);
  gauge("hotspot_erasure_executor_position", "The next log position the executor examines",
        erasures.position);
  gauge("hotspot_erasure_executor_last_run_timestamp_seconds",
        "When the executor last looked at the log (Unix time)", Seconds(erasures.last_run_at));
  gauge("hotspot_erasure_executor_last_erasure_timestamp_seconds",
        "When the executor last deleted a data key (Unix time; 0: not since the start)",
        Seconds(erasures.last_erasure_at));
  gauge("hotspot_erasure_executor_failed",
        "1 while the executor's last try failed (it tries again itself, with backoff)",
        erasures.consecutive_failures > 0 ? 1 : 0);
  gauge("hotspot_erasure_executor_consecutive_failures",
        "Tries in a row, up to the last, that failed", erasures.consecutive_failures);

  if (parts.log_verifier != nullptr) {
    const LogVerificationStatus verified = parts.log_verifier->Status();
    counter("hotspot_log_verification_runs_total",
            "Full verifications of the log that reached its head or a break, since the start",
            verified.runs);
    counter("hotspot_log_verification_failed_runs_total",
            "Full verifications that could not read the log (not breaks)", verified.failed_runs);
    gauge("hotspot_log_verification_verified_position",
          "The last position the current (or last) verification reached", verified.verified_to);
    gauge("hotspot_log_verification_last_completed_timestamp_seconds",
          "When a verification last reached the log's head (Unix time; 0: not since the start)",
          Seconds(verified.last_completed_at));
    gauge("hotspot_log_broken",
          "1 once a verification found the log broken (writes are refused; restore from a backup)",
          verified.broken.ok() ? 0 : 1);
  }

  if (parts.deadlines != nullptr) {
    const projections::DeadlineStatus deadlines = parts.deadlines->Status();
    counter("hotspot_deadline_passes_total", "Passes of the deadline process since the start",
            deadlines.passes);
    counter("hotspot_deadline_events_appended_total",
            "Events the deadline process appended since the start", deadlines.appended);
    gauge("hotspot_deadline_last_pass_timestamp_seconds",
          "The \"now\" of the deadline process's last pass (Unix time; 0: none yet)",
          Seconds(deadlines.last_pass_at));
    gauge("hotspot_deadline_failed_items", "Items that failed in the last pass",
          deadlines.failed_items);
    gauge("hotspot_deadline_consecutive_failed_passes",
          "Passes in a row, up to the last, with a failed item",
          deadlines.consecutive_failed_passes);
  }
  return out;
}

}  // namespace

CommitMetrics::CommitMetrics(prometheus::Registry& registry, bool fsync)
    : appends_(prometheus::BuildHistogram()
                   .Name("hotspot_store_commit_appends")
                   .Help("Append calls made durable by one write-ahead log sync (group size)")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128,
                                                                    256, 512, 1024, 4096})),
      fsync_seconds_(
          prometheus::BuildHistogram()
              .Name("hotspot_store_fsync_seconds")
              .Help("Time of the write-ahead log sync of one group commit, in seconds")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001,
                                                               0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1, 0.25, 0.5, 1})),
      fsync_(fsync) {}

void CommitMetrics::Observe(const store::CommitInfo& commit) {
  appends_.Observe(static_cast<double>(commit.appends));
  if (fsync_) fsync_seconds_.Observe(absl::ToDoubleSeconds(commit.sync_time));
}

std::shared_ptr<prometheus::Collectable> PartsCollector(MonitoredParts parts) {
  const uint64_t access_base = parts.access_log->last_sequence();
  return std::make_shared<observability::CallbackCollector>(
      [parts, access_base] { return Collect(parts, access_base); });
}

}  // namespace hotspot::server
