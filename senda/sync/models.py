"""The offline field app's devices and the sync protocol's receipts."""
