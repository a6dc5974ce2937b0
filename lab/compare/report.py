"""A comparison's result as a terminal table and as CSV (one line per pattern × worker count, then
one per way of running lesson 8's crowd × worker count, its pattern named `offload-<way>`)."""

from __future__ import annotations

import csv
import io
import time

from lab.sizes import human_bytes, human_duration

COLUMNS = ("pattern", "label", "workers", "users", "shops", "rows", "correct", "right", "readings", "isolated",
           "leaks", "empty", "failed", "executions", "callbacks", "bytes_up", "bytes_down", "max_up",
           "p50_ms", "p95_ms", "errors", "seconds", "workers_used",
           "served", "web_workers_busy", "live_workers", "cheap_p95_ms", "cheap_max_ms")
OFFLOAD_COLUMNS = ("label", "workers", "users", "served", "failed", "web_workers_busy", "live_workers",
                   "cheap_p95_ms", "cheap_max_ms", "seconds")


def flat(row: dict) -> dict:
    verdict = row["verdict"]
    return {**{k: row.get(k) for k in COLUMNS if k in row}, "correct": verdict["correct"],
            "right": verdict["right"], "readings": verdict["expected"], "isolated": verdict["isolated"],
            "leaks": verdict["leaks"], "empty": verdict["empty"], "failed": verdict["failed"] + verdict["missing"],
            "workers_used": len(row.get("pids", []))}


def flat_offload(row: dict) -> dict:
    return {"pattern": f"offload-{row['mode']}", **{k: row[k] for k in OFFLOAD_COLUMNS}}


def offload_rows(result: dict) -> list[dict]:
    return (result.get("offload") or {}).get("rows", [])


def csv_text(result: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in result.get("rows", []):
        writer.writerow(flat(row))
    for row in offload_rows(result):
        writer.writerow(flat_offload(row))
    return out.getvalue()


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def describe(result: dict) -> str:
    """One line: when, on what, how big."""
    config, lab = result["config"], result["lab"]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(result["finished_at"]))
    return (f"{when} · {lab['backend']} backend · {config['users']} users · {config['rows']:,} rows · "
            f"STEP_SECONDS={lab['step_seconds']:g} · workers {', '.join(map(str, config['workers']))} · "
            f"{result['seconds']:.0f} s")


def table(result: dict) -> str:
    head = ("pattern", "W", "correct", "isolated", "runs", "calls", "up", "down", "p50", "p95", "err")
    lines = [head]
    for row in result["rows"]:
        v = row["verdict"]
        lines.append((
            row["label"], str(row["workers"]),
            f"{mark(v['correct'])} {v['right']}/{v['expected']}", f"{mark(v['isolated'])} {v['leaks']} leaks",
            str(row["executions"]), str(row["callbacks"]), human_bytes(row["bytes_up"]), human_bytes(row["bytes_down"]),
            _ms(row["p50_ms"]), _ms(row["p95_ms"]), str(row["errors"] + row["unanswered"]),
        ))
    text = [describe(result), "", *_aligned(lines)]
    offload = result.get("offload") or {}
    if offload.get("rows"):
        lines = [("off the web workers", "W", "served", "web workers busy", "cheap p95", "cheap max", "took")]
        for row in offload["rows"]:
            lines.append((row["label"], str(row["workers"]), f"{row['served']}/{row['users']}",
                          f"{row['web_workers_busy']} of {row['live_workers']}", _ms(row["cheap_p95_ms"]),
                          _ms(row["cheap_max_ms"]), f"{row['seconds']:.1f} s"))
        text += ["", *_aligned(lines)]
    if offload.get("missing"):
        text += ["", f"lesson 8's crowd: {offload['missing']}"]
    return "\n".join(text)


def _aligned(lines: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line))
            for line in lines]


def _ms(value: float | None) -> str:
    return "—" if value is None else human_duration(value)
