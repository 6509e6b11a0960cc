package io.memstream.topology;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds RocksDB's off-heap memory for the whole JVM. Streams' defaults give every store instance
 * (one per partition) a 50 MB block cache and 3 x 16 MB memtables, which grows with the partition
 * count; here every instance shares one 64 MB cache that also accounts for the memtables (the
 * pattern of the Kafka Streams memory-management guide). Memory values are small and read once per
 * batch, so a small cache costs little. Replace with {@code rocksdb.config.setter}.
 */
public class BoundedRocksDbConfig implements RocksDBConfigSetter {

    private static final long TOTAL_OFF_HEAP_BYTES = 64L << 20;
    private static final long TOTAL_MEMTABLE_BYTES = 16L << 20;
    private static final long MEMTABLE_BYTES = 4L << 20;
    private static final double INDEX_FILTER_BLOCK_RATIO = 0.1;

    /**
     * Shared by every store instance of the JVM, so never closed by one of them. A holder class:
     * Streams loads the setter class while parsing its config, before RocksDB's native library is.
     */
    private static final class Shared {
        static {
            RocksDB.loadLibrary();
        }

        static final Cache CACHE = new LRUCache(TOTAL_OFF_HEAP_BYTES, -1, false, INDEX_FILTER_BLOCK_RATIO);
        static final WriteBufferManager WRITE_BUFFERS = new WriteBufferManager(TOTAL_MEMTABLE_BYTES, CACHE);
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(Shared.CACHE);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(Shared.WRITE_BUFFERS);
        options.setWriteBufferSize(MEMTABLE_BYTES);
        options.setMaxWriteBufferNumber(2);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and write-buffer manager are shared: closing them here would break other stores.
    }
}
