"""Views of the voting app: pages (`pages`), and the actions shared with the JSON API
(`actions`). The JSON endpoints themselves are `voting.api`."""
