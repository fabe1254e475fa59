import pytest
from rpn import evaluate, tokenize


def test_tokenize():
    assert tokenize("3 4 +") == [3.0, 4.0, "+"]
    assert tokenize(" -2  5.5 * ") == [-2.0, 5.5, "*"]
    with pytest.raises(ValueError):
        tokenize("3 x +")


def test_evaluate():
    assert evaluate("3 4 + 2 *") == 14.0
    assert evaluate("10 4 -") == 6.0
    assert evaluate("1 2 /") == 0.5
    assert evaluate("-2 3 *") == -6.0


@pytest.mark.parametrize("bad", ["+", "1 +", "1 2", ""])
def test_malformed(bad):
    with pytest.raises(ValueError):
        evaluate(bad)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError):
        evaluate("1 0 /")
