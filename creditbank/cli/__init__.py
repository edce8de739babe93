"""The command-line shell: parse options, call one service, render the result."""
