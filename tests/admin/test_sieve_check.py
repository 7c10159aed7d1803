#!/usr/bin/python3
"""Black-box tests of 'facteur sieve check FILE...'.

Usage: test_sieve_check.py FACTEUR
Scripts are written to a temp dir under the current directory (the build
dir); checks the per-file lines and the exit status (0 all OK, 1 a script
has an error, 2 usage error or unreadable file).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

FACTEUR = None

SPAM_RULE = ('require "fileinto";\n'
             'if header :contains "X-Spam-Flag" "YES" { fileinto "Spam"; }\n')


class SieveCheck(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sieve-", dir=os.getcwd())

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def script(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_f(self, *args):
        p = subprocess.run([FACTEUR, "sieve", "check"] + list(args),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def test_valid_script_prints_ok_and_exits_0(self):
        path = self.script("spam.sieve", SPAM_RULE)
        rc, out, err = self.run_f(path)
        self.assertEqual(rc, 0, f"got exit {rc}, want 0; stderr: {err}")
        self.assertEqual(out, f"{path}: OK\n")

    def test_error_names_line_and_column_and_exits_1(self):
        ok = self.script("ok.sieve", "keep;\n")
        bad = self.script("bad.sieve",
                          'require "fileinto";\n'
                          'if header :contains "Subject" "x" {\n'
                          '  fileinto "A"\n'
                          '}\n')
        rc, out, err = self.run_f(ok, bad)
        self.assertEqual(rc, 1, f"got exit {rc}, want 1; out: {out}")
        want = (f"{ok}: OK\n"
                f"{bad}:4:1: error: missing ';' after command "
                f"'fileinto'\n")
        self.assertEqual(out, want)

    def test_missing_require_is_an_error(self):
        bad = self.script("noreq.sieve", 'fileinto "Spam";\n')
        rc, out, _ = self.run_f(bad)
        self.assertEqual(rc, 1, f"got exit {rc}, want 1")
        self.assertIn(f"{bad}:1:1: error: command 'fileinto' needs "
                      f'require "fileinto"', out)

    def test_unreadable_file_exits_2_and_checks_the_others(self):
        ok = self.script("ok.sieve", "keep;\n")
        missing = os.path.join(self.dir, "missing.sieve")
        rc, out, err = self.run_f(missing, ok)
        self.assertEqual(rc, 2, f"got exit {rc}, want 2")
        self.assertIn("missing.sieve", err)
        self.assertEqual(out, f"{ok}: OK\n")

    def test_usage_errors_exit_2(self):
        for args in ([], ["--bogus", "x"]):
            rc, _, err = self.run_f(*args)
            self.assertEqual(rc, 2, f"args {args}: got exit {rc}, want 2")
            self.assertIn("usage: facteur sieve check", err)
        p = subprocess.run([FACTEUR, "sieve"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2, f"facteur sieve: got exit "
                         f"{p.returncode}, want 2")

    def test_oversized_script_is_reported(self):
        big = self.script("big.sieve", "#" + "x" * (1 << 20) + "\nkeep;\n")
        rc, out, _ = self.run_f(big)
        self.assertEqual(rc, 1, f"got exit {rc}, want 1")
        self.assertIn(f"{big}: error: script of", out)


if __name__ == "__main__":
    FACTEUR = sys.argv.pop(1)
    unittest.main(verbosity=2)
