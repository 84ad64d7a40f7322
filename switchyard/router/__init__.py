"""The aiohttp data plane."""
