def test_repository_imports():
    import rpn  # noqa: F401
