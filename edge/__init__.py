"""The edge: the SDK that publishes prompt events and awaits their decisions (`client`), and
the reference gateway that enforces them in front of OpenAI- and Anthropic-style APIs
(`gateway`, with `apis`, `conversation` and `sse`; the command in `cli`). `standin` is a
stand-in AI API for the demo, the tests and `bench/gateway.py`."""
