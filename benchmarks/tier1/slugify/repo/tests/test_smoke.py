def test_repository_imports():
    import textutil  # noqa: F401
