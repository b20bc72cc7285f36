"""
The plain reference for `dm query --all --format json` on the overdue
question (issue 18): the same entities fetched by hand-written SQL, shaped
into the J1QL `list` objects dm prints and serialised, in Python.

  python3 bench/reference/overdue.py DB [--now MS] > out.json

The SQL is bench/run.ts's handWrittenOverdue (SQLite). The output is the
JSON dm prints for the query (`{"type":"list","data":[...],"filteredOn":[...]}`
and a newline). Each entity's classes and properties are parsed
(json.loads) and the whole result serialised once (json.dumps), as a
straightforward program would.

Timing: from the start of main() (after the interpreter has started and
imported its modules) to the last byte flushed to stdout, reported on
stderr as one JSON line: {"ms": ..., "cpuMs": ..., "rows": ...}
(cpuMs: the process's CPU time over the same span). bench/reference/dm-timed.mjs
times dm the same way.
"""

import json
import sqlite3
import sys
import time

DAY_MS = 86_400_000

SQL = """
SELECT f.id, f.key, f.type, f.classes, f.display_name, f.source, f.props, f.created_on, f.begin_on, f.version, f.deleted
FROM entities f
WHERE f.type = 'deferred_maintenance' AND f.deleted = 0
  AND json_type(f.props, '$.closed') = 'false'
  AND json_type(f.props, '$.dueDate') IN ('integer', 'real') AND json_extract(f.props, '$.dueDate') < ?
  AND EXISTS (SELECT 1 FROM relationships r JOIN entity_classes c ON c.entity_id = r.from_id AND c.class = 'CodeRepo'
              JOIN entities e ON e.id = r.from_id AND e.deleted = 0
              WHERE r.to_id = f.id AND r.class = 'HAS' AND r.deleted = 0)
ORDER BY f.id
"""


def main() -> None:
    start = time.perf_counter()
    cpu = time.process_time()
    args = sys.argv[1:]
    db = args[0]
    # date.now - 7 days, as dm resolves it: the clock in ms minus 7 * 24 h
    now = int(args[args.index("--now") + 1]) if "--now" in args else int(time.time() * 1000)
    cutoff = now - 7 * DAY_MS
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    data = []
    for (id_, key, type_, classes, display_name, source, props, created_on, begin_on, version, deleted) in con.execute(SQL, (cutoff,)):
        sid = str(id_)
        entity = {"_id": sid, "_key": key, "_type": type_, "_class": json.loads(classes)}
        if display_name is not None:
            entity["displayName"] = display_name
        if source is not None:
            entity["_source"] = source
        entity["_createdOn"] = created_on
        entity["_beginOn"] = begin_on
        entity["_version"] = version
        entity["_deleted"] = deleted == 1
        data.append({"id": sid, "entity": entity, "properties": json.loads(props)})
    con.close()
    result = {"type": "list", "data": data, "filteredOn": ["closed", "dueDate"]}
    out = sys.stdout.buffer
    out.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    out.write(b"\n")
    out.flush()
    ms = (time.perf_counter() - start) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    sys.stderr.write(json.dumps({"ms": ms, "cpuMs": cpu_ms, "rows": len(data)}) + "\n")


if __name__ == "__main__":
    main()
