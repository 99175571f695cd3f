"""The Kafka client runs with its C checksum: the pure-Python CRC-32C fallback was a third of Kafka ingest time."""

import zlib

from kafka.record import _crc32c, util


def test_kafka_python_checks_record_batches_with_the_c_crc32c():
    assert util._crc32c is not _crc32c.crc  # the pure-Python fallback is what kafka-python uses without crc32c
    assert type(util._crc32c).__name__ == "builtin_function_or_method"


def test_the_c_crc32c_agrees_with_the_fallback():
    data = zlib.compress(b"Mittari " * 1000)
    assert util.calc_crc32c(memoryview(data)) == _crc32c.crc(data)
    assert util.calc_crc32c(b"123456789") == 0xE3069283  # the check value of CRC-32C (Castagnoli)
