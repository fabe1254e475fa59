import pytest
from inventory import Inventory


def test_add_remove():
    inv = Inventory()
    assert inv.quantity("a") == 0
    inv.add("a", 5)
    inv.remove("a", 2)
    assert inv.quantity("a") == 3
    with pytest.raises(ValueError):
        inv.remove("a", 4)
    assert inv.quantity("a") == 3
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError):
            inv.add("a", bad)


def test_low_stock():
    inv = Inventory()
    inv.add("b", 1)
    inv.add("a", 2)
    inv.add("c", 10)
    assert inv.low_stock(3) == ["a", "b"]
    assert inv.low_stock(2) == ["b"]


def test_round_trip():
    inv = Inventory()
    inv.add("x", 4)
    inv.add("y", 1)
    again = Inventory.from_dict(inv.to_dict())
    assert again.quantity("x") == 4 and again.quantity("y") == 1
    with pytest.raises(ValueError):
        Inventory.from_dict({"z": -1})
