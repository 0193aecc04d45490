"""Consumer-group lag on Heed's topics: zero everywhere means every stage has caught up."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from heed.contracts.topics import BY_NAME


async def total_lag(bootstrap: str, groups: list[str]) -> int:
    """Messages not yet committed by `groups` ("heed-<service>.<topic>"), summed."""
    # Committed offsets are read through a consumer of each group that never subscribes (so it
    # never joins or rebalances the group): the admin client's OffsetFetch is not decodable from Tansu.
    ends_reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await ends_reader.start()
    try:
        lag = 0
        for group in groups:
            topic = BY_NAME[group.split(".", 1)[1]]
            partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
            ends = await ends_reader.end_offsets(partitions)
            reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
            await reader.start()
            try:
                for tp in partitions:
                    done = await reader.committed(tp) or 0
                    lag += max(0, ends[tp] - done)
            finally:
                await reader.stop()
        return lag
    finally:
        await ends_reader.stop()
