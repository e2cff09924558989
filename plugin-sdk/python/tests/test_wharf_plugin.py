"""Tests of the Python SDK under plain CPython (no component): the row codec, the row
accessors, the role helpers and the native stand-ins for the host.

Run from ``plugin-sdk/python``: ``python3 -m unittest discover -s tests``.
"""

import datetime
import decimal
import struct
import unittest

import wharf_plugin as wharf
from wharf_plugin import Batch, BatchBuilder, BatchError, Date, DateTime, Decimal, RowError


def sample():
    builder = BatchBuilder(["Name", "Count", "Price", "Active", "Note"])
    builder.push_row(["Contoso", -3, Decimal("12.50"), True, None])
    builder.push_row(["Fabrikam ✓", 7, 0.5, False, ""])
    return builder.finish()


class CodecTests(unittest.TestCase):
    def test_an_encoded_batch_reads_back_every_value(self):
        columns, data = sample().to_parts()
        batch = Batch(columns, data)
        self.assertEqual(batch, sample())
        self.assertEqual(len(batch), 2)
        second = batch[1]
        self.assertEqual(second.str("Name"), "Fabrikam ✓")
        self.assertEqual(second["Count"], 7)
        self.assertIsNone(second.opt_str("Note"))
        self.assertIsNone(batch[0]["Note"])
        self.assertEqual(batch.values("Price"), ["12.50", 0.5])
        self.assertIs(type(batch[0]["Price"]), Decimal)
        self.assertIs(batch[0]["Active"], True)
        with self.assertRaises(IndexError):
            batch[2]

    def test_the_layout_is_the_one_in_the_wit(self):
        batch = Batch.from_rows(["A", "B"], [["x", 1]])
        cells = b"\x01x" + b"\x02" + struct.pack("<q", 1)
        self.assertEqual(batch.data, cells + struct.pack("<II", 0, 2) + struct.pack("<I", 1))

    def test_every_kind_of_value_round_trips_with_its_kind(self):
        values = [None, "text", -(2**63), Decimal("-1234.50"), 1.25, False, Date("2026-11-21"),
                  DateTime("2026-11-21T08:30:00Z")]
        row = Batch.from_rows([str(n) for n in range(len(values))], [values])[0]
        self.assertEqual(row.values(), values)
        self.assertEqual([type(v) for v in row.values()], [type(v) for v in values])

    def test_standard_library_values_are_written_as_their_wharf_kind(self):
        moment = datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
        row = Batch.from_rows(["d", "t", "n"], [[datetime.date(2026, 11, 21), moment, decimal.Decimal("1E+2")]])[0]
        self.assertEqual(row.values(), [Date("2026-11-21"), DateTime("2026-11-21T08:30:00Z"), Decimal("100")])
        self.assertIs(type(row["t"]), DateTime)

    def test_accessors_name_row_and_field_in_errors(self):
        row = sample()[1]
        with self.assertRaises(RowError) as raised:
            row.str("Count")
        self.assertEqual((raised.exception.row, raised.exception.field), (1, "Count"))
        self.assertEqual(str(raised.exception), "row 1, field Count: expected text, found a integer")
        with self.assertRaises(RowError) as raised:
            row.required("Note")
        self.assertEqual(raised.exception.message, "a value is required")
        with self.assertRaises(RowError) as raised:
            row.str("Missing")
        self.assertEqual(raised.exception.message, "the column is missing")
        self.assertIsNone(row.get("Missing"))

    def test_every_truncation_and_corruption_is_rejected_or_read_without_crashing(self):
        columns, data = sample().to_parts()
        for length in range(len(data)):
            with self.assertRaises(BatchError):
                [row.values() for row in Batch(columns, data[:length])]
        for at in range(len(data)):
            for byte in (0, 1, 7, 8, 0x80, 0xFF):
                corrupt = bytearray(data)
                corrupt[at] = byte
                try:
                    [row.values() for row in Batch(columns, bytes(corrupt))]
                except BatchError:
                    pass

    def test_a_huge_row_count_is_rejected_not_allocated(self):
        with self.assertRaisesRegex(BatchError, "do not fit"):
            Batch(["A", "B"], struct.pack("<I", 2**32 - 1))

    def test_a_row_of_the_wrong_width_or_an_unknown_value_is_refused_and_leaves_the_builder_whole(self):
        builder = BatchBuilder(["A", "B"])
        with self.assertRaisesRegex(ValueError, "a row of 1 values for 2 columns"):
            builder.push_row(["x"])
        with self.assertRaisesRegex(TypeError, "a list cannot be a cell value"):
            builder.push_row(["x", []])
        with self.assertRaisesRegex(ValueError, "64-bit"):
            builder.push_row(["x", 2**64])
        builder.push(B=2)
        self.assertEqual([row.values() for row in builder.finish()], [[None, 2]])


class RoleTests(unittest.TestCase):
    def test_a_row_mapper_maps_and_rejects_row_by_row(self):
        @wharf.row_mapper("Vendor", ["VendorAccount", "Name"])
        def vendor(ctx, row):
            return [row.required("no"), row.str("name").strip()]

        batch = Batch.from_rows(["no", "name"], [["V-1", " Fabrikam "], ["", "Nameless"]])
        mapped = vendor.map_batch(wharf.Context("Vendor"), batch)
        self.assertEqual([row.values() for row in mapped.outputs[0].batch()], [["V-1", "Fabrikam"]])
        self.assertEqual(mapped.outputs[0].source_rows, [0])
        self.assertEqual(mapped.errors, [RowError(1, "a value is required", "no")])
        self.assertTrue(hasattr(vendor, "__call__"))

    def test_params_check_presence_and_types(self):
        params = wharf.Params({"n": 3, "s": "x", "flag": True, "@key": {"BOMId": "B-1"}})
        self.assertEqual(params.required("n", int), 3)
        self.assertEqual(params.required("n", float), 3.0)
        self.assertEqual(params.key(), {"BOMId": "B-1"})
        with self.assertRaisesRegex(wharf.PluginError, "parameter missing is required"):
            params.required("missing")
        with self.assertRaisesRegex(wharf.PluginError, "expected int, found bool"):
            params.required("flag", int)

    def test_outside_a_component_the_host_reads_the_native_stand_ins(self):
        wharf.host.native_config["key"] = "value"
        wharf.host.native_entities["Customer"] = [{"CustomerAccount": "C-1", "Name": "Contoso"}]
        try:
            self.assertEqual(wharf.config("key"), "value")
            self.assertEqual(wharf.config("other", "default"), "default")
            self.assertEqual(wharf.lookup("Customer", {"CustomerAccount": "C-1"})["Name"], "Contoso")
            self.assertIsNone(wharf.lookup("Customer", {"CustomerAccount": "C-2"}))
        finally:
            wharf.host.native_config.clear()
            wharf.host.native_entities.clear()


if __name__ == "__main__":
    unittest.main()
