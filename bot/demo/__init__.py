"""``storebridge demo`` and everything it fakes: the one place the product's fakes live.

- :mod:`bot.demo.run`: the narrated offline demo (``storebridge demo``).
- :mod:`bot.demo.slack_standin`: a Slack stand-in (Web API, Events, Socket Mode,
  interactivity) with a browsable web view.
- :mod:`bot.demo.marketplace`: the sandbox marketplace server, which the product's
  ``connector: sandbox`` (:mod:`connectors.sandbox`) talks to.

The test-suite starts the same stand-ins. No product module imports this package
(``tests/test_fakes_in_one_place.py``); only ``bot/cli.py`` launches the demo.
"""
