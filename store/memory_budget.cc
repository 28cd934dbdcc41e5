#include "store/memory_budget.h"

#include <memory>

#include "rocksdb/cache.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace hotspot::store {

MemoryBudget::MemoryBudget(const Options& options)
    : options_(options),
      cache_(rocksdb::NewLRUCache(options.cache_bytes, /*num_shard_bits=*/-1,
                                  /*strict_capacity_limit=*/false,
                                  /*high_pri_pool_ratio=*/0.5)),
      write_buffers_(std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes)) {}

MemoryBudget::~MemoryBudget() = default;

std::shared_ptr<MemoryBudget> MemoryBudget::Create(const Options& options) {
  return std::shared_ptr<MemoryBudget>(new MemoryBudget(options));
}

std::shared_ptr<MemoryBudget> MemoryBudget::ProcessDefault() {
  static const std::shared_ptr<MemoryBudget>* const budget =
      new std::shared_ptr<MemoryBudget>(Create(Options()));
  return *budget;
}

MemoryBudget::Usage MemoryBudget::usage() const {
  Usage usage;
  usage.cache_bytes = cache_->GetUsage();
  usage.cache_pinned_bytes = cache_->GetPinnedUsage();
  usage.write_buffer_bytes = write_buffers_->memory_usage();
  return usage;
}

void MemoryBudget::ApplyTo(rocksdb::DBOptions& db) const {
  db.write_buffer_manager = write_buffers_;
}

void MemoryBudget::ApplyTo(rocksdb::BlockBasedTableOptions& table) const {
  table.block_cache = cache_;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
}

void MemoryBudget::ApplyTo(rocksdb::ColumnFamilyOptions& family) const {
  rocksdb::BlockBasedTableOptions table;
  ApplyTo(table);
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
}

}  // namespace hotspot::store
