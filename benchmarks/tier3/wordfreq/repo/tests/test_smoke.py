def test_repository_imports():
    import wordfreq  # noqa: F401
