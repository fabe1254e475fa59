def test_repository_imports():
    import inventory  # noqa: F401
