import subprocess
import sys

from wordfreq.count import count_words, top_words


def test_count():
    assert count_words("Don't stop, don't!") == {"don't": 2, "stop": 1}
    assert count_words("a1b a-b") == {"a": 2, "b": 2}


def test_top():
    counts = {"b": 2, "a": 2, "c": 5, "d": 1}
    assert top_words(counts, 3) == [("c", 5), ("a", 2), ("b", 2)]
    assert len(top_words(counts, 99)) == 4


def test_cli(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("the cat and the hat and the bat")
    out = subprocess.run([sys.executable, "-m", "wordfreq", str(path), "-n", "2"], capture_output=True, text=True)
    assert out.stdout.splitlines() == ["3 the", "2 and"]
    missing = subprocess.run([sys.executable, "-m", "wordfreq", str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.strip()
