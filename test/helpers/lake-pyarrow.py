"""A second engine over a contxray lake: pyarrow.dataset with hive partitioning reads each kind=
directory and prints, per kind, the Arrow schema (files + partitions) and the rows per host and
date, as JSON, for test/unit/lake.test.ts to compare with DuckDB."""
import json
import os
import sys

import pyarrow as pa
import pyarrow.dataset as ds

lake = sys.argv[1]
# Partition values are strings (a date of 'all', a host that looks like a number); percent-encoded
# names are decoded (segment_encoding='uri', the default).
partitions = ds.partitioning(pa.schema([("host", pa.string()), ("date", pa.string())]), flavor="hive")
out = {}
for entry in sorted(os.listdir(lake)):
    if not entry.startswith("kind="):
        continue
    dataset = ds.dataset(os.path.join(lake, entry), format="parquet", partitioning=partitions)
    if not dataset.files:
        continue
    table = dataset.to_table()
    counts = table.group_by(["host", "date"]).aggregate([([], "count_all")]).to_pylist()
    out[entry[len("kind="):]] = {
        "schema": {f.name: str(f.type) for f in dataset.schema},
        "counts": sorted([r["host"], r["date"], r["count_all"]] for r in counts),
    }
json.dump(out, sys.stdout)
