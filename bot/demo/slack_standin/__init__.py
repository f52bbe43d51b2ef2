"""A local Slack stand-in: the offline demo's Slack (browsable, see ``web_view``) and
the test-suite's."""
