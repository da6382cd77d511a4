import pytest

from lottery.registry import Registry


def test_lookup_register_and_unknown_name_lists_known():
    registry = Registry("widget", "kind")

    @registry.register("b")
    def b():
        return "b"

    @registry.register("a")
    def a():
        return "a"

    assert registry["a"]() == "a"
    assert list(registry) == ["a", "b"]
    assert len(registry) == 2
    assert "a" in registry and "c" not in registry and 3 not in registry  # not the lookup's ValueError
    with pytest.raises(ValueError, match=r"unknown widget 'c' for kind=; known: a, b"):
        registry["c"]
    with pytest.raises(TypeError, match="kind must be a string"):
        registry[3]
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a")(a)
