import logging

import pytest

from toolace.errors import InputError
from toolace.jsonl import JsonlWriter, count_lines, read_jsonl, written_ids
from toolace.records import Dialog


def test_writer_appends_whole_lines_and_resume_ids(tmp_path):
    path = tmp_path / "out" / "d.jsonl"
    with JsonlWriter(path) as w:
        w.write({"id": "a", "x": 1})
        w.write({"id": "b", "x": [1, 2]})
    with JsonlWriter(path) as w:  # reopening appends
        w.write({"id": "c"})
    assert path.read_bytes() == b'{"id":"a","x":1}\n{"id":"b","x":[1,2]}\n{"id":"c"}\n'
    assert written_ids(path) == {"a", "b", "c"}
    assert written_ids(tmp_path / "missing.jsonl") == set()


def test_torn_last_line_is_skipped_with_warning_and_cut_before_append(tmp_path, caplog):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"id":"a"}\n{"id":"b"}\n{"id":"c","x":[1,')
    with caplog.at_level(logging.WARNING):
        assert [r["id"] for r in read_jsonl(path)] == ["a", "b"]
    assert "d.jsonl:3: skipped a torn last line" in caplog.text
    with JsonlWriter(path) as w:
        w.write({"id": "c"})
    assert path.read_bytes() == b'{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n'
    assert count_lines(path) == 3


def test_bad_line_in_the_middle_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id":"a"}\n{"id": oops}\n{"id":"c"}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2: not valid JSON"):
        list(read_jsonl(path))


def test_bad_last_line_with_newline_is_an_error_not_a_torn_write(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id":"a"}\n{"id": oops}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2:"):
        list(read_jsonl(path))


def test_model_validation_error_names_line_and_field(tmp_path):
    path = tmp_path / "dialogs.jsonl"
    path.write_text('{"id":"a","messages":[{"role":"user","content":"hi"}]}\n'
                    '{"id":"b","messages":[{"role":"user"}]}\n')
    with pytest.raises(InputError, match=r"dialogs\.jsonl:2: messages\.0\.content: Field required"):
        list(read_jsonl(path, Dialog))


def test_missing_file_is_one_line_error(tmp_path):
    with pytest.raises(InputError, match="nope.jsonl: cannot read"):
        list(read_jsonl(tmp_path / "nope.jsonl"))


def test_writer_keeps_an_integer_beyond_64_bits(tmp_path):
    path = tmp_path / "big.jsonl"
    with JsonlWriter(path) as w:
        w.write({"id": "a", "enum": [2**70, 3]})
    assert path.read_text() == '{"id":"a","enum":[1180591620717411303424,3]}\n'
    assert list(read_jsonl(path)) == [{"id": "a", "enum": [1.1805916207174113e21, 3]}]
