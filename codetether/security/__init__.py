"""Security primitives: permissions now; auth, audit, signing and sandboxing join them later."""
