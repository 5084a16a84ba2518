"""Reading CSV files: apps/common/csv/files.py."""

import io
from itertools import islice

from apps.common.csv.files import inspect_csv


def test_a_reader_read_in_batches_goes_on_where_it_stopped():
    data = b"name\r\n" + b"".join(f"row {n}\r\n".encode() for n in range(2, 9))
    csv_file = inspect_csv(lambda: io.BytesIO(data), name="rows.csv", size=len(data))

    with csv_file.reader() as rows:
        batches = []
        while batch := list(islice(rows, 3)):
            batches.append(batch)

    assert batches == [
        [(2, ["row 2"]), (3, ["row 3"]), (4, ["row 4"])],
        [(5, ["row 5"]), (6, ["row 6"]), (7, ["row 7"])],
        [(8, ["row 8"])],
    ]
