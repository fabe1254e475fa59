"""Stock levels per SKU."""
