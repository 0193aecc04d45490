"""Consumer-group lag on Heed's topics: zero everywhere means every stage has caught up."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from heed.contracts.topics import TOPICS


async def total_lag(bootstrap: str, groups: list[str]) -> int:
    """Messages not yet committed by `groups`, summed over the topics they consume."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in TOPICS for p in range(t.partitions)]
        ends = await consumer.end_offsets(partitions)
        lag = 0
        for group in groups:
            topic = group.split(".", 1)[1]
            committed = await admin.list_consumer_group_offsets(group)
            for tp, end in ends.items():
                if tp.topic != topic:
                    continue
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                lag += max(0, end - done)
        return lag
    finally:
        await consumer.stop()
        await admin.close()
