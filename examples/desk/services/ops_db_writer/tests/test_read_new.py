"""Tailing the bots' JSONL: complete lines only, offsets survive restarts and rotation."""

import json
from pathlib import Path

from ops_db_writer.app import read_new


def line(trade_id: str) -> str:
    return json.dumps({"trade_id": trade_id, "ts": "2026-02-27T11:50:00Z"}) + "\n"


def test_missing_file_reads_nothing(tmp_path: Path) -> None:
    assert read_new(tmp_path / "fills.jsonl", 0) == ([], 0)


def test_reads_only_complete_lines_and_resumes_from_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "fills.jsonl"
    path.write_text(line("t1") + line("t2") + '{"trade_id": "t3"')  # t3 still being written
    rows, offset = read_new(path, 0)
    assert [r["trade_id"] for r in rows] == ["t1", "t2"]
    path.write_text(line("t1") + line("t2") + line("t3"))
    rows, offset = read_new(path, offset)
    assert [r["trade_id"] for r in rows] == ["t3"]
    assert read_new(path, offset) == ([], offset)


def test_rotation_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "fills.jsonl"
    path.write_text(line("t1") + line("t2") + line("t3"))
    _, offset = read_new(path, 0)
    path.write_text(line("t9"))  # rotated: smaller than the saved offset
    rows, _ = read_new(path, offset)
    assert [r["trade_id"] for r in rows] == ["t9"]
