from textutil import slugify


def test_basic():
    assert slugify("Hello, World!") == "hello-world"


def test_runs_and_edges():
    assert slugify("  --a   b--  ") == "a-b"
    assert slugify("!!!") == ""
    assert slugify("") == ""


def test_accents_and_digits():
    assert slugify("Café au lait 2") == "cafe-au-lait-2"
    assert slugify("Ünïcödé") == "unicode"
