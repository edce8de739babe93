"""The HTTP shell: routes translate requests into one service call and render results."""
