"""Live classes: a teacher leads, students follow, answer and experiment.

Every piece of a class lives in the Store (app/store), under keys that end with the class:
its record (``codes``, ``room``), its students and their answers and runs, rate-limit
counters (``limits``), and it talks to its pages over the Store's channels (``events``):
so a teacher on one worker and students on another share one class. The engine decides the
right answers and the experiments' outcomes (``engine``), as it does for POST /api/runs.
"""
