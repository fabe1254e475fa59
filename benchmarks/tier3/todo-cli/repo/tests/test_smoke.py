def test_repository_imports():
    import todo  # noqa: F401
