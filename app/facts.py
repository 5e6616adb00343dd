"""The one place for values the server and the pages share.

The engine never imports this module: these are facts about the pages (how far one press of
Play runs, how many balls the explorer holds), which the lessons, the API and the pages must
agree on.
"""

PLAY_STEPS = 1000  # steps per press of Play, on both pages
MAX_RACERS = 6  # the explorer's racers, at most
