// Node's launch flags for a process that runs the broker on its own, as the image's broker service
// (docker-compose.yml) and the benchmarks start it. They cannot be set from inside the process: V8
// sizes the young generation when the heap is created (the old generation's growth can be, see
// BROKER_HEAP_GROWTH_PERCENT).
//
// --max-semi-space-size=4: the young generation's two semi-spaces at 4 MiB instead of up to 16.
// The broker allocates a few KB per message that dies within a turn; with 16 MiB semi-spaces at
// 8k msg/s they stay full and resident (~25 MB of RSS), while 4 MiB scavenges more often for a few
// points of a core. Measured in docs/facts.md ("The broker's RSS is dead heap and a loader").
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
