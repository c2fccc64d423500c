"""Unit tests of checks/values_doc.py and checks/committed_values.py on
copies of the chart, each broken in one way.

Run: .tools/helm-venv/bin/python -m unittest discover -s helm/tests
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HELM_DIR = os.path.dirname(HERE)
CHART = os.path.join(HELM_DIR, "neo-bridge")
CHECKS = os.path.join(HELM_DIR, "checks")


class ChartCopy(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.chart = os.path.join(self.tmp.name, "neo-bridge")
        shutil.copytree(CHART, self.chart)

    def tearDown(self):
        self.tmp.cleanup()

    def edit(self, name, old, new):
        path = os.path.join(self.chart, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))

    def run_check(self, script, *args):
        return subprocess.run([sys.executable, os.path.join(CHECKS, script), self.chart, *args],
                              capture_output=True, text=True)


class ValuesDocTest(ChartCopy):
    def test_chart_is_consistent(self):
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_value_without_schema(self):
        self.edit("values.yaml", "replicaCount: 2\n", "replicaCount: 2\nreplicas: 3\n")
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("values.yaml: replicas has no schema entry", r.stdout)

    def test_schema_entry_without_value(self):
        self.edit("values.yaml", "  logLevel: info\n", "")
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("config.logLevel is not in values.yaml", r.stdout)

    def test_schema_entry_without_description(self):
        path = os.path.join(self.chart, "values.schema.json")
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        del schema["properties"]["replicaCount"]["description"]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(schema, f)
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("replicaCount has no description", r.stdout)

    def test_open_object_in_schema(self):
        path = os.path.join(self.chart, "values.schema.json")
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        del schema["properties"]["config"]["additionalProperties"]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(schema, f)
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("schema object config. must set additionalProperties: false", r.stdout)

    def test_default_that_breaks_the_schema(self):
        self.edit("values.yaml", "  requestTimeout: 20s\n", "  requestTimeout: twenty\n")
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("values.yaml does not validate: config.requestTimeout", r.stdout)

    def test_stale_readme_table(self):
        self.edit("values.yaml", "replicaCount: 2\n", "replicaCount: 3\n")
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("README.md values table is out of date", r.stdout)
        self.assertEqual(self.run_check("values_doc.py", "--write").returncode, 0)
        r = self.run_check("values_doc.py", "--check")
        self.assertEqual(r.returncode, 0, r.stdout)


class CommittedValuesTest(ChartCopy):
    def test_chart_is_clean(self):
        r = self.run_check("committed_values.py")
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_token_value_in_ci_file(self):
        with open(os.path.join(self.chart, "ci", "leak-values.yaml"), "w", encoding="utf-8") as f:
            f.write("serviceToken:\n  policy: open\n  value: some-token\n")
        r = self.run_check("committed_values.py")
        self.assertEqual(r.returncode, 1)
        self.assertIn("serviceToken.value is set", r.stdout)

    def test_token_shaped_string_anywhere(self):
        with open(os.path.join(self.chart, "files", "notes.txt"), "w", encoding="utf-8") as f:
            f.write("pul-" + "0123456789" * 4 + "\n")
        r = self.run_check("committed_values.py")
        self.assertEqual(r.returncode, 1)
        self.assertIn("holds a token-shaped string", r.stdout)


if __name__ == "__main__":
    unittest.main()
