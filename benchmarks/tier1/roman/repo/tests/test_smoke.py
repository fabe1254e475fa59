def test_repository_imports():
    import numerals  # noqa: F401
